"""Account administration routes (administrators only)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from careloop.http.deps import ApiActor, DbSession
from careloop.users import service
from careloop.users.schemas import TeamCreate, TeamOut, UserCreate, UserOut, UserUpdate

router = APIRouter(prefix="/admin", tags=["administration"])


@router.get("/users", response_model=list[UserOut])
def list_users(session: DbSession, actor: ApiActor,
               q: Annotated[str | None, Query(max_length=100)] = None) -> list[UserOut]:
    return [service.user_out(session, u) for u in service.list_users(session, actor, q)]


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, session: DbSession, actor: ApiActor) -> UserOut:
    return service.user_out(session, service.create_user(session, actor, body))


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(user_id: UUID, body: UserUpdate, session: DbSession, actor: ApiActor) -> UserOut:
    return service.user_out(session, service.update_user(session, actor, user_id, body))


@router.post("/teams", response_model=TeamOut, status_code=status.HTTP_201_CREATED)
def create_team(body: TeamCreate, session: DbSession, actor: ApiActor) -> TeamOut:
    team = service.create_team(session, actor, body)
    return TeamOut(id=team.public_id, name=team.name, description=team.description)
