"""The instrument library: each instrument is a folder under `instruments/` holding a FHIR R4 Questionnaire
(`questionnaire.json`, answer weights as the standard `ordinalValue` extension) and its scoring and
interpretation rules (`scoring.json`). Adding an instrument is adding a folder: no code.

The rules are checked against the questionnaire when loaded (every item, answer code and score they name
must exist), so a mistyped data file fails at start-up with a message naming the file, not at a patient's
bedside.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from careloop.errors import NotFound

ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
LOINC = "http://loinc.org"


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Band(_Rule):
    min: float
    max: float
    code: str
    display: str


class ScoreRule(_Rule):
    """A sum of the answers' ordinal values over some items (or all), read through its bands."""

    key: str
    display: str
    loinc: str | None = None
    items: list[str] | Literal["all"]
    min: float
    max: float
    bands: list[Band] = Field(default_factory=list)

    @model_validator(mode="after")
    def _bands_cover_range(self) -> ScoreRule:
        edges = sorted((b.min, b.max) for b in self.bands)
        if edges and (edges[0][0] != self.min or edges[-1][1] != self.max):
            raise ValueError(f"score {self.key}: bands must run from {self.min} to {self.max}")
        for (_, high), (low, _) in itertools.pairwise(edges):
            if low != high + 1:
                raise ValueError(f"score {self.key}: bands must not overlap or leave gaps ({high} then {low})")
        return self


class Condition(_Rule):
    """When a finding applies. Exactly one form:
    a score compared with a bound (`score` with `at_least` or `at_most`); one item's ordinal value compared
    likewise (`item`); or any of some items answered with one of some codes (`any_of` with `answer_in`), or
    with anything outside some codes (`any_of` with `answer_not_in`, for 'none of the above' questions)."""

    score: str | None = None
    item: str | None = None
    at_least: float | None = None
    at_most: float | None = None
    any_of: list[str] | None = None
    answer_in: list[str] | None = None
    answer_not_in: list[str] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        compares = (self.score is not None) + (self.item is not None)
        matches = self.any_of is not None
        if compares + matches != 1:
            raise ValueError("a condition names exactly one of: score, item, any_of")
        if compares and (self.at_least is None) == (self.at_most is None):
            raise ValueError("a score or item condition needs exactly one of at_least, at_most")
        if matches and (self.answer_in is None) == (self.answer_not_in is None):
            raise ValueError("an any_of condition needs exactly one of answer_in, answer_not_in")
        return self


class ConcernSpec(_Rule):
    """The health concern a finding proposes (Gravity SDOH: finding -> Condition with category health-concern)."""

    display: str
    system: str | None = None
    code: str | None = None
    category: str = "health-concern"
    sdoh_category: str | None = None  # SDOHCC-CodeSystemTemporaryCodes


class TaskSpec(_Rule):
    """Work a finding must raise at once, whatever else the response says (e.g. PHQ-9 item 9)."""

    type: str
    priority: Literal["routine", "urgent", "asap", "stat"]
    due: Literal["same-day"]
    role: str  # the care-team role whose holders should see it; the author takes it when nobody holds it
    title: str
    description: str


class FindingRule(_Rule):
    key: str
    display: str
    when: Condition
    concern: ConcernSpec | None = None
    task: TaskSpec | None = None


class Scoring(_Rule):
    title: str
    sources: list[str] = Field(min_length=1)
    unverified_codes: list[str] = Field(default_factory=list)
    version_note: str | None = None
    scores: list[ScoreRule] = Field(default_factory=list)
    findings: list[FindingRule] = Field(default_factory=list)


@dataclass(frozen=True)
class AnswerOption:
    system: str
    code: str
    display: str
    value: float | None  # the ordinalValue weight, where the option carries one


@dataclass(frozen=True)
class Item:
    link_id: str
    text: str
    required: bool
    repeats: bool
    loinc: str | None
    options: tuple[AnswerOption, ...]

    def option(self, code: str) -> AnswerOption | None:
        return next((o for o in self.options if o.code == code), None)


@dataclass(frozen=True)
class Instrument:
    key: str
    title: str
    version: str
    url: str
    description: str | None
    loinc: str | None
    items: tuple[Item, ...]
    scoring: Scoring
    questionnaire: dict[str, Any]  # the FHIR Questionnaire as stored, for export

    def item(self, link_id: str) -> Item | None:
        return next((i for i in self.items if i.link_id == link_id), None)

    def score_items(self, rule: ScoreRule) -> tuple[Item, ...]:
        if rule.items == "all":
            return self.items
        return tuple(i for i in self.items if i.link_id in rule.items)


