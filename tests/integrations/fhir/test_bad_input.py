"""Bad input is rejected with its place and reason and the rest goes on; a transaction bundle is all or
nothing (FHIR R4 http.html#transaction); compressed and archived input reads like plain input."""

from __future__ import annotations

import gzip
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from careloop.errors import InvalidInput
from careloop.integrations.fhir import writes
from careloop.integrations.fhir.importer import import_paths
from careloop.models import FhirResource, MapStatus, Observation, Patient
from tests.integrations.fhir.conftest import observation, patient, write_ndjson


def _bundle(kind: str, resources: list[dict[str, Any]]) -> bytes:
    entries = [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r,
                "request": {"method": "POST", "url": r["resourceType"]}} for r in resources]
    return orjson.dumps({"resourceType": "Bundle", "type": kind, "entry": entries})


def _stored(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(FhirResource)) or 0)


def test_a_malformed_line_is_rejected_with_file_and_line_and_the_rest_imported(tmp_path: Path,
                                                                              session: Session) -> None:
    path = tmp_path / "Patient.ndjson"
    path.write_bytes(orjson.dumps(patient("p1")) + b"\n{not json\n\n" + orjson.dumps(patient("p2")) + b"\n")

    summary = import_paths([path], source="ehr")

    assert [(r.location, r.resource_type) for r in summary.rejections] == [(f"{path}:2", "(unreadable)")]
    assert "not valid JSON" in summary.rejections[0].reason
    assert summary.of("Patient").created == 2 and _stored(session) == 2


def test_an_invalid_resource_is_rejected_with_the_reason(tmp_path: Path, session: Session) -> None:
    no_code = observation("o1")
    del no_code["code"]
    path = write_ndjson(tmp_path / "Observation.ndjson", [no_code, {"resourceType": "Observation", "id": "bad id!"},
                                                          {"id": "x"}, {"resourceType": "Foo", "id": "f"}])

    summary = import_paths([path], source="ehr")

    assert [r.reason for r in summary.rejections] == [
        "Observation.code is required (FHIR R4) and missing",
        "id 'bad id!' is not a FHIR id (1-64 of A-Z a-z 0-9 - .)",
        "no resourceType",
        "'Foo' is not a FHIR R4 resource type",
    ]
    assert [r.location for r in summary.rejections] == [f"{path}:{n}" for n in (1, 2, 3, 4)]
    assert _stored(session) == 0


def test_a_transaction_with_one_bad_entry_stores_nothing_of_it(tmp_path: Path, session: Session) -> None:
    bad = observation("o1")
    del bad["status"]
    path = tmp_path / "transaction.json"
    path.write_bytes(_bundle("transaction", [patient("p1"), bad]))

    summary = import_paths([path], source="ehr")

    assert _stored(session) == 0 and session.scalar(select(Patient)) is None
    assert summary.rejected_total == 2
    reasons = {r.location: r.reason for r in summary.rejections}
    assert reasons[f"{path}#entry[1]"] == "Observation.status is required (FHIR R4) and missing"
    assert reasons[f"{path}#entry[0]"].startswith("transaction not applied (all or nothing)")


