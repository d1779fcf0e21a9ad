"""RxNorm products -> ingredients, from data/rxnorm_ingredients.csv.

Source: NLM RxNorm (RxNav, the semantic clinical drug's `has_ingredient` relation; a multi-ingredient product
lists its ingredients joined by "+", as RxNorm's multiple-ingredient concept does). The table covers the drugs
the synthetic population prescribes (careloop.synth.codes.MEDICINES, products from RxNav) and two further
strengths for reconciliation. The ingredient RxCUIs were written down from RxNav by hand, not downloaded: check
them against a current RxNorm release before relying on them. `drug_class` groups ingredients that duplicate
each other's therapy (two anticoagulants, two statins, two beta blockers); it follows the WHO ATC level-4
groups, with antiplatelets split into their two mechanisms because aspirin plus a P2Y12 inhibitor is usually
deliberate; the ATC code is kept for provenance.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TABLE = Path(__file__).parent / "data" / "rxnorm_ingredients.csv"


@dataclass(frozen=True)
class Product:
    rxcui: str
    name: str
    ingredient_rxcui: str
    ingredient: str
    strength: str
    route: str
    drug_class: str
    atc: str


@lru_cache(maxsize=1)
def products() -> dict[str, Product]:
    with TABLE.open(newline="", encoding="utf-8") as handle:
        return {row["rxcui"]: Product(**row) for row in csv.DictReader(handle)}


def product(rxcui: str) -> Product | None:
    return products().get(rxcui.strip())


def unmapped(rxcui: str, display: str) -> Product:
    """A chart medicine the table does not know: compared as its own product, never silently dropped."""
    return Product(rxcui, display, f"product:{rxcui}", display, "", "", "", "")
