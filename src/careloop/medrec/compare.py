"""Compare a pre-admission list with a discharge list, ingredient by ingredient.

The discrepancy kinds follow the medication reconciliation literature that WHO High 5s and the Joint
Commission NPSG.03.06.01 build on (omission, commission, dose/frequency/route differences, therapeutic
duplication), in the words a coordinator uses:

- new: on the discharge list, not before the admission;
- stopped: the discharge list says to stop something the patient took;
- omitted: taken before the admission, and simply absent from the discharge list (no instruction either way:
  the most dangerous kind, since nobody decided it);
- dose-changed, frequency-changed, route-changed: the same ingredient with a different regimen (one
  discrepancy naming every difference, its kind the first of dose, frequency, route that differs);
- duplicate: the discharge list has the same ingredient twice, or two ingredients of the same drug class.

Frequencies are compared by how often a dose is taken (once daily, every morning and at bedtime are all once
a day), doses by their text without case or spaces ("10 MG" = "10 mg").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class DiscrepancyKind(StrEnum):
    new = "new"
    stopped = "stopped"
    omitted = "omitted"
    dose_changed = "dose-changed"
    frequency_changed = "frequency-changed"
    route_changed = "route-changed"
    duplicate = "duplicate"


@dataclass(frozen=True)
class Line:
    ref: int  # the entry's id
    ingredient_key: str
    ingredient: str
    drug_class: str
    dose: str | None
    frequency: str | None
    route: str | None
    stop: bool = False


@dataclass(frozen=True)
class Discrepancy:
    kind: DiscrepancyKind
    ingredient: str
    pre: int | None
    discharge: int | None
    detail: str


# Longest phrases first, so "twice daily" is not read as "daily".
_FREQUENCIES: tuple[tuple[str, str], ...] = (
    ("four times daily", "4/day"), ("three times daily", "3/day"), ("twice daily", "2/day"), ("bid", "2/day"),
    ("tid", "3/day"), ("qid", "4/day"), ("once weekly", "1/week"), ("weekly", "1/week"),
    ("every 4 to 6 hours", "q4-6h"), ("every 6 hours", "q6h"), ("every 8 hours", "q8h"), ("every 12 hours", "2/day"),
    ("once daily", "1/day"), ("every morning", "1/day"), ("every evening", "1/day"), ("at bedtime", "1/day"),
    ("daily", "1/day"), ("qd", "1/day"), ("as directed", "as directed"),
)


def frequency_code(text: str | None) -> str | None:
    """How often, as a comparable code ("1/day", "2/day", "1/week"...; "+prn" when only as needed)."""
    if not text:
        return None
    lowered = text.lower()
    code = next((c for phrase, c in _FREQUENCIES if re.search(rf"\b{re.escape(phrase)}\b", lowered)), None)
    as_needed = "as needed" in lowered or re.search(r"\bprn\b", lowered) is not None
    if code is None:
        return "as needed" if as_needed else re.sub(r"\s+", " ", lowered.strip())
    return f"{code}+prn" if as_needed else code


def _squeezed(text: str | None) -> str:
    return re.sub(r"\s+", "", text.lower()) if text else ""


def _same(a: str | None, b: str | None) -> bool:
    return _squeezed(a) == _squeezed(b)


def compare(pre: list[Line], discharge: list[Line]) -> list[Discrepancy]:
    found = _by_ingredient(pre, discharge)
    found += _duplicates([line for line in discharge if not line.stop])
    return found


def _by_ingredient(pre: list[Line], discharge: list[Line]) -> list[Discrepancy]:
    before = {line.ingredient_key: line for line in pre}
    after: dict[str, Line] = {}
    for line in discharge:
        after.setdefault(line.ingredient_key, line)
    found: list[Discrepancy] = []
    for key, line in after.items():
        old = before.get(key)
        if line.stop:
            found.append(Discrepancy(DiscrepancyKind.stopped, line.ingredient, old.ref if old else None, line.ref,
                                     "the discharge list stops it" + ("" if old else
                                                                      " (it was not on the pre-admission list)")))
        elif old is None:
            found.append(Discrepancy(DiscrepancyKind.new, line.ingredient, None, line.ref,
                                     "started in hospital: " + _regimen(line)))
        else:
            changed = _changes(old, line)
            if changed:
                found.append(Discrepancy(changed[0][0], line.ingredient, old.ref, line.ref,
                                         "; ".join(text for _, text in changed)))
    found += [Discrepancy(DiscrepancyKind.omitted, old.ingredient, old.ref, None,
                          "taken before admission, not on the discharge list: " + _regimen(old))
              for key, old in before.items() if key not in after]
    return found


def _changes(old: Line, new: Line) -> list[tuple[DiscrepancyKind, str]]:
    changes = []
    if not _same(old.dose, new.dose):
        changes.append((DiscrepancyKind.dose_changed, f"dose {old.dose or '?'} -> {new.dose or '?'}"))
    if frequency_code(old.frequency) != frequency_code(new.frequency):
        changes.append((DiscrepancyKind.frequency_changed,
                        f"frequency {old.frequency or '?'} -> {new.frequency or '?'}"))
    if not _same(old.route, new.route):
        changes.append((DiscrepancyKind.route_changed, f"route {old.route or '?'} -> {new.route or '?'}"))
    return changes


def _duplicates(lines: list[Line]) -> list[Discrepancy]:
    found = []
    for i, first in enumerate(lines):
        for second in lines[i + 1:]:
            if first.ingredient_key == second.ingredient_key:
                why = f"{first.ingredient} is on the discharge list twice"
            elif first.drug_class and first.drug_class == second.drug_class:
                why = f"{first.ingredient} and {second.ingredient} duplicate therapy ({first.drug_class})"
            else:
                continue
            found.append(Discrepancy(DiscrepancyKind.duplicate, second.ingredient, None, second.ref, why))
    return found


def _regimen(line: Line) -> str:
    return " ".join(part for part in (line.dose, line.route, line.frequency) if part) or line.ingredient
