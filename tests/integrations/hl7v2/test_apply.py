"""Applying stored ADT messages to encounters in the worker: events, cancels, duplicates, matching."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from careloop.clock import utcnow
from careloop.integrations.hl7v2 import apply as apply_module
from careloop.integrations.hl7v2.adt import AdtMessage, Identifier
from careloop.integrations.hl7v2.matching import match_patient, match_patients
from careloop.integrations.hl7v2.store import APPLY_JOB
from careloop.jobs_registry import build_registry
from careloop.models import (
    AuditEvent,
    Encounter,
    EncounterChange,
    EncounterClass,
    EncounterStatus,
    Hl7Message,
    Hl7MessageStatus,
    OutboxEvent,
    Patient,
    PatientIdentifier,
)
from careloop.models.jobs import Job, JobStatus
from careloop.worker.runner import Worker
from tests.factories import make_patient
from tests.integrations.hl7v2.helpers import ADMITTED, adt, discharge, feed, run_worker


def _patient(session: Session) -> Patient:
    patient = make_patient(session, mrn="MRN000001")
    session.commit()
    return patient


def _events(session: Session) -> list[OutboxEvent]:
    return list(session.scalars(select(OutboxEvent).where(OutboxEvent.type.like("encounter.%"))
                                .order_by(OutboxEvent.id)))


def _encounter(session: Session) -> Encounter:
    return session.scalars(select(Encounter)).one()


def test_admission_then_discharge_finishes_the_encounter_with_its_disposition(session: Session) -> None:
    patient = _patient(session)
    feed(adt("A01", "C1"), discharge("C2", disposition="03"))
    run_worker()
    encounter = _encounter(session)
    assert encounter.patient_id == patient.id
    assert encounter.class_code is EncounterClass.inpatient
    assert encounter.status is EncounterStatus.finished
    assert encounter.period_start == ADMITTED
    assert encounter.period_end == ADMITTED + timedelta(days=3)
    assert encounter.discharge_disposition == "snf"  # NUBC 03 skilled nursing facility
    assert (encounter.facility, encounter.location) == ("GHH", "4E 136 B")
    admitted, discharged = _events(session)
    assert admitted.type == "encounter.admitted"
    assert discharged.type == "encounter.discharged"
    assert discharged.payload == {
        "event_key": "hl7:CARELOOP-SIM:C2", "patient_id": patient.id, "encounter_id": encounter.id,
        "encounter_class": "inpatient", "facility": "GHH", "location": "4E 136 B",
        "occurred_at": "2026-03-09T09:15:00+00:00", "admitted_at": "2026-03-06T09:15:00+00:00",
        "discharged_at": "2026-03-09T09:15:00+00:00", "discharge_disposition": "snf", "admission_type": "E",
        "cancelled_event_key": None,
    }
    statuses = session.scalars(select(Hl7Message.status)).all()
    assert statuses == [Hl7MessageStatus.applied, Hl7MessageStatus.applied]


def test_each_trigger_emits_the_contracted_event_type(session: Session) -> None:
    _patient(session)
    feed(adt("A04", "E1", visit="ED1", patient_class="E"),
         adt("A01", "E2", visit="ED2", patient_class="E"),
         adt("A04", "O1", visit="OP1", patient_class="O"), adt("A06", "O2", visit="OP1", patient_class="I"),
         adt("A07", "O3", visit="OP1", patient_class="O"), adt("A08", "O4", visit="OP1", location="5W^2^A"),
         adt("A02", "O5", visit="OP1", location="ICU^1^A"))
    run_worker()
    assert [e.type for e in _events(session)] == [
        "encounter.ed_visit", "encounter.ed_visit", "encounter.ed_visit", "encounter.admitted",
        "encounter.updated", "encounter.updated", "encounter.transferred"]
    classes = [e.payload["encounter_class"] for e in _events(session)]
    assert classes == ["emergency", "emergency", "outpatient", "inpatient", "outpatient", "inpatient",
                       "inpatient"]


def test_a_resent_message_is_stored_and_applied_once(session: Session) -> None:
    _patient(session)
    feed(adt("A01", "C1"), adt("A01", "C1"))
    feed(adt("A01", "C1"))
    run_worker()
    assert session.scalar(select(func.count()).select_from(Hl7Message)) == 1
    assert session.scalar(select(func.count()).select_from(EncounterChange)) == 1
    assert len(_events(session)) == 1


def test_cancel_discharge_restores_the_stay_and_names_the_event_it_undoes(session: Session) -> None:
    _patient(session)
    feed(adt("A01", "C1"), discharge("C2", disposition="01"), adt("A13", "C3"))
    run_worker()
    encounter = _encounter(session)
    assert encounter.status is EncounterStatus.in_progress
    assert encounter.period_end is None
    assert encounter.discharge_disposition is None
    cancelled = _events(session)[-1]
    assert cancelled.type == "encounter.event_cancelled"
    assert cancelled.payload["cancelled_event_key"] == "hl7:CARELOOP-SIM:C2"
    history = session.scalars(select(EncounterChange).order_by(EncounterChange.id)).all()
    assert [(c.trigger, c.cancelled_by_key) for c in history] == [
        ("A01", None), ("A03", "hl7:CARELOOP-SIM:C3"), ("A13", None)]


def test_cancel_transfer_puts_the_patient_back_in_the_earlier_bed(session: Session) -> None:
    _patient(session)
    feed(adt("A01", "C1"), adt("A02", "C2", location="ICU^4^A^GHH"), adt("A12", "C3"))
    run_worker()
    assert _encounter(session).location == "4E 136 B"
    assert _events(session)[-1].payload["cancelled_event_key"] == "hl7:CARELOOP-SIM:C2"


def test_cancel_admit_cancels_the_encounter_it_created(session: Session) -> None:
    _patient(session)
    feed(adt("A01", "C1"), adt("A11", "C2"))
    run_worker()
    assert _encounter(session).status is EncounterStatus.cancelled
    assert _events(session)[-1].payload["cancelled_event_key"] == "hl7:CARELOOP-SIM:C1"


def test_a_cancel_failing_after_it_marked_the_change_it_undoes_leaves_that_change_as_it_was(
        session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    _patient(session)
    real_visit_of = apply_module._visit_of

    def failing_for_c3(session: Session, batch: object, message: AdtMessage, encounter: object) -> object:
        if message.control_id == "C3":  # the undone A03 is marked cancelled by now: its savepoint undoes that
            raise RuntimeError("boom")
        return real_visit_of(session, batch, message, encounter)  # type: ignore[arg-type]

    monkeypatch.setattr(apply_module, "_visit_of", failing_for_c3)
    feed(adt("A01", "C1"), discharge("C2", disposition="01"), adt("A13", "C3"), adt("A08", "C4"))
    run_worker()
    statuses = [m.status for m in session.scalars(select(Hl7Message).order_by(Hl7Message.id))]
    assert statuses == [Hl7MessageStatus.applied] * 2 + [Hl7MessageStatus.failed, Hl7MessageStatus.applied]
    history = session.scalars(select(EncounterChange).order_by(EncounterChange.id)).all()
    assert [(c.trigger, c.cancelled_by_key) for c in history] == [("A01", None), ("A03", None), ("A08", None)]
    assert _encounter(session).status is EncounterStatus.finished


def test_a_cancel_with_nothing_to_cancel_fails_with_its_reason_and_the_feed_goes_on(session: Session) -> None:
    _patient(session)
    feed(adt("A13", "C1", visit="V9"), adt("A01", "C2"))
    run_worker()
    failed, applied = session.scalars(select(Hl7Message).order_by(Hl7Message.id)).all()
    assert failed.status is Hl7MessageStatus.failed
    assert "nothing to cancel" in (failed.error or "")
    assert applied.status is Hl7MessageStatus.applied


def test_a_discharge_for_a_visit_never_seen_starts_its_encounter(session: Session) -> None:
    _patient(session)
    feed(discharge("C1", visit="V7"))
    run_worker()
    encounter = _encounter(session)
    assert (encounter.status, encounter.period_start) == (EncounterStatus.finished, ADMITTED)


def test_unknown_identifiers_are_held_and_later_messages_wait_behind_them(session: Session) -> None:
    _patient(session)
    feed(adt("A01", "C1", mrn="UNKNOWN1"), discharge("C2", mrn="UNKNOWN1"), adt("A01", "C3", visit="V2"))
    run_worker()
    rows = session.scalars(select(Hl7Message).order_by(Hl7Message.id)).all()
    assert [r.status for r in rows] == [Hl7MessageStatus.held, Hl7MessageStatus.held, Hl7MessageStatus.applied]
    assert (rows[0].error or "").startswith("unmatched")
    assert "waiting in the review queue" in (rows[1].error or "")


def test_an_identifier_on_two_patients_is_ambiguous(session: Session) -> None:
    _patient(session)
    other = make_patient(session, "Okafor", "Ben", mrn="X1")
    session.commit()
    session.add(PatientIdentifier(patient_id=other.id, system="urn:other", value="MRN000001", type_code="MR"))
    session.commit()
    text = adt("A01", "C1").replace("MRN000001^^^urn:careloop:mrn^MR", "MRN000001^^^urn:careloop:mrn^MR~"
                                    "MRN000001^^^urn:other^MR")
    feed(text)
    run_worker()
    row = session.scalars(select(Hl7Message)).one()
    assert row.status is Hl7MessageStatus.held
    assert (row.error or "").startswith("ambiguous: 2 patients")


def test_applying_is_audited_as_the_feed_on_the_patient(session: Session) -> None:
    patient = _patient(session)
    feed(adt("A01", "C1"))
    run_worker()
    audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "hl7v2.apply")).one()
    assert (audit.patient_id, audit.actor_username, audit.channel) == (patient.id, "hl7v2-feed", "hl7v2")


# Batches: the worker reads the held identifiers, the matches and the visits once per batch of messages, writes
# the audit rows and outbox events with one INSERT each, and still applies each message in its own savepoint.


def test_a_message_failing_half_way_through_a_batch_leaves_nothing_and_the_others_apply(
        session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    patient = _patient(session)
    real_event_type = apply_module._event_type

    def failing_for_c2(message: AdtMessage) -> str:
        if message.control_id == "C2":  # after C2's encounter got its key and its visit was kept by the batch
            raise RuntimeError("boom")
        return real_event_type(message)

    monkeypatch.setattr(apply_module, "_event_type", failing_for_c2)
    feed(adt("A01", "C1", visit="V1"), adt("A01", "C2", visit="V2"), discharge("C3", visit="V2"))
    run_worker()
    first, second, third = session.scalars(select(Hl7Message).order_by(Hl7Message.id)).all()
    assert (first.status, third.status) == (Hl7MessageStatus.applied, Hl7MessageStatus.applied)
    assert (second.status, second.error, second.encounter_id) == (Hl7MessageStatus.failed, "internal error: boom",
                                                                  None)
    # C2's visit was rolled back with it, so C3 (a discharge for a visit never seen) started V2's encounter.
    v2 = session.get_one(Encounter, third.encounter_id)
    assert (v2.status, v2.patient_id) == (EncounterStatus.finished, patient.id)
    assert session.scalar(select(func.count()).select_from(Encounter)) == 2
    assert [c.message_id for c in session.scalars(select(EncounterChange).order_by(EncounterChange.id))] == [
        first.id, third.id]
    assert [e.payload["event_key"] for e in _events(session)] == ["hl7:CARELOOP-SIM:C1", "hl7:CARELOOP-SIM:C3"]
    audited = session.scalars(select(AuditEvent.entity_id).where(AuditEvent.action == "hl7v2.apply")
                              .order_by(AuditEvent.id)).all()
    assert audited == [str(first.public_id), str(third.public_id)]


def test_message_two_of_three_fails_with_its_reason_and_one_and_three_apply(session: Session) -> None:
    _patient(session)
    feed(adt("A01", "C1", visit="V1"), adt("A12", "C2", visit="V9"), adt("A02", "C3", visit="V1",
                                                                           location="ICU^4^A^GHH"))
    run_worker()
    rows = session.scalars(select(Hl7Message).order_by(Hl7Message.id)).all()
    assert [r.status for r in rows] == [Hl7MessageStatus.applied, Hl7MessageStatus.failed,
                                        Hl7MessageStatus.applied]
    assert rows[1].error == "nothing to cancel: no applied A02 for visit V9"
    assert _encounter(session).location == "ICU 4 A"


def test_messages_for_one_patient_in_one_batch_apply_in_arrival_order(session: Session) -> None:
    _patient(session)
    feed(adt("A01", "C1"), adt("A02", "C2", location="ICU^4^A^GHH"), discharge("C3", disposition="01"))
    run_worker()
    assert _encounter(session).status is EncounterStatus.finished
    history = session.scalars(select(EncounterChange).order_by(EncounterChange.id)).all()
    assert [c.trigger for c in history] == ["A01", "A02", "A03"]
    assert history[1].after["location"] == "ICU 4 A"
    assert history[0].before is None
    assert history[1].before == history[0].after and history[2].before == history[1].after
    assert [e.type for e in _events(session)] == ["encounter.admitted", "encounter.transferred",
                                                  "encounter.discharged"]


def test_an_identifier_held_by_an_earlier_batch_holds_the_next_batch_but_not_other_patients(
        session: Session) -> None:
    _patient(session)
    feed(adt("A01", "C1", mrn="UNKNOWN1"))
    run_worker()
    feed(adt("A02", "C2", mrn="UNKNOWN1"), adt("A01", "C3", visit="V2"))
    run_worker()
    rows = session.scalars(select(Hl7Message).order_by(Hl7Message.id)).all()
    assert [r.status for r in rows] == [Hl7MessageStatus.held, Hl7MessageStatus.held, Hl7MessageStatus.applied]
    assert "waiting in the review queue" in (rows[1].error or "")


def test_every_applied_message_of_a_batch_has_its_own_audit_row(session: Session) -> None:
    patient = _patient(session)
    other = make_patient(session, "Okafor", "Ben", mrn="X1")
    session.commit()
    feed(adt("A01", "C1"), adt("A01", "C2", mrn="X1", visit="V2"), discharge("C3"))
    run_worker()
    messages = session.scalars(select(Hl7Message).order_by(Hl7Message.id)).all()
    audits = session.scalars(select(AuditEvent).where(AuditEvent.action == "hl7v2.apply")
                             .order_by(AuditEvent.id)).all()
    assert [(a.patient_id, a.entity_type, a.entity_id) for a in audits] == [
        (patient.id, "hl7_message", str(messages[0].public_id)),
        (other.id, "hl7_message", str(messages[1].public_id)),
        (patient.id, "hl7_message", str(messages[2].public_id))]
    assert {(a.actor_username, a.channel, a.outcome) for a in audits} == {("hl7v2-feed", "hl7v2", "allowed")}


def test_matching_a_batch_answers_as_matching_each_message_alone(session: Session) -> None:
    patient = _patient(session)
    other = make_patient(session, "Okafor", "Ben", mrn="X1")
    session.add(PatientIdentifier(patient_id=other.id, system="urn:other", value="MRN000001", type_code="MR"))
    session.commit()
    mine = (Identifier("MRN000001", "urn:careloop:mrn", "MR"),)
    both = (*mine, Identifier("MRN000001", "urn:other", "MR"))
    nobody = (Identifier("MRN000001", "urn:elsewhere", "MR"),)
    same_patient_twice = (*mine, Identifier("MRN000001", "urn:careloop:mrn", "PI"))
    batch = [mine, both, nobody, same_patient_twice]
    matches = match_patients(session, batch)
    assert matches == [match_patient(session, identifiers) for identifiers in batch]
    assert [m.patient.id if m.patient else None for m in matches] == [patient.id, None, None, patient.id]
    assert (matches[1].hold_reason or "").startswith("ambiguous: 2 patients")
    assert (matches[2].hold_reason or "").startswith("unmatched")


def test_a_message_without_a_visit_number_finds_the_encounter_an_earlier_message_of_its_batch_started(
        session: Session) -> None:
    _patient(session)
    feed(adt("A01", "C1"), adt("A08", "C2", visit="", location="5W^2^A^GHH"), adt("A11", "C3", visit=""))
    run_worker()
    rows = session.scalars(select(Hl7Message).order_by(Hl7Message.id)).all()
    assert [r.status for r in rows] == [Hl7MessageStatus.applied] * 3
    encounter = _encounter(session)
    assert {r.encounter_id for r in rows} == {encounter.id}
    assert (encounter.location, encounter.status) == ("5W 2 A", EncounterStatus.cancelled)
    assert _events(session)[-1].payload["admission_type"] == "E"  # the cancel found the visit by its encounter


def test_apply_jobs_queued_together_are_one_pass_and_all_done(session: Session) -> None:
    """Each group commit of the listener queues its own apply job; the worker claims those queued together at once
    and applies the messages in one pass, in arrival order, and marks every one of them done."""
    _patient(session)
    feed(adt("A01", "G1"))
    feed(adt("A02", "G2", location="5W^1^A^GHH"))
    feed(discharge("G3"))
    worker = Worker(build_registry(), worker_id="test-worker")
    assert worker.run_next() == 3  # claimed together, applied by one pass in the claiming transaction
    jobs = session.execute(select(Job.status, func.count()).where(Job.kind == APPLY_JOB).group_by(Job.status)).all()
    assert jobs == [(JobStatus.done, 3)]
    assert session.scalars(select(Hl7Message.status)).all() == [Hl7MessageStatus.applied] * 3
    changes = session.scalars(select(EncounterChange.trigger).order_by(EncounterChange.id)).all()
    assert changes == ["A01", "A02", "A03"]


def _apply_job(session: Session, payload: dict[str, int], status: JobStatus) -> None:
    session.add(Job(kind=APPLY_JOB, payload=payload, key=f"test:{payload}:{status}", status=status,
                    run_at=utcnow(), attempts=0, max_attempts=8, created_at=utcnow()))
    session.commit()


def test_a_pass_starts_at_the_least_id_an_unfinished_apply_job_names(session: Session) -> None:
    """first_waiting: a group commit names its first message, a release the first released, a pass cut at its batch
    size the one after its last; done jobs name nothing, dead ones still do, and with no job a pass reads from 0."""
    assert apply_module.first_waiting(session) == 0
    _apply_job(session, {"first_message_id": 40}, JobStatus.queued)
    _apply_job(session, {"after_message_id": 29}, JobStatus.running)
    assert apply_module.first_waiting(session) == 30
    _apply_job(session, {"released_from": 12}, JobStatus.done)
    assert apply_module.first_waiting(session) == 30
    _apply_job(session, {"released_from": 12}, JobStatus.dead)
    assert apply_module.first_waiting(session) == 12
    _apply_job(session, {}, JobStatus.queued)
    assert apply_module.first_waiting(session) == 0


def test_messages_whose_apply_job_waits_to_be_retried_are_applied_first_by_a_later_pass(session: Session) -> None:
    """A pass that failed is retried after a backoff; the next group commit's pass, claimed meanwhile, starts at the
    retried job's messages, not at its own, so the feed is still applied in arrival order."""
    _patient(session)
    feed(adt("A01", "R1"))
    session.execute(update(Job).where(Job.kind == APPLY_JOB).values(run_at=utcnow() + timedelta(hours=1)))
    session.commit()
    feed(discharge("R2"))
    assert Worker(build_registry(), worker_id="test-worker").run_next() == 1  # the second commit's job alone
    changes = session.scalars(select(EncounterChange.trigger).order_by(EncounterChange.id)).all()
    assert changes == ["A01", "A03"]
    assert session.scalars(select(Hl7Message.status)).all() == [Hl7MessageStatus.applied] * 2


def test_a_pass_cut_at_its_batch_size_queues_one_that_goes_on_after_its_last(
        session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    _patient(session)
    monkeypatch.setattr(apply_module, "BATCH", 2)
    feed(adt("A01", "C1"), adt("A02", "C2", location="5W^1^A^GHH"), discharge("C3"))
    run_worker()
    changes = session.scalars(select(EncounterChange.trigger).order_by(EncounterChange.id)).all()
    assert changes == ["A01", "A02", "A03"]
    payloads = session.scalars(select(Job.payload).where(Job.kind == APPLY_JOB).order_by(Job.id)).all()
    first = session.scalar(select(func.min(Hl7Message.id)))
    assert payloads == [{"first_message_id": first}, {"after_message_id": first + 1}]
