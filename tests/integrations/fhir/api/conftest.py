"""FHIR API tests: Synthea's provider bundles and one patient (Frankie) imported through the importer, the
coordinator persona put on Frankie's care team, and tokens carrying SMART scopes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from careloop import db
from careloop.auth import service as auth
from careloop.integrations.fhir.importer import import_paths
from careloop.models import CareTeamRole, FhirResource, Patient, User
from tests.factories import Personas, add_member

FRANKIE = "a5b737fb-1f94-4767-802b-1112051f5101"
BASE = "/fhir/R4"

TokenFor = Callable[..., dict[str, str]]


@dataclass(frozen=True)
class Imported:
    patient_id: int  # careloop's patients.id for Frankie
    personas: Personas


@pytest.fixture
def imported(synthea: Path, personas: Personas) -> Imported:
    bundles = synthea / "bundles"
    import_paths([bundles / "hospital-information.json", bundles / "practitioner-information.json",
                  bundles / "patient-frankie.json"], source="synthea")
    with db.unit_of_work() as s:
        patient_id = s.scalar(select(FhirResource.patient_id).where(FhirResource.resource_type == "Patient",
                                                                    FhirResource.logical_id == FRANKIE))
        assert patient_id is not None
        patient = s.get(Patient, patient_id)
        assert patient is not None
        add_member(s, patient, CareTeamRole.rn_care_manager, user=s.get(User, personas.coordinator_id))
    return Imported(patient_id, personas)


@pytest.fixture
def token_for() -> TokenFor:
    """Authorization headers for a user, through a real API token with the given scopes."""
    def make(user_id: int, scopes: str = "user/*.read") -> dict[str, str]:
        with db.unit_of_work() as s:
            user = s.get(User, user_id)
            assert user is not None
            token = auth.create_api_token(s, user, name="fhir test", scopes=scopes).token
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def cora(imported: Imported, token_for: TokenFor) -> dict[str, str]:
    return token_for(imported.personas.coordinator_id)


def get(client: TestClient, path: str, headers: dict[str, str], **params: Any) -> Any:
    # httpx replaces a query string in the path with `params`, even empty ones: pass them only when given.
    response = client.get(BASE + path, headers=headers, params=params) if params else client.get(
        BASE + path, headers=headers)
    assert response.headers["content-type"].startswith("application/fhir+json"), response.text
    return response
