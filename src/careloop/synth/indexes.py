"""The patient tables' secondary indexes, built after a fresh seed's load instead of during it.

Why: the seed writes rows in patient order, but most secondary indexes are keyed on something else
(ix_observations_by_code on LOINC code and time, the worklist's indexes on owner and status). Kept during the
load, each row is a B-tree insert at a random place in each of them: a different leaf page every time, page
splits, and on PostgreSQL a WAL record per index entry. Built after the load, each index is one sort of the
keys and its leaves written in order. On SQLite at 20,000 patients this was 22.1 s of loading against 16.2 s
plus 1.9 s of index builds; BENCHMARKS.md has the figures at the issue's 100,000.

Only when the patient tables are all empty (the demo, the benchmarks, a population seed): appending to a
population keeps its indexes, since rebuilding them over the rows already there would cost more than
maintaining them for the new ones. Unique indexes (public ids) and primary keys stay in every case.

Safety: whatever ends the load (an error, Ctrl-C), the indexes are created again before it propagates, and
on PostgreSQL before the half-written chunks are deleted (their cascade finds child rows through these
indexes). A seed killed outright cannot do that, so every seed starts by creating any index of these tables
that the database lacks (`restore`). The indexes come from the models' metadata, partial ones with their
WHERE clause; tests/synth/test_seed_indexes.py checks that this gives back exactly the migrated schema.
Since the models describe only the latest schema, a database not migrated to it is left as it is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, Index, select

from careloop.migrate import at_head
from careloop.models import Base
from careloop.synth.writer import prepare_connection

# PostgreSQL's memory for sorting an index's keys (its default, 64MB, spills a large table's sort to disk).
PG_MAINTENANCE_WORK_MEM = "256MB"


def model_indexes(tables: Sequence[str], *, unique: bool = True) -> list[Index]:
    """The indexes of `tables` in the models, by name; without the unique ones if not `unique`."""
    return [index for name in tables
            for index in sorted(Base.metadata.tables[name].indexes, key=lambda ix: str(ix.name))
            if unique or not index.unique]


def restore(engine: Engine, tables: Sequence[str]) -> None:
    """Create every index of `tables` in the models that the database lacks, in one transaction."""
    with engine.begin() as conn:
        if not at_head(conn):
            return
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{PG_MAINTENANCE_WORK_MEM}'")
        else:
            prepare_connection(conn)  # SQLite sorts in its page cache
        for index in model_indexes(tables):
            index.create(conn, checkfirst=True)


@contextmanager
def built_after_load(engine: Engine, tables: Sequence[str]) -> Iterator[None]:
    """If `tables` are all empty, drop their non-unique indexes; on leaving, however, create them again.
    With rows in any of the tables the indexes stay throughout."""
    with engine.begin() as conn:
        if at_head(conn) and _all_empty(conn, tables):
            for index in model_indexes(tables, unique=False):
                index.drop(conn, checkfirst=True)
    try:
        yield
    finally:
        restore(engine, tables)


def _all_empty(conn: Connection, tables: Sequence[str]) -> bool:
    meta = Base.metadata.tables
    return all(conn.scalar(select(meta[name].c.id).limit(1)) is None for name in tables)
