"""The patient page's four clinical lists read in one statement (careloop.patients.chart_lists): each keeps its
own filter, order and limit, and its fields come back with their own types."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from careloop import db
from careloop.clock import utcnow
from careloop.models import (
    Condition,
    Encounter,
    EncounterClass,
    EncounterStatus,
    MedicationRequest,
    MedicationRequestStatus,
    Observation,
)
from careloop.patients.chart_lists import RECENT_ENCOUNTERS, RECENT_OBSERVATIONS, chart_lists
from tests.factories import Personas


def _condition(pid: int, code: str, status: str, onset: date | None, category: str = "problem-list-item") -> Condition:
    return Condition(patient_id=pid, code_system="ICD10CM", code=code, icd10=code, display=f"condition {code}",
                     clinical_status=status, category=category, onset_date=onset, recorded_at=utcnow())


def test_each_list_keeps_its_filter_and_order(personas: Personas) -> None:
    pid, now = personas.patient_id, utcnow()
    with db.unit_of_work() as s:
        s.add_all([
            _condition(pid, "E119", "active", date(2015, 1, 1)),
            _condition(pid, "I10", "recurrence", date(2020, 6, 1)),
            _condition(pid, "J449", "resolved", date(2021, 1, 1)),  # not active: left out
            _condition(pid, "R05", "active", date(2022, 1, 1), category="encounter-diagnosis"),  # a visit's: left out
            MedicationRequest(patient_id=pid, rxnorm="860975", display="metformin 500 mg",
                              status=MedicationRequestStatus.active, authored_on=now, dosage_text="twice daily"),
            MedicationRequest(patient_id=pid, rxnorm="197361", display="amlodipine 5 mg",
                              status=MedicationRequestStatus.on_hold, authored_on=now),
            MedicationRequest(patient_id=pid, rxnorm="314076", display="lisinopril 10 mg",
                              status=MedicationRequestStatus.stopped, authored_on=now),  # not active: left out
        ])
    with db.unit_of_work() as s:
        lists = chart_lists(s, pid)
    assert [c.code for c in lists.conditions] == ["I10", "E119"]  # newest onset first
    assert lists.conditions[0].onset_date == date(2020, 6, 1) and lists.conditions[0].clinical_status == "recurrence"
    assert [m.display for m in lists.medications] == ["amlodipine 5 mg", "metformin 500 mg"]  # by name
    assert lists.medications[1].dosage_text == "twice daily" and lists.medications[0].status == "on-hold"
    assert lists.medications[1].authored_on == now and lists.medications[1].authored_on.tzinfo is not None
    assert lists.encounters == [] and lists.observations == []


def test_encounters_and_observations_are_the_most_recent_ones(personas: Personas) -> None:
    pid = personas.patient_id
    start = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    with db.unit_of_work() as s:
        s.add_all(Encounter(patient_id=pid, status=EncounterStatus.finished, class_code=EncounterClass.ambulatory,
                            period_start=start + timedelta(days=n), period_end=start + timedelta(days=n, hours=1),
                            facility=f"clinic {n}") for n in range(RECENT_ENCOUNTERS + 5))
        s.add_all(Observation(patient_id=pid, category="vital-signs", code=code, display=code,
                              effective_at=start + timedelta(days=n), value_num=120.5 + n, unit="mm[Hg]")
                  for n in range(RECENT_OBSERVATIONS // 2 + 5) for code in ("8480-6", "8462-4"))
        s.add(Observation(patient_id=pid, category="survey", code="44261-6", display="PHQ-9",
                          effective_at=start - timedelta(days=1), value_text="moderate"))
    with db.unit_of_work() as s:
        lists = chart_lists(s, pid)
    assert len(lists.encounters) == RECENT_ENCOUNTERS
    assert lists.encounters[0].facility == f"clinic {RECENT_ENCOUNTERS + 4}"  # the newest first
    assert lists.encounters[0].class_code == "AMB" and lists.encounters[0].status == "finished"
    assert lists.encounters[0].period_end == lists.encounters[0].period_start + timedelta(hours=1)
    assert len(lists.observations) == RECENT_OBSERVATIONS
    newest = lists.observations[:2]
    assert [o.code for o in newest] == ["8462-4", "8480-6"]  # same time: by code
    assert newest[0].value_num == 120.5 + RECENT_OBSERVATIONS // 2 + 4 and newest[0].value_text is None
    assert newest[0].effective_at.tzinfo is not None
    assert all(o.code != "44261-6" for o in lists.observations)  # the oldest one is past the limit
