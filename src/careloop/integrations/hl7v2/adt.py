"""Read an ADT message into plain values, or refuse it with the reason and the HL7 error code.

Fields: HL7 v2.5 chapter 3 (ADT) and chapter 2 (MSH), as listed in ../shared/CLINICAL-REFERENCE.md section 2.
Everything here is pure: the listener calls it in the ACK path to refuse what can never be applied, and stores its
reading of what it accepted (`reading_of`), which the worker applies (`from_reading`).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from careloop.integrations.hl7v2.events import EncounterClassName
from careloop.integrations.hl7v2.parser import Message
from careloop.terminology.discharge import nubc_to_hl7

SUPPORTED_TRIGGERS = frozenset({"A01", "A02", "A03", "A04", "A06", "A07", "A08", "A11", "A12", "A13"})
# The visit-creating events: a patient class that careloop cannot map is an error for these only.
CREATING_TRIGGERS = frozenset({"A01", "A04", "A06"})

# HL7 table 0004 patient class -> careloop's encounter class. B (obstetrics) is an inpatient stay; R
# (recurring) an outpatient series; P (preadmit) is the inpatient stay the pre-admission sets up (the sample
# A01 messages carry P). Table 0004 has no observation code: OBS and OBSENC are the local values hospitals use.
PATIENT_CLASSES: dict[str, EncounterClassName] = {
    "I": "inpatient", "B": "inpatient", "P": "inpatient",
    "E": "emergency",
    "O": "outpatient", "R": "outpatient",
    "OBS": "observation", "OBSENC": "observation",
}

# The columns that hold them (hl7_messages.control_id and sending_facility; dedupe_key holds both).
MAX_CONTROL_ID = 199  # ST, 199 characters from v2.7
MAX_FACILITY = 200
_SEX = {"F": "female", "M": "male", "O": "other", "A": "other", "N": "unknown", "U": "unknown"}
_DTM = re.compile(r"(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d{1,4})?(?:([+-])(\d{2})(\d{2}))?")


class Refusal(ValueError):
    """Why a message cannot be accepted: the MSA-1 code (AR reject, AE error), the table 0357 error code,
    where (segment, field) and a sentence for the sender's interface analyst."""

    def __init__(self, ack_code: str, error_code: str, text: str, segment: str = "", field_number: int = 0) -> None:
        super().__init__(text)
        self.ack_code = ack_code
        self.error_code = error_code
        self.text = text
        self.segment = segment
        self.field_number = field_number


@dataclass(frozen=True)
class Identifier:
    value: str
    system: str  # the assigning authority (PID-3.4: namespace id, else universal id)
    type_code: str | None  # table 0203: MR, SS, PI...


@dataclass(frozen=True)
class AdtMessage:
    sending_application: str
    sending_facility: str
    receiving_application: str
    receiving_facility: str
    control_id: str
    version: str
    trigger: str
    occurred_at: datetime
    identifiers: tuple[Identifier, ...]
    family: str
    given: str
    birth_date: date | None
    sex: str  # FHIR administrative-gender
    patient_class: str  # PV1-2 as sent
    encounter_class: EncounterClassName | None
    facility: str | None
    location: str | None
    visit_number: str | None
    admission_type: str | None
    admitted_at: datetime | None
    discharged_at: datetime | None
    discharge_disposition: str | None  # FHIR discharge-disposition code
    discharge_disposition_source: str | None  # PV1-36 as sent, when it was not a code careloop maps

    @property
    def match_identifier(self) -> Identifier:
        """The identifier careloop matches on: the first medical record number, else the first one."""
        return next((i for i in self.identifiers if i.type_code == "MR"), self.identifiers[0])


class _HeaderPart(TypedDict):
    sending_application: str
    sending_facility: str
    receiving_application: str
    receiving_facility: str
    control_id: str
    version: str
    trigger: str


class _PatientPart(TypedDict):
    identifiers: tuple[Identifier, ...]
    family: str
    given: str
    birth_date: date | None
    sex: str


class _VisitPart(TypedDict):
    patient_class: str
    encounter_class: EncounterClassName | None
    facility: str | None
    location: str | None
    visit_number: str | None
    admission_type: str | None
    admitted_at: datetime | None
    discharged_at: datetime | None
    discharge_disposition: str | None
    discharge_disposition_source: str | None


def parse_timestamp(text: str, local: tzinfo) -> datetime | None:
    """HL7 DTM (YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]) as aware UTC; a time without an offset is the
    sender's local time (CARELOOP_TIMEZONE). '' is None; anything else unreadable raises ValueError."""
    return _parse_timestamp(text, local)


