"""What a rule can do. Each action is a name, the arguments it accepts (checked when a definition is loaded),
how to do it for one event, and how to undo it when the event is cancelled.

This is the registry seam for actions other packages bring: `register_action("apply_care_plan_template", ...)`
is where care-plan templates will plug in once they exist (issue 4); until then a definition that names that
action fails to load with a clear message rather than doing nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session

from careloop.access import Actor, Permission
from careloop.access.permissions import permissions_for
from careloop.db import write_phase
from careloop.models import CareTeamRole, PathwayWork, Task, TaskPriority
from careloop.notifications import service as notifications
from careloop.pathways.conditions import care_team_roles
from careloop.pathways.context import EventContext, Work
from careloop.tasks import repository as tasks_repo
from careloop.tasks import service as tasks_service
from careloop.tasks.schemas import TaskCreate, TaskOwnerIn, TaskType
from careloop.tasks.workflow import OPEN_STATUSES
from careloop.transitions import service as transitions
from careloop.transitions import tcm
from careloop.transitions.clock import end_of_local_day, holidays, local_date
from careloop.transitions.readmission import LONGEST_WINDOW


@dataclass(frozen=True)
class Made:
    """What an action created, so a cancel can find it again."""

    target_type: str
    target_id: int


Run = Callable[[EventContext, Any, Work], Made | None]
Undo = Callable[[Session, Actor, PathwayWork, str], str]


@dataclass(frozen=True)
class ActionKind:
    spec: type[BaseModel]
    run: Run
    undo: Undo


@dataclass(frozen=True)
class Step:
    name: str
    spec: Any
    kind: ActionKind


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    do: str


# ---- create_task ------------------------------------------------------------------------------------------------

class Due(BaseModel):
    """Exactly one: hours after the event; business days after its (local) date; or a TCM deadline."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hours: int | None = Field(default=None, ge=0, le=24 * 90)
    business_days: int | None = Field(default=None, ge=0, le=60)
    tcm: Literal["contact", "visit", "medrec"] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Due:
        if sum(v is not None for v in (self.hours, self.business_days, self.tcm)) != 1:
            raise ValueError("give exactly one of hours, business_days or tcm")
        return self


class CreateTaskSpec(_Spec):
    type: TaskType
    title: str = Field(min_length=1, max_length=200)  # may name {patient} and {facility}
    description: str | None = Field(default=None, max_length=2000)
    owner_roles: list[CareTeamRole] = Field(min_length=1)  # the first one held on the care team gets it
    priority: TaskPriority = TaskPriority.routine
    due: Due


def create_task(context: EventContext, spec: CreateTaskSpec, work: Work) -> Made:
    data = TaskCreate(type=spec.type, title=_fill(spec.title, context)[:200], priority=spec.priority,
                      description=_description(spec, context, work), due_at=_due_at(context, spec.due),
                      owner=TaskOwnerIn(role=_owner_role(context, spec.owner_roles)))
    task_id = tasks_service.add_task(context.session, context.actor, context.patient, data, into=context.pending)
    return Made("task", task_id)


def _fill(template: str, context: EventContext) -> str:
    return template.format(patient=f"{context.patient.given} {context.patient.family}",
                           facility=context.event.facility or "hospital")


def _description(spec: CreateTaskSpec, context: EventContext, work: Work) -> str:
    text = _fill(spec.description, context) + "\n\n" if spec.description else ""
    return f"{text}Created by {work.provenance} for event {context.event.event_key}."


def _owner_role(context: EventContext, wanted: list[CareTeamRole]) -> CareTeamRole:
    held = care_team_roles(context)  # read once per batch of events, however many tasks it makes
    return next((role for role in wanted if role.value in held), wanted[0])


def _due_at(context: EventContext, due: Due) -> datetime:
    event = context.event
    if due.hours is not None:
        return event.occurred_at + timedelta(hours=due.hours)
    if due.business_days is not None:
        day = tcm.add_business_days(local_date(event.occurred_at), due.business_days, holidays())
        return end_of_local_day(day)
    episode = context.cached("episode", _episode_of_event)
    if episode is None:
        raise ValueError("a task due on the TCM clock needs a start_episode action before it in the rule")
    deadline = {"contact": episode.contact_due, "visit": episode.visit_due, "medrec": episode.visit_due}[due.tcm or ""]
    return end_of_local_day(deadline)


def _episode_of_event(context: EventContext) -> transitions.EpisodeClock | None:
    return transitions.episode_clock_for_event(context.event.event_key, _unwritten(context))


def _unwritten(context: EventContext) -> transitions.Unwritten:
    """The episodes and links this run of events made that wait in its pending inserts, and what the database held
    of the run's episodes and links before it (read once for the run)."""
    made = context.shared.get("transitions")
    if made is None:
        facts, patients = context.facts, {event.patient_id for event in context.run}
        made = context.shared["transitions"] = transitions.Unwritten(transitions.StoredForRun(
            context.session, context.run,
            index_candidates=lambda: [stay.id for p in patients for stay in facts.inpatient_stays(p)]))
    assert isinstance(made, transitions.Unwritten)
    return made


