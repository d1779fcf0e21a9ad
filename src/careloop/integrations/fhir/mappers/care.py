"""CarePlan, Goal and CareTeam -> care_plans (with activities and the conditions and goals they address),
goals (with targets) and care_team_members."""

from __future__ import annotations

from typing import Any

from careloop.integrations.fhir.mappers.base import (
    PRIMARY,
    Context,
    Mapped,
    Row,
    enum_value,
    first,
    unmapped,
    values_of,
)
from careloop.integrations.fhir.mappers.clinical import coded
from careloop.integrations.fhir.references import Ref
from careloop.integrations.fhir.values import (
    choice_range,
    clip,
    code_fits,
    codings,
    concept_text,
    instant,
    local_date,
    period,
)
from careloop.models.care_plan import CarePlanActivityStatus, CarePlanIntent, CarePlanStatus
from careloop.models.careteam import CareTeamRole
from careloop.models.goal import GoalLifecycleStatus

_PLAN_STATUS = values_of(CarePlanStatus)
_PLAN_INTENT = values_of(CarePlanIntent)
_ACTIVITY_STATUS = values_of(CarePlanActivityStatus)
_GOAL_STATUS = values_of(GoalLifecycleStatus)


def map_care_plan(resource: dict[str, Any], ctx: Context) -> Mapped:
    patient = ctx.link(resource["subject"], "subject", required=True)
    if patient is None or patient.ref.type != "Patient":
        return unmapped("CarePlan.subject is not a patient reference careloop can follow")
    category = coded(first(resource.get("category")), "snomed")
    start, end = period(resource.get("period"))
    description = resource.get("description")
    rows = [Row("care_plans", {
        "patient_id": patient, "encounter_id": ctx.link(resource.get("encounter"), "encounter"),
        "status": enum_value(resource["status"], _PLAN_STATUS, "unknown"),
        "intent": enum_value(resource["intent"], _PLAN_INTENT, "plan"),
        "category_code": category[1] if category else None,
        "category_display": clip(category[2] if category else concept_text(first(resource.get("category"))), 300),
        "title": clip(resource.get("title"), 300),
        "description": description if type(description) is str else None,
        "period_start": start, "period_end": end, "created_at": instant(resource.get("created")),
    })]
    for position, activity in enumerate(resource.get("activity") or ()):
        if type(activity) is dict:
            rows.append(_activity(position, activity))
    rows.extend(_links(ctx, resource.get("addresses"), "addresses", "care_plan_conditions", "condition_id"))
    rows.extend(_links(ctx, resource.get("goal"), "goal", "care_plan_goals", "goal_id"))
    return Mapped(rows, patient=patient.ref)


def _activity(position: int, activity: dict[str, Any]) -> Row:
    found = activity.get("detail")
    detail: dict[str, Any] = found if type(found) is dict else {}
    code = coded(detail.get("code"), "snomed", "loinc")
    scheduled = choice_range(detail, "scheduled") or (None, None)
    reference = activity.get("reference")
    target = reference.get("reference") if type(reference) is dict else None
    kind = detail.get("kind") if type(detail.get("kind")) is str else (
        target.split("/", 1)[0] if type(target) is str and "/" in target else None)
    description = detail.get("description")
    return Row("care_plan_activities", {
        "care_plan_id": PRIMARY, "position": position, "kind": code_fits(kind, 40),
        "code_system": code[0] if code else None, "code": code[1] if code else None,
        "display": clip(code[2] if code else concept_text(detail.get("code")), 300),
        "status": enum_value(detail.get("status"), _ACTIVITY_STATUS, "unknown"),
        "scheduled_start": scheduled[0], "scheduled_end": scheduled[1],
        "description": clip(description if type(description) is str else None, 500),
    })


def _links(ctx: Context, references: Any, path: str, table: str, column: str) -> list[Row]:
    rows, seen = [], set()
    for reference in references if type(references) is list else ():
        link = ctx.link(reference, path, required=True)
        if link is not None and link.ref not in seen:
            seen.add(link.ref)
            rows.append(Row(table, {"care_plan_id": PRIMARY, column: link}))
    return rows


