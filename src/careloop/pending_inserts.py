"""Rows a batch job writes at its end rather than as it goes: `PendingInserts` (one executemany per table, parents
first) and `update_by_id` (one executemany for rows updated by id), both on the driver's cursor (driver_writes.py).
The feed's apply, the pathway engine and the audit trail of their batches write through them."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import MetaData, Table
from sqlalchemy.orm import Session

from careloop.bulk_rows import python_defaults
from careloop.driver_writes import driver_insert, driver_update_by_id
from careloop.reserved_keys import ReservedKeys


class PendingInserts:
    """Rows that a batch job adds as it goes (audit records, outbox events), written at its end with one INSERT
    per table instead of one ORM flush per row; in the order added, so ids still follow it.

    A batch that works item by item in savepoints takes a `mark()` before each item and, when the item's
    savepoint rolls back, `forget_since(mark)`: the rows of an item that failed are never written, as the
    savepoint would have discarded them. `write` must run inside the same transaction, before it commits.
    """

    def __init__(self) -> None:
        self._rows: list[tuple[type[Any], dict[str, Any]]] = []
        self._keys = ReservedKeys()

    def add(self, model: type[Any], row: dict[str, Any]) -> None:
        self._rows.append((model, row))

    def add_row(self, session: Session, model: type[Any], row: dict[str, Any]) -> int:
        """A new row of `model` (its columns by name) under a primary key reserved now (reserved_keys.py) and
        returned, so rows added after it can refer to it; written with the others. Only for tables whose rows this
        transaction adds no other way."""
        row["id"] = key = self._keys.take(session, model.__table__)
        self._rows.append((model, row))
        return key

    def mark(self) -> int:
        return len(self._rows)

    def forget_since(self, mark: int) -> None:
        del self._rows[mark:]

    def write(self, session: Session) -> None:
        by_shape: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = {}
        for model, row in self._rows:
            table = model.__table__
            filled = {**python_defaults(table, row), **row}
            by_shape.setdefault((table, tuple(filled)), []).append(filled)
        # One executemany on the driver's cursor (driver_writes.py) per table and set of columns; parents before
        # the rows that refer to them (a history row after the row it describes, a readmission link after the
        # episode it names, whichever was added first), each table's rows in the order they were added.
        for (table, columns), rows in sorted(by_shape.items(), key=lambda item: _parent_order(item[0][0])):
            driver_insert(table, columns).many(session, rows)
        self._rows.clear()


def _parent_order(table: Table) -> int:
    return _parents_first(table.metadata).get(table.name, -1)


@lru_cache(maxsize=8)
def _parents_first(metadata: MetaData) -> dict[str, int]:
    """Each table's place with every table it refers to before it (the metadata's dependency order)."""
    return {table.name: place for place, table in enumerate(metadata.sorted_tables)}


def update_by_id(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """UPDATE rows by their `id`, each with its own values (every row must name the same columns): one
    executemany on the driver's cursor (columns with an onupdate= default must be given: none is added)."""
    if not rows:
        return
    columns = tuple(name for name in rows[0] if name != "id")
    driver_update_by_id(model.__table__, columns).many(
        session, [{f"_{name}": value for name, value in row.items()} for row in rows])
