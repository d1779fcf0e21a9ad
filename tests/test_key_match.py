"""KeyLookup: a batch of composite keys finds exactly its rows on both backends (on SQLite across statements of
several sizes, on PostgreSQL as arrays in one), and on SQLite each key is a seek in the unique index, not a scan of
the table (the HL7 feed's patient match)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from careloop import db
from careloop.db import MULTI_ROW_MAX
from careloop.key_match import KeyLookup
from careloop.models import PatientIdentifier
from tests.factories import make_patient

SYSTEM = "urn:careloop:test-mrn"
OWNERS = KeyLookup(select(PatientIdentifier.system, PatientIdentifier.value, PatientIdentifier.patient_id),
                   (PatientIdentifier.system, PatientIdentifier.value))


def _identifiers(count: int) -> int:
    with db.unit_of_work() as session:
        patient = make_patient(session)
        session.add_all(PatientIdentifier(patient_id=patient.id, system=SYSTEM, value=f"K{n:04d}", type_code="MR")
                        for n in range(count))
        session.flush()
        return patient.id


def test_keys_over_several_statements_find_exactly_their_rows() -> None:
    patient_id = _identifiers(2 * MULTI_ROW_MAX + 40)
    wanted = [(SYSTEM, f"K{n:04d}") for n in range(0, 2 * MULTI_ROW_MAX + 40, 2)]  # 84 keys: 64 + 16 + 4
    keys = [*wanted, (SYSTEM, "absent"), ("urn:other", "K0000")]
    with db.unit_of_work() as session:
        found = OWNERS.rows(session, keys)
        assert OWNERS.rows(session, []) == []
    assert sorted(found) == sorted((system, value, patient_id) for system, value in wanted)


def test_on_sqlite_each_key_is_an_index_seek(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the index choice under test is SQLite's (PostgreSQL takes the keys as arrays)")
    with db.unit_of_work() as session:
        connection = session.connection()
        compiled: Any = OWNERS._read(2).statement.compile(dialect=connection.dialect)
        arguments = tuple("x" for _ in compiled.positiontup)
        plan = " / ".join(str(row[-1]) for row in connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled.string}", arguments).all())
    assert "SCAN patient_identifiers" not in plan and "SEARCH patient_identifiers USING INDEX" in plan, plan


def test_keys_whose_column_stores_an_enum_by_value(personas: Any) -> None:
    """A key part that is an enum member is looked up by its stored value on both backends (PostgreSQL's arrays
    are built from the column's own bind processing)."""
    from careloop.clock import utcnow
    from careloop.models import Encounter, EncounterClass, EncounterStatus
    by_class = KeyLookup(select(Encounter.id), (Encounter.patient_id, Encounter.class_code))
    with db.unit_of_work() as session:
        encounter = Encounter(patient_id=personas.patient_id, status=EncounterStatus.finished,
                              class_code=EncounterClass.inpatient, period_start=utcnow())
        session.add(encounter)
        session.flush()
        assert by_class.rows(session, [(personas.patient_id, EncounterClass.inpatient)]) == [(encounter.id,)]
        assert by_class.rows(session, [(personas.patient_id, EncounterClass.emergency)]) == []
