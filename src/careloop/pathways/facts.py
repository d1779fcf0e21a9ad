"""The patient facts rules and actions read (care-team roles, the staff to notify, active diagnoses, finished
inpatient stays), read for every patient of a batch of events at once, on first use: one statement per kind of fact
for the batch rather than one per event.

Nothing the actions do changes these facts (they make tasks, episodes, links and notices, never care teams,
conditions or encounters), so reading them once for the batch, in its transaction, gives each event what it would
have read on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from careloop.models import CareTeamMember, Condition, ConditionClinicalStatus
from careloop.tasks import repository as tasks_repo
from careloop.transitions import repository as transitions_repo
from careloop.transitions.repository import InpatientStay

_ROLES = select(CareTeamMember.patient_id, CareTeamMember.role).where(
    CareTeamMember.patient_id.in_(bindparam("patient_ids", expanding=True)), CareTeamMember.period_end.is_(None))
_ICD10 = select(Condition.patient_id, Condition.icd10).where(
    Condition.patient_id.in_(bindparam("patient_ids", expanding=True)),
    Condition.clinical_status == ConditionClinicalStatus.active, Condition.icd10.is_not(None))


class PatientFacts:
    """`stays_since`: the earliest time the batch's events name (admitted, occurred); the stays read are those that
    ended within `look_back` before it, the longest look-back of the rules the batch runs (engine.stays_look_back)."""

    def __init__(self, session: Session, patient_ids: Iterable[int], stays_since: datetime,
                 look_back: timedelta) -> None:
        self._session = session
        self._patient_ids = sorted(set(patient_ids))
        self._stays_since = stays_since - look_back
        self._roles: dict[int, frozenset[str]] | None = None
        self._icd10: dict[int, frozenset[str]] | None = None
        self._staff: dict[int, dict[int, list[str]]] | None = None
        self._stays: dict[int, list[InpatientStay]] | None = None

    def roles(self, patient_id: int) -> frozenset[str]:
        """The roles held on the patient's active care team (members with or without an account)."""
        if self._roles is None:
            self._roles = self._grouped(_ROLES)
        return self._roles.get(patient_id, frozenset())

    def active_icd10(self, patient_id: int) -> frozenset[str]:
        """The ICD-10-CM codes of the patient's active conditions."""
        if self._icd10 is None:
            self._icd10 = self._grouped(_ICD10)
        return self._icd10.get(patient_id, frozenset())

    def staff(self, patient_id: int) -> dict[int, list[str]]:
        """The active staff users who reach the patient's care team (directly or through a team), with their
        user roles."""
        if self._staff is None:
            self._staff = tasks_repo.active_staff_by_patient(self._session, self._patient_ids)
        return self._staff.get(patient_id, {})

    def inpatient_stays(self, patient_id: int) -> list[InpatientStay]:
        """The patient's inpatient stays that ended in the batch's look-back (the readmission and TCM complexity
        rules read them)."""
        if self._stays is None:
            self._stays = transitions_repo.inpatient_stays(self._session, self._patient_ids, self._stays_since)
        return self._stays.get(patient_id, [])

    def _grouped(self, statement: Select[Any]) -> dict[int, frozenset[str]]:
        values: dict[int, set[str]] = {}
        for patient_id, value in self._session.execute(statement, {"patient_ids": self._patient_ids}):
            if value:
                values.setdefault(patient_id, set()).add(str(value))
        return {patient_id: frozenset(found) for patient_id, found in values.items()}