@functools.lru_cache(maxsize=4096)
def _parse_timestamp(text: str, local: tzinfo) -> datetime | None:
    """Kept per (text, zone): every message of a stay repeats its admit time and the patient's birth date, and
    the listener and the worker each read five times a message (a datetime is immutable, so sharing is safe;
    an unreadable text raises, and a raise is not kept)."""
    text = text.strip()
    if not text:
        return None
    match = _DTM.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not an HL7 date/time")
    year, month, day, hour, minute, second, sign, off_h, off_m = match.groups()
    zone: tzinfo = local
    if sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        zone = timezone(offset if sign == "+" else -offset)
    moment = datetime(int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
                      int(second or 0), tzinfo=zone)
    return moment.astimezone(UTC)


def read_adt(text: str, local_zone: str = "UTC") -> AdtMessage:
    """Parse and check one ADT message; raises Refusal (AR or AE) for what careloop cannot accept."""
    try:
        message = Message(text)
    except ValueError as exc:
        raise Refusal("AR", "100", f"not an HL7 v2 message: {exc}", "MSH") from exc
    return read_parsed(message, local_zone)


def read_parsed(message: Message, local_zone: str = "UTC") -> AdtMessage:
    """As read_adt, for a message already split into segments."""
    zone = _zone(local_zone)
    header = _read_header(message)
    visit = _read_visit(message, header["trigger"], zone)
    patient = _read_patient(message, zone)
    return AdtMessage(**header, **patient, **visit, occurred_at=_occurred_at(message, zone))


# The stored form of a reading (hl7_messages.reading): the format's number, then the fields in AdtMessage's order,
# times and dates as ISO text, identifiers as [value, system, type_code]. Change the number whenever read_parsed
# reads a message differently or AdtMessage changes: a reading of another format is then read again from the raw
# text (`from_reading` gives None).
READING_FORMAT = 1
_FIELDS = tuple(f.name for f in dataclasses.fields(AdtMessage))
_TIMES = frozenset({"occurred_at", "admitted_at", "discharged_at"})


def reading_of(message: AdtMessage) -> list[Any]:
    """The message as read, for the store: the worker applies it without reading the raw text again."""
    values: list[Any] = [READING_FORMAT]
    for name in _FIELDS:
        value = getattr(message, name)
        if name == "identifiers":
            value = [[i.value, i.system, i.type_code] for i in value]
        elif isinstance(value, date):  # datetimes too
            value = value.isoformat()
        values.append(value)
    return values


def from_reading(stored: list[Any] | None) -> AdtMessage | None:
    """The message as the listener read it; None for no reading, one of another format, or one that cannot be read
    back (edited by hand, say): the worker then reads the raw text, which is always kept."""
    if not stored or stored[0] != READING_FORMAT or len(stored) != len(_FIELDS) + 1:
        return None
    fields = dict(zip(_FIELDS, stored[1:], strict=True))
    try:
        for name in _TIMES:
            if fields[name] is not None:
                fields[name] = datetime.fromisoformat(fields[name])
        if fields["birth_date"] is not None:
            fields["birth_date"] = date.fromisoformat(fields["birth_date"])
        fields["identifiers"] = tuple(Identifier(*identifier) for identifier in fields["identifiers"])
    except (TypeError, ValueError):
        return None
    return AdtMessage(**fields)


@functools.lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _read_header(message: Message) -> _HeaderPart:
    code, trigger = message.component("MSH", 9, 1), message.component("MSH", 9, 2)
    control_id, version = message.field("MSH", 10), message.field("MSH", 12)
    if not control_id:
        raise Refusal("AR", "101", "MSH-10 message control id is empty", "MSH", 10)
    if code != "ADT":
        raise Refusal("AR", "200", f"message type {code or '(empty)'!r} is not ADT; careloop takes ADT only",
                      "MSH", 9)
    if trigger not in SUPPORTED_TRIGGERS:
        raise Refusal("AR", "201", f"ADT event {trigger or '(empty)'!r} is not one careloop applies "
                      f"(it takes {', '.join(sorted(SUPPORTED_TRIGGERS))})", "MSH", 9)
    if not re.fullmatch(r"2\.[345678](\.\d+)*", version):
        raise Refusal("AR", "203", f"version {version or '(empty)'!r} is not HL7 v2.3 to v2.8", "MSH", 12)
    facility = _hd(message, message.raw_field("MSH", 4))
    if not facility:
        raise Refusal("AR", "101", "MSH-4 sending facility is empty; it names whose control ids these are",
                      "MSH", 4)
    if len(control_id) > MAX_CONTROL_ID or len(facility) > MAX_FACILITY:
        raise Refusal("AR", "102", f"MSH-10 is longer than {MAX_CONTROL_ID} or MSH-4 than {MAX_FACILITY} "
                      "characters", "MSH", 10)
    return {"sending_application": _hd(message, message.raw_field("MSH", 3)), "sending_facility": facility,
            "receiving_application": _hd(message, message.raw_field("MSH", 5)),
            "receiving_facility": _hd(message, message.raw_field("MSH", 6)),
            "control_id": control_id, "version": version, "trigger": trigger}


