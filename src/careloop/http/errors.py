"""One place that turns errors into responses: JSON for the API, a page for the web UI."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from careloop.errors import CareloopError, TooManyAttempts

log = logging.getLogger(__name__)

HtmlRenderer = Callable[[Request, int, str, str], Response]
FhirRenderer = Callable[[int, str], Response]  # (status, diagnostics) -> an OperationOutcome


def _wants_html(request: Request) -> bool:
    # htmx sends Accept: */* but is always the web UI asking for a piece of a page.
    browser = "text/html" in request.headers.get("accept", "") or request.headers.get("HX-Request") == "true"
    return not request.url.path.startswith(("/api", "/fhir")) and browser


def _json(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = details
    return JSONResponse(body, status_code=status)


def validation_messages(exc: RequestValidationError) -> list[dict[str, str]]:
    """Pydantic's errors as 'field: message' a person can act on."""
    out = []
    for err in exc.errors():
        location = ".".join(str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path"))
        out.append({"field": location or "request", "message": str(err.get("msg", "invalid"))})
    return out


def install(app: FastAPI, render_html: HtmlRenderer | None = None,
            render_fhir: FhirRenderer | None = None) -> None:
    def respond(request: Request, status: int, code: str, message: str,
                details: dict[str, Any] | None = None) -> Response:
        if render_fhir is not None and request.url.path.startswith("/fhir/"):
            return render_fhir(status, message)
        if render_html is not None and _wants_html(request):
            return render_html(request, status, code, message)
        return _json(status, code, message, details)

    @app.exception_handler(CareloopError)
    def _domain(request: Request, exc: CareloopError) -> Response:
        response = respond(request, exc.status_code, exc.code, exc.message, exc.details)
        if isinstance(exc, TooManyAttempts):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = validation_messages(exc)
        message = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return respond(request, 422, "invalid-input", message, {"problems": problems})

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return respond(request, exc.status_code, "http-error", str(exc.detail))

    @app.exception_handler(Exception)
    def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return respond(request, 500, "internal-error", "Something went wrong on our side; nothing was saved.")