def map_goal(resource: dict[str, Any], ctx: Context) -> Mapped:
    patient = ctx.link(resource["subject"], "subject", required=True)
    if patient is None or patient.ref.type != "Patient":
        return unmapped("Goal.subject is not a patient reference careloop can follow")
    description = concept_text(resource["description"])
    if not description:
        return unmapped("Goal.description has neither text nor a coding display")
    achievement = codings(resource.get("achievementStatus"))
    priority = codings(resource.get("priority"))
    rows = [Row("goals", {
        "patient_id": patient,
        "lifecycle_status": enum_value(resource["lifecycleStatus"], _GOAL_STATUS, "proposed"),
        "achievement_status": code_fits(_code(achievement), 24),
        "category": clip(concept_text(first(resource.get("category"))), 64),
        "priority": code_fits(_code(priority), 24),
        "description": clip(description, 500),
        "start_date": local_date(resource.get("startDate")), "status_date": local_date(resource.get("statusDate")),
    })]
    for target in resource.get("target") or ():
        if type(target) is dict:
            rows.append(_target(target))
    return Mapped(rows, patient=patient.ref)


def _target(target: dict[str, Any]) -> Row:
    measure = target.get("measure")
    measure_codings = codings(measure)
    low = high = unit = text = None
    quantity = target.get("detailQuantity")
    detail_range = target.get("detailRange")
    if type(quantity) is dict and type(quantity.get("value")) in (int, float):
        low = high = float(quantity["value"])
        unit = quantity.get("code") or quantity.get("unit")
    elif type(detail_range) is dict:
        low, unit = _bound(detail_range.get("low"), unit)
        high, unit = _bound(detail_range.get("high"), unit)
    elif type(target.get("detailString")) is str:
        text = target["detailString"]
    elif "detailCodeableConcept" in target:
        text = concept_text(target["detailCodeableConcept"])
    return Row("goal_targets", {
        "goal_id": PRIMARY, "measure_code": code_fits(_code(measure_codings), 32),
        "measure_display": clip(concept_text(measure), 300), "detail_low": low, "detail_high": high,
        "detail_unit": clip(unit if type(unit) is str else None, 24), "detail_text": clip(text, 300),
        "due_date": local_date(target.get("dueDate")),
    })


def _bound(quantity: Any, unit: Any) -> tuple[float | None, Any]:
    if type(quantity) is dict and type(quantity.get("value")) in (int, float):
        return float(quantity["value"]), quantity.get("code") or quantity.get("unit") or unit
    return None, unit


def _code(found: list[dict[str, Any]]) -> str | None:
    code = found[0].get("code") if found else None
    return code if type(code) is str else None


# Participant roles careloop recognises (SNOMED CT); anyone else is "other", never a guessed role.
_ROLES = {
    "446050000": CareTeamRole.primary_care_physician,  # Primary care physician
    "453231000124104": CareTeamRole.primary_care_physician,  # Primary care provider
    "224535009": CareTeamRole.rn_care_manager,  # Registered nurse
    "106328005": CareTeamRole.social_worker,  # Social worker
    "46255001": CareTeamRole.pharmacist,  # Pharmacist
    "133932002": CareTeamRole.family_caregiver,  # Caregiver
}


def map_care_team(resource: dict[str, Any], ctx: Context) -> Mapped:
    """Each participant who is a person becomes a care-team member known by name (imported people have no
    careloop account, so they never gain access through this); the patient and organizations are left in
    the reference index."""
    patient = ctx.link(resource.get("subject"), "subject", required=True)
    if patient is None or patient.ref.type != "Patient":
        return unmapped("CareTeam.subject is not a patient reference careloop can follow")
    team_start, team_end = period(resource.get("period"))
    ended = resource.get("status") in ("inactive", "entered-in-error")
    rows = []
    for participant in resource.get("participant") or ():
        if type(participant) is not dict:
            continue
        member = participant.get("member")
        ref = ctx.ref(member, "participant.member")
        if ref is None or ref.type in ("Patient", "Organization", "CareTeam", "Group"):
            continue
        start, end = period(participant.get("period"))
        end = end or team_end
        if end is None and ended:
            end = ctx.now  # the team is no longer active and did not say since when: ended by now
        rows.append(Row("care_team_members", {
            "patient_id": patient,
            "member_name": ctx.name_of(member, "participant.member", 200, required=True),
            "role": _role(participant.get("role"), ref),
            "period_start": start or team_start or ctx.now, "period_end": end,
            "end_reason": f"FHIR CareTeam {resource.get('status')}" if ended and end is not None else None,
        }))
    return Mapped(rows, one_to_one=False, patient=patient.ref)


def _role(roles: Any, member: Ref) -> str:
    for concept in roles if type(roles) is list else ():
        for coding in codings(concept):
            role = _ROLES.get(str(coding.get("code")))
            if role is not None:
                return role.value
    if member.type == "RelatedPerson":
        return CareTeamRole.family_caregiver.value
    return CareTeamRole.other.value
