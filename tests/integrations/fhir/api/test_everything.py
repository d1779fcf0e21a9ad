"""Patient/$everything (R4 patient-operation-everything.html): the patient's compartment, paged, limited to
the types the token's scopes cover."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
from fastapi.testclient import TestClient

from tests.integrations.fhir.api.conftest import FRANKIE, Imported, TokenFor, get

SHARED = {"Organization", "Practitioner"}


def test_everything_pages_through_the_whole_compartment(client: TestClient, cora: dict[str, str],
                                                        synthea: Path) -> None:
    bundle = orjson.loads((synthea / "bundles" / "patient-frankie.json").read_bytes())
    expected = Counter(e["resource"]["resourceType"] for e in bundle["entry"]
                       if e["resource"]["resourceType"] not in SHARED)
    seen: Counter[str] = Counter()
    url = f"/Patient/{FRANKIE}/$everything?_count=100"
    while url:
        page = get(client, url, cora).json()
        assert page["total"] == sum(expected.values())
        seen.update(e["resource"]["resourceType"] for e in page["entry"])
        links = {link["relation"]: link["url"] for link in page["link"]}
        url = links.get("next", "").replace("http://testserver/fhir/R4", "")

    assert seen == expected


def test_everything_keeps_to_the_scoped_types(client: TestClient, imported: Imported, token_for: TokenFor) -> None:
    token = token_for(imported.personas.coordinator_id, "user/Patient.read user/Condition.read")

    page = get(client, f"/Patient/{FRANKIE}/$everything", token).json()

    assert {e["resource"]["resourceType"] for e in page["entry"]} == {"Patient", "Condition"}
