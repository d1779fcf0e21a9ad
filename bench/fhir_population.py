"""A Bulk Data NDJSON population of any size, generated from the Synthea bulk-10-patients sample.

Patient n is a copy of template patient n mod 13 with fresh ids: the Patient and the resources of its most
recent encounters (the encounters, and every resource that refers to one of them: conditions, procedures,
medication requests, immunizations, document references), plus its allergies and devices. The provider
directory (Organization, Location, Practitioner, PractitionerRole) is written once and shared, as in a
real export. Ids are rewritten by replacing a template UUID's first group with the copy's number, so every
reference inside a copy (Patient/..., Encounter/...) still points inside it, and references to the shared
directory (by identifier) are left alone.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import orjson

DIRECTORY_TYPES = ("Organization", "Location", "Practitioner", "PractitionerRole")
_UUID = re.compile(rb"[0-9a-f]{8}(-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
_ENCOUNTER_REF = re.compile(rb'"Encounter/([0-9a-f\-]{36})"')
_PATIENT_REF = re.compile(rb'"Patient/([0-9a-f\-]{36})"')


@dataclass
class Template:
    patient_id: bytes
    lines: list[tuple[str, bytes]]  # (type, NDJSON line) of the Patient and its chosen resources


def load_templates(sample: Path, encounters_per_patient: int) -> tuple[list[Template], dict[str, list[bytes]]]:
    by_type: dict[str, list[bytes]] = {}
    for path in sorted(sample.glob("*.ndjson")):
        resource_type = path.name.split(".", 1)[0]
        if resource_type[0].isupper():
            by_type[resource_type] = [line for line in path.read_bytes().splitlines() if line.strip()]
    directory = {t: by_type.pop(t, []) for t in DIRECTORY_TYPES}
    patients = by_type.pop("Patient")
    recent = _recent_encounters(by_type.pop("Encounter"), encounters_per_patient)
    templates = []
    for line in patients:
        patient_id = orjson.loads(line)["id"].encode()
        chosen = recent.get(patient_id, [])
        keep = {encounter_id for encounter_id, _ in chosen}
        lines = [("Patient", line)] + [("Encounter", encounter) for _, encounter in chosen]
        for resource_type, resources in sorted(by_type.items()):
            for resource in resources:
                owner = _PATIENT_REF.search(resource)
                if owner is None or owner.group(1) != patient_id:
                    continue
                encounter = _ENCOUNTER_REF.search(resource)
                if encounter is None or encounter.group(1) in keep:
                    lines.append((resource_type, resource))
        templates.append(Template(patient_id, lines))
    return templates, directory


def _recent_encounters(encounters: list[bytes], count: int) -> dict[bytes, list[tuple[bytes, bytes]]]:
    by_patient: dict[bytes, list[tuple[str, bytes, bytes]]] = defaultdict(list)
    for line in encounters:
        resource = orjson.loads(line)
        patient = resource["subject"]["reference"].split("/", 1)[1].encode()
        by_patient[patient].append((resource["period"]["start"], resource["id"].encode(), line))
    return {patient: [(eid, line) for _, eid, line in sorted(found)[-count:]] for patient, found in by_patient.items()}


def copy_lines(template: Template, number: int, directory_ids: set[bytes]) -> Iterator[tuple[str, bytes]]:
    prefix = f"{number:08x}".encode()

    def rewrite(match: re.Match[bytes]) -> bytes:
        if match.group(0) in directory_ids:
            return match.group(0)
        return prefix + match.group(1)

    for resource_type, line in template.lines:
        yield resource_type, _UUID.sub(rewrite, line)


def directory_uuids(directory: dict[str, list[bytes]]) -> set[bytes]:
    found: set[bytes] = set()
    for lines in directory.values():
        for line in lines:
            found.update(match.group(0) for match in _UUID.finditer(line))
    return found


def write_population(sample: Path, target: Path, patients: int, encounters_per_patient: int = 5) -> int:
    """Write `patients` patients as Bulk Data NDJSON (one file per type) into `target`; returns the number
    of resources written."""
    templates, directory = load_templates(sample, encounters_per_patient)
    shared = directory_uuids(directory)
    target.mkdir(parents=True, exist_ok=True)
    files: dict[str, BinaryIO] = {}
    written = 0
    try:
        for resource_type, lines in directory.items():
            (target / f"{resource_type}.000.ndjson").write_bytes(b"\n".join(lines) + b"\n")
            written += len(lines)
        for number in range(patients):
            for resource_type, line in copy_lines(templates[number % len(templates)], number, shared):
                out = files.get(resource_type)
                if out is None:
                    out = files[resource_type] = open(target / f"{resource_type}.000.ndjson", "wb")  # noqa: SIM115
                out.write(line + b"\n")
                written += 1
    finally:
        for opened in files.values():
            opened.close()
    return written
