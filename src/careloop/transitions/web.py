"""The transition episode page: the TCM clock, the discharge checklist, contacts, the visit and complexity, the
episode's tasks and readmissions (same services as the API). Forms post and come back to the page."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError

from careloop.clock import utcnow
from careloop.medrec import repository as medrec_repo
from careloop.transitions import service, views
from careloop.transitions.clock import local_date
from careloop.transitions.schemas import (
    ChecklistCode,
    ChecklistIn,
    ComplexityIn,
    ContactIn,
    ContactMethod,
    ContactOutcome,
    ContactWith,
    VisitIn,
)
from careloop.transitions.tcm import Complexity
from careloop.web import forms
from careloop.web.context import FormDep, Web, WebDep, public_id, redirect
from careloop.web.formatting import label, parse_local

router = APIRouter(include_in_schema=False)

OUTCOMES = tuple((o.value, label(o.value)) for o in ContactOutcome)
METHODS = tuple((m.value, label(m.value)) for m in ContactMethod)
WITH = tuple((w.value, label(w.value)) for w in ContactWith)
COMPLEXITIES = ((Complexity.high.value, "High (CPT 99496: visit within 7 days)"),
                (Complexity.moderate.value, "Moderate (CPT 99495: visit within 14 days)"))
SAVED = {"contact": "Contact recorded.", "checklist": "Checklist updated.", "complexity": "Complexity changed.",
         "visit": "Visit recorded."}


@router.get("/episodes/{episode_id}")
def episode_page(episode_id: str, web: WebDep, saved: str = "") -> HTMLResponse:
    return _page(web, public_id(episode_id), notice=SAVED.get(saved))


def _page(web: Web, episode_id: UUID, *, notice: str | None = None, error: str | None = None,
          state: forms.FormState | None = None, status_code: int = 200) -> HTMLResponse:
    detail = service.get_episode(web.session, web.actor, episode_id)
    episode = detail.episode
    out = views.episode_out(detail, local_date(utcnow()))
    rec = medrec_repo.for_episode(web.session, episode.id)
    context: dict[str, Any] = {
        "title": f"Transition: {episode.patient.display_name}", "episode": out, "patient": episode.patient,
        "history": detail.history, "notice": notice, "error": error, "reconciliation": rec,
        "contact_form": state or forms.FormState(values={"method": "phone", "with_whom": "patient"}),
        "outcomes": OUTCOMES, "methods": METHODS, "with_choices": WITH, "complexities": COMPLEXITIES,
        "editable": episode.status.value == "active",
    }
    return web.page("transitions/episode.html", context, section="patients", status_code=status_code)


def _parse(model: type[BaseModel], data: dict[str, Any]) -> tuple[Any, str | None]:
    try:
        return model.model_validate(data), None
    except ValidationError as exc:
        return None, "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in forms.validation_errors(exc).items())


def _when(text: str) -> str | None:
    return parse_local(text).isoformat() if text else None


def _done(web: Web, episode_id: UUID, saved: str, run: Any, state: forms.FormState | None = None) -> Response:
    result = forms.attempt(web.session, run)
    if result.error:
        return _page(web, episode_id, error=result.error, state=state, status_code=result.status_code)
    return redirect(f"/episodes/{episode_id}?saved={saved}")


@router.post("/episodes/{episode_id}/contacts", response_model=None)
def record_contact(episode_id: str, web: WebDep, form: FormDep) -> Response:
    eid = public_id(episode_id)
    state = forms.read(form, ("at", "method", "with_whom", "outcome", "note"))
    try:
        at = _when(state.value("at"))
    except ValueError:
        return _page(web, eid, error="Enter when it happened like 2026-11-23 10:30.", state=state, status_code=422)
    body, problem = _parse(ContactIn, {"at": at, "method": state.value("method"), "with_whom": state.value("with_whom"),
                                       "outcome": state.value("outcome"), "note": forms.optional(state, "note")})
    if problem:
        return _page(web, eid, error=problem, state=state, status_code=422)
    return _done(web, eid, "contact", lambda: service.record_contact(web.session, web.actor, eid, body), state)


@router.post("/episodes/{episode_id}/checklist/{code}", response_model=None)
def tick(episode_id: str, code: str, web: WebDep, form: FormDep) -> Response:
    eid = public_id(episode_id)
    state = forms.read(form, ("done", "note"))
    try:
        item = ChecklistCode(code)
    except ValueError:
        return _page(web, eid, error=f"There is no checklist item {code!r}.", status_code=404)
    body, problem = _parse(ChecklistIn, {"done": state.value("done") == "1", "note": forms.optional(state, "note")})
    if problem:
        return _page(web, eid, error=problem, status_code=422)
    return _done(web, eid, "checklist", lambda: service.set_checklist(web.session, web.actor, eid, item, body))


@router.post("/episodes/{episode_id}/complexity", response_model=None)
def set_complexity(episode_id: str, web: WebDep, form: FormDep) -> Response:
    eid = public_id(episode_id)
    state = forms.read(form, ("complexity", "reason"))
    body, problem = _parse(ComplexityIn, {"complexity": state.value("complexity"), "reason": state.value("reason")})
    if problem:
        return _page(web, eid, error=problem, status_code=422)
    return _done(web, eid, "complexity", lambda: service.set_complexity(web.session, web.actor, eid, body))


@router.post("/episodes/{episode_id}/visit", response_model=None)
def record_visit(episode_id: str, web: WebDep, form: FormDep) -> Response:
    eid = public_id(episode_id)
    state = forms.read(form, ("at",))
    try:
        body, problem = _parse(VisitIn, {"at": _when(state.value("at"))})
    except ValueError:
        body, problem = None, "Enter the visit's date and time like 2026-11-27 09:00."
    if problem:
        return _page(web, eid, error=problem, status_code=422)
    return _done(web, eid, "visit", lambda: service.record_visit(web.session, web.actor, eid, body))


@router.post("/episodes/{episode_id}/medication-reconciliation", response_model=None)
def start_reconciliation(episode_id: str, web: WebDep, form: FormDep) -> Response:
    from careloop.medrec import service as medrec

    eid = public_id(episode_id)
    result = forms.attempt(web.session, lambda: medrec.start_for_episode(web.session, web.actor, eid))
    if result.value is None:
        return _page(web, eid, error=result.error, status_code=result.status_code)
    return redirect(f"/medication-reconciliations/{result.value.public_id}")
