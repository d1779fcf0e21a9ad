"""The Transitional Care Management clock (Medicare CPT 99495 and 99496).

Source: CMS MLN booklet "Transitional Care Management Services" (MLN908628) and the CMS TCM FAQs (2016), as
collected in ../shared/CLINICAL-REFERENCE.md section 3:
- the service period is 30 days: the discharge date and the 29 days after it;
- an interactive contact (direct, telephone or electronic) with the patient or caregiver within 2 business days
  after the discharge; business days are Monday to Friday except holidays, whatever the practice's hours; two
  or more separate, timely, documented attempts that fail also meet it;
- a face-to-face visit within 7 calendar days of discharge for high-complexity medical decision making (99496)
  or within 14 calendar days for at least moderate complexity (99495);
- medication reconciliation and management no later than the date of the face-to-face visit.

Days are counted from the discharge date in the practice's time zone: the discharge day itself is day 0.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

CONTACT_BUSINESS_DAYS = 2
SERVICE_PERIOD_DAYS = 30
FAILED_ATTEMPTS_THAT_COUNT = 2
HOLIDAYS_FILE = Path(__file__).parent / "data" / "holidays.csv"


class Complexity(StrEnum):
    """Medical decision making the visit is planned for: it sets the face-to-face deadline."""

    high = "high"  # CPT 99496: visit within 7 calendar days
    moderate = "moderate"  # CPT 99495: visit within 14 calendar days


VISIT_WITHIN_DAYS = {Complexity.high: 7, Complexity.moderate: 14}


@dataclass(frozen=True)
class TcmClock:
    discharge_date: date
    contact_due: date  # the last day the interactive contact (or the second failed attempt) may happen
    visit_due: date  # the last day for the face-to-face visit
    medrec_due: date  # reconciliation no later than the visit: the visit's deadline until a visit is booked
    period_end: date  # the last day of the 30-day service period


def add_business_days(start: date, count: int, holidays: frozenset[date]) -> date:
    """The `count`-th weekday after `start` that is not a holiday (start itself is never counted)."""
    day = start
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            count -= 1
    return day


def clock(discharge_date: date, complexity: Complexity, holidays: frozenset[date]) -> TcmClock:
    visit_due = discharge_date + timedelta(days=VISIT_WITHIN_DAYS[complexity])
    return TcmClock(
        discharge_date=discharge_date,
        contact_due=add_business_days(discharge_date, CONTACT_BUSINESS_DAYS, holidays),
        visit_due=visit_due,
        medrec_due=visit_due,
        period_end=discharge_date + timedelta(days=SERVICE_PERIOD_DAYS - 1),
    )


def contact_requirement_met(attempt_days: Iterable[tuple[date, bool]], contact_due: date) -> str | None:
    """How the 2-business-day contact was met, from (day, reached) pairs: "reached" when someone was reached
    in time, "two-attempts" when two or more timely attempts failed, None when it is not (yet) met.

    A contact made after the deadline still happened, but it does not meet the TCM element."""
    timely = [reached for day, reached in attempt_days if day <= contact_due]
    if any(timely):
        return "reached"
    if len(timely) >= FAILED_ATTEMPTS_THAT_COUNT:
        return "two-attempts"
    return None


def load_holidays(path: Path) -> frozenset[date]:
    """A CSV with a `date` column (ISO 8601); other columns (the holiday's name) are for people."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    try:
        return frozenset(date.fromisoformat(row["date"].strip()) for row in rows)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{path}: every row needs a date like 2026-11-26 in a 'date' column ({exc})") from None


@lru_cache(maxsize=4)
def holidays_from(path: Path) -> frozenset[date]:
    return load_holidays(path)
