"""Pathway definitions: JSON files under data/ (or any folder given), checked when loaded.

A pathway has an id and a version; each rule names the events it listens to, the conditions (all must hold) and
the actions, in order. Conditions and actions are named; their arguments are checked against what the named
condition or action accepts, so a typo fails when the file is loaded, not when a patient is discharged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from careloop.pathways import actions, conditions
from careloop.pathways.schemas import CANCELLED, ENCOUNTER_EVENTS

DATA_DIR = Path(__file__).parent / "data"


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9-]{1,64}$")
    on: list[str] = Field(min_length=1)
    when: dict[str, Any] = Field(default_factory=dict)
    actions: list[dict[str, Any]] = Field(min_length=1)
    description: str | None = None


class PathwayFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9-]{1,64}$")
    version: int = Field(ge=1)
    title: str
    source: str | None = None  # where the clinical logic comes from
    rules: list[RuleFile] = Field(min_length=1)


@dataclass(frozen=True)
class Rule:
    id: str
    on: frozenset[str]
    when: tuple[conditions.Check, ...]
    actions: tuple[actions.Step, ...]


@dataclass(frozen=True)
class Pathway:
    id: str
    version: int
    title: str
    rules: tuple[Rule, ...]


class DefinitionError(ValueError):
    """A pathway file that cannot be used; the message names the file and what is wrong."""


def parse(document: Mapping[str, Any], *, origin: str) -> Pathway:
    try:
        spec = PathwayFile.model_validate(document)
    except ValidationError as exc:
        raise DefinitionError(f"{origin}: {_problems(exc)}") from None
    rules = tuple(_rule(spec.id, rule, origin) for rule in spec.rules)
    return Pathway(spec.id, spec.version, spec.title, rules)


def _rule(pathway_id: str, rule: RuleFile, origin: str) -> Rule:
    where = f"{origin}: rule {rule.id!r}"
    unknown = sorted(set(rule.on) - set(ENCOUNTER_EVENTS))
    if unknown:
        raise DefinitionError(f"{where}: unknown event type(s) {', '.join(unknown)}")
    try:
        checks = tuple(conditions.compile_check(name, argument) for name, argument in rule.when.items())
        steps = tuple(actions.compile_step(step) for step in rule.actions)
    except (ValueError, ValidationError) as exc:
        detail = _problems(exc) if isinstance(exc, ValidationError) else str(exc)
        raise DefinitionError(f"{where}: {detail}") from None
    return Rule(rule.id, frozenset(rule.on), checks, steps)


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors())


def load_dir(folder: Path) -> tuple[Pathway, ...]:
    pathways = []
    for path in sorted(folder.glob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DefinitionError(f"{path.name}: not valid JSON ({exc})") from None
        pathways.append(parse(document, origin=path.name))
    ids = [p.id for p in pathways]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise DefinitionError(f"{folder}: pathway id(s) defined twice: {', '.join(duplicated)}")
    return tuple(pathways)


@lru_cache(maxsize=1)
def installed() -> tuple[Pathway, ...]:
    """The pathways shipped with careloop (loaded once per process)."""
    return load_dir(DATA_DIR)


def listened_to(pathways: tuple[Pathway, ...]) -> frozenset[str]:
    """The event types some rule listens to, and cancels (which undo whatever an earlier event made)."""
    return frozenset({CANCELLED, *(event for p in pathways for r in p.rules for event in r.on)})
