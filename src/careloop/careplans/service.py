"""Care-plan use cases. A plan is one aggregate: every change (its fields, concerns, goals, interventions,
priorities, barriers, decisions, a goal's achievement) is checked against the version the writer read, bumps
the version and writes a revision with the whole plan, so history and differences can be shown."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from careloop import access, audit
from careloop.access import Actor, Permission
from careloop.careplans import achievement, templates, views
from careloop.careplans import repository as repo
from careloop.careplans.schemas import (
    AddressIn,
    DecisionIn,
    EntryIn,
    GoalIn,
    GoalUpdate,
    InterventionIn,
    PlanCreate,
    PlanOut,
    PlanUpdate,
    ReadingIn,
    ReviewIn,
    TargetIn,
    Versioned,
)
from careloop.careteams import repository as careteam_repo
from careloop.clock import utcnow
from careloop.errors import Conflict, InvalidInput, NotFound
from careloop.models import (
    CarePlan,
    CarePlanActivity,
    CarePlanActivityStatus,
    CarePlanCondition,
    CarePlanDecision,
    CarePlanEntry,
    CarePlanGoal,
    CarePlanIntent,
    CarePlanKind,
    CarePlanRevision,
    CarePlanStatus,
    CareTeamMember,
    CareTeamRole,
    Goal,
    GoalLifecycleStatus,
    GoalTarget,
    Observation,
    Patient,
    TaskPriority,
    TaskStatus,
)
from careloop.models.care_plan import OPEN_PLAN_STATUSES
from careloop.patients import repository as patients_repo
from careloop.public_ids import new_public_id
from careloop.tasks import service as tasks_service
from careloop.tasks.schemas import TaskCreate, TaskOwnerIn, TaskType
from careloop.transitions.clock import end_of_local_day, local_date
from careloop.users import repository as users_repo
from careloop.worker import emit

OBSERVATION_RECORDED = "observation.recorded"
DEFAULT_REVIEW_DAYS = 90
# Who gets a worsening goal and an unowned plan's review: the care manager, else the coordinator.
CARE_MANAGER_ROLES = (CareTeamRole.rn_care_manager, CareTeamRole.care_coordinator)
LIVE_GOALS = (GoalLifecycleStatus.proposed, GoalLifecycleStatus.planned, GoalLifecycleStatus.accepted,
              GoalLifecycleStatus.active, GoalLifecycleStatus.on_hold)
CATEGORY = {"4548-4": "laboratory", "44261-6": "survey"}
DISPLAY = {code: names[0] for code, names in views.MEASURES.items()}


def today() -> date:
    return utcnow().date()


# ---- reading ------------------------------------------------------------------------------------------------------

def patient_plans(session: Session, actor: Actor, patient_id: UUID) -> tuple[Patient, Sequence[CarePlan]]:
    patient = patients_repo.get_or_raise(session, patient_id)
    access.require(session, actor, Permission.careplan_read, patient, action="careplan.list")
    return patient, repo.for_patient(session, patient.id)


def get_plan(session: Session, actor: Actor, plan_id: UUID) -> CarePlan:
    plan = repo.get_or_raise(session, plan_id)
    access.require(session, actor, Permission.careplan_read, plan.patient, action="careplan.read",
                   entity_type="care_plan", entity_id=str(plan.public_id))
    return plan


def plan_view(session: Session, actor: Actor, plan_id: UUID) -> PlanOut:
    return views.plan_out(get_plan(session, actor, plan_id), today())


def concerns(session: Session, actor: Actor, plan: CarePlan) -> list[Any]:
    """The patient's active conditions and health concerns the plan does not address yet (already checked)."""
    addressed = {c.id for c in plan.addresses}
    return [c for c in repo.concerns(session, plan.patient_id) if c.id not in addressed]


def history(session: Session, actor: Actor, plan_id: UUID) -> tuple[CarePlan, Sequence[CarePlanRevision]]:
    plan = get_plan(session, actor, plan_id)
    return plan, repo.revisions(session, plan.id)


def compare(session: Session, actor: Actor, plan_id: UUID, older: int, newer: int) -> list[Any]:
    plan = get_plan(session, actor, plan_id)
    if older == newer:
        raise InvalidInput("Choose two different versions to compare.")
    first, second = sorted((older, newer))
    return views.diff(repo.revision_or_raise(session, plan.id, first).snapshot,
                      repo.revision_or_raise(session, plan.id, second).snapshot)


