"""The care plan page's forms: add a goal by hand, edit what matters and the owner, add an intervention, add and
resolve a priority or barrier, record a shared decision. Each posts with the plan version; a stale version (409)
or bad input comes back on the form with what was typed, and nothing is changed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from careloop import db
from careloop.careplans import service as careplans
from careloop.careplans.schemas import EntryIn, EntryKind
from careloop.clock import utcnow
from careloop.models import CarePlan, CarePlanDecision, CarePlanEntry, CarePlanRevision, Goal, Patient, Task, User
from tests.careplans.helpers import add_concerns
from tests.factories import Personas
from tests.web.conftest import Browser, field_errors


def make_plan(personas: Personas) -> str:
    with db.unit_of_work() as s:
        patient = s.get(Patient, personas.patient_id)
        assert patient is not None
        plan = careplans.apply_template_to_patient(s, personas.actor(s, personas.coordinator_id), patient.public_id,
                                                   "diabetes")
        return str(plan.public_id)


def plan_row(plan_id: str) -> CarePlan:
    with db.unit_of_work() as s:
        plan = s.scalars(select(CarePlan).where(CarePlan.public_id == UUID(plan_id))).one()
        s.expunge(plan)
        return plan


def counts() -> tuple[int, ...]:
    with db.unit_of_work() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) or 0
                     for m in (Goal, Task, CarePlanEntry, CarePlanDecision, CarePlanRevision))


def post(cora: Browser, plan_id: str, suffix: str, data: dict[str, Any]) -> Any:
    return cora.post(f"/care-plans/{plan_id}{suffix}", {"version": str(plan_row(plan_id).version), **data})


def test_add_a_goal_by_hand_with_a_measured_target(personas: Personas, browser: Callable[[str], Browser]) -> None:
    concerns = add_concerns(personas.patient_id)
    plan_id = make_plan(personas)
    cora = browser("cora")
    page = cora.get(f"/care-plans/{plan_id}")
    assert 'id="goal-measure"' in page.text and "Hemoglobin A1c (4548-4)" in page.text
    target = (utcnow().date() + timedelta(days=120)).isoformat()
    done = post(cora, plan_id, "/goals", {"description": "Weight below 90 kg", "concern_id": concerns["diabetes"],
                                          "measure": "29463-7", "comparator": "<", "target_value": "90",
                                          "start_date": "", "target_date": target, "priority": "high-priority"})
    assert done.status_code == 200 and "Goal added." in done.text
    assert "Weight below 90 kg" in done.text and "Body weight &lt; 90 kg" in done.text
    with db.unit_of_work() as s:
        goal = s.scalars(select(Goal).where(Goal.description == "Weight below 90 kg")
                         .options(selectinload(Goal.targets))).one()
        assert goal.priority == "high-priority" and goal.target_date == date.fromisoformat(target)
        assert [(t.measure_code, t.detail_comparator, t.detail_high, t.detail_unit) for t in goal.targets] == \
            [("29463-7", "<", 90, "kg")]


def test_a_goal_without_a_measure_and_bad_goal_input_changes_nothing(personas: Personas,
                                                                   browser: Callable[[str], Browser]) -> None:
    plan_id = make_plan(personas)
    cora = browser("cora")
    plain = post(cora, plan_id, "/goals", {"description": "Walk to the market every week", "measure": "",
                                           "target_value": "", "priority": "medium-priority"})
    assert "Goal added." in plain.text and "Walk to the market every week" in plain.text
    before = counts()
    bad = post(cora, plan_id, "/goals", {"description": "", "measure": "", "target_value": "7",
                                         "start_date": "2027-05-01", "target_date": "2027-01-01"})
    assert bad.status_code == 422
    errors = field_errors(bad.text)
    assert "This is required." in errors and "Choose the measure this target is for." in errors
    assert 'name="target_value" type="text" value="7"' in bad.text  # what was typed is kept
    no_value = post(cora, plan_id, "/goals", {"description": "HbA1c down", "measure": "4548-4", "comparator": "<",
                                              "target_value": ""})
    assert no_value.status_code == 422 and any("takes one value" in e for e in field_errors(no_value.text))
    assert counts() == before


def test_a_stale_version_is_a_409_on_the_form_and_changes_nothing(personas: Personas,
                                                                  browser: Callable[[str], Browser]) -> None:
    plan_id = make_plan(personas)
    cora = browser("cora")
    version = plan_row(plan_id).version
    before = counts()
    for suffix, data in (
        ("/goals", {"description": "Sleep through the night"}),
        ("/decisions", {"topic": "Insulin", "options": "Start insulin\nMore tablets", "choice": "More tablets",
                        "decided_on": utcnow().date().isoformat(), "present": "Ana Rivera"}),
        ("/interventions", {"kind": "task", "title": "Call about glucometer", "owner": "role:pharmacist"}),
        ("/details", {"what_matters": "My garden", "owner": ""}),
    ):
        stale = cora.post(f"/care-plans/{plan_id}{suffix}", {"version": str(version - 1), **data})
        assert stale.status_code == 409, suffix
        assert "changed by someone else" in stale.text
        assert "Sleep through the night" in stale.text if suffix == "/goals" else True
    assert counts() == before and plan_row(plan_id).version == version


def test_edit_what_matters_and_the_owner(personas: Personas, browser: Callable[[str], Browser]) -> None:
    plan_id = make_plan(personas)
    with db.unit_of_work() as s:
        teammate = s.get(User, personas.teammate_id)
        assert teammate is not None
        teammate_uuid = str(teammate.public_id)
    cora = browser("cora")
    page = cora.get(f"/care-plans/{plan_id}")
    assert teammate_uuid in page.text or "No owner" in page.text
    done = post(cora, plan_id, "/details", {"what_matters": "Dancing at my niece's wedding", "owner": ""})
    assert "Plan details saved." in done.text and "Dancing at my niece" in done.text
    plan = plan_row(plan_id)
    assert plan.what_matters == "Dancing at my niece's wedding" and plan.owner_user_id is None
    version = plan.version
    same = post(cora, plan_id, "/details", {"what_matters": "Dancing at my niece's wedding", "owner": ""})
    assert same.status_code == 200 and plan_row(plan_id).version == version  # nothing changed, no new version
    bad = post(cora, plan_id, "/details", {"what_matters": "x" * 2001, "owner": "not-a-person"})
    assert bad.status_code == 422
    assert set(field_errors(bad.text)) >= {"Use at most 2000 characters.", "Choose one of the options."}
    assert plan_row(plan_id).version == version


def test_add_interventions_for_a_role_and_for_a_person(personas: Personas,
                                                       browser: Callable[[str], Browser]) -> None:
    plan_id = make_plan(personas)
    with db.unit_of_work() as s:
        coordinator = s.get(User, personas.coordinator_id)
        assert coordinator is not None
        cora_uuid = str(coordinator.public_id)
    cora = browser("cora")
    due = (utcnow().date() + timedelta(days=3)).isoformat()
    done = post(cora, plan_id, "/interventions", {"kind": "task", "title": "Check the glucometer works",
                                                  "task_type": "follow-up-call", "owner": "role:pharmacist",
                                                  "due_date": due, "priority": "urgent"})
    assert "Intervention added." in done.text and "Check the glucometer works" in done.text
    mine = post(cora, plan_id, "/interventions", {"kind": "education", "title": "Teach foot care",
                                                  "owner": f"user:{cora_uuid}", "priority": "routine"})
    assert "Teach foot care" in mine.text
    referral = post(cora, plan_id, "/interventions", {"kind": "referral", "title": "Refer to podiatry",
                                                      "owner": "role:care-coordinator"})
    assert "Refer to podiatry" in referral.text
    with db.unit_of_work() as s:
        tasks = {t.title: t for t in s.scalars(select(Task))}
        call = tasks["Check the glucometer works"]
        assert call.owner_role == "pharmacist" and call.priority == "urgent" and call.due_at is not None
        assert tasks["Teach foot care"].owner_user_id == personas.coordinator_id
        assert tasks["Teach foot care"].type == "education"
        assert tasks["Refer to podiatry"].type == "referral"
    before = counts()
    bad = post(cora, plan_id, "/interventions", {"kind": "task", "title": "", "owner": "",
                                                 "due_date": "2001-01-01"})
    assert bad.status_code == 422
    assert {"This is required.", "Choose who will do it."} <= set(field_errors(bad.text))
    past = post(cora, plan_id, "/interventions", {"kind": "task", "title": "Too late", "owner": "role:pharmacist",
                                                  "due_date": "2001-01-01"})
    assert past.status_code == 422 and "cannot be in the past" in past.text and 'value="Too late"' in past.text
    assert counts() == before


def test_add_and_resolve_a_barrier(personas: Personas, browser: Callable[[str], Browser]) -> None:
    plan_id = make_plan(personas)
    cora = browser("cora")
    post(cora, plan_id, "/entries", {"kind": "barrier", "text": "No car since March"})
    with db.unit_of_work() as s:
        entry = s.scalars(select(CarePlanEntry)).one()
        entry_id = str(entry.public_id)
    page = cora.get(f"/care-plans/{plan_id}")
    assert f"/entries/{entry_id}/resolve" in page.text
    stale = cora.post(f"/care-plans/{plan_id}/entries/{entry_id}/resolve", {"version": "1"})
    assert stale.status_code == 409
    done = post(cora, plan_id, f"/entries/{entry_id}/resolve", {})
    assert "Marked resolved." in done.text and "<s>No car since March</s>" in done.text
    with db.unit_of_work() as s:
        assert s.scalars(select(CarePlanEntry.status)).one() == "resolved"
    again = post(cora, plan_id, f"/entries/{entry_id}/resolve", {})
    assert again.status_code == 409 and "already marked resolved" in again.text


def test_record_a_shared_decision(personas: Personas, browser: Callable[[str], Browser]) -> None:
    plan_id = make_plan(personas)
    cora = browser("cora")
    today = utcnow().date().isoformat()
    done = post(cora, plan_id, "/decisions", {"topic": "Diabetes medicines", "options": "Start insulin\n"
                                              "Add a second tablet\n", "choice": "Add a second tablet",
                                              "decided_on": today, "present": "Ana Rivera\nCora (coordinator)"})
    assert "Shared decision recorded." in done.text
    with db.unit_of_work() as s:
        decision = s.scalars(select(CarePlanDecision)).one()
        assert decision.options == ["Start insulin", "Add a second tablet"]
        assert decision.present == ["Ana Rivera", "Cora (coordinator)"]
    before = counts()
    wrong = post(cora, plan_id, "/decisions", {"topic": "Diet", "options": "Low carb\nMediterranean",
                                               "choice": "Keto", "decided_on": today, "present": "Ana"})
    assert wrong.status_code == 422 and "one of the options" in wrong.text and 'value="Keto"' in wrong.text
    empty = post(cora, plan_id, "/decisions", {"topic": "", "options": "", "choice": "", "decided_on": "",
                                               "present": ""})
    assert empty.status_code == 422 and len(field_errors(empty.text)) == 5
    assert counts() == before


def test_imported_plans_have_no_forms(personas: Personas, browser: Callable[[str], Browser]) -> None:
    plan_id = make_plan(personas)
    plan = plan_row(plan_id)
    with db.unit_of_work() as s:
        careplans.add_entry(s, personas.actor(s, personas.coordinator_id), plan.public_id,
                            EntryIn(version=plan.version, kind=EntryKind.barrier, text="Stairs"))
    with db.unit_of_work() as s:
        s.scalars(select(CarePlan)).one().kind = None
    page = browser("cora").get(f"/care-plans/{plan_id}")
    assert "Add a goal" not in page.text and "Mark resolved" not in page.text
