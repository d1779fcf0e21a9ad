"""db.driver_savepoint: what a block wrote is kept when it succeeds and undone when it raises, while the
transaction around it goes on (the feed's apply: one message that cannot be applied does not undo the batch)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from careloop import db
from careloop.db import driver_savepoint, insert_returning_key
from careloop.models import Notification
from tests.factories import Personas


def _notice(personas: Personas, title: str) -> dict[str, object]:
    return {"user_id": personas.coordinator_id, "kind": "demo", "title": title, "created_at": datetime.now(UTC)}


def test_a_block_that_raises_is_undone_and_the_transaction_goes_on(personas: Personas) -> None:
    table = Notification.__table__
    with db.unit_of_work() as s:
        insert_returning_key(s, table, _notice(personas, "before"))  # type: ignore[arg-type]
        with driver_savepoint(s, "kept"):
            insert_returning_key(s, table, _notice(personas, "kept"))  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="this message"), driver_savepoint(s, "undone"):
            insert_returning_key(s, table, _notice(personas, "undone"))  # type: ignore[arg-type]
            raise ValueError("this message cannot be applied")
        insert_returning_key(s, table, _notice(personas, "after"))  # type: ignore[arg-type]
    with db.unit_of_work() as s:
        titles = s.scalars(select(Notification.title).order_by(Notification.id)).all()
        assert titles == ["before", "kept", "after"]
        assert s.scalar(select(func.count()).select_from(Notification)) == 3
