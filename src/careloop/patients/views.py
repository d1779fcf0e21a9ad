"""What the panel and the patient page show, computed from services' results (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from careloop.careteams.repository import ActiveMember
from careloop.models import Encounter, Observation, Patient
from careloop.patients.chart_lists import EncounterRow, ObservationRow
from careloop.patients.repository import MRN_SYSTEM, PatientCard
from careloop.patients.schemas import EncounterBrief, PanelRow
from careloop.patients.service import age_on
from careloop.web.formatting import label

CONDITIONS_IN_PANEL = 3
# Encounter classes a coordinator must notice at a glance: acute care usually means a transition to follow up.
ACUTE = {"EMER": "badge-ed", "IMP": "badge-inpatient", "OBSENC": "badge-inpatient"}
# Common languages of US care coordination programmes; other BCP-47 codes are shown as they are.
LANGUAGES = {
    "en": "English", "es": "Spanish", "zh": "Chinese", "yue": "Cantonese", "cmn": "Mandarin", "vi": "Vietnamese",
    "ko": "Korean", "tl": "Tagalog", "ru": "Russian", "ar": "Arabic", "ht": "Haitian Creole", "fr": "French",
    "pt": "Portuguese", "pt-BR": "Portuguese (Brazil)", "pl": "Polish", "hi": "Hindi", "so": "Somali",
    "am": "Amharic", "fa": "Persian", "uk": "Ukrainian", "ja": "Japanese", "de": "German", "it": "Italian",
    "hmn": "Hmong", "ne": "Nepali", "sw": "Swahili", "bn": "Bengali", "pa": "Punjabi", "ur": "Urdu",
}
IDENTIFIER_TYPES = {"MR": "MRN", "MB": "Member ID", "SS": "SSN", "MA": "Medicaid ID", "MC": "Medicare ID"}


def language_name(code: str) -> str:
    name = LANGUAGES.get(code) or LANGUAGES.get(code.split("-")[0])
    return f"{name} ({code})" if name else code


@dataclass(frozen=True)
class EncounterLine:
    kind: str
    badge: str | None  # a css class when the encounter was acute care
    start: datetime
    end: datetime | None
    facility: str | None
    what: str | None
    status: str
    disposition: str | None


def encounter_line(e: Encounter | EncounterRow | EncounterBrief | None) -> EncounterLine | None:
    """A line of the patient page (an encounter's row) or of the panel (its brief)."""
    if e is None:
        return None
    if isinstance(e, EncounterBrief):
        start, end, what, disposition = e.start, e.end, e.type_display, None
    else:
        start, end, what = e.period_start, e.period_end, e.reason_display or e.type_display
        disposition = e.discharge_disposition
    code = str(e.class_code)  # EncounterClass is a StrEnum: str() is its code
    return EncounterLine(kind=label(code), badge=ACUTE.get(code), start=start, end=end, facility=e.facility,
                         what=what, status=label(e.status), disposition=label(disposition) if disposition else None)


@dataclass(frozen=True)
class PanelRowView:
    id: UUID
    name: str
    age: int
    sex: str
    birth_date: date
    mrn: str | None
    open_tasks: int
    overdue_tasks: int
    conditions: tuple[str, ...]
    more_conditions: int
    last: EncounterLine | None
    next: EncounterLine | None


def panel_row(row: PanelRow) -> PanelRowView:
    shown = tuple(row.active_conditions[:CONDITIONS_IN_PANEL])
    return PanelRowView(id=row.id, name=row.name, age=row.age, sex=label(row.gender), birth_date=row.birth_date,
                        mrn=row.mrn, open_tasks=row.open_tasks, overdue_tasks=row.overdue_tasks, conditions=shown,
                        more_conditions=len(row.active_conditions) - len(shown),
                        last=encounter_line(row.last_encounter), next=encounter_line(row.next_encounter))


@dataclass(frozen=True)
class Demographics:
    id: UUID
    name: str
    birth_date: date
    age: int
    sex: str
    mrn: str | None
    language: str
    interpreter_needed: bool
    deceased_at: datetime | None
    phone: str | None
    email: str | None
    address: str | None
    contact_method: str
    contact_notes: str | None
    identifiers: tuple[tuple[str, str], ...]  # (what, value)


def demographics(p: Patient | PatientCard, today: date) -> Demographics:
    address = ", ".join(part for part in (p.address_line, p.city, p.state, p.postal_code) if part) or None
    identifiers = tuple((IDENTIFIER_TYPES.get(i.type_code or "", i.type_code or i.system), i.value)
                        for i in p.identifiers)
    mrn = next((i.value for i in p.identifiers if i.system == MRN_SYSTEM), None)
    return Demographics(id=p.public_id, name=p.display_name, birth_date=p.birth_date, age=age_on(p.birth_date, today),
                        sex=label(p.gender), mrn=mrn, language=language_name(p.preferred_language),
                        interpreter_needed=p.interpreter_needed, deceased_at=p.deceased_at, phone=p.phone,
                        email=p.email, address=address, contact_method=label(p.contact_method),
                        contact_notes=p.contact_notes, identifiers=identifiers)


@dataclass(frozen=True)
class ObservationLine:
    at: datetime
    what: str
    value: str
    category: str


def observation_line(o: Observation | ObservationRow) -> ObservationLine:
    value = f"{o.value_num:g}" if o.value_num is not None else (o.value_text or "")
    return ObservationLine(at=o.effective_at, what=o.display, value=f"{value} {o.unit or ''}".strip(),
                           category=label(o.category))


@dataclass(frozen=True)
class MemberView:
    id: UUID
    name: str
    kind: str
    role: str
    contact: str | None
    since: datetime
    is_me: bool


def member_view(m: ActiveMember, my_user_id: int | None) -> MemberView:
    kind = "Staff" if m.user else "Team" if m.team else "Person"
    name = m.user.display_name if m.user else m.team.name if m.team else (m.member_name or "Unknown")
    return MemberView(id=m.public_id, name=name, kind=kind, role=label(m.role), contact=m.member_contact,
                      since=m.period_start, is_me=m.user_id is not None and m.user_id == my_user_id)
