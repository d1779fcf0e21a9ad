"""What a mapper returns: the careloop rows a FHIR resource becomes, with placeholders for what only the
importer can fill in (the ids of the rows other resources map to), so mappers stay pure functions of the
resource: no session, no queries, testable on a dict."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, NamedTuple

from careloop.integrations.fhir.references import Ref, parse


class Link(NamedTuple):
    """A column holding the careloop id of the domain row another resource maps to (patient_id...).
    `required`: the row cannot exist without it (a NOT NULL key, a link table's row)."""

    ref: Ref
    required: bool = False


class NameOf(NamedTuple):
    """A column holding the name of another resource's domain row (an encounter's facility), else the
    reference's display. `required`: drop the row when neither is known."""

    ref: Ref | None
    fallback: str | None
    length: int
    required: bool = False


class _Primary:
    """The id of the row this resource maps to one-to-one, for its child rows (a care plan's activities)."""

    def __repr__(self) -> str:
        return "PRIMARY"


PRIMARY: Final = _Primary()


@dataclass(slots=True)
class Row:
    table: str
    values: dict[str, Any]
    # The columns the mapper set (the importer completes `values` with defaults for an INSERT; an UPDATE
    # of a row careloop already has touches only these, so what careloop itself added stays).
    columns: tuple[str, ...] = ()
    # The columns holding a Link, NameOf or PRIMARY, noted when the row is prepared (None: not noted yet).
    placeholders: tuple[str, ...] | None = None


@dataclass(slots=True)
class Mapped:
    rows: list[Row] = field(default_factory=list)
    # One-to-one: rows[0] is *the* row of the resource (fhir_resources.domain_id), updated in place by a new
    # version; the other rows are its children. One-to-many (an Observation panel, a CareTeam): all rows
    # carry fhir_resource_id and a new version replaces them.
    one_to_one: bool = True
    patient: Ref | None = None  # the patient compartment; for a Patient, the resource itself
    unmapped: str | None = None  # why this resource cannot become careloop rows (it is stored all the same)
    unmapped_snomed: tuple[str, str] | None = None  # a SNOMED CT condition code with no ICD-10-CM in the map


def unmapped(reason: str) -> Mapped:
    return Mapped(unmapped=reason)


@dataclass(frozen=True, slots=True)
class Context:
    full_urls: dict[str, tuple[str, str]]
    now: datetime

    def ref(self, value: Any, path: str) -> Ref | None:
        return parse(value, path, self.full_urls) if type(value) is dict else None

    def link(self, value: Any, path: str, *, required: bool = False) -> Link | None:
        ref = self.ref(value, path)
        return Link(ref, required) if ref is not None and ref.resolvable else None

    def name_of(self, value: Any, path: str, length: int, *, required: bool = False) -> NameOf | str | None:
        if type(value) is not dict:
            return None
        display = value.get("display")
        ref = self.ref(value, path)
        fallback = display if type(display) is str else None
        if ref is None or not ref.resolvable:
            return fallback[:length] if fallback else None
        return NameOf(ref, fallback, length, required)


def first(value: Any) -> Any:
    """The first item of a list element, or the element itself."""
    if type(value) is list:
        return value[0] if value else None
    return value


def enum_value(value: Any, allowed: frozenset[str], default: str | None = None) -> str | None:
    return value if type(value) is str and value in allowed else default


def values_of(enum_class: Any) -> frozenset[str]:
    return frozenset(member.value for member in enum_class)
