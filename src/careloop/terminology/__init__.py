"""Code systems careloop stores, and the normalisation every code passes once, at the edge (import, API,
forms), so queries and risk scores compare like with like."""

from careloop.terminology.codes import normalise_code, normalise_icd10
from careloop.terminology.systems import SYSTEMS, CodeSystem, system_for_uri

__all__ = ["SYSTEMS", "CodeSystem", "normalise_code", "normalise_icd10", "system_for_uri"]
