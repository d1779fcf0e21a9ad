"""User and team queries."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from careloop.errors import NotFound
from careloop.models import Team, TeamMembership, User


def by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def get_or_raise(session: Session, public_id: UUID) -> User:
    user = session.scalar(select(User).where(User.public_id == public_id))
    if user is None:
        raise NotFound(f"No user {public_id}.")
    return user


def get_active_or_raise(session: Session, public_id: UUID) -> User:
    user = get_or_raise(session, public_id)
    if not user.active:
        raise NotFound(f"No active user {public_id}.")
    return user


def get_team_or_raise(session: Session, public_id: UUID) -> Team:
    team = session.scalar(select(Team).where(Team.public_id == public_id))
    if team is None:
        raise NotFound(f"No team {public_id}.")
    return team


def team_by_name(session: Session, name: str) -> Team | None:
    return session.scalar(select(Team).where(func.lower(Team.name) == name.strip().lower()))


def list_users(session: Session, *, q: str | None = None, limit: int = 200) -> Sequence[User]:
    query = select(User).order_by(User.username).limit(limit)
    if q:
        term = f"%{q.strip().lower()}%"
        query = query.where(func.lower(User.username).like(term) | func.lower(User.display_name).like(term))
    return session.scalars(query).all()


def list_teams(session: Session) -> Sequence[Team]:
    return session.scalars(select(Team).order_by(Team.name)).all()


def team_names_for(session: Session, user_id: int) -> list[str]:
    return list(session.scalars(
        select(Team.name).join(TeamMembership, TeamMembership.team_id == Team.id)
        .where(TeamMembership.user_id == user_id).order_by(Team.name)))
