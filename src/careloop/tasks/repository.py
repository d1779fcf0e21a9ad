"""Task queries, including the worklist: what is mine, my teams', and my roles' on my patients."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Row, Select, and_, func, or_, select, tuple_, union, union_all, update
from sqlalchemy.orm import Session, joinedload

from careloop.access import Actor, visible_patient_ids
from careloop.errors import NotFound
from careloop.models import CareTeamMember, Patient, Task, TaskEvent, TaskStatus, TeamMembership, User
from careloop.tasks.schemas import DueWindow, WorklistFilter
from careloop.tasks.workflow import ACTIVE_STATUSES, OPEN_STATUSES

_WITH_PEOPLE = (joinedload(Task.patient), joinedload(Task.owner_user), joinedload(Task.owner_team))


def get_or_raise(session: Session, public_id: UUID) -> Task:
    task = session.scalar(select(Task).where(Task.public_id == public_id).options(*_WITH_PEOPLE))
    if task is None:
        raise NotFound(f"No task {public_id}.")
    return task


def history(session: Session, task_id: int) -> Sequence[TaskEvent]:
    return session.scalars(
        select(TaskEvent).where(TaskEvent.task_id == task_id).options(joinedload(TaskEvent.actor))
        .order_by(TaskEvent.id)
    ).all()


def for_patient(session: Session, patient_id: int, *, open_only: bool, limit: int = 200) -> Sequence[Task]:
    status_filter = Task.status.in_(OPEN_STATUSES) if open_only else Task.status.not_in(OPEN_STATUSES)
    order = (Task.due_at.is_(None), Task.due_at, Task.priority_rank.desc()) if open_only else (
        Task.last_modified.desc(),)
    return session.scalars(
        select(Task).where(Task.patient_id == patient_id, status_filter)
        .options(*_WITH_PEOPLE).order_by(*order).limit(limit)
    ).unique().all()


def _my_membership(actor: Actor) -> Any:
    by_user = CareTeamMember.user_id == actor.user_id
    by_team = CareTeamMember.team_id.in_(actor.team_ids) if actor.team_ids else None
    mine = by_user if by_team is None else or_(by_user, by_team)
    return and_(mine, CareTeamMember.period_end.is_(None))


def _my_task_ids(actor: Actor, statuses: Sequence[TaskStatus]) -> Any:
    """Ids of tasks assigned to me; or queued to one of my teams; or queued to a role I hold on that
    patient's care team.

    Three indexed branches in a UNION rather than one OR: with a single OR the planners (SQLite's above
    all) scan every queued task in the population and test each against the care team, which at 100,000
    patients is hundreds of milliseconds; each branch here starts from a small indexed set (my tasks, my
    teams' tasks, my care-team memberships).
    """
    status_in = Task.status.in_(statuses)
    # "Nobody's yet", written so that no index on owner_user_id can serve it: the planners would otherwise
    # start from every unowned task in the population (ids start at 1, so 0 means none).
    unowned = func.coalesce(Task.owner_user_id, 0) == 0
    mine = select(Task.id).where(Task.owner_user_id == actor.user_id, status_in)
    my_roles = select(CareTeamMember.patient_id, CareTeamMember.role).where(_my_membership(actor))
    by_role = select(Task.id).where(tuple_(Task.patient_id, Task.owner_role).in_(my_roles), unowned, status_in)
    branches = [mine, by_role]
    if actor.team_ids:
        branches.append(select(Task.id).where(Task.owner_team_id.in_(actor.team_ids), unowned, status_in))
    return union(*branches)


def worklist_query(actor: Actor, filters: WorklistFilter, now: datetime) -> Select[tuple[Task]]:
    statuses = filters.status or list(ACTIVE_STATUSES)
    query = select(Task).where(Task.id.in_(_my_task_ids(actor, statuses)),
                               Task.patient_id.in_(visible_patient_ids(actor)))
    if filters.patient_id is not None:
        query = query.where(Task.patient_id == select(Patient.id).where(
            Patient.public_id == filters.patient_id).scalar_subquery())
    if filters.patient_name:
        term = filters.patient_name.strip().lower()
        query = query.where(Task.patient_id.in_(select(Patient.id).where(or_(
            Patient.family_norm.startswith(term, autoescape=True),
            Patient.given_norm.startswith(term, autoescape=True)))))
    if filters.type is not None:
        query = query.where(Task.type == filters.type)
    return query.where(*_due_window(filters.due, now))


def _due_window(window: DueWindow, now: datetime) -> list[Any]:
    end_of_day = now.replace(hour=23, minute=59, second=59, microsecond=999999)
    match window:
        case DueWindow.overdue:
            return [Task.due_at < now]
        case DueWindow.today:
            return [Task.due_at <= end_of_day]
        case DueWindow.week:
            return [Task.due_at <= end_of_day + timedelta(days=7)]
        case DueWindow.none:
            return [Task.due_at.is_(None)]
        case _:
            return []


def worklist_page(session: Session, query: Select[tuple[Task]], *, page: int, size: int) -> Sequence[Task]:
    ordered = query.order_by(Task.due_at.is_(None), Task.due_at, Task.priority_rank.desc(), Task.id)
    return session.scalars(
        ordered.options(*_WITH_PEOPLE).offset((page - 1) * size).limit(size)
    ).unique().all()


def count(session: Session, query: Select[tuple[Task]]) -> int:
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


# The overdue sweep: set-based, so a batch of a thousand tasks is a handful of statements.

Flagged = Row[tuple[int, UUID, int, str, TaskStatus, datetime, int | None, int | None, str | None]]


def flag_overdue(session: Session, now: datetime, *, limit: int) -> Sequence[Flagged]:
    """Mark up to `limit` open tasks that fell due before `now` and were never flagged; return those marked.

    A bulk UPDATE, not a change to loaded Task objects: the flag is bookkeeping, so the version a coordinator
    may be editing stays as it is (a unit-of-work flush would bump it and fail their save as a conflict).
    The conditions sit in the UPDATE's own WHERE, so a task flagged by a concurrent sweep, or closed since
    the batch was chosen, is skipped rather than notified twice.
    """
    still_due = (Task.status.in_(ACTIVE_STATUSES), Task.due_at < now, Task.overdue_notified_at.is_(None))
    batch = select(Task.id).where(*still_due).order_by(Task.due_at, Task.id).limit(limit)
    statement = (update(Task).where(Task.id.in_(batch), *still_due).values(overdue_notified_at=now)
                 .returning(Task.id, Task.public_id, Task.patient_id, Task.title, Task.status, Task.due_at,
                            Task.owner_user_id, Task.owner_team_id, Task.owner_role))
    return session.execute(statement).all()


def care_team_reach(session: Session, patient_ids: Iterable[int]) -> Sequence[Row[tuple[int, str, int]]]:
    """(patient, role, user) for each staff user on these patients' active care teams, directly or through a
    team: who can see each patient, and in which care-team role."""
    active = (CareTeamMember.patient_id.in_(set(patient_ids)), CareTeamMember.period_end.is_(None))
    direct = select(CareTeamMember.patient_id, CareTeamMember.role, CareTeamMember.user_id).where(
        *active, CareTeamMember.user_id.is_not(None))
    via_team = select(CareTeamMember.patient_id, CareTeamMember.role, TeamMembership.user_id).join(
        TeamMembership, TeamMembership.team_id == CareTeamMember.team_id).where(*active)
    return session.execute(union_all(direct, via_team)).all()


def team_members(session: Session, team_ids: Iterable[int]) -> Sequence[Row[tuple[int, int]]]:
    query = select(TeamMembership.team_id, TeamMembership.user_id).where(TeamMembership.team_id.in_(set(team_ids)))
    return session.execute(query).all()


def active_staff_roles(session: Session, user_ids: Iterable[int]) -> dict[int, list[str]]:
    query = select(User.id, User.roles).where(User.id.in_(set(user_ids)), User.active.is_(True))
    return {user_id: list(roles) for user_id, roles in session.execute(query)}
