"""Tasks: open work on the worklists (owned by people, queued to the social work team or to a care-team
role) and finished history, each with the task events that lead to its status through the workflow
(careloop.tasks.workflow), so a task's history reads as it would have happened."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from careloop.models.careteam import CareTeamRole
from careloop.models.task import PRIORITY_RANK, TaskPriority
from careloop.models.task import TaskStatus as S
from careloop.synth.careteams import POLYPHARMACY, Primary, Support
from careloop.synth.clinical import Conditions, Medicines
from careloop.synth.codes import SOCIAL_NEEDS
from careloop.synth.demographics import People
from careloop.synth.draw import Bools, Floats, Ints, between, chance, days, in_chunks_of, lookup, pick, pick_rows
from careloop.synth.frames import NULL_INT, SECONDS_PER_DAY, Frame, arrange, public_ids
from careloop.synth.staff import StaffPools
from careloop.synth.utilisation import HOUR, Encounters
from careloop.synth.writer import IdAllocator
from careloop.tasks.schemas import TaskType

TYPES = tuple(TaskType)
_T = {t: i for i, t in enumerate(TYPES)}
TITLES: dict[TaskType, tuple[str, ...]] = {
    TaskType.outreach: ("Call to schedule annual wellness visit", "Outreach after missed appointment",
                        "Welcome call for new enrollee", "Check in by phone"),
    TaskType.follow_up_call: ("Post-discharge follow-up call", "Follow-up call after ED visit",
                              "Call about new symptoms"),
    TaskType.med_review: ("Medication reconciliation", "Review medicines for interactions",
                          "Check adherence and refills"),
    TaskType.appointment: ("Schedule primary care follow-up within 7 days", "Book specialist appointment",
                           "Arrange lab draw"),
    TaskType.assessment: ("Complete social needs screening", "Depression screening (PHQ-9)", "Fall risk assessment",
                          "Caregiver strain assessment"),
    TaskType.education: ("Self-management education", "Teach back: warning signs and when to call",
                         "Review care plan goals with patient"),
    TaskType.referral: ("Refer to home health", "Refer to community support program", "Refer to specialist"),
    TaskType.care_plan_review: ("Quarterly care plan review", "Update care plan goals"),
    TaskType.safety: ("Home safety evaluation", "Review fall prevention plan", "Check on patient at home"),
    TaskType.other: ("Update contact details", "Request records from outside hospital"),
}
DESCRIPTION = "Use the patient's preferred contact method and record the outcome."
HOLD_REASONS = ("Waiting for the patient to call back", "Patient in hospital; resume after discharge",
                "Waiting for records from the specialist", "Patient travelling until next week")
CANCEL_REASONS = ("Patient declined", "Duplicate task", "No longer needed after hospital follow-up",
                  "Patient moved out of the area")
FAIL_REASONS = ("Could not reach the patient after three attempts", "Referral declined by the agency")
PRIORITIES = tuple(TaskPriority)


@dataclass(frozen=True)
class Step:
    action: str
    source: S | None
    target: S
    reasons: tuple[str, ...] = ()  # the note (and status_reason) this step needs, drawn from these


_CREATE_READY = Step("created", None, S.ready)
_CREATE_QUEUED = Step("created", None, S.requested)
_START = Step("start", S.ready, S.in_progress)
# A path is the sequence of workflow steps a task went through to reach its current status.
OPEN_BY_PERSON: tuple[tuple[tuple[Step, ...], float], ...] = (
    ((_CREATE_READY,), 0.45),
    ((_CREATE_READY, _START), 0.30),
    ((_CREATE_QUEUED, Step("claimed", S.requested, S.accepted)), 0.10),
    ((_CREATE_READY, Step("hold", S.ready, S.on_hold, HOLD_REASONS)), 0.07),
    ((_CREATE_READY, _START, Step("hold", S.in_progress, S.on_hold, HOLD_REASONS)), 0.08),
)
OPEN_QUEUED = (
    ((_CREATE_QUEUED,), 0.75),
    ((_CREATE_QUEUED, Step("receive", S.requested, S.received)), 0.17),
    ((_CREATE_QUEUED, Step("hold", S.requested, S.on_hold, HOLD_REASONS)), 0.08),
)
FINISHED = (
    ((_CREATE_READY, Step("complete", S.ready, S.completed)), 0.45),
    ((_CREATE_READY, _START, Step("complete", S.in_progress, S.completed)), 0.38),
    ((_CREATE_READY, Step("cancel", S.ready, S.cancelled, CANCEL_REASONS)), 0.14),
    ((_CREATE_READY, _START, Step("fail", S.in_progress, S.failed, FAIL_REASONS)), 0.03),
)
PATHS = tuple(path for group in (OPEN_BY_PERSON, OPEN_QUEUED, FINISHED) for path, _ in group)

# Who a task can go to. Columns of the owner-weight matrix; users, the social work team, or care-team roles.
OWNERS = ("manager", "pharmacist", "chw", "physician", "social_team", "role_manager", "role_social",
          "role_pharmacist", "role_chw", "role_physician")
PERSON_OWNERS = 4  # the first four are people


@dataclass(frozen=True)
class _Patients:
    """Per-patient facts that shape the tasks."""

    who: People
    found: Conditions
    meds: Medicines
    primary: Primary
    support: Support
    recently_discharged: Bools
    deceased: Bools
    deceased_at: Ints
    enrolled: Ints


def task_frames(rng: np.random.Generator, who: People, found: Conditions, meds: Medicines, primary: Primary,
                support: Support, encounters: Encounters, deceased: Bools, deceased_at: Ints, enrolled: Ints,
                patient_ids: Ints, pools: StaffPools, allocator: IdAllocator) -> tuple[Frame, Frame]:
    recent = (encounters.last_discharge >= who.as_of - days(30)) & ~deceased
    facts = _Patients(who, found, meds, primary, support, recent, deceased, deceased_at, enrolled)
    open_tasks = _open_tasks(rng, facts, pools)
    finished = _finished_tasks(rng, facts, pools)
    tasks = {name: np.concatenate([open_tasks[name], finished[name]]) for name in open_tasks}
    tasks["reason"] = _reasons(rng, tasks["path"])
    # In the order of the owner index, before keys are given and events refer to tasks by position.
    tasks = arrange(tasks, "owner_user_id", "path", "due")
    k = len(tasks["owner"])
    task_ids = allocator.take("tasks", k)
    events = _events(rng, tasks, task_ids, primary.manager, allocator)
    return _task_frame(rng, tasks, task_ids, patient_ids, who.minted_ms), events


def _type_weights(facts: _Patients, owner: Ints, finished: bool) -> Floats:
    who, found = facts.who, facts.found
    weights = np.tile(np.array([3, 1.5, 1.5, 1.5, 2, 1, 0.5, 1.5, 0.5, 0.5], dtype=np.float64), (len(owner), 1))
    discharged = facts.recently_discharged[owner] if not finished else np.zeros(len(owner), dtype=bool)
    social = found.any_social_need[owner]
    weights[:, _T[TaskType.follow_up_call]] += 6 * discharged
    weights[:, _T[TaskType.appointment]] += 3 * discharged
    weights[:, _T[TaskType.med_review]] += 3 * discharged + 3 * (facts.meds.active_count[owner] >= POLYPHARMACY)
    weights[:, _T[TaskType.referral]] += 4 * social
    weights[:, _T[TaskType.assessment]] += 1 * social
    weights[:, _T[TaskType.outreach]] += 1 * social
    weights[:, _T[TaskType.education]] += 1.5 * (found.active("diabetes") | found.active("heart_failure"))[owner]
    frail = found.active("dementia") | (who.age >= 80) | found.social[:, _need("lives_alone")]
    weights[:, _T[TaskType.safety]] += 1.5 * frail[owner]
    return weights


def _need(key: str) -> int:
    return next(i for i, need in enumerate(SOCIAL_NEEDS) if need.key == key)


def _owner_weights(facts: _Patients, owner: Ints, task_type: Ints, people_only: bool) -> Floats:
    support, primary = facts.support, facts.primary
    k = len(owner)
    is_type = {t: task_type == _T[t] for t in TYPES}
    pharmacist = (support.pharmacist[owner] >= 0) & is_type[TaskType.med_review]
    chw = (support.community_health_worker[owner] >= 0) & (is_type[TaskType.outreach] | is_type[TaskType.referral])
    social = support.social_work[owner] & (is_type[TaskType.referral] | is_type[TaskType.assessment]
                                           | is_type[TaskType.outreach])
    physician = (primary.physician[owner] >= 0) & (is_type[TaskType.med_review] | is_type[TaskType.care_plan_review])
    weights = np.zeros((k, len(OWNERS)))
    weights[:, 0] = 5.0
    weights[:, 1], weights[:, 7] = 4.0 * pharmacist, 1.5 * pharmacist
    weights[:, 2], weights[:, 8] = 2.5 * chw, 1.0 * chw
    weights[:, 3], weights[:, 9] = 0.7 * physician, 0.7 * physician
    weights[:, 4], weights[:, 6] = 3.0 * social, 1.0 * social
    weights[:, 5] = 1.2
    if people_only:
        weights[:, PERSON_OWNERS:] = 0.0
    return weights


def _draw_tasks(rng: np.random.Generator, facts: _Patients, owner: Ints, pools: StaffPools,
                finished: bool) -> Frame:
    k = len(owner)
    task_type = pick_rows(rng, _type_weights(facts, owner, finished))
    choice = pick_rows(rng, _owner_weights(facts, owner, task_type, people_only=finished))
    user, team, role = _owner_columns(facts, owner, choice, pools)
    priority = pick(rng, (0.70, 0.20, 0.08, 0.02), k)
    urgent_follow_up = (task_type == _T[TaskType.follow_up_call]) & facts.recently_discharged[owner] & ~finished
    priority = np.where(urgent_follow_up, np.maximum(priority, 1), priority)
    requester_kind = pick(rng, (0.6, 0.15, 0.25), k)  # care manager, physician, the system (a pathway)
    physician = facts.primary.physician[owner]
    requester = np.select([requester_kind == 0, (requester_kind == 1) & (physician >= 0)],
                          [facts.primary.manager[owner], physician], NULL_INT)
    return {"owner": owner, "type": task_type, "title": _titles(rng, facts, owner, task_type),
            "priority": priority, "owner_user_id": user, "owner_team_id": team, "owner_role": role,
            "requester_id": requester}


def _owner_columns(facts: _Patients, owner: Ints, choice: Ints, pools: StaffPools
                   ) -> tuple[Ints, Ints, NDArray[np.str_]]:
    primary, support = facts.primary, facts.support
    users = np.column_stack([primary.manager[owner], support.pharmacist[owner],
                             support.community_health_worker[owner], primary.physician[owner]])
    user = np.where(choice < PERSON_OWNERS, users[np.arange(len(owner)), np.minimum(choice, PERSON_OWNERS - 1)],
                    NULL_INT)
    team = np.where(choice == 4, pools.social_work_team, NULL_INT)
    roles = np.column_stack([primary.manager_role[owner]] + [
        np.full(len(owner), r.value) for r in (CareTeamRole.social_worker, CareTeamRole.pharmacist,
                                              CareTeamRole.community_health_worker,
                                              CareTeamRole.primary_care_physician)])
    role = np.where(choice >= 5, roles[np.arange(len(owner)), np.clip(choice - 5, 0, 4)], "")
    return user.astype(np.int64), team.astype(np.int64), role


def _titles(rng: np.random.Generator, facts: _Patients, owner: Ints, task_type: Ints) -> NDArray[np.str_]:
    flat = [title for t in TYPES for title in TITLES[t]]
    counts = np.array([len(TITLES[t]) for t in TYPES])
    offsets = np.cumsum(counts) - counts
    generic = lookup(flat, offsets[task_type] + (rng.random(len(owner)) * counts[task_type]).astype(np.int64))
    # A referral for a patient with a social need addresses that need (the first one recorded).
    social = facts.found.social[owner]
    need = np.argmax(social, axis=1)
    referral_for_need = (task_type == _T[TaskType.referral]) & social.any(axis=1)
    return np.where(referral_for_need, lookup([n.referral_title for n in SOCIAL_NEEDS], need), generic)


def _open_tasks(rng: np.random.Generator, facts: _Patients, pools: StaffPools) -> Frame:
    who, found = facts.who, facts.found
    per_patient = (0.5 + 0.3 * found.charlson + 0.5 * found.any_social_need + 1.2 * facts.recently_discharged
                   + 0.3 * (facts.meds.active_count >= POLYPHARMACY))
    count = np.where(facts.deceased, 0, np.minimum(rng.poisson(per_patient), 8))
    owner = in_chunks_of(count.astype(np.int64))
    tasks = _draw_tasks(rng, facts, owner, pools, finished=False)
    k = len(owner)
    queued = tasks["owner_user_id"] < 0
    by_person = _path_choice(rng, OPEN_BY_PERSON, k)
    by_queue = _path_choice(rng, OPEN_QUEUED, k)
    tasks["path"] = np.where(queued, by_queue, by_person)
    authored = who.as_of - between(rng, HOUR * 12, days(45), k)
    tasks["authored"] = np.maximum(authored, facts.enrolled[owner])
    tasks["due"] = _open_due(rng, who.as_of, tasks["authored"], k)
    tasks["last"] = np.minimum(tasks["authored"] + between(rng, HOUR, days(10), k), who.as_of)
    return tasks


def _open_due(rng: np.random.Generator, as_of: int, authored: Ints, k: int) -> Ints:
    """About a fifth overdue, most due within weeks, some with no due date (NULL_INT)."""
    window = pick(rng, (0.22, 0.40, 0.25, 0.13), k)
    day = np.select([window == 0, window == 1, window == 2],
                    [as_of - between(rng, days(1), days(21), k), as_of + between(rng, 0, days(7), k),
                     as_of + between(rng, days(7), days(45), k)], NULL_INT)
    due = day - day % SECONDS_PER_DAY + between(rng, 9 * HOUR, 17 * HOUR, k)
    due = np.where(window == 0, np.maximum(due, authored + HOUR), due)
    return np.where(window == 3, NULL_INT, due)


def _finished_tasks(rng: np.random.Generator, facts: _Patients, pools: StaffPools) -> Frame:
    who, found = facts.who, facts.found
    per_patient = 0.35 + 0.2 * found.charlson + 0.15 * found.any_social_need
    owner = in_chunks_of(np.minimum(rng.poisson(per_patient), 10).astype(np.int64))
    tasks = _draw_tasks(rng, facts, owner, pools, finished=True)
    k = len(owner)
    tasks["path"] = _path_choice(rng, FINISHED, k)
    end = np.where(facts.deceased, facts.deceased_at, who.as_of)[owner]
    start = np.maximum(facts.enrolled[owner], who.as_of - days(365))
    authored = between(rng, start, np.maximum(end - days(1), start + HOUR), k)
    tasks["authored"] = authored
    tasks["last"] = np.minimum(authored + between(rng, 2 * HOUR, days(20), k), end)
    tasks["due"] = np.where(chance(rng, 0.8, k), authored + between(rng, days(1), days(14), k), NULL_INT)
    return tasks


def _path_choice(rng: np.random.Generator, group: tuple[tuple[tuple[Step, ...], float], ...], k: int) -> Ints:
    first = PATHS.index(group[0][0])
    return first + pick(rng, [weight for _, weight in group], k)


def _final(path: Ints) -> tuple[NDArray[np.str_], NDArray[np.str_]]:
    """Each task's status and, on hold, the status it resumes to."""
    status = lookup([p[-1].target.value for p in PATHS], path)
    resume = lookup([p[-1].source.value if p[-1].target is S.on_hold and p[-1].source else "" for p in PATHS],
                    path)
    return status, resume


