"""LACE and HOSPITAL at their boundaries, hand-worked from CLINICAL-REFERENCE.md section 4
(van Walraven 2010; Donze 2013), and the utilization counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.population.harness import Scenario, days_before


def _stay_scenario(los_days: int = 2, **stay: object) -> tuple[Scenario, int]:
    scenario = Scenario()
    scenario.patient(1)
    admitted = days_before(40)
    encounter_id = scenario.stay(1, admitted, admitted + timedelta(days=los_days, hours=2), **stay)  # type: ignore[arg-type]
    return scenario, encounter_id


@pytest.mark.parametrize(("los", "points"), [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (6, 4), (7, 5), (13, 5),
                                             (14, 7), (30, 7)])
def test_lace_length_of_stay_points(los: int, points: int) -> None:
    scenario, _ = _stay_scenario(los)
    assert scenario.run().one("SELECT l_points FROM lace")["l_points"] == points


def test_lace_acute_admission_scores_three() -> None:
    scenario, _ = _stay_scenario(via_ed=True)
    row = scenario.run().one("SELECT a_points, e_points FROM lace")
    assert (row["a_points"], row["e_points"]) == (3, 0)  # the ED visit that led to the stay is not an E visit


@pytest.mark.parametrize(("codes", "points"), [
    ([], 0), (["I252"], 1), (["F0390"], 3),  # dementia weighs 3 in LACE
    (["I509", "I252"], 3), (["I509", "J449"], 5),  # 4 and more score 5
    (["N185", "K259", "G8190"], 0),  # renal, peptic ulcer and hemiplegia do not count in LACE
    (["C50919", "C787"], 5),  # metastatic (6) cancels any malignancy (2): 6 -> 5
])
def test_lace_comorbidity_points(codes: list[str], points: int) -> None:
    scenario, _ = _stay_scenario()
    for code in codes:
        scenario.condition(1, code)
    assert scenario.run().one("SELECT c_points FROM lace")["c_points"] == points


@pytest.mark.parametrize(("visits", "points"), [(0, 0), (3, 3), (4, 4), (6, 4)])
def test_lace_ed_visits_in_six_months(visits: int, points: int) -> None:
    scenario, _ = _stay_scenario()
    for i in range(visits):
        scenario.encounter(1, "EMER", days_before(60 + 10 * i), days_before(60 + 10 * i) + timedelta(hours=3))
    scenario.encounter(1, "EMER", days_before(40 + 190), days_before(40 + 190))  # more than 6 months earlier
    assert scenario.run().one("SELECT e_points FROM lace")["e_points"] == points


@pytest.mark.parametrize(("los", "via_ed", "codes", "total", "band"), [
    (3, False, ["I252"], 4, "low"),  # 3 + 0 + 1 + 0
    (4, False, ["I252"], 5, "moderate"),  # 4 + 0 + 1 + 0
    (7, True, ["I252"], 9, "moderate"),  # 5 + 3 + 1 + 0
    (7, True, ["I509"], 10, "high"),  # 5 + 3 + 2 + 0
])
def test_lace_total_and_band(los: int, via_ed: bool, codes: list[str], total: int, band: str) -> None:
    scenario, _ = _stay_scenario(los, via_ed=via_ed)
    for code in codes:
        scenario.condition(1, code)
    row = scenario.run().one("SELECT lace, lace_band FROM lace")
    assert (row["lace"], row["lace_band"]) == (total, band)


def _hospital(los: int = 2, hemoglobin: float = 13.0, sodium: float = 140.0, *, prior_admissions: int = 0,
              procedure: bool = False, via_ed: bool = False, reason: str | None = None) -> dict[str, object]:
    scenario = Scenario()
    scenario.patient(1)
    admitted = days_before(20)
    stay = scenario.stay(1, admitted, admitted + timedelta(days=los, hours=2), via_ed=via_ed, reason=reason)
    scenario.observation(1, "718-7", 8.0, admitted + timedelta(hours=1), encounter_id=stay)  # superseded
    scenario.observation(1, "718-7", hemoglobin, admitted + timedelta(days=los), encounter_id=stay)
    scenario.observation(1, "2951-2", sodium, admitted + timedelta(days=los), encounter_id=stay)
    for i in range(prior_admissions):
        start = days_before(40 + 30 * i)
        scenario.encounter(1, "IMP", start, start + timedelta(days=1), disposition="home")
    if procedure:
        scenario.procedure(1, "80146002", admitted + timedelta(hours=5), encounter_id=stay)
    rows = scenario.run().all("SELECT * FROM hospital_score WHERE encounter_id = ?", stay)
    return rows[0] if rows else {}


@pytest.mark.parametrize(("kwargs", "score"), [
    ({}, 0),
    ({"hemoglobin": 11.9}, 1), ({"hemoglobin": 12.0}, 0),
    ({"sodium": 134.9}, 1), ({"sodium": 135.0}, 0),
    ({"procedure": True}, 1), ({"via_ed": True}, 1), ({"reason": "C3490"}, 2),
    ({"prior_admissions": 1}, 0), ({"prior_admissions": 2}, 2), ({"prior_admissions": 5}, 2),
    ({"prior_admissions": 6}, 5),
    ({"los": 4}, 0), ({"los": 5}, 2),
])
def test_hospital_components(kwargs: dict[str, object], score: int) -> None:
    assert _hospital(**kwargs)["hospital_score"] == score  # type: ignore[arg-type]


@pytest.mark.parametrize(("kwargs", "band"), [
    ({"los": 5, "hemoglobin": 11, "sodium": 130}, "low"),  # 2 + 1 + 1 = 4
    ({"los": 5, "hemoglobin": 11, "sodium": 130, "procedure": True}, "intermediate"),  # 5
    ({"los": 5, "prior_admissions": 2, "hemoglobin": 11, "sodium": 130}, "intermediate"),  # 6
    ({"los": 5, "prior_admissions": 2, "hemoglobin": 11, "sodium": 130, "via_ed": True}, "high"),  # 7
])
def test_hospital_bands(kwargs: dict[str, object], band: str) -> None:
    assert _hospital(**kwargs)["hospital_band"] == band  # type: ignore[arg-type]


def test_hospital_needs_its_labs() -> None:
    scenario = Scenario()
    scenario.patient(1)
    scenario.stay(1, days_before(20), days_before(17))
    result = scenario.run()
    assert result.all("SELECT * FROM hospital_score") == []
    assert result.patient(1)["hospital_score"] is None
    assert result.patient(1)["lace"] is not None


def test_utilization_windows_and_readmissions() -> None:
    scenario = Scenario()
    scenario.patient(1)
    scenario.encounter(1, "EMER", days_before(10), days_before(10))
    scenario.encounter(1, "EMER", days_before(200), days_before(200))
    scenario.encounter(1, "EMER", days_before(400), days_before(400))  # outside 12 months
    scenario.encounter(1, "EMER", days_before(12), status="cancelled")
    first = days_before(100)
    scenario.encounter(1, "IMP", first, first + timedelta(days=3), disposition="home")
    scenario.encounter(1, "IMP", first + timedelta(days=33), first + timedelta(days=35),  # 30 days later
                       disposition="home")
    scenario.encounter(1, "IMP", first + timedelta(days=66), first + timedelta(days=67),  # 31 days later
                       disposition="home")
    row = scenario.run().patient(1)
    assert (row["ed_6m"], row["ed_12m"], row["ip_6m"], row["ip_12m"], row["readmissions_30d"]) == (1, 2, 3, 3, 1)
