"""read, vread and history (FHIR R4 http.html#read, #vread, #history) with ETags and the server's meta, and
errors as OperationOutcome resources."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.integrations.fhir.api.conftest import BASE, FRANKIE, Imported, TokenFor, get


def test_read_returns_the_resource_with_server_meta_and_etag(client: TestClient, cora: dict[str, str]) -> None:
    response = get(client, f"/Patient/{FRANKIE}", cora)

    assert response.status_code == 200
    body = response.json()
    assert body["resourceType"] == "Patient" and body["id"] == FRANKIE
    assert body["meta"]["versionId"] == "1"
    assert body["meta"]["lastUpdated"].endswith("Z")
    assert response.headers["etag"] == 'W/"1"'
    assert "last-modified" in response.headers


def test_vread_and_history_serve_the_stored_versions(client: TestClient, cora: dict[str, str]) -> None:
    version = get(client, f"/Patient/{FRANKIE}/_history/1", cora)
    history = get(client, f"/Patient/{FRANKIE}/_history", cora).json()

    assert version.status_code == 200 and version.headers["etag"] == 'W/"1"'
    assert version.json()["meta"]["versionId"] == "1"
    assert history["type"] == "history" and history["total"] == 1
    assert history["entry"][0]["resource"]["id"] == FRANKIE
    assert history["entry"][0]["request"] == {"method": "POST", "url": "Patient"}


def test_unknown_version_is_404_with_an_operation_outcome(client: TestClient, cora: dict[str, str]) -> None:
    response = get(client, f"/Patient/{FRANKIE}/_history/7", cora)

    assert response.status_code == 404
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "not-found"
    assert "no version '7'" in outcome["issue"][0]["diagnostics"]


def test_unknown_id_and_unknown_type_are_404(client: TestClient, cora: dict[str, str]) -> None:
    unknown_id = get(client, "/Observation/nope", cora)
    unknown_type = get(client, "/Spaceship/1", cora)

    assert unknown_id.status_code == 404 and "Observation/nope is not known" in unknown_id.text
    assert unknown_type.status_code == 404 and "not a FHIR R4 resource type" in unknown_type.text


def test_no_token_is_401_and_a_token_without_scopes_403(client: TestClient, imported: Imported,
                                                        token_for: TokenFor) -> None:
    missing = get(client, f"/Patient/{FRANKIE}", {})
    unscoped = get(client, f"/Patient/{FRANKIE}", token_for(imported.personas.coordinator_id, ""))

    assert missing.status_code == 401 and missing.json()["issue"][0]["code"] == "login"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert unscoped.status_code == 403 and "no FHIR scopes" in unscoped.text


def test_format_json_is_tolerated_and_xml_refused(client: TestClient, cora: dict[str, str]) -> None:
    as_json = get(client, f"/Patient/{FRANKIE}", cora, _format="json")
    as_xml = get(client, f"/Patient/{FRANKIE}", cora, _format="xml")

    assert as_json.status_code == 200
    assert as_xml.status_code == 406 and as_xml.json()["resourceType"] == "OperationOutcome"


def test_unknown_route_under_fhir_is_an_operation_outcome(client: TestClient, cora: dict[str, str]) -> None:
    response = client.delete(f"{BASE}/Patient/{FRANKIE}", headers=cora)

    assert response.status_code == 405
    assert response.json()["resourceType"] == "OperationOutcome"
