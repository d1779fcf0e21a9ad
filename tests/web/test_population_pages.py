"""The population pages: cohorts and the enrollment worklist with one-click enroll, and a patient's scores
with their evidence and open gaps, each gap able to become one outreach task."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from careloop import db
from careloop.access import system_actor
from careloop.models import CareTeamMember, CareTeamRole, Condition, Encounter, Task, User
from careloop.population.runner import run_population
from tests.factories import Personas, add_member, make_patient
from tests.web.conftest import Browser, public_ids


@pytest.fixture
def hana(personas: Personas) -> int:
    with db.unit_of_work() as s:
        patient = make_patient(s, "Sato", "Hana", birth_date=date(1944, 5, 1))
        add_member(s, patient, CareTeamRole.care_coordinator, user=s.get(User, personas.coordinator_id))
        for code in ("I509", "J449", "N184"):
            s.add(Condition(patient_id=patient.id, code_system="icd10", code=code, display=code, icd10=code,
                            clinical_status="active", onset_date=date(2020, 1, 1),
                            recorded_at=datetime(2020, 1, 1, tzinfo=UTC)))
        end = datetime.now(UTC) - timedelta(days=5)
        s.add(Encounter(patient_id=patient.id, status="finished", class_code="IMP",
                        period_start=end - timedelta(days=4), period_end=end, discharge_disposition="home"))
        patient_id = patient.id
    run_population(system_actor(), as_of=datetime.now(UTC).date())
    return patient_id


def test_population_page_lists_cohorts_and_enrolls_from_the_worklist(
        personas: Personas, hana: int, browser: Callable[[str], Browser]) -> None:
    cora = browser("cora")
    page = cora.get("/population")
    assert page.status_code == 200 and "Heart failure registry" in page.text and "Sato, Hana" in page.text
    worklist = cora.get("/population?view=worklist&sort=charlson_quan2011")
    assert "Sato, Hana" in worklist.text and "Rivera, Ana" not in worklist.text
    pid = public_ids(patient_id=hana)["patient"]
    done = cora.post(f"/population/enroll/{pid}", follow_redirects=True)
    assert "Enrolled" in done.text
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(CareTeamMember).where(
            CareTeamMember.patient_id == hana, CareTeamMember.role == CareTeamRole.rn_care_manager)) == 1
        assert s.scalar(select(func.count()).select_from(Task).where(Task.patient_id == hana)) == 2


def test_outsider_sees_no_one_of_ours(personas: Personas, hana: int, browser: Callable[[str], Browser]) -> None:
    page = browser("oscar").get("/population")
    assert "Sato" not in page.text and "Rivera" not in page.text and "Okafor, Ben" in page.text


def test_patient_scores_page_explains_and_turns_a_gap_into_a_task(
        personas: Personas, hana: int, browser: Callable[[str], Browser]) -> None:
    cora = browser("cora")
    pid = public_ids(patient_id=hana)["patient"]
    page = cora.get(f"/patients/{pid}/population")
    assert page.status_code == 200
    assert "Congestive heart failure: I509" in page.text and "LACE" in page.text and "CMS-HCC" in page.text
    assert "Follow-up visit within 7 days after discharge" in page.text
    discharge = (datetime.now(UTC) - timedelta(days=5)).date().isoformat()
    form = {"measure": "followup_7d", "event_date": discharge}
    first = cora.post(f"/patients/{pid}/population/gap-task", form, follow_redirects=True)
    again = cora.post(f"/patients/{pid}/population/gap-task", form, follow_redirects=True)
    assert "Outreach task created." in first.text and "already has an open task" in again.text
    assert "Risk scores and care gaps" in cora.get(f"/patients/{pid}").text


def test_unknown_sort_is_a_clear_message(personas: Personas, browser: Callable[[str], Browser]) -> None:
    page = browser("cora").get("/population?sort=nope")
    assert page.status_code == 200 and "That sort order is not offered." in page.text
