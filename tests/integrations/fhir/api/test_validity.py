"""What the API returns is valid FHIR R4, checked with fhir.resources' R4B models (close enough to R4 for these
resources), and official R4 examples imported and read back come out as they went in (meta aside)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from careloop import db
from careloop.integrations.fhir.importer import import_paths
from careloop.models import CareTeamRole, FhirResource, Patient, User
from tests.conftest import shared_data_dir
from tests.factories import add_member
from tests.integrations.fhir.api.conftest import FRANKIE, Imported, TokenFor, get

R4B = pytest.importorskip("fhir.resources.R4B", reason="pip install 'fhir.resources>=8' (dev extra)")

EXAMPLES = ["Observation-example.json", "Observation-blood-pressure.json", "Encounter-example.json",
            "CarePlan-example.json", "Goal-example.json", "ServiceRequest-example.json", "CareTeam-example.json"]
EXAMPLE_PATIENT = {"resourceType": "Patient", "id": "example", "birthDate": "1974-12-25", "gender": "male",
                   "name": [{"family": "Chalmers", "given": ["Peter"]}]}


def valid(body: dict[str, Any]) -> None:
    R4B.get_fhir_model_class(body["resourceType"]).model_validate(body)


@pytest.mark.parametrize("path", [f"/Patient/{FRANKIE}", f"/Patient/{FRANKIE}/_history",
                                  f"/Encounter?patient={FRANKIE}&_include=Encounter:patient&_count=5",
                                  "/Observation?code=http://loinc.org|29463-7&date=ge2015",
                                  "/Practitioner", "/Observation?_summary=count",
                                  f"/Patient/{FRANKIE}/$everything?_count=40", "/Observation/unknown", "/metadata"])
def test_api_output_validates_as_r4(client: TestClient, cora: dict[str, str], path: str) -> None:
    response = get(client, path, cora)

    valid(response.json())


@pytest.fixture
def examples(tmp_path: Path, imported: Imported) -> list[dict[str, Any]]:
    data = shared_data_dir()
    if data is None or not (data / "fhir-r4-examples").is_dir():
        pytest.skip("../shared/data/fhir-r4-examples is absent")
    resources = [orjson.loads((data / "fhir-r4-examples" / name).read_bytes()) for name in EXAMPLES]
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": r} for r in [EXAMPLE_PATIENT, *resources]]}
    path = tmp_path / "examples.json"
    path.write_bytes(orjson.dumps(bundle))
    import_paths([path], source="hl7-examples")
    with db.unit_of_work() as s:
        patient_id = s.scalar(select(FhirResource.patient_id).where(FhirResource.resource_type == "Patient",
                                                                    FhirResource.logical_id == "example"))
        patient = s.get(Patient, patient_id)
        assert patient is not None
        add_member(s, patient, CareTeamRole.rn_care_manager, user=s.get(User, imported.personas.coordinator_id))
    return resources


def test_official_examples_round_trip(client: TestClient, examples: list[dict[str, Any]],
                                      cora: dict[str, str]) -> None:
    for original in examples:
        body = get(client, f"/{original['resourceType']}/{original['id']}", cora).json()

        valid(body)
        assert body["meta"]["versionId"] == "1"
        assert {k: v for k, v in body.items() if k != "meta"} == {k: v for k, v in original.items() if k != "meta"}


def test_examples_patient_everything_validates(client: TestClient, examples: list[dict[str, Any]],
                                               cora: dict[str, str], token_for: TokenFor) -> None:
    body = get(client, "/Patient/example/$everything", cora).json()

    valid(body)
    assert {e["resource"]["id"] for e in body["entry"]} >= {"example", "blood-pressure"}
    assert body["total"] == len(body["entry"])