# ---- creating and changing a plan ---------------------------------------------------------------------------------

def create_plan(session: Session, actor: Actor, patient_id: UUID, data: PlanCreate) -> CarePlan:
    patient = patients_repo.get_or_raise(session, patient_id)
    access.require(session, actor, Permission.careplan_write, patient, action="careplan.create")
    template = _template(data.template_id) if data.template_id else None
    if data.kind is CarePlanKind.comprehensive and repo.open_comprehensive(session, patient.id) is not None:
        raise Conflict("This patient already has an open comprehensive care plan; add to it, or close it first.")
    interval = data.review_interval_days or (template.review_interval_days if template else DEFAULT_REVIEW_DAYS)
    now = utcnow()
    plan = CarePlan(public_id=new_public_id(), patient_id=patient.id, kind=data.kind, status=CarePlanStatus.active,
                    intent=CarePlanIntent.plan, owner_user_id=actor.user_id, created_at=now, updated_at=now,
                    period_start=now, title=data.title or _default_title(data.kind, template),
                    review_interval_days=interval,
                    next_review_date=data.next_review_date or today() + timedelta(days=interval))
    session.add(plan)
    session.flush()
    plan = repo.by_id(session, plan.id)
    _revise(session, plan, actor, "Created the plan")
    if template is not None:
        plan = _apply_and_revise(session, actor, plan, template)
    return plan


def apply_template_to_patient(session: Session, actor: Actor, patient_id: UUID, template_id: str) -> CarePlan:
    """The patient's comprehensive plan (made if there is none) with the template's goals and tasks, once."""
    patient = patients_repo.get_or_raise(session, patient_id)
    access.require(session, actor, Permission.careplan_write, patient, action="careplan.apply_template")
    template = _template(template_id)
    existing = repo.open_comprehensive(session, patient.id)
    if existing is None:
        return create_plan(session, actor, patient_id, PlanCreate(template_id=template.id))
    return _apply_and_revise(session, actor, repo.by_id(session, existing.id), template)


def apply_template(session: Session, actor: Actor, plan_id: UUID, version: int, template_id: str) -> CarePlan:
    plan = _writable(session, actor, plan_id, version, action="careplan.apply_template")
    return _apply_and_revise(session, actor, plan, _template(template_id))


def update_plan(session: Session, actor: Actor, plan_id: UUID, data: PlanUpdate) -> CarePlan:
    plan = _writable(session, actor, plan_id, data.version, action="careplan.update")
    fields = data.model_dump(exclude_unset=True, exclude={"version", "owner_user_id"})
    if "title" in fields and fields["title"] is None:
        raise InvalidInput("The title cannot be empty.")
    if "status" in fields:
        if fields["status"] is None:
            raise InvalidInput("The status cannot be empty.")
        fields["status"] = CarePlanStatus(fields["status"])
        if fields["status"] is CarePlanStatus.active and plan.kind is CarePlanKind.comprehensive \
                and plan.status.value not in ("draft", "active", "on-hold"):
            other = repo.open_comprehensive(session, plan.patient_id)
            if other is not None and other.id != plan.id:
                raise Conflict("This patient already has another open comprehensive care plan.")
    changed = [name for name, value in fields.items() if getattr(plan, name) != value]
    for name in changed:
        setattr(plan, name, fields[name])
    if "owner_user_id" in data.model_fields_set:
        changed += _set_owner(session, plan, data.owner_user_id)
    if not changed:
        return plan
    return _save(session, plan, actor, "Changed " + ", ".join(n.replace("_", " ") for n in changed))


def _set_owner(session: Session, plan: CarePlan, owner_id: UUID | None) -> list[str]:
    if owner_id is None:
        if plan.owner_user_id is None:
            return []
        plan.owner_user_id = None
        return ["owner"]
    user = users_repo.get_active_or_raise(session, owner_id)
    if user.id == plan.owner_user_id:
        return []
    if not careteam_repo.user_reaches_patient(session, user.id, plan.patient_id):
        raise InvalidInput(f"{user.display_name} is not on this patient's care team; add them first.")
    plan.owner_user_id = user.id
    return ["owner"]


