"""FHIR responses and errors: every answer is application/fhir+json, every error an OperationOutcome with a
diagnostic a person can act on (FHIR R4 http.html#Status, operationoutcome.html)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response

from careloop.errors import CareloopError

FHIR_JSON = "application/fhir+json"

# The OperationOutcome issue type for each HTTP status (R4 valueset-issue-type).
_ISSUE_CODE = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
               409: "conflict", 410: "deleted", 412: "conflict", 422: "processing", 429: "throttled"}


class FhirError(CareloopError):
    """An error only the FHIR API raises, with the status FHIR asks for (http.html#Status)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = _ISSUE_CODE.get(status_code, "exception")


def bad_request(message: str) -> FhirError:
    return FhirError(400, message)


def fhir_response(body: dict[str, Any], status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, media_type=FHIR_JSON, headers=headers)


def operation_outcome(status_code: int, diagnostics: str) -> dict[str, Any]:
    severity = "error" if status_code < 500 else "fatal"
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": _ISSUE_CODE.get(status_code, "exception"),
                       "diagnostics": diagnostics}]}


def render_error(status_code: int, diagnostics: str) -> Response:
    """The renderer http/errors.py calls for any error on a /fhir path (domain, validation, routing)."""
    headers = {"WWW-Authenticate": 'Bearer realm="careloop-fhir"'} if status_code == 401 else None
    return fhir_response(operation_outcome(status_code, diagnostics), status_code, headers)
