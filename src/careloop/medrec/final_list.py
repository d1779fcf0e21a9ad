"""The reconciled list: the discharge list as resolved, discrepancy by discrepancy (schemas.Resolution says
what each resolution means). Pure: entries and discrepancies in, the medicines to be active out."""

from __future__ import annotations

from dataclasses import dataclass

from careloop.medrec.compare import DiscrepancyKind
from careloop.models import MedRecDiscrepancy, MedRecEntry


@dataclass(frozen=True)
class Reconciled:
    entry: MedRecEntry
    dose: str | None
    frequency: str | None
    route: str | None

    @property
    def unchanged_chart_order(self) -> bool:
        """Still exactly the chart's order it came from: that order stays active as it is."""
        e = self.entry
        return e.source_request_id is not None and (self.dose, self.frequency, self.route) == (
            e.dose, e.frequency, e.route)


# For each resolution: which list's entry the patient ends up taking ("pre", "discharge") or None (nothing).
_PRE_KINDS = {DiscrepancyKind.stopped, DiscrepancyKind.omitted}


def _takes(resolution: str, kind: DiscrepancyKind) -> str | None:
    if resolution == "stop":
        return None
    if resolution == "ask-prescriber":  # the earlier regimen stands; nothing new starts meanwhile
        return None if kind in (DiscrepancyKind.new, DiscrepancyKind.duplicate) else "pre"
    return "pre" if kind in _PRE_KINDS else "discharge"  # continue, change


def reconcile(entries: list[MedRecEntry], found: list[MedRecDiscrepancy]) -> list[Reconciled]:
    """A discharge entry with no discrepancy is taken as listed; one with discrepancies is taken only if every
    one of them keeps it (a stop on its duplicate-therapy line wins over a continue on its new-medicine line)."""
    by_id = {e.id: e for e in entries}
    decisions = [(d, _takes(d.resolution or "stop", DiscrepancyKind(d.kind))) for d in found]
    touched = {d.discharge_entry_id for d in found if d.discharge_entry_id is not None}
    vetoed = {d.discharge_entry_id for d, takes in decisions if takes != "discharge" and d.discharge_entry_id}
    # Listed alike before and after (no discrepancy): the chart's order it came from carries on unchanged.
    before = {e.ingredient_rxcui: e for e in entries if e.list == "pre"}
    same = [before.get(e.ingredient_rxcui, e) for e in entries
            if e.list == "discharge" and not e.stop and e.id not in touched]
    final = {e.id: _as_is(e) for e in same}
    for d, takes in decisions:
        entry_id = d.pre_entry_id if takes == "pre" else d.discharge_entry_id if takes == "discharge" else None
        if entry_id is None or entry_id in vetoed:
            continue
        entry = by_id[entry_id]
        final[entry.id] = _changed(entry, d) if d.resolution == "change" else _as_is(entry)
    return list(final.values())


def _as_is(entry: MedRecEntry) -> Reconciled:
    return Reconciled(entry, entry.dose, entry.frequency, entry.route)


def _changed(entry: MedRecEntry, d: MedRecDiscrepancy) -> Reconciled:
    return Reconciled(entry, d.new_dose or entry.dose, d.new_frequency or entry.frequency, d.new_route or entry.route)
