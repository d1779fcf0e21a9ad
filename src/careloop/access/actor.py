"""The actor: who is acting, in which roles and teams, through which channel and from where."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from careloop.access.permissions import Permission, permissions_for
from careloop.models.user import TeamMembership, User


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    display_name: str
    roles: tuple[str, ...]
    team_ids: tuple[int, ...]
    channel: str = "web"  # web, api, cli, worker
    source_ip: str | None = None
    is_system: bool = False
    permissions: frozenset[Permission] = field(default_factory=frozenset)

    def can(self, permission: Permission) -> bool:
        return self.is_system or permission in self.permissions


_TEAM_IDS = select(TeamMembership.team_id).where(TeamMembership.user_id == bindparam("user_id"))  # every request


def load_actor(session: Session, user: User, *, channel: str, source_ip: str | None = None) -> Actor:
    team_ids = session.scalars(_TEAM_IDS, {"user_id": user.id}).all()
    return user_actor(user.id, user.username, user.display_name, user.roles, team_ids, channel=channel,
                      source_ip=source_ip)


def user_actor(user_id: int, username: str, display_name: str, roles: Iterable[str], team_ids: Iterable[int], *,
               channel: str, source_ip: str | None = None) -> Actor:
    """A user as an actor, from the user's columns and team ids (however they were read)."""
    role_tuple = tuple(roles)
    return Actor(
        user_id=user_id,
        username=username,
        display_name=display_name,
        roles=role_tuple,
        team_ids=tuple(sorted(team_ids)),
        channel=channel,
        source_ip=source_ip,
        permissions=permissions_for(role_tuple),
    )


def system_actor(name: str = "system", channel: str = "worker") -> Actor:
    """The worker and operator commands act as the system; their actions are audited under this name."""
    return Actor(user_id=None, username=name, display_name=name, roles=(), team_ids=(), channel=channel,
                 is_system=True)
