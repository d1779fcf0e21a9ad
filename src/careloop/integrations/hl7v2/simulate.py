"""A simulated hospital: a realistic ADT stream about seeded patients, sent over MLLP.

The shape follows how a hospital's ADT feed reads: ED registrations (A04) that end in a discharge home or
an admission (A01 class E -> I), planned and emergency admissions (A01) with transfers (A02) and updates
(A08), discharges (A03) with a disposition from NUBC table 0112 (home, home health, SNF, rehab, hospice...),
occasional cancels (A11 admit, A12 transfer, A13 discharge) and readmissions within 30 days. Proportions are
illustrative, not epidemiology. The same seed gives the same stream.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from careloop import audit, db
from careloop.access import system_actor
from careloop.clock import utcnow
from careloop.integrations.hl7v2.client import MllpSender, Outgoing, SendReport
from careloop.integrations.hl7v2.compose import AdtFields, compose_adt
from careloop.models.careteam import CareTeamMember
from careloop.models.patient import Patient, PatientIdentifier
from careloop.synth.demographics import MRN_SYSTEM

# NUBC patient discharge status codes (table 0112 in US feeds) with illustrative weights.
DISPOSITIONS = (("01", 50), ("06", 20), ("03", 12), ("62", 5), ("50", 3), ("07", 3), ("02", 3), ("20", 2),
                ("65", 2))
UNITS = ("4E", "5W", "6N", "ICU", "CCU", "MED", "SURG")


@dataclass(frozen=True)
class SimPatient:
    mrn: str
    family: str
    given: str
    birth_date: date
    sex: str  # table 0001


def load_patients(session: Session, limit: int) -> list[SimPatient]:
    """Seeded patients with an MRN, those someone looks after first (so the demo's worklists fill up)."""
    followed = select(CareTeamMember.patient_id).where(CareTeamMember.user_id.is_not(None),
                                                       CareTeamMember.period_end.is_(None))
    query = (select(Patient, PatientIdentifier.value)
             .join(PatientIdentifier, PatientIdentifier.patient_id == Patient.id)
             .where(PatientIdentifier.system == MRN_SYSTEM, Patient.deceased_at.is_(None))
             .order_by(Patient.id.in_(followed).desc(), Patient.id).limit(limit))
    rows = session.execute(query).all()
    audit.record_list(session, system_actor("adt-simulator", channel="cli"), "hl7v2.simulate.read",
                      [p.id for p, _ in rows])
    return [SimPatient(mrn, p.family, p.given, p.birth_date, {"female": "F", "male": "M"}.get(p.gender, "U"))
            for p, mrn in rows]


class Hospital:
    """Generates events in time order from a queue of scheduled steps, one stay per patient at a time."""

    def __init__(self, patients: list[SimPatient], *, seed: int, start: datetime, facility: str = "CARELOOP-SIM",
                 run_id: str = "") -> None:
        if not patients:
            raise ValueError("the simulated hospital needs at least one patient with an MRN")
        self.random = random.Random(seed)
        self.patients = patients
        self.free = list(range(len(patients)))
        self.facility = facility
        self.run_id = run_id or f"{seed}"
        self.clock = start
        self.queue: list[tuple[datetime, int, str, int, str]] = []  # (when, tiebreak, step, patient, visit)
        self.order = 0
        self.sent = 0
        self.stays = 0

    def messages(self, count: int) -> Iterator[AdtFields]:
        while self.sent < count:
            if not self.queue or self.random.random() < 0.3:
                self._arrival()
            if not self.queue:
                continue
            when, _, step, index, visit = heapq.heappop(self.queue)
            self.clock = max(self.clock, when)
            yield from self._step(step, index, visit)

    def _schedule(self, after: timedelta, step: str, index: int, visit: str) -> None:
        self.order += 1
        heapq.heappush(self.queue, (self.clock + after, self.order, step, index, visit))

    def _arrival(self) -> None:
        if not self.free:
            return
        index = self.free.pop(self.random.randrange(len(self.free)))
        self.stays += 1
        visit = f"{self.run_id}-{self.stays}"
        self.clock += timedelta(minutes=self.random.randint(5, 40))
        self._schedule(timedelta(0), "ed" if self.random.random() < 0.45 else "admit", index, visit)

    def _step(self, step: str, index: int, visit: str) -> Iterator[AdtFields]:
        r = self.random
        if step == "ed":
            yield self._message("A04", index, visit, "E", location="ED^BAY" + str(r.randint(1, 20)))
            self._schedule(timedelta(hours=r.uniform(2, 8)), "ed_end", index, visit)
        elif step == "ed_end":
            if r.random() < 0.35:  # admitted from the ED
                yield self._message("A01", index, visit, "I", admission_type="E", location=self._bed())
                self._plan_stay(index, visit)
            else:
                yield self._message("A03", index, visit, "E", disposition="01", discharged=True)
                self._end(index)
        elif step == "admit":
            yield self._message("A01", index, visit, "I", admission_type=r.choice("EUR"), location=self._bed())
            if r.random() < 0.02:
                yield self._message("A11", index, visit, "I")
                self._end(index)
                return
            self._plan_stay(index, visit)
        else:
            yield from self._inpatient_step(step, index, visit)

    def _inpatient_step(self, step: str, index: int, visit: str) -> Iterator[AdtFields]:
        r = self.random
        if step == "transfer":
            yield self._message("A02", index, visit, "I", location=self._bed())
            if r.random() < 0.05:
                yield self._message("A12", index, visit, "I")
        elif step == "update":
            yield self._message("A08", index, visit, "I")
        elif step == "discharge":
            code = r.choices([c for c, _ in DISPOSITIONS], [w for _, w in DISPOSITIONS])[0]
            yield self._message("A03", index, visit, "I", disposition=code, discharged=True)
            if r.random() < 0.03:  # discharged in error: cancelled, then discharged again the next day
                yield self._message("A13", index, visit, "I")
                self._schedule(timedelta(days=1), "discharge", index, visit)
                return
            self._end(index, readmit=code != "20" and r.random() < 0.15)

    def _plan_stay(self, index: int, visit: str) -> None:
        r = self.random
        length = timedelta(hours=r.uniform(20, 24 * 8))
        if r.random() < 0.4:
            self._schedule(length * r.uniform(0.2, 0.8), "transfer", index, visit)
        if r.random() < 0.3:
            self._schedule(length * r.uniform(0.1, 0.9), "update", index, visit)
        self._schedule(length, "discharge", index, visit)

    def _end(self, index: int, *, readmit: bool = False) -> None:
        if readmit:  # back within 30 days: the readmission the pathways watch for
            self.stays += 1
            self._schedule(timedelta(days=self.random.uniform(2, 29)), "admit", index, f"{self.run_id}-{self.stays}")
        else:
            self.free.append(index)

    def _bed(self) -> str:
        r = self.random
        return f"{r.choice(UNITS)}^{r.randint(100, 450)}^{r.choice('AB')}^{self.facility}"

    def _message(self, trigger: str, index: int, visit: str, patient_class: str, *, location: str = "",
                 admission_type: str = "", disposition: str = "", discharged: bool = False) -> AdtFields:
        patient = self.patients[index]
        self.sent += 1
        fields = AdtFields(trigger=trigger, control_id=f"SIM{self.run_id}-{self.sent:08d}", occurred_at=self.clock,
                           mrn=patient.mrn, assigning_authority=MRN_SYSTEM, family=patient.family,
                           given=patient.given, birth_date=patient.birth_date, sex=patient.sex,
                           visit_number=visit, patient_class=patient_class, location=location,
                           admission_type=admission_type, sending_facility=self.facility)
        return replace(fields, disposition=disposition, discharged_at=self.clock if discharged else None)


def simulated_messages(patients: list[SimPatient], count: int, *, seed: int, now: datetime) -> list[Outgoing]:
    """`count` messages whose events end around `now` (about seven simulated minutes a message), with control
    ids unique to this run so a second run is not taken for resends of the first."""
    run_id = f"{int(now.timestamp()):x}"
    hospital = Hospital(patients, seed=seed, start=now - timedelta(minutes=7 * count), run_id=run_id)
    return [Outgoing(f.control_id, compose_adt(f)) for f in hospital.messages(count)]


async def simulate(host: str, port: int, *, rate: float, count: int, seed: int, patients: int) -> SendReport:
    with db.unit_of_work() as session:
        people = load_patients(session, patients)
    messages = simulated_messages(people, count, seed=seed, now=utcnow())
    return await MllpSender(host, port, rate=rate, window=50 if rate else 500).send_all(messages)
