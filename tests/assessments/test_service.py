"""Service rules not seen through the API: the same-day task's due time, local score codes, a void."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from careloop import db
from careloop.assessments import service
from careloop.assessments.library import instruments
from careloop.assessments.schemas import EnteredInError, ResponseAmend, ResponseComplete, ResponseStart
from careloop.errors import Conflict
from careloop.models import FindingStatus, Patient, Task
from tests.assessments.helpers import phq9
from tests.factories import Personas


@pytest.mark.parametrize("key", sorted(instruments()))
def test_every_score_has_an_observation_code_that_fits(key: str) -> None:
    instrument = instruments()[key]
    for rule in instrument.scoring.scores:
        _, code = service.score_code(instrument, rule.key, rule.loinc)
        assert 0 < len(code) <= 16


def test_the_safety_task_is_due_at_the_end_of_the_practice_day(personas: Personas,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # 03:30 UTC on 2 Dec is still 1 Dec in New York: the task is due at 23:59 New York time on 1 Dec.
    monkeypatch.setattr(service, "utcnow", lambda: datetime(2026, 12, 2, 3, 30, tzinfo=UTC))
    monkeypatch.setenv("CARELOOP_TIMEZONE", "America/New_York")
    from careloop.config import get_settings

    get_settings.cache_clear()
    try:
        with db.unit_of_work() as s:
            cora = personas.actor(s, personas.coordinator_id)
            patient = s.get(Patient, personas.patient_id)
            assert patient is not None
            response = service.start(s, cora, patient.public_id, ResponseStart(instrument="phq-9"))
            service.complete(s, cora, response.public_id,
                             ResponseComplete(version=1, answers=phq9([0, 0, 0, 0, 0, 0, 0, 0, 3])))
            task = s.scalars(select(Task)).one()
            assert task.due_at == datetime(2026, 12, 2, 4, 59, tzinfo=UTC)
    finally:
        get_settings.cache_clear()


def test_a_voided_response_cannot_be_amended_and_its_findings_are_withdrawn(personas: Personas) -> None:
    with db.unit_of_work() as s:
        cora = personas.actor(s, personas.coordinator_id)
        patient = s.get(Patient, personas.patient_id)
        assert patient is not None
        response = service.start(s, cora, patient.public_id, ResponseStart(instrument="phq-9"))
        service.complete(s, cora, response.public_id, ResponseComplete(version=1, answers=phq9([3] * 4 + [0] * 5)))
        service.mark_entered_in_error(s, cora, response.public_id,
                                      EnteredInError(version=response.version, reason="wrong patient"))
        assert [f.status for f in service.view(s, response).findings] == [FindingStatus.withdrawn]
        with pytest.raises(Conflict, match="only a completed response can be amended"):
            service.amend(s, cora, response.public_id, ResponseAmend(version=response.version,
                                                                     answers=phq9([0] * 9)))
