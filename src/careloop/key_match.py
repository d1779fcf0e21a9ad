"""WHERE clauses that find rows by a composite key ((system, value), (facility, visit number)) for a whole batch of
keys, each key answered by a seek in the key's unique index.

`tuple_(a, b).in_(keys)` is one statement on both backends, and PostgreSQL plans it as a nested loop over the
VALUES list with an index scan per key. SQLite plans `(a, b) IN (VALUES ...)` as a scan of the whole table testing
each row against the list, statistics or not: the HL7 feed's patient match read every patient identifier for each
batch of messages (at a million patients, millions of rows per batch). SQLite gets an OR of equalities instead,
which it answers with one index seek per key (its MULTI-INDEX OR), in statements of at most KEYS_PER_STATEMENT keys
(an OR chain is as deep as it is long, and SQLite refuses expressions deeper than 1,000).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

KEYS_PER_STATEMENT = 200


def key_matches(session: Session, columns: Sequence[InstrumentedAttribute[Any]], keys: Sequence[Sequence[Any]]
                ) -> list[ColumnElement[bool]]:
    """One WHERE clause per statement to run: together they pick the rows whose `columns` equal one of `keys`.
    No keys, no clauses (nothing to look up)."""
    if not keys:
        return []
    if session.get_bind().dialect.name != "sqlite":
        return [tuple_(*columns).in_([tuple(key) for key in keys])]
    return [or_(*(and_(*(column == value for column, value in zip(columns, key, strict=True))) for key in part))
            for part in (keys[start:start + KEYS_PER_STATEMENT] for start in range(0, len(keys), KEYS_PER_STATEMENT))]
