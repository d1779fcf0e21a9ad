"""The generic scorer on every instrument, with hand-worked cases from each instrument's published rules
(sources in each instrument's scoring.json), including the boundary scores."""

from __future__ import annotations

import pytest

from careloop.assessments.library import get_instrument
from careloop.assessments.scoring import check_answers, score

FREQ = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]  # Not at all 0 .. Nearly every day 3
PHQ9 = ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"]
GAD7 = ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"]


def frequency_answers(link_ids: list[str], values: list[int]) -> dict[str, list[str]]:
    return {link_id: [FREQ[v]] for link_id, v in zip(link_ids, values, strict=True)}


def findings(instrument_key: str, answers: dict[str, list[str]]) -> set[str]:
    return {f.key for f in score(get_instrument(instrument_key), answers).findings}


# PHQ-9 (Kroenke 2001): bands 0-4, 5-9, 10-14, 15-19, 20-27; item 9 is the last value and is 0 here.
@pytest.mark.parametrize(("values", "total", "band"), [
    ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal"),
    ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild"),
    ([2, 2, 2, 1, 1, 1, 0, 0, 0], 9, "mild"),
    ([2, 2, 2, 2, 1, 1, 0, 0, 0], 10, "moderate"),
    ([3, 3, 2, 2, 2, 1, 1, 0, 0], 14, "moderate"),
    ([3, 3, 2, 2, 2, 2, 1, 0, 0], 15, "moderately-severe"),
    ([3, 3, 3, 3, 3, 2, 1, 1, 0], 19, "moderately-severe"),
    ([3, 3, 3, 3, 3, 2, 2, 1, 0], 20, "severe"),
    ([3, 3, 3, 3, 3, 3, 3, 3, 3], 27, "severe"),
    ([0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "minimal"),
])
def test_phq9_total_and_band_at_each_boundary(values: list[int], total: int, band: str) -> None:
    result = score(get_instrument("phq-9"), frequency_answers(PHQ9, values))
    assert result.score("total").value == total
    assert result.score("total").band is not None and result.score("total").band.code == band
    assert ("depression" in findings("phq-9", frequency_answers(PHQ9, values))) == (total >= 10)


def test_phq9_item9_above_zero_raises_the_safety_finding_whatever_the_total() -> None:
    answers = frequency_answers(PHQ9, [0, 0, 0, 0, 0, 0, 0, 0, 1])
    result = score(get_instrument("phq-9"), answers)
    assert result.score("total").value == 1
    assert {f.key for f in result.findings} == {"self-harm-thoughts"}
    task = next(f for f in result.findings if f.key == "self-harm-thoughts").task
    assert task is not None and task.priority == "urgent" and task.due == "same-day"


def test_phq9_item9_zero_raises_no_safety_finding_even_when_severe() -> None:
    assert "self-harm-thoughts" not in findings("phq-9", frequency_answers(PHQ9, [3, 3, 3, 3, 3, 3, 3, 3, 0]))


@pytest.mark.parametrize(("values", "positive"), [([1, 1], False), ([2, 0], False), ([2, 1], True), ([3, 3], True)])
def test_phq2_positive_from_three(values: list[int], positive: bool) -> None:
    result = score(get_instrument("phq-2"), frequency_answers(PHQ9[:2], values))
    assert result.score("total").value == sum(values)
    assert (result.score("total").band.code == "positive") == positive  # type: ignore[union-attr]


@pytest.mark.parametrize(("values", "band"), [
    ([1, 1, 1, 1, 0, 0, 0], "minimal"), ([1, 1, 1, 1, 1, 0, 0], "mild"), ([2, 2, 2, 1, 1, 1, 0], "mild"),
    ([2, 2, 2, 2, 1, 1, 0], "moderate"), ([3, 3, 2, 2, 2, 1, 1], "moderate"), ([3, 3, 2, 2, 2, 2, 1], "severe"),
    ([3, 3, 3, 3, 3, 3, 3], "severe"),
])
def test_gad7_bands_at_each_boundary(values: list[int], band: str) -> None:
    total = score(get_instrument("gad-7"), frequency_answers(GAD7, values)).score("total")
    assert total.value == sum(values) and total.band is not None and total.band.code == band


AHC_NEGATIVE = {
    "71802-3": ["LA31993-1"], "96778-6": ["LA9-3"], "88122-7": ["LA28398-8"], "88123-5": ["LA28398-8"],
    "93030-5": ["LA32-8"], "96779-4": ["LA32-8"],
    "95618-5": ["LA6270-8"], "95617-7": ["LA6270-8"], "95616-9": ["LA6270-8"], "95615-1": ["LA6270-8"],
}
SAFETY_CODES = ["LA6270-8", "LA10066-1", "LA10082-8", "LA16644-9", "LA6482-9"]  # Never 1 .. Frequently 5


def ahc(**changes: list[str]) -> dict[str, list[str]]:
    return {**AHC_NEGATIVE, **{k.replace("_", "-"): v for k, v in changes.items()}}


def safety(values: list[int]) -> dict[str, list[str]]:
    items = ["95618-5", "95617-7", "95616-9", "95615-1"]
    return {**AHC_NEGATIVE, **{i: [SAFETY_CODES[v - 1]] for i, v in zip(items, values, strict=True)}}


def test_ahc_all_negative_answers_raise_nothing() -> None:
    result = score(get_instrument("ahc-hrsn"), AHC_NEGATIVE)
    assert result.findings == () and result.score("safety").value == 4


@pytest.mark.parametrize(("values", "positive"), [
    ([3, 3, 2, 2], False),  # 10: not above 10
    ([3, 3, 3, 2], True),  # 11
    ([1, 1, 1, 5], False),  # 8: one 'frequently' alone does not reach it
    ([5, 5, 5, 5], True),
])
def test_ahc_interpersonal_safety_positive_above_ten(values: list[int], positive: bool) -> None:
    result = score(get_instrument("ahc-hrsn"), safety(values))
    assert result.score("safety").value == sum(values)
    assert ("interpersonal-safety" in {f.key for f in result.findings}) == positive


@pytest.mark.parametrize(("link_id", "codes", "finding"), [
    ("71802-3", ["LA31994-9"], "housing-instability"),
    ("71802-3", ["LA31995-6"], "housing-instability"),
    ("96778-6", ["LA28580-1"], "inadequate-housing"),
    ("96778-6", ["LA31996-4", "LA32001-2"], "inadequate-housing"),
    ("88122-7", ["LA6729-3"], "food-insecurity"),
    ("88123-5", ["LA28397-0"], "food-insecurity"),
    ("93030-5", ["LA33-6"], "transportation-insecurity"),
    ("96779-4", ["LA33-6"], "utility-insecurity"),
    ("96779-4", ["LA32002-0"], "utility-insecurity"),
])
def test_ahc_each_positive_screen_rule(link_id: str, codes: list[str], finding: str) -> None:
    assert findings("ahc-hrsn", {**AHC_NEGATIVE, link_id: codes}) == {finding}


def test_ahc_food_insecurity_needs_often_or_sometimes_on_either_item() -> None:
    assert findings("ahc-hrsn", ahc()) == set()
    both = {**AHC_NEGATIVE, "88122-7": ["LA28397-0"], "88123-5": ["LA6729-3"]}
    assert findings("ahc-hrsn", both) == {"food-insecurity"}


KATZ = ["bathing", "dressing", "toileting", "transferring", "continence", "feeding"]


@pytest.mark.parametrize(("dependent", "total", "band"), [(0, 6, "full"), (1, 5, "moderate"), (2, 4, "moderate"),
                                                          (3, 3, "severe"), (6, 0, "severe")])
def test_katz_one_point_per_independent_activity(dependent: int, total: int, band: str) -> None:
    answers = {k: ["dependent" if n < dependent else "independent"] for n, k in enumerate(KATZ)}
    result = score(get_instrument("katz-adl"), answers)
    assert result.score("total").value == total and result.score("total").band.code == band  # type: ignore[union-attr]
    assert ("adl-dependence" in {f.key for f in result.findings}) == (total < 6)


LAWTON_BEST = {k: [f"{k}-1"] for k in ["telephone", "shopping", "food-preparation", "housekeeping", "laundry",
                                       "transportation", "medications", "finances"]}


def test_lawton_independent_in_all_eight_scores_eight() -> None:
    result = score(get_instrument("lawton-iadl"), LAWTON_BEST)
    assert result.score("total").value == 8 and result.findings == ()


def test_lawton_options_score_as_published() -> None:
    # Lawton & Brody: small purchases only is 0 for shopping; needing help with all housework still scores 1.
    answers = {**LAWTON_BEST, "shopping": ["shopping-2"], "housekeeping": ["housekeeping-4"],
               "transportation": ["transportation-4"]}
    result = score(get_instrument("lawton-iadl"), answers)
    assert result.score("total").value == 6
    assert {f.key for f in result.findings} == {"iadl-dependence"}


@pytest.mark.parametrize(("yes", "at_risk"), [((), False), (("worries",), True), (("fallen", "unsteady"), True)])
def test_steadi_any_yes_screens_at_risk(yes: tuple[str, ...], at_risk: bool) -> None:
    answers = {k: ["LA33-6" if k in yes else "LA32-8"] for k in ["fallen", "unsteady", "worries"]}
    result = score(get_instrument("steadi"), answers)
    assert result.score("yes-count").value == len(yes)
    assert ("fall-risk" in {f.key for f in result.findings}) == at_risk


ZBI = ["never", "rarely", "sometimes", "quite-frequently", "nearly-always"]


@pytest.mark.parametrize(("values", "high"), [([2, 2, 2, 1], False), ([2, 2, 2, 2], True), ([0, 0, 0, 0], False),
                                             ([4, 4, 4, 4], True)])
def test_zbi4_high_burden_from_eight(values: list[int], high: bool) -> None:
    answers = {k: [ZBI[v]] for k, v in zip(["time", "stressed", "strained", "uncertain"], values, strict=True)}
    result = score(get_instrument("zbi-4"), answers)
    assert result.score("total").value == sum(values)
    assert ("caregiver-burden" in {f.key for f in result.findings}) == high


def test_a_completed_response_must_answer_every_required_item() -> None:
    answers = frequency_answers(PHQ9[:8], [0] * 8)
    problems = check_answers(get_instrument("phq-9"), answers, complete=True)
    assert [p.link_id for p in problems] == ["44260-8"]
    assert "needs an answer" in problems[0].message
    assert check_answers(get_instrument("phq-9"), answers, complete=False) == []


def test_unknown_questions_codes_and_double_answers_are_refused() -> None:
    answers = {**frequency_answers(PHQ9, [0] * 9), "44250-9": ["LA6568-5", "LA6569-3"], "44255-8": ["yes"],
               "made-up": ["LA6568-5"]}
    problems = {p.link_id: p.message for p in check_answers(get_instrument("phq-9"), answers, complete=True)}
    assert problems == {"made-up": "is not a question of this instrument",
                        "44250-9": "takes one answer only",
                        "44255-8": "yes is not one of the offered answers"}


def test_a_choose_all_item_takes_several_answers() -> None:
    answers = {**AHC_NEGATIVE, "96778-6": ["LA28580-1", "LA31998-0"]}
    assert check_answers(get_instrument("ahc-hrsn"), answers, complete=True) == []
