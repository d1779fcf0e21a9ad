"""Task pages: the worklist, a task's page, and the actions and edits both offer (same services as the API)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from careloop.careteams import service as careteams
from careloop.clock import utcnow
from careloop.config import get_settings
from careloop.errors import InvalidInput
from careloop.models import Task, TaskPriority, TaskStatus
from careloop.tasks import service, views
from careloop.tasks.schemas import DueWindow, TaskActionIn, TaskType, TaskUpdate, WorklistFilter
from careloop.tasks.workflow import ACTIVE_STATUSES
from careloop.web import forms
from careloop.web.context import FormDep, Web, WebDep, public_id, redirect
from careloop.web.formatting import label, local_input, parse_local
from careloop.web.paging import page_number, paging, query_string

router = APIRouter(include_in_schema=False)

S = TaskStatus
STATUS_CHOICES = (S.requested, S.received, S.accepted, S.ready, S.in_progress, S.on_hold, S.completed, S.cancelled)
DUE_CHOICES = (("all", "Any time"), ("overdue", "Overdue"), ("today", "Due by end of today"),
               ("week", "Due in the next 7 days"), ("none", "No due date"))
TYPE_CHOICES = tuple((t.value, label(t)) for t in TaskType)
PRIORITY_CHOICES = tuple((p.value, label(p)) for p in TaskPriority)
EDIT_FIELDS = ("version", "title", "description", "priority", "due", "owner", "note")


@dataclass(frozen=True)
class WorklistQuery:
    """The filters as typed in the address bar; values that are not choices are ignored, not errors."""

    statuses: tuple[str, ...]
    patient: str
    type: str
    due: str
    page: int

    @classmethod
    def parse(cls, request: Request) -> WorklistQuery:
        params = request.query_params
        statuses = tuple(s for s in params.getlist("status") if s in {c.value for c in STATUS_CHOICES})
        task_type = params.get("type", "")
        due = params.get("due", "all")
        return cls(statuses=statuses, patient=params.get("patient", "").strip()[:100],
                   type=task_type if task_type in {t.value for t in TaskType} else "",
                   due=due if due in {d.value for d in DueWindow} else "all", page=page_number(params.get("page")))

    def params(self) -> list[tuple[str, str]]:
        return [*(("status", s) for s in self.statuses), ("patient", self.patient), ("type", self.type),
                ("due", "" if self.due == "all" else self.due)]

    def filters(self) -> WorklistFilter:
        return WorklistFilter(status=[S(s) for s in self.statuses] or None, patient_name=self.patient or None,
                              type=TaskType(self.type) if self.type else None, due=DueWindow(self.due),
                              page=self.page, size=get_settings().page_size)


@router.get("/worklist")
def worklist(request: Request, web: WebDep) -> HTMLResponse:
    query = WorklistQuery.parse(request)
    tasks, total = service.worklist(web.session, web.actor, query.filters())
    now = utcnow()
    checked = set(query.statuses) or {s.value for s in ACTIVE_STATUSES}
    here = "/worklist" + (f"?{qs}" if (qs := query_string([*query.params(), ("page", str(query.page))])) else "")
    context = {
        "title": "My worklist", "rows": [views.task_view(t, web.actor, now) for t in tasks], "query": query,
        "here": here, "paging": paging("/worklist", query.params(), page=query.page,
                                       size=get_settings().page_size, total=total),
        "status_choices": [(s.value, label(s), s.value in checked) for s in STATUS_CHOICES],
        "type_choices": TYPE_CHOICES, "due_choices": DUE_CHOICES,
    }
    return web.page_or_partial("tasks/worklist.html", "tasks/_worklist_results.html", context, section="worklist")


@router.get("/tasks/{task_id}")
def task_page(task_id: str, web: WebDep, saved: str = "") -> HTMLResponse:
    return _task_page(web, public_id(task_id), notice="Saved." if saved else None)


@router.post("/tasks/{task_id}/actions/{action}", response_model=None)
def act(task_id: str, action: str, web: WebDep, form: FormDep) -> Response:
    """One workflow move. From a worklist row (htmx) the answer is the updated row; otherwise the page."""
    tid = public_id(task_id)
    state = forms.read(form, ("version", "note", "next", "view"))
    result = forms.attempt(web.session, lambda: _apply(web, tid, action, state))
    if web.htmx and state.value("view") == "row":
        task = result.value or service.get_task(web.session, web.actor, tid)
        notice = views.done_message(action, task.status) if result.value else None
        context = {"task": views.task_view(task, web.actor, utcnow()), "notice": notice, "error": result.error,
                   "here": state.value("next") or "/worklist"}
        return web.partial("tasks/_row.html", context, status_code=result.status_code)
    if result.error:
        return _task_page(web, tid, action_error=result.error, status_code=result.status_code)
    return web.done(f"/tasks/{tid}", form)


def _apply(web: Web, task_id: UUID, action: str, state: forms.FormState) -> Task:
    try:
        body = TaskActionIn.model_validate({"version": state.value("version") or "0",
                                            "note": forms.optional(state, "note")})
    except ValidationError as exc:
        problems = forms.validation_errors(exc)
        raise InvalidInput(" ".join(f"{label(k)}: {v}" for k, v in problems.items())) from None
    if action == "claim":
        return service.claim(web.session, web.actor, task_id, body.version)
    return service.transition(web.session, web.actor, task_id, action, version=body.version, note=body.note)


@router.post("/tasks/{task_id}/edit", response_model=None)
def edit(task_id: str, web: WebDep, form: FormDep) -> Response:
    tid = public_id(task_id)
    state = forms.read(form, EDIT_FIELDS)
    body = _task_update(state)
    if body is None:
        return _task_page(web, tid, edit_state=state, status_code=422)
    result = forms.attempt(web.session, lambda: service.update_task(web.session, web.actor, tid, body))
    if result.error:
        state.message = result.error
        return _task_page(web, tid, edit_state=state, status_code=result.status_code)
    return redirect(f"/tasks/{tid}?saved=1")


def _task_update(state: forms.FormState) -> TaskUpdate | None:
    """The edit form as the API's TaskUpdate; None (with messages on `state`) if it does not validate."""
    data: dict[str, Any] = {"version": state.value("version") or "0", "title": state.value("title"),
                            "description": forms.optional(state, "description"),
                            "priority": state.value("priority"), "note": forms.optional(state, "note"),
                            "due_at": _due(state)}
    if state.value("owner"):
        data["owner"] = views.parse_owner(state.value("owner")) or {}
    try:
        body = TaskUpdate.model_validate(data)
    except ValidationError as exc:
        state.errors.update(forms.validation_errors(exc, {"due_at": "due"}))
        return None
    return None if state.errors else body


