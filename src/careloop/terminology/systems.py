"""The code systems careloop stores, by the short key kept in `code_system` columns and their FHIR URIs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CodeSystem:
    key: str
    uri: str
    name: str
    aliases: tuple[str, ...] = ()


SYSTEMS: dict[str, CodeSystem] = {s.key: s for s in (
    CodeSystem("snomed", "http://snomed.info/sct", "SNOMED CT"),
    # FHIR R4 names ICD-10-CM http://hl7.org/fhir/sid/icd-10-cm; older feeds send the bare OID or "I10".
    CodeSystem("icd10cm", "http://hl7.org/fhir/sid/icd-10-cm", "ICD-10-CM",
               ("urn:oid:2.16.840.1.113883.6.90", "I10", "ICD10", "ICD-10-CM")),
    CodeSystem("icd10", "http://hl7.org/fhir/sid/icd-10", "ICD-10 (WHO)", ("urn:oid:2.16.840.1.113883.6.3",)),
    CodeSystem("loinc", "http://loinc.org", "LOINC", ("urn:oid:2.16.840.1.113883.6.1", "LN")),
    CodeSystem("rxnorm", "http://www.nlm.nih.gov/research/umls/rxnorm", "RxNorm",
               ("urn:oid:2.16.840.1.113883.6.88", "RXNORM")),
    CodeSystem("cpt", "http://www.ama-assn.org/go/cpt", "CPT", ("urn:oid:2.16.840.1.113883.6.12", "C4")),
    CodeSystem("cvx", "http://hl7.org/fhir/sid/cvx", "CVX", ("urn:oid:2.16.840.1.113883.12.292",)),
)}

_BY_URI = {alias: system for system in SYSTEMS.values() for alias in (system.uri, *system.aliases)}


def system_for_uri(uri: str) -> CodeSystem | None:
    """The system a FHIR `system` URI (or a v2 coding-system name such as I10 or LN) names, if we know it."""
    return _BY_URI.get(uri.strip())