def cancel_task(session: Session, actor: Actor, work: PathwayWork, reason: str) -> str:
    task = session.get(Task, work.target_id) if work.target_id is not None else None
    if task is None:
        return "task no longer exists"
    if task.status not in OPEN_STATUSES:
        return f"task was already {task.status}; left as it is"
    task = tasks_repo.get_or_raise(session, task.public_id)  # with the patient loaded, for the access check
    tasks_service.transition(session, actor, task.public_id, "cancel", version=task.version, note=reason[:1000])
    return "task cancelled"


# ---- notify_care_team ---------------------------------------------------------------------------------------------

class NotifySpec(_Spec):
    kind: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=200)  # may name {patient} and {facility}
    body: str | None = Field(default=None, max_length=1000)


def notify_care_team(context: EventContext, spec: NotifySpec, work: Work) -> None:
    """Tell every staff member on the patient's care team whose role lets them read tasks."""
    for user_id in _readers(context.facts.staff(context.patient.id)):
        # In the write phase: at once, or when a batch planned in a snapshot is written (worker/plans.py).
        write_phase(context.session, partial(
            notifications.send, user_id=user_id, kind=spec.kind, title=_fill(spec.title, context)[:200],
            body=_fill(spec.body, context) if spec.body else None, patient_id=context.patient.id,
            dedupe_key=_notice_key(work.key, user_id)))


def care_team_readers(session: Session, patient_id: int) -> list[int]:
    return _readers(tasks_repo.active_staff_on_care_team(session, patient_id))


def _readers(staff: dict[int, list[str]]) -> list[int]:
    return sorted(u for u, held in staff.items() if Permission.task_read in permissions_for(tuple(held)))


def _notice_key(work_key: str, user_id: int) -> str:
    """Stable across processes and short enough for the column, however long the event key is."""
    return f"pathway:{hashlib.sha256(work_key.encode()).hexdigest()[:40]}:{user_id}"


def correct_notices(session: Session, actor: Actor, work: PathwayWork, reason: str) -> str:
    """A notice cannot be unsent: the same people get a correction."""
    for user_id in care_team_readers(session, work.patient_id):
        notifications.notify(session, user_id=user_id, kind="encounter.corrected",
                             title=f"Correction: {reason}"[:200], patient_id=work.patient_id,
                             dedupe_key=_notice_key(f"{work.key}:undo", user_id))
    return "correction sent to the care team"


# ---- start_episode ------------------------------------------------------------------------------------------------

class StartEpisodeSpec(_Spec):
    kind: Literal["tcm"] = "tcm"


def start_episode(context: EventContext, spec: StartEpisodeSpec, work: Work) -> Made:
    episode = transitions.start_episode(context.session, context.actor, context.event, context.patient,
                                        pathway=work.pathway, version=work.version, into=context.pending,
                                        unwritten=_unwritten(context),
                                        active_icd10=context.facts.active_icd10(context.patient.id),
                                        stays=context.facts.inpatient_stays(context.patient.id))
    context.remember("episode", episode)  # the tasks due on its TCM clock need not look it up
    return Made("episode", episode.id)


def close_episode(session: Session, actor: Actor, work: PathwayWork, reason: str) -> str:
    if work.target_id is None:
        return "no episode recorded"
    transitions.mark_entered_in_error(session, actor, work.target_id, reason)
    return "episode marked entered-in-error"


# ---- link_readmission ---------------------------------------------------------------------------------------------

class LinkReadmissionSpec(_Spec):
    within_days: int = Field(default=30, ge=1, le=LONGEST_WINDOW.days)


def link_readmission(context: EventContext, spec: LinkReadmissionSpec, work: Work) -> Made | None:
    link_id = transitions.link_readmission(context.session, context.actor, context.event, context.patient,
                                           within_days=spec.within_days, into=context.pending,
                                           unwritten=_unwritten(context),
                                           stays=context.facts.inpatient_stays(context.patient.id))
    return Made("readmission", link_id) if link_id is not None else None


def unlink_readmission(session: Session, actor: Actor, work: PathwayWork, reason: str) -> str:
    if work.target_id is None:
        return "no readmission was linked"
    transitions.unlink_readmission(session, actor, work.target_id, reason)
    return "readmission link marked entered-in-error"


def _kind(spec: type[BaseModel], run: Any, undo: Undo) -> ActionKind:
    return ActionKind(spec, run, undo)


ACTIONS: dict[str, ActionKind] = {
    "create_task": _kind(CreateTaskSpec, create_task, cancel_task),
    "notify_care_team": _kind(NotifySpec, notify_care_team, correct_notices),
    "start_episode": _kind(StartEpisodeSpec, start_episode, close_episode),
    "link_readmission": _kind(LinkReadmissionSpec, link_readmission, unlink_readmission),
}


def register_action(name: str, kind: ActionKind) -> None:
    """The seam for actions from other packages (e.g. apply_care_plan_template). Register before loading."""
    if name in ACTIONS:
        raise ValueError(f"action {name!r} registered twice")
    ACTIONS[name] = kind


def compile_step(step: dict[str, Any]) -> Step:
    name = step.get("do")
    if not isinstance(name, str) or name not in ACTIONS:
        raise ValueError(f"unknown action {name!r}; one of: {', '.join(ACTIONS)}")
    kind = ACTIONS[name]
    return Step(name, kind.spec.model_validate(step), kind)