def _due(state: forms.FormState) -> Any:
    text = state.value("due")
    if not text:
        return None
    try:
        return parse_local(text)
    except ValueError:
        state.errors["due"] = "Enter a date and a time, for example 2026-03-05 14:30."
        return None


def _task_page(web: Web, task_id: UUID, *, edit_state: forms.FormState | None = None,
               action_error: str | None = None, notice: str | None = None, status_code: int = 200) -> HTMLResponse:
    task, events = service.task_history(web.session, web.actor, task_id)
    members = careteams.list_members(web.session, web.actor, task.patient.public_id)
    context = {
        "title": task.title, "task": views.task_view(task, web.actor, utcnow(), row=False),
        "history": [views.event_view(e) for e in reversed(events)], "edit": edit_state or _edit_values(task),
        "owner_groups": views.owner_groups(members), "priority_choices": PRIORITY_CHOICES,
        "action_error": action_error, "notice": notice, "here": f"/tasks/{task.public_id}",
    }
    return web.page("tasks/detail.html", context, section="worklist", status_code=status_code)


def _edit_values(task: Task) -> forms.FormState:
    return forms.FormState(values={
        "version": str(task.version), "title": task.title, "description": task.description or "",
        "priority": task.priority.value, "due": local_input(task.due_at), "owner": "", "note": "",
    })
