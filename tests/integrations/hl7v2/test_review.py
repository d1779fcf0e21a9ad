"""The ADT review queue through the JSON API: held messages, candidates, link, create, and who may."""

from __future__ import annotations

from uuid import UUID

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from careloop import db
from careloop.models import (
    AuditEvent,
    CareTeamMember,
    Encounter,
    Hl7Message,
    Hl7MessageStatus,
    Patient,
    PatientIdentifier,
)
from tests.conftest import BearerFor
from tests.factories import Personas
from tests.integrations.hl7v2.helpers import adt, discharge, feed, run_worker

REVIEW = "/api/v1/hl7/review"


def public_id(patient_id: int) -> str:
    """Read in a transaction of its own: on SQLite an open one would hold the write lock the API needs."""
    with db.unit_of_work() as s:
        return str(s.get_one(Patient, patient_id).public_id)


def _hold_two(mrn: str = "HOSP-77") -> None:
    """An admission and a discharge for Ana Rivera under the hospital's own number, unknown to careloop."""
    feed(adt("A01", "H1", mrn=mrn), discharge("H2", mrn=mrn))
    run_worker()


def test_the_queue_shows_the_message_beside_the_patients_i_may_see(
        client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    _hold_two()
    listing = client.get(REVIEW, headers=bearer_for(personas.coordinator_id))
    assert listing.status_code == 200, listing.text
    (held,) = listing.json()["items"]
    assert (held["held_count"], held["family"], held["given"], held["birth_date"], held["sex"]) == (
        2, "Rivera", "Ana", "1948-03-14", "female")
    assert held["identifier"] == {"system": "urn:careloop:mrn", "value": "HOSP-77"}
    detail = client.get(f"{REVIEW}/{held['message_id']}", headers=bearer_for(personas.coordinator_id)).json()
    assert [c["name"] for c in detail["candidates"]] == ["Rivera, Ana"]  # not Okafor, outside her care teams


def test_linking_applies_the_held_messages_in_order(client: TestClient, personas: Personas,
                                                    bearer_for: BearerFor, session: Session) -> None:
    _hold_two()
    held = client.get(REVIEW, headers=bearer_for(personas.coordinator_id)).json()["items"][0]
    linked = client.post(f"{REVIEW}/{held['message_id']}/link", json={"patient_id": public_id(personas.patient_id)},
                         headers=bearer_for(personas.coordinator_id))
    assert linked.status_code == 200, linked.text
    assert linked.json()["released"] == 2
    run_worker()
    session.expire_all()
    assert {r.status for r in session.scalars(select(Hl7Message))} == {Hl7MessageStatus.applied}
    encounter = session.scalars(select(Encounter)).one()
    assert (encounter.patient_id, encounter.status.value) == (personas.patient_id, "finished")
    assert session.scalar(select(PatientIdentifier).where(PatientIdentifier.value == "HOSP-77")) is not None
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "hl7v2.review.link",
                                                   AuditEvent.patient_id == personas.patient_id)) is not None


def test_creating_the_patient_puts_me_on_the_care_team(client: TestClient, personas: Personas,
                                                       bearer_for: BearerFor, session: Session) -> None:
    _hold_two()
    held = client.get(REVIEW, headers=bearer_for(personas.coordinator_id)).json()["items"][0]
    created = client.post(f"{REVIEW}/{held['message_id']}/create-patient",
                          headers=bearer_for(personas.coordinator_id))
    assert created.status_code == 200, created.text
    run_worker()
    patient = session.scalar(select(Patient).where(Patient.public_id == UUID(created.json()["patient_id"])))
    assert patient is not None and patient.display_name == "Rivera, Ana"
    member = session.scalars(select(CareTeamMember).where(CareTeamMember.patient_id == patient.id)).one()
    assert member.user_id == personas.coordinator_id
    assert session.scalars(select(Encounter.patient_id)).one() == patient.id


def test_an_outsider_cannot_link_to_a_patient_off_their_care_teams(
        client: TestClient, personas: Personas, bearer_for: BearerFor, session: Session) -> None:
    _hold_two()
    held = client.get(REVIEW, headers=bearer_for(personas.outsider_id)).json()["items"][0]
    refused = client.post(f"{REVIEW}/{held['message_id']}/link", json={"patient_id": public_id(personas.patient_id)},
                          headers=bearer_for(personas.outsider_id))
    assert refused.status_code == 403
    session.expire_all()
    assert {r.status for r in session.scalars(select(Hl7Message))} == {Hl7MessageStatus.held}
    assert session.scalar(select(PatientIdentifier).where(PatientIdentifier.value == "HOSP-77")) is None


def test_roles_without_review_see_no_queue(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    _hold_two()
    for user_id in (personas.admin_id, personas.teammate_id):  # an administrator; a social worker
        assert client.get(REVIEW, headers=bearer_for(user_id)).status_code == 403


def test_an_identifier_already_on_another_patient_is_a_conflict(
        client: TestClient, personas: Personas, bearer_for: BearerFor, session: Session) -> None:
    _hold_two()
    session.add(PatientIdentifier(patient_id=personas.other_patient_id, system="urn:careloop:mrn", value="HOSP-77",
                                  type_code="MR"))
    session.commit()
    held = client.get(REVIEW, headers=bearer_for(personas.coordinator_id)).json()["items"][0]
    refused = client.post(f"{REVIEW}/{held['message_id']}/link", json={"patient_id": public_id(personas.patient_id)},
                          headers=bearer_for(personas.coordinator_id))
    assert refused.status_code == 409
    assert "already belongs to another patient" in refused.text
