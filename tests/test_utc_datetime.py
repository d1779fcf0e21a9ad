"""UTCDateTime's fused SQLite bind processor writes the same text SQLAlchemy's two steps wrote (the stored
times of existing databases and their text comparisons stay as they were), and still refuses naive times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite

from careloop.models.base import UTCDateTime

CASES = [
    datetime(2026, 11, 20, 15, 0, tzinfo=UTC),  # no microseconds: still written with six digits
    datetime(2026, 11, 20, 23, 30, 5, 123456, tzinfo=timezone(timedelta(hours=-5))),  # the next UTC day
    datetime(2024, 2, 29, 0, 0, 0, 1, tzinfo=timezone(timedelta(hours=13, minutes=45))),
    datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),  # a four-digit year, zero-padded
]


def _as_sqlalchemy_wrote(value: datetime) -> str:
    dialect = sqlite.dialect()
    naive = UTCDateTime().process_bind_param(value, dialect)
    process = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    text: str = process(naive)
    return text


@pytest.mark.parametrize("value", CASES)
def test_the_sqlite_text_is_what_sqlalchemy_wrote(value: datetime) -> None:
    process = UTCDateTime().bind_processor(sqlite.dialect())
    assert process is not None
    assert process(value) == _as_sqlalchemy_wrote(value)
    assert process(None) is None


def test_a_naive_time_is_refused() -> None:
    process = UTCDateTime().bind_processor(sqlite.dialect())
    assert process is not None
    with pytest.raises(ValueError, match="naive datetime"):
        process(datetime(2026, 11, 20, 15, 0))  # noqa: DTZ001 - the naive time under test


def test_the_same_instant_in_another_zone_gives_the_same_text_and_a_naive_time_is_refused_every_time() -> None:
    """The processor keeps texts for values bound again: equal instants share one; a refusal is never kept."""
    process = UTCDateTime().bind_processor(sqlite.dialect())
    assert process is not None
    utc = datetime(2026, 12, 6, 7, 30, tzinfo=UTC)
    assert process(utc) == process(utc.astimezone(timezone(timedelta(hours=-8)))) == "2026-12-06 07:30:00.000000"
    for _ in range(2):
        with pytest.raises(ValueError, match="naive datetime"):
            process(datetime(2026, 12, 6, 7, 30))  # noqa: DTZ001 - the naive time under test
