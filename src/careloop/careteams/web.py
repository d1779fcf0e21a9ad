"""Care team forms on the patient page: add a member, end a membership (same services as the API)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError

from careloop.access.check import is_on_care_team
from careloop.careteams import service
from careloop.careteams.schemas import CareTeamMemberIn, EndMembershipIn
from careloop.patients.web import ChartForms, section, section_or_page
from careloop.users import repository as users_repo
from careloop.web import forms
from careloop.web.context import FormDep, Web, WebDep, public_id, redirect

router = APIRouter(include_in_schema=False)

ADD_FIELDS = ("role", "username", "team", "name", "contact")
SECTION = "careteams/_care_team.html"


@router.post("/patients/{patient_id}/care-team", response_model=None)
def add_member(patient_id: str, web: WebDep, form: FormDep) -> Response:
    pid = public_id(patient_id)
    state = forms.read(form, ADD_FIELDS)
    body = _member_in(web, state)
    if body is None:
        return section_or_page(web, pid, ChartForms(care_team=state), SECTION, 422)
    result = forms.attempt(web.session, lambda: service.add_member(web.session, web.actor, pid, body))
    if result.error:
        state.message = result.error
        return section_or_page(web, pid, ChartForms(care_team=state), SECTION, result.status_code)
    return _updated(web, pid, "Added to the care team.")


def _member_in(web: Web, state: forms.FormState) -> CareTeamMemberIn | None:
    """The form names a member by username, team or name; the API's schema takes ids."""
    given = [k for k in ("username", "team", "name") if state.value(k)]
    if len(given) != 1:
        state.errors["member"] = "Fill in exactly one of: a staff username, a team, or a person's name."
        return None
    data: dict[str, Any] = {"role": state.value("role"), "name": forms.optional(state, "name"),
                            "contact": forms.optional(state, "contact"), "team_id": forms.optional(state, "team")}
    if state.value("username"):
        user = users_repo.by_username(web.session, state.value("username"))
        if user is None or not user.active:
            state.errors["username"] = f"No active staff member has the username '{state.value('username')}'."
            return None
        data["user_id"] = user.public_id
    try:
        return CareTeamMemberIn.model_validate(data)
    except ValidationError as exc:
        state.errors.update(forms.validation_errors(exc, {"team_id": "team", "user_id": "username"}))
        return None


@router.post("/care-team-members/{member_id}/end", response_model=None)
def end_membership(member_id: str, web: WebDep, form: FormDep) -> Response:
    mid = public_id(member_id)
    state = forms.read(form, ("reason", "patient"))
    pid = public_id(state.value("patient"))
    try:
        body = EndMembershipIn(reason=state.value("reason"))
    except ValidationError:
        state.message = "Say why this membership ends (for example: moved to another clinic)."
        return section_or_page(web, pid, ChartForms(care_team=state), SECTION, 422)
    result = forms.attempt(web.session, lambda: service.end_membership(web.session, web.actor, mid, body.reason))
    if result.value is None:
        state.message = result.error
        return section_or_page(web, pid, ChartForms(care_team=state), SECTION, result.status_code)
    if not is_on_care_team(web.session, web.actor, result.value.patient_id):
        # They ended their own (last) link to this patient: the record is no longer theirs to see.
        return _leave(web)
    return _updated(web, pid, "Membership ended.")


def _updated(web: Web, patient_id: UUID, message: str) -> Response:
    if web.htmx:
        return section(web, patient_id, ChartForms(notice=("care-team", message)), SECTION)
    return redirect(f"/patients/{patient_id}?saved=care-team#care-team")


def _leave(web: Web) -> Response:
    if web.htmx:
        return Response(status_code=200, headers={"HX-Redirect": "/patients"})
    return redirect("/patients")
