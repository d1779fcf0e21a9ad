"""key_match: a batch of composite keys finds exactly its rows on both backends, across statements, and on SQLite
each key is a seek in the unique index, not a scan of the table (the HL7 feed's patient match per batch)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from careloop import db
from careloop.key_match import KEYS_PER_STATEMENT, key_matches
from careloop.models import PatientIdentifier
from tests.factories import make_patient

SYSTEM = "urn:careloop:test-mrn"


def _identifiers(count: int) -> int:
    with db.unit_of_work() as session:
        patient = make_patient(session)
        session.add_all(PatientIdentifier(patient_id=patient.id, system=SYSTEM, value=f"K{n:04d}", type_code="MR")
                        for n in range(count))
        session.flush()
        return patient.id


def test_keys_over_several_statements_find_exactly_their_rows() -> None:
    patient_id = _identifiers(KEYS_PER_STATEMENT + 50)
    wanted = [(SYSTEM, f"K{n:04d}") for n in range(0, KEYS_PER_STATEMENT + 50, 2)]
    keys = [*wanted, (SYSTEM, "absent"), ("urn:other", "K0000")]
    query = select(PatientIdentifier.system, PatientIdentifier.value, PatientIdentifier.patient_id)
    with db.unit_of_work() as session:
        clauses = key_matches(session, (PatientIdentifier.system, PatientIdentifier.value), keys)
        found = [tuple(row) for clause in clauses for row in session.execute(query.where(clause))]
        assert key_matches(session, (PatientIdentifier.system, PatientIdentifier.value), []) == []
    assert sorted(found) == sorted((system, value, patient_id) for system, value in wanted)


def test_on_sqlite_each_key_is_an_index_seek(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL keeps the row-value IN, which it plans as index scans per key itself")
    with db.unit_of_work() as session:
        [clause] = key_matches(session, (PatientIdentifier.system, PatientIdentifier.value),
                               [(SYSTEM, "K0001"), (SYSTEM, "K0002")])
        connection = session.connection()
        compiled: Any = select(PatientIdentifier.patient_id).where(clause).compile(dialect=connection.dialect)
        arguments = tuple(compiled.params[name] for name in compiled.positiontup)
        plan = " / ".join(str(row[-1]) for row in connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled.string}", arguments).all())
    assert "SCAN patient_identifiers" not in plan and "SEARCH patient_identifiers USING INDEX" in plan, plan
