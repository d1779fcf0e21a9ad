"""Signing in and out of the web UI."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from careloop.auth import service
from careloop.auth.api import LoginIn, set_session_cookie
from careloop.errors import NotAuthenticated, TooManyAttempts
from careloop.http.deps import SESSION_COOKIE, DbSession, client_ip
from careloop.web import forms
from careloop.web.context import FormDep, PostedFormDep, WebDep, home_for, redirect, safe_next
from careloop.web.templating import render

router = APIRouter(include_in_schema=False)

# Before sign-in there is no session to hold a CSRF token, so the sign-in form double-submits one in a cookie:
# another site can post a form here but cannot read or set this cookie, so it cannot sign a victim in.
LOGIN_CSRF_COOKIE = "careloop_login_csrf"


def _login_page(next_url: str, state: forms.FormState, *, status_code: int = 200) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    context = {"title": "Sign in", "nav": None, "csrf_token": "", "login_csrf": token, "next": next_url,
               "state": state}
    response = HTMLResponse(render("auth/login.html", context), status_code=status_code)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login")
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/")
def home(web: WebDep) -> Response:
    return redirect(home_for(web.actor))


@router.get("/login", response_model=None)
def login_form(request: Request, session: DbSession, next: str = "") -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    resolved = service.resolve_session(session, cookie) if cookie else None
    if resolved is not None:
        actor = service.actor_for(session, resolved[0], channel="web", source_ip=client_ip(request))
        return redirect(safe_next(next, home_for(actor)))
    return _login_page(safe_next(next, ""), forms.FormState())


@router.post("/login", response_model=None)
def login(request: Request, session: DbSession, form: PostedFormDep) -> Response:
    state = forms.read(form, ("username", "next"))
    next_url = safe_next(state.value("next"), "")
    sent, expected = form.get("login_csrf"), request.cookies.get(LOGIN_CSRF_COOKIE)
    if not (isinstance(sent, str) and expected and secrets.compare_digest(sent, expected)):
        state.message = "This sign-in form had expired. Please sign in again."
        return _login_page(next_url, state, status_code=400)
    try:
        body = LoginIn(username=state.value("username"), password=str(form.get("password") or ""))
        user = service.authenticate(session, body.username, body.password, source_ip=client_ip(request))
    except ValidationError:
        state.message = "Enter your username and your password."
        return _login_page(next_url, state, status_code=422)
    except (NotAuthenticated, TooManyAttempts) as exc:
        # No rollback wanted here: the failed attempt authenticate() recorded must be saved to count.
        state.message = exc.message
        return _login_page(next_url, state, status_code=exc.status_code)
    started = service.start_session(session, user, source_ip=client_ip(request),
                                    user_agent=request.headers.get("user-agent"))
    actor = service.actor_for(session, user, channel="web", source_ip=client_ip(request))
    response = redirect(safe_next(next_url, home_for(actor)))
    set_session_cookie(response, started.token, started.expires_at)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", response_model=None)
def logout(request: Request, session: DbSession, form: FormDep) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        service.end_session(session, cookie)
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