def _reasons(rng: np.random.Generator, path: Ints) -> NDArray[np.str_]:
    """The note of each task's last step, where that step needs one ('' otherwise)."""
    reason = np.full(len(path), "", dtype="<U80")
    for p, steps in enumerate(PATHS):
        options = steps[-1].reasons
        chosen = np.flatnonzero(path == p)
        if options and len(chosen):
            reason[chosen] = lookup(options, pick(rng, [1] * len(options), len(chosen)))
    return reason


def _task_frame(rng: np.random.Generator, tasks: Frame, task_ids: Ints, patient_ids: Ints, minted_ms: int) -> Frame:
    k = len(task_ids)
    status, resume = _final(tasks["path"])
    priority = lookup([p.value for p in PRIORITIES], tasks["priority"])
    completed = status == S.completed.value
    return {
        "id": task_ids,
        "public_id": public_ids(rng, k, minted_ms),
        "patient_id": patient_ids[tasks["owner"]],
        "type": lookup([t.value for t in TYPES], tasks["type"]),
        "title": tasks["title"],
        "description": np.where(chance(rng, 0.3, k), DESCRIPTION, ""),
        "status": status,
        "resume_status": resume,
        "status_reason": tasks["reason"],
        "business_status": np.full(k, ""),
        "intent": np.full(k, "order"),
        "priority": priority,
        "priority_rank": np.array([PRIORITY_RANK[p] for p in PRIORITIES], dtype=np.int64)[tasks["priority"]],
        "owner_user_id": tasks["owner_user_id"],
        "owner_team_id": tasks["owner_team_id"],
        "owner_role": tasks["owner_role"],
        "requester_id": tasks["requester_id"],
        "authored_on": tasks["authored"].astype("datetime64[s]"),
        "last_modified": tasks["last"].astype("datetime64[s]"),
        "due_at": _nullable_time(tasks["due"]),
        "completed_at": _nullable_time(np.where(completed, tasks["last"], NULL_INT)),
        "overdue_notified_at": np.full(k, np.datetime64("NaT"), dtype="datetime64[s]"),
        "version": np.ones(k, dtype=np.int64),
    }


