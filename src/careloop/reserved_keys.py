"""Primary keys handed out before their rows are written, for a batch writer that writes its rows at the end with one
executemany per table (`pending_inserts.PendingInserts`) but must name them at once: a pathway task's id goes into
its history rows, its assignment notice and the pathway's record of what it made, before the task itself is written.

SQLite: max(id) + 1 onwards, counted on in memory. Safe because every SQLite transaction careloop opens begins
IMMEDIATE (`db._sqlite_engine`), holding the one write lock until it commits, so no other writer can take a key
meanwhile; the caller must not insert rows of the same table any other way in the same transaction (the database
would number them from the same max). PostgreSQL: from the table's own sequence, in blocks that double from BLOCK
to MAX_BLOCK keys a round trip as a transaction keeps taking them (a batch of a hospital feed takes hundreds of a
table, and 32 at a time was 600 round trips for 9,000 messages, each planned afresh); keys a batch does not use
are gaps, as after any rolled-back insert, at most as many as it used.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

BLOCK = 32
MAX_BLOCK = 1024


class ReservedKeys:
    """The keys of one transaction (make one per unit of work: a new transaction must count again)."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}
        self._spare: dict[str, list[int]] = {}
        self._blocks: dict[str, int] = {}  # the size of the table's last block (PostgreSQL)

    def take(self, session: Session, table: Table) -> int:
        if session.get_bind().dialect.name == "postgresql":
            return self._from_sequence(session, table)
        following = self._next.get(table.name)
        if following is None:
            following = int(session.scalar(select(func.coalesce(func.max(table.c.id), 0) + 1)) or 1)
        self._next[table.name] = following + 1
        return following

    def _from_sequence(self, session: Session, table: Table) -> int:
        spare = self._spare.setdefault(table.name, [])
        if not spare:
            count = self._blocks[table.name] = min(self._blocks.get(table.name, BLOCK // 2) * 2, MAX_BLOCK)
            rows: Any = session.execute(
                text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"),
                {"table": table.name, "count": count})
            spare.extend(sorted((int(row[0]) for row in rows), reverse=True))
        return spare.pop()
