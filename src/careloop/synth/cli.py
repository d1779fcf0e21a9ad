"""`careloop seed`: fill the database named by CARELOOP_DATABASE_URL with a synthetic population."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from sqlalchemy import func, inspect, select

from careloop import db
from careloop.models import Patient
from careloop.synth import indexes
from careloop.synth.generator import PATIENT_TABLES, TABLES, PopulationExists, SeedSummary, seed_population
from careloop.synth.staff import DEMO_PASSWORD, DEMO_STAFF

console = Console()
err_console = Console(stderr=True)


class PatientRateColumn(ProgressColumn):
    """Patients written per second so far."""

    def render(self, task: Task) -> Text:
        elapsed = task.finished_time if task.finished else task.elapsed
        if not elapsed or not task.completed:
            return Text("… patients/s", style="progress.data.speed")
        return Text(f"{task.completed / elapsed:,.0f} patients/s", style="progress.data.speed")


def seed(
    patients: int = typer.Option(1000, "--patients", min=1, max=2_000_000, help="how many patients to generate"),
    seed: int = typer.Option(42, "--seed", help="random seed; the same seed on the same day gives the same rows"),
    append: bool = typer.Option(False, "--append", help="add to a database that already holds patients"),
    as_of: datetime | None = typer.Option(None, "--as-of", formats=["%Y-%m-%d"],
                                          help="the day the data is generated for (UTC); default today"),
) -> None:
    """Generate a deterministic synthetic population (patients, conditions, medicines, vitals and labs,
    encounters, care teams and tasks) and the staff who look after them."""
    engine = db.engine()
    if not inspect(engine).has_table("patients"):
        err_console.print("The database has no schema yet; run `careloop db upgrade` first.")
        raise typer.Exit(1)
    indexes.restore(engine, PATIENT_TABLES)  # even if refused below: a seed killed mid-load left some out
    existing = _patient_count()
    if existing and not append:
        _refuse(PopulationExists(existing))
    columns = (TextColumn("Seeding patients"), BarColumn(), MofNCompleteColumn(), PatientRateColumn(),
               TimeElapsedColumn())
    try:
        with Progress(*columns, console=console) as progress:
            bar = progress.add_task("seed", total=patients)
            summary = seed_population(engine, patients=patients, seed=seed, append=append,
                                      as_of=as_of.replace(tzinfo=UTC) if as_of else None,
                                      progress=lambda n: progress.advance(bar, n))
    except PopulationExists as exc:  # someone seeded between the check and the seed
        _refuse(exc)
    _print_summary(summary)


def _patient_count() -> int:
    with db.engine().connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Patient)) or 0)


def _refuse(exc: PopulationExists) -> NoReturn:
    """Exit 2, like a usage error: nothing was written."""
    err_console.print(f"Refused: {exc.message}")
    raise typer.Exit(2) from exc


def _print_summary(summary: SeedSummary) -> None:
    table = Table(title=f"Seeded in {summary.seconds:.1f} s (data as of {summary.as_of:%Y-%m-%d})")
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("rows/s", justify="right")
    for name in TABLES:
        count = summary.rows.get(name, 0)
        table.add_row(name, f"{count:,}", f"{count / summary.seconds:,.0f}")
    table.add_row("total", f"{summary.total_rows:,}", f"{summary.total_rows / summary.seconds:,.0f}", style="bold")
    console.print(table)
    console.print(f"{summary.patients / summary.seconds:,.0f} patients/s. Sign in as any of "
                  f"{', '.join(m.username for m in DEMO_STAFF)} with the password {DEMO_PASSWORD!r}.")