def test_a_transaction_the_database_refuses_is_rolled_back_whole(tmp_path: Path, session: Session,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    good, failing = tmp_path / "a.json", tmp_path / "b.json"
    good.write_bytes(_bundle("transaction", [patient("p1")]))
    failing.write_bytes(_bundle("transaction", [patient("p2"), observation("o2", "p2")]))
    real = writes.write_store

    def refuse_second_bundle(writer: Any, todo: list[Any], **kwargs: Any) -> None:
        real(writer, todo, **kwargs)  # written, then the database refuses: the savepoint must undo it all
        if any(p.source_id == "o2" for p in todo):
            raise sqlite3.IntegrityError("simulated constraint failure")

    monkeypatch.setattr(writes, "write_store", refuse_second_bundle)

    summary = import_paths([good, failing], source="ehr")

    assert session.scalars(select(FhirResource.source_id)).all() == ["p1"]
    assert session.scalars(select(Patient.family)).all() == ["Rivera"]
    assert summary.rejected_total == 2
    assert all("simulated constraint failure" in r.reason for r in summary.rejections)


def test_a_collection_bundle_keeps_its_good_entries(tmp_path: Path, session: Session) -> None:
    bad = observation("o2")
    del bad["code"]
    path = tmp_path / "collection.json"
    path.write_bytes(_bundle("collection", [patient("p1"), observation("o1"), bad]))

    summary = import_paths([path], source="ehr")

    assert sorted(session.scalars(select(FhirResource.source_id))) == ["o1", "p1"]
    assert [(r.location, r.resource_type) for r in summary.rejections] == [(f"{path}#entry[2]", "Observation")]


def test_types_careloop_does_not_model_are_stored_and_counted(tmp_path: Path, session: Session) -> None:
    flag = {"resourceType": "Flag", "id": "f1", "status": "active", "code": {"text": "Falls risk"},
            "subject": {"reference": "Patient/p1"}}
    path = write_ndjson(tmp_path / "mixed.ndjson", [patient(), flag])

    summary = import_paths([path], source="ehr")

    assert summary.stored_only == {"Flag": 1}
    stored = session.scalar(select(FhirResource).where(FhirResource.resource_type == "Flag"))
    assert stored is not None and stored.map_status == MapStatus.stored
    assert stored.patient_id == session.scalar(select(Patient.id)), "in the patient's compartment"


def test_a_reference_that_cannot_resolve_is_reported_not_guessed(tmp_path: Path, session: Session) -> None:
    path = write_ndjson(tmp_path / "Observation.ndjson", [observation("o1", pid="nobody")])

    summary = import_paths([path], source="ehr")

    assert summary.unresolved == {("subject", "Patient"): 1}
    assert summary.unresolved_samples == ["Observation/o1 subject -> Patient/nobody"]
    assert summary.unmapped == {("Observation", "the Patient it refers to has no careloop record"): 1}
    stored = session.scalar(select(FhirResource))
    assert stored is not None and stored.map_status == MapStatus.unmapped and stored.patient_id is None
    assert session.scalar(select(Observation)) is None


def test_a_reference_to_a_later_file_resolves_at_the_end_of_the_run(tmp_path: Path, session: Session) -> None:
    # Observation.ndjson sorts before Patient.ndjson by name but after it by type; two unrelated file names
    # keep the worst order: the observation is read first.
    early = write_ndjson(tmp_path / "a.ndjson", [observation("o1")])
    late = write_ndjson(tmp_path / "b.ndjson", [patient()])

    summary = import_paths([early, late], source="ehr")

    assert not summary.unresolved
    row = session.scalar(select(Observation))
    assert row is not None and row.patient_id == session.scalar(select(Patient.id))
    assert session.scalar(select(FhirResource.map_status).where(FhirResource.source_id == "o1")) == "mapped"


def test_gzip_and_zip_inputs_read_like_plain_files(tmp_path: Path, session: Session) -> None:
    with gzip.open(tmp_path / "Patient.ndjson.gz", "wb") as out:
        out.write(orjson.dumps(patient("p1")) + b"\n")
    with zipfile.ZipFile(tmp_path / "export.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Observation.ndjson", orjson.dumps(observation("o1")) + b"\n")
        archive.writestr("bundle.json", _bundle("collection", [patient("p2")]))
        archive.writestr("notes.txt", "not FHIR")

    summary = import_paths([tmp_path], source="ehr")

    assert sorted(session.scalars(select(FhirResource.source_id))) == ["o1", "p1", "p2"]
    assert summary.rejected_total == 0
    assert (f"{tmp_path / 'export.zip'}!notes.txt", "not .ndjson, .json, .gz or .zip") in summary.skipped_files


def test_the_same_resource_twice_in_a_file_is_a_second_version(tmp_path: Path, session: Session) -> None:
    path = write_ndjson(tmp_path / "Patient.ndjson", [patient(family="First"), patient(family="Second")])

    summary = import_paths([path], source="ehr")

    assert (summary.of("Patient").created, summary.of("Patient").updated) == (1, 1)
    assert session.scalar(select(Patient.family)) == "Second"


def test_a_path_that_does_not_exist_stops_the_run_before_anything_is_written(tmp_path: Path,
                                                                            session: Session) -> None:
    with pytest.raises(InvalidInput, match="no such file or directory"):
        import_paths([write_ndjson(tmp_path / "Patient.ndjson", [patient()]), tmp_path / "missing.ndjson"])
    assert _stored(session) == 0

