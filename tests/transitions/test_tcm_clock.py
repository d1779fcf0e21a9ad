"""The TCM clock against dates worked by hand from the CMS rules (tcm.py cites them): day 0 is the discharge
date; the contact is due by the 2nd business day after it (weekends and holidays skipped); the visit within 7
(high) or 14 (moderate) calendar days; the service period is the discharge date and 29 more days."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from careloop.transitions import tcm
from careloop.transitions.tcm import Complexity

FEDERAL = tcm.load_holidays(tcm.HOLIDAYS_FILE)


def test_friday_discharge_contact_due_tuesday() -> None:
    # Fri 20 Nov 2026 -> Mon 23 (business day 1), Tue 24 (business day 2).
    clock = tcm.clock(date(2026, 11, 20), Complexity.high, FEDERAL)
    assert clock.contact_due == date(2026, 11, 24)
    assert clock.visit_due == date(2026, 11, 27)  # 7 calendar days, Thanksgiving or not
    assert clock.medrec_due == clock.visit_due
    assert clock.period_end == date(2026, 12, 19)  # 20 Nov + 29 days


def test_friday_discharge_moderate_complexity_visit_in_fourteen_days() -> None:
    assert tcm.clock(date(2026, 11, 20), Complexity.moderate, FEDERAL).visit_due == date(2026, 12, 4)


def test_discharge_before_thanksgiving_skips_the_holiday_and_the_weekend() -> None:
    # Wed 25 Nov 2026; Thu 26 is Thanksgiving; Fri 27 is day 1; Sat and Sun skipped; Mon 30 is day 2.
    assert tcm.clock(date(2026, 11, 25), Complexity.high, FEDERAL).contact_due == date(2026, 11, 30)


def test_a_practice_closed_the_day_after_thanksgiving_configures_it() -> None:
    closed = FEDERAL | {date(2026, 11, 27)}
    # Fri 27 no longer counts: Mon 30 is day 1, Tue 1 Dec is day 2.
    assert tcm.clock(date(2026, 11, 25), Complexity.high, closed).contact_due == date(2026, 12, 1)


def test_christmas_eve_discharge() -> None:
    # Thu 24 Dec 2026; Fri 25 is Christmas; Mon 28 day 1; Tue 29 day 2.
    assert tcm.clock(date(2026, 12, 24), Complexity.high, FEDERAL).contact_due == date(2026, 12, 29)


def test_saturday_discharge_counts_from_monday() -> None:
    assert tcm.clock(date(2026, 11, 21), Complexity.high, FEDERAL).contact_due == date(2026, 11, 24)


def test_without_holidays_thanksgiving_counts() -> None:
    assert tcm.clock(date(2026, 11, 25), Complexity.high, frozenset()).contact_due == date(2026, 11, 27)


@pytest.mark.parametrize(("attempts", "expected"), [
    ([(date(2026, 11, 23), True)], "reached"),
    ([(date(2026, 11, 23), False), (date(2026, 11, 24), False)], "two-attempts"),
    ([(date(2026, 11, 23), False)], None),  # one failed attempt is not enough
    ([(date(2026, 11, 23), False), (date(2026, 11, 25), False)], None),  # the second came too late
    ([(date(2026, 11, 25), True)], None),  # reached, but after the deadline: not timely
    ([(date(2026, 11, 23), False), (date(2026, 11, 24), True)], "reached"),
])
def test_contact_requirement(attempts: list[tuple[date, bool]], expected: str | None) -> None:
    assert tcm.contact_requirement_met(attempts, date(2026, 11, 24)) == expected


def test_federal_holiday_file_has_the_2026_thanksgiving() -> None:
    assert date(2026, 11, 26) in FEDERAL and date(2026, 7, 3) in FEDERAL


def test_a_holiday_file_without_dates_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "holidays.csv"
    bad.write_text("day,name\n26/11/2026,Thanksgiving\n", encoding="utf-8")
    with pytest.raises(ValueError, match="date"):
        tcm.load_holidays(bad)
