"""Goal-achievement rules, worked by hand at their boundaries (NCQA CBP < 140/90 both parts, lowest of the
day; HbA1c < 8 % as NCQA GSD; strictly after the target date for not-achieved)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from careloop.careplans.achievement import Achievement, Reading, Target, evaluate, representative

BP = [Target("8480-6", "<", high=140), Target("8462-4", "<", high=90)]
A1C = [Target("4548-4", "<", high=8.0)]
TODAY = date(2026, 12, 1)


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def bp(day: int, systolic: float, diastolic: float, hour: int = 9) -> list[Reading]:
    return [Reading("8480-6", systolic, at(day, hour)), Reading("8462-4", diastolic, at(day, hour))]


def status(targets: list[Target], readings: list[Reading], target_date: date | None = None) -> Achievement:
    return evaluate(targets, readings, TODAY, target_date).status


def test_blood_pressure_is_controlled_only_below_140_over_90() -> None:
    assert status(BP, bp(20, 139, 89)) is Achievement.achieved
    assert status(BP, bp(20, 140, 89)) is Achievement.in_progress  # 140 is not below 140
    assert status(BP, bp(20, 139, 90)) is Achievement.in_progress


def test_several_readings_on_the_latest_day_count_the_lowest_of_each_part() -> None:
    readings = bp(20, 152, 84, hour=8) + bp(20, 138, 92, hour=17)
    assert representative(readings, "8480-6") == Reading("8480-6", 138, at(20, 17))
    assert representative(readings, "8462-4") == Reading("8462-4", 84, at(20, 8))
    assert status(BP, readings) is Achievement.achieved


def test_hba1c_below_8() -> None:
    assert status(A1C, [Reading("4548-4", 7.9, at(1))]) is Achievement.achieved
    assert status(A1C, [Reading("4548-4", 8.0, at(1))]) is Achievement.in_progress


def test_the_latest_result_counts_not_the_best() -> None:
    readings = [Reading("4548-4", 7.1, at(1)), Reading("4548-4", 8.4, at(20))]
    assert status(A1C, readings) is Achievement.worsening


def test_improving_worsening_and_no_change_compare_with_the_day_before() -> None:
    assert status(BP, bp(10, 150, 95) + bp(20, 145, 92)) is Achievement.improving
    assert status(BP, bp(10, 145, 92) + bp(20, 150, 95)) is Achievement.worsening
    assert status(BP, bp(10, 138, 85) + bp(20, 141, 85)) is Achievement.worsening  # was met, now is not
    assert status(BP, bp(10, 150, 90) + bp(20, 150, 90)) is Achievement.no_change
    # 5 mmHg systolic better, 5 mmHg diastolic worse: diastolic weighs more relative to its bound (90 < 140)
    assert status(BP, bp(10, 150, 95) + bp(20, 145, 100)) is Achievement.worsening


def test_not_achieved_only_after_the_target_date() -> None:
    readings = [Reading("4548-4", 8.2, at(20))]
    assert status(A1C, readings, target_date=TODAY) is Achievement.in_progress
    assert status(A1C, readings, target_date=date(2026, 11, 30)) is Achievement.not_achieved
    assert status(A1C, [], target_date=date(2026, 11, 30)) is Achievement.not_achieved
    assert status(A1C, [], target_date=TODAY) is Achievement.in_progress


def test_ranges_and_lower_bounds() -> None:
    weight = [Target("29463-7", None, low=70, high=80)]
    assert status(weight, [Reading("29463-7", 80, at(1))]) is Achievement.achieved  # a range is inclusive
    assert status(weight, [Reading("29463-7", 80.1, at(1))]) is Achievement.in_progress
    oxygen = [Target("59408-5", ">=", low=92)]
    assert status(oxygen, [Reading("59408-5", 92, at(1))]) is Achievement.achieved
    assert status(oxygen, [Reading("59408-5", 91, at(1))]) is Achievement.in_progress
    assert evaluate([], [], TODAY).status is Achievement.in_progress
