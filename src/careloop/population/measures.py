"""Plain-language names of the measures the gap definitions produce, and the definition each comes from
(whose header gives the source, version and period)."""

from __future__ import annotations

from dataclasses import dataclass

from careloop.population.catalog import Definition, load_definitions


@dataclass(frozen=True)
class Measure:
    key: str
    definition: str
    title: str  # what "closed" means
    action: str  # what an outreach task asks for


MEASURES: dict[str, Measure] = {m.key: m for m in (
    Measure("cbp", "gap_cbp", "Blood pressure controlled (<140/90)", "Recheck blood pressure and review treatment"),
    Measure("gsd_lt8", "gap_gsd", "HbA1c below 8 %", "Arrange an HbA1c and diabetes review"),
    Measure("gsd_gt9", "gap_gsd", "HbA1c not above 9 % (missing counts as above)",
            "Arrange an HbA1c and diabetes review"),
    Measure("followup_7d", "gap_followup", "Follow-up visit within 7 days after discharge",
            "Book a follow-up visit after discharge"),
    Measure("followup_30d", "gap_followup", "Follow-up visit within 30 days after discharge",
            "Book a follow-up visit after discharge"),
    Measure("medrec_30d", "gap_medrec", "Medication reconciliation within 30 days after discharge",
            "Reconcile medications after discharge"),
    Measure("fmc_7d", "gap_fmc", "Follow-up within 7 days after an ED visit (several chronic conditions)",
            "Follow up after the ED visit"),
    Measure("pcr_30d", "gap_pcr", "No unplanned readmission within 30 days of discharge",
            "Review the readmission and the transition plan"),
    Measure("flu_vaccine", "gap_flu", "Influenza vaccine this season", "Offer the influenza vaccine"),
    Measure("colorectal_screening", "gap_colorectal", "Colorectal cancer screening up to date",
            "Offer colorectal cancer screening"),
)}


def measure(key: str) -> Measure:
    return MEASURES.get(key, Measure(key, "", key, f"Close the {key} gap"))


def definition_of(key: str) -> Definition | None:
    name = measure(key).definition
    return next((d for d in load_definitions() if d.name == name), None)
