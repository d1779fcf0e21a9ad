"""Answers for the assessment tests, built from the instrument library so they track the data files."""

from __future__ import annotations

from uuid import UUID

from careloop import db
from careloop.assessments import service as assessments
from careloop.assessments.library import get_instrument
from careloop.assessments.schemas import ResponseComplete, ResponseStart
from careloop.models import Patient, User
from tests.factories import Personas

FREQ = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]  # Not at all 0 .. Nearly every day 3
PHQ9 = ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"]


def phq9(values: list[int]) -> dict[str, list[str]]:
    return {link_id: [FREQ[v]] for link_id, v in zip(PHQ9, values, strict=True)}


def first_options(instrument_key: str, **chosen: str) -> dict[str, list[str]]:
    """Every item answered with its first option, except the ones given (linkId=code, '-' for '_')."""
    given = {k.replace("_", "-"): v for k, v in chosen.items()}
    return {i.link_id: [given.get(i.link_id, i.options[0].code)] for i in get_instrument(instrument_key).items}


def patient_uuid(patient_id: int) -> str:
    with db.unit_of_work() as s:
        patient = s.get(Patient, patient_id)
        assert patient is not None
        return str(patient.public_id)


def user_uuid(user_id: int) -> str:
    with db.unit_of_work() as s:
        user = s.get(User, user_id)
        assert user is not None
        return str(user.public_id)


def assessment_ids(personas: Personas) -> dict[str, UUID]:
    """A PHQ-9 of 12 completed by the coordinator, with its proposed depression finding (for the route walks)."""
    with db.unit_of_work() as s:
        cora = personas.actor(s, personas.coordinator_id)
        patient = s.get(Patient, personas.patient_id)
        assert patient is not None
        response = assessments.start(s, cora, patient.public_id, ResponseStart(instrument="phq-9"))
        answers = phq9([3] * 4 + [0] * 5)
        assessments.complete(s, cora, response.public_id, ResponseComplete(version=1, answers=answers))
        finding = assessments.view(s, response).findings[0]
        return {"response_id": response.public_id, "finding_id": finding.public_id}
