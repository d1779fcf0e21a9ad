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
from careloop.careplans.schemas import AddressIn, EntryIn, GoalUpdate, ReadingIn, ReviewIn
from careloop.models import CarePlan, GoalLifecycleStatus
from careloop.web import forms
from careloop.web.context import FormDep, Web, WebDep, public_id, redirect

router = APIRouter(include_in_schema=False)
SAVED = {"goal": "Goal saved.", "reading": "Reading recorded.", "concern": "Concern added.", "entry": "Added.",
         "review": "Review recorded.", "template": "Template applied."}
GOAL_STATUSES = tuple((s.value, s.value.replace("-", " ").capitalize()) for s in GoalLifecycleStatus)


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
          status_code: int = 200) -> HTMLResponse:
    plan = service.get_plan(web.session, web.actor, plan_id)
    out = views.plan_out(plan, service.today())
    context: dict[str, Any] = {
        "title": f"Care plan: {out.patient.name}", "plan": out, "patient_id": plan.patient.public_id,
        "concerns": service.concerns(web.session, web.actor, plan), "notice": notice, "error": error,
        "goal_statuses": GOAL_STATUSES, "templates": _templates(), "target_text": views.target_text,
        "plain_goal": views.plain_goal, "editable": plan.kind is not None,
    }
    return web.page("careplans/plan.html", context, section="patients", status_code=status_code)


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
