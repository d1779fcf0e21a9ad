"""Sign-in for API clients and browsers, and personal API tokens."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from careloop.auth import service
from careloop.clock import utcnow
from careloop.config import get_settings
from careloop.errors import NotFound
from careloop.http.deps import SESSION_COOKIE, ApiActor, DbSession, client_ip
from careloop.models import ApiToken, User
from careloop.users.schemas import UserOut
from careloop.users.service import user_out

router = APIRouter(tags=["auth"])


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class LoginOut(BaseModel):
    user: UserOut
    csrf_token: str = Field(description="send as X-CSRF-Token on requests that change data")
    expires_at: datetime


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200, description="what will use it, e.g. 'nightly export'")
    days: int | None = Field(default=90, ge=1, le=3650, description="lifetime; null for no expiry")


class TokenOut(BaseModel):
    id: UUID
    name: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    token: str | None = Field(default=None, description="shown once, at creation")


def set_session_cookie(response: Response, token: str, expires_at: datetime) -> None:
    response.set_cookie(SESSION_COOKIE, token, expires=expires_at, httponly=True, samesite="lax",
                        secure=get_settings().session_cookie_secure, path="/")


@router.post("/auth/login", response_model=LoginOut)
def login(body: LoginIn, request: Request, response: Response, session: DbSession) -> LoginOut:
    user = service.authenticate(session, body.username, body.password, source_ip=client_ip(request))
    started = service.start_session(session, user, source_ip=client_ip(request),
                                    user_agent=request.headers.get("user-agent"))
    set_session_cookie(response, started.token, started.expires_at)
    return LoginOut(user=user_out(session, user), csrf_token=started.csrf_token, expires_at=started.expires_at)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, response: Response, session: DbSession, actor: ApiActor) -> None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        service.end_session(session, cookie)
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/me", response_model=UserOut)
def me(session: DbSession, actor: ApiActor) -> UserOut:
    user = session.get(User, actor.user_id)
    assert user is not None
    return user_out(session, user)


@router.post("/auth/tokens", response_model=TokenOut, status_code=status.HTTP_201_CREATED)
def create_token(body: TokenIn, session: DbSession, actor: ApiActor) -> TokenOut:
    user = session.get(User, actor.user_id)
    assert user is not None
    new = service.create_api_token(session, user, name=body.name, days=body.days)
    return TokenOut(id=new.record.public_id, name=new.record.name, created_at=new.record.created_at,
                    expires_at=new.record.expires_at, last_used_at=None, token=new.token)


@router.get("/auth/tokens", response_model=list[TokenOut])
def list_tokens(session: DbSession, actor: ApiActor) -> list[TokenOut]:
    rows = session.scalars(select(ApiToken).where(ApiToken.user_id == actor.user_id, ApiToken.revoked_at.is_(None))
                           .order_by(ApiToken.created_at))
    return [TokenOut(id=t.public_id, name=t.name, created_at=t.created_at, expires_at=t.expires_at,
                     last_used_at=t.last_used_at) for t in rows]


@router.delete("/auth/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: UUID, session: DbSession, actor: ApiActor) -> None:
    token = session.scalar(select(ApiToken).where(ApiToken.public_id == token_id, ApiToken.user_id == actor.user_id))
    if token is None:
        raise NotFound(f"No token {token_id} of yours.")
    token.revoked_at = utcnow()
