"""Signing in and out: password checks, server-side web sessions, API bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from careloop import audit
from careloop.access import Actor, load_actor, user_actor
from careloop.auth import throttle
from careloop.auth.passwords import hash_password, needs_rehash, verify_password
from careloop.clock import utcnow
from careloop.config import get_settings
from careloop.db import after_rollback, write_phase
from careloop.driver_reads import DriverRead
from careloop.errors import InvalidInput, NotAuthenticated
from careloop.models import ApiToken, AuditOutcome, LoginAttempt, TeamMembership, User, WebSession
from careloop.users import repository as users_repo

WRONG_CREDENTIALS = "Wrong username or password."
# Only refresh a session's last_seen this often, so reads are not all writes.
_TOUCH_EVERY = timedelta(minutes=1)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(session: Session, username: str, password: str, *, source_ip: str) -> User:
    """The user, or NotAuthenticated with one message whichever part was wrong."""
    username = username.strip().lower()
    now = utcnow()
    throttle.check(session, username, source_ip, now)
    user = users_repo.by_username(session, username)
    ok = verify_password(user.password_hash if user else None, password) and user is not None and user.active
    _record_attempt(session, username, source_ip, now, ok)
    if not ok or user is None:
        raise NotAuthenticated(WRONG_CREDENTIALS)
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _record_attempt(session: Session, username: str, source_ip: str, now: datetime, succeeded: bool) -> None:
    row = {"username": username[:64], "source_ip": source_ip, "at": now, "succeeded": succeeded}
    session.add(LoginAttempt(**row))
    actor = Actor(user_id=None, username=username[:64], display_name=username, roles=(), team_ids=(),
                  source_ip=source_ip)
    audit.record(session, actor, "login", outcome=AuditOutcome.allowed if succeeded else AuditOutcome.failed)
    if not succeeded:
        # The refusal rolls the transaction back; the attempt must still count towards throttling.
        after_rollback(session, lambda fresh: fresh.add(LoginAttempt(**row)))


@dataclass(frozen=True)
class SessionStart:
    token: str
    csrf_token: str
    expires_at: datetime


def start_session(session: Session, user: User, *, source_ip: str | None, user_agent: str | None) -> SessionStart:
    now = utcnow()
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + timedelta(hours=get_settings().session_hours)
    session.add(WebSession(token_hash=token_digest(token), user_id=user.id, csrf_token=csrf, created_at=now,
                           expires_at=expires, last_seen_at=now, source_ip=source_ip,
                           user_agent=(user_agent or "")[:300]))
    session.flush()
    return SessionStart(token, csrf, expires)


def resolve_session(session: Session, token: str) -> tuple[User, WebSession] | None:
    now = utcnow()
    row = session.execute(
        select(WebSession, User).join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == token_digest(token), WebSession.revoked_at.is_(None),
               WebSession.expires_at > now, User.active)
    ).one_or_none()
    if row is None:
        return None
    web_session, user = row
    if now - web_session.last_seen_at > _TOUCH_EVERY:
        web_session.last_seen_at = now
    return user, web_session


def end_session(session: Session, token: str) -> None:
    session.execute(update(WebSession).where(WebSession.token_hash == token_digest(token))
                    .values(revoked_at=utcnow()))


@dataclass(frozen=True)
class NewApiToken:
    token: str
    record: ApiToken


def create_api_token(session: Session, user: User, *, name: str, scopes: str = "",
                     days: int | None = 90) -> NewApiToken:
    """The token is shown once; only its digest is stored."""
    if not name.strip():
        raise InvalidInput("A token needs a name saying what uses it.")
    token = "clt_" + secrets.token_urlsafe(32)
    now = utcnow()
    record = ApiToken(token_hash=token_digest(token), user_id=user.id, name=name.strip()[:200], scopes=scopes,
                      created_at=now, expires_at=now + timedelta(days=days) if days else None)
    session.add(record)
    session.flush()
    return NewApiToken(token, record)


# Built once: every API request resolves its token.
_LIVE_TOKEN = (select(ApiToken, User).join(User, User.id == ApiToken.user_id)
               .where(ApiToken.token_hash == bindparam("digest"), ApiToken.revoked_at.is_(None), User.active))


def resolve_api_token(session: Session, token: str) -> User | None:
    now = utcnow()
    row = session.execute(_LIVE_TOKEN, {"digest": token_digest(token)}).one_or_none()
    if row is None:
        return None
    record: ApiToken = row[0]
    user: User = row[1]
    if record.expires_at is not None and record.expires_at <= now:
        return None
    if record.last_used_at is None or now - record.last_used_at > _TOUCH_EVERY:
        record.last_used_at = now
    return user


# Built once: the JSON API resolves its bearer token, the token's user and the user's teams on every request,
# as plain rows (one per team, or one with no team).
_LIVE_TOKEN_ACTOR = DriverRead(
    select(ApiToken.id, ApiToken.expires_at, ApiToken.last_used_at, User.id, User.username, User.display_name,
           User.roles, TeamMembership.team_id)
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(TeamMembership, TeamMembership.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("digest"), ApiToken.revoked_at.is_(None), User.active)
)


def api_token_actor(session: Session, token: str, *, channel: str, source_ip: str | None) -> Actor | None:
    """The actor a live API token acts for, or None: resolve_api_token then actor_for, in one statement.

    Resolved afresh on every request, so a revoked token or a deactivated user stops at once. Two statements
    and two ORM objects (token, user) were about a tenth of a worklist request's thread time."""
    now = utcnow()
    rows = _LIVE_TOKEN_ACTOR.rows(session, {"digest": token_digest(token)})
    if not rows:
        return None
    token_id, expires_at, last_used_at, user_id, username, display_name, roles, _ = rows[0]
    if expires_at is not None and expires_at <= now:
        return None
    if last_used_at is None or now - last_used_at > _TOUCH_EVERY:
        write_phase(session, partial(_touch_api_token, token_id, now))
    return user_actor(user_id, username, display_name, roles, (row[7] for row in rows if row[7] is not None),
                      channel=channel, source_ip=source_ip)


def _touch_api_token(token_id: int, now: datetime, writer: Session) -> None:
    writer.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
                   .execution_options(synchronize_session=False))


def actor_for(session: Session, user: User, *, channel: str, source_ip: str | None) -> Actor:
    return load_actor(session, user, channel=channel, source_ip=source_ip)
