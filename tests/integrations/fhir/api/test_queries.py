"""No SELECT per resource (rule 3): a search page with _include costs the same number of statements whatever
the page size: one count, one page with its JSON, one per _include, and the audit insert."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from careloop import db
from tests.integrations.fhir.api.conftest import FRANKIE, get


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine(), "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine(), "before_cursor_execute", count)


def test_search_statements_do_not_grow_with_the_page(client: TestClient, cora: dict[str, str]) -> None:
    get(client, "/Observation", cora, patient=FRANKIE, _count=1)  # the token's last_used_at is touched once
    counts = []
    for size in (2, 60):
        with statements() as seen:
            page = get(client, "/Observation", cora, patient=FRANKIE, _count=size,
                       _include="Observation:encounter").json()
        assert len([e for e in page["entry"] if e["search"]["mode"] == "match"]) == size
        counts.append(len(seen))

    assert counts[0] == counts[1]
