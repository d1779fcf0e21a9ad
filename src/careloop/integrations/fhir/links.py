"""Filling in what mappers leave open: the ids of the careloop rows other resources map to (Link), the
names shown for them (NameOf), and a child row's parent (PRIMARY). A link whose target is not known yet
makes the resource wait; at the end of the run it is settled: an optional link stays empty, a row that
needs one is left out, and a resource whose own row needs one is not mapped (with the reason)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from careloop.integrations.fhir.mappers import PRIMARY, Link, Mapped, NameOf, Row
from careloop.integrations.fhir.targets import Target, Targets

# Tables shown by name where other rows refer to them (an encounter's facility, a care-team member).
NAMED = {"Organization": "organizations", "Location": "locations", "Practitioner": "practitioners"}

WAIT = "wait"


@dataclass(slots=True)
class Name:
    """A name to fill in once the batch has looked the names of its targets up."""

    values: dict[str, Any]
    column: str
    target: Target | None
    fallback: str | None
    length: int

    def fill(self) -> bool:
        name = (self.target.name if self.target is not None else None) or self.fallback
        self.values[self.column] = name[: self.length] if name else None
        return name is not None


def placeholders(values: dict[str, Any]) -> tuple[str, ...]:
    return tuple(column for column, value in values.items()
                 if type(value) is Link or type(value) is NameOf or value is PRIMARY)


def fill(mapped: Mapped, domain_id: int | None, targets: Targets, final: bool,
         names: list[tuple[str, Target]]) -> tuple[list[Row], list[Name]] | str:
    """The rows' values with placeholders filled (rows without what they need left out), and the names to
    fill after the lookup; or WAIT; or why the resource cannot be mapped. Mutates the mapper's dicts, which
    belong to this call (a retry maps the resource again)."""
    rows: list[Row] = []
    pending: list[Name] = []
    missing: str | None = None
    for index, row in enumerate(mapped.rows):
        values = row.values
        keep = True
        for column in row.placeholders if row.placeholders is not None else placeholders(values):
            value = values[column]
            if type(value) is Link:
                target = targets.get(value.ref)
                found = target.domain_id if target is not None else None
                if found is None:
                    if not final:
                        return WAIT
                    if value.required:
                        missing = f"the {value.ref.type} it refers to has no careloop record"
                        if index == 0 and mapped.one_to_one:
                            return missing
                        keep = False
                values[column] = found
            elif type(value) is NameOf:
                target = targets.get(value.ref) if value.ref is not None else None
                if target is not None and value.ref is not None and value.ref.type in NAMED:
                    names.append((NAMED[value.ref.type], target))
                if value.required and target is None and value.fallback is None:
                    keep = False
                pending.append(Name(values, column, target, value.fallback, value.length))
                values[column] = None
            elif value is PRIMARY:
                values[column] = domain_id
        if keep:
            rows.append(row)
    if mapped.rows and not rows:
        return missing or "none of its rows could be made"
    return rows, pending
