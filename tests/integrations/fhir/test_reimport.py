"""Importing is idempotent: the same files again create nothing; a resource with new content becomes a new
version (the old one kept for vread and _history), and its careloop rows follow it in place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from careloop.integrations.fhir import prepare
from careloop.integrations.fhir.importer import import_paths
from careloop.models import AuditEvent, FhirResource, FhirResourceVersion, Observation, Patient
from tests.integrations.fhir.conftest import observation, patient, provider_bundles_first, write_ndjson


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_same_bundles_again_are_all_unchanged(synthea: Path, session: Session) -> None:
    paths = provider_bundles_first(synthea / "bundles")
    first = import_paths(paths, source="synthea")
    counts = [_count(session, m) for m in (FhirResource, FhirResourceVersion, Patient, Observation, AuditEvent)]
    session.rollback()  # a SQLite transaction (even a read) holds the write lock the next import needs

    again = import_paths(paths, source="synthea")

    assert again.totals.read == first.totals.read
    assert (again.totals.created, again.totals.updated, again.totals.unchanged) == (0, 0, again.totals.read)
    assert [_count(session, m) for m in (FhirResource, FhirResourceVersion, Patient, Observation,
                                         AuditEvent)] == counts
    assert again.patients_touched == 0


def test_new_content_is_version_2_and_version_1_is_kept(tmp_path: Path, session: Session) -> None:
    import_paths([write_ndjson(_dir(tmp_path / "v1") / "Patient.ndjson", [patient(family="Rivera")])], source="ehr")
    before = session.scalar(select(Patient))
    assert before is not None
    before_id, before_public_id = before.id, before.public_id
    session.rollback()

    summary = import_paths([write_ndjson(_dir(tmp_path / "v2") / "Patient.ndjson", [patient(family="Rivera-Cruz")])],
                           source="ehr")

    assert (summary.totals.created, summary.totals.updated) == (0, 1)
    stored = session.scalar(select(FhirResource).where(FhirResource.resource_type == "Patient"))
    assert stored is not None and stored.version_id == 2
    versions = session.scalars(select(FhirResourceVersion).where(FhirResourceVersion.resource_id == stored.id)
                               .order_by(FhirResourceVersion.version_id)).all()
    assert [(v.version_id, "Rivera-Cruz" in v.resource_json) for v in versions] == [(1, False), (2, True)]
    after = session.scalar(select(Patient))
    assert after is not None
    assert (after.id, after.public_id, after.family) == (before_id, before_public_id, "Rivera-Cruz")


def test_an_old_version_read_again_does_not_roll_the_resource_back(tmp_path: Path, session: Session) -> None:
    old = write_ndjson(_dir(tmp_path / "old") / "Patient.ndjson", [patient(family="Old")])
    new = write_ndjson(_dir(tmp_path / "new") / "Patient.ndjson", [patient(family="New")])
    import_paths([old], source="ehr")
    import_paths([new], source="ehr")

    replay = import_paths([old], source="ehr")

    assert (replay.totals.updated, replay.totals.unchanged) == (0, 1)
    assert session.scalar(select(Patient.family)) == "New"
    assert session.scalar(select(FhirResource.version_id)) == 2


def test_a_new_version_of_an_observation_replaces_its_rows(tmp_path: Path, session: Session) -> None:
    import_paths([write_ndjson(_dir(tmp_path / "a") / "Patient.ndjson", [patient()]),
                  write_ndjson(tmp_path / "a" / "Observation.ndjson", [observation("o1", value=72.0)])], source="ehr")

    import_paths([write_ndjson(_dir(tmp_path / "b") / "Observation.ndjson", [observation("o1", value=70.5)])],
                 source="ehr")

    assert session.scalars(select(Observation.value_num)).all() == [70.5]


def test_the_same_id_from_another_source_is_another_resource(tmp_path: Path, session: Session) -> None:
    path = write_ndjson(_dir(tmp_path / "x") / "Patient.ndjson", [patient()])
    import_paths([path], source="ehr-a")

    summary = import_paths([path], source="ehr-b")

    assert summary.totals.created == 1
    rows = session.execute(select(FhirResource.source, FhirResource.logical_id)
                           .order_by(FhirResource.source)).all()
    assert rows[0] == ("ehr-a", "p1") and rows[1][0] == "ehr-b" and rows[1][1] != "p1"
    assert _count(session, Patient) == 2


def _count_mapping(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the resources mapped from here on."""
    mapped: list[str] = []
    real = prepare.map_resource

    def counting(rtype: str, resource: dict[str, Any], *args: Any) -> Any:
        mapped.append(resource["id"])
        return real(rtype, resource, *args)

    monkeypatch.setattr(prepare, "map_resource", counting)
    return mapped


def test_unchanged_resources_are_not_mapped_or_indexed_again(tmp_path: Path, session: Session,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    files = [write_ndjson(_dir(tmp_path / "a") / "Patient.ndjson", [patient("p1"), patient("p2")]),
             write_ndjson(tmp_path / "a" / "Observation.ndjson", [observation("o1", "p1"), observation("o2", "p2")])]
    import_paths(files, source="ehr")
    mapped = _count_mapping(monkeypatch)

    again = import_paths(files, source="ehr")

    assert (again.totals.read, again.totals.unchanged) == (4, 4)
    assert mapped == []


def test_only_the_changed_resource_of_a_file_is_mapped_again(tmp_path: Path, session: Session,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import_paths([write_ndjson(_dir(tmp_path / "v1") / "Patient.ndjson", [patient("p1"), patient("p2")])],
                 source="ehr")
    mapped = _count_mapping(monkeypatch)

    summary = import_paths([write_ndjson(_dir(tmp_path / "v2") / "Patient.ndjson",
                                         [patient("p1"), patient("p2", family="Okafor")])], source="ehr")

    assert (summary.totals.unchanged, summary.totals.updated) == (1, 1)
    assert mapped == ["p2"]
    assert sorted(session.scalars(select(Patient.family))) == ["Okafor", "Rivera"]


def test_types_careloop_does_not_model_are_counted_on_every_import(tmp_path: Path, session: Session) -> None:
    flag = {"resourceType": "Flag", "id": "f1", "status": "active", "code": {"text": "fall risk"},
            "subject": {"reference": "Patient/p1"}}
    path = write_ndjson(_dir(tmp_path / "x") / "Flag.ndjson", [flag])
    import_paths([path], source="ehr")

    again = import_paths([path], source="ehr")

    assert again.stored_only == {"Flag": 1} and again.totals.unchanged == 1


def _dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
