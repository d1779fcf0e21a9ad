"""The ADT review pages (coordinators): the queue, one identifier's messages beside candidate patients, and
the link / create actions. The same review.py use cases as the JSON API."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from careloop.errors import Conflict, InvalidInput
from careloop.integrations.hl7v2 import review
from careloop.web.context import FormDep, WebDep, public_id, redirect

router = APIRouter(include_in_schema=False)


@router.get("/hl7/review")
def review_queue(web: WebDep, notice: str = "") -> HTMLResponse:
    groups = review.held_groups(web.session, web.actor)
    return web.page("hl7/review_list.html", {"title": "ADT review", "groups": groups, "notice": notice[:200]},
                    section="hl7-review")


@router.get("/hl7/review/{message_id}")
def review_detail(message_id: str, web: WebDep) -> HTMLResponse:
    return _detail(web, message_id)


def _detail(web: WebDep, message_id: str, error: str = "", status_code: int = 200) -> HTMLResponse:
    detail = review.held_detail(web.session, web.actor, public_id(message_id))
    context = {"title": "ADT review", "group": detail.group, "first": detail.group.first,
               "message": detail.group.message, "candidates": detail.candidates, "error": error}
    return web.page("hl7/review_detail.html", context, section="hl7-review", status_code=status_code)


@router.post("/hl7/review/{message_id}/link", response_model=None)
def link(message_id: str, web: WebDep, form: FormDep) -> Response:
    patient = form.get("patient_id")
    try:
        with web.session.begin_nested():
            released = review.link(web.session, web.actor, public_id(message_id),
                                   public_id(patient if isinstance(patient, str) else ""))
    except Conflict as exc:
        return _detail(web, message_id, str(exc), status_code=exc.status_code)
    return redirect(f"/hl7/review?notice=Linked; {released} held message(s) will be applied.")


@router.post("/hl7/review/{message_id}/create", response_model=None)
def create(message_id: str, web: WebDep, form: FormDep) -> Response:
    try:
        with web.session.begin_nested():
            patient, _released = review.create_patient(web.session, web.actor, public_id(message_id))
    except (InvalidInput, Conflict) as exc:
        return _detail(web, message_id, str(exc), status_code=exc.status_code)
    return redirect(f"/patients/{patient.public_id}")
