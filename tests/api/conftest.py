from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from careloop import db
from careloop.app import create_app
from careloop.auth import service as auth
from careloop.models import User


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


BearerFor = Callable[[int], dict[str, str]]


@pytest.fixture
def bearer_for() -> BearerFor:
    """Authorization headers for a user id, through a real API token."""

    def make(user_id: int) -> dict[str, str]:
        with db.unit_of_work() as s:
            user = s.get(User, user_id)
            assert user is not None
            token = auth.create_api_token(s, user, name="test").token
        return {"Authorization": f"Bearer {token}"}

    return make
