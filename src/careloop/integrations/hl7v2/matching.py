"""Which careloop patient an ADT message is about: by PID-3 identifier and its assigning authority.

A message matches when its identifiers (any of the PID-3 repetitions, each as authority + value) lead to
exactly one patient. None is "unmatched", several is "ambiguous": both wait in the review queue, because
guessing by name and birth date would sooner or later put one person's admission on another's record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from careloop.integrations.hl7v2.adt import Identifier
from careloop.models.patient import Patient, PatientIdentifier


@dataclass(frozen=True)
class Match:
    patient: Patient | None
    hold_reason: str | None  # why it waits for a coordinator when there is no single patient


def match_patient(session: Session, identifiers: Sequence[Identifier]) -> Match:
    pairs = [and_(PatientIdentifier.system == i.system, PatientIdentifier.value == i.value) for i in identifiers]
    patient_ids = session.scalars(select(PatientIdentifier.patient_id).where(or_(*pairs)).distinct()).all()
    named = ", ".join(f"{i.value} ({i.system})" for i in identifiers)
    if not patient_ids:
        return Match(None, f"unmatched: no patient has the identifier {named}")
    if len(patient_ids) > 1:
        return Match(None, f"ambiguous: {len(patient_ids)} patients carry the identifiers {named}")
    return Match(session.get_one(Patient, patient_ids[0]), None)
