"""The reading half of an import: files into prepared units, here for a small input, or in a second process
for a large one, so that reading and preparing (half the work) runs on the other core while this process
writes. A thread would not help: both halves are Python and share one interpreter lock (measured: slower than
one thread). Starting a process costs about a second, and what crosses to this one is pickled, so small
inputs stay here."""

from __future__ import annotations

import gc
import multiprocessing
import queue
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from careloop.integrations.fhir import reader
from careloop.integrations.fhir.mappers import Context
from careloop.integrations.fhir.prepare import Notes, Prepared, Shaper, prepare
from careloop.integrations.fhir.reader import Unit

PARALLEL_FROM_BYTES = 32 << 20  # input size from which a second process reads and prepares


@dataclass(slots=True)
class PreparedUnit:
    unit: Unit
    items: list[Prepared | str]  # one per entry: prepared, or why it is rejected


def prepared_units(plan: reader.Plan, postgres: bool, now: datetime, notes: Notes) -> Iterator[PreparedUnit]:
    """The prepared input: here for a small input, from a second process for a large one (reading and
    preparing is half the work; a thread would not help, as both halves are Python and share one interpreter
    lock, and starting a process costs about a second)."""
    if plan.total_bytes < PARALLEL_FROM_BYTES:
        shaper = Shaper(postgres, now)
        for input_source in plan.sources:
            for unit in reader.read(input_source):
                yield prepare_unit(unit, shaper, now, notes)
        return
    yield from _from_a_second_process(plan, postgres, now, notes)


def _from_a_second_process(plan: reader.Plan, postgres: bool, now: datetime, notes: Notes) -> Iterator[PreparedUnit]:
    context = multiprocessing.get_context("spawn")  # no fork: this process holds database connections
    ahead: Any = context.Queue(maxsize=8)
    worker = context.Process(target=_produce, args=(plan, postgres, now, ahead), name="fhir-import-reader",
                             daemon=True)
    worker.start()
    try:
        while True:
            try:
                kind, payload = ahead.get(timeout=1)
            except queue.Empty:
                if worker.is_alive():
                    continue
                raise RuntimeError(f"the reading process stopped (exit code {worker.exitcode})") from None
            if kind == "unit":
                yield payload
            elif kind == "notes":
                _add_notes(notes, payload)
                return
            else:
                raise RuntimeError(f"reading the input failed: {payload}")
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join()


def _produce(plan: reader.Plan, postgres: bool, now: datetime, ahead: Any) -> None:
    """The second process: read and prepare, and send each unit without what only preparing needed."""
    gc.disable()
    notes, shaper = Notes(), Shaper(postgres, now)
    try:
        for input_source in plan.sources:
            for unit in reader.read(input_source):
                prepared = prepare_unit(unit, shaper, now, notes)
                for entry in unit.entries:
                    entry.lighten()
                unit.full_urls = {}
                ahead.put(("unit", prepared))
        ahead.put(("notes", notes))
    except BaseException as exc:
        ahead.put(("error", f"{type(exc).__name__}: {exc}"))


def _add_notes(notes: Notes, more: Notes) -> None:
    notes.stored_only.update(more.stored_only)
    notes.unmapped.update(more.unmapped)
    notes.unmapped_snomed.update(more.unmapped_snomed)


def prepare_unit(unit: Unit, shaper: Shaper, now: datetime, notes: Notes) -> PreparedUnit:
    if unit.error is not None:
        return PreparedUnit(unit, [unit.error] * len(unit.entries))
    context = Context(unit.full_urls, now)
    return PreparedUnit(unit, [prepare(entry, unit.full_urls, context, notes, shaper) for entry in unit.entries])
