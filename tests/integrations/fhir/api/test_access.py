"""A token never reaches beyond its scopes (type, read) nor beyond the patients its user may see: reading a
known resource out of reach is 403, as elsewhere in careloop; searching it finds nothing. Every call is
audited on channel fhir. This is the FHIR side of tests/test_outsider_walk.py (the /fhir routes are not in
the /api OpenAPI description that walk reads)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from careloop.models import AuditEvent, FhirResource
from careloop.models.audit import AuditOutcome
from tests.integrations.fhir.api.conftest import FRANKIE, Imported, TokenFor, get


def _one(session: Session, rtype: str) -> str:
    found = session.scalar(select(FhirResource.logical_id).where(FhirResource.resource_type == rtype).limit(1))
    session.rollback()  # end the read transaction (on SQLite it holds the write lock the request needs)
    assert found is not None
    return found


# Every patient-scoped FHIR route, with the patient's own resources.
ROUTES = ["/Patient/{patient}", "/Patient/{patient}/_history", "/Patient/{patient}/_history/1",
          "/Patient/{patient}/$everything", "/Observation/{observation}", "/Observation/{observation}/_history",
          "/Observation/{observation}/_history/1"]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("who", ["outsider", "admin"])
def test_fhir_route_refuses_outsiders(client: TestClient, imported: Imported, token_for: TokenFor,
                                      session: Session, route: str, who: str) -> None:
    user_id = imported.personas.outsider_id if who == "outsider" else imported.personas.admin_id
    path = route.format(patient=FRANKIE, observation=_one(session, "Observation"))

    response = get(client, path, token_for(user_id, "user/*.read"))

    assert response.status_code == 403, response.text
    assert response.json()["resourceType"] == "OperationOutcome"
    assert "Frankie" not in response.text


@pytest.mark.parametrize("rtype", ["Patient", "Observation", "Encounter", "Claim"])
def test_outsider_searches_find_nothing(client: TestClient, imported: Imported, token_for: TokenFor,
                                        rtype: str) -> None:
    found = get(client, f"/{rtype}", token_for(imported.personas.outsider_id, "user/*.read"))

    assert found.status_code == 200 and found.json()["total"] == 0 and "entry" not in found.json()


def test_observation_scope_cannot_read_or_search_conditions(client: TestClient, imported: Imported,
                                                            token_for: TokenFor, session: Session) -> None:
    token = token_for(imported.personas.coordinator_id, "user/Observation.read")

    assert get(client, f"/Observation/{_one(session, 'Observation')}", token).status_code == 200
    refused = get(client, f"/Condition/{_one(session, 'Condition')}", token)
    assert refused.status_code == 403 and "user/Condition.read" in refused.text
    assert get(client, "/Condition", token).status_code == 403


def test_include_leaves_out_types_the_scopes_do_not_cover(client: TestClient, imported: Imported,
                                                          token_for: TokenFor) -> None:
    token = token_for(imported.personas.coordinator_id, "user/Encounter.read")

    found = get(client, "/Encounter", token, patient=FRANKIE, _include="Encounter:patient").json()

    assert found["total"] > 0 and all(e["search"]["mode"] == "match" for e in found["entry"])


def test_patient_level_scopes_reach_the_compartment_only(client: TestClient, imported: Imported,
                                                         token_for: TokenFor, session: Session) -> None:
    token = token_for(imported.personas.coordinator_id, "patient/*.read")

    assert get(client, f"/Observation/{_one(session, 'Observation')}", token).status_code == 200
    assert get(client, f"/Practitioner/{_one(session, 'Practitioner')}", token).status_code == 403


@pytest.mark.parametrize("scopes", ["system/*.read", "user/*.rs",
                                    "openid user/Practitioner.read user/Organization.rs launch"])
def test_shared_resources_are_readable_by_any_clinical_user(client: TestClient, imported: Imported,
                                                            token_for: TokenFor, session: Session,
                                                            scopes: str) -> None:
    token = token_for(imported.personas.outsider_id, scopes)

    assert get(client, f"/Practitioner/{_one(session, 'Practitioner')}", token).status_code == 200
    assert get(client, "/Organization", token).json()["total"] > 0


def test_write_only_scope_does_not_read(client: TestClient, imported: Imported, token_for: TokenFor) -> None:
    token = token_for(imported.personas.coordinator_id, "user/*.write")

    assert get(client, f"/Patient/{FRANKIE}", token).status_code == 403


def test_reads_and_searches_are_audited_per_patient_on_channel_fhir(client: TestClient, imported: Imported,
                                                                    cora: dict[str, str],
                                                                    token_for: TokenFor, session: Session) -> None:
    get(client, f"/Patient/{FRANKIE}", cora)
    get(client, "/Observation", cora, patient=FRANKIE)
    get(client, f"/Patient/{FRANKIE}", token_for(imported.personas.outsider_id))

    rows = session.scalars(select(AuditEvent).where(AuditEvent.channel == "fhir").order_by(AuditEvent.id)).all()
    summary = [(r.action, r.outcome, r.actor_username, r.patient_id) for r in rows]
    assert ("fhir.read", AuditOutcome.allowed, "cora", imported.patient_id) in summary
    assert ("fhir.search", AuditOutcome.allowed, "cora", imported.patient_id) in summary
    assert ("fhir.read", AuditOutcome.denied, "oscar", imported.patient_id) in summary
    assert sum(1 for r in rows if r.action == "fhir.search") == 1  # one row per patient, not per resource