def address(session: Session, actor: Actor, plan_id: UUID, data: AddressIn) -> CarePlan:
    plan = _writable(session, actor, plan_id, data.version, action="careplan.address")
    condition = repo.condition_or_raise(session, data.condition_id, plan.patient_id)
    if any(c.id == condition.id for c in plan.addresses):
        raise Conflict(f"The plan already addresses {condition.display}.")
    session.add(CarePlanCondition(care_plan_id=plan.id, condition_id=condition.id))
    return _save(session, plan, actor, f"Added concern: {condition.display}")


def add_goal(session: Session, actor: Actor, plan_id: UUID, data: GoalIn) -> CarePlan:
    plan = _writable(session, actor, plan_id, data.version, action="careplan.goal.add")
    concern_id = None
    if data.concern_id is not None:
        concern = repo.condition_or_raise(session, data.concern_id, plan.patient_id)
        concern_id = concern.id
        if not any(c.id == concern.id for c in plan.addresses):
            session.add(CarePlanCondition(care_plan_id=plan.id, condition_id=concern.id))
    goal = _new_goal(plan, data.description, data.priority, data.start_date or today(), data.target_date, concern_id)
    goal.targets = [_target(t, data.target_date) for t in data.targets]
    session.add(goal)
    session.flush()
    session.add(CarePlanGoal(care_plan_id=plan.id, goal_id=goal.id))
    plan = _save(session, plan, actor, f"Added goal: {goal.description}")
    return _evaluate_goals(session, actor, plan, {t.code for t in data.targets}) or plan


def update_goal(session: Session, actor: Actor, plan_id: UUID, goal_id: UUID, data: GoalUpdate) -> CarePlan:
    plan = _writable(session, actor, plan_id, data.version, action="careplan.goal.update")
    goal = repo.goal_of_plan(plan, goal_id)
    fields = data.model_dump(exclude_unset=True, exclude={"version", "targets"})
    for name in ("description", "lifecycle_status", "priority"):
        if name in fields and fields[name] is None:
            raise InvalidInput(f"The goal's {name.replace('_', ' ')} cannot be empty.")
    if "target_date" in fields and fields["target_date"] and goal.start_date \
            and fields["target_date"] < goal.start_date:
        raise InvalidInput("The target date cannot be before the goal's start date.")
    changed = [name for name, value in fields.items() if getattr(goal, name) != value]
    for name in changed:
        setattr(goal, name, fields[name])
    if "lifecycle_status" in changed:
        goal.status_date = today()
    codes: set[str] = set()
    if data.targets is not None:
        goal.targets = [_target(t, goal.target_date) for t in data.targets]
        codes = {t.code for t in data.targets}
        changed.append("targets")
    if not changed:
        return plan
    plan = _save(session, plan, actor, f"Changed goal “{goal.description}”: " + ", ".join(
        n.replace("_", " ") for n in changed))
    return _evaluate_goals(session, actor, plan, codes | _codes(goal), only=goal.id) or plan


def add_intervention(session: Session, actor: Actor, plan_id: UUID, data: InterventionIn) -> CarePlan:
    plan = _writable(session, actor, plan_id, data.version, action="careplan.intervention.add")
    goal = repo.goal_of_plan(plan, data.goal_id) if data.goal_id else None
    if data.due_date is not None and data.due_date < local_date(utcnow()):
        raise InvalidInput("The due date cannot be in the past.")
    _intervention(session, actor, plan, kind=data.kind.value, task_type=data.task_type, title=data.title,
                  role=data.role, due_days=data.due_in_days, due_on=data.due_date, priority=data.priority,
                  goal_id=goal.id if goal else None, owner_user=data.owner_user_id)
    return _save(session, plan, actor, f"Added intervention: {data.title}")


def add_entry(session: Session, actor: Actor, plan_id: UUID, data: EntryIn) -> CarePlan:
    plan = _writable(session, actor, plan_id, data.version, action="careplan.entry.add")
    session.add(CarePlanEntry(public_id=new_public_id(), care_plan_id=plan.id, kind=data.kind.value, text=data.text,
                              status="active", created_at=utcnow(), created_by_id=actor.user_id))
    what = "what matters to the patient" if data.kind.value == "priority" else "barrier"
    return _save(session, plan, actor, f"Added {what}: {data.text[:200]}")


