"""The reading half of an import: files into prepared units, one unit at a time, in the writing process.

Both halves were tried apart (docs/decisions.md): a thread is slower, as both are Python and share the
interpreter lock; a second process costs as much in pickling the prepared rows across as it saves."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from careloop.integrations.fhir import reader
from careloop.integrations.fhir.mappers import Context
from careloop.integrations.fhir.prepare import Notes, Prepared, Shaper, prepare
from careloop.integrations.fhir.reader import Unit


@dataclass(slots=True)
class PreparedUnit:
    unit: Unit
    items: list[Prepared | str]  # one per entry: prepared, or why it is rejected


def prepared_units(plan: reader.Plan, postgres: bool, now: datetime, notes: Notes) -> Iterator[PreparedUnit]:
    shaper = Shaper(postgres, now)
    for input_source in plan.sources:
        for unit in reader.read(input_source):
            yield prepare_unit(unit, shaper, now, notes)


def prepare_unit(unit: Unit, shaper: Shaper, now: datetime, notes: Notes) -> PreparedUnit:
    if unit.error is not None:
        return PreparedUnit(unit, [unit.error] * len(unit.entries))
    context = Context(unit.full_urls, now)
    return PreparedUnit(unit, [prepare(entry, unit.full_urls, context, notes, shaper) for entry in unit.entries])
