"""Reading FHIR primitive and general-purpose data types into Python values (FHIR R4 datatypes.html):
dates and instants as aware UTC datetimes, date ranges for search, codings, and text cut to a column."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from careloop.errors import InvalidInput
from careloop.terminology import normalise_code, normalise_icd10, system_for_uri


@lru_cache(maxsize=65536)
def date_range(value: str) -> tuple[datetime, datetime] | None:
    """The instants a FHIR date, dateTime or instant covers (FHIR R4 search.html#date: '2020' is the whole
    year): (start, end) in UTC, equal for a full timestamp. None if it is not one."""
    try:
        if len(value) >= 16:  # a dateTime with a time (FHIR requires the zone when there is a time)
            parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            instant = parsed.astimezone(UTC)
            return instant, instant
        if len(value) == 10:
            day = datetime.fromisoformat(value).replace(tzinfo=UTC)
            return day, day + timedelta(days=1) - timedelta(microseconds=1)
        if len(value) == 7:
            year, month = int(value[:4]), int(value[5:7])
            start = datetime(year, month, 1, tzinfo=UTC)
            last = calendar.monthrange(year, month)[1]
            return start, start + timedelta(days=last) - timedelta(microseconds=1)
        if len(value) == 4:
            year = int(value)
            return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC) - timedelta(microseconds=1)
    except ValueError:
        return None
    return None


def instant(value: Any) -> datetime | None:
    """The start of a date, dateTime or instant, in UTC."""
    if type(value) is not str:
        return None
    covered = date_range(value)
    return covered[0] if covered else None


def local_date(value: Any) -> date | None:
    """The calendar date as written (the date part of a dateTime, in the zone it was written in)."""
    if type(value) is not str or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def period(value: Any) -> tuple[datetime | None, datetime | None]:
    """(start, end) of a Period; the end of a partial date is its last instant."""
    if type(value) is not dict:
        return None, None
    start, end = value.get("start"), value.get("end")
    start_range = date_range(start) if type(start) is str else None
    end_range = date_range(end) if type(end) is str else None
    return (start_range[0] if start_range else None), (end_range[1] if end_range else None)


def choice_range(resource: dict[str, Any], stem: str) -> tuple[datetime | None, datetime | None] | None:
    """The range of a [x] date element (effective[x], onset[x], performed[x], occurrence[x]) given as
    dateTime, instant, Period or date; None when it is absent or in another form."""
    for suffix in ("DateTime", "Period", "Instant", "Date"):
        value = resource.get(stem + suffix)
        if value is None:
            continue
        if suffix == "Period":
            return period(value)
        covered = date_range(value) if type(value) is str else None
        return covered if covered else None
    return None


def codings(concept: Any) -> list[dict[str, Any]]:
    if type(concept) is not dict:
        return []
    found = concept.get("coding")
    return [c for c in found if type(c) is dict] if type(found) is list else []


def first_coding(concept: Any, *preferred: str) -> tuple[str | None, str | None, str | None]:
    """(system, code, display) of the first coding in one of the `preferred` systems (URIs), else the first
    coding with a code; display falls back to the concept's text."""
    found = codings(concept)
    text = concept.get("text") if type(concept) is dict else None
    chosen = None
    for uri in preferred:
        chosen = next((c for c in found if c.get("system") == uri and c.get("code")), None)
        if chosen:
            break
    if chosen is None:
        chosen = next((c for c in found if c.get("code")), None)
    if chosen is None:
        return None, None, text if type(text) is str else None
    display = chosen.get("display") or text
    return chosen.get("system"), str(chosen["code"]), display if type(display) is str else None


def system_key(uri: str | None) -> str | None:
    """careloop's short key for a code system URI (snomed, loinc, rxnorm...), None if it is not one we know."""
    if not uri:
        return None
    found = system_for_uri(uri)
    return found.key if found else None


def concept_text(concept: Any) -> str | None:
    if type(concept) is not dict:
        return None
    text = concept.get("text")
    if type(text) is str and text:
        return text
    return next((c["display"] for c in codings(concept) if type(c.get("display")) is str), None)


def clip(value: Any, length: int) -> str | None:
    """Text cut to fit a column (displays and names; codes are never cut)."""
    if value is None:
        return None
    text = value if type(value) is str else str(value)
    return text if len(text) <= length else text[: length - 1] + "…"


def code_fits(code: str | None, length: int) -> str | None:
    """A code as is if it fits its column; a code that does not fit is not stored half."""
    return code if code is not None and len(code) <= length else None


def icd10_or_none(code: str) -> str | None:
    try:
        return normalise_icd10(code)
    except InvalidInput:
        return None


def normalised(system: str, code: str) -> str | None:
    """careloop's stored form of a code (terminology.normalise_code), None if it is not a valid one."""
    try:
        return normalise_code(system, code)
    except InvalidInput:
        return None
