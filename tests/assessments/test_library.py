"""The instrument library as data: every file loads, every Questionnaire is valid FHIR R4 (R4B models), and a
malformed rule is refused with a message naming what is wrong."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from pydantic import ValidationError

from careloop.assessments.library import Scoring, get_instrument, instruments
from careloop.errors import NotFound

EXPECTED = {"phq-2", "phq-9", "gad-7", "ahc-hrsn", "katz-adl", "lawton-iadl", "steadi", "zbi-4"}


def test_the_library_holds_the_instruments_the_issue_names() -> None:
    assert set(instruments()) >= EXPECTED


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_questionnaire_is_valid_fhir_r4(key: str) -> None:
    Questionnaire.model_validate(get_instrument(key).questionnaire)


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_instrument_cites_its_source(key: str) -> None:
    assert get_instrument(key).scoring.sources


def test_score_codes_are_loinc_where_loinc_has_them() -> None:
    assert get_instrument("phq-9").scoring.scores[0].loinc == "44261-6"
    assert get_instrument("gad-7").scoring.scores[0].loinc == "70274-6"
    assert get_instrument("phq-9").loinc == "44249-1"


def test_an_unknown_instrument_is_not_found() -> None:
    with pytest.raises(NotFound, match="phq-9"):
        get_instrument("phq-10")


def _scoring(**overrides: object) -> dict[str, object]:
    rule = {"key": "total", "display": "t", "items": "all", "min": 0, "max": 9,
            "bands": [{"min": 0, "max": 4, "code": "a", "display": "A"},
                      {"min": 5, "max": 9, "code": "b", "display": "B"}]}
    return {"title": "x", "sources": ["s"], "scores": [{**rule, **overrides}]}


def test_bands_with_a_gap_are_refused() -> None:
    with pytest.raises(ValidationError, match="gaps"):
        Scoring.model_validate(_scoring(bands=[{"min": 0, "max": 3, "code": "a", "display": "A"},
                                               {"min": 5, "max": 9, "code": "b", "display": "B"}]))


def test_bands_not_covering_the_range_are_refused() -> None:
    with pytest.raises(ValidationError, match="run from"):
        Scoring.model_validate(_scoring(max=10))


def test_a_condition_of_two_forms_is_refused() -> None:
    data = {"title": "x", "sources": ["s"], "findings": [
        {"key": "f", "display": "F", "when": {"score": "total", "item": "a", "at_least": 1}}]}
    with pytest.raises(ValidationError, match="exactly one of"):
        Scoring.model_validate(data)