class InstrumentDataError(ValueError):
    """A data file under instruments/ is malformed: a programming-time error, raised at load."""


def _loinc_code(codings: list[dict[str, Any]] | None) -> str | None:
    return next((c["code"] for c in codings or [] if c.get("system") == LOINC), None)


def _option(raw: dict[str, Any]) -> AnswerOption:
    coding = raw["valueCoding"]
    weights = [e["valueDecimal"] for e in raw.get("extension", []) if e.get("url") == ORDINAL_VALUE]
    return AnswerOption(system=coding["system"], code=coding["code"], display=coding["display"],
                        value=float(weights[0]) if weights else None)


def _item(raw: dict[str, Any]) -> Item:
    if raw.get("type") != "choice":
        raise InstrumentDataError(f"item {raw.get('linkId')}: only choice items are supported")
    return Item(link_id=raw["linkId"], text=raw["text"], required=bool(raw.get("required", False)),
                repeats=bool(raw.get("repeats", False)), loinc=_loinc_code(raw.get("code")),
                options=tuple(_option(o) for o in raw["answerOption"]))


def _check_references(instrument: Instrument) -> None:
    link_ids = {i.link_id for i in instrument.items}
    score_keys = {s.key for s in instrument.scoring.scores}
    for rule in instrument.scoring.scores:
        named = link_ids if rule.items == "all" else set(rule.items)
        if not named <= link_ids:
            raise InstrumentDataError(f"score {rule.key} names unknown items {sorted(named - link_ids)}")
        for item in instrument.score_items(rule):
            if any(o.value is None for o in item.options):
                raise InstrumentDataError(f"score {rule.key}: item {item.link_id} has options without a weight")
    for finding in instrument.scoring.findings:
        _check_condition(instrument, finding.key, finding.when, link_ids, score_keys)


def _check_condition(instrument: Instrument, key: str, when: Condition, link_ids: set[str],
                     score_keys: set[str]) -> None:
    if when.score is not None and when.score not in score_keys:
        raise InstrumentDataError(f"finding {key} names unknown score {when.score}")
    named = [when.item] if when.item is not None else when.any_of or []
    if not set(named) <= link_ids:
        raise InstrumentDataError(f"finding {key} names unknown items {sorted(set(named) - link_ids)}")
    codes = set(when.answer_in or when.answer_not_in or [])
    known = {o.code for name in named for o in instrument.item(name).options}  # type: ignore[union-attr]
    if not codes <= known:
        raise InstrumentDataError(f"finding {key} names answer codes no item offers: {sorted(codes - known)}")


def _read(key: str) -> Instrument:
    folder = resources.files("careloop.assessments") / "instruments" / key
    questionnaire = json.loads((folder / "questionnaire.json").read_text(encoding="utf-8"))
    try:
        scoring = Scoring.model_validate_json((folder / "scoring.json").read_text(encoding="utf-8"))
    except ValidationError as exc:
        raise InstrumentDataError(f"instruments/{key}/scoring.json: {exc}") from exc
    if questionnaire.get("resourceType") != "Questionnaire" or questionnaire.get("id") != key:
        raise InstrumentDataError(f"instruments/{key}/questionnaire.json must be a Questionnaire with id {key!r}")
    instrument = Instrument(
        key=key, title=questionnaire["title"], version=questionnaire["version"], url=questionnaire["url"],
        description=questionnaire.get("description"), loinc=_loinc_code(questionnaire.get("code")),
        items=tuple(_item(i) for i in questionnaire["item"]), scoring=scoring, questionnaire=questionnaire)
    try:
        _check_references(instrument)
    except InstrumentDataError as exc:
        raise InstrumentDataError(f"instruments/{key}: {exc}") from exc
    return instrument


@cache
def instruments() -> dict[str, Instrument]:
    """Every instrument in the library, by key, loaded and checked once per process."""
    folder = resources.files("careloop.assessments") / "instruments"
    keys = sorted(entry.name for entry in folder.iterdir() if entry.is_dir() and not entry.name.startswith("_"))
    return {key: _read(key) for key in keys}


def get_instrument(key: str) -> Instrument:
    instrument = instruments().get(key)
    if instrument is None:
        raise NotFound(f"No instrument {key!r}; known: {', '.join(instruments())}.")
    return instrument
