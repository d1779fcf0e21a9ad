"""Care gaps at their boundaries, hand-worked from the public measure descriptions in
CLINICAL-REFERENCE.md section 4. The measurement period is 2025-07-01 to 2026-06-30 (as of 2026-06-30)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.population.harness import AS_OF, Scenario, at, days_before


def _status(scenario: Scenario, measure: str, patient_id: int = 1) -> list[str]:
    return [g["status"] for g in scenario.run().gaps(patient_id, measure)]


def _hypertensive(born: date = date(1960, 1, 1)) -> Scenario:
    scenario = Scenario()
    scenario.patient(1, born=born)
    scenario.condition(1, "I10")
    scenario.encounter(1, "AMB", days_before(200), days_before(200))
    scenario.encounter(1, "AMB", days_before(30), days_before(30))
    return scenario


@pytest.mark.parametrize(("systolic", "diastolic", "status"), [
    (139, 89, "closed"), (140, 80, "open"), (130, 90, "open"), (120, 70, "closed"),
])
def test_cbp_threshold_is_below_140_over_90(systolic: float, diastolic: float, status: str) -> None:
    scenario = _hypertensive()
    scenario.blood_pressure(1, systolic, diastolic, days_before(30))
    assert _status(scenario, "cbp") == [status]


def test_cbp_takes_lowest_of_each_on_the_latest_day() -> None:
    scenario = _hypertensive()
    scenario.blood_pressure(1, 120, 70, days_before(90))  # older, ignored
    scenario.blood_pressure(1, 150, 85, days_before(30, hour=9))
    scenario.blood_pressure(1, 135, 95, days_before(30, hour=15))
    gap = scenario.run().gaps(1, "cbp")[0]
    assert (gap["status"], gap["evidence"]) == ("closed", "representative BP 135/85 mm[Hg] on 2026-05-31")


def test_cbp_ignores_readings_in_hospital_and_counts_none_as_uncontrolled() -> None:
    scenario = _hypertensive()
    ed = scenario.encounter(1, "EMER", days_before(5), days_before(5))
    scenario.blood_pressure(1, 120, 70, days_before(5), encounter_id=ed)
    gap = scenario.run().gaps(1, "cbp")[0]
    assert gap["status"] == "open"
    assert gap["evidence"] == "no blood pressure reading outside hospital in the period"


@pytest.mark.parametrize(("change", "in_denominator"), [
    ("none", True), ("age_86", False), ("esrd", False), ("one_visit", False), ("late_diagnosis", False),
])
def test_cbp_denominator(change: str, in_denominator: bool) -> None:
    scenario = _hypertensive(born=date(1940, 1, 1) if change == "age_86" else date(1960, 1, 1))
    if change == "esrd":
        scenario.condition(1, "N186")
    if change == "one_visit":
        scenario.rows["src_encounters"].pop()
    if change == "late_diagnosis":  # diagnosed after June 30 of the period... here within its last 6 months
        scenario.rows["conditions"].clear()
        scenario.condition(1, "I10", since=date(2026, 2, 1))
    assert bool(_status(scenario, "cbp")) is in_denominator


@pytest.mark.parametrize(("value", "lt8", "gt9"), [
    (7.9, "closed", "closed"), (8.0, "open", "closed"), (9.0, "open", "closed"), (9.1, "open", "open"),
    (None, "open", "open"),
])
def test_gsd_thresholds(value: float | None, lt8: str, gt9: str) -> None:
    scenario = Scenario()
    scenario.patient(1, born=date(1960, 1, 1))
    scenario.condition(1, "E119")
    scenario.observation(1, "4548-4", 6.0, days_before(300))  # older result, superseded
    if value is not None:
        scenario.observation(1, "4548-4", value, days_before(10))
    else:
        scenario.rows["src_observations"].clear()
    assert (_status(scenario, "gsd_lt8"), _status(scenario, "gsd_gt9")) == ([lt8], [gt9])


def test_gsd_ages_18_to_75() -> None:
    scenario = Scenario()
    scenario.patient(1, born=date(1950, 6, 30))  # 76
    scenario.patient(2, born=date(1951, 7, 1))  # 74
    for pid in (1, 2):
        scenario.condition(pid, "E109")
    result = scenario.run()
    assert result.gaps(1, "gsd_lt8") == []
    assert len(result.gaps(2, "gsd_lt8")) == 1


def _discharged(days_ago: int = 40) -> Scenario:
    scenario = Scenario()
    scenario.patient(1)
    discharged = days_before(days_ago)
    scenario.stay(1, discharged - timedelta(days=3), discharged)
    return scenario


@pytest.mark.parametrize(("visit_day", "seven", "thirty"), [
    (0, "open", "open"),  # a visit on the discharge date does not count
    (1, "closed", "closed"), (7, "closed", "closed"), (8, "open", "closed"), (30, "open", "closed"),
    (31, "open", "open"),
])
def test_follow_up_after_hospitalization(visit_day: int, seven: str, thirty: str) -> None:
    scenario = _discharged(40)
    scenario.encounter(1, "AMB", days_before(40 - visit_day, hour=14), days_before(40 - visit_day, hour=15))
    assert (_status(scenario, "followup_7d"), _status(scenario, "followup_30d")) == ([seven], [thirty])


def test_follow_up_leaves_out_a_discharge_readmitted_inside_the_window() -> None:
    scenario = _discharged(40)
    scenario.encounter(1, "IMP", days_before(35), days_before(33), disposition="home")  # 5 days after
    result = scenario.run()
    first_discharge = AS_OF - timedelta(days=40)
    assert [g for g in result.gaps(1, "followup_7d") if g["event_date"] == first_discharge] == []


def test_follow_up_window_still_running_is_open_with_its_due_date() -> None:
    scenario = _discharged(3)
    gap = scenario.run().gaps(1, "followup_7d")[0]
    assert (gap["status"], gap["due_date"]) == ("open", AS_OF + timedelta(days=4))


@pytest.mark.parametrize(("day", "status"), [(0, "closed"), (30, "closed"), (31, "open"), (-1, "open")])
def test_medication_reconciliation_from_discharge_through_30_days(day: int, status: str) -> None:
    scenario = _discharged(60)
    scenario.task_done(1, "med-review", days_before(60 - day, hour=16))
    assert _status(scenario, "medrec_30d") == [status]


def test_medication_reconciliation_by_procedure_code() -> None:
    scenario = _discharged(60)
    scenario.procedure(1, "1111F", days_before(50))
    assert _status(scenario, "medrec_30d") == ["closed"]


def _ed_with_conditions(codes: list[str]) -> Scenario:
    scenario = Scenario()
    scenario.patient(1)
    for code in codes:
        scenario.condition(1, code)
    scenario.encounter(1, "EMER", days_before(40), days_before(40, hour=13))
    return scenario


@pytest.mark.parametrize(("codes", "in_denominator"), [
    (["I509", "J449"], True), (["I509", "I5022"], False),  # two codes, one condition group
    (["I509"], False), (["F329", "I4891"], True), (["N1830", "G309"], True),
])
def test_fmc_needs_two_condition_groups(codes: list[str], in_denominator: bool) -> None:
    assert bool(_status(_ed_with_conditions(codes), "fmc_7d")) is in_denominator


@pytest.mark.parametrize(("visit_day", "status"), [(0, "closed"), (7, "closed"), (8, "open")])
def test_fmc_follow_up_within_7_days(visit_day: int, status: str) -> None:
    scenario = _ed_with_conditions(["I509", "J449"])
    scenario.encounter(1, "VR", days_before(40 - visit_day, hour=16), days_before(40 - visit_day, hour=17))
    assert _status(scenario, "fmc_7d") == [status]


def test_fmc_excludes_an_ed_visit_followed_by_admission() -> None:
    scenario = _ed_with_conditions(["I509", "J449"])
    scenario.encounter(1, "IMP", days_before(40, hour=14), days_before(37), disposition="home")
    assert _status(scenario, "fmc_7d") == []


@pytest.mark.parametrize(("gap_days", "status"), [(30, "open"), (31, "closed")])
def test_pcr_readmission_within_30_days(gap_days: int, status: str) -> None:
    scenario = _discharged(100)
    readmit = days_before(100 - gap_days)
    scenario.encounter(1, "IMP", readmit, readmit + timedelta(days=2), disposition="home")
    first = AS_OF - timedelta(days=100)
    rows = [g for g in scenario.run().gaps(1, "pcr_30d") if g["event_date"] == first]
    assert [g["status"] for g in rows] == [status]


def test_pcr_leaves_out_same_day_stays_and_deaths() -> None:
    scenario = Scenario()
    scenario.patient(1)
    scenario.encounter(1, "IMP", days_before(50, hour=8), days_before(50, hour=20), disposition="home")
    scenario.encounter(1, "IMP", days_before(20), days_before(15), disposition="exp")
    assert _status(scenario, "pcr_30d") == []


@pytest.mark.parametrize(("dose", "status"), [(date(2025, 7, 1), "closed"), (date(2025, 6, 30), "open")])
def test_flu_vaccine_since_july_first_of_the_season_before(dose: date, status: str) -> None:
    scenario = Scenario()
    scenario.patient(1)
    scenario.immunization(1, "158", at(dose))
    assert _status(scenario, "flu_vaccine") == [status]


def test_flu_vaccine_is_for_adults_19_and_over() -> None:
    scenario = Scenario()
    scenario.patient(1, born=date(2007, 7, 1))  # 18
    assert _status(scenario, "flu_vaccine") == []


@pytest.mark.parametrize(("kind", "days_ago", "status"), [
    ("colonoscopy", 365 * 9, "closed"), ("colonoscopy", 365 * 10 + 5, "open"),
    ("fit", 330, "closed"), ("fit", 400, "open"), ("fit_dna", 365 * 2, "closed"),
])
def test_colorectal_screening_look_backs(kind: str, days_ago: int, status: str) -> None:
    scenario = Scenario()
    scenario.patient(1, born=date(1960, 1, 1))
    if kind == "colonoscopy":
        scenario.procedure(1, "73761001", days_before(days_ago))
    else:
        scenario.observation(1, "29771-3" if kind == "fit" else "77353-1", 0.0, days_before(days_ago))
    assert _status(scenario, "colorectal_screening") == [status]


def test_colorectal_screening_denominator() -> None:
    scenario = Scenario()
    scenario.patient(1, born=date(1982, 7, 1))  # 43
    scenario.patient(2, born=date(1960, 1, 1))
    scenario.condition(2, "C189")  # colorectal cancer: excluded
    scenario.patient(3, born=date(1981, 6, 30))  # 45
    result = scenario.run()
    assert (result.gaps(1, "colorectal_screening"), result.gaps(2, "colorectal_screening")) == ([], [])
    assert len(result.gaps(3, "colorectal_screening")) == 1
