"""Days as the practice counts them: TCM deadlines are dates in the practice's time zone, and a task due on
such a date is due at the end of that local day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from careloop.config import get_settings
from careloop.transitions.tcm import holidays_from

END_OF_DAY = time(23, 59)


def practice_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def local_date(instant: datetime) -> date:
    return instant.astimezone(practice_zone()).date()


def end_of_local_day(day: date) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=practice_zone()).astimezone(UTC)


def holidays() -> frozenset[date]:
    return holidays_from(get_settings().tcm_holidays_file)
