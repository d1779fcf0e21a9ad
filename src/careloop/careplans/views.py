"""Pure functions from a loaded plan to what the API, the pages, the revision snapshots and the plain-language
page and PDF show. Templates render; they do not decide."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from careloop.careplans.schemas import (
    Change,
    ConditionOut,
    DecisionOut,
    EntryOut,
    GoalOut,
    InterventionOut,
    PlanOut,
    PlanSummary,
    Ref,
    TargetOut,
)
from careloop.careteams.repository import ActiveMember
from careloop.models import CarePlan, CareTeamRole, Condition, Goal, GoalTarget
from careloop.web.formatting import label as label_of

MEASURES = {  # LOINC -> (clinical label, words for a lay reader)
    "8480-6": ("Systolic blood pressure", "the top number of your blood pressure"),
    "8462-4": ("Diastolic blood pressure", "the bottom number of your blood pressure"),
    "4548-4": ("Hemoglobin A1c", "your HbA1c (your average blood sugar over about 3 months)"),
    "29463-7": ("Body weight", "your weight"),
    "44261-6": ("PHQ-9 total score", "your mood questionnaire score (PHQ-9)"),
    "2339-0": ("Glucose", "your blood sugar"),
    "59408-5": ("Oxygen saturation", "your oxygen level"),
}
# The unit a target on each measure is written in (what the templates and the readings use).
MEASURE_UNITS = {"8480-6": "mm[Hg]", "8462-4": "mm[Hg]", "4548-4": "%", "29463-7": "kg", "44261-6": "{score}",
                 "2339-0": "mg/dL", "59408-5": "%"}
UNITS = {"%": "%", "kg": " kg", "mm[Hg]": "", "{score}": "", "mg/dL": " mg/dL"}
LAY_ACHIEVEMENT = {
    "achieved": "You have reached this goal.", "improving": "Getting better.",
    "worsening": "Getting harder: your care team will be in touch.",
    "not-achieved": "Not reached by the target date yet.",
    "no-change": "About the same as before.", "in-progress": "Working on it.",
}
BP = ("8480-6", "8462-4")


def condition_out(c: Condition) -> ConditionOut:
    return ConditionOut(id=c.public_id, display=c.display, code=c.code, code_system=c.code_system,
                        category=c.category.value, clinical_status=c.clinical_status.value)


def target_out(t: GoalTarget) -> TargetOut:
    return TargetOut(code=t.measure_code, display=t.measure_display, comparator=t.detail_comparator, low=t.detail_low,
                     high=t.detail_high, unit=t.detail_unit, text=t.detail_text)


def goal_out(g: Goal) -> GoalOut:
    return GoalOut(id=g.public_id, description=g.description, concern=condition_out(g.concern) if g.concern else None,
                   lifecycle_status=g.lifecycle_status.value, achievement_status=g.achievement_status,
                   achievement_reason=g.achievement_reason, priority=g.priority, start_date=g.start_date,
                   target_date=g.target_date, targets=[target_out(t) for t in g.targets])


def summary_out(plan: CarePlan) -> PlanSummary:
    return PlanSummary(id=plan.public_id, version=plan.version, kind=plan.kind.value if plan.kind else None,
                       status=plan.status.value, title=plan.title, next_review_date=plan.next_review_date,
                       managed=plan.kind is not None)


def plan_out(plan: CarePlan, today: date) -> PlanOut:
    goals = {link.goal.id: link.goal for link in plan.goal_links}
    entries = [EntryOut(id=e.public_id, kind=e.kind, text=e.text, status=e.status) for e in plan.entries]
    return PlanOut(
        **summary_out(plan).model_dump(),
        patient=Ref(id=plan.patient.public_id, name=plan.patient.display_name), what_matters=plan.what_matters,
        owner=Ref(id=plan.owner_user.public_id, name=plan.owner_user.display_name) if plan.owner_user else None,
        review_interval_days=plan.review_interval_days,
        review_due=plan.next_review_date is not None and plan.next_review_date <= today,
        addresses=[condition_out(c) for c in plan.addresses], goals=[goal_out(g) for g in goals.values()],
        interventions=[InterventionOut(
            task_id=a.task.public_id if a.task else None, kind=a.kind, purpose=a.purpose,
            title=a.task.title if a.task else a.display, role=a.owner_role,
            status=a.task.status.value if a.task else a.status.value, due_at=a.task.due_at if a.task else None,
            goal_id=goals[a.goal_id].public_id if a.goal_id in goals else None) for a in plan.activities],
        priorities=[e for e in entries if e.kind == "priority"], barriers=[e for e in entries if e.kind == "barrier"],
        decisions=[DecisionOut(id=d.public_id, topic=d.topic, options=d.options, choice=d.choice,
                               decided_on=d.decided_on, present=d.present) for d in plan.decisions],
        updated_at=plan.updated_at)


def measure_choices() -> list[tuple[str, str]]:
    """The measures goal achievement knows, for a goal's target: (LOINC, 'Hemoglobin A1c (4548-4)')."""
    return [(code, f"{names[0]} ({code})") for code, names in MEASURES.items()]


