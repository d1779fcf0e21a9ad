"""Errors as pages: sign-in for 401, a plain explanation with a way back for the rest."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from careloop.web.context import is_htmx, redirect, safe_next
from careloop.web.templating import render

TITLES = {
    400: "That request did not work",
    403: "No access",
    404: "Not found",
    409: "Changed by someone else",
    422: "Check what you entered",
    429: "Too many attempts",
    500: "Something went wrong",
}
NOT_FOUND = "There is nothing at this address. It may have been mistyped, or the record may have been removed."


def login_url(request: Request) -> str:
    """/login?next=<where they were going>, so signing in lands them back there."""
    if is_htmx(request):
        # The fragment URL is not a page; come back to the page the fragment was for.
        current = request.headers.get("HX-Current-URL", "")
        parts = urlsplit(current)
        back = parts.path + (f"?{parts.query}" if parts.query else "")
    elif request.method == "GET":
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:
        back = ""
    target = safe_next(back, "")
    return "/login" + (f"?{urlencode({'next': target})}" if target and target != "/" else "")


def render_error(request: Request, status: int, code: str, message: str) -> Response:
    if status == 401:
        if is_htmx(request):
            return Response(status_code=200, headers={"HX-Redirect": login_url(request)})
        return redirect(login_url(request))
    if status == 404 and code == "http-error":
        message = NOT_FOUND  # Starlette's bare "Not Found" says nothing useful
    context = {"status": status, "title": TITLES.get(status, TITLES[400]), "message": message}
    if is_htmx(request):
        # An htmx request expected a fragment for some part of the page; say what happened at the top instead.
        body = render("errors/_message.html", context)
        return HTMLResponse(body, status_code=status, headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"})
    return HTMLResponse(render("errors/error.html", {**context, "nav": None, "csrf_token": ""}), status_code=status)
