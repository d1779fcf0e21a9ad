"""Account administration. Administrators manage users and teams; they see no clinical data."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import delete
from sqlalchemy.orm import Session

from careloop import access, audit
from careloop.access import Actor, Permission
from careloop.auth.passwords import hash_password
from careloop.errors import Conflict, InvalidInput
from careloop.models import Team, TeamMembership, User, WebSession
from careloop.users import repository as repo
from careloop.users.schemas import TeamCreate, UserCreate, UserOut, UserUpdate


def create_user(session: Session, actor: Actor, data: UserCreate) -> User:
    access.require_permission(session, actor, Permission.user_manage, action="user.create")
    if repo.by_username(session, data.username) is not None:
        raise Conflict(f"The username {data.username!r} is taken.")
    teams = [_team_named(session, name) for name in data.teams]
    user = User(username=data.username, display_name=data.display_name, email=data.email,
                roles=[r.value for r in data.roles], password_hash=hash_password(data.password))
    session.add(user)
    session.flush()
    session.add_all(TeamMembership(team_id=team.id, user_id=user.id) for team in teams)
    audit.record(session, actor, "user.created", entity_type="user", entity_id=str(user.public_id))
    return user


def _team_named(session: Session, name: str) -> Team:
    team = repo.team_by_name(session, name)
    if team is None:
        raise InvalidInput(f"No team named {name!r}.")
    return team


def update_user(session: Session, actor: Actor, user_id: UUID, data: UserUpdate) -> User:
    access.require_permission(session, actor, Permission.user_manage, action="user.update")
    user = repo.get_or_raise(session, user_id)
    if user.id == actor.user_id and data.active is False:
        raise InvalidInput("You cannot deactivate your own account.")
    if data.display_name is not None:
        user.display_name = data.display_name
    if data.roles is not None:
        user.roles = [r.value for r in data.roles]
    if data.password is not None:
        user.password_hash = hash_password(data.password)
    if data.active is not None:
        user.active = data.active
    if data.active is False or data.password is not None:
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))  # sign them out everywhere
    audit.record(session, actor, "user.updated", entity_type="user", entity_id=str(user.public_id),
                 detail={"fields": sorted(data.model_dump(exclude_unset=True, exclude={"password"}))
                         + (["password"] if data.password is not None else [])})
    session.flush()
    return user


def list_users(session: Session, actor: Actor, q: str | None = None) -> Sequence[User]:
    access.require_permission(session, actor, Permission.user_manage, action="user.list")
    return repo.list_users(session, q=q)


def create_team(session: Session, actor: Actor, data: TeamCreate) -> Team:
    access.require_permission(session, actor, Permission.user_manage, action="team.create")
    if repo.team_by_name(session, data.name) is not None:
        raise Conflict(f"A team named {data.name!r} exists.")
    team = Team(name=data.name, description=data.description)
    session.add(team)
    session.flush()
    return team


def user_out(session: Session, user: User) -> UserOut:
    return UserOut(id=user.public_id, username=user.username, display_name=user.display_name, email=user.email,
                   roles=list(user.roles), active=user.active, teams=repo.team_names_for(session, user.id))