def resolve_entry(session: Session, actor: Actor, plan_id: UUID, entry_id: UUID, data: Versioned) -> CarePlan:
    """A priority met or a barrier overcome: kept on the plan as resolved, never deleted."""
    plan = _writable(session, actor, plan_id, data.version, action="careplan.entry.resolve")
    entry = next((e for e in plan.entries if e.public_id == entry_id), None)
    if entry is None:
        raise NotFound(f"No priority or barrier {entry_id} on this plan.")
    if entry.status == "resolved":
        raise Conflict("This is already marked resolved.")
    entry.status = "resolved"
    what = "what matters to the patient" if entry.kind == "priority" else "barrier"
    return _save(session, plan, actor, f"Resolved {what}: {entry.text[:200]}")


def add_decision(session: Session, actor: Actor, plan_id: UUID, data: DecisionIn) -> CarePlan:
    plan = _writable(session, actor, plan_id, data.version, action="careplan.decision.add")
    if data.decided_on > today():
        raise InvalidInput("A decision's date cannot be in the future.")
    if data.choice not in data.options:
        raise InvalidInput("The patient's choice must be one of the options discussed.")
    session.add(CarePlanDecision(public_id=new_public_id(), care_plan_id=plan.id, topic=data.topic,
                                 options=data.options, choice=data.choice, decided_on=data.decided_on,
                                 present=data.present, created_at=utcnow(), created_by_id=actor.user_id))
    return _save(session, plan, actor, f"Recorded shared decision: {data.topic} -> {data.choice}")


def complete_review(session: Session, actor: Actor, plan_id: UUID, data: ReviewIn) -> CarePlan:
    """The plan was reviewed: the open review task is completed and the next review date moves on."""
    plan = _writable(session, actor, plan_id, data.version, action="careplan.review")
    for activity in plan.activities:
        if activity.purpose == "review":
            activity.status = CarePlanActivityStatus.completed  # the task.completed subscriber has nothing to do
    for task in repo.open_tasks(session, plan.id, "review"):
        if task.status in (TaskStatus.requested, TaskStatus.received):
            tasks_service.transition(session, actor, task.public_id, "accept", version=task.version)
        if task.status in (TaskStatus.on_hold, TaskStatus.draft):
            tasks_service.transition(session, actor, task.public_id, "cancel", version=task.version,
                                     note="the plan was reviewed")
        else:
            tasks_service.transition(session, actor, task.public_id, "complete", version=task.version,
                                     note=data.note)
    return _reviewed(session, actor, plan, f": {data.note}" if data.note else "")


def review_task_completed(session: Session, actor: Actor, task_id: int, by: str) -> CarePlan | None:
    """A plan's review task was completed outside the plan page (the worklist, the API, any channel): the plan
    was reviewed, exactly as "Record plan review" does. Once per task: the review activity is then completed, and
    one already completed (recorded on the plan page, or this event relayed twice) is left alone."""
    activity = repo.review_activity(session, task_id)
    if activity is None or activity.status is CarePlanActivityStatus.completed:
        return None
    plan = repo.by_id(session, activity.care_plan_id)
    access.require(session, actor, Permission.careplan_write, plan.patient, action="careplan.review",
                   entity_type="care_plan", entity_id=str(plan.public_id))
    activity.status = CarePlanActivityStatus.completed
    if plan.kind is None or plan.status not in OPEN_PLAN_STATUSES:
        session.flush()
        return None
    return _reviewed(session, actor, plan, f": review task completed by {by}")


def _reviewed(session: Session, actor: Actor, plan: CarePlan, note: str) -> CarePlan:
    interval = plan.review_interval_days or DEFAULT_REVIEW_DAYS
    plan.next_review_date = today() + timedelta(days=interval)
    return _save(session, plan, actor, f"Reviewed the plan; next review {plan.next_review_date.isoformat()}{note}")


# ---- readings and goal achievement -------------------------------------------------------------------------------

