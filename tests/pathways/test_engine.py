"""The pathway engine end to end: events through the outbox and the worker become tasks, episodes, notices and
readmission links; processing again duplicates nothing; a cancel undoes its event's work and keeps the history."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from careloop import db
from careloop.errors import InvalidInput
from careloop.models import (
    AuditEvent,
    EpisodeEvent,
    EpisodeStatus,
    Job,
    JobStatus,
    Notification,
    PathwayWork,
    Task,
    TaskEvent,
    TaskStatus,
    TransitionEpisode,
)
from careloop.pathways import definitions, engine
from tests.factories import Personas
from tests.transitions.helpers import at, discharge_home, event, make_stay, send

KEY = "adt:stmarys:1001:A03"


def tasks_of(patient_id: int) -> list[Task]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(Task).where(Task.patient_id == patient_id).order_by(Task.due_at, Task.id)))


def notices(user_id: int) -> list[str]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(Notification.title).where(Notification.user_id == user_id)
                              .order_by(Notification.id)))


def test_friday_discharge_home_starts_the_tcm_clock_and_its_tasks(personas: Personas) -> None:
    discharge_home(personas.patient_id)
    with db.unit_of_work() as s:
        episode = s.scalars(select(TransitionEpisode)).one()
        assert episode.status is EpisodeStatus.active
        assert (episode.pathway, episode.pathway_version) == ("tcm-discharge", 1)
        assert str(episode.discharge_date) == "2026-11-20"
        assert str(episode.contact_due) == "2026-11-24"  # Friday -> Monday (1), Tuesday (2)
        assert episode.complexity == "moderate" and str(episode.visit_due) == "2026-12-04"
    tasks = tasks_of(personas.patient_id)
    assert [(t.type, t.due_at) for t in tasks] == [
        ("follow-up-call", at("2026-11-24T23:59:00Z")),
        ("appointment", at("2026-12-04T23:59:00Z")),
        ("med-review", at("2026-12-04T23:59:00Z")),
    ]
    # No care coordinator on this care team: the RN care manager role gets them; no pharmacist either.
    assert {t.owner_role for t in tasks} == {"rn-care-manager"}
    assert all("pathway tcm-discharge v1" in (t.description or "") for t in tasks)
    assert notices(personas.coordinator_id) == [
        "Your patient Ana Rivera was discharged home from St Mary's Hospital: transitional care has started"]


def test_processing_the_same_discharge_again_creates_nothing(personas: Personas) -> None:
    stay = discharge_home(personas.patient_id)
    again = event("discharged", KEY, personas.patient_id, stay, occurred="2026-11-20T15:00:00Z",
                  discharged="2026-11-20T15:00:00Z", disposition="home")
    send(again, again)  # the feed re-sent it, twice
    with db.unit_of_work() as s:
        outcome = engine.process(s, {**again["payload"], "event_type": again["type"]})
    assert outcome.created == 0 and outcome.matched == ("tcm-discharge/community-discharge",)
    assert len(tasks_of(personas.patient_id)) == 3
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(TransitionEpisode)) == 1
        assert s.scalar(select(func.count()).select_from(PathwayWork)) == 5
        assert s.scalar(select(func.count()).select_from(Job).where(Job.status != JobStatus.done)) == 0
    assert len(notices(personas.coordinator_id)) == 1


@pytest.mark.parametrize("disposition", ["snf", "rehab", "hosp", "exp", "aadvice", "long"])
def test_a_discharge_to_a_facility_or_death_starts_no_transition(personas: Personas, disposition: str) -> None:
    discharge_home(personas.patient_id, disposition=disposition)
    assert tasks_of(personas.patient_id) == []
    with db.unit_of_work() as s:
        assert s.scalars(select(TransitionEpisode)).all() == []


def test_observation_stay_discharged_home_qualifies(personas: Personas) -> None:
    discharge_home(personas.patient_id, klass="observation")
    assert len(tasks_of(personas.patient_id)) == 3


def test_admission_and_ed_visit_reach_the_care_team(personas: Personas) -> None:
    stay = make_stay(personas.patient_id, "2026-11-17T09:00:00Z")
    ed = make_stay(personas.patient_id, "2026-11-10T22:00:00Z", "2026-11-11T02:00:00Z", klass="emergency")
    send(event("ed_visit", "adt:1:A04", personas.patient_id, ed, klass="emergency", occurred="2026-11-10T22:00:00Z"),
         event("admitted", "adt:2:A01", personas.patient_id, stay, occurred="2026-11-17T09:00:00Z"))
    expected = ["Your patient Ana Rivera is in the emergency department at St Mary's Hospital",
                "Your patient Ana Rivera was admitted to St Mary's Hospital"]
    assert notices(personas.coordinator_id) == expected
    assert notices(personas.teammate_id) == expected  # through the team on the care team
    assert notices(personas.outsider_id) == []
    with db.unit_of_work() as s:
        applied = s.scalars(select(AuditEvent.action).where(AuditEvent.action == "pathway.apply")).all()
        assert len(applied) == 2


def test_cancelled_discharge_cancels_its_tasks_and_voids_the_episode(personas: Personas) -> None:
    stay = discharge_home(personas.patient_id)
    send(event("event_cancelled", "adt:stmarys:1001:A13", personas.patient_id, stay, cancels=KEY))
    tasks = tasks_of(personas.patient_id)
    assert [t.status for t in tasks] == [TaskStatus.cancelled] * 3
    assert all("the hospital cancelled the discharge of Ana Rivera" in (t.status_reason or "") for t in tasks)
    with db.unit_of_work() as s:
        episode = s.scalars(select(TransitionEpisode)).one()
        assert episode.status is EpisodeStatus.entered_in_error  # kept, not deleted
        assert [e.action for e in s.scalars(select(EpisodeEvent).order_by(EpisodeEvent.id))] == [
            "started", "entered-in-error"]
        assert s.scalar(select(func.count()).select_from(TaskEvent).where(TaskEvent.action == "cancel")) == 3
        work = s.scalars(select(PathwayWork)).all()
        assert all(w.undone_at is not None and w.undo_reason for w in work)
    assert notices(personas.coordinator_id)[-1].startswith("Correction: the hospital cancelled the discharge")


def test_a_cancel_leaves_completed_work_alone(personas: Personas) -> None:
    stay = discharge_home(personas.patient_id)
    with db.unit_of_work() as s:
        call = s.scalars(select(Task).where(Task.type == "follow-up-call")).one()
        call.status = TaskStatus.completed
    send(event("event_cancelled", "adt:stmarys:1001:A13", personas.patient_id, stay, cancels=KEY))
    assert [t.status for t in tasks_of(personas.patient_id)] == [
        TaskStatus.completed, TaskStatus.cancelled, TaskStatus.cancelled]
    with db.unit_of_work() as s:
        undo = s.scalars(select(PathwayWork.undo_reason).where(PathwayWork.action == "create_task")).all()
        assert any("already completed; left as it is" in (u or "") for u in undo)


def test_a_cancel_that_arrives_first_stops_its_event(personas: Personas) -> None:
    stay = make_stay(personas.patient_id, "2026-11-17T09:00:00Z", "2026-11-20T15:00:00Z")
    send(event("event_cancelled", "adt:stmarys:1001:A13", personas.patient_id, stay, cancels=KEY))
    send(event("discharged", KEY, personas.patient_id, stay, discharged="2026-11-20T15:00:00Z", disposition="home"))
    assert tasks_of(personas.patient_id) == []


def test_a_malformed_event_is_refused_with_the_reason_and_changes_nothing(personas: Personas) -> None:
    with db.unit_of_work() as s, pytest.raises(InvalidInput, match="occurred_at"):
        engine.process(s, {"event_type": "encounter.discharged", "event_key": "k", "patient_id": personas.patient_id,
                           "encounter_id": 1, "occurred_at": "2026-11-20T15:00:00"})  # no timezone
    with db.unit_of_work() as s, pytest.raises(InvalidInput, match="cancelled_event_key"):
        engine.process(s, {"event_type": "encounter.event_cancelled", "event_key": "k",
                           "patient_id": personas.patient_id, "occurred_at": "2026-11-20T15:00:00Z"})
    with db.unit_of_work() as s:
        assert s.scalars(select(PathwayWork)).all() == []


def test_definitions_are_checked_when_loaded() -> None:
    base = {"id": "p", "version": 1, "title": "t", "rules": [{"id": "r", "on": ["encounter.discharged"],
                                                              "actions": [{"do": "create_task"}]}]}
    with pytest.raises(definitions.DefinitionError, match="owner_roles"):
        definitions.parse(base, origin="p.json")
    care_plan = {**base, "rules": [{"id": "r", "on": ["encounter.discharged"],
                                    "actions": [{"do": "apply_care_plan_template", "template": "hf"}]}]}
    with pytest.raises(definitions.DefinitionError, match="unknown action 'apply_care_plan_template'"):
        definitions.parse(care_plan, origin="p.json")
    typo = {**base, "rules": [{"id": "r", "on": ["encounter.discharge"], "actions": [{"do": "start_episode"}]}]}
    with pytest.raises(definitions.DefinitionError, match="unknown event type"):
        definitions.parse(typo, origin="p.json")
    condition = {**base, "rules": [{"id": "r", "on": ["encounter.discharged"], "when": {"class": ["inpatient"]},
                                    "actions": [{"do": "start_episode"}]}]}
    with pytest.raises(definitions.DefinitionError, match="unknown condition 'class'"):
        definitions.parse(condition, origin="p.json")



def test_two_high_risk_chronic_conditions_make_the_episode_high_complexity(personas: Personas) -> None:
    """transitions.complexity's rule through the engine, which hands it the diagnoses it read for its whole batch:
    heart failure (I50.9) and chronic kidney disease (N18.4) are two HEDIS FMC groups, so the visit is due in 7
    days (99496), not 14: a Friday 2026-11-20 discharge -> visit by Friday 2026-11-27. A resolved diagnosis (COPD)
    does not count."""
    from careloop.models import Condition, ConditionClinicalStatus
    from careloop.transitions import complexity
    with db.unit_of_work() as s:
        for icd10, status in (("I509", ConditionClinicalStatus.active), ("N184", ConditionClinicalStatus.active),
                              ("J449", ConditionClinicalStatus.resolved)):
            s.add(Condition(patient_id=personas.patient_id, code_system="icd10cm", code=icd10, icd10=icd10,
                            display=icd10, recorded_at=at("2026-01-05T10:00:00Z"), clinical_status=status))
    discharge_home(personas.patient_id)
    with db.unit_of_work() as s:
        episode = s.scalars(select(TransitionEpisode)).one()
        assert (episode.complexity, str(episode.visit_due)) == ("high", "2026-11-27")
        assert episode.complexity_reason == "2 high-risk chronic conditions (chronic kidney disease, heart failure)"
        # The same answer when the rule reads the diagnoses itself (a coordinator's episode, no batch).
        assert complexity.choose(s, personas.patient_id, None, None) == (
            complexity.Complexity.high, episode.complexity_reason)

def test_a_pathway_with_a_patient_condition_rule(personas: Personas) -> None:
    from careloop.models import Condition, ConditionClinicalStatus
    with db.unit_of_work() as s:
        s.add(Condition(patient_id=personas.patient_id, code_system="icd10cm", code="I509", icd10="I509",
                        display="Heart failure", recorded_at=at("2026-01-05T10:00:00Z"),
                        clinical_status=ConditionClinicalStatus.active))
    hf = definitions.parse({"id": "hf-admission", "version": 2, "title": "HF admission", "rules": [{
        "id": "hf", "on": ["encounter.admitted"], "when": {"patient_has_condition": ["I50"],
                                                           "on_care_team_role": ["rn-care-manager"]},
        "actions": [{"do": "create_task", "type": "safety", "title": "Heart failure admission: review {patient}",
                     "owner_roles": ["rn-care-manager"], "due": {"business_days": 1}}]}]}, origin="test")
    stay = make_stay(personas.patient_id, "2026-11-20T09:00:00Z")  # a Friday
    payload = {**event("admitted", "adt:9:A01", personas.patient_id, stay, occurred="2026-11-20T09:00:00Z")["payload"],
               "event_type": "encounter.admitted"}
    with db.unit_of_work() as s:
        assert engine.process(s, payload, [hf]).created == 1
    [task] = tasks_of(personas.patient_id)
    assert task.title == "Heart failure admission: review Ana Rivera"
    assert task.due_at == at("2026-11-23T23:59:00Z")  # the next business day after a Friday
    assert "pathway hf-admission v2, rule hf" in (task.description or "")


def _work_of(key: str) -> list[tuple[str, str | None, int | None]]:
    with db.unit_of_work() as s:
        return list(s.execute(select(PathwayWork.action, PathwayWork.target_type, PathwayWork.target_id)
                              .where(PathwayWork.event_key == key).order_by(PathwayWork.id)).tuples())


def test_a_new_events_work_is_recorded_with_what_each_action_made(personas: Personas) -> None:
    """A first-time event's work rows are written once, at the end, each naming what its action made."""
    discharge_home(personas.patient_id)
    work = _work_of(KEY)
    with db.unit_of_work() as s:
        episode_id = s.scalars(select(TransitionEpisode.id)).one()
    task_ids = [t.id for t in sorted(tasks_of(personas.patient_id), key=lambda t: t.id)]
    assert [(action, target) for action, target, _ in work] == [
        ("start_episode", "episode"), ("create_task", "task"), ("create_task", "task"), ("create_task", "task"),
        ("notify_care_team", None)]
    assert [target_id for _, _, target_id in work] == [episode_id, *task_ids, None]