def people_choices(members: Sequence[ActiveMember]) -> list[tuple[str, str]]:
    """Staff with an account on the care team, once each: who may own the plan or do an intervention."""
    people = {str(m.user.public_id): f"{m.user.display_name} ({label_of(m.role)})" for m in members if m.user}
    return list(people.items())


def assignee_choices(members: Sequence[ActiveMember]) -> tuple[tuple[str, list[tuple[str, str]]], ...]:
    """An intervention goes to a care-team role (whoever holds it) or to a person: grouped form values."""
    roles = [(f"role:{r.value}", f"Anyone who is {label_of(r)}") for r in CareTeamRole if r is not CareTeamRole.other]
    people = [(f"user:{value}", text) for value, text in people_choices(members)]
    return (("Roles", roles), ("People", people)) if people else (("Roles", roles),)


def snapshot(out: PlanOut) -> dict[str, Any]:
    """What a revision keeps: the whole plan as shown, without the fields that change on every save."""
    return out.model_dump(mode="json", exclude={"version", "updated_at", "review_due"})


# ---- targets in words -----------------------------------------------------------------------------------------

def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def target_text(t: TargetOut) -> str:
    """'HbA1c < 8 %' for the team."""
    name = MEASURES.get(t.code or "", (t.display or t.code or "measure", ""))[0]
    unit = f" {t.unit}" if t.unit and t.unit not in ("mm[Hg]", "{score}") else (" mmHg" if t.unit == "mm[Hg]" else "")
    if t.comparator in ("<", "<="):
        return f"{name} {t.comparator} {_num(t.high)}{unit}"
    if t.comparator in (">", ">="):
        return f"{name} {t.comparator} {_num(t.low)}{unit}"
    if t.low is not None or t.high is not None:
        return f"{name} {_num(t.low)} to {_num(t.high)}{unit}"
    return f"{name}: {t.text}" if t.text else f"{name} (target to be set)"


def plain_goal(goal: GoalOut) -> str:
    """'Keep your blood pressure below 140/90' for the patient and family: no codes."""
    by_code = {t.code: t for t in goal.targets}
    if all(c in by_code and by_code[c].comparator in ("<", "<=") for c in BP):
        return f"Keep your blood pressure below {_num(by_code[BP[0]].high)}/{_num(by_code[BP[1]].high)}"
    parts = [_plain_target(t) for t in goal.targets if t.comparator or t.low is not None or t.high is not None]
    return "; ".join(parts) if parts else goal.description


def _plain_target(t: TargetOut) -> str:
    what = MEASURES.get(t.code or "", ("", "this measure"))[1]
    unit = UNITS.get(t.unit or "", f" {t.unit}" if t.unit else "")
    if t.comparator in ("<", "<="):
        return f"Keep {what} below {_num(t.high)}{unit}" if t.comparator == "<" else \
            f"Keep {what} at or below {_num(t.high)}{unit}"
    if t.comparator in (">", ">="):
        return f"Keep {what} above {_num(t.low)}{unit}"
    return f"Keep {what} between {_num(t.low)} and {_num(t.high)}{unit}"