def _hd(message: Message, value: str) -> str:
    """A hierarchic designator (namespace id ^ universal id ^ type) by its namespace id, else its universal id."""
    return message.component_of(value, 1) or message.component_of(value, 2)


def _read_patient(message: Message, zone: tzinfo) -> _PatientPart:
    if not message.has("PID"):
        raise Refusal("AE", "100", "the PID segment is missing", "PID")
    identifiers = tuple(_identifiers(message))
    if not identifiers:
        raise Refusal("AE", "101", "PID-3 has no identifier with an assigning authority (PID-3.4)", "PID", 3)
    birth = _timestamp(message, "PID", 7, zone)
    sex = message.field("PID", 8).upper()
    name = (message.repetitions("PID", 5) or [""])[0]
    return {"identifiers": identifiers, "family": message.component_of(name, 1, 1)[:100],
            "given": message.component_of(name, 2)[:100], "birth_date": birth.date() if birth else None,
            "sex": _SEX.get(sex, "unknown")}


def _identifiers(message: Message) -> list[Identifier]:
    found = []
    for rep in message.repetitions("PID", 3):
        value = message.component_of(rep, 1)
        authority = message.component_of(rep, 4, 1) or message.component_of(rep, 4, 2)
        if value and authority:
            found.append(Identifier(value[:100], authority[:200], message.component_of(rep, 5) or None))
    return found


def _read_visit(message: Message, trigger: str, zone: tzinfo) -> _VisitPart:
    if not message.has("PV1"):
        raise Refusal("AE", "100", "the PV1 segment is missing; careloop applies visit events only", "PV1")
    patient_class = message.field("PV1", 2).upper()
    encounter_class = PATIENT_CLASSES.get(patient_class)
    if encounter_class is None and trigger in CREATING_TRIGGERS:
        raise Refusal("AE", "103", f"PV1-2 patient class {patient_class or '(empty)'!r} does not say whether "
                      "this is an inpatient, emergency, observation or outpatient visit", "PV1", 2)
    disposition, disposition_source = _disposition(message)
    return {"patient_class": patient_class, "encounter_class": encounter_class,
            "facility": _facility(message), "location": _location(message),
            "visit_number": message.field("PV1", 19)[:100] or None,
            "admission_type": message.field("PV1", 4)[:16] or None,
            "admitted_at": _timestamp(message, "PV1", 44, zone),
            "discharged_at": _timestamp(message, "PV1", 45, zone),
            "discharge_disposition": disposition, "discharge_disposition_source": disposition_source}


def _facility(message: Message) -> str | None:
    """PV1-3.4 (the location's facility), else PV1-39 (servicing facility), else MSH-4."""
    pl_facility = message.component_of(message.raw_field("PV1", 3), 4, 1)
    facility = pl_facility or message.field("PV1", 39) or _hd(message, message.raw_field("MSH", 4))
    return facility[:200] or None


def _location(message: Message) -> str | None:
    """PV1-3 point of care / room / bed, as a coordinator would say it ("4E 136-B")."""
    raw = message.raw_field("PV1", 3)
    parts = [message.component_of(raw, n, 1) for n in (1, 2, 3)]
    text = " ".join(p for p in parts if p)
    return text[:200] or None


def _disposition(message: Message) -> tuple[str | None, str | None]:
    """PV1-36 through the one table 0112/NUBC -> FHIR mapping (terminology/discharge.py). Free text where a
    code belongs (the samples carry "Admitted as Inpatient") is kept as sent, with no code."""
    raw = message.raw_field("PV1", 36)
    if not raw:
        return None, None
    code = message.component_of(raw, 1)
    mapped = nubc_to_hl7(code)
    if mapped is not None:
        return mapped, f"http://terminology.hl7.org/CodeSystem/v2-0112|{code}"
    return None, message.unescape(raw)[:80]


def _timestamp(message: Message, segment: str, number: int, zone: tzinfo) -> datetime | None:
    text = message.component(segment, number, 1)
    try:
        return parse_timestamp(text, zone)
    except ValueError:
        raise Refusal("AE", "102", f"{segment}-{number} {text!r} is not an HL7 date/time", segment,
                      number) from None


def _occurred_at(message: Message, zone: tzinfo) -> datetime:
    """EVN-6 (event occurred), else EVN-2 (recorded), else MSH-7 (message time)."""
    for segment, number in (("EVN", 6), ("EVN", 2), ("MSH", 7)):
        moment = _timestamp(message, segment, number, zone)
        if moment is not None:
            return moment
    raise Refusal("AE", "101", "no event time: EVN-6, EVN-2 and MSH-7 are all empty", "MSH", 7)
