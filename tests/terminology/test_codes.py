"""Codes are normalised once at the edge, so dotted or lower-case ICD-10 input still counts in risk scores."""

from __future__ import annotations

import pytest

from careloop.errors import InvalidInput
from careloop.terminology import normalise_code, normalise_icd10, system_for_uri


@pytest.mark.parametrize(("given", "stored"), [
    ("E11.22", "E1122"), ("e1122", "E1122"), (" i50.9 ", "I509"), ("Z59.41", "Z5941"), ("C78.7", "C787"),
    ("I10", "I10"), ("S72.001A", "S72001A"),
])
def test_icd10_codes_lose_the_dot_and_go_upper_case(given: str, stored: str) -> None:
    assert normalise_icd10(given) == stored


@pytest.mark.parametrize("bad", ["", "E", "11.22", "EE11", "E11.22.3", "E11-22", "ICD E11"])
def test_what_cannot_be_an_icd10_code_is_refused_with_the_expected_form(bad: str) -> None:
    with pytest.raises(InvalidInput, match="is not an ICD-10-CM code"):
        normalise_icd10(bad)


def test_other_systems_are_checked_for_their_shape() -> None:
    assert normalise_code("loinc", " 4548-4") == "4548-4"
    assert normalise_code("snomed", "44054006") == "44054006"
    assert normalise_code("rxnorm", "861007") == "861007"
    with pytest.raises(InvalidInput, match="LOINC"):
        normalise_code("loinc", "4548")
    with pytest.raises(InvalidInput, match="SNOMED"):
        normalise_code("snomed", "Diabetes")


def test_fhir_uris_and_v2_names_resolve_to_one_system() -> None:
    assert system_for_uri("http://hl7.org/fhir/sid/icd-10-cm").key == "icd10cm"  # type: ignore[union-attr]
    assert system_for_uri("I10").key == "icd10cm"  # type: ignore[union-attr]
    assert system_for_uri("http://loinc.org").key == "loinc"  # type: ignore[union-attr]
    assert system_for_uri("http://example.org/local") is None
