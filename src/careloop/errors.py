"""Domain errors carry their HTTP status; rendered once, as JSON for the API and HTML for the web UI."""

from __future__ import annotations

from typing import Any


class CareloopError(Exception):
    status_code = 400
    code = "bad-request"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class InvalidInput(CareloopError):
    status_code = 422
    code = "invalid-input"


class NotAuthenticated(CareloopError):
    status_code = 401
    code = "not-authenticated"


class Forbidden(CareloopError):
    status_code = 403
    code = "forbidden"


class NotFound(CareloopError):
    status_code = 404
    code = "not-found"


class Conflict(CareloopError):
    status_code = 409
    code = "conflict"


class TooManyAttempts(CareloopError):
    status_code = 429
    code = "too-many-attempts"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after
