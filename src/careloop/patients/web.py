"""Patient pages: my panel and the patient page, with its contact and new-task forms (same services as the API)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from careloop.assessments import views as assessments_views
from careloop.careteams.repository import ActiveMember
from careloop.clock import utcnow
from careloop.config import get_settings
from careloop.models import CareTeamRole, ContactMethod, TaskPriority
from careloop.patients import service, views
from careloop.patients.schemas import PanelFilter, PatientContactUpdate
from careloop.tasks import service as tasks_service
from careloop.tasks import views as task_views
from careloop.tasks.schemas import TaskCreate, TaskType
from careloop.transitions import views as transitions_views
from careloop.users import repository as users_repo
from careloop.web import forms
from careloop.web.context import FormDep, Web, WebDep, public_id, redirect
from careloop.web.formatting import label, parse_local
from careloop.web.paging import page_number, paging

router = APIRouter(include_in_schema=False)

CONTACT_FIELDS = ("preferred_language", "phone", "email", "contact_method", "contact_notes")
TASK_FIELDS = ("type", "title", "description", "priority", "due", "owner")
CONTACT_METHODS = tuple((m.value, label(m)) for m in ContactMethod)
TASK_TYPES = tuple((t.value, label(t)) for t in TaskType)
PRIORITIES = tuple((p.value, label(p)) for p in TaskPriority)


@router.get("/patients")
def panel(request: Request, web: WebDep) -> HTMLResponse:
    params = request.query_params
    state = forms.FormState(values={k: params.get(k, "").strip()[:100] for k in ("q", "identifier", "birth_date")})
    try:
        filters = PanelFilter(q=forms.optional(state, "q"), identifier=forms.optional(state, "identifier"),
                              birth_date=_birth_date(state), page=page_number(params.get("page")),
                              size=get_settings().page_size)
    except ValidationError as exc:
        state.errors.update(forms.validation_errors(exc))
        filters = PanelFilter(size=get_settings().page_size)
    found = service.panel(web.session, web.actor, filters)
    kept = [(k, v) for k, v in state.values.items() if v]
    context = {"title": "My panel", "state": state, "rows": [views.panel_row(r) for r in found.items],
               "searching": bool(kept),
               "paging": paging("/patients", kept, page=found.page, size=found.size, total=found.total)}
    return web.page_or_partial("patients/panel.html", "patients/_panel_results.html", context, section="patients")


def _birth_date(state: forms.FormState) -> date | None:
    text = state.value("birth_date")
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        state.errors["birth_date"] = "Enter a date of birth like 1948-03-14."
        return None


@dataclass
class ChartForms:
    """The patient page's forms; a failed post fills in one of them and the page is shown again."""

    contact: forms.FormState | None = None
    new_task: forms.FormState | None = None
    care_team: forms.FormState = field(default_factory=forms.FormState)
    notice: tuple[str, str] | None = None  # (section, message): shown in the section it is about


@router.get("/patients/{patient_id}")
def patient_page(patient_id: str, web: WebDep, saved: str = "") -> HTMLResponse:
    notice = {"contact": ("contact", "Contact details saved."), "task": ("tasks", "Task created."),
              "care-team": ("care-team", "Care team updated.")}.get(saved)
    return chart_page(web, public_id(patient_id), ChartForms(notice=notice))


def chart_page(web: Web, patient_id: UUID, state: ChartForms, *, status_code: int = 200) -> HTMLResponse:
    return web.page("patients/chart.html", chart_context(web, patient_id, state), section="patients",
                    status_code=status_code)


def chart_context(web: Web, patient_id: UUID, state: ChartForms) -> dict[str, Any]:
    chart = service.chart(web.session, web.actor, patient_id)
    now = utcnow()
    person = views.demographics(chart.patient, now.date())
    return {
        "title": person.name, "patient": person, "notice": state.notice,
        "contact": state.contact or _contact_values(person, chart.patient.preferred_language,
                                                    chart.patient.contact_method.value),
        "contact_methods": CONTACT_METHODS,
        "members": [views.member_view(m, web.actor.user_id) for m in chart.care_team],
        "care_team_form": state.care_team, "roles": _roles(), "teams": _teams(web),
        "conditions": chart.conditions, "medications": chart.medications,
        "encounters": [views.encounter_line(e) for e in chart.encounters],
        "observations": [views.observation_line(o) for o in chart.observations],
        "open_tasks": [task_views.task_view(t, web.actor, now, row=False) for t in chart.open_tasks],
        "closed_tasks": [task_views.task_view(t, web.actor, now, row=False) for t in chart.closed_tasks],
        "new_task": state.new_task or _new_task_defaults(web, chart.care_team),
        "owner_groups": task_views.owner_groups(chart.care_team), "task_types": TASK_TYPES,
        "priorities": PRIORITIES, "here": f"/patients/{person.id}",
        "transitions": transitions_views.for_chart(web.session, chart.patient),
        "assessments": assessments_views.for_chart(web.session, chart.patient),
        # A care team change answered alone also refreshes the new-task owner list (the full page sets False).
        "oob_owner": True,
    }


