"""Charlson Comorbidity Index: hand-worked cases from CLINICAL-REFERENCE.md section 4 (Quan 2005 coding;
Quan 2011 and Charlson 1987 weights; hierarchy; age points) and code normalisation."""

from __future__ import annotations

from datetime import date

import pytest

from tests.population.harness import Scenario


def _charlson(codes: list[str], *, born: date = date(1950, 1, 1)) -> dict[str, object]:
    scenario = Scenario()
    scenario.patient(1, born=born)
    for code in codes:
        scenario.condition(1, code)
    return scenario.run().patient(1)


@pytest.mark.parametrize(("codes", "born", "quan", "original", "age_adjusted"), [
    # The reference's worked examples (CLINICAL-REFERENCE.md section 6, checked with comorbidipy):
    # P001 [I21, E112] aged 65; P002 [I50, J44] aged 72; P003 [C78, C50, K704] aged 85 (as of 2026-06-30).
    (["I21", "E112"], date(1961, 1, 1), 1, 3, 5),
    (["I50", "J44"], date(1954, 1, 1), 3, 2, 5),
    (["C78", "C50", "K704"], date(1941, 1, 1), 10, 9, 13),
])
def test_reference_cases(codes: list[str], born: date, quan: int, original: int, age_adjusted: int) -> None:
    row = _charlson(codes, born=born)
    assert (row["charlson_quan2011"], row["charlson_1987"], row["charlson_age_adjusted"]) == (quan, original,
                                                                                            age_adjusted)


def test_no_diagnoses_scores_zero_and_age_points_alone() -> None:
    row = _charlson([], born=date(1946, 6, 30))  # 80 on the as-of date: 4 age points
    assert (row["charlson_quan2011"], row["charlson_1987"], row["charlson_age_adjusted"]) == (0, 0, 4)


@pytest.mark.parametrize(("born", "points"), [
    (date(1976, 7, 1), 0),  # 49, birthday tomorrow
    (date(1976, 6, 30), 1),  # 50 today
    (date(1966, 7, 1), 1),  # 59
    (date(1966, 6, 30), 2),  # 60
    (date(1956, 6, 30), 3),  # 70
    (date(1946, 7, 1), 3),  # 79, 80 tomorrow
    (date(1946, 6, 30), 4),  # 80
])
def test_age_points_at_band_edges(born: date, points: int) -> None:
    assert _charlson([], born=born)["charlson_age_adjusted"] == points


@pytest.mark.parametrize(("codes", "counted"), [
    (["K703", "K766"], {"msld"}),  # severe liver disease cancels mild
    (["E119", "E1122"], {"diabwc"}),  # diabetes with complications cancels without
    (["C50919", "C787"], {"metacanc"}),  # metastatic tumour cancels any malignancy
    (["K703"], {"mld"}),
])
def test_hierarchy_counts_only_the_graver_form(codes: list[str], counted: set[str]) -> None:
    import json

    evidence = json.loads(str(_charlson(codes)["charlson_evidence"]))
    assert {item["category"] for item in evidence} == counted


def test_dotted_and_lower_case_codes_count() -> None:
    assert _charlson(["i50.9", " j44.1 "])["charlson_quan2011"] == 3


def test_prefix_match_needs_the_whole_prefix() -> None:
    # I25.2 (old MI) is "ami" but I25.1 is not; E11.9 is "diab" while E11 alone matches no 4-character prefix.
    assert _charlson(["I252"])["charlson_1987"] == 1
    assert _charlson(["I251"])["charlson_1987"] == 0


def test_resolved_and_future_conditions_do_not_count() -> None:
    scenario = Scenario()
    scenario.patient(1)
    scenario.condition(1, "I50", status="resolved")
    scenario.condition(1, "J44", since=date(2026, 7, 2))  # after the as-of date
    assert scenario.run().patient(1)["charlson_1987"] == 0


def test_evidence_names_category_code_and_date() -> None:
    import json

    scenario = Scenario()
    scenario.patient(1)
    scenario.condition(1, "I509", since=date(2019, 5, 4))
    evidence = json.loads(str(scenario.run().patient(1)["charlson_evidence"]))
    assert evidence == [{"category": "chf", "title": "Congestive heart failure", "code": "I509",
                         "since": "2019-05-04", "quan2011": 2, "charlson1987": 1}]
