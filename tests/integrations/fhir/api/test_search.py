"""Search (FHIR R4 search.html) over the imported Synthea patient: by patient, date prefixes, tokens, status,
paging through next links, _include, _summary=count, and strict or lenient handling of unknown parameters.
Expected numbers are counted from the bundle file itself."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from careloop.integrations.fhir.values import date_range
from tests.integrations.fhir.api.conftest import BASE, FRANKIE, get


@pytest.fixture
def frankie(synthea: Path) -> list[dict[str, Any]]:
    bundle = orjson.loads((synthea / "bundles" / "patient-frankie.json").read_bytes())
    return [entry["resource"] for entry in bundle["entry"]]


def of_type(resources: list[dict[str, Any]], rtype: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["resourceType"] == rtype]


def search(client: TestClient, headers: dict[str, str], path: str, **params: Any) -> dict[str, Any]:
    response = get(client, path, headers, **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["resourceType"] == "Bundle" and body["type"] == "searchset"
    return body


def ids(bundle: dict[str, Any], mode: str = "match") -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def test_search_by_patient_reference_or_bare_id(client: TestClient, cora: dict[str, str],
                                                frankie: list[dict[str, Any]]) -> None:
    typed = search(client, cora, "/Encounter", patient=f"Patient/{FRANKIE}", _count=100)
    bare = search(client, cora, "/Encounter", subject=FRANKIE, _count=100)

    expected = {r["id"] for r in of_type(frankie, "Encounter")}
    assert typed["total"] == len(expected) and set(ids(typed)) == expected
    assert set(ids(bare)) == expected
    assert search(client, cora, "/Encounter", patient="Patient/nobody")["total"] == 0


@pytest.mark.parametrize("value", ["2012", "eq2012-08", "ne2012", "ge2017", "gt2019-06", "lt2013", "le2012-03-31",
                                   "sa2018", "eb2012", "ge2015-01-01T00:00:00Z"])
def test_date_prefixes_follow_the_ranges_of_partial_dates(client: TestClient, cora: dict[str, str],
                                                          frankie: list[dict[str, Any]], value: str) -> None:
    found = search(client, cora, "/Observation", date=value, _summary="count")

    assert found["total"] == sum(_matches(value, o["effectiveDateTime"]) for o in of_type(frankie, "Observation"))
    assert found["total"] > 0


def _matches(value: str, effective: str) -> bool:
    prefix, text = (value[:2], value[2:]) if value[:2].isalpha() else ("eq", value)
    low, high = _range(text)
    start, end = _range(effective)
    within = start >= low and end <= high
    return {"eq": within, "ne": not within, "gt": end > high, "lt": start < low, "ge": end > high or within,
            "le": start < low or within, "sa": start > high, "eb": end < low}[prefix]


def _range(text: str) -> tuple[datetime, datetime]:
    covered = date_range(text)
    assert covered is not None
    return covered


def test_two_date_parameters_make_a_range(client: TestClient, cora: dict[str, str],
                                          frankie: list[dict[str, Any]]) -> None:
    response = client.get(f"{BASE}/Observation", headers=cora,
                          params=[("date", "ge2015"), ("date", "lt2017"), ("_summary", "count")])
    found = response.json()

    expected = [o for o in of_type(frankie, "Observation") if "2015" <= o["effectiveDateTime"][:4] < "2017"]
    assert found["total"] == len(expected) > 0


def test_code_as_system_and_code_code_alone_and_no_system(client: TestClient, cora: dict[str, str],
                                                         frankie: list[dict[str, Any]]) -> None:
    weight = [o for o in of_type(frankie, "Observation") if o["code"]["coding"][0]["code"] == "29463-7"]

    assert search(client, cora, "/Observation", code="http://loinc.org|29463-7")["total"] == len(weight) > 0
    assert search(client, cora, "/Observation", code="29463-7")["total"] == len(weight)
    assert search(client, cora, "/Observation", code="http://snomed.info/sct|29463-7")["total"] == 0
    assert search(client, cora, "/Observation", code="|29463-7")["total"] == 0  # Synthea always names a system
    assert search(client, cora, "/Observation", code="http://loinc.org|", _summary="count")["total"] == 100
    assert search(client, cora, "/Observation", code="29463-7,8302-2")["total"] > len(weight)


def test_status_with_one_or_several_values(client: TestClient, cora: dict[str, str],
                                           frankie: list[dict[str, Any]]) -> None:
    requests = of_type(frankie, "MedicationRequest")
    stopped = [r for r in requests if r["status"] == "stopped"]

    assert search(client, cora, "/MedicationRequest", status="stopped")["total"] == len(stopped)
    assert search(client, cora, "/MedicationRequest", status="stopped,active")["total"] == len(requests)


def test_count_pages_follow_next_links_until_exhausted(client: TestClient, cora: dict[str, str]) -> None:
    seen: list[str] = []
    page = search(client, cora, "/Observation", patient=FRANKIE, _count=7)
    pages = 1
    while True:
        links = {link["relation"]: link["url"] for link in page["link"]}
        seen += ids(page)
        assert page["total"] == 100
        if pages > 1:
            assert "previous" in links
        if "next" not in links:
            break
        page = client.get(links["next"].replace("http://testserver", ""), headers=cora).json()
        pages += 1

    assert pages == 15 and len(seen) == 100 and len(set(seen)) == 100


def test_include_adds_referenced_resources_once(client: TestClient, cora: dict[str, str]) -> None:
    encounters = search(client, cora, "/Encounter", patient=FRANKIE, _include="Encounter:patient", _count=5)
    observations = search(client, cora, "/Observation", patient=FRANKIE, _count=10,
                          _include="Observation:encounter")
    practitioners = search(client, cora, "/Encounter", patient=FRANKIE, _include="Encounter:participant")

    assert ids(encounters, "include") == [FRANKIE]
    assert len(ids(encounters)) == 5
    included = [e["resource"] for e in observations["entry"] if e["search"]["mode"] == "include"]
    referenced = {e["resource"]["encounter"]["reference"] for e in observations["entry"]
                  if e["search"]["mode"] == "match"}
    assert {f"{r['resourceType']}/{r['id']}" for r in included} == referenced  # this page's, no others
    assert {e["resource"]["resourceType"] for e in practitioners["entry"]
            if e["search"]["mode"] == "include"} == {"Practitioner"}


def test_summary_count_gives_the_total_only(client: TestClient, cora: dict[str, str]) -> None:
    found = search(client, cora, "/Observation", patient=FRANKIE, _summary="count")

    assert found["total"] == 100 and "entry" not in found


def test_id_identifier_and_last_updated(client: TestClient, cora: dict[str, str],
                                        frankie: list[dict[str, Any]]) -> None:
    identifier = of_type(frankie, "Patient")[0]["identifier"][1]

    assert ids(search(client, cora, "/Patient", _id=FRANKIE)) == [FRANKIE]
    assert ids(search(client, cora, "/Patient",
                      identifier=f"{identifier['system']}|{identifier['value']}")) == [FRANKIE]
    assert search(client, cora, "/Patient", _lastUpdated="gt2000")["total"] == 1
    assert search(client, cora, "/Patient", _lastUpdated="lt2000")["total"] == 0


def test_unknown_parameter_is_refused_unless_lenient(client: TestClient, cora: dict[str, str]) -> None:
    strict = get(client, "/Observation", cora, colour="blue")
    lenient = client.get(f"{BASE}/Observation", params={"colour": "blue", "patient": FRANKIE},
                         headers={**cora, "Prefer": "handling=lenient"})

    assert strict.status_code == 400
    assert "Unknown search parameter 'colour'" in strict.json()["issue"][0]["diagnostics"]
    assert lenient.status_code == 200 and lenient.json()["total"] == 100
    assert "colour" not in lenient.json()["link"][0]["url"]


@pytest.mark.parametrize("params", [{"date": "xx2020"}, {"date": "2020-13"}, {"_count": "-1"},
                                    {"code:text": "weight"}, {"_include": "Observation:nothing"}])
def test_bad_parameter_values_are_400(client: TestClient, cora: dict[str, str], params: dict[str, str]) -> None:
    response = get(client, "/Observation", cora, **params)

    assert response.status_code == 400, response.text
    assert response.json()["issue"][0]["code"] == "invalid"


def test_post_search_takes_form_parameters(client: TestClient, cora: dict[str, str]) -> None:
    response = client.post(f"{BASE}/Observation/_search", content=f"patient={FRANKIE}&_summary=count",
                           headers={**cora, "Content-Type": "application/x-www-form-urlencoded"})

    assert response.status_code == 200 and response.json()["total"] == 100
