"""Task and worklist JSON routes (thin: parse, call the service, shape the answer)."""

from __future__ import annotations

from datetime import datetime
from functools import cache, partial
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from sqlalchemy.orm import Session

from careloop.access import Actor
from careloop.clock import utcnow
from careloop.http.deps import ApiActor, DbSession, as_api_actor, credentials_presented, expected_version
from careloop.models import Task, TaskStatus
from careloop.tasks import service
from careloop.tasks.schemas import (
    DueWindow,
    TaskActionIn,
    TaskCreate,
    TaskEventOut,
    TaskOut,
    TaskPage,
    TaskType,
    TaskUpdate,
    WorklistFilter,
)
from careloop.tasks.summary import Named, TaskSummary, summarize
from careloop.tasks.workflow import ACTIONS, allowed_actions

router = APIRouter(tags=["tasks"])


def task_out(loaded: Task | TaskSummary, now: datetime | None = None) -> TaskOut:
    return TaskOut(**task_fields(summarize(loaded), now or utcnow()))


def task_fields(task: TaskSummary, now: datetime) -> dict[str, Any]:
    """A task's TaskOut fields as plain values, in TaskOut's order: what task_out checks into the model, and
    what the worklist writes straight to JSON (worklist_json)."""
    return {
        "id": task.public_id, "version": task.version, "patient": _person(task.patient),
        "type": task.type, "title": task.title, "description": task.description, "status": task.status,
        "status_reason": task.status_reason, "priority": task.priority,
        "owner_user": _person(task.owner_user), "owner_team": _person(task.owner_team),
        "owner_role": task.owner_role, "due_at": task.due_at, "overdue": task.is_overdue(now),
        "authored_on": task.authored_on, "last_modified": task.last_modified, "completed_at": task.completed_at,
        "allowed_actions": _action_names(task.status),
    }


def _person(named: Named | None) -> dict[str, Any] | None:
    return {"id": named.public_id, "name": named.name} if named is not None else None


def worklist_json(tasks: list[TaskSummary], total: int, page: int, size: int, now: datetime) -> bytes:
    """A TaskPage's JSON, byte for byte what pydantic writes for the model (tests/api compares them), from
    plain values: building and checking a TaskOut per row cost more than the rest of the page's rendering.
    The values come from the database through typed columns, so there is nothing left to check."""
    page_fields = {"items": [task_fields(t, now) for t in tasks], "total": total, "page": page, "size": size}
    # OPT_UTC_Z: UTC datetimes end in "Z", as pydantic writes them.
    return orjson.dumps(page_fields, option=orjson.OPT_UTC_Z)


@cache
def _action_names(status: TaskStatus) -> tuple[str, ...]:
    # Claiming is offered on every task the API shows (the service decides whether it is allowed).
    return ("claim", *(a.name for a in allowed_actions(status)))


@router.get("/worklist", response_model=TaskPage, summary="My worklist",
            dependencies=[Depends(credentials_presented)])
async def my_worklist(
    request: Request,
    status_: Annotated[list[TaskStatus] | None, Query(alias="status")] = None,
    patient: UUID | None = None,
    patient_name: Annotated[str | None, Query(max_length=100)] = None,
    type: TaskType | None = None,
    due: DueWindow = DueWindow.all,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 25,
) -> Response:
    """Tasks assigned to me, to my teams and to my care-team roles, soonest due and most urgent first."""
    filters = WorklistFilter(status=status_, patient_id=patient, patient_name=patient_name, type=type, due=due,
                             page=page, size=size)
    return await as_api_actor(request, partial(_worklist_page, filters))


def _worklist_page(filters: WorklistFilter, session: Session, actor: Actor) -> Response:
    tasks, total = service.worklist(session, actor, filters)
    return Response(worklist_json(tasks, total, filters.page, filters.size, utcnow()), media_type="application/json")


@router.post("/patients/{patient_id}/tasks", response_model=TaskOut, status_code=status.HTTP_201_CREATED)
def create_task(patient_id: UUID, body: TaskCreate, session: DbSession, actor: ApiActor) -> TaskOut:
    return task_out(service.create_task(session, actor, patient_id, body))


@router.get("/tasks/{task_id}", response_model=TaskOut)
def read_task(task_id: UUID, session: DbSession, actor: ApiActor) -> TaskOut:
    return task_out(service.get_task(session, actor, task_id))


@router.get("/tasks/{task_id}/history", response_model=list[TaskEventOut])
def task_history(task_id: UUID, session: DbSession, actor: ApiActor) -> list[TaskEventOut]:
    _, events = service.task_history(session, actor, task_id)
    return [TaskEventOut(at=e.at, actor=e.actor.display_name if e.actor else "system", action=e.action,
                         from_status=e.from_status, to_status=e.to_status, note=e.note) for e in events]




@router.patch("/tasks/{task_id}", response_model=TaskOut)
def update_task(task_id: UUID, body: TaskUpdate, session: DbSession, actor: ApiActor,
                if_match: Annotated[str | None, Header()] = None) -> TaskOut:
    body.version = expected_version(body.version, if_match)
    return task_out(service.update_task(session, actor, task_id, body))


@router.post("/tasks/{task_id}/claim", response_model=TaskOut)
def claim_task(task_id: UUID, body: TaskActionIn, session: DbSession, actor: ApiActor,
               if_match: Annotated[str | None, Header()] = None) -> TaskOut:
    return task_out(service.claim(session, actor, task_id, expected_version(body.version, if_match)))


@router.post("/tasks/{task_id}/{action}", response_model=TaskOut,
             description="Move the task through its workflow. Actions: " + ", ".join(ACTIONS))
def act_on_task(task_id: UUID, action: str, body: TaskActionIn, session: DbSession, actor: ApiActor,
                if_match: Annotated[str | None, Header()] = None) -> TaskOut:
    task = service.transition(session, actor, task_id, action, version=expected_version(body.version, if_match),
                              note=body.note)
    return task_out(task)
