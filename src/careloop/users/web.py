"""Account administration pages (administrators only; the services refuse everyone else)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from careloop.auth.passwords import MIN_PASSWORD_LENGTH
from careloop.models import StaffRole
from careloop.users import repository, service
from careloop.users.schemas import UserCreate, UserUpdate
from careloop.web import forms
from careloop.web.context import FormDep, Web, WebDep, public_id, redirect
from careloop.web.formatting import label

router = APIRouter(prefix="/admin", include_in_schema=False)

ROLES = tuple((r.value, label(r)) for r in StaffRole)
NOTICES = {"created": "Account created.", "active": "Account reactivated.", "inactive": "Account deactivated.",
           "password": "Password reset. They have been signed out everywhere."}


@router.get("/users")
def users_page(request: Request, web: WebDep, done: str = "") -> HTMLResponse:
    return _page(web, q=request.query_params.get("q", "").strip()[:100], notice=NOTICES.get(done))


def _page(web: Web, *, q: str = "", create: forms.FormState | None = None, row_error: tuple[str, str] | None = None,
          notice: str | None = None, status_code: int = 200) -> HTMLResponse:
    users = service.list_users(web.session, web.actor, q or None)
    context = {
        "title": "Accounts", "q": q, "users": [service.user_out(web.session, u) for u in users],
        "create": create or forms.FormState(), "roles": ROLES, "role_labels": dict(ROLES),
        "teams": [t.name for t in repository.list_teams(web.session)], "row_error": row_error, "notice": notice,
        "min_password": MIN_PASSWORD_LENGTH, "me": web.user.public_id,
    }
    return web.page("users/list.html", context, section="admin", status_code=status_code)


@router.post("/users", response_model=None)
def create_user(web: WebDep, form: FormDep) -> Response:
    state = forms.read(form, ("username", "display_name", "email", "password"), lists=("roles", "teams"))
    data: dict[str, Any] = {"username": state.value("username"), "display_name": state.value("display_name"),
                            "email": forms.optional(state, "email"), "roles": state.lists["roles"],
                            "password": str(form.get("password") or ""), "teams": state.lists["teams"]}
    state.values["password"] = ""  # never echo a password back into the page
    try:
        body = UserCreate.model_validate(data)
    except ValidationError as exc:
        state.errors.update(forms.validation_errors(exc))
        return _page(web, create=state, status_code=422)
    result = forms.attempt(web.session, lambda: service.create_user(web.session, web.actor, body))
    if result.error:
        state.message = result.error
        return _page(web, create=state, status_code=result.status_code)
    return redirect("/admin/users?done=created")


@router.post("/users/{user_id}/active", response_model=None)
def set_active(user_id: str, web: WebDep, form: FormDep) -> Response:
    active = form.get("active") == "1"
    return _update(web, user_id, UserUpdate(active=active), "active" if active else "inactive")


@router.post("/users/{user_id}/password", response_model=None)
def reset_password(user_id: str, web: WebDep, form: FormDep) -> Response:
    try:
        body = UserUpdate(password=str(form.get("password") or ""))
    except ValidationError:
        message = f"A password needs at least {MIN_PASSWORD_LENGTH} characters."
        return _page(web, row_error=(user_id, message), status_code=422)
    return _update(web, user_id, body, "password")


def _update(web: Web, user_id: str, body: UserUpdate, done: str) -> Response:
    uid = public_id(user_id)
    result = forms.attempt(web.session, lambda: service.update_user(web.session, web.actor, uid, body))
    if result.error:
        return _page(web, row_error=(user_id, result.error), status_code=result.status_code)
    return redirect(f"/admin/users?done={done}")
