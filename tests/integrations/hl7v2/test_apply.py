"""Applying stored ADT messages to encounters in the worker: events, cancels, duplicates, matching."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
)
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
    from careloop.models import PatientIdentifier

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
