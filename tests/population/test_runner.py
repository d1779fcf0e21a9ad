"""A population run against the real database (SQLite file or PostgreSQL schema): results written back with
the run's date and versions, the previous run replaced, a failed run recorded and harmless, the CLI and the
nightly job."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from careloop import db
from careloop.access import system_actor
from careloop.cli import app
from careloop.errors import InvalidInput
from careloop.jobs_registry import build_registry
from careloop.models import (
    AuditEvent,
    CareGap,
    Cohort,
    CohortMember,
    Patient,
    PatientResult,
    PopulationRun,
    PopulationRunStatus,
)
from careloop.population import catalog, engine
from careloop.population.jobs import REFRESH_JOB
from careloop.population.runner import run_population
from careloop.synth.generator import seed_population
from careloop.worker import enqueue
from careloop.worker.runner import Worker

AS_OF = date(2026, 3, 2)


@pytest.fixture
def population() -> int:
    seed_population(db.engine(), patients=300, seed=11, as_of=datetime(2026, 3, 2, tzinfo=UTC))
    with db.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(Patient).where(
            Patient.active.is_(True), Patient.deceased_at.is_(None))) or 0)


def _count(model: type, run_id: int) -> int:
    with db.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(model.run_id == run_id)) or 0)


def test_run_stores_every_patient_with_the_date_and_versions(population: int) -> None:
    summary = run_population(system_actor("cli", channel="cli"), as_of=AS_OF)
    with db.unit_of_work() as session:
        run = session.get(PopulationRun, summary.run_id)
        assert run is not None
        assert run.status is PopulationRunStatus.succeeded
        assert (run.as_of, run.period_start, run.period_end) == (AS_OF, date(2025, 3, 3), AS_OF)
        assert run.definitions == catalog.versions(catalog.load_definitions())
        assert run.finished_at is not None and run.counts is not None
        audit_row = session.scalars(select(AuditEvent).where(AuditEvent.action == "population.run")).one()
        assert audit_row.entity_id == str(run.public_id)
    assert _count(PatientResult, summary.run_id) == population
    assert _count(CareGap, summary.run_id) == summary.written["population_gaps"] > 0
    assert _count(CohortMember, summary.run_id) == sum(summary.cohorts.values())
    assert _count(Cohort, summary.run_id) == len([d for d in catalog.load_definitions() if d.kind == "cohort"])
    assert sum(summary.tiers.values()) == population


def test_gap_dates_and_evidence_read_back(population: int) -> None:
    summary = run_population(system_actor(), as_of=AS_OF)
    with db.unit_of_work() as session:
        gap = session.scalars(select(CareGap).where(CareGap.run_id == summary.run_id,
                                                    CareGap.event_date.is_not(None)).limit(1)).one()
        assert isinstance(gap.event_date, date) and gap.due_date > gap.event_date
        assert gap.evidence.startswith(("discharged", "ED visit"))


def test_second_run_replaces_the_first(population: int) -> None:
    first = run_population(system_actor(), as_of=AS_OF)
    second = run_population(system_actor(), as_of=AS_OF)
    assert _count(PatientResult, second.run_id) == population
    assert _count(PatientResult, first.run_id) == population  # readable until the worker removes it
    Worker(build_registry(), worker_id="test").run_once()
    assert _count(PatientResult, first.run_id) == 0
    assert _count(PatientResult, second.run_id) == population
    with db.unit_of_work() as session:
        statuses = session.scalars(select(PopulationRun.status).order_by(PopulationRun.id)).all()
    assert statuses == [PopulationRunStatus.succeeded, PopulationRunStatus.succeeded]


def test_failed_run_is_recorded_and_keeps_the_previous_results(population: int) -> None:
    good = run_population(system_actor(), as_of=AS_OF)
    with pytest.raises(Exception, match=r"failed to open|could not|does not exist"):
        run_population(system_actor(), as_of=AS_OF, database_url="sqlite:////nonexistent/careloop.db")
    with db.unit_of_work() as session:
        failed = session.scalars(select(PopulationRun).order_by(PopulationRun.id.desc()).limit(1)).one()
        assert failed.status is PopulationRunStatus.failed and failed.error
    assert _count(PatientResult, good.run_id) == population


def test_a_run_failing_after_its_gaps_were_handed_over_writes_nothing(population: int,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The gaps and cohorts go to the write-back before the last definitions run; if one of those fails, the
    write-back's transaction rolls back: no row of the failed run, the previous results untouched."""
    good = run_population(system_actor(), as_of=AS_OF)
    real_run = engine.run_definitions
    handed_over: list[str] = []

    def failing_late(con: object, definitions: tuple[catalog.Definition, ...], on_done: Any = None,
                     on_assembled: Any = None) -> None:
        def done(definition: catalog.Definition) -> None:
            if definition.name == "patient_results":
                raise RuntimeError("the summary could not be computed")
            on_done(definition)

        def assembled(table: str) -> None:
            handed_over.append(table)
            on_assembled(table)

        real_run(con, definitions, on_done=done, on_assembled=assembled)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "run_definitions", failing_late)
    with pytest.raises(RuntimeError, match="could not be computed"):
        run_population(system_actor(), as_of=AS_OF)
    assert set(handed_over) == {catalog.GAPS_TABLE, catalog.COHORT_TABLE}
    with db.unit_of_work() as session:
        failed = session.scalars(select(PopulationRun).order_by(PopulationRun.id.desc()).limit(1)).one()
        assert failed.status is PopulationRunStatus.failed
    assert _count(CareGap, failed.id) == _count(CohortMember, failed.id) == _count(PatientResult, failed.id) == 0
    assert _count(PatientResult, good.run_id) == population


def test_unknown_program_is_refused_before_anything_is_written() -> None:
    with pytest.raises(InvalidInput, match="unknown program"):
        run_population(system_actor(), program="no-such-program")
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(PopulationRun)) == 0


def test_cli_runs_and_reports(population: int) -> None:
    result = CliRunner().invoke(app, ["population", "run", "--as-of", "2026-03-02"])
    assert result.exit_code == 0, result.output
    assert "population_patient_results" in result.output and "tier high" in result.output


def test_cli_refuses_an_unknown_program() -> None:
    result = CliRunner().invoke(app, ["population", "run", "--program", "nope"])
    assert result.exit_code == 2
    assert "unknown program" in result.output


def test_nightly_refresh_is_scheduled_and_runs_in_the_worker(population: int) -> None:
    registry = build_registry()
    assert REFRESH_JOB in {spec.job_kind for spec in registry.schedules}
    with db.unit_of_work() as session:
        enqueue(session, REFRESH_JOB, {"as_of": "2026-03-02"}, key="test-refresh")
    Worker(registry, worker_id="test").drain()
    with db.unit_of_work() as session:
        run = session.scalars(select(PopulationRun)).one()
        assert run.status is PopulationRunStatus.succeeded and run.requested_by == "system"
