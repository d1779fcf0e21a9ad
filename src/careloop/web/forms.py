"""Form plumbing shared by the HTML routes: reading posted values, turning Pydantic's errors into a message
per field, and running a use case so that an expected refusal can be shown on the form."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from careloop.errors import CareloopError, Conflict, InvalidInput, NotFound

T = TypeVar("T")

# Hints for pattern mismatches, where Pydantic would only print the regular expression.
PATTERN_HINTS = {
    "email": "Enter an email address like name@example.org.",
    "preferred_language": "Use a language code such as en, es or pt-BR.",
    "username": "Use letters, digits, dots, dashes or underscores.",
}


@dataclass
class FormState:
    """What a form shows: the values the person typed (kept on error) and a message per field."""

    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None  # about the whole form (a stale version, a refusal)

    @property
    def ok(self) -> bool:
        return not self.errors and self.message is None

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def chosen(self, name: str, option: str) -> bool:
        return option in self.lists.get(name, [])


def read(form: FormData, names: tuple[str, ...], lists: tuple[str, ...] = ()) -> FormState:
    """Posted text fields (stripped) and multi-value fields, keeping exactly what was typed."""
    values = {name: _text(form.get(name)) for name in names}
    chosen = {name: [_text(v) for v in form.getlist(name)] for name in lists}
    return FormState(values=values, lists=chosen)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def optional(state: FormState, name: str) -> str | None:
    """An empty box means 'none'."""
    return state.values.get(name) or None


def friendly(error: ErrorDetails) -> str:
    ctx = error.get("ctx") or {}
    loc = error.get("loc") or ()
    name = str(loc[0]) if loc else ""
    match error["type"]:
        case "missing":
            return "This is required."
        case "string_too_short":
            minimum = ctx.get("min_length", 1)
            return "This cannot be empty." if minimum == 1 else f"Use at least {minimum} characters."
        case "string_too_long":
            return f"Use at most {ctx.get('max_length')} characters."
        case "too_short":
            return "Choose at least one."
        case "enum" | "uuid_parsing" | "uuid_type" | "literal_error":
            return "Choose one of the options."
        case "string_pattern_mismatch":
            return PATTERN_HINTS.get(name, "This is not in the expected format.")
        case "value_error":
            text = str(error["msg"]).removeprefix("Value error, ")
            return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
        case _:
            return str(error["msg"])


def validation_errors(exc: ValidationError, fields: Mapping[str, str] | None = None) -> dict[str, str]:
    """One message per form field; errors about the whole model (or a nested one) go under its top field,
    or 'form'. `fields` maps a schema field to the form field that edits it, where they differ."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = error.get("loc") or ()
        key = str(loc[0]) if loc else "form"
        key = (fields or {}).get(key, key)
        errors.setdefault(key, friendly(error))
    return errors


@dataclass(frozen=True)
class Attempt(Generic[T]):
    value: T | None
    error: str | None = None
    status_code: int = 200


def attempt(session: Session, action: Callable[[], T]) -> Attempt[T]:
    """Run a use case in a savepoint. An expected refusal (a stale version, input the service rejects, a
    person who no longer exists) rolls back only the savepoint and comes back as a message, so the route can
    show it on the form. Forbidden and anything unexpected still propagate and roll back the request."""
    try:
        with session.begin_nested():
            return Attempt(action())
    except (Conflict, InvalidInput, NotFound) as exc:
        return Attempt(None, sentence(exc), exc.status_code)


def sentence(exc: CareloopError) -> str:
    return exc.message if exc.message.endswith((".", "!", "?")) else exc.message + "."
