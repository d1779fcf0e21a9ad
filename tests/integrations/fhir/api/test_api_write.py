"""create and update (FHIR R4 http.html#create, #update): version ids, Location/ETag/Last-Modified, If-Match
(412 on a stale version), conditional create (If-None-Exist), Prefer: return, and a written resource stored,
indexed and mapped into careloop's tables as an imported one is. Access, scopes and audit on every write."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from careloop.models import AuditEvent, FhirResource, Observation, Patient
from careloop.models.audit import AuditOutcome
from tests.integrations.fhir.api.conftest import BASE, FRANKIE, Imported, TokenFor, get

R4B = pytest.importorskip("fhir.resources.R4B", reason="pip install 'fhir.resources>=8' (dev extra)")

WRITE = "user/*.read user/*.write"
LOINC = "http://loinc.org"


def heart_rate(value: float, *, patient: str = FRANKIE, identifier: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Observation", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "vital-signs"}]}],
        "code": {"coding": [{"system": LOINC, "code": "8867-4", "display": "Heart rate"}]},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": "2026-11-20T09:30:00Z",
        "valueQuantity": {"value": value, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"},
    }
    if identifier is not None:
        body["identifier"] = [{"system": "urn:test:obs", "value": identifier}]
    return body


@pytest.fixture
def writer(imported: Imported, token_for: TokenFor) -> dict[str, str]:
    return token_for(imported.personas.coordinator_id, WRITE)


def post(client: TestClient, path: str, body: Any, headers: dict[str, str], **extra: str) -> Any:
    return client.post(BASE + path, json=body, headers={**headers, **extra})


def put(client: TestClient, path: str, body: Any, headers: dict[str, str], **extra: str) -> Any:
    return client.put(BASE + path, json=body, headers={**headers, **extra})


def valid(body: dict[str, Any]) -> dict[str, Any]:
    R4B.get_fhir_model_class(body["resourceType"]).model_validate(body)
    return body


def stored_count(session: Session, rtype: str) -> int:
    count = session.scalar(select(func.count()).select_from(FhirResource).where(FhirResource.resource_type == rtype))
    session.rollback()  # end the read transaction (on SQLite it holds the write lock the requests need)
    return int(count or 0)


def test_round_trip_create_read_stale_update_update_history(client: TestClient, writer: dict[str, str]) -> None:
    created = post(client, "/Observation", heart_rate(72), writer)
    assert created.status_code == 201, created.text
    body = valid(created.json())
    oid = body["id"]
    assert uuid.UUID(oid).version == 7  # server-assigned ids sort by time (public_ids.py)
    assert created.headers["location"].endswith(f"{BASE}/Observation/{oid}/_history/1")
    assert created.headers["etag"] == 'W/"1"' and "last-modified" in created.headers
    assert body["meta"]["versionId"] == "1" and body["valueQuantity"]["value"] == 72

    read = get(client, f"/Observation/{oid}", writer)
    assert read.status_code == 200 and valid(read.json())["valueQuantity"]["value"] == 72

    changed = {**read.json(), "valueQuantity": {**read.json()["valueQuantity"], "value": 80}}
    stale = put(client, f"/Observation/{oid}", changed, writer, **{"If-Match": 'W/"0"'})
    assert stale.status_code == 412, stale.text
    assert stale.json()["resourceType"] == "OperationOutcome" and "version 1" in stale.json()["issue"][0]["diagnostics"]

    updated = put(client, f"/Observation/{oid}", changed, writer, **{"If-Match": 'W/"1"'})
    assert updated.status_code == 200, updated.text
    assert updated.headers["etag"] == 'W/"2"' and valid(updated.json())["meta"]["versionId"] == "2"
    assert put(client, f"/Observation/{oid}", changed, writer, **{"If-Match": 'W/"1"'}).status_code == 412

    history = get(client, f"/Observation/{oid}/_history", writer).json()
    valid(history)
    assert [e["resource"]["meta"]["versionId"] for e in history["entry"]] == ["2", "1"]
    assert [e["resource"]["valueQuantity"]["value"] for e in history["entry"]] == [80, 72]
    assert get(client, f"/Observation/{oid}/_history/1", writer).json()["valueQuantity"]["value"] == 72


def test_written_resource_is_indexed_and_mapped_like_an_import(client: TestClient, writer: dict[str, str],
                                                               imported: Imported, session: Session) -> None:
    oid = post(client, "/Observation", heart_rate(64), writer).json()["id"]
    put(client, f"/Observation/{oid}", {**heart_rate(66), "id": oid}, writer)

    found = get(client, "/Observation", writer, code=f"{LOINC}|8867-4", patient=FRANKIE, date="2026-11-20").json()
    assert [e["resource"]["id"] for e in found["entry"]] == [oid]
    resource = session.scalar(select(FhirResource).where(FhirResource.logical_id == oid))
    assert resource is not None and resource.patient_id == imported.patient_id
    assert resource.map_status == "mapped" and resource.source == "fhir-api" and resource.version_id == 2
    rows = session.scalars(select(Observation).where(Observation.fhir_resource_id == resource.id)).all()
    assert [(r.code, r.value_num, r.patient_id) for r in rows] == [("8867-4", 66.0, imported.patient_id)]


def test_update_of_an_imported_patient_updates_careloop_row(client: TestClient, writer: dict[str, str],
                                                            imported: Imported, session: Session) -> None:
    frankie = get(client, f"/Patient/{FRANKIE}", writer).json()
    frankie["name"][0]["family"] = "Renamed"

    response = put(client, f"/Patient/{FRANKIE}", frankie, writer, **{"If-Match": 'W/"1"'})

    assert response.status_code == 200, response.text
    assert response.json()["meta"]["versionId"] == "2"
    patient = session.get(Patient, imported.patient_id)
    assert patient is not None and patient.family == "Renamed"
    resource = session.scalar(select(FhirResource).where(FhirResource.logical_id == FRANKIE))
    assert resource is not None and resource.source == "synthea" and resource.version_id == 2


def test_same_content_again_keeps_the_version_and_old_content_again_is_a_new_one(
        client: TestClient, writer: dict[str, str]) -> None:
    oid = post(client, "/Observation", heart_rate(70), writer).json()["id"]
    first = {**heart_rate(70), "id": oid}

    same = put(client, f"/Observation/{oid}", first, writer)
    put(client, f"/Observation/{oid}", {**heart_rate(75), "id": oid}, writer)
    back = put(client, f"/Observation/{oid}", first, writer)

    assert same.status_code == 200 and same.headers["etag"] == 'W/"1"'
    assert back.headers["etag"] == 'W/"3"' and back.json()["valueQuantity"]["value"] == 70


def test_conditional_create_by_identifier(client: TestClient, writer: dict[str, str], session: Session) -> None:
    condition = {"If-None-Exist": "identifier=urn:test:obs|A-1"}

    first = post(client, "/Observation", heart_rate(70, identifier="A-1"), writer, **condition)
    again = post(client, "/Observation", heart_rate(99, identifier="A-1"), writer, **condition)

    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["valueQuantity"]["value"] == 70
    assert stored_count(session, "Observation") > 0
    post(client, "/Observation", heart_rate(71, identifier="A-1"), writer)  # unconditional: a second one
    several = post(client, "/Observation", heart_rate(72, identifier="A-1"), writer, **condition)
    assert several.status_code == 412 and "matches 2" in several.json()["issue"][0]["diagnostics"]


def test_prefer_return_minimal_and_operation_outcome(client: TestClient, writer: dict[str, str]) -> None:
    minimal = post(client, "/Observation", heart_rate(70), writer, Prefer="return=minimal")
    outcome = post(client, "/Observation", heart_rate(70), writer, Prefer="return=OperationOutcome")

    assert minimal.status_code == 201 and minimal.content == b"" and "/_history/1" in minimal.headers["location"]
    assert outcome.status_code == 201 and outcome.json()["resourceType"] == "OperationOutcome"
    assert outcome.json()["issue"][0]["severity"] == "information"


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"resourceType": "Observation", "status": "final", "subject": {"reference": f"Patient/{FRANKIE}"}}, 400,
     "code"),
    ({**heart_rate(70), "status": 7}, 400, "status"),
    ({**heart_rate(70), "resourceType": "Condition"}, 400, "URL names Observation"),
    (heart_rate(70, patient="nobody-here"), 422, "names no patient"),
    ([1, 2], 400, "JSON object"),
])
def test_bad_resource_is_refused_clearly_and_nothing_is_stored(client: TestClient, writer: dict[str, str],
                                                                session: Session, body: Any, status: int,
                                                                words: str) -> None:
    before = stored_count(session, "Observation")

    response = post(client, "/Observation", body, writer)

    assert response.status_code == status, response.text
    assert response.json()["resourceType"] == "OperationOutcome"
    assert words in response.json()["issue"][0]["diagnostics"]
    assert stored_count(session, "Observation") == before


def test_invalid_json_is_400(client: TestClient, writer: dict[str, str]) -> None:
    response = client.post(BASE + "/Observation", content=b"{nope", headers={
        **writer, "Content-Type": "application/fhir+json"})
    assert response.status_code == 400 and "not valid JSON" in response.json()["issue"][0]["diagnostics"]


def test_update_needs_the_id_of_the_url(client: TestClient, writer: dict[str, str]) -> None:
    oid = post(client, "/Observation", heart_rate(70), writer).json()["id"]

    response = put(client, f"/Observation/{oid}", {**heart_rate(71), "id": "another"}, writer)

    assert response.status_code == 400 and "must equal the id in the URL" in response.json()["issue"][0]["diagnostics"]


def test_update_as_create_uses_the_client_id(client: TestClient, writer: dict[str, str]) -> None:
    response = put(client, "/Observation/hr-client-1", {**heart_rate(70), "id": "hr-client-1"}, writer)

    assert response.status_code == 201 and response.json()["id"] == "hr-client-1"
    assert get(client, "/Observation/hr-client-1", writer).status_code == 200


def test_new_patient_is_refused_with_a_reason(client: TestClient, writer: dict[str, str]) -> None:
    response = post(client, "/Patient", {"resourceType": "Patient", "birthDate": "1950-01-01",
                                         "name": [{"family": "New", "given": ["Person"]}]}, writer)

    assert response.status_code == 403 and "registration or import" in response.json()["issue"][0]["diagnostics"]


def test_delete_and_patch_are_405(client: TestClient, writer: dict[str, str]) -> None:
    deleted = client.delete(f"{BASE}/Patient/{FRANKIE}", headers=writer)
    patched = client.patch(f"{BASE}/Patient/{FRANKIE}", headers=writer, json=[])

    assert deleted.status_code == 405 and "entered-in-error" in deleted.json()["issue"][0]["diagnostics"]
    assert patched.status_code == 405


def test_read_only_token_cannot_write(client: TestClient, imported: Imported, token_for: TokenFor,
                                      session: Session) -> None:
    response = post(client, "/Observation", heart_rate(70), token_for(imported.personas.coordinator_id, "user/*.read"))

    assert response.status_code == 403 and "user/*.write" in response.json()["issue"][0]["diagnostics"]
    denied = session.scalar(select(AuditEvent).where(AuditEvent.action == "fhir.create"))
    assert denied is not None and denied.outcome == AuditOutcome.denied


def test_v2_cud_scope_writes(client: TestClient, imported: Imported, token_for: TokenFor) -> None:
    headers = token_for(imported.personas.coordinator_id, "user/Observation.cud")

    assert post(client, "/Observation", heart_rate(70), headers).status_code == 201


@pytest.mark.parametrize("who", ["outsider", "admin"])
def test_outsiders_cannot_write_for_the_patient(client: TestClient, imported: Imported, token_for: TokenFor,
                                                session: Session, who: str) -> None:
    user_id = imported.personas.outsider_id if who == "outsider" else imported.personas.admin_id
    before = stored_count(session, "Observation")

    created = post(client, "/Observation", heart_rate(70), token_for(user_id, WRITE))
    frankie = get(client, f"/Patient/{FRANKIE}", token_for(imported.personas.coordinator_id)).json()
    updated = put(client, f"/Patient/{FRANKIE}", frankie, token_for(user_id, WRITE))

    assert created.status_code == 403 and updated.status_code == 403
    assert stored_count(session, "Observation") == before
    denials = session.scalars(select(AuditEvent.action).where(AuditEvent.outcome == AuditOutcome.denied,
                                                               AuditEvent.actor_id == user_id)).all()
    assert {"fhir.create", "fhir.update"} <= set(denials)


def test_every_write_is_audited_with_the_patient(client: TestClient, writer: dict[str, str], imported: Imported,
                                                 session: Session) -> None:
    oid = post(client, "/Observation", heart_rate(70), writer).json()["id"]
    put(client, f"/Observation/{oid}", {**heart_rate(71), "id": oid}, writer)

    rows = session.execute(select(AuditEvent.action, AuditEvent.patient_id, AuditEvent.channel, AuditEvent.entity_id)
                           .where(AuditEvent.action.in_(["fhir.create", "fhir.update"]))).all()
    assert ("fhir.create", imported.patient_id, "fhir", oid) in rows
    assert ("fhir.update", imported.patient_id, "fhir", oid) in rows


def test_capability_statement_states_the_write_side(client: TestClient) -> None:
    statement = valid(client.get(BASE + "/metadata").json())
    rest = statement["rest"][0]
    by_type = {r["type"]: r for r in rest["resource"]}

    assert {i["code"] for i in rest["interaction"]} == {"transaction", "batch"}
    observation = {i["code"] for i in by_type["Observation"]["interaction"]}
    assert {"create", "update", "read", "vread"} <= observation and "delete" not in observation
    assert by_type["Observation"]["versioning"] == "versioned-update" and by_type["Observation"]["conditionalCreate"]
    assert "create" not in {i["code"] for i in by_type["Patient"]["interaction"]}
