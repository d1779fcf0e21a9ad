"""One population run: record it, stream the snapshot into DuckDB, run every definition, write the results
back and mark the run succeeded (or failed, with the error). Used by `careloop population run` and by the
nightly job; it opens its own transactions, because the write-back goes through ADBC, not the session."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from careloop import audit, db
from careloop.access import Actor
from careloop.clock import utcnow
from careloop.errors import InvalidInput
from careloop.models import PopulationRun, PopulationRunStatus
from careloop.population import catalog, engine, reference, snapshot, writeback
from careloop.worker import queue

REMOVE_SUPERSEDED_JOB = "population.remove_superseded"
# DuckDB's own limit, so a run on a large population spills to disk instead of exhausting memory.
DUCKDB_MEMORY_LIMIT = "2GB"


@dataclass
class Progress:
    """Callbacks for a progress display: `total` steps, `advance(label)` after each."""

    start: Callable[[int], Any] = lambda total: None
    advance: Callable[[str], Any] = lambda label: None


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    as_of: date
    read: dict[str, int] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)
    tiers: dict[str, int] = field(default_factory=dict)
    cohorts: dict[str, int] = field(default_factory=dict)


def run_population(actor: Actor, *, as_of: date | None = None, program: str = "default",
                   progress: Progress | None = None, database_url: str | None = None) -> RunSummary:
    progress = progress or Progress()
    if program not in reference.programs():
        raise InvalidInput(f"unknown program {program!r}; known: {', '.join(sorted(reference.programs()))}")
    params = engine.Parameters(as_of or utcnow().date(), program)
    definitions = catalog.load_definitions()
    url = database_url or str(db.engine().url.render_as_string(hide_password=False))
    run_id = _start(actor, params, definitions)
    progress.start(len(definitions) + 2)
    try:
        summary = _compute_and_write(url, run_id, params, definitions, progress)
    except BaseException as exc:
        _fail(run_id, exc)
        raise
    _finish(run_id, summary)
    return summary


def _compute_and_write(url: str, run_id: int, params: engine.Parameters,
                       definitions: tuple[catalog.Definition, ...], progress: Progress) -> RunSummary:
    with tempfile.TemporaryDirectory(prefix="careloop-population-") as tmp:
        folder = Path(tmp)
        # DuckDB spills beyond its memory limit into this run's own folder (by default it would use ./.tmp).
        con = duckdb.connect(config={"memory_limit": DUCKDB_MEMORY_LIMIT, "temp_directory": str(folder / "spill")})
        try:
            read = snapshot.load_snapshot(con, url, folder, as_of=params.as_of)
            progress.advance("snapshot read")
            engine.prepare(con, params)
            writer = writeback.ResultWriter(con, url, run_id, folder)
            try:
                written = _compute_writing_as_ready(con, writer, definitions, progress)
                progress.advance("written back")
                tiers = dict(con.execute("SELECT risk_tier, count(*) FROM patient_results GROUP BY 1").fetchall())
                cohorts = dict(con.execute("SELECT cohort, count(*) FROM cohort_members GROUP BY 1").fetchall())
            finally:
                writer.close()  # the writer's checkpoint, after the results became readable
        finally:
            con.close()
    return RunSummary(run_id, params.as_of, read, written, tiers, cohorts)


def _compute_writing_as_ready(con: duckdb.DuckDBPyConnection, writer: writeback.ResultWriter,
                              definitions: tuple[catalog.Definition, ...], progress: Progress) -> dict[str, int]:
    """Run every definition, handing each result table to the write-back as soon as it is complete."""
    try:
        engine.run_definitions(con, definitions, on_done=lambda d: progress.advance(d.name),
                               on_assembled=writer.table_ready)
        return writer.finish()
    except BaseException:
        writer.abort()
        raise


def _start(actor: Actor, params: engine.Parameters, definitions: tuple[catalog.Definition, ...]) -> int:
    with db.unit_of_work() as session:
        run = PopulationRun(status=PopulationRunStatus.running, as_of=params.as_of,
                            period_start=params.period_start, period_end=params.period_end,
                            program=params.program, definitions=catalog.versions(definitions),
                            started_at=utcnow(), requested_by=actor.username)
        session.add(run)
        session.flush()
        # A run reads every patient's record: one audit row names the run, not a million rows per night.
        audit.record(session, actor, "population.run", entity_type="population_run", entity_id=str(run.public_id))
        return run.id


def _finish(run_id: int, summary: RunSummary) -> None:
    with db.unit_of_work() as session:
        run = session.get(PopulationRun, run_id)
        if run is not None:
            run.counts = {"read": summary.read, "written": summary.written, "tiers": summary.tiers,
                          "cohorts": summary.cohorts}
        # The older runs' millions of rows go in the background: nobody reads them once this run has succeeded.
        queue.enqueue(session, REMOVE_SUPERSEDED_JOB, {"run_id": run_id}, key=f"{REMOVE_SUPERSEDED_JOB}:{run_id}")


def _fail(run_id: int, exc: BaseException) -> None:
    with db.unit_of_work() as session:
        run = session.get(PopulationRun, run_id)
        if run is not None and run.status is PopulationRunStatus.running:
            run.status = PopulationRunStatus.failed
            run.finished_at = utcnow()
            run.error = f"{type(exc).__name__}: {exc}"[:2000]
