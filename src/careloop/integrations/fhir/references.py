"""References: parsing the forms FHIR allows (FHIR R4 references.html), finding every Reference of a
resource for the reference index, and rewriting references to other bundle entries to Type/id.

Forms, and what becomes of them:
- `Type/id` (or `Type/id/_history/n`): literal; resolves to that resource of the same source.
- `urn:uuid:...` or an absolute URL that is another entry's fullUrl: that entry (bundle.html#references).
- `Type?identifier=system|value`: conditional (Synthea bulk data); resolves by business identifier.
- `{"identifier": {...}}` with no `reference`: logical; resolves by identifier too.
- `#id`: a contained resource; not indexed.
- anything else (another server's URL, a urn not in the bundle): kept and reported unresolved, never guessed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple

from careloop.integrations.fhir.structure import RESOURCE_TYPES

Key = tuple[str, str, str]  # ("id", type, id) or ("identifier", type, "system|value")


class Ref(NamedTuple):
    """What a reference points at, in the terms of the source it came from."""

    type: str | None
    id: str | None = None
    identifier: str | None = None  # "system|value"
    raw: str | None = None  # kept when neither id nor identifier could be read from it
    key: Key | None = None  # how the importer looks its target up; None when it cannot be resolved

    @property
    def resolvable(self) -> bool:
        return self.key is not None


def ref(type_: str | None, id_: str | None = None, identifier: str | None = None, raw: str | None = None) -> Ref:
    key: Key | None = None
    if type_ is not None:
        if id_ is not None:
            key = ("id", type_, id_)
        elif identifier is not None:
            key = ("identifier", type_, identifier)
    return Ref(type_, id_, identifier, raw, key)


# (path, target) of one Reference element of a resource
Found = tuple[str, Ref]

_LITERAL = re.compile(r"(?:.*/)?([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?")
_CONDITIONAL = re.compile(r"([A-Z][A-Za-z]+)\?identifier=(.*)")

# Identifier-only references carry no type; where an element allows one target type, that is the type.
_SINGLE_TARGET = {
    "managingOrganization": "Organization", "serviceProvider": "Organization", "organization": "Organization",
    "partOf": None, "practitioner": "Practitioner", "location": "Location", "location.location": "Location",
    "patient": "Patient", "encounter": "Encounter", "custodian": "Organization", "insurer": "Organization",
    "provider": None, "context.encounter": "Encounter",
}


def parse(value: dict[str, Any], path: str, full_urls: dict[str, tuple[str, str]]) -> Ref | None:
    """The target of one Reference, or None for a contained (#id) or display-only reference."""
    reference = value.get("reference")
    if isinstance(reference, str):
        return _parse_string(reference, value.get("type"), full_urls)
    identifier = value.get("identifier")
    if isinstance(identifier, dict) and isinstance(identifier.get("value"), str):
        target = value.get("type")
        if not isinstance(target, str):
            target = _SINGLE_TARGET.get(path)
        return ref(target, identifier=f"{identifier.get('system') or ''}|{identifier['value']}")
    return None


def _parse_string(reference: str, declared: Any, full_urls: dict[str, tuple[str, str]]) -> Ref | None:
    if full_urls:
        in_bundle = full_urls.get(reference)
        if in_bundle is not None:
            return ref(in_bundle[0], in_bundle[1])
    return _parse_plain(reference, declared if isinstance(declared, str) else None)


@lru_cache(maxsize=65536)
def _parse_plain(reference: str, declared: str | None) -> Ref | None:
    """Cached: a run refers to the same patient and encounter again and again, and mappers parse the
    references `find` has parsed already."""
    if reference.startswith("#"):
        return None
    if reference.startswith(("urn:uuid:", "urn:oid:")):
        return ref(declared, raw=reference)
    literal = _LITERAL.fullmatch(reference)
    if literal and literal.group(1) in RESOURCE_TYPES and not reference.startswith(("http:", "https:")):
        return ref(literal.group(1), literal.group(2))
    conditional = _CONDITIONAL.fullmatch(reference)
    if conditional and conditional.group(1) in RESOURCE_TYPES and "&" not in conditional.group(2):
        return ref(conditional.group(1), identifier=conditional.group(2))
    # Another server's URL (absolute references resolve only when they are an entry's fullUrl).
    target = literal.group(1) if literal and literal.group(1) in RESOURCE_TYPES else None
    return ref(target, raw=reference)


def find(resource: dict[str, Any], full_urls: dict[str, tuple[str, str]]) -> list[Found]:
    """Every Reference of `resource` down to the second level of elements (where R4 puts all the references
    its search parameters use: subject, encounter, participant.individual, performer.actor...)."""
    found: list[Found] = []
    for key, value in resource.items():
        if key in _SKIP:
            continue
        if type(value) is dict:
            _element(key, value, found, full_urls)
        elif type(value) is list:
            for item in value:
                if type(item) is dict:
                    _element(key, item, found, full_urls)
    return found


# Elements that hold no Reference in R4 (narrative, extensions, codes, quantities, periods, names,
# contact details, contained resources...): skipped without a look inside. Anything not listed is walked,
# so a reference in an element careloop has not heard of is still found.
_NO_REFERENCES = """
resourceType id meta implicitRules language text contained extension modifierExtension identifier active
status statusReason intent priority category code type class classHistory statusHistory serviceType
reasonCode name telecom address gender birthDate deceasedBoolean deceasedDateTime maritalStatus
multipleBirthBoolean multipleBirthInteger photo communication effectiveDateTime effectivePeriod
effectiveInstant issued valueQuantity valueCodeableConcept valueString valueBoolean valueInteger valueRange
valueRatio valueSampledData valueTime valueDateTime valuePeriod dataAbsentReason interpretation note bodySite
method referenceRange component medicationCodeableConcept authoredOn dosageInstruction dosage
clinicalStatus verificationStatus severity onsetDateTime onsetAge onsetPeriod onsetRange onsetString
abatementDateTime abatementAge abatementPeriod abatementRange abatementString recordedDate vaccineCode
occurrenceDateTime occurrenceString occurrencePeriod occurrenceTiming primarySource lotNumber expirationDate
doseQuantity criticality reaction performedDateTime performedPeriod performedString outcome followUp
complication usedCode content date docStatus description securityLabel udiCarrier deviceName serialNumber
manufactureDate distinctIdentifier modelNumber version property position physicalType mode
hoursOfOperation availableTime notAvailable specialty billablePeriod created total payment processNote use
lifecycleStatus achievementStatus startDate startCodeableConcept statusDate title period coding
"""
_SKIP = frozenset(_NO_REFERENCES.split())


def _element(key: str, value: dict[str, Any], found: list[Found], full_urls: dict[str, tuple[str, str]]) -> None:
    if "reference" in value or ("identifier" in value and type(value["identifier"]) is dict):
        target = parse(value, key, full_urls)
        if target is not None:
            found.append((key, target))
        return
    for inner_key, inner in value.items():
        if type(inner) is dict:
            if "reference" in inner or ("identifier" in inner and type(inner["identifier"]) is dict):
                path = f"{key}.{inner_key}"
                target = parse(inner, path, full_urls)
                if target is not None:
                    found.append((path, target))
        elif type(inner) is list and inner_key not in _SKIP:
            for item in inner:
                if type(item) is dict and "reference" in item:
                    path = f"{key}.{inner_key}"
                    target = parse(item, path, full_urls)
                    if target is not None:
                        found.append((path, target))


_URN = re.compile(rb'"reference":"((?:urn:uuid:|urn:oid:|https?://)[^"]+)"')


def rewrite_bundle_references(document: bytes, full_urls: dict[str, tuple[str, str]]) -> bytes:
    """References to other entries by fullUrl become Type/id, as a FHIR server rewrites them when it
    processes a transaction (FHIR R4 http.html#trules). Others are left as they are."""
    if not full_urls:
        return document

    def replace(match: re.Match[bytes]) -> bytes:
        target = full_urls.get(match.group(1).decode())
        if target is None:
            return match.group(0)
        return b'"reference":"' + f"{target[0]}/{target[1]}".encode() + b'"'

    return _URN.sub(replace, document)
