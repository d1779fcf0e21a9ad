"""Goal achievement follows the data: pure rules from a goal's targets and the patient's readings to a FHIR
goal-achievement status (http://terminology.hl7.org/CodeSystem/goal-achievement) and the reason for it.

Which reading counts (the "representative" value), by measure:
- Blood pressure (8480-6 systolic, 8462-4 diastolic): NCQA HEDIS CBP (Controlling High Blood Pressure, as CMS
  uses it in its quality programs): the most recent reading, and when there are several on that date the lowest
  systolic and the lowest diastolic; controlled means both parts below target (< 140 and < 90). No reading is
  not controlled. (../shared/CLINICAL-REFERENCE.md section 4, CBP.)
- HbA1c (4548-4) and every other measure: the most recent result (NCQA HEDIS GSD: the most recent glycemic
  status; < 8.0 % controlled. ADA Standards of Care, section 6: < 7 % for many adults, < 8 % where hypoglycaemia
  risk or frailty argue for less stringent control. The target itself is the plan's, not this module's.)

The status:
- achieved: the representative value of every target is within it;
- not-achieved: the target date has passed (strictly after it) and the goal is not met;
- improving / worsening: not met, and the latest measurement day is nearer to (further from) the target than
  the day before it, distance summed over targets relative to each bound, so 5 mmHg of systolic and of
  diastolic weigh alike;
- no-change: as far from the target as the day before; in-progress: not met and nothing to compare with, or
  no reading yet (before the target date). Any change counts: no clinical "meaningful change" threshold is
  applied (none was sourced), see docs/decisions.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class Achievement(StrEnum):
    in_progress = "in-progress"
    improving = "improving"
    worsening = "worsening"
    no_change = "no-change"
    achieved = "achieved"
    not_achieved = "not-achieved"


COMPARATORS = ("<", "<=", ">", ">=")
# NCQA CBP: several readings on the most recent date -> the lowest systolic and the lowest diastolic.
LOWEST_OF_THE_DAY = frozenset({"8480-6", "8462-4"})


@dataclass(frozen=True)
class Target:
    code: str
    comparator: str | None  # one of COMPARATORS; None: an inclusive range low..high
    low: float | None = None
    high: float | None = None

    def bound(self) -> float:
        value = self.high if self.comparator in ("<", "<=") or (self.comparator is None and self.high is not None) \
            else self.low
        return value if value is not None else 0.0

    def met(self, value: float) -> bool:
        match self.comparator:
            case "<":
                return self.high is not None and value < self.high
            case "<=":
                return self.high is not None and value <= self.high
            case ">":
                return self.low is not None and value > self.low
            case ">=":
                return self.low is not None and value >= self.low
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def distance(self, value: float) -> float:
        """How far outside the target, relative to its bound (0 when met)."""
        if self.met(value):
            return 0.0
        if self.comparator in ("<", "<="):
            gap = value - (self.high or 0.0)
        elif self.comparator in (">", ">="):
            gap = (self.low or 0.0) - value
        elif self.low is not None and value < self.low:
            gap = self.low - value
        else:
            gap = value - (self.high or 0.0)
        scale = abs(self.bound()) or 1.0
        return max(gap, 0.0) / scale


@dataclass(frozen=True)
class Reading:
    code: str
    value: float
    at: datetime


@dataclass(frozen=True)
class Evaluation:
    status: Achievement
    reason: str


def representative(readings: Iterable[Reading], code: str, before: date | None = None) -> Reading | None:
    """The reading that counts for `code`: on its most recent date (before `before` if given), the last one,
    or the lowest of that day for blood pressure (CBP)."""
    of_code = [r for r in readings if r.code == code and (before is None or r.at.date() < before)]
    if not of_code:
        return None
    day = max(r.at.date() for r in of_code)
    that_day = [r for r in of_code if r.at.date() == day]
    if code in LOWEST_OF_THE_DAY:
        return min(that_day, key=lambda r: (r.value, r.at))
    return max(that_day, key=lambda r: r.at)


def evaluate(targets: Sequence[Target], readings: Sequence[Reading], today: date,
             target_date: date | None = None) -> Evaluation:
    if not targets:
        return Evaluation(Achievement.in_progress, "No measurable target: the team judges this goal.")
    current = {t.code: representative(readings, t.code) for t in targets}
    overdue = target_date is not None and today > target_date
    if any(r is None for r in current.values()):
        if overdue:
            return Evaluation(Achievement.not_achieved, f"No reading by the target date {target_date}.")
        return Evaluation(Achievement.in_progress, "No reading yet.")
    now = {code: r.value for code, r in current.items() if r is not None}
    shown = _values(now)
    if all(t.met(now[t.code]) for t in targets):
        return Evaluation(Achievement.achieved, f"Latest {shown} meets the target.")
    if overdue:
        return Evaluation(Achievement.not_achieved, f"Latest {shown} misses the target; target date {target_date} "
                                                    "has passed.")
    latest_day = max(r.at.date() for r in current.values() if r is not None)
    earlier = {t.code: representative(readings, t.code, before=latest_day) for t in targets}
    if any(r is None for r in earlier.values()):
        return Evaluation(Achievement.in_progress, f"Latest {shown} misses the target; no earlier reading.")
    then = {code: r.value for code, r in earlier.items() if r is not None}
    gap_now = sum(t.distance(now[t.code]) for t in targets)
    gap_then = sum(t.distance(then[t.code]) for t in targets)
    compared = f"latest {shown}, before {_values(then)}"
    if gap_now < gap_then:
        return Evaluation(Achievement.improving, f"Nearer the target: {compared}.")
    if gap_now > gap_then:
        return Evaluation(Achievement.worsening, f"Further from the target: {compared}.")
    return Evaluation(Achievement.no_change, f"As far from the target as before: {compared}.")


def _values(values: dict[str, float]) -> str:
    if {"8480-6", "8462-4"} <= values.keys():
        rest = {k: v for k, v in values.items() if k not in LOWEST_OF_THE_DAY}
        bp = f"{_num(values['8480-6'])}/{_num(values['8462-4'])}"
        return ", ".join([bp, *(_num(v) for v in rest.values())])
    return ", ".join(_num(v) for v in values.values())


def _num(value: float) -> str:
    return f"{value:g}"
