"""How values read on screen: dates in the configured zone (ISO kept in a title), and plain-English labels."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from careloop.clock import utcnow
from careloop.config import get_settings

EMPTY = Markup('<span class="muted">—</span>')

# Codes whose plain reading is not just the code with spaces.
_LABELS = {
    "in-progress": "In progress",
    "on-hold": "On hold",
    "entered-in-error": "Entered in error",
    "asap": "ASAP",
    "stat": "STAT",
    "med-review": "Medication review",
    "follow-up-call": "Follow-up call",
    "rn-care-manager": "RN care manager",
    "primary-care-physician": "Primary care physician",
    "admin": "Administrator",
    "AMB": "Office visit",
    "EMER": "ED visit",
    "IMP": "Hospital stay",
    "OBSENC": "Observation stay",
    "HH": "Home health visit",
    "VR": "Virtual visit",
    "SS": "Short stay",
    "sms": "Text message (SMS)",
    "mail": "Post",
    "vital-signs": "Vital signs",
    "laboratory": "Lab",
}


def label(code: str | None) -> str:
    """'follow-up-call' -> 'Follow-up call'; known codes use their override."""
    if not code:
        return ""
    text = str(code)
    return _LABELS.get(text) or (text[:1].upper() + text[1:]).replace("-", " ")


@lru_cache(maxsize=4)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone() -> ZoneInfo:
    return _zone(get_settings().timezone)


def _local(value: datetime) -> datetime:
    return value.astimezone(zone())


def _day_word(day: date, today: date) -> str | None:
    return {today: "Today", today + timedelta(days=1): "Tomorrow", today - timedelta(days=1): "Yesterday"}.get(day)


def readable_datetime(value: datetime) -> str:
    """'Today 14:30', 'Thu 5 Mar, 09:00', or with the year when it is not this year."""
    local = _local(value)
    today = _local(utcnow()).date()
    clock = local.strftime("%H:%M")
    word = _day_word(local.date(), today)
    if word:
        return f"{word} {clock}"
    pattern = "%a %-d %b" if local.year == today.year else "%a %-d %b %Y"
    return f"{local.strftime(pattern)}, {clock}"


def when(value: datetime | None) -> Markup:
    """A <time> element: readable local text, the exact ISO instant in its title and datetime attribute."""
    if value is None:
        return EMPTY
    iso = value.isoformat(timespec="minutes")
    return Markup('<time datetime="{0}" title="{0}">{1}</time>').format(iso, readable_datetime(value))


def day(value: date | datetime | None) -> Markup:
    """A date, or the local calendar day of an instant, e.g. '14 Mar 2026'."""
    if value is None:
        return EMPTY
    if isinstance(value, datetime):
        value = _local(value).date()
    iso = value.isoformat()
    return Markup('<time datetime="{0}" title="{0}">{1}</time>').format(iso, value.strftime("%-d %b %Y"))


def local_input(value: datetime | None) -> str:
    """The value for an <input type="datetime-local">, in the display zone."""
    return _local(value).strftime("%Y-%m-%dT%H:%M") if value is not None else ""


def parse_local(text: str) -> datetime:
    """What a datetime-local field sends ('2026-03-05T14:30'), read in the display zone; ValueError if not."""
    naive = datetime.fromisoformat(text.strip())
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=zone())


def zone_name() -> str:
    return get_settings().timezone


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def text_or_dash(value: object) -> Markup:
    return EMPTY if value in (None, "") else escape(value)
