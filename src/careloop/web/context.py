"""Who is signed in to the browser, and the per-request helpers every HTML route uses.

The session cookie is resolved through auth.service; a request without a live session is NotAuthenticated,
which the HTML error renderer turns into a redirect to the sign-in page. Forms that change data must carry
the session's CSRF token, as a hidden field or (htmx) as the X-CSRF-Token header.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit
from uuid import UUID

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from careloop.access import Actor, Permission
from careloop.auth import service as auth
from careloop.errors import Forbidden, NotAuthenticated, NotFound
from careloop.http.deps import CSRF_HEADER, SESSION_COOKIE, DbSession, client_ip
from careloop.models import User
from careloop.notifications import service as notifications
from careloop.web.templating import render

CSRF_FIELD = "csrf_token"


def is_htmx(request: Request) -> bool:
    # A history restore after a cache miss wants the whole page, not the fragment it once swapped in.
    return request.headers.get("HX-Request") == "true" and "HX-History-Restore-Request" not in request.headers


def safe_next(target: str | None, default: str = "/worklist") -> str:
    """Only paths on this site: '//evil.example' or 'https://…' would turn sign-in into an open redirect."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    return target


def home_for(actor: Actor) -> str:
    """Where someone lands: their worklist, or (an administrator, who sees no clinical data) the accounts."""
    if actor.can(Permission.task_read):
        return "/worklist"
    if actor.can(Permission.user_manage):
        return "/admin/users"
    return "/notifications"


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)  # 303: the browser follows a POST with a GET


@dataclass(frozen=True)
class Web:
    request: Request
    session: Session
    actor: Actor
    user: User
    csrf_token: str

    @property
    def htmx(self) -> bool:
        return is_htmx(self.request)

    @property
    def is_admin(self) -> bool:
        return self.actor.can(Permission.user_manage)

    def page(self, template: str, context: dict[str, Any], *, section: str = "",
             status_code: int = 200) -> HTMLResponse:
        layout = {"nav": self._nav(section), "csrf_token": self.csrf_token, "title": context.get("title", "")}
        return self._respond(template, {**layout, **context}, status_code)

    def partial(self, template: str, context: dict[str, Any], *, status_code: int = 200) -> HTMLResponse:
        return self._respond(template, {"csrf_token": self.csrf_token, **context}, status_code)

    def page_or_partial(self, page: str, partial: str, context: dict[str, Any], *, section: str = "",
                        status_code: int = 200) -> HTMLResponse:
        """The fragment for htmx, the whole page otherwise (a plain GET form, a bookmark, a reload)."""
        if self.htmx:
            return self.partial(partial, context, status_code=status_code)
        return self.page(page, context, section=section, status_code=status_code)

    def done(self, fallback: str, form: FormData | None = None) -> Response:
        """After a plain (non-htmx) form post: back to where the form came from."""
        target = form.get("next") if form is not None else None
        return redirect(safe_next(target if isinstance(target, str) else None, fallback))

    def _nav(self, section: str) -> dict[str, Any]:
        return {"user_name": self.user.display_name, "username": self.user.username, "is_admin": self.is_admin,
                "clinical": self.actor.can(Permission.task_read),
                "hl7_review": self.actor.can(Permission.hl7_review), "home": home_for(self.actor), "section": section,
                "unread": nav_unread_count(self.session, self.actor)}

    def _respond(self, template: str, context: dict[str, Any], status_code: int) -> HTMLResponse:
        response = HTMLResponse(render(template, context), status_code=status_code)
        # The same URL answers with a fragment or a page depending on HX-Request; caches must not mix them.
        response.headers["Vary"] = "HX-Request"
        response.headers["Cache-Control"] = "no-store"  # patient data must not linger in a shared browser cache
        return response


def nav_unread_count(session: Session, actor: Actor) -> int:
    return notifications.unread_count(session, actor)


def web_context(request: Request, session: DbSession) -> Web:
    cookie = request.cookies.get(SESSION_COOKIE)
    resolved = auth.resolve_session(session, cookie) if cookie else None
    if resolved is None:
        raise NotAuthenticated("Please sign in.")
    user, web_session = resolved
    actor = auth.actor_for(session, user, channel="web", source_ip=client_ip(request))
    return Web(request=request, session=session, actor=actor, user=user, csrf_token=web_session.csrf_token)


WebDep = Annotated[Web, Depends(web_context)]


async def checked_form(request: Request, web: WebDep) -> FormData:
    """The posted form, once its CSRF token matches the session's; 403 otherwise (nothing is changed)."""
    form = await request.form()
    sent = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not secrets.compare_digest(sent, web.csrf_token):
        raise Forbidden("This form has expired or did not come from careloop. Reload the page and try again.")
    return form


FormDep = Annotated[FormData, Depends(checked_form)]


async def posted_form(request: Request) -> FormData:
    """A form posted before anyone is signed in (the sign-in form itself), checked by its own route."""
    return await request.form()


PostedFormDep = Annotated[FormData, Depends(posted_form)]


def public_id(text: str) -> UUID:
    """A record id from the address; a mangled one is simply a page that does not exist."""
    try:
        return UUID(text)
    except ValueError:
        raise NotFound("There is no record at this address.") from None
