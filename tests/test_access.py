from __future__ import annotations

import pytest
from sqlalchemy import select

from careloop import access, db
from careloop.access import Permission
from careloop.errors import Forbidden
from careloop.models import AuditEvent, Patient
from tests.factories import Personas


def test_coordinator_on_care_team_is_allowed_and_audited(personas: Personas) -> None:
    with db.unit_of_work() as s:
        actor = personas.actor(s, personas.coordinator_id)
        patient = s.get(Patient, personas.patient_id)
        access.require(s, actor, Permission.patient_read, patient, action="patient.read")
    with db.unit_of_work() as s:
        row = s.scalars(select(AuditEvent)).one()
        assert (row.actor_id, row.action, row.outcome, row.patient_id) == (
            personas.coordinator_id, "patient.read", "allowed", personas.patient_id)


def test_teammate_reaches_patient_through_team(personas: Personas) -> None:
    with db.unit_of_work() as s:
        actor = personas.actor(s, personas.teammate_id)
        access.require(s, actor, Permission.task_write, s.get(Patient, personas.patient_id), action="task.create")


def test_outsider_refused_and_refusal_survives_rollback(personas: Personas) -> None:
    with pytest.raises(Forbidden), db.unit_of_work() as s:
        actor = personas.actor(s, personas.outsider_id)
        access.require(s, actor, Permission.patient_read, s.get(Patient, personas.patient_id), action="patient.read")
    with db.unit_of_work() as s:
        row = s.scalars(select(AuditEvent)).one()
        assert (row.actor_id, row.outcome, row.patient_id) == (personas.outsider_id, "denied", personas.patient_id)


def test_admin_sees_no_clinical_data(personas: Personas) -> None:
    with pytest.raises(Forbidden), db.unit_of_work() as s:
        actor = personas.actor(s, personas.admin_id)
        access.require(s, actor, Permission.patient_read, s.get(Patient, personas.patient_id), action="patient.read")


def test_visible_patients_are_only_the_care_team_ones(personas: Personas) -> None:
    with db.unit_of_work() as s:
        coordinator = personas.actor(s, personas.coordinator_id)
        outsider = personas.actor(s, personas.outsider_id)
        assert set(s.scalars(access.visible_patient_ids(coordinator))) == {personas.patient_id}
        assert set(s.scalars(access.visible_patient_ids(outsider))) == {personas.other_patient_id}


def test_audit_trail_cannot_be_rewritten(personas: Personas) -> None:
    with db.unit_of_work() as s:
        actor = personas.actor(s, personas.coordinator_id)
        access.require(s, actor, Permission.patient_read, s.get(Patient, personas.patient_id), action="patient.read")
    with pytest.raises(Exception, match="append-only"), db.unit_of_work() as s:
        row = s.scalars(select(AuditEvent)).one()
        row.action = "patient.nothing-to-see"
        s.flush()
