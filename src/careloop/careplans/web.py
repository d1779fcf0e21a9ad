"""Care-plan pages (same services as the API): the patient's plans and templates, the plan with its forms,
its history with the difference between two versions, and the plain-language page and PDF for the patient.
Forms post with the plan version they were read at and come back to the page (a stale one says so)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError

from careloop.careplans import export_pdf, service, templates, views
from careloop.careplans.schemas import (
    AddressIn,
    DecisionIn,
    EntryIn,
    GoalIn,
    GoalUpdate,
    InterventionIn,
    InterventionKind,
    PlanUpdate,
    ReadingIn,
    ReviewIn,
    Versioned,
)
from careloop.careteams import service as careteams
from careloop.clock import utcnow
from careloop.models import CarePlan, GoalLifecycleStatus, TaskPriority
from careloop.tasks.schemas import TaskType
from careloop.transitions.clock import local_date
from careloop.web import forms
from careloop.web.context import FormDep, Web, WebDep, public_id, redirect
from careloop.web.formatting import label

router = APIRouter(include_in_schema=False)
SAVED = {"goal": "Goal saved.", "reading": "Reading recorded.", "concern": "Concern added.", "entry": "Added.",
         "review": "Review recorded.", "template": "Template applied.", "new-goal": "Goal added.",
         "details": "Plan details saved.", "intervention": "Intervention added.", "resolved": "Marked resolved.",
         "decision": "Shared decision recorded."}
GOAL_STATUSES = tuple((s.value, s.value.replace("-", " ").capitalize()) for s in GoalLifecycleStatus)
GOAL_PRIORITIES = (("high-priority", "High"), ("medium-priority", "Medium"), ("low-priority", "Low"))
COMPARATORS = (("<", "below (<)"), ("<=", "at or below (≤)"), (">", "above (>)"), (">=", "at or above (≥)"))
INTERVENTION_KINDS = (("task", "Task"), ("education", "Education"), ("referral", "Referral (placeholder)"))
TASK_TYPES = tuple((t.value, label(t)) for t in TaskType if t not in (TaskType.care_plan_review, TaskType.safety))
TASK_PRIORITIES = tuple((p.value, label(p)) for p in TaskPriority)
# The fields of each form on the plan page, as posted (values kept when the form comes back with a message).
FORM_FIELDS = {
    "goal": ("description", "concern_id", "measure", "comparator", "target_value", "start_date", "target_date",
             "priority"),
    "details": ("what_matters", "owner"),
    "intervention": ("kind", "title", "task_type", "owner", "due_date", "priority", "goal_id"),
    "decision": ("topic", "options", "choice", "decided_on", "present"),
}


def _templates() -> list[tuple[str, str]]:
    return [(t.id, f"{t.title} (v{t.version})") for t in templates.installed().values()]


@router.get("/patients/{patient_id}/care-plans")
def patient_plans(patient_id: str, web: WebDep) -> HTMLResponse:
    patient, plans = service.patient_plans(web.session, web.actor, public_id(patient_id))
    return web.page("careplans/list.html", {"title": f"Care plans: {patient.display_name}", "patient": patient,
                                            "plans": [views.summary_out(p) for p in plans],
                                            "templates": _templates()}, section="patients")


@router.post("/patients/{patient_id}/care-plans/apply-template", response_model=None)
def apply_template(patient_id: str, web: WebDep, form: FormDep) -> Response:
    chosen = form.get("template_id")
    result = forms.attempt(web.session, lambda: service.apply_template_to_patient(
        web.session, web.actor, public_id(patient_id), chosen if isinstance(chosen, str) else ""))
    if result.value is None:
        patient, plans = service.patient_plans(web.session, web.actor, public_id(patient_id))
        return web.page("careplans/list.html", {
            "title": "Care plans", "patient": patient, "plans": [views.summary_out(p) for p in plans],
            "templates": _templates(), "error": result.error}, section="patients", status_code=result.status_code)
    return redirect(f"/care-plans/{result.value.public_id}?saved=template")


@router.get("/care-plans/{plan_id}")
def plan_page(plan_id: str, web: WebDep, saved: str = "") -> HTMLResponse:
    return _page(web, public_id(plan_id), notice=SAVED.get(saved))


def _page(web: Web, plan_id: UUID, *, notice: str | None = None, error: str | None = None,
          status_code: int = 200, states: dict[str, forms.FormState] | None = None) -> HTMLResponse:
    plan = service.get_plan(web.session, web.actor, plan_id)
    out = views.plan_out(plan, service.today())
    members = careteams.list_members(web.session, web.actor, plan.patient.public_id)
    unaddressed = service.concerns(web.session, web.actor, plan)
    context: dict[str, Any] = {
        "title": f"Care plan: {out.patient.name}", "plan": out, "patient_id": plan.patient.public_id,
        "concerns": unaddressed, "notice": notice, "error": error,
        "goal_statuses": GOAL_STATUSES, "templates": _templates(), "target_text": views.target_text,
        "plain_goal": views.plain_goal, "editable": plan.kind is not None,
        "f": {**_blank_forms(out), **(states or {})}, "measures": views.measure_choices(),
        "comparators": COMPARATORS, "goal_priorities": GOAL_PRIORITIES, "kinds": INTERVENTION_KINDS,
        "task_types": TASK_TYPES, "task_priorities": TASK_PRIORITIES, "people": views.people_choices(members),
        "assignees": views.assignee_choices(members),
        "addressable": [(str(c.id), c.display) for c in out.addresses] + [
            (str(c.public_id), c.display) for c in unaddressed],
        "plan_goals": [(str(g.id), g.description) for g in out.goals],
    }
    return web.page("careplans/plan.html", context, section="patients", status_code=status_code)


def _blank_forms(out: Any) -> dict[str, forms.FormState]:
    """What each form shows before anyone types: today's dates, the usual priorities, the plan's details."""
    today = local_date(utcnow()).isoformat()
    return {
        "goal": forms.FormState(values={"priority": "medium-priority", "comparator": "<", "start_date": today}),
        "details": forms.FormState(values={"what_matters": out.what_matters or "",
                                           "owner": str(out.owner.id) if out.owner else ""}),
        "intervention": forms.FormState(values={"kind": "task", "task_type": "other", "priority": "routine"}),
        "decision": forms.FormState(values={"decided_on": today}),
    }


def _parse(model: type[BaseModel], data: dict[str, Any]) -> tuple[Any, str | None]:
    try:
        return model.model_validate(data), None
    except ValidationError as exc:
        return None, "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in forms.validation_errors(exc).items())


def _change(web: Web, plan_id: str, saved: str, model: type[BaseModel], data: dict[str, Any],
            run: Callable[[UUID, Any], CarePlan]) -> Response:
    pid = public_id(plan_id)
    body, problem = _parse(model, data)
    if problem:
        service.get_plan(web.session, web.actor, pid)  # the access check comes before any message about input
        return _page(web, pid, error=problem, status_code=422)
    result = forms.attempt(web.session, lambda: run(pid, body))
    if result.error:
        return _page(web, pid, error=result.error, status_code=result.status_code)
    return redirect(f"/care-plans/{pid}?saved={saved}")


def _form_change(web: Web, plan_id: str, name: str, saved: str, state: forms.FormState, model: type[BaseModel],
                 data: dict[str, Any], run: Callable[[UUID, Any], CarePlan],
                 fields: dict[str, str] | None = None) -> Response:
    """A plan form with a message per field: bad input or a refusal (a stale version) comes back on the form
    with what was typed, and nothing is changed (the use case runs in a savepoint)."""
    pid = public_id(plan_id)
    body = None
    try:
        body = model.model_validate({k: v for k, v in data.items() if v != "" and v != []})
    except ValidationError as exc:
        for key, message in forms.validation_errors(exc, fields).items():
            state.errors.setdefault(key, message)
    if state.errors or body is None:
        return _page(web, pid, states={name: state}, status_code=422)  # _page checks access first
    result = forms.attempt(web.session, lambda: run(pid, body))
    if result.error:
        state.message = result.error
        return _page(web, pid, states={name: state}, status_code=result.status_code)
    return redirect(f"/care-plans/{pid}?saved={saved}#{name}-form")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@router.post("/care-plans/{plan_id}/goals/{goal_id}", response_model=None)
def edit_goal(plan_id: str, goal_id: str, web: WebDep, form: FormDep) -> Response:
    gid = public_id(goal_id)
    data = {"version": _text(form, "version"), "description": _text(form, "description"),
            "lifecycle_status": _text(form, "lifecycle_status"), "target_date": _text(form, "target_date") or None}
    return _change(web, plan_id, "goal", GoalUpdate, data,
                   lambda pid, body: service.update_goal(web.session, web.actor, pid, gid, body))


@router.post("/care-plans/{plan_id}/goals/{goal_id}/readings", response_model=None)
def record_reading(plan_id: str, goal_id: str, web: WebDep, form: FormDep) -> Response:
    gid = public_id(goal_id)
    values = [{"code": code, "value": _text(form, f"value-{code}")} for code in form.getlist("code")
              if isinstance(code, str) and _text(form, f"value-{code}")]
    return _change(web, plan_id, "reading", ReadingIn, {"values": values},
                   lambda pid, body: service.record_reading(web.session, web.actor, pid, gid, body))


@router.post("/care-plans/{plan_id}/addresses", response_model=None)
def add_concern(plan_id: str, web: WebDep, form: FormDep) -> Response:
    data = {"version": _text(form, "version"), "condition_id": _text(form, "condition_id")}
    return _change(web, plan_id, "concern", AddressIn, data,
                   lambda pid, body: service.address(web.session, web.actor, pid, body))


@router.post("/care-plans/{plan_id}/entries", response_model=None)
def add_entry(plan_id: str, web: WebDep, form: FormDep) -> Response:
    data = {"version": _text(form, "version"), "kind": _text(form, "kind"), "text": _text(form, "text")}
    return _change(web, plan_id, "entry", EntryIn, data,
                   lambda pid, body: service.add_entry(web.session, web.actor, pid, body))


@router.post("/care-plans/{plan_id}/goals", response_model=None)
def add_goal(plan_id: str, web: WebDep, form: FormDep) -> Response:
    state = forms.read(form, ("version", *FORM_FIELDS["goal"]))
    measure, value = state.value("measure"), state.value("target_value")
    if value and not measure:
        state.errors["measure"] = "Choose the measure this target is for."
    targets = [{"code": measure, "comparator": state.value("comparator") or None, "value": value or None,
                "unit": views.MEASURE_UNITS.get(measure)}] if measure else []
    data = {"version": state.value("version"), "description": state.value("description"),
            "concern_id": state.value("concern_id"), "priority": state.value("priority"),
            "start_date": state.value("start_date"), "target_date": state.value("target_date"), "targets": targets}
    return _form_change(web, plan_id, "goal", "new-goal", state, GoalIn, data,
                        lambda pid, body: service.add_goal(web.session, web.actor, pid, body),
                        {"targets": "target_value"})


@router.post("/care-plans/{plan_id}/details", response_model=None)
def edit_details(plan_id: str, web: WebDep, form: FormDep) -> Response:
    state = forms.read(form, ("version", *FORM_FIELDS["details"]))
    # Both are always sent: an empty box clears "what matters", no owner chosen leaves the plan without one.
    data = {"version": state.value("version"), "what_matters": state.value("what_matters") or None,
            "owner_user_id": state.value("owner") or None}
    return _form_change(web, plan_id, "details", "details", state, PlanUpdate, data,
                        lambda pid, body: service.update_plan(web.session, web.actor, pid, body),
                        {"owner_user_id": "owner"})


@router.post("/care-plans/{plan_id}/interventions", response_model=None)
def add_intervention(plan_id: str, web: WebDep, form: FormDep) -> Response:
    state = forms.read(form, ("version", *FORM_FIELDS["intervention"]))
    kind, (who, _, ident) = state.value("kind"), state.value("owner").partition(":")
    if who not in ("role", "user") or not ident:
        state.errors["owner"] = "Choose who will do it."
    data = {"version": state.value("version"), "kind": kind, "title": state.value("title"),
            # Education and referrals are tasks of their own type; a task takes the type chosen.
            "task_type": kind if kind in (InterventionKind.education, InterventionKind.referral)
            else state.value("task_type"),
            "role": ident if who == "role" else None, "owner_user_id": ident if who == "user" else None,
            "due_date": state.value("due_date"), "priority": state.value("priority"),
            "goal_id": state.value("goal_id")}
    return _form_change(web, plan_id, "intervention", "intervention", state, InterventionIn, data,
                        lambda pid, body: service.add_intervention(web.session, web.actor, pid, body),
                        {"role": "owner", "owner_user_id": "owner"})


@router.post("/care-plans/{plan_id}/entries/{entry_id}/resolve", response_model=None)
def resolve_entry(plan_id: str, entry_id: str, web: WebDep, form: FormDep) -> Response:
    eid = public_id(entry_id)
    return _change(web, plan_id, "resolved", Versioned, {"version": _text(form, "version")},
                   lambda pid, body: service.resolve_entry(web.session, web.actor, pid, eid, body))


@router.post("/care-plans/{plan_id}/decisions", response_model=None)
def add_decision(plan_id: str, web: WebDep, form: FormDep) -> Response:
    state = forms.read(form, ("version", *FORM_FIELDS["decision"]))
    data = {"version": state.value("version"), "topic": state.value("topic"),
            "options": _lines(state.value("options")), "choice": state.value("choice"),
            "decided_on": state.value("decided_on"), "present": _lines(state.value("present"))}
    return _form_change(web, plan_id, "decision", "decision", state, DecisionIn, data,
                        lambda pid, body: service.add_decision(web.session, web.actor, pid, body))


@router.post("/care-plans/{plan_id}/review", response_model=None)
def review(plan_id: str, web: WebDep, form: FormDep) -> Response:
    data = {"version": _text(form, "version"), "note": _text(form, "note") or None}
    return _change(web, plan_id, "review", ReviewIn, data,
                   lambda pid, body: service.complete_review(web.session, web.actor, pid, body))


@router.get("/care-plans/{plan_id}/history")
def history(plan_id: str, request: Request, web: WebDep) -> HTMLResponse:
    pid = public_id(plan_id)
    plan, revisions = service.history(web.session, web.actor, pid)
    params = request.query_params
    older, newer = params.get("from", ""), params.get("to", "")
    changes, error = None, None
    if older.isdigit() and newer.isdigit():
        result = forms.attempt(web.session, lambda: service.compare(web.session, web.actor, pid, int(older),
                                                                      int(newer)))
        changes, error = result.value, result.error
    return web.page("careplans/history.html", {
        "title": f"Care plan history: {plan.patient.display_name}", "plan": views.summary_out(plan),
        "patient": plan.patient, "revisions": revisions, "changes": changes, "error": error,
        "older": older, "newer": newer}, section="patients")


@router.get("/care-plans/{plan_id}/plain")
def plain(plan_id: str, web: WebDep) -> HTMLResponse:
    pid = public_id(plan_id)
    out = service.plan_view(web.session, web.actor, pid)
    return web.page("careplans/plain.html", {"title": f"My care plan: {out.patient.name}", "plan_id": pid,
                                             "plain": views.plain_plan(out)}, section="patients")


@router.get("/care-plans/{plan_id}/plain.pdf")
def plain_pdf(plan_id: str, web: WebDep) -> Response:
    content = export_pdf.plan_pdf(web.session, web.actor, public_id(plan_id))
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": 'inline; filename="my-care-plan.pdf"', "Cache-Control": "no-store"})