def record_reading(session: Session, actor: Actor, plan_id: UUID, goal_id: UUID, data: ReadingIn) -> CarePlan:
    """A coordinator enters a reading for a goal's measure: stored as observations, announced as
    observation.recorded (as every writer of observations does), and the plan's goals re-evaluated now."""
    plan = repo.get_or_raise(session, plan_id)
    access.require(session, actor, Permission.careplan_write, plan.patient, action="careplan.reading",
                   entity_type="care_plan", entity_id=str(plan.public_id))
    goal = repo.goal_of_plan(plan, goal_id)
    measured = _codes(goal)
    unknown = sorted({v.code for v in data.values} - measured)
    if unknown:
        raise InvalidInput(f"This goal is not measured by {', '.join(unknown)}; it uses {', '.join(sorted(measured))}.")
    at = data.at or utcnow()
    if at > utcnow() + timedelta(minutes=5):
        raise InvalidInput("A reading cannot be in the future.")
    units = {t.measure_code: t.detail_unit for t in goal.targets}
    panel = "85354-9" if {v.code for v in data.values} & set(views.BP) else None
    rows = [Observation(patient_id=plan.patient_id, category=CATEGORY.get(v.code, "vital-signs"), code=v.code,
                        display=DISPLAY.get(v.code, v.code), panel_code=panel, effective_at=at, value_num=v.value,
                        unit=units.get(v.code)) for v in data.values]
    session.add_all(rows)
    session.flush()
    codes = sorted({r.code for r in rows})
    emit(session, OBSERVATION_RECORDED, {"patient_id": plan.patient_id, "observation_ids": [r.id for r in rows],
                                         "codes": codes})
    return _evaluate_goals(session, actor, plan, set(codes)) or repo.by_id(session, plan.id)


def evaluate_patient(session: Session, actor: Actor, patient_id: int, codes: Iterable[str]) -> int:
    """Re-evaluate the patient's goals measured by `codes` (the observation.recorded subscriber and the nightly
    sweep). Returns how many plans changed."""
    wanted = set(codes)
    changed = 0
    for plan_id in repo.plan_ids_for_codes(session, patient_id, wanted):
        plan = repo.by_id(session, plan_id)
        access.require(session, actor, Permission.careplan_write, plan.patient, action="careplan.evaluate",
                       entity_type="care_plan", entity_id=str(plan.public_id))
        changed += _evaluate_goals(session, actor, plan, wanted) is not None
    return changed


def _evaluate_goals(session: Session, actor: Actor, plan: CarePlan, codes: set[str],
                    only: int | None = None) -> CarePlan | None:
    """Move each live goal measured by `codes` to the status its readings give; a goal that turns (or stays)
    worsening puts one task on the care manager's worklist. A revision when anything changed, else None."""
    goals = [link.goal for link in plan.goal_links if link.goal.lifecycle_status in LIVE_GOALS
             and _codes(link.goal) & codes and (only is None or link.goal.id == only)]
    if not goals or plan.kind is None:
        return None
    observations = repo.readings(session, plan.patient_id, set().union(*(_codes(g) for g in goals)))
    readings = [achievement.Reading(o.code, float(o.value_num), o.effective_at) for o in observations
                if o.value_num is not None]
    notes = []
    for goal in goals:
        result = achievement.evaluate(_targets(goal), readings, today(), goal.target_date)
        if goal.achievement_status != result.status.value:
            notes.append(f"Goal “{goal.description}”: {goal.achievement_status or 'none'} -> {result.status.value}")
        # The reason alone changing (a new reading, same status) is not a new version; it rides with the next.
        goal.achievement_status, goal.achievement_reason = result.status.value, result.reason[:300]
        if result.status is achievement.Achievement.worsening and _worsening_task(session, actor, plan, goal):
            notes.append(f"task for the care manager: “{goal.description}” is worsening")
    if not notes:
        return None
    return _save(session, plan, actor, "; ".join(notes)[:500])


def _worsening_task(session: Session, actor: Actor, plan: CarePlan, goal: Goal) -> bool:
    if repo.open_task(session, plan.id, "worsening", goal.id) is not None:
        return False
    _intervention(session, actor, plan, kind="task", task_type=TaskType.follow_up_call,
                  title=f"Goal worsening for {plan.patient.given} {plan.patient.family}: {goal.description}"[:200],
                  role=_care_manager_role(session, plan.patient_id), due_days=1, priority=TaskPriority.urgent,
                  goal_id=goal.id, purpose="worsening",
                  description=f"{goal.achievement_reason or ''}\n\nCare plan: {plan.title}. Review the goal and "
                              "contact the patient.")
    return True


def _care_manager_role(session: Session, patient_id: int) -> CareTeamRole:
    held = set(session.scalars(select(CareTeamMember.role).where(CareTeamMember.patient_id == patient_id,
                                                                 CareTeamMember.period_end.is_(None))))
    return next((role for role in CARE_MANAGER_ROLES if role in held), CARE_MANAGER_ROLES[0])


def _codes(goal: Goal) -> set[str]:
    return {t.measure_code for t in goal.targets if t.measure_code}


