"""Which TCM visit deadline an episode starts with: 7 days (high complexity, CPT 99496) or 14 (moderate, 99495).

Medical decision making is the visiting clinician's judgement and is only known at the visit. careloop must
schedule before then, so it starts from a documented triage rule and lets the coordinator or clinician change it
on the episode (the change and its reason go into the episode's history):

- high when the patient was readmitted (this stay began within 30 days of an earlier discharge), or
- high when the patient has two or more of the chronic conditions NCQA's HEDIS FMC measure uses to define
  "multiple high-risk chronic conditions" (COPD and asthma; Alzheimer's and related dementia; chronic kidney
  disease; depression; heart failure; acute myocardial infarction; atrial fibrillation; stroke and TIA;
  ../shared/CLINICAL-REFERENCE.md section 4), counted by condition group, not by code;
- moderate otherwise.

Scheduling to the 7-day deadline when in doubt costs an earlier appointment; missing it forfeits 99496 and,
more to the point, the early visit the sickest patients need.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from careloop.driver_reads import DriverRead
from careloop.models import Condition, ConditionClinicalStatus
from careloop.transitions import readmission
from careloop.transitions import repository as repo
from careloop.transitions.repository import InpatientStay
from careloop.transitions.tcm import Complexity

# ICD-10-CM prefixes (normalised: no dot) of the FMC chronic condition groups.
HIGH_RISK_GROUPS: dict[str, tuple[str, ...]] = {
    "COPD or asthma": ("J41", "J42", "J43", "J44", "J45"),
    "dementia": ("F01", "F02", "F03", "G30", "G31"),
    "chronic kidney disease": ("N18",),
    "depression": ("F32", "F33", "F34"),
    "heart failure": ("I50",),
    "acute myocardial infarction": ("I21", "I22"),
    "atrial fibrillation": ("I48",),
    "stroke or TIA": ("I63", "G45"),
}
GROUPS_FOR_HIGH = 2
READMISSION_WINDOW = readmission.WINDOW  # the readmission rule's 30 days


def choose(session: Session, patient_id: int, admitted_at: datetime | None, encounter_id: int | None, *,
           active_icd10: Iterable[str] | None = None, stays: Sequence[InpatientStay] | None = None
           ) -> tuple[Complexity, str]:
    """The rule above. `active_icd10` and `stays` (the patient's finished inpatient stays): what the caller has read
    already (the pathway engine, for its whole batch); read here otherwise."""
    if admitted_at is not None:
        if stays is None:
            since = admitted_at - READMISSION_WINDOW
            stays = repo.inpatient_stays(session, [patient_id], since).get(patient_id, [])
        if readmitted(stays, admitted_at, encounter_id):
            return Complexity.high, "readmitted within 30 days of an earlier discharge"
    groups = chronic_groups(session, patient_id) if active_icd10 is None else groups_of(active_icd10)
    if len(groups) >= GROUPS_FOR_HIGH:
        return Complexity.high, f"{len(groups)} high-risk chronic conditions ({', '.join(groups)})"
    if groups:
        return Complexity.moderate, f"one high-risk chronic condition ({groups[0]})"
    return Complexity.moderate, "no readmission and no high-risk chronic condition recorded"


def readmitted(stays: Iterable[InpatientStay], admitted_at: datetime, encounter_id: int | None) -> bool:
    """Whether a stay that began at `admitted_at` began within READMISSION_WINDOW of an earlier inpatient discharge
    (any disposition; the stay itself, `encounter_id`, excluded)."""
    since = admitted_at - READMISSION_WINDOW
    return any(since <= stay.period_end <= admitted_at and stay.id != encounter_id for stay in stays)


def chronic_groups(session: Session, patient_id: int) -> list[str]:
    return groups_of(c for (c,) in _ACTIVE_ICD10.rows(session, {"patient_id": patient_id}))


def groups_of(icd10_codes: Iterable[str | None]) -> list[str]:
    """The high-risk groups these ICD-10-CM codes (normalised, no dot) fall in, in HIGH_RISK_GROUPS' order."""
    codes = [c for c in icd10_codes if c]
    return [name for name, prefixes in HIGH_RISK_GROUPS.items() if any(c.startswith(prefixes) for c in codes)]


# On the driver's cursor, compiled once: every discharge that starts an episode asks (see transitions.repository).
_ACTIVE_ICD10 = DriverRead(select(Condition.icd10).where(
    Condition.patient_id == bindparam("patient_id"), Condition.clinical_status == ConditionClinicalStatus.active,
    Condition.icd10.is_not(None)))
