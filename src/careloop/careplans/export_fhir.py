"""The plan as a FHIR R4 collection Bundle: CarePlan, its Goals, the CareTeam, the Conditions it addresses and
the QuestionnaireResponses behind them. Pure builders over a loaded plan; tests validate the output with
fhir.resources' R4B models (validation stays off the request path).

The QuestionnaireResponses are those whose accepted findings raised the concerns the plan addresses (the
Gravity chain: screening response -> finding -> health concern -> goal), rendered by the assessments package.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson
from sqlalchemy.orm import Session

from careloop.access import Actor
from careloop.assessments import fhir as assessments_fhir
from careloop.assessments import repository as assessments_repo
from careloop.assessments.library import get_instrument
from careloop.careplans import service
from careloop.careteams import repository as careteam_repo
from careloop.models import CarePlan, CarePlanActivity, CareTeamMember, Condition, Goal, GoalTarget
from careloop.terminology.systems import SYSTEMS

ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
US_CORE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/condition-category"  # health-concern
CARELOOP_ROLE = "urn:careloop:care-team-role"
UCUM = "http://unitsofmeasure.org"
ACTIVITY_STATUS = {"draft": "not-started", "requested": "not-started", "received": "not-started",
                   "accepted": "scheduled", "ready": "scheduled", "in-progress": "in-progress", "on-hold": "on-hold",
                   "completed": "completed", "cancelled": "cancelled", "rejected": "cancelled", "failed": "stopped",
                   "entered-in-error": "entered-in-error"}


def plan_bundle(session: Session, actor: Actor, plan_id: UUID) -> dict[str, Any]:
    plan = service.get_plan(session, actor, plan_id)
    members = careteam_repo.active_members(session, plan.patient_id)
    return bundle(plan, members, evidence_responses(session, plan))


def evidence_responses(session: Session, plan: CarePlan) -> list[dict[str, Any]]:
    """The assessments behind the plan's health concerns, as QuestionnaireResponses (oldest first)."""
    findings = assessments_repo.evidence_for_conditions(session, [c.id for c in plan.addresses])
    responses = assessments_repo.by_ids(session, {f.response_id for f in findings})
    return [assessments_fhir.questionnaire_response(r, get_instrument(r.instrument))
            for _, r in sorted(responses.items())]


def bundle(plan: CarePlan, members: list[CareTeamMember] | Any, responses: list[dict[str, Any]]) -> dict[str, Any]:
    patient = f"Patient/{plan.patient.public_id}"
    goals = [link.goal for link in plan.goal_links]
    conditions = {c.id: c for c in plan.addresses}
    conditions.update({g.concern.id: g.concern for g in goals if g.concern is not None})
    resources = [care_plan(plan, patient, goals, list(conditions.values())), care_team(plan, patient, members),
                 *(goal(g, patient) for g in goals), *(condition(c, patient) for c in conditions.values()),
                 *responses]
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources]}


def care_plan(plan: CarePlan, patient: str, goals: list[Goal], conditions: list[Condition]) -> dict[str, Any]:
    by_id = {g.id: g for g in goals}
    resource: dict[str, Any] = {
        "resourceType": "CarePlan", "id": str(plan.public_id), "status": plan.status.value,
        "intent": plan.intent.value, "title": plan.title or "Care plan", "subject": {"reference": patient},
        "careTeam": [{"reference": f"CareTeam/{team_id(plan)}"}],
        "addresses": [{"reference": f"Condition/{c.public_id}", "display": c.display} for c in conditions],
        "goal": [{"reference": f"Goal/{g.public_id}"} for g in goals],
        "activity": [activity(a, by_id) for a in plan.activities],
    }
    if plan.what_matters:
        resource["description"] = f"What matters to the patient: {plan.what_matters}"
    if plan.created_at:
        resource["created"] = plan.created_at.isoformat()
    if plan.period_start:
        resource["period"] = {"start": plan.period_start.isoformat()}
    notes = [f"Barrier: {e.text}" for e in plan.entries if e.kind == "barrier"] + \
        [f"Priority: {e.text}" for e in plan.entries if e.kind == "priority"] + \
        [f"Shared decision {d.decided_on.isoformat()} ({', '.join(d.present)}): {d.topic}; options "
         f"{', '.join(d.options)}; chosen {d.choice}" for d in plan.decisions]
    if notes:
        resource["note"] = [{"text": n} for n in notes]
    return _drop_empty(resource)