@dataclass
class PlainPlan:
    name: str
    what_matters: str | None
    goals: list[tuple[str, str]]  # (the goal in words, how it is going)
    team_does: list[str]
    barriers: list[str]
    decisions: list[str]
    next_review: date | None
    concerns: list[str] = field(default_factory=list)
    priorities: list[str] = field(default_factory=list)


def plain_plan(out: PlanOut) -> PlainPlan:
    active = [g for g in out.goals if g.lifecycle_status not in ("cancelled", "entered-in-error", "rejected")]
    return PlainPlan(
        name=out.patient.name, what_matters=out.what_matters,
        goals=[(plain_goal(g), LAY_ACHIEVEMENT.get(g.achievement_status or "in-progress", "Working on it."))
               for g in active],
        team_does=[i.title or "" for i in out.interventions if i.purpose == "intervention"
                   and i.status not in ("cancelled", "entered-in-error")],
        barriers=[b.text for b in out.barriers if b.status == "active"],
        priorities=[p.text for p in out.priorities if p.status == "active"],
        decisions=[f"{d.topic}: you chose {d.choice} ({d.decided_on.isoformat()})" for d in out.decisions],
        next_review=out.next_review_date, concerns=[c.display for c in out.addresses])


# ---- differences between two versions -------------------------------------------------------------------------

TOP = (("title", "Title"), ("status", "Status"), ("what_matters", "What matters to the patient"),
       ("next_review_date", "Next review"), ("review_interval_days", "Review every (days)"))
GOAL_FIELDS = (("description", "description"), ("lifecycle_status", "status"), ("achievement_status", "achievement"),
               ("priority", "priority"), ("start_date", "start"), ("target_date", "target date"))


def _flat(snap: dict[str, Any]) -> tuple[dict[tuple[str, str], str | None], dict[str, str]]:
    """(item, field) -> value as text, and item -> its name."""
    values: dict[tuple[str, str], str | None] = {}
    names: dict[str, str] = {"plan": "Plan"}
    for key, label in TOP:
        values[("plan", label)] = _text(snap.get(key))
    values[("plan", "Owner")] = (snap.get("owner") or {}).get("name")
    for c in snap.get("addresses", []):
        names[f"c:{c['id']}"] = f"Concern “{c['display']}”"
        values[(f"c:{c['id']}", "addressed")] = "yes"
    for g in snap.get("goals", []):
        item = f"g:{g['id']}"
        names[item] = f"Goal “{g['description']}”"
        for key, label in GOAL_FIELDS:
            values[(item, label)] = _text(g.get(key))
        values[(item, "concern")] = (g.get("concern") or {}).get("display")
        values[(item, "target")] = "; ".join(target_text(TargetOut.model_validate(t)) for t in g["targets"]) or None
    for i in snap.get("interventions", []):
        item = f"i:{i['task_id']}"
        names[item] = f"Intervention “{i['title']}”"
        values[(item, "status")] = i["status"]
        values[(item, "role")] = i["role"]
    for kind in ("priorities", "barriers"):
        for e in snap.get(kind, []):
            item = f"e:{e['id']}"
            names[item] = "What matters" if kind == "priorities" else "Barrier"
            values[(item, "text")] = e["text"]
            values[(item, "status")] = e["status"]
    for d in snap.get("decisions", []):
        item = f"d:{d['id']}"
        names[item] = f"Decision “{d['topic']}”"
        values[(item, "options")] = ", ".join(d["options"])
        values[(item, "choice")] = d["choice"]
        values[(item, "date")] = d["decided_on"]
        values[(item, "present")] = ", ".join(d["present"])
    return values, names


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def diff(older: dict[str, Any], newer: dict[str, Any]) -> list[Change]:
    """Field by field, in the newer version's order; an item added or removed shows every field it has."""
    before, old_names = _flat(older)
    after, new_names = _flat(newer)
    names = {**old_names, **new_names}
    keys = list(after) + [k for k in before if k not in after]
    return [Change(field=f"{names[item]}: {label}", before=before.get((item, label)), after=after.get((item, label)))
            for item, label in keys if before.get((item, label)) != after.get((item, label))]
