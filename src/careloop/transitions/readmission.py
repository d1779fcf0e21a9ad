"""Which admissions count as readmissions, and which are planned.

A readmission is an inpatient admission that begins within 30 days after the discharge from an earlier
inpatient stay of the same patient (the index stay), following the shape of CMS's hospital-wide readmission
measure and NCQA's HEDIS Plan All-Cause Readmissions (../shared/CLINICAL-REFERENCE.md section 4). Days count
from the discharge date to the admission date in the practice's time zone. An index stay that ended in death is
not an index.

Planned readmissions are linked too, but marked planned and left out of counts. The CMS Planned Readmission
Algorithm (version 4) needs the readmission's procedures and principal diagnosis category; the events careloop
receives carry neither reliably, so careloop applies two parts of it:

1. the hospital said so: HL7 v2 PV1-4 admission type "C" (elective, table 0007) marks the admission planned;
2. the algorithm's "always planned" diagnosis categories, by the readmission's reason code when the encounter
   has one: maintenance chemotherapy or immunotherapy (ICD-10-CM Z51.1x), radiotherapy (Z51.0) and
   rehabilitation (Z51.89).

What it leaves out (potentially planned procedures such as a scheduled hip replacement without an elective
admission type, and the acute-diagnosis override) is why a linked readmission can be marked entered-in-error.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from careloop.transitions.repository import InpatientStay

PLANNED_ADMISSION_TYPES = {"C": "PV1-4 admission type C (elective)"}
ALWAYS_PLANNED_REASONS = {
    "Z5111": "maintenance chemotherapy (always planned, CMS PRA v4)",
    "Z5112": "maintenance immunotherapy (always planned, CMS PRA v4)",
    "Z510": "radiotherapy (always planned, CMS PRA v4)",
    "Z5189": "rehabilitation (always planned, CMS PRA v4)",
}
WINDOW = timedelta(days=30)
LONGEST_WINDOW = timedelta(days=365)  # the furthest a pathway's readmission rule may look back (its `within_days`)


def planned_reason(admission_type: str | None, reason_code: str | None) -> str | None:
    """Why this admission counts as planned, or None when it does not."""
    if admission_type and admission_type.strip().upper() in PLANNED_ADMISSION_TYPES:
        return PLANNED_ADMISSION_TYPES[admission_type.strip().upper()]
    if reason_code:
        return next((why for code, why in ALWAYS_PLANNED_REASONS.items() if reason_code.startswith(code)), None)
    return None


def index_stay(stays: Iterable[InpatientStay], admitted_at: datetime, *, within: timedelta = WINDOW,
               exclude_encounter_id: int | None = None) -> InpatientStay | None:
    """The index stay of an admission at `admitted_at`: of the patient's finished inpatient stays, the latest
    discharged in [admitted_at - within, admitted_at], not ended by death (disposition "exp"), not the admission's
    own encounter."""
    since = admitted_at - within
    candidates = [stay for stay in stays if since <= stay.period_end <= admitted_at
                  and stay.discharge_disposition != "exp" and stay.id != exclude_encounter_id]
    return max(candidates, key=lambda stay: (stay.period_end, stay.id), default=None)