def activity(a: CarePlanActivity, goals: dict[int, Goal]) -> dict[str, Any]:
    status = ACTIVITY_STATUS.get(a.task.status.value, "unknown") if a.task else a.status.value
    detail: dict[str, Any] = {"kind": a.kind or "Task", "status": status,
                              "description": (a.task.title if a.task else a.display) or "activity"}
    if a.goal_id in goals:
        detail["goal"] = [{"reference": f"Goal/{goals[a.goal_id].public_id}"}]
    if a.task and a.task.due_at:
        detail["scheduledString"] = f"due {a.task.due_at.date().isoformat()}"
    return {"detail": detail}


def goal(g: Goal, patient: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Goal", "id": str(g.public_id), "lifecycleStatus": g.lifecycle_status.value,
        "description": {"text": g.description}, "subject": {"reference": patient},
        "target": [target(t, g) for t in g.targets],
    }
    if g.achievement_status:
        resource["achievementStatus"] = {"coding": [{"system": ACHIEVEMENT, "code": g.achievement_status}],
                                         "text": g.achievement_reason or g.achievement_status}
    if g.priority:
        resource["priority"] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/goal-priority",
                                            "code": g.priority}]}
    if g.start_date:
        resource["startDate"] = g.start_date.isoformat()
    if g.concern is not None:
        resource["addresses"] = [{"reference": f"Condition/{g.concern.public_id}"}]
    return _drop_empty(resource)


def target(t: GoalTarget, g: Goal) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if t.measure_code:
        out["measure"] = {"coding": [{"system": "http://loinc.org", "code": t.measure_code,
                                      **({"display": t.measure_display} if t.measure_display else {})}]}
    unit = {"unit": t.detail_unit, "system": UCUM, "code": t.detail_unit} if t.detail_unit else {}
    if t.detail_comparator in ("<", "<="):
        out["detailQuantity"] = {"value": t.detail_high, "comparator": t.detail_comparator, **unit}
    elif t.detail_comparator in (">", ">="):
        out["detailQuantity"] = {"value": t.detail_low, "comparator": t.detail_comparator, **unit}
    elif t.detail_low is not None or t.detail_high is not None:
        out["detailRange"] = {k: {"value": v, **unit} for k, v in (("low", t.detail_low), ("high", t.detail_high))
                              if v is not None}
    elif t.detail_text:
        out["detailString"] = t.detail_text
    due = t.due_date or g.target_date
    if due:
        out["dueDate"] = due.isoformat()
    return out


def care_team(plan: CarePlan, patient: str, members: Any) -> dict[str, Any]:
    participants = []
    for m in members:
        name = m.user.display_name if m.user else m.team.name if m.team else m.member_name
        participants.append({"role": [{"coding": [{"system": CARELOOP_ROLE, "code": m.role.value}]}],
                             "member": {"display": name or "unknown"}})
    return _drop_empty({"resourceType": "CareTeam", "id": team_id(plan), "status": "active",
                        "subject": {"reference": patient}, "participant": participants})


def team_id(plan: CarePlan) -> str:
    """The patient's care team as this plan's CareTeam: a stable id of its own, derived from the plan's."""
    return str(uuid5(NAMESPACE_URL, f"urn:careloop:care-plan:{plan.public_id}:care-team"))


def condition(c: Condition, patient: str) -> dict[str, Any]:
    system = SYSTEMS.get(c.code_system.lower())
    category_system = US_CORE_CATEGORY if c.category.value == "health-concern" else CONDITION_CATEGORY
    return {
        "resourceType": "Condition", "id": str(c.public_id),
        "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": c.clinical_status.value}]},
        "verificationStatus": {"coding": [{"system": CONDITION_VERIFICATION, "code": c.verification_status}]},
        "category": [{"coding": [{"system": category_system, "code": c.category.value}]}],
        "code": {"coding": [{**({"system": system.uri} if system else {}), "code": c.code, "display": c.display}],
                 "text": c.display},
        "subject": {"reference": patient},
    }


def _drop_empty(resource: dict[str, Any]) -> dict[str, Any]:
    """FHIR forbids empty arrays and objects."""
    return {k: v for k, v in resource.items() if v not in ([], {}, None, "")}


def dumps(resource: dict[str, Any]) -> bytes:
    return orjson.dumps(resource)
