"""Adding and ending care-team memberships, and what that does to access."""

from __future__ import annotations

from fastapi.testclient import TestClient

from careloop import db
from careloop.models import Patient, User
from tests.conftest import BearerFor
from tests.factories import Personas


def _ids(personas: Personas) -> tuple[str, str]:
    with db.unit_of_work() as s:
        patient, outsider = s.get(Patient, personas.patient_id), s.get(User, personas.outsider_id)
        assert patient is not None and outsider is not None
        return str(patient.public_id), str(outsider.public_id)


def test_adding_a_member_grants_access_and_ending_revokes_it(client: TestClient, personas: Personas,
                                                            bearer_for: BearerFor) -> None:
    patient_id, outsider_id = _ids(personas)
    coordinator, outsider = bearer_for(personas.coordinator_id), bearer_for(personas.outsider_id)
    assert client.get(f"/api/v1/patients/{patient_id}", headers=outsider).status_code == 403
    added = client.post(f"/api/v1/patients/{patient_id}/care-team",
                        json={"role": "pharmacist", "user_id": outsider_id}, headers=coordinator)
    assert added.status_code == 201, added.text
    assert added.json()["name"] == "Oscar" and added.json()["kind"] == "user"
    assert client.get(f"/api/v1/patients/{patient_id}", headers=outsider).status_code == 200
    ended = client.post(f"/api/v1/care-team-members/{added.json()['id']}/end", json={"reason": "covering ended"},
                        headers=coordinator)
    assert ended.status_code == 200 and ended.json()["ended"] is not None
    assert client.get(f"/api/v1/patients/{patient_id}", headers=outsider).status_code == 403


def test_family_caregiver_without_account(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    patient_id, _ = _ids(personas)
    added = client.post(f"/api/v1/patients/{patient_id}/care-team",
                        json={"role": "family-caregiver", "name": "Marco Rivera (son)", "contact": "555-0101"},
                        headers=bearer_for(personas.coordinator_id))
    assert added.status_code == 201
    assert (added.json()["kind"], added.json()["contact"]) == ("person", "555-0101")


def test_duplicate_and_ambiguous_members_are_refused(client: TestClient, personas: Personas,
                                                     bearer_for: BearerFor) -> None:
    patient_id, outsider_id = _ids(personas)
    headers = bearer_for(personas.coordinator_id)
    both = client.post(f"/api/v1/patients/{patient_id}/care-team",
                       json={"role": "pharmacist", "user_id": outsider_id, "name": "X"}, headers=headers)
    assert both.status_code == 422 and "exactly one member" in both.text
    body = {"role": "family-caregiver", "name": "Lucia Rivera (daughter)"}
    again = client.post(f"/api/v1/patients/{patient_id}/care-team", json=body, headers=headers)
    assert again.status_code == 409


def test_ending_twice_is_a_conflict(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    patient_id, _ = _ids(personas)
    headers = bearer_for(personas.coordinator_id)
    member = client.get(f"/api/v1/patients/{patient_id}/care-team", headers=headers).json()[0]
    url = f"/api/v1/care-team-members/{member['id']}/end"
    assert client.post(url, json={"reason": "moved"}, headers=headers).status_code == 200
    assert client.post(url, json={"reason": "moved"}, headers=headers).status_code == 409
