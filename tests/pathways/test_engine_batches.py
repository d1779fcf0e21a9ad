"""The engine takes a worker's batch of events a step at a time (engine.process_all): each event still gets what
it would have got alone, in order: a repeat within the batch does nothing twice, a cancel undoes what came before
it in the batch and stops what comes after, and a bad event fails its batch, which the worker then runs job by
job so the others are done."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from careloop import db
from careloop.models import Job, JobStatus, PathwayWork, Readmission, Task, TaskStatus, TransitionEpisode
from careloop.pathways import engine
from tests.factories import Personas
from tests.transitions.helpers import event, make_stay, send

DISCHARGED = {"occurred": "2026-11-20T15:00:00Z", "discharged": "2026-11-20T15:00:00Z", "disposition": "home"}


def _payload(kind: str, key: str, patient_id: int, stay: int, **fields: Any) -> dict[str, Any]:
    made = event(kind, key, patient_id, stay, **fields)
    return {**made["payload"], "event_type": made["type"]}


def _tasks(patient_id: int) -> list[tuple[str, TaskStatus]]:
    with db.unit_of_work() as s:
        return [(t.type, t.status) for t in s.scalars(select(Task).where(Task.patient_id == patient_id)
                                                      .order_by(Task.id))]


def test_each_event_of_a_batch_gets_its_own_work(personas: Personas) -> None:
    first = make_stay(personas.patient_id, "2026-11-17T09:00:00Z", "2026-11-20T15:00:00Z")
    second = make_stay(personas.other_patient_id, "2026-11-17T09:00:00Z", "2026-11-20T15:00:00Z")
    batch = [_payload("discharged", "adt:1:A03", personas.patient_id, first, **DISCHARGED),
             _payload("transferred", "adt:2:A02", personas.other_patient_id, second),
             _payload("discharged", "adt:3:A03", personas.other_patient_id, second, **DISCHARGED)]
    with db.unit_of_work() as s:
        outcomes = engine.process_all(s, batch)
    assert [(o.matched, o.created) for o in outcomes] == [
        (("tcm-discharge/community-discharge",), 5), ((), 0), (("tcm-discharge/community-discharge",), 5)]
    for patient_id in (personas.patient_id, personas.other_patient_id):
        assert [kind for kind, _ in _tasks(patient_id)] == ["follow-up-call", "appointment", "med-review"]
    with db.unit_of_work() as s:
        episodes = s.scalars(select(TransitionEpisode).order_by(TransitionEpisode.id)).all()
        assert [(e.patient_id, e.event_key) for e in episodes] == [
            (personas.patient_id, "adt:1:A03"), (personas.other_patient_id, "adt:3:A03")]
        # Each action's claim names what it made, for a later cancel.
        assert s.scalar(select(func.count()).select_from(PathwayWork).where(PathwayWork.target_id.is_(None))) == 2


def test_the_same_event_twice_in_a_batch_is_done_once(personas: Personas) -> None:
    stay = make_stay(personas.patient_id, "2026-11-17T09:00:00Z", "2026-11-20T15:00:00Z")
    again = _payload("discharged", "adt:1:A03", personas.patient_id, stay, **DISCHARGED)
    with db.unit_of_work() as s:
        outcomes = engine.process_all(s, [again, again])
    assert [o.created for o in outcomes] == [5, 0]
    assert len(_tasks(personas.patient_id)) == 3


def test_a_cancel_undoes_what_came_before_it_in_the_batch(personas: Personas) -> None:
    stay = make_stay(personas.patient_id, "2026-11-17T09:00:00Z", "2026-11-20T15:00:00Z")
    with db.unit_of_work() as s:
        outcomes = engine.process_all(s, [
            _payload("discharged", "adt:1:A03", personas.patient_id, stay, **DISCHARGED),
            _payload("event_cancelled", "adt:1:A13", personas.patient_id, stay, cancels="adt:1:A03")])
    assert [(o.created, o.undone) for o in outcomes] == [(5, 0), (0, 5)]
    assert [status for _, status in _tasks(personas.patient_id)] == [TaskStatus.cancelled] * 3


def test_a_cancel_ahead_of_its_event_in_the_batch_stops_it(personas: Personas) -> None:
    stay = make_stay(personas.patient_id, "2026-11-17T09:00:00Z", "2026-11-20T15:00:00Z")
    with db.unit_of_work() as s:
        outcomes = engine.process_all(s, [
            _payload("event_cancelled", "adt:1:A13", personas.patient_id, stay, cancels="adt:1:A03"),
            _payload("discharged", "adt:1:A03", personas.patient_id, stay, **DISCHARGED)])
    assert outcomes[1].created == 0 and outcomes[1].skipped == "cancelled by adt:1:A13 before it was processed"
    assert _tasks(personas.patient_id) == []


def test_an_event_naming_no_patient_fails_alone_and_the_rest_of_its_batch_is_done(personas: Personas) -> None:
    stay = make_stay(personas.patient_id, "2026-11-17T09:00:00Z", "2026-11-20T15:00:00Z")
    send(event("discharged", "adt:9:A03", 999_999, stay, **DISCHARGED),
         event("discharged", "adt:1:A03", personas.patient_id, stay, **DISCHARGED))
    assert len(_tasks(personas.patient_id)) == 3
    with db.unit_of_work() as s:
        failed = s.scalars(select(Job).where(Job.kind == "pathways.apply_event",
                                             Job.status != JobStatus.done)).one()
        assert failed.payload["event_key"] == "adt:9:A03"
        assert "names patient 999999, who does not exist" in (failed.last_error or "")


def test_a_readmission_in_the_batch_of_its_discharge_links_to_the_episode_the_batch_started(
        personas: Personas) -> None:
    """The episode and the links wait unwritten until the batch ends; the later events find them, and the rows go
    in parents first (the first link of this batch was added before the episode the second names)."""
    patient = personas.patient_id
    older = make_stay(patient, "2026-10-01T09:00:00Z", "2026-10-28T15:00:00Z")
    with db.unit_of_work() as s:
        engine.process_all(s, [_payload("discharged", "adt:0:A03", patient, older, occurred="2026-10-28T15:00:00Z",
                                        discharged="2026-10-28T15:00:00Z", disposition="home")])
    first = make_stay(patient, "2026-11-17T09:00:00Z", "2026-11-20T15:00:00Z")
    second = make_stay(patient, "2026-11-25T09:00:00Z")
    admitted = {"occurred": "2026-11-25T09:00:00Z", "admitted": "2026-11-25T09:00:00Z"}
    batch = [_payload("admitted", "adt:1:A01", patient, first, occurred="2026-11-17T09:00:00Z",
                      admitted="2026-11-17T09:00:00Z"),
             _payload("discharged", "adt:1:A03", patient, first, **DISCHARGED),
             _payload("admitted", "adt:2:A01", patient, second, **admitted),
             _payload("admitted", "adt:2:A06", patient, second, **admitted)]  # the same stay again: one link
    with db.unit_of_work() as s:
        engine.process_all(s, batch)
    with db.unit_of_work() as s:
        episodes = {e.encounter_id: e.id for e in s.scalars(select(TransitionEpisode))}
        links = [(r.index_encounter_id, r.readmission_encounter_id, r.episode_id)
                 for r in s.scalars(select(Readmission).order_by(Readmission.id))]
    assert links == [(older, first, episodes[older]), (first, second, episodes[first])]


def test_batches_wait_for_one_another_on_postgresql(personas: Personas, backend: str) -> None:
    """Two workers' batches run one at a time (an admission's link needs the episode the discharge before it
    started): while one holds the pathway lock, another batch waits for it; here it gives up after 100 ms."""
    if backend != "postgresql":
        pytest.skip("SQLite's write lock already runs one batch at a time")
    stay = make_stay(personas.patient_id, "2026-11-17T09:00:00Z")
    batch = [_payload("discharged", "adt:1:A03", personas.patient_id, stay, **DISCHARGED)]
    holder = db.engine().connect()
    try:
        holder.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": engine.PATHWAY_LOCK_ID})
        with pytest.raises(OperationalError, match="lock timeout"), db.unit_of_work() as s:
            s.execute(text("SET LOCAL lock_timeout = '100ms'"))
            engine.process_all(s, batch)
    finally:
        holder.rollback()
        holder.close()
    with db.unit_of_work() as s:  # the lock released: the batch goes through
        [outcome] = engine.process_all(s, batch)
    assert outcome.created > 0
