"""Fixtures for FHIR import tests: the Synthea samples in ../shared/data (skipped with a reason where absent)
and small hand-written inputs written to a temporary folder."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from careloop.models import FhirResource
from tests.conftest import shared_data_dir


@pytest.fixture(scope="session")
def synthea() -> Path:
    data = shared_data_dir()
    if data is None or not (data / "synthea" / "bundles").is_dir():
        pytest.skip("../shared/data/synthea is absent (see ../shared/data/README.md); the import tests need it")
    return data / "synthea"


def provider_bundles_first(bundles: Path) -> list[Path]:
    """Synthea's hospital and practitioner bundles, then the patient bundles that refer to them."""
    return [bundles / "hospital-information.json", bundles / "practitioner-information.json",
            *sorted(bundles.glob("patient-*.json"))]


def bundle_entries(paths: list[Path]) -> list[dict[str, Any]]:
    return [entry["resource"] for path in paths for entry in orjson.loads(path.read_bytes())["entry"]]


def ndjson_resources(folder: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for path in sorted(folder.glob("*.ndjson")) if path.name[0].isupper()
            for line in path.read_bytes().splitlines() if line.strip()]


def count_by_type(resources: list[dict[str, Any]]) -> Counter[str]:
    return Counter(resource["resourceType"] for resource in resources)


def stored_by_type(session: Session) -> Counter[str]:
    rows = session.execute(select(FhirResource.resource_type, func.count()).group_by(FhirResource.resource_type))
    return Counter({name: count for name, count in rows})


def write_ndjson(path: Path, resources: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in resources) + b"\n")
    return path


def patient(pid: str = "p1", family: str = "Rivera", birth_date: str = "1948-03-14") -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "name": [{"family": family, "given": ["Ana"]}],
            "gender": "female", "birthDate": birth_date,
            "identifier": [{"system": "urn:test:mrn", "value": f"MRN-{pid}"}]}


def observation(oid: str, pid: str = "p1", value: float = 72.0) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": oid, "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "vital-signs"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7", "display": "Body weight"}]},
            "subject": {"reference": f"Patient/{pid}"}, "effectiveDateTime": "2024-05-01T09:30:00Z",
            "valueQuantity": {"value": value, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}}
