"""The one generic scorer: answers in, checked against the questionnaire, scores with their bands and the
findings that apply out. Every instrument's rules are data (library.py); nothing here knows an instrument.

Answers are a mapping of item linkId to the answer codes chosen (one for most items, several for a
'choose all that apply' item).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from careloop.assessments.library import Band, Condition, FindingRule, Instrument, Item, ScoreRule

Answers = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class AnswerProblem:
    link_id: str
    message: str


@dataclass(frozen=True)
class Score:
    rule: ScoreRule
    value: float
    band: Band | None


@dataclass(frozen=True)
class Result:
    scores: tuple[Score, ...]
    findings: tuple[FindingRule, ...]

    def score(self, key: str) -> Score:
        return next(s for s in self.scores if s.rule.key == key)


def check_answers(instrument: Instrument, answers: Answers, *, complete: bool) -> list[AnswerProblem]:
    """Every problem with the answers, per item, in questionnaire order. A draft (`complete=False`) may
    leave items out; a completed response must answer every required item."""
    problems = [AnswerProblem(link_id, "is not a question of this instrument")
                for link_id in answers if instrument.item(link_id) is None]
    for item in instrument.items:
        problems.extend(_item_problems(item, list(answers.get(item.link_id, ())), complete=complete))
    return problems


def _item_problems(item: Item, codes: list[str], *, complete: bool) -> list[AnswerProblem]:
    if not codes:
        return [AnswerProblem(item.link_id, f"needs an answer: {item.text}")] if complete and item.required else []
    unknown = [c for c in codes if item.option(c) is None]
    if unknown:
        return [AnswerProblem(item.link_id, f"{', '.join(unknown)} is not one of the offered answers")]
    if len(codes) != len(set(codes)):
        return [AnswerProblem(item.link_id, "the same answer is given twice")]
    if len(codes) > 1 and not item.repeats:
        return [AnswerProblem(item.link_id, "takes one answer only")]
    return []


def score(instrument: Instrument, answers: Answers) -> Result:
    """Score answers that `check_answers(..., complete=True)` accepted."""
    scores = tuple(_score(instrument, rule, answers) for rule in instrument.scoring.scores)
    by_key = {s.rule.key: s.value for s in scores}
    findings = tuple(f for f in instrument.scoring.findings if _holds(instrument, f.when, answers, by_key))
    return Result(scores=scores, findings=findings)


def _score(instrument: Instrument, rule: ScoreRule, answers: Answers) -> Score:
    value = sum(_item_value(item, answers) for item in instrument.score_items(rule))
    band = next((b for b in rule.bands if b.min <= value <= b.max), None)
    return Score(rule=rule, value=value, band=band)


def _item_value(item: Item, answers: Answers) -> float:
    """The ordinal weight of the answer (the sum, for a multi-answer item); 0 for an optional item left out."""
    total = 0.0
    for code in answers.get(item.link_id, ()):
        option = item.option(code)
        assert option is not None and option.value is not None  # checked by check_answers and at load
        total += option.value
    return total


def _holds(instrument: Instrument, when: Condition, answers: Answers, scores: Mapping[str, float]) -> bool:
    if when.score is not None:
        return _compare(scores[when.score], when)
    if when.item is not None:
        item = instrument.item(when.item)
        assert item is not None
        return bool(answers.get(when.item)) and _compare(_item_value(item, answers), when)
    chosen = [code for link_id in when.any_of or [] for code in answers.get(link_id, ())]
    if when.answer_in is not None:
        return any(code in when.answer_in for code in chosen)
    return any(code not in (when.answer_not_in or []) for code in chosen)


def _compare(value: float, when: Condition) -> bool:
    if when.at_least is not None:
        return value >= when.at_least
    assert when.at_most is not None
    return value <= when.at_most