def _targets(goal: Goal) -> list[achievement.Target]:
    """Only targets with a bound count: a measure whose value the team has not set yet is not judged."""
    return [achievement.Target(t.measure_code, t.detail_comparator, t.detail_low, t.detail_high)
            for t in goal.targets if t.measure_code and (t.detail_low is not None or t.detail_high is not None)]


# ---- review cadence (the job) -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReviewsDue:
    created: int
    more: bool


def create_due_reviews(session: Session, actor: Actor, limit: int = 500) -> ReviewsDue:
    """One open 'care plan review' task per plan whose review date has come, on its owner's worklist (or the
    care manager role's, when the owner has left the care team)."""
    due = repo.due_for_review(session, today(), limit)
    for plan_id in due:
        plan = repo.by_id(session, plan_id)
        access.require(session, actor, Permission.careplan_write, plan.patient, action="careplan.review_due",
                       entity_type="care_plan", entity_id=str(plan.public_id))
        owner = plan.owner_user if plan.owner_user and plan.owner_user.active and \
            careteam_repo.user_reaches_patient(session, plan.owner_user.id, plan.patient_id) else None
        _intervention(session, actor, plan, kind="task", task_type=TaskType.care_plan_review,
                      title=f"Review the care plan of {plan.patient.given} {plan.patient.family}"[:200],
                      role=_care_manager_role(session, plan.patient_id), due_days=0, priority=TaskPriority.routine,
                      goal_id=None, purpose="review", owner_user=owner.public_id if owner else None,
                      description=f"Review due {plan.next_review_date}: goals, interventions, barriers and what "
                                  "matters to the patient. Record the review on the plan.")
        _save(session, plan, actor, f"Review due {plan.next_review_date}: review task created")
    return ReviewsDue(len(due), len(due) == limit)


# ---- plumbing -------------------------------------------------------------------------------------------------

def _template(template_id: str) -> templates.Template:
    found = templates.installed().get(template_id)
    if found is None:
        raise InvalidInput(f"No care-plan template {template_id!r}; one of: {', '.join(templates.installed())}.")
    return found


def _default_title(kind: CarePlanKind, template: templates.Template | None) -> str:
    if kind is CarePlanKind.comprehensive:
        return "Comprehensive care plan"
    return f"{template.title} care plan" if template else "Care plan"


def _writable(session: Session, actor: Actor, plan_id: UUID, version: int, *, action: str) -> CarePlan:
    plan = repo.get_or_raise(session, plan_id)
    access.require(session, actor, Permission.careplan_write, plan.patient, action=action, entity_type="care_plan",
                   entity_id=str(plan.public_id))
    if plan.kind is None:
        raise Conflict("This plan was imported from another system and is read-only here; start a careloop plan.")
    if plan.version != version:
        raise Conflict(f"This care plan was changed by someone else since you opened it (you have version {version}, "
                       f"it is now version {plan.version}). Reload it and try again.",
                       details={"current_version": plan.version})
    return plan


def _save(session: Session, plan: CarePlan, actor: Actor, summary: str) -> CarePlan:
    plan.updated_at = utcnow()  # an UPDATE of the plan row even when only its parts changed: the version moves
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict("This care plan was changed by someone else at the same moment. Reload it and try again.") \
            from exc
    plan = repo.by_id(session, plan.id)
    _revise(session, plan, actor, summary)
    return plan


def _revise(session: Session, plan: CarePlan, actor: Actor, summary: str) -> None:
    session.add(CarePlanRevision(care_plan_id=plan.id, version=plan.version, at=plan.updated_at or utcnow(),
                                 actor_id=actor.user_id, actor_name=actor.display_name, summary=summary[:500],
                                 snapshot=views.snapshot(views.plan_out(plan, today()))))
    audit.record(session, actor, "careplan.revised", patient_id=plan.patient_id, entity_type="care_plan",
                 entity_id=str(plan.public_id), detail={"version": plan.version})
    session.flush()


def _apply_and_revise(session: Session, actor: Actor, plan: CarePlan, template: templates.Template) -> CarePlan:
    added = _apply(session, actor, plan, template)
    if not added:
        return plan  # applied before: nothing new, no new version
    plan = _save(session, plan, actor, f"Applied template {template.id} v{template.version}: {added}")
    return _evaluate_goals(session, actor, plan, {t.code for g in template.goals for t in g.targets}) or plan


