"""SMART on FHIR scopes carried by an API token (SMART App Launch 1.0 scopes-and-launch-context, and the v2
`.rs`/`.cruds` form of SMART 2.0): `user/*.read`, `patient/Observation.read`, `system/*.rs`.

A scope only narrows what the token's user may already do: it names resource types and read or write, never
patients. Which patients a token reaches is always the user's care-team reach (access.visible_patient_ids).
Without a SMART launch context careloop tokens carry no single patient, so `patient/` scopes reach the
patient-compartment data of the user's patients and nothing outside a patient compartment (no Practitioner,
Organization, Location). An empty scope string grants none of FHIR (docs/decisions.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_SCOPE = re.compile(r"^(patient|user|system)/(\*|[A-Z][A-Za-z]+)\.(read|write|\*|c?r?u?d?s?)$")
_READ_V2 = frozenset("rs")
_WRITE_V2 = frozenset("cud")


class Mode(StrEnum):
    read = "read"
    write = "write"


@dataclass(frozen=True)
class Grant:
    level: str  # patient, user or system
    resource_type: str  # a type or *
    modes: frozenset[Mode]


@dataclass(frozen=True)
class Scopes:
    grants: tuple[Grant, ...]

    def allows(self, resource_type: str, mode: Mode, *, in_patient_compartment: bool) -> bool:
        return any(
            mode in grant.modes and grant.resource_type in ("*", resource_type)
            and (grant.level != "patient" or in_patient_compartment)
            for grant in self.grants
        )

    def readable_types(self) -> frozenset[str] | None:
        """The types some grant lets the token read; None for every type (a `*` grant)."""
        types = {g.resource_type for g in self.grants if Mode.read in g.modes}
        return None if "*" in types else frozenset(types)


def parse(scope_string: str) -> Scopes:
    """Scopes careloop does not understand (openid, launch, offline_access...) grant nothing and are ignored."""
    return Scopes(tuple(grant for grant in map(_grant, scope_string.split()) if grant is not None))


def _grant(scope: str) -> Grant | None:
    match = _SCOPE.match(scope)
    if match is None:
        return None
    level, resource_type, action = match.groups()
    if action == "read":
        modes = frozenset({Mode.read})
    elif action == "write":
        modes = frozenset({Mode.write})
    elif action == "*":
        modes = frozenset(Mode)
    else:
        letters = set(action)
        modes = frozenset(({Mode.read} if letters & _READ_V2 else set())
                          | ({Mode.write} if letters & _WRITE_V2 else set()))
    return Grant(level, resource_type, modes) if modes else None
