"""ModelResponse answers with a built model's JSON as FastAPI would have: by alias, as application/json."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pydantic import BaseModel, Field

from careloop.http.responses import ModelResponse


class _Answer(BaseModel):
    status: str = Field(serialization_alias="state")
    at: datetime
    items: list[int]


def test_the_model_is_sent_as_json_by_alias() -> None:
    response = ModelResponse(_Answer(status="ok", at=datetime(2026, 12, 3, 9, 30, tzinfo=UTC), items=[1, 2]))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert json.loads(response.body) == {"state": "ok", "at": "2026-12-03T09:30:00Z", "items": [1, 2]}


def test_another_status_code_is_kept() -> None:
    assert ModelResponse(_Answer(status="made", at=datetime.now(UTC), items=[]), status_code=201).status_code == 201