def _nullable_time(seconds: Ints) -> NDArray[np.datetime64]:
    return np.where(seconds >= 0, seconds.astype("datetime64[s]"), np.datetime64("NaT", "s"))


def _events(rng: np.random.Generator, tasks: Frame, task_ids: Ints, manager: Ints, allocator: IdAllocator) -> Frame:
    """One row per step of each task's path, laid out step by step so ids rise with time within a task."""
    path = tasks["path"]
    length = np.array([len(p) for p in PATHS])[path]
    doer = np.where(tasks["owner_user_id"] >= 0, tasks["owner_user_id"], manager[tasks["owner"]])
    parts: list[Frame] = []
    for step in range(int(length.max(initial=0))):
        rows = np.flatnonzero(length > step)
        steps = [p[step] if step < len(p) else p[-1] for p in PATHS]
        last = step == length[rows] - 1
        span = tasks["last"][rows] - tasks["authored"][rows]
        at = tasks["authored"][rows] + span * step // np.maximum(length[rows] - 1, 1)
        parts.append({
            "task_id": task_ids[rows],
            "at": at,
            "actor_id": tasks["requester_id"][rows] if step == 0 else doer[rows],
            "action": lookup([s.action for s in steps], path[rows]),
            "from_status": lookup([s.source.value if s.source else "" for s in steps], path[rows]),
            "to_status": lookup([s.target.value for s in steps], path[rows]),
            "note": np.where(last, tasks["reason"][rows], ""),
        })
    k = int(length.sum())
    frame = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]} if parts else {}
    if not k:
        return {}
    frame["at"] = frame["at"].astype("datetime64[s]")
    # By task (a stable sort keeps each task's steps in order), so ids rise with time within a task.
    return arrange({"id": allocator.take("task_events", k), **frame}, "task_id")
