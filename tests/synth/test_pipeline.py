"""The read-ahead producer and the transaction per chunk: errors surface and never leave half a chunk."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest
from sqlalchemy import func, select

from careloop import db
from careloop.models import Patient, Task
from careloop.synth import generator, load
from careloop.synth.pipeline import read_ahead


def test_read_ahead_yields_everything_in_order() -> None:
    with closing(read_ahead(iter(range(100)), depth=3)) as items:
        assert list(items) == list(range(100))


def test_an_error_in_the_producer_reaches_the_consumer() -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise RuntimeError("generator broke")

    with closing(read_ahead(failing(), depth=2)) as items, pytest.raises(RuntimeError, match="generator broke"):
        list(items)


def test_closing_early_stops_the_producer() -> None:
    produced: list[int] = []

    def endless() -> Iterator[int]:
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    with closing(read_ahead(endless(), depth=2)) as items:
        assert next(items) == 0
    assert len(produced) < 10
    assert not [t for t in threading.enumerate() if t.name == "careloop-seed-producer"]


@pytest.mark.parametrize(("table", "column"), [("tasks", "patient_id"), ("observations", "encounter_id")])
def test_a_failed_chunk_leaves_the_chunks_before_it(monkeypatch: pytest.MonkeyPatch, table: str, column: str) -> None:
    """Whichever table fails (on PostgreSQL: in either writing lane), no part of its chunk stays."""
    real = generator.generate_chunk

    def third_fails(rng: Any, n: int, *args: Any) -> Any:
        frames = real(rng, n, *args)
        if frames["patients"]["id"][0] > 60:
            frames[table][column][:] = 10**9  # a key nothing has: the insert fails mid-chunk
        return frames

    monkeypatch.setattr(generator, "generate_chunk", third_fails)
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        generator.seed_population(db.engine(), patients=90, seed=1, chunk_size=30)
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Patient)) == 60


def test_chunks_handed_to_the_slower_lane_are_finished_when_a_later_chunk_fails(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL the second lane lags behind; a failure in the first lane must not cost it the chunks it
    was still writing (on SQLite this is the plain one-lane case)."""
    real_write, real_generate = load.write_batch, generator.generate_chunk

    def slow_second_lane(conn: Any, batch: Any) -> None:
        if batch.table not in load.FIRST_LANE:
            time.sleep(0.05)
        real_write(conn, batch)

    def third_fails(rng: Any, n: int, *args: Any) -> Any:
        frames = real_generate(rng, n, *args)
        if frames["patients"]["id"][0] > 60:
            frames["observations"]["encounter_id"][:] = 10**9
        return frames

    monkeypatch.setattr(load, "write_batch", slow_second_lane)
    monkeypatch.setattr(generator, "generate_chunk", third_fails)
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        generator.seed_population(db.engine(), patients=90, seed=1, chunk_size=30)
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Patient)) == 60
        assert 30 < (s.scalar(select(func.max(Task.patient_id))) or 0) <= 60  # the second chunk's tasks too
