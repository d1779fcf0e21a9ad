"""Cross-walks between code systems, as data files with their source stated in the file."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources


@cache
def _snomed_to_icd10cm() -> dict[str, str]:
    text = resources.files("careloop.terminology").joinpath("data/snomed_icd10cm.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    return {row["snomed"]: row["icd10cm"] for row in rows}


def icd10cm_for_snomed(code: str) -> str | None:
    """The ICD-10-CM code (undotted) careloop stores beside a SNOMED CT condition code, if the map has one."""
    return _snomed_to_icd10cm().get(code)
