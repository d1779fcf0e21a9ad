"""`careloop population run`: compute every score, gap, tier and cohort for the whole population now."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import inspect

from careloop import db
from careloop.access import system_actor
from careloop.errors import InvalidInput
from careloop.population import runner

app = typer.Typer(no_args_is_help=True, help="Population health: risk scores, care gaps, tiers and cohorts.")
console = Console()
err_console = Console(stderr=True)


@app.command("run")
def run_command(
    as_of: datetime | None = typer.Option(None, "--as-of", formats=["%Y-%m-%d"],
                                          help="the day to compute for (default today, UTC)"),
    program: str = typer.Option("default", help="the program whose risk-tier thresholds apply"),
) -> None:
    """Run every definition over a snapshot of the database and store the results with the run's date and
    definition versions (replacing the previous run's results)."""
    if not inspect(db.engine()).has_table("population_runs"):
        err_console.print("The database has no population tables yet; run `careloop db upgrade` first.")
        raise typer.Exit(1)
    columns = (TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console) as progress:
            bar = progress.add_task("population run", total=None)
            summary = runner.run_population(
                system_actor("cli", channel="cli"), as_of=as_of.date() if as_of else None, program=program,
                progress=runner.Progress(
                    start=lambda total: progress.update(bar, total=total),
                    advance=lambda label: progress.update(bar, advance=1, description=label)))
    except InvalidInput as exc:
        err_console.print(f"Refused: {exc.message}")
        raise typer.Exit(2) from exc
    _print_summary(summary)


def _print_summary(summary: runner.RunSummary) -> None:
    table = Table(title=f"Population run {summary.run_id} as of {summary.as_of:%Y-%m-%d}")
    table.add_column("what")
    table.add_column("rows", justify="right")
    for name, count in {**summary.read, **summary.written}.items():
        table.add_row(name, f"{count:,}")
    for tier, count in sorted(summary.tiers.items()):
        table.add_row(f"tier {tier}", f"{count:,}")
    for cohort, count in sorted(summary.cohorts.items()):
        table.add_row(f"cohort {cohort}", f"{count:,}")
    console.print(table)
