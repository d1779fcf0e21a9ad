"""`careloop import PATH...`: load FHIR R4 Bundles and Bulk Data NDJSON, with a progress bar and a summary."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from careloop.errors import CareloopError
from careloop.integrations.fhir import reader
from careloop.integrations.fhir.importer import DEFAULT_SOURCE, ImportProgress, import_paths
from careloop.integrations.fhir.summary import ImportSummary

SHOWN = 20  # rejections and unresolved samples listed in full; the rest are counted


class _Rate(ProgressColumn):
    """Resources per second (the bar itself advances by bytes, which is what a run's length is known in)."""

    def render(self, task: Task) -> Text:
        resources = int(task.fields.get("resources", 0))
        elapsed = task.elapsed or 0.0
        rate = resources / elapsed if elapsed > 0 else 0.0
        return Text(f"{resources:,} resources  {rate:,.0f}/s", style="progress.data.speed")


def import_command(
    paths: list[Path] = typer.Argument(..., help="files or directories: .ndjson, .json, .gz, .zip"),
    source: str = typer.Option(DEFAULT_SOURCE, help="the system the data comes from (identity and references "
                                                   "are per source), e.g. synthea or epic-prod"),
    quiet: bool = typer.Option(False, "--quiet", help="no progress bar"),
) -> None:
    """Import FHIR R4 Bundles (transaction, collection) and Bulk Data NDJSON; again with the same files
    changes nothing."""
    console = Console()
    try:
        reader.plan(paths)  # a path that does not exist fails here, before the progress bar appears
        summary = _run(paths, source, console, quiet)
    except CareloopError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(2) from exc
    print_summary(summary, console)
    if summary.rejected_total:
        raise typer.Exit(1)


def _run(paths: list[Path], source: str, console: Console, quiet: bool) -> ImportSummary:
    if quiet:
        return import_paths(paths, source=source)
    columns = (TextColumn("importing"), BarColumn(), DownloadColumn(), _Rate(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("import", total=None, resources=0)

        def advance(state: ImportProgress) -> None:
            progress.update(task, completed=state.bytes_done, total=state.bytes_total, resources=state.resources)

        return import_paths(paths, source=source, progress=advance)


def print_summary(summary: ImportSummary, console: Console) -> None:
    table = Table(title=f"FHIR import from source {summary.source!r}", title_justify="left")
    for name in ("resource type", "read", "created", "updated", "unchanged", "rejected"):
        table.add_column(name, justify="left" if name == "resource type" else "right")
    for name, counts in sorted(summary.counts.items()):
        table.add_row(name, *(f"{n:,}" for n in (counts.read, counts.created, counts.updated, counts.unchanged,
                                                 counts.rejected)))
    totals = summary.totals
    table.add_row("total", *(f"{n:,}" for n in (totals.read, totals.created, totals.updated, totals.unchanged,
                                               totals.rejected)), style="bold")
    console.print(table)
    console.print(f"{totals.read:,} resources in {summary.seconds:.1f} s ({summary.rate:,.0f}/s); "
                  f"{summary.patients_touched:,} patients touched (one audit record each)")
    _print_lists(summary, console)


def _print_lists(summary: ImportSummary, console: Console) -> None:
    if summary.rejected_total:
        console.print(f"[red]rejected {summary.rejected_total:,}[/red] (file:line, type, why):")
        for rejection in summary.rejections[:SHOWN]:
            line = f"  {rejection.location}  {rejection.resource_type}  {rejection.reason}"
            console.print(line, markup=False, soft_wrap=True)
        if summary.rejected_total > SHOWN:
            console.print(f"  ... and {summary.rejected_total - SHOWN:,} more")
    if summary.stored_only:
        kept = ", ".join(f"{name} {n:,}" for name, n in sorted(summary.stored_only.items()))
        console.print(f"stored, not modelled by careloop (kept and served as FHIR): {kept}")
    for (rtype, reason), n in summary.unmapped.most_common():
        console.print(f"stored, not mapped: {rtype} {n:,}: {reason}", markup=False, soft_wrap=True)
    if summary.unmapped_snomed:
        console.print("SNOMED CT condition codes with no ICD-10-CM in careloop's map (code, display, count):")
        for (code, display), n in summary.unmapped_snomed.most_common():
            console.print(f"  {code}  {display}  {n:,}", markup=False, soft_wrap=True)
    if summary.unresolved:
        console.print("references not resolved (path -> target type: count), e.g.:")
        for (path, target), n in summary.unresolved.most_common():
            console.print(f"  {path} -> {target}: {n:,}", markup=False, soft_wrap=True)
        for sample in summary.unresolved_samples:
            console.print(f"  e.g. {sample}", markup=False, soft_wrap=True)
    for path, why in summary.skipped_files:
        console.print(f"skipped {path}: {why}", markup=False, soft_wrap=True)