def _apply(session: Session, actor: Actor, plan: CarePlan, template: templates.Template) -> str:
    have = {link.item_key for link in plan.goal_links} | {a.item_key for a in plan.activities}
    concerns = [c for c in repo.concerns(session, plan.patient_id)
                if c.icd10 and c.icd10.startswith(tuple(template.addresses_icd10))] if template.addresses_icd10 else []
    addressed = {c.id for c in plan.addresses}
    new_concerns = [c for c in concerns if c.id not in addressed]
    for concern in new_concerns:
        session.add(CarePlanCondition(care_plan_id=plan.id, condition_id=concern.id))
    goal_ids = {link.item_key: link.goal_id for link in plan.goal_links if link.item_key}
    goals = interventions = 0
    for spec in template.goals:
        key = template.item_key(spec.key)
        if key in have:
            continue
        target_date = today() + timedelta(days=spec.target_days)
        goal = _new_goal(plan, spec.description, spec.priority, today(), target_date,
                         concerns[0].id if concerns else None)
        goal.category = spec.category
        goal.targets = [_target(TargetIn(code=t.code, comparator=t.comparator, value=t.value, unit=t.unit),
                                target_date) for t in spec.targets]
        session.add(goal)
        session.flush()
        session.add(CarePlanGoal(care_plan_id=plan.id, goal_id=goal.id, item_key=key))
        goal_ids[key] = goal.id
        goals += 1
    for item in template.interventions:
        key = template.item_key(item.key)
        if key in have:
            continue
        _intervention(session, actor, plan, kind=item.kind, task_type=item.task_type, title=item.title,
                      role=item.role, due_days=item.due_days, priority=item.priority, item_key=key,
                      goal_id=goal_ids.get(template.item_key(item.goal)) if item.goal else None,
                      description=f"From the {template.title} care-plan template (v{template.version}).")
        interventions += 1
    if plan.review_interval_days is None:
        plan.review_interval_days = template.review_interval_days
    if plan.next_review_date is None:
        plan.next_review_date = today() + timedelta(days=template.review_interval_days)
    if not (goals or interventions or new_concerns):
        return ""
    return f"{goals} goals, {interventions} tasks, {len(new_concerns)} concerns"


def _new_goal(plan: CarePlan, description: str, priority: str, start: date, target_date: date | None,
              concern_id: int | None) -> Goal:
    return Goal(public_id=new_public_id(), patient_id=plan.patient_id, lifecycle_status=GoalLifecycleStatus.active,
                achievement_status=achievement.Achievement.in_progress.value, description=description,
                priority=priority, start_date=start, target_date=target_date, status_date=start,
                condition_id=concern_id)


def _target(t: TargetIn, due: date | None) -> GoalTarget:
    low, high = t.low, t.high
    if t.comparator in ("<", "<="):
        high = t.value
    elif t.comparator in (">", ">="):
        low = t.value
    return GoalTarget(measure_code=t.code, measure_display=DISPLAY.get(t.code), detail_comparator=t.comparator,
                      detail_low=low, detail_high=high, detail_unit=t.unit, due_date=due)


def _intervention(session: Session, actor: Actor, plan: CarePlan, *, kind: str, task_type: TaskType, title: str,
                  role: CareTeamRole | None, due_days: int | None, priority: TaskPriority, goal_id: int | None,
                  item_key: str | None = None, purpose: str = "intervention", description: str | None = None,
                  owner_user: UUID | None = None, due_on: date | None = None) -> None:
    due_at = utcnow() + timedelta(days=due_days) if due_days is not None else None
    if due_on is not None:
        due_at = end_of_local_day(due_on)
    owner = TaskOwnerIn(user_id=owner_user) if owner_user else TaskOwnerIn(role=role)
    task = tasks_service.create_task(session, actor, plan.patient.public_id, TaskCreate(
        type=task_type, title=title, description=description, priority=priority, due_at=due_at, owner=owner))
    fhir_kind = {"education": "CommunicationRequest", "referral": "ServiceRequest"}.get(kind, "Task")
    last = session.scalar(select(func.max(CarePlanActivity.position)).where(CarePlanActivity.care_plan_id == plan.id))
    position = 0 if last is None else last + 1
    session.add(CarePlanActivity(care_plan_id=plan.id, position=position, kind=fhir_kind, display=title,
                                 status=CarePlanActivityStatus.not_started, description=description,
                                 task_id=task.id, goal_id=goal_id, purpose=purpose,
                                 owner_role=role.value if role else None,
                                 item_key=item_key))

