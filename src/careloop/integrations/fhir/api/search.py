"""Search parameters to SQL over the store's columns and indexes (FHIR R4 search.html). Each parameter
becomes one WHERE clause on fhir_resources; repeating a parameter is AND, commas inside one value are OR
(search.html#combining)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, not_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, aliased

from careloop.integrations.fhir.api import params
from careloop.integrations.fhir.api.outcome import bad_request
from careloop.integrations.fhir.api.params import Param
from careloop.integrations.fhir.values import date_range
from careloop.models import FhirReference, FhirResource, FhirToken

DEFAULT_COUNT = 50
MAX_COUNT = 1000
# Result parameters careloop implements (search.html#return), besides the type's own parameters.
CONTROL = frozenset({"_count", "_offset", "_include", "_summary", "_format", "_id", "_lastUpdated"})
PREFIXES = frozenset({"eq", "ne", "lt", "gt", "le", "ge", "sa", "eb"})


@dataclass
class Search:
    resource_type: str
    where: list[ColumnElement[bool]] = field(default_factory=list)
    count: int = DEFAULT_COUNT
    offset: int = 0
    includes: list[tuple[str, Param]] = field(default_factory=list)  # (the _include value, its parameter)
    summary_count: bool = False
    used: list[tuple[str, str]] = field(default_factory=list)  # what the self link echoes


def parse(resource_type: str, query: list[tuple[str, str]], *, lenient: bool) -> Search:
    """Strict by default: an unknown or unsupported parameter is a 400 naming it; with Prefer:
    handling=lenient it is ignored and left out of the self link (search.html#errors)."""
    search = Search(resource_type, where=[FhirResource.resource_type == resource_type])
    supported = params.for_type(resource_type)
    for raw_name, value in query:
        name, _, modifier = raw_name.partition(":")
        try:
            _apply(search, supported, name, modifier, value)
        except _Unsupported as refused:
            if not lenient:
                raise bad_request(str(refused)) from None
            continue
        if name not in ("_count", "_offset", "_format"):
            search.used.append((raw_name, value))
    return search


class _Unsupported(Exception):
    pass


def _apply(search: Search, supported: dict[str, Param], name: str, modifier: str, value: str) -> None:
    if modifier and name != "_include":
        raise _Unsupported(f"Search modifiers are not supported (':{modifier}' on '{name}').")
    if name == "_format":
        return
    if name in ("_count", "_offset"):
        number = non_negative(name, value)
        if name == "_count":
            search.count = min(number, MAX_COUNT)
        else:
            search.offset = number
    elif name == "_summary":
        if value not in ("count", "false"):
            raise _Unsupported(f"_summary={value} is not supported (only count and false).")
        search.summary_count = value == "count"
    elif name == "_include":
        search.includes.append((value, _include(search.resource_type, value)))
    elif name == "_id":
        search.where.append(FhirResource.logical_id.in_(_values(name, value)))
    elif name == "_lastUpdated":
        search.where.append(_date(name, value, FhirResource.last_updated, FhirResource.last_updated))
    elif name in supported:
        search.where.append(_clause(supported[name], value))
    else:
        known = ", ".join(sorted({*supported, *CONTROL}))
        raise _Unsupported(f"Unknown search parameter '{name}' for {search.resource_type} (supported: {known}).")


def non_negative(name: str, value: str) -> int:
    if not value.isdigit():
        raise bad_request(f"{name} must be a whole number, not '{value}'.")
    return int(value)


def _values(name: str, value: str) -> list[str]:
    values = [v for v in value.split(",") if v]
    if not values:
        raise bad_request(f"Search parameter '{name}' has no value.")
    return values


def _clause(param: Param, value: str) -> ColumnElement[bool]:
    if param.kind == "date":
        return _date(param.name, value, FhirResource.date_start, FhirResource.date_end)
    if param.kind == "status":
        return FhirResource.status.in_(_values(param.name, value))
    if param.kind == "reference":
        return _reference(param, _values(param.name, value))
    return _token(param, _values(param.name, value))


def _token(param: Param, values: list[str]) -> ColumnElement[bool]:
    """system|code, code (any system), |code (no system), system| (any code in it): search.html#token."""
    choices = []
    for value in values:
        system, bar, code = value.rpartition("|")
        if not bar:
            choices.append(FhirToken.code == code)
        elif not code:
            choices.append(FhirToken.system == system)
        else:
            choices.append(and_(FhirToken.system == system, FhirToken.code == code))
    return exists().where(FhirToken.resource_id == FhirResource.id, FhirToken.param == param.token,
                          FhirToken.resource_type == FhirResource.resource_type, or_(*choices))


def _reference(param: Param, values: list[str]) -> ColumnElement[bool]:
    """Type/id, a bare id (the parameter's usual target type) or a URL ending in Type/id: search.html#reference."""
    target = aliased(FhirResource)
    choices = []
    for value in values:
        parts = value.rstrip("/").split("/")
        rtype, logical_id = (parts[-2], parts[-1]) if len(parts) >= 2 else (param.target, parts[-1])
        choices.append(and_(target.resource_type == rtype, target.logical_id == logical_id))
    targets = select(target.id).where(or_(*choices))
    return exists().where(FhirReference.resource_id == FhirResource.id, FhirReference.path.in_(param.paths),
                          FhirReference.target_resource_id.in_(targets))


def _include(resource_type: str, value: str) -> Param:
    source, _, name = value.partition(":")
    name, _, _target = name.partition(":")
    allowed = params.includes(resource_type)
    if source != resource_type or name not in allowed:
        known = ", ".join(f"{resource_type}:{n}" for n in sorted(allowed)) or "none"
        raise _Unsupported(f"_include={value} is not supported here (supported: {known}).")
    return allowed[name]


def _date(name: str, value: str, start: InstrumentedAttribute[datetime | None] | InstrumentedAttribute[datetime],
          end: InstrumentedAttribute[datetime | None] | InstrumentedAttribute[datetime]) -> ColumnElement[bool]:
    """A prefixed date against the resource's range (search.html#prefix); a partial date such as 2020 or
    2020-03 is the range it covers. An open end (an ongoing encounter) runs on for ever."""
    prefix, text = (value[:2], value[2:]) if value[:2] in PREFIXES else ("eq", value)
    covered = date_range(text)
    if covered is None:
        if value[:2].isalpha():
            raise bad_request(f"{name}: unknown prefix '{value[:2]}' (supported: {', '.join(sorted(PREFIXES))}).")
        raise bad_request(f"{name}: '{text}' is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or a dateTime).")
    low, high = covered
    within = and_(start >= low, end <= high)
    above = or_(end.is_(None), end > high)
    below = or_(start.is_(None), start < low)
    condition = {
        "eq": within, "ne": not_(within), "gt": above, "lt": below, "ge": or_(above, within),
        "le": or_(below, within), "sa": start > high, "eb": end < low,
    }[prefix]
    return and_(or_(start.is_not(None), end.is_not(None)), condition)
