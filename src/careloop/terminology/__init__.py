"""Code systems careloop stores, and the normalisation every code passes once, at the edge (import, API,
forms), so queries and risk scores compare like with like."""

from careloop.terminology.codes import normalise_code, normalise_icd10
from careloop.terminology.discharge import discharge_disposition, nubc_to_hl7
from careloop.terminology.maps import icd10cm_for_snomed
from careloop.terminology.systems import SYSTEMS, CodeSystem, system_for_uri

__all__ = [
    "SYSTEMS",
    "CodeSystem",
    "discharge_disposition",
    "icd10cm_for_snomed",
    "normalise_code",
    "normalise_icd10",
    "nubc_to_hl7",
    "system_for_uri",
]