def _roles() -> tuple[tuple[str, str], ...]:
    return tuple((r.value, label(r)) for r in CareTeamRole)


def _teams(web: Web) -> tuple[tuple[str, str], ...]:
    # Team names are not patient data; any signed-in colleague may pick one to add to a care team.
    return tuple((str(t.public_id), t.name) for t in users_repo.list_teams(web.session))


def _contact_values(person: views.Demographics, language: str, method: str) -> forms.FormState:
    return forms.FormState(values={
        "preferred_language": language, "interpreter_needed": "on" if person.interpreter_needed else "",
        "phone": person.phone or "", "email": person.email or "", "contact_method": method,
        "contact_notes": person.contact_notes or "",
    })


def _new_task_defaults(web: Web, members: Sequence[ActiveMember]) -> forms.FormState:
    mine = next((m for m in members if m.user_id == web.actor.user_id), None)
    owner = f"user:{mine.user.public_id}" if mine is not None and mine.user is not None else ""
    return forms.FormState(values={"type": "outreach", "priority": "routine", "owner": owner})


@router.post("/patients/{patient_id}/contact", response_model=None)
def update_contact(patient_id: str, web: WebDep, form: FormDep) -> Response:
    pid = public_id(patient_id)
    state = forms.read(form, (*CONTACT_FIELDS, "interpreter_needed"))
    # Language and method cannot be blank; the others can be cleared.
    data: dict[str, Any] = {k: forms.optional(state, k) for k in CONTACT_FIELDS}
    data = {k: v for k, v in data.items() if v is not None or k not in ("preferred_language", "contact_method")}
    data["interpreter_needed"] = bool(state.value("interpreter_needed"))
    try:
        changes = PatientContactUpdate.model_validate(data)
    except ValidationError as exc:
        state.errors.update(forms.validation_errors(exc))
        return section_or_page(web, pid, ChartForms(contact=state), "patients/_contact.html", 422)
    result = forms.attempt(web.session, lambda: service.update_contact(web.session, web.actor, pid, changes))
    if result.error:
        state.message = result.error
        return section_or_page(web, pid, ChartForms(contact=state), "patients/_contact.html", result.status_code)
    if web.htmx:
        return section(web, pid, ChartForms(notice=("contact", "Contact details saved.")), "patients/_contact.html")
    return redirect(f"/patients/{pid}?saved=contact#contact")


@router.post("/patients/{patient_id}/tasks", response_model=None)
def create_task(patient_id: str, web: WebDep, form: FormDep) -> Response:
    pid = public_id(patient_id)
    state = forms.read(form, TASK_FIELDS)
    body = _task_create(state)
    if body is None:
        return section_or_page(web, pid, ChartForms(new_task=state), "patients/_tasks.html", 422)
    result = forms.attempt(web.session, lambda: tasks_service.create_task(web.session, web.actor, pid, body))
    if result.error:
        state.message = result.error
        return section_or_page(web, pid, ChartForms(new_task=state), "patients/_tasks.html", result.status_code)
    if web.htmx:
        return section(web, pid, ChartForms(notice=("tasks", f"Task created: {body.title}")), "patients/_tasks.html")
    return redirect(f"/patients/{pid}?saved=task#tasks")


def _task_create(state: forms.FormState) -> TaskCreate | None:
    data: dict[str, Any] = {"type": state.value("type"), "title": state.value("title"),
                            "description": forms.optional(state, "description"),
                            "priority": state.value("priority") or "routine",
                            "owner": task_views.parse_owner(state.value("owner")) or {}}
    if state.value("due"):
        try:
            data["due_at"] = parse_local(state.value("due"))
        except ValueError:
            state.errors["due"] = "Enter a date and a time, for example 2026-03-05 14:30."
    if not state.value("owner"):
        state.errors["owner"] = "Choose who will do this task."
    try:
        body = TaskCreate.model_validate(data)
    except ValidationError as exc:
        for key, message in forms.validation_errors(exc, {"due_at": "due"}).items():
            state.errors.setdefault(key, message)
        return None
    return None if state.errors else body


def section(web: Web, patient_id: UUID, state: ChartForms, template: str, status_code: int = 200) -> HTMLResponse:
    return web.partial(template, chart_context(web, patient_id, state), status_code=status_code)


def section_or_page(web: Web, patient_id: UUID, state: ChartForms, template: str, status_code: int) -> HTMLResponse:
    """A form with messages: just its section for htmx, else the whole page (nothing was saved)."""
    if web.htmx:
        return section(web, patient_id, state, template, status_code)
    return chart_page(web, patient_id, state, status_code=status_code)
