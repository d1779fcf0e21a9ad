"""Task queries, including the worklist: what is mine, my teams', and my roles' on my patients."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    Row,
    Select,
    String,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    union,
    union_all,
    update,
)
from sqlalchemy.orm import Session, aliased, joinedload

from careloop.access import Actor
from careloop.driver_reads import DriverRead
from careloop.errors import NotFound
from careloop.models import CareTeamMember, Patient, Task, TaskEvent, TaskStatus, Team, TeamMembership, User
from careloop.tasks.schemas import DueWindow, WorklistFilter
from careloop.tasks.summary import Named, TaskSummary
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


# The worklist. Its statement is built once per shape (which filters are used, whether the actor has teams)
# with every value bound at execution: the worklist is the page coordinators reload all day, and building
# a SQLAlchemy statement of this size costs more than SQLite takes to run it.

@dataclass(frozen=True)
class WorklistShape:
    with_teams: bool
    by_patient: bool
    by_name: bool
    by_type: bool
    due: DueWindow


def worklist_summaries(session: Session, actor: Actor, filters: WorklistFilter,
                       now: datetime) -> tuple[list[TaskSummary], int]:
    """One page of the worklist and the worklist's length, in one statement of plain rows.

    The total comes from a window count over the filtered tasks, computed before the LIMIT, so the
    worklist's conditions are evaluated once rather than again for a COUNT. The names shown beside each
    task are joined to the page's rows only, after the LIMIT.
    """
    shape, params = _worklist_shape_and_params(actor, filters, now)
    page_params = {**params, "offset": (filters.page - 1) * filters.size, "limit": filters.size}
    rows = _worklist_page_read(shape).rows(session, page_params)
    if rows:
        return [_summary(row) for row in rows], rows[0][_EXTRA]
    if filters.page == 1:
        return [], 0
    return [], session.scalar(_worklist_count_statement(shape), params) or 0


def _worklist_shape_and_params(actor: Actor, filters: WorklistFilter,
                               now: datetime) -> tuple[WorklistShape, dict[str, Any]]:
    end_of_day = now.replace(hour=23, minute=59, second=59, microsecond=999999)
    due_before = {DueWindow.overdue: now, DueWindow.today: end_of_day,
                  DueWindow.week: end_of_day + timedelta(days=7)}.get(filters.due)
    name = filters.patient_name.strip().lower() if filters.patient_name else None
    shape = WorklistShape(with_teams=bool(actor.team_ids),
                          by_patient=filters.patient_id is not None, by_name=bool(name),
                          by_type=filters.type is not None, due=filters.due)
    params: dict[str, Any] = {
        "user_id": actor.user_id, "team_ids": list(actor.team_ids),
        "statuses": list(filters.status or ACTIVE_STATUSES), "patient_public_id": filters.patient_id,
        "name_prefix": _like_prefix(name) if name else None, "type": filters.type, "due_before": due_before,
    }
    return shape, params


def _like_prefix(term: str) -> str:
    """A LIKE pattern for names starting with `term`, its own % and _ taken literally (escape '/')."""
    return term.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


@cache
def _worklist_page_read(shape: WorklistShape) -> DriverRead:
    return DriverRead(_worklist_page_statement(shape))


def _worklist_page_statement(shape: WorklistShape) -> Select[Any]:
    keys = _worklist_keys(shape).subquery("worklist")
    order = (keys.c.due_at.is_(None), keys.c.due_at, keys.c.priority_rank.desc(), keys.c.id)
    page = (select(keys.c.id, func.count().over().label("total")).order_by(*order)
            .offset(bindparam("offset")).limit(bindparam("limit")).subquery("page"))
    return _with_names(page, _WORKLIST_ORDER, extra=page.c.total)


@cache
def _worklist_count_statement(shape: WorklistShape) -> Select[tuple[int]]:
    return select(func.count()).select_from(_worklist_keys(shape).subquery())


def _worklist_keys(shape: WorklistShape) -> Select[Any]:
    """My tasks as (id, patient_id, type, due_at, priority_rank), on patients whose care team I sit on, filtered.

    The sort keys come with the candidates, so ordering and counting them reads no task row a second time; the
    page's rows are read after the LIMIT (_with_names). My memberships are a materialized CTE, read once: the
    care-team check is then one hash (PostgreSQL) or one temporary index (SQLite) of my patients, probed per
    candidate, where a probe of care_team_members per candidate had cost PostgreSQL 4,400 buffer reads for 393
    candidates (1.5 ms against 0.9 ms for this form, pgbench at 100,000 patients, BENCHMARKS.md).
    """
    mine = (select(CareTeamMember.patient_id, CareTeamMember.role).where(_my_membership(shape.with_teams))
            .cte("mine").prefix_with("MATERIALIZED"))
    candidates = _my_task_keys(shape.with_teams, mine).subquery("candidates")
    query = select(candidates).where(candidates.c.patient_id.in_(select(mine.c.patient_id)))
    if shape.by_patient:
        query = query.where(candidates.c.patient_id == select(Patient.id).where(
            Patient.public_id == bindparam("patient_public_id")).scalar_subquery())
    if shape.by_name:
        prefix: BindParameter[str] = bindparam("name_prefix", type_=String)
        query = query.where(candidates.c.patient_id.in_(select(Patient.id).where(or_(
            Patient.family_norm.like(prefix, escape="/"), Patient.given_norm.like(prefix, escape="/")))))
    if shape.by_type:
        query = query.where(candidates.c.type == bindparam("type"))
    return query.where(*_due_window(candidates.c.due_at, shape.due))


# Who I am, and the statuses asked for, are written into the statement's text when it runs (literal_execute)
# rather than sent as parameters. PostgreSQL plans a prepared statement once for good (a generic plan) only
# when that plan is no worse than planning afresh for the values; with my teams as a parameter it cannot know
# they are small (a team's average is 25,000 memberships at 100,000 patients), its generic plan merge-joined
# thousands of tasks (16 ms), and so it planned every execution anew: 0.8 ms of planning beside 1.6 ms of
# execution, on each of the page coordinators reload all day. With the values in the text, each user's
# worklist is a statement of its own that the driver prepares after a few runs and PostgreSQL plans once per
# connection. The page runs on the driver's cursor (driver_reads.DriverRead), which compiles each user's
# statement once and keeps it, so the values are not rendered again on every execution either.
def _user_id() -> BindParameter[Any]:
    return bindparam("user_id", literal_execute=True)


def _team_ids() -> BindParameter[Any]:
    return bindparam("team_ids", expanding=True, literal_execute=True)


def _my_membership(with_teams: bool) -> Any:
    """My active care-team memberships, directly or through one of my teams (visible_patient_ids's rule)."""
    by_user = CareTeamMember.user_id == _user_id()
    by_team = CareTeamMember.team_id.in_(_team_ids())
    return and_(or_(by_user, by_team) if with_teams else by_user, CareTeamMember.period_end.is_(None))


_KEY_COLUMNS = (Task.id, Task.patient_id, Task.type, Task.due_at, Task.priority_rank)


def _my_task_keys(with_teams: bool, mine: Any) -> Any:
    """Tasks assigned to me; or queued to one of my teams; or queued to a role I hold on that patient's care
    team (`mine`: my memberships' patient and role).

    Three indexed branches in a UNION rather than one OR: with a single OR the planners (SQLite's above
    all) scan every queued task in the population and test each against the care team, which at 100,000
    patients is hundreds of milliseconds; each branch here starts from a small indexed set (my tasks, my
    teams' tasks, my care-team memberships).
    """
    status_in = Task.status.in_(bindparam("statuses", expanding=True, literal_execute=True))
    # "Nobody's yet", written so that no index on owner_user_id can serve it: the planners would otherwise
    # start from every unowned task in the population (ids start at 1, so 0 means none).
    unowned = func.coalesce(Task.owner_user_id, 0) == 0
    by_user = select(*_KEY_COLUMNS).where(Task.owner_user_id == _user_id(), status_in)
    # A join from my memberships, not "(patient_id, owner_role) IN (my memberships)": SQLite searched that
    # row-value IN by patient alone and read every task of each patient (2.5 ms for a panel of 450 at 100,000
    # patients); the join's equality on both columns lets it use the partial index ix_tasks_role_queue (0.8 ms),
    # since `owner_role = role` implies the index's `owner_role IS NOT NULL`. Not that condition written out:
    # PostgreSQL then merge-joins on owner_role and discards millions of row pairs (BENCHMARKS.md, "API under
    # load").
    by_role = (select(*_KEY_COLUMNS).select_from(mine)
               .join(Task, and_(Task.patient_id == mine.c.patient_id, Task.owner_role == mine.c.role))
               .where(unowned, status_in))
    branches = [by_user, by_role]
    if with_teams:
        branches.append(select(*_KEY_COLUMNS).where(Task.owner_team_id.in_(_team_ids()),
                                                    unowned, status_in))
    return union(*branches)


def _due_window(due_at: Any, window: DueWindow) -> list[Any]:
    match window:
        case DueWindow.overdue:
            return [due_at < bindparam("due_before")]
        case DueWindow.today | DueWindow.week:
            return [due_at <= bindparam("due_before")]
        case DueWindow.none:
            return [due_at.is_(None)]
        case _:
            return []


_WORKLIST_ORDER = (Task.due_at.is_(None), Task.due_at, Task.priority_rank.desc(), Task.id)
_OwnerUser = aliased(User)


def patient_task_summaries(session: Session, patient_id: int, *, open_limit: int = 200,
                           closed_limit: int = 20) -> tuple[list[TaskSummary], list[TaskSummary]]:
    """A patient's open tasks (soonest due first) and latest closed ones, as the patient page lists them."""
    rows = _PATIENT_TASKS.rows(session, {
        "patient_id": patient_id, "open_limit": open_limit, "closed_limit": closed_limit})
    open_tasks: list[TaskSummary] = []
    closed_tasks: list[TaskSummary] = []
    for row in rows:
        (closed_tasks if row[_EXTRA] else open_tasks).append(_summary(row))
    return open_tasks, closed_tasks


def _patient_tasks_statement() -> Select[Any]:
    """Both lists in one statement, each ranked in its own order and cut at its own limit: the patient page is
    read all day, and on PostgreSQL each statement costs a round trip and the driver's and SQLAlchemy's work."""
    on_patient = Task.patient_id == bindparam("patient_id")
    open_order = (Task.due_at.is_(None), Task.due_at, Task.priority_rank.desc(), Task.id)
    closed_order = (Task.last_modified.desc(), Task.id)
    ranked = union_all(
        select(Task.id, func.row_number().over(order_by=open_order).label("rank"), literal(0).label("closed"))
        .where(on_patient, Task.status.in_(OPEN_STATUSES)),
        select(Task.id, func.row_number().over(order_by=closed_order).label("rank"), literal(1).label("closed"))
        .where(on_patient, Task.status.not_in(OPEN_STATUSES)),
    ).subquery("ranked")
    page = select(ranked).where(ranked.c.rank <= case(
        (ranked.c.closed == 0, bindparam("open_limit")), else_=bindparam("closed_limit"))).subquery("page")
    return _with_names(page, (page.c.closed, page.c.rank), extra=page.c.closed)



def _names_statement(query: Select[tuple[Task]], order: tuple[Any, ...], *, offset: int | BindParameter[Any],
                     limit: int | BindParameter[Any]) -> Select[Any]:
    # The page is chosen on keys alone (id and the total), then its rows are read: sorting the few hundred
    # candidates with every column carried along (titles, descriptions) cost SQLite more than finding them.
    page = (query.with_only_columns(Task.id, func.count().over().label("total"))
            .order_by(*order).offset(offset).limit(limit).subquery("page"))
    return _with_names(page, order, extra=page.c.total)


def _with_names(page: Any, order: tuple[Any, ...], *, extra: Any) -> Select[Any]:
    """The rows of a page of task ids, with the names shown beside each task (and one `extra` column of the
    page's: the worklist's total, or which of the patient's lists the task is in)."""
    return (
        select(*_TASK_COLUMNS, extra, Patient.public_id, Patient.family, Patient.given,
               _OwnerUser.public_id, _OwnerUser.display_name, Team.public_id, Team.name)
        .select_from(page)
        .join(Task, Task.id == page.c.id)
        .join(Patient, Patient.id == Task.patient_id)
        .outerjoin(_OwnerUser, _OwnerUser.id == Task.owner_user_id)
        .outerjoin(Team, Team.id == Task.owner_team_id)
        # The same order again outside: a join does not keep the order of the rows it joins.
        .order_by(*order)
    )


_TASK_COLUMNS = (Task.id, Task.public_id, Task.version, Task.patient_id, Task.type, Task.title, Task.description,
                 Task.status, Task.status_reason, Task.priority, Task.priority_rank, Task.owner_user_id,
                 Task.owner_team_id, Task.owner_role, Task.due_at, Task.authored_on, Task.last_modified,
                 Task.completed_at)
_EXTRA = len(_TASK_COLUMNS)  # the column after the task's: the worklist's total, or the patient list's

_PATIENT_TASKS = DriverRead(_patient_tasks_statement())


def _summary(row: Sequence[Any]) -> TaskSummary:
    (_id, public_id, version, patient_id, type_, title, description, status, status_reason, priority, _rank,
     owner_user_id, owner_team_id, owner_role, due_at, authored_on, last_modified, completed_at, _extra,
     patient_public_id, family, given, user_public_id, user_name, team_public_id, team_name) = row
    return TaskSummary(
        public_id=public_id, version=version, patient_id=patient_id,
        patient=Named(patient_public_id, Patient.name_of(family, given)),
        type=type_, title=title, description=description, status=status, status_reason=status_reason,
        priority=priority, owner_user_id=owner_user_id,
        owner_user=Named(user_public_id, user_name) if owner_user_id is not None else None,
        owner_team=Named(team_public_id, team_name) if owner_team_id is not None else None,
        owner_role=owner_role, due_at=due_at, authored_on=authored_on, last_modified=last_modified,
        completed_at=completed_at,
    )


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
    return session.execute(_care_team_reach_statement(), {"patient_ids": list(set(patient_ids))}).all()


@cache
def _care_team_reach_statement() -> CompoundSelect[tuple[int, str, int]]:
    """Built once, with bound parameters: the pathway engine asks for every admission and discharge it notifies
    about, and building the union cost more than running it."""
    active = (CareTeamMember.patient_id.in_(bindparam("patient_ids", expanding=True)),
              CareTeamMember.period_end.is_(None))
    direct = select(CareTeamMember.patient_id, CareTeamMember.role, CareTeamMember.user_id).where(
        *active, CareTeamMember.user_id.is_not(None))
    via_team = select(CareTeamMember.patient_id, CareTeamMember.role, TeamMembership.user_id).join(
        TeamMembership, TeamMembership.team_id == CareTeamMember.team_id).where(*active)
    return union_all(direct, via_team)


def team_members(session: Session, team_ids: Iterable[int]) -> Sequence[Row[tuple[int, int]]]:
    query = select(TeamMembership.team_id, TeamMembership.user_id).where(TeamMembership.team_id.in_(set(team_ids)))
    return session.execute(query).all()


def active_staff_roles(session: Session, user_ids: Iterable[int]) -> dict[int, list[str]]:
    rows = session.execute(_ACTIVE_STAFF_ROLES, {"user_ids": list(set(user_ids))})
    return {user_id: list(roles) for user_id, roles in rows}


_ACTIVE_STAFF_ROLES = select(User.id, User.roles).where(User.id.in_(bindparam("user_ids", expanding=True)),
                                                        User.active.is_(True))


def active_staff_on_care_team(session: Session, patient_id: int) -> dict[int, list[str]]:
    """The active staff users on the patient's active care team (directly or through a team), with their roles:
    care_team_reach and active_staff_roles in one statement."""
    return active_staff_by_patient(session, [patient_id]).get(patient_id, {})


def active_staff_by_patient(session: Session, patient_ids: Iterable[int]) -> dict[int, dict[int, list[str]]]:
    """active_staff_on_care_team for several patients in one statement (the pathway engine's batch of events):
    patient id -> user id -> the user's roles; a patient with no such staff is missing."""
    staff: dict[int, dict[int, list[str]]] = {}
    for patient_id, user_id, roles in session.execute(_active_staff_by_patient_statement(),
                                                      {"patient_ids": list(set(patient_ids))}):
        staff.setdefault(patient_id, {})[user_id] = list(roles)
    return staff


@cache
def _active_staff_by_patient_statement() -> Select[tuple[int, int, list[str]]]:
    reach = _care_team_reach_statement().subquery()
    return (select(reach.c.patient_id, User.id, User.roles)
            .join(User, User.id == reach.c.user_id).where(User.active.is_(True)))
