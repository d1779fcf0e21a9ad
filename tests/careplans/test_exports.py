"""The plan for the patient and family (PDF, read back as text: plain words, no codes) and as FHIR (a
collection Bundle that validates with fhir.resources' R4B models)."""

from __future__ import annotations

import io
from typing import Any

from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader

from careloop import db
from careloop.careplans import export_fhir
from tests.careplans.helpers import add_concerns, apply
from tests.conftest import BearerFor
from tests.factories import Personas


def a_plan(client: TestClient, personas: Personas, headers: dict[str, str]) -> dict[str, Any]:
    concerns = add_concerns(personas.patient_id)
    plan = apply(client, headers, personas.patient_id)
    pid = plan["id"]
    client.post(f"/api/v1/care-plans/{pid}/addresses", json={"version": 2, "condition_id": concerns["food"]},
                headers=headers)
    client.patch(f"/api/v1/care-plans/{pid}", json={"version": 3, "what_matters": "Dancing at my niece\u2019s wedding"},
                 headers=headers)
    client.post(f"/api/v1/care-plans/{pid}/entries", json={"version": 4, "kind": "barrier",
                                                           "text": "Cannot read small print"}, headers=headers)
    return plan


def test_the_pdf_reads_in_plain_language(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    cora = bearer_for(personas.coordinator_id)
    plan = a_plan(client, personas, cora)
    response = client.get(f"/api/v1/care-plans/{plan['id']}/pdf", headers=cora)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    assert "My care plan: Rivera, Ana" in text
    assert "Keep your blood pressure below 140/90" in text
    assert "Keep your HbA1c (your average blood sugar over about 3 months) below 8%" in text
    assert "Dancing at my niece's wedding" in text and "Cannot read small print" in text
    assert "Food insecurity" in text
    for code in ("4548-4", "8480-6", "E119", "mm[Hg]"):
        assert code not in text


def test_the_fhir_bundle_validates(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    cora = bearer_for(personas.coordinator_id)
    plan = a_plan(client, personas, cora)
    response = client.get(f"/api/v1/care-plans/{plan['id']}/fhir", headers=cora)
    assert response.status_code == 200 and response.headers["content-type"] == "application/fhir+json"
    bundle = response.json()
    Bundle.model_validate(bundle)
    types = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert types.count("Goal") == 2 and types.count("Condition") == 2 and "CareTeam" in types
    goal = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Goal"
                and e["resource"]["description"]["text"].startswith("HbA1c"))
    assert goal["target"][0]["detailQuantity"] == {"value": 8.0, "comparator": "<", "unit": "%",
                                                   "system": "http://unitsofmeasure.org", "code": "%"}
    assert goal["target"][0]["measure"]["coding"][0]["code"] == "4548-4"
    assert len(bundle["entry"]) == len({e["fullUrl"] for e in bundle["entry"]})


def test_questionnaire_responses_come_through_the_seam(client: TestClient, personas: Personas,
                                                       bearer_for: BearerFor) -> None:
    plan = a_plan(client, personas, bearer_for(personas.coordinator_id))
    response = {"resourceType": "QuestionnaireResponse", "id": "a1b2", "status": "completed",
                "questionnaire": "http://loinc.org/q/96777-8"}
    with db.unit_of_work() as s:
        actor = personas.actor(s, personas.coordinator_id)
        from uuid import UUID

        bundle = export_fhir.plan_bundle(s, actor, UUID(plan["id"]), questionnaire_responses=lambda _s, _p: [response])
    Bundle.model_validate(bundle)
    assert bundle["entry"][-1]["resource"]["resourceType"] == "QuestionnaireResponse"
