"""Bulk Data $export (Bulk Data Access IG 2.0, export.html) at system, Patient and Group level: the async
kick-off, status polling (202 with X-Progress, then 200 with the manifest), NDJSON downloads that parse,
validate and match the store's counts, cancellation, _type, _since and _outputFormat, run by the real worker,
and only ever what the requesting token and user may see, audited."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from careloop import db
from careloop.config import get_settings
from careloop.integrations.fhir.api.client import SHARED_TYPES
from careloop.jobs_registry import build_registry
from careloop.models import AuditEvent, CareTeamRole, FhirExport, FhirResource, Patient, Team
from careloop.worker.runner import Worker
from tests.factories import add_member
from tests.integrations.fhir.api.conftest import BASE, Imported, TokenFor

R4B = pytest.importorskip("fhir.resources.R4B", reason="pip install 'fhir.resources>=8' (dev extra)")

ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}


@pytest.fixture(autouse=True)
def export_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "exports"
    monkeypatch.setattr(get_settings(), "fhir_export_dir", folder)
    return folder


@pytest.fixture
def cora(imported: Imported, token_for: TokenFor) -> dict[str, str]:
    return token_for(imported.personas.coordinator_id, "user/*.read")


def kick_off(client: TestClient, path: str, headers: dict[str, str], **params: str) -> Any:
    return client.get(BASE + path, headers={**headers, **ASYNC}, params=params or None)


def run_worker() -> None:
    Worker(build_registry(), worker_id="test").drain()


def finished(client: TestClient, response: Any, headers: dict[str, str]) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    status_url = response.headers["content-location"]
    run_worker()
    done = client.get(status_url, headers=headers)
    assert done.status_code == 200, done.text
    assert done.headers["content-type"].startswith("application/json")
    manifest: dict[str, Any] = done.json()
    return manifest


def download(client: TestClient, manifest: dict[str, Any], headers: dict[str, str]) -> dict[str, list[Any]]:
    files: dict[str, list[Any]] = {}
    for item in manifest["output"]:
        response = client.get(item["url"], headers=headers)
        assert response.status_code == 200 and response.headers["content-type"].startswith("application/fhir+ndjson")
        lines = [orjson.loads(line) for line in response.content.splitlines()]
        assert len(lines) == item["count"]
        assert {line["resourceType"] for line in lines} == {item["type"]}
        files[item["type"]] = lines
    return files


def expected_counts(session: Session, patient_id: int, *, shared: bool) -> Counter[str]:
    where = FhirResource.patient_id == patient_id
    if shared:
        where = or_(where, FhirResource.resource_type.in_(SHARED_TYPES) & FhirResource.patient_id.is_(None))
    rows = session.execute(select(FhirResource.resource_type, func.count()).where(where)
                           .group_by(FhirResource.resource_type)).all()
    session.rollback()  # end the read transaction (on SQLite it holds the write lock the requests need)
    return Counter({rtype: count for rtype, count in rows})


def test_system_export_files_parse_validate_and_match_the_store(client: TestClient, cora: dict[str, str],
                                                                imported: Imported, session: Session) -> None:
    response = kick_off(client, "/$export", cora, _outputFormat="application/fhir+ndjson")
    assert response.status_code == 202
    polled = client.get(response.headers["content-location"], headers=cora)
    assert polled.status_code == 202 and polled.headers["x-progress"] == "accepted"

    manifest = finished(client, response, cora)
    files = download(client, manifest, cora)

    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    assert manifest["transactionTime"].endswith("Z")
    assert manifest["request"].endswith("/$export?_outputFormat=application%2Ffhir%2Bndjson")
    counts = Counter({rtype: len(lines) for rtype, lines in files.items()})
    assert counts == expected_counts(session, imported.patient_id, shared=True)
    for lines in files.values():
        for resource in lines:
            R4B.get_fhir_model_class(resource["resourceType"]).model_validate(resource)
            assert resource["meta"]["versionId"]


def test_patient_export_with_type_is_the_compartment_of_those_types(client: TestClient, cora: dict[str, str],
                                                                   imported: Imported, session: Session) -> None:
    manifest = finished(client, kick_off(client, "/Patient/$export", cora, _type="Patient,Observation"), cora)
    files = download(client, manifest, cora)

    expected = expected_counts(session, imported.patient_id, shared=False)
    assert set(files) == {"Patient", "Observation"}
    assert len(files["Observation"]) == expected["Observation"] and len(files["Patient"]) == 1


def test_since_keeps_only_what_changed_after_it(client: TestClient, cora: dict[str, str]) -> None:
    later = finished(client, kick_off(client, "/Patient/$export", cora, _since="2999-01-01T00:00:00Z"), cora)
    earlier = finished(client, kick_off(client, "/Patient/$export", cora, _since="2000-01-01T00:00:00Z"), cora)

    assert later["output"] == []
    assert sum(item["count"] for item in earlier["output"]) > 0


def test_group_export_is_the_teams_patients_for_team_members_only(client: TestClient, imported: Imported,
                                                                   token_for: TokenFor, session: Session) -> None:
    personas = imported.personas
    with db.unit_of_work() as s:
        team = s.get(Team, personas.team_id)
        frankie = s.get(Patient, imported.patient_id)
        assert team is not None and frankie is not None
        add_member(s, frankie, CareTeamRole.social_worker, team=team)
        group = str(team.public_id)
    tess = token_for(personas.teammate_id, "user/*.read")

    manifest = finished(client, kick_off(client, f"/Group/{group}/$export", tess), tess)
    refused = kick_off(client, f"/Group/{group}/$export", token_for(personas.coordinator_id))

    counts = Counter({item["type"]: item["count"] for item in manifest["output"]})
    assert counts == expected_counts(session, imported.patient_id, shared=False)
    assert refused.status_code == 403 and refused.json()["resourceType"] == "OperationOutcome"
    assert kick_off(client, "/Group/not-a-team/$export", tess).status_code == 404


@pytest.mark.parametrize("who", ["outsider", "admin"])
def test_outsiders_export_nothing_of_the_patient(client: TestClient, imported: Imported, token_for: TokenFor,
                                                 who: str) -> None:
    personas = imported.personas
    headers = token_for(personas.outsider_id if who == "outsider" else personas.admin_id, "user/*.read")

    response = kick_off(client, "/$export", headers)

    if who == "admin":  # no clinical role: refused at kick-off
        assert response.status_code == 403
        return
    manifest = finished(client, response, headers)
    assert {item["type"] for item in manifest["output"]} <= SHARED_TYPES


def test_patient_scoped_token_exports_no_shared_types(client: TestClient, imported: Imported,
                                                      token_for: TokenFor, session: Session) -> None:
    headers = token_for(imported.personas.coordinator_id, "patient/*.read")

    manifest = finished(client, kick_off(client, "/$export", headers), headers)

    counts = Counter({item["type"]: item["count"] for item in manifest["output"]})
    assert counts == expected_counts(session, imported.patient_id, shared=False)


def test_status_and_files_belong_to_the_requesting_user(client: TestClient, cora: dict[str, str],
                                                        imported: Imported, token_for: TokenFor) -> None:
    manifest = finished(client, kick_off(client, "/Patient/$export", cora, _type="Patient"), cora)
    url = manifest["output"][0]["url"]
    tess = token_for(imported.personas.teammate_id, "user/*.read")

    assert client.get(url, headers=tess).status_code == 404
    assert client.get(url).status_code == 401
    assert client.get(url.rsplit("/", 1)[0] + "/Secret.ndjson", headers=cora).status_code == 404


def test_cancel_removes_the_export_and_its_files(client: TestClient, cora: dict[str, str], export_dir: Path,
                                                 session: Session) -> None:
    response = kick_off(client, "/Patient/$export", cora)
    status_url = response.headers["content-location"]

    cancelled = client.delete(status_url, headers=cora)
    run_worker()

    assert cancelled.status_code == 202
    assert client.get(status_url, headers=cora).status_code == 404
    assert not any(export_dir.rglob("*.ndjson"))
    assert session.scalar(select(FhirExport.status)) == "cancelled"


def test_a_finished_export_cancelled_loses_its_files(client: TestClient, cora: dict[str, str],
                                                     export_dir: Path) -> None:
    response = kick_off(client, "/Patient/$export", cora)
    finished(client, response, cora)
    assert any(export_dir.rglob("*.ndjson"))

    client.delete(response.headers["content-location"], headers=cora)

    assert not any(export_dir.rglob("*.ndjson"))


@pytest.mark.parametrize(("params", "prefer", "status", "words"), [
    ({}, "", 400, "respond-async"),
    ({"_outputFormat": "text/csv"}, "respond-async", 400, "_outputFormat"),
    ({"_type": "Patient,Nonsense"}, "respond-async", 400, "Nonsense"),
    ({"_typeFilter": "Observation?code=x"}, "respond-async", 400, "_typeFilter"),
    ({"_since": "yesterday"}, "respond-async", 400, "instant"),
])
def test_bad_kick_off_is_refused_clearly_and_queues_nothing(client: TestClient, cora: dict[str, str],
                                                            session: Session, params: dict[str, str], prefer: str,
                                                            status: int, words: str) -> None:
    response = client.get(BASE + "/$export", headers={**cora, "Prefer": prefer}, params=params or None)

    assert response.status_code == status and words in response.json()["issue"][0]["diagnostics"]
    assert session.scalar(select(func.count()).select_from(FhirExport)) == 0


def test_type_outside_the_tokens_scopes_is_refused(client: TestClient, imported: Imported,
                                                   token_for: TokenFor) -> None:
    headers = token_for(imported.personas.coordinator_id, "user/Observation.read")

    assert kick_off(client, "/$export", headers, _type="Patient").status_code == 403


def test_export_is_audited_per_patient_shown(client: TestClient, cora: dict[str, str], imported: Imported,
                                             session: Session) -> None:
    finished(client, kick_off(client, "/Patient/$export", cora), cora)

    actions = session.execute(select(AuditEvent.action, AuditEvent.patient_id, AuditEvent.channel)
                              .where(AuditEvent.actor_id == imported.personas.coordinator_id)).all()
    assert ("fhir.export", imported.patient_id, "fhir") in actions
    assert any(action == "fhir.export.kickoff" for action, _, _ in actions)


def test_capability_statement_names_the_export_operations(client: TestClient) -> None:
    statement = client.get(BASE + "/metadata").json()
    R4B.get_fhir_model_class("CapabilityStatement").model_validate(statement)

    names = {op["name"] for op in statement["rest"][0]["operation"]}
    patient = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Patient")
    assert {"export", "patient-export", "group-export"} <= names
    assert "export" in {op["name"] for op in patient["operation"]}
