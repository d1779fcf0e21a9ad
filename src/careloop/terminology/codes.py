"""Normalising codes once, at the edge.

ICD-10-CM codes are stored without the dot and in upper case ("e11.22" -> "E1122"): the Quan 2005 Charlson
and CMS-HCC maps match undotted codes by prefix, and a dotted or lower-case code would silently not count.
"""

from __future__ import annotations

import re

from careloop.errors import InvalidInput

# ICD-10-CM: a letter, a digit, a digit or letter (the category), then an optional dot and up to four more.
_ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?\.?$")
_LOINC = re.compile(r"^[0-9]{1,7}-[0-9]$")
_DIGITS = re.compile(r"^[0-9]{1,18}$")


def normalise_icd10(code: str) -> str:
    """'e11.22 ' -> 'E1122'; refuses what cannot be an ICD-10 code rather than storing it unmatched."""
    cleaned = code.strip().upper()
    if not _ICD10.match(cleaned):
        raise InvalidInput(f"{code!r} is not an ICD-10-CM code (expected e.g. E11.22 or E1122).")
    return cleaned.replace(".", "")


def normalise_code(system_key: str, code: str) -> str:
    """The stored form of `code` in `system_key` (a key of careloop.terminology.SYSTEMS)."""
    if system_key in ("icd10cm", "icd10"):
        return normalise_icd10(code)
    cleaned = code.strip()
    if system_key == "loinc" and not _LOINC.match(cleaned):
        raise InvalidInput(f"{code!r} is not a LOINC code (expected e.g. 4548-4).")
    if system_key in ("snomed", "rxnorm") and not _DIGITS.match(cleaned):
        raise InvalidInput(f"{code!r} is not a {system_key.upper()} code (digits only).")
    if not cleaned:
        raise InvalidInput("A code cannot be empty.")
    return cleaned
