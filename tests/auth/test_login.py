"""Signing in: one message for any wrong part, throttling by account and address, sessions and logout."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from careloop import db
from careloop.models import AuditEvent, LoginAttempt
from tests.factories import PASSWORD, Personas


def _login(client: TestClient, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def test_login_sets_session_and_logout_ends_it(client: TestClient, personas: Personas) -> None:
    response = _login(client, "cora", PASSWORD)
    assert response.status_code == 200
    csrf = response.json()["csrf_token"]
    assert client.get("/api/v1/me").json()["username"] == "cora"
    assert client.post("/api/v1/auth/logout").status_code == 403  # no CSRF header: refused
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_wrong_password_and_unknown_user_read_the_same(client: TestClient, personas: Personas) -> None:
    wrong_password = _login(client, "cora", "not the password")
    unknown_user = _login(client, "nobody", PASSWORD)
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json() == unknown_user.json()
    assert wrong_password.json()["error"]["message"] == "Wrong username or password."


def test_failures_are_recorded_and_audited_despite_the_refusal(client: TestClient, personas: Personas) -> None:
    _login(client, "cora", "nope")
    with db.unit_of_work() as s:
        assert s.scalars(select(LoginAttempt.succeeded)).all() == [False]
        assert s.scalars(select(AuditEvent.outcome).where(AuditEvent.action == "login")).all() == ["failed"]


def test_repeated_failures_are_slowed(client: TestClient, personas: Personas) -> None:
    for _ in range(5):
        assert _login(client, "cora", "guess").status_code == 401
    throttled = _login(client, "cora", PASSWORD)  # even the right password waits now
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= 1
    assert "Try again in" in throttled.json()["error"]["message"]


def test_inactive_user_cannot_sign_in(client: TestClient, personas: Personas) -> None:
    from careloop.models import User

    with db.unit_of_work() as s:
        user = s.get(User, personas.coordinator_id)
        assert user is not None
        user.active = False
    assert _login(client, "cora", PASSWORD).status_code == 401