def test_an_event_seen_before_gets_only_the_work_it_lacks(personas: Personas) -> None:
    """Processed again under a pathway that gained a rule: the new rule's work is claimed and done, with its target
    set on the claimed row; the work done the first time is not done again."""
    hf_rule = {"id": "hf", "on": ["encounter.admitted"],
               "actions": [{"do": "create_task", "type": "safety", "title": "Review {patient}",
                            "owner_roles": ["rn-care-manager"], "due": {"business_days": 1}}]}
    first = definitions.parse({"id": "admission", "version": 1, "title": "Admission", "rules": [hf_rule]},
                              origin="test")
    second = definitions.parse({"id": "admission", "version": 2, "title": "Admission", "rules": [
        hf_rule, {**hf_rule, "id": "hf-second", "actions": [{**hf_rule["actions"][0], "type": "med-review"}]}]},
        origin="test")
    stay = make_stay(personas.patient_id, "2026-11-20T09:00:00Z")
    payload = {**event("admitted", "adt:9:A01", personas.patient_id, stay, occurred="2026-11-20T09:00:00Z")["payload"],
               "event_type": "encounter.admitted"}
    with db.unit_of_work() as s:
        assert engine.process(s, payload, [first]).created == 1
    with db.unit_of_work() as s:
        assert engine.process(s, payload, [second]).created == 1
    tasks = sorted(tasks_of(personas.patient_id), key=lambda t: t.id)
    assert [t.type for t in tasks] == ["safety", "med-review"]
    assert _work_of("adt:9:A01") == [("create_task", "task", tasks[0].id), ("create_task", "task", tasks[1].id)]
