"""API bearer tokens are resolved on every request: a revoked or expired token, or a deactivated user, stops at
once; the actor carries the user's teams; a token's last use is recorded (at most once a minute)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from careloop import db
from careloop.auth import service as auth
from careloop.clock import utcnow
from careloop.models import ApiToken, User
from tests.factories import Personas


def _token(user_id: int) -> tuple[str, dict[str, str]]:
    with db.unit_of_work() as s:
        user = s.get(User, user_id)
        assert user is not None
        token = auth.create_api_token(s, user, name="test").token
    return auth.token_digest(token), {"Authorization": f"Bearer {token}"}


def _set_token(digest: str, **values: object) -> None:
    with db.unit_of_work() as s:
        s.execute(update(ApiToken).where(ApiToken.token_hash == digest).values(**values))


def test_a_revoked_token_stops_working_at_once(client: TestClient, personas: Personas) -> None:
    digest, headers = _token(personas.coordinator_id)
    assert client.get("/api/v1/worklist", headers=headers).status_code == 200
    _set_token(digest, revoked_at=utcnow())
    assert client.get("/api/v1/worklist", headers=headers).status_code == 401
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_an_expired_token_and_a_deactivated_user_are_refused(client: TestClient, personas: Personas) -> None:
    digest, headers = _token(personas.coordinator_id)
    _set_token(digest, expires_at=utcnow() - timedelta(seconds=1))
    assert client.get("/api/v1/worklist", headers=headers).status_code == 401
    _, other = _token(personas.teammate_id)
    with db.unit_of_work() as s:
        s.execute(update(User).where(User.id == personas.teammate_id).values(active=False))
    assert client.get("/api/v1/worklist", headers=other).status_code == 401
    assert client.get("/api/v1/worklist", headers={"Authorization": "Bearer clt_unknown"}).status_code == 401


def test_the_token_actor_is_the_users_actor(personas: Personas) -> None:
    """One statement for token, user and teams gives the same actor as loading the user, then the teams."""
    _, headers = _token(personas.teammate_id)
    token = headers["Authorization"].removeprefix("Bearer ")
    with db.unit_of_work() as s:
        from_token = auth.api_token_actor(s, token, channel="api", source_ip="10.0.0.1")
        user = s.get(User, personas.teammate_id)
        assert user is not None
        loaded = auth.actor_for(s, user, channel="api", source_ip="10.0.0.1")
    assert from_token == loaded
    assert from_token is not None and from_token.team_ids == (personas.team_id,)


def test_a_read_records_the_tokens_last_use_once_a_minute(client: TestClient, personas: Personas) -> None:
    digest, headers = _token(personas.coordinator_id)

    def last_used() -> object:
        with db.unit_of_work() as s:
            return s.scalar(select(ApiToken.last_used_at).where(ApiToken.token_hash == digest))

    assert last_used() is None
    assert client.get("/api/v1/worklist", headers=headers).status_code == 200
    first = last_used()
    assert first is not None
    assert client.get("/api/v1/worklist", headers=headers).status_code == 200
    assert last_used() == first
    _set_token(digest, last_used_at=utcnow() - timedelta(minutes=2))
    assert client.get("/api/v1/worklist", headers=headers).status_code == 200
    latest = last_used()
    assert isinstance(latest, type(first)) and latest > first  # type: ignore[operator]


def test_an_anonymous_request_is_refused_before_its_parameters_are_checked(client: TestClient) -> None:
    # The worklist and patient record resolve their actor on the work's own thread hop; a request with no
    # credentials at all is still told to sign in (401), whatever its parameters, as on every other route.
    for path in ("/api/v1/worklist?page=0", "/api/v1/worklist", "/api/v1/patients/not-a-uuid"):
        response = client.get(path)
        assert response.status_code == 401, (path, response.text)
        assert "Bearer" in response.text
