"""The readmission and TCM-complexity rules over a patient's finished inpatient stays (transitions.readmission,
transitions.complexity), with hand-worked dates: a 30-day window counted back from the admission, both ends
included (CMS hospital-wide readmission measure, HEDIS PCR: ../shared/CLINICAL-REFERENCE.md section 4); an index
stay that ended in death (discharge disposition "exp") is not an index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from careloop.transitions.complexity import readmitted
from careloop.transitions.readmission import index_stay
from careloop.transitions.repository import InpatientStay

ADMITTED = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def stay(encounter_id: int, ended: str, disposition: str | None = "home") -> InpatientStay:
    return InpatientStay(encounter_id, datetime.fromisoformat(ended), disposition)


def test_the_latest_discharge_inside_the_window_is_the_index() -> None:
    stays = [stay(1, "2026-10-15T12:00:00+00:00"), stay(2, "2026-11-10T12:00:00+00:00"),
             stay(3, "2026-11-25T12:00:00+00:00")]
    assert index_stay(stays, ADMITTED) == stays[2]


def test_the_window_includes_both_ends() -> None:
    thirty_days_before = stay(1, "2026-10-31T10:00:00+00:00")  # exactly 30 days before the admission
    a_second_more = stay(2, "2026-10-31T09:59:59+00:00")
    assert index_stay([thirty_days_before], ADMITTED) == thirty_days_before
    assert index_stay([a_second_more], ADMITTED) is None
    assert readmitted([thirty_days_before], ADMITTED, None) and not readmitted([a_second_more], ADMITTED, None)
    at_the_admission = stay(3, "2026-11-30T10:00:00+00:00")
    assert index_stay([at_the_admission], ADMITTED) == at_the_admission


def test_a_discharge_after_the_admission_is_not_an_index() -> None:
    later = stay(1, "2026-12-01T08:00:00+00:00")
    assert index_stay([later], ADMITTED) is None and not readmitted([later], ADMITTED, None)


def test_a_stay_that_ended_in_death_is_no_index_but_the_one_before_it_is() -> None:
    before, died = stay(1, "2026-11-05T12:00:00+00:00"), stay(2, "2026-11-20T12:00:00+00:00", "exp")
    assert index_stay([before, died], ADMITTED) == before


def test_the_admissions_own_encounter_is_left_out() -> None:
    own, earlier = stay(7, "2026-11-29T12:00:00+00:00"), stay(3, "2026-11-12T12:00:00+00:00")
    assert index_stay([own, earlier], ADMITTED, exclude_encounter_id=7) == earlier
    assert not readmitted([own], ADMITTED, 7) and readmitted([own, earlier], ADMITTED, 7)


def test_a_configured_window_counts_from_the_admission() -> None:
    stays = [stay(1, "2026-11-20T12:00:00+00:00")]
    assert index_stay(stays, ADMITTED, within=timedelta(days=7)) is None
    assert index_stay(stays, ADMITTED, within=timedelta(days=10)) == stays[0]
