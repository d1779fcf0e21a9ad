"""Transaction and batch Bundles POSTed to /fhir/R4 (FHIR R4 http.html#transaction): urn:uuid references
resolved across the bundle, all or nothing for a transaction, entry by entry for a batch, the processing order
(POST, PUT, GET), a response entry per request entry in the request's order, DELETE refused clearly."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from careloop.models import AuditEvent, Encounter, FhirReference, FhirResource, FhirResourceVersion, Observation
from careloop.models.audit import AuditOutcome
from tests.integrations.fhir.api.conftest import BASE, FRANKIE, Imported, TokenFor, get
from tests.integrations.fhir.api.test_api_write import WRITE, heart_rate, stored_count, valid


@pytest.fixture
def writer(imported: Imported, token_for: TokenFor) -> dict[str, str]:
    return token_for(imported.personas.coordinator_id, WRITE)


def encounter() -> dict[str, Any]:
    return {"resourceType": "Encounter", "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "subject": {"reference": f"Patient/{FRANKIE}"},
            "period": {"start": "2026-11-20T09:00:00Z", "end": "2026-11-20T10:00:00Z"}}


def entry(method: str, url: str, resource: dict[str, Any] | None = None, full_url: str | None = None,
          **request: str) -> dict[str, Any]:
    item: dict[str, Any] = {"request": {"method": method, "url": url, **request}}
    if resource is not None:
        item["resource"] = resource
    if full_url is not None:
        item["fullUrl"] = full_url
    return item


def bundle(kind: str, *entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def send(client: TestClient, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.post(BASE, json=body, headers=headers)


def test_transaction_resolves_urn_uuid_references_and_answers_in_request_order(
        client: TestClient, writer: dict[str, str], imported: Imported, session: Session) -> None:
    observation = {**heart_rate(70), "encounter": {"reference": "urn:uuid:7d1c7e1e-0000-4000-8000-000000000001"}}
    request = bundle("transaction",
                     entry("GET", f"Patient/{FRANKIE}"),
                     entry("POST", "Observation", observation, "urn:uuid:7d1c7e1e-0000-4000-8000-000000000002"),
                     entry("POST", "Encounter", encounter(), "urn:uuid:7d1c7e1e-0000-4000-8000-000000000001"))

    response = send(client, request, writer)

    assert response.status_code == 200, response.text
    answer = valid(response.json())
    assert answer["type"] == "transaction-response"
    statuses = [e["response"]["status"] for e in answer["entry"]]
    assert statuses == ["200 OK", "201 Created", "201 Created"]
    assert answer["entry"][0]["resource"]["id"] == FRANKIE
    encounter_id = answer["entry"][2]["resource"]["id"]
    observation_id = answer["entry"][1]["resource"]["id"]
    assert answer["entry"][1]["resource"]["encounter"] == {"reference": f"Encounter/{encounter_id}"}
    assert answer["entry"][1]["response"]["location"].endswith(f"/Observation/{observation_id}/_history/1")

    stored = session.scalar(select(FhirResource).where(FhirResource.logical_id == observation_id))
    assert stored is not None and stored.patient_id == imported.patient_id
    target = session.scalar(select(FhirReference.target_resource_id).where(
        FhirReference.resource_id == stored.id, FhirReference.path == "encounter"))
    encounter_row = session.scalar(select(FhirResource).where(FhirResource.logical_id == encounter_id))
    assert encounter_row is not None and target == encounter_row.id
    mapped = session.scalar(select(Observation).where(Observation.fhir_resource_id == stored.id))
    assert mapped is not None and mapped.encounter_id == encounter_row.domain_id
    assert session.get(Encounter, encounter_row.domain_id) is not None


def test_transaction_processes_post_then_put_then_get(client: TestClient, writer: dict[str, str]) -> None:
    oid = client.post(BASE + "/Observation", json=heart_rate(70), headers=writer).json()["id"]
    request = bundle("transaction",
                     entry("GET", f"Observation/{oid}"),
                     entry("PUT", f"Observation/{oid}", {**heart_rate(90), "id": oid}, ifMatch='W/"1"'))

    answer = send(client, request, writer).json()

    assert answer["entry"][0]["resource"]["valueQuantity"]["value"] == 90  # the GET ran after the PUT
    assert answer["entry"][1]["response"]["status"] == "200 OK"
    assert answer["entry"][1]["response"]["etag"] == 'W/"2"'


@pytest.mark.parametrize("bad", [
    {"resourceType": "Observation", "status": "final", "subject": {"reference": f"Patient/{FRANKIE}"}},
    heart_rate(71, patient="not-a-patient-here"),
])
def test_transaction_that_fails_halfway_changes_nothing(client: TestClient, writer: dict[str, str],
                                                       session: Session, bad: dict[str, Any]) -> None:
    oid = client.post(BASE + "/Observation", json=heart_rate(70), headers=writer).json()["id"]
    before = stored_count(session, "Observation"), stored_count(session, "Encounter")
    request = bundle("transaction",
                     entry("POST", "Encounter", encounter(), "urn:uuid:7d1c7e1e-0000-4000-8000-000000000003"),
                     entry("PUT", f"Observation/{oid}", {**heart_rate(99), "id": oid}),
                     entry("POST", "Observation", bad))

    response = send(client, request, writer)

    assert response.status_code in (400, 422), response.text
    assert response.json()["resourceType"] == "OperationOutcome"
    assert (stored_count(session, "Observation"), stored_count(session, "Encounter")) == before
    versions = session.scalars(select(FhirResourceVersion.version_id).join(
        FhirResource, FhirResource.id == FhirResourceVersion.resource_id).where(FhirResource.logical_id == oid)).all()
    session.rollback()  # end the read transaction (on SQLite it holds the write lock the request needs)
    assert versions == [1]
    assert get(client, f"/Observation/{oid}", writer).json()["valueQuantity"]["value"] == 70


def test_transaction_with_a_stale_if_match_is_412_and_changes_nothing(client: TestClient, writer: dict[str, str],
                                                                     session: Session) -> None:
    oid = client.post(BASE + "/Observation", json=heart_rate(70), headers=writer).json()["id"]
    before = stored_count(session, "Observation")
    request = bundle("transaction", entry("POST", "Observation", heart_rate(60)),
                     entry("PUT", f"Observation/{oid}", {**heart_rate(99), "id": oid}, ifMatch='W/"4"'))

    response = send(client, request, writer)

    assert response.status_code == 412 and "entry[1]" in response.json()["issue"][0]["diagnostics"]
    assert stored_count(session, "Observation") == before


def test_transaction_conditional_create_points_references_at_the_match(client: TestClient,
                                                                       writer: dict[str, str]) -> None:
    urn = "urn:uuid:7d1c7e1e-0000-4000-8000-000000000004"
    existing = client.post(BASE + "/Encounter", json={**encounter(), "identifier": [
        {"system": "urn:test:enc", "value": "E-1"}]}, headers=writer).json()["id"]
    request = bundle("transaction",
                     entry("POST", "Encounter", {**encounter(), "identifier": [{"system": "urn:test:enc",
                                                                                 "value": "E-1"}]},
                           urn, ifNoneExist="identifier=urn:test:enc|E-1"),
                     entry("POST", "Observation", {**heart_rate(70), "encounter": {"reference": urn}}))

    answer = send(client, request, writer).json()

    assert answer["entry"][0]["response"]["status"] == "200 OK"
    assert answer["entry"][0]["resource"]["id"] == existing
    assert answer["entry"][1]["resource"]["encounter"]["reference"] == f"Encounter/{existing}"


def test_batch_entries_succeed_or_fail_on_their_own(client: TestClient, writer: dict[str, str],
                                                    session: Session) -> None:
    before = stored_count(session, "Observation")
    request = bundle("batch",
                     entry("POST", "Observation", heart_rate(70)),
                     entry("POST", "Observation", {"resourceType": "Observation", "status": "final"}),
                     entry("DELETE", f"Patient/{FRANKIE}"),
                     entry("GET", "Observation?_summary=count"),
                     {"request": {"method": "POST"}},
                     entry("GET", f"Observation?patient={FRANKIE}&code=http://loinc.org|8867-4"))

    response = send(client, request, writer)

    assert response.status_code == 200, response.text
    answer = valid(response.json())
    assert answer["type"] == "batch-response"
    statuses = [e["response"]["status"] for e in answer["entry"]]
    assert statuses == ["201 Created", "400 Bad Request", "405 Method Not Allowed", "200 OK", "400 Bad Request",
                        "200 OK"]
    assert "entered-in-error" in answer["entry"][2]["response"]["outcome"]["issue"][0]["diagnostics"]
    assert stored_count(session, "Observation") == before + 1
    assert answer["entry"][5]["resource"]["total"] == 1, answer["entry"][5]  # the POST ran before the GET


def test_batch_entry_out_of_reach_is_403_and_audited(client: TestClient, imported: Imported,
                                                     token_for: TokenFor, session: Session) -> None:
    outsider = token_for(imported.personas.outsider_id, WRITE)
    before = stored_count(session, "Observation")

    answer = send(client, bundle("batch", entry("POST", "Observation", heart_rate(70))), outsider).json()

    assert answer["entry"][0]["response"]["status"] == "403 Forbidden"
    assert stored_count(session, "Observation") == before
    denied = session.scalar(select(AuditEvent).where(AuditEvent.actor_id == imported.personas.outsider_id,
                                                     AuditEvent.outcome == AuditOutcome.denied))
    assert denied is not None


@pytest.mark.parametrize(("body", "words"), [
    ({"resourceType": "Bundle", "type": "collection", "entry": []}, "transaction or batch"),
    ({"resourceType": "Patient"}, "Bundle"),
    (bundle("transaction", entry("DELETE", f"Patient/{FRANKIE}")), "DELETE is not supported"),
    (bundle("transaction", entry("PATCH", f"Patient/{FRANKIE}")), "PATCH is not supported"),
    (bundle("transaction", entry("POST", "Observation/123", heart_rate(1))), "type alone"),
    (bundle("transaction", entry("PUT", "Observation/a", {**heart_rate(1), "id": "a"}),
            entry("PUT", "Observation/a", {**heart_rate(2), "id": "a"})), "appears twice"),
])
def test_unsupported_bundles_are_refused_clearly(client: TestClient, writer: dict[str, str], body: dict[str, Any],
                                                 words: str) -> None:
    response = client.post(BASE, content=orjson.dumps(body), headers={**writer,
                                                                      "Content-Type": "application/fhir+json"})

    assert response.status_code in (400, 405), response.text
    assert words in response.json()["issue"][0]["diagnostics"]
