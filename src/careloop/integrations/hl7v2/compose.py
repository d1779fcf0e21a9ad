"""Write ADT messages (for the simulated hospital, the benchmark and the tests), in the shape real feeds
use: MSH, EVN, PID, PV1, segments ended by CR."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

STRUCTURES = {"A01": "ADT_A01", "A02": "ADT_A02", "A03": "ADT_A03", "A04": "ADT_A01", "A06": "ADT_A06",
              "A07": "ADT_A06", "A08": "ADT_A01", "A11": "ADT_A09", "A12": "ADT_A12", "A13": "ADT_A01"}


@dataclass(frozen=True)
class AdtFields:
    trigger: str
    control_id: str
    occurred_at: datetime
    mrn: str
    assigning_authority: str
    family: str
    given: str
    birth_date: date
    sex: str  # table 0001: F M O U
    visit_number: str
    patient_class: str  # table 0004: I E O ...
    location: str = ""  # PL: point of care ^ room ^ bed ^ facility
    admission_type: str = ""  # table 0007: E emergency, U urgent, R routine (elective)
    admitted_at: datetime | None = None
    discharged_at: datetime | None = None
    disposition: str = ""  # table 0112 / NUBC
    sending_facility: str = "CARELOOP-SIM"
    version: str = "2.5"


def hl7_time(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S+0000") if moment else ""


def compose_adt(f: AdtFields) -> str:
    segments = [
        f"MSH|^~\\&|SIM-ADT|{f.sending_facility}|CARELOOP|CARELOOP|{hl7_time(f.occurred_at)}||"
        f"ADT^{f.trigger}^{STRUCTURES[f.trigger]}|{f.control_id}|P|{f.version}",
        f"EVN|{f.trigger}|{hl7_time(f.occurred_at)}|||||",
        f"PID|1||{f.mrn}^^^{f.assigning_authority}^MR||{f.family}^{f.given}||{f.birth_date:%Y%m%d}|{f.sex}",
        "PV1|1|" + "|".join([
            f.patient_class, f.location, f.admission_type, *[""] * 14, f.visit_number, *[""] * 16,
            f.disposition, *[""] * 7, hl7_time(f.admitted_at), hl7_time(f.discharged_at),
        ]),
    ]
    return "\r".join(segments) + "\r"
