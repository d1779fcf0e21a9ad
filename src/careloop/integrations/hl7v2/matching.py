"""Which careloop patient an ADT message is about: by PID-3 identifier and its assigning authority.

A message matches when its identifiers (any of the PID-3 repetitions, each as authority + value) lead to
exactly one patient. None is "unmatched", several is "ambiguous": both wait in the review queue, because
guessing by name and birth date would sooner or later put one person's admission on another's record.

The worker matches a whole batch of messages with one query (`match_patients`): the database compares the
(authority, value) pairs as it did one message at a time, and each message's answer is then read from the
pairs it carries, so the rule is the same whichever way it is asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from careloop.integrations.hl7v2.adt import Identifier
from careloop.key_match import KeyLookup
from careloop.models.patient import Patient, PatientIdentifier


class MatchedPatient(NamedTuple):
    """What applying a message needs of its patient: the access check and its audit row read no more."""

    id: int
    public_id: UUID


@dataclass(frozen=True)
class Match:
    patient: MatchedPatient | None
    hold_reason: str | None  # why it waits for a coordinator when there is no single patient


def match_patient(session: Session, identifiers: Sequence[Identifier]) -> Match:
    return match_patients(session, [identifiers])[0]


def match_patients(session: Session, messages: Sequence[Sequence[Identifier]]) -> list[Match]:
    """One Match per message (each given by its PID-3 identifiers), from two queries for the whole batch."""
    owners = _owners(session, {(i.system, i.value) for identifiers in messages for i in identifiers})
    patient_ids = [sorted({owners[(i.system, i.value)] for i in identifiers if (i.system, i.value) in owners})
                   for identifiers in messages]
    patients = _patients(session, {ids[0] for ids in patient_ids if len(ids) == 1})
    return [_match(identifiers, ids, patients) for identifiers, ids in zip(messages, patient_ids, strict=True)]


def _owners(session: Session, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Which patient carries each (authority, value); (system, value) is unique, so at most one each."""
    if not pairs:
        return {}
    return {(system, value): patient_id for system, value, patient_id in _OWNERS.rows(session, sorted(pairs))}


_OWNERS = KeyLookup(select(PatientIdentifier.system, PatientIdentifier.value, PatientIdentifier.patient_id),
                    (PatientIdentifier.system, PatientIdentifier.value))


def _patients(session: Session, ids: set[int]) -> dict[int, MatchedPatient]:
    # Rows, not ORM objects: loading 200 patients as objects cost more than the rest of matching; by statements
    # compiled once (an IN list of the batch's length was a new statement to build for SQLAlchemy each time).
    return {row[0]: MatchedPatient(*row) for row in _PATIENTS.rows(session, [(i,) for i in sorted(ids)])}


_PATIENTS = KeyLookup(select(Patient.id, Patient.public_id), (Patient.id,))


def _match(identifiers: Sequence[Identifier], patient_ids: list[int], patients: dict[int, MatchedPatient]
           ) -> Match:
    named = ", ".join(f"{i.value} ({i.system})" for i in identifiers)
    if not patient_ids:
        return Match(None, f"unmatched: no patient has the identifier {named}")
    if len(patient_ids) > 1:
        return Match(None, f"ambiguous: {len(patient_ids)} patients carry the identifiers {named}")
    return Match(patients[patient_ids[0]], None)
