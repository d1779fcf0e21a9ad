"""The plan for the patient and family (PDF, read back as text: plain words, no codes) and as FHIR (a
collection Bundle that validates with fhir.resources' R4B models)."""

from __future__ import annotations

import io
from typing import Any

from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader

from tests.assessments.helpers import assessment_ids
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


def test_the_screening_behind_a_concern_is_exported_with_the_plan(client: TestClient, personas: Personas,
                                                                   bearer_for: BearerFor) -> None:
    """Gravity's chain end to end: a PHQ-9 of 12 -> the accepted depression concern -> the plan addresses it ->
    the plan's FHIR export carries the QuestionnaireResponse."""
    cora = bearer_for(personas.coordinator_id)
    ids = assessment_ids(personas)
    accepted = client.post(f"/api/v1/assessments/{ids['response_id']}/findings/{ids['finding_id']}/accept", json={},
                           headers=cora)
    assert accepted.status_code == 200, accepted.text
    concern = accepted.json()["findings"][0]["condition_id"]
    plan = apply(client, cora, personas.patient_id)
    added = client.post(f"/api/v1/care-plans/{plan['id']}/addresses",
                        json={"version": plan["version"], "condition_id": concern}, headers=cora)
    assert added.status_code == 200, added.text
    exported = client.get(f"/api/v1/care-plans/{plan['id']}/fhir", headers=cora)
    assert exported.status_code == 200, exported.text
    bundle = exported.json()
    Bundle.model_validate(bundle)
    responses = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"]
    assert [r["id"] for r in responses] == [str(ids["response_id"])]
    assert responses[0]["status"] == "completed"
