"""Operator commands: `careloop worker` runs jobs; `careloop jobs` shows the queue and retries dead jobs."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from types import FrameType

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from careloop import db
from careloop.clock import utcnow
from careloop.config import get_settings
from careloop.jobs_registry import build_registry, ensure_schedules
from careloop.models.jobs import Job, JobStatus
from careloop.process_heap import freeze_startup_heap
from careloop.worker.runner import Worker

console = Console()
jobs_app = typer.Typer(no_args_is_help=True, help="The background job queue.")


def worker(
    worker_id: str = typer.Option("", "--id", help="name in the jobs table (default: host:pid)"),
    once: bool = typer.Option(False, "--once", help="run what is due now, then exit (for cron or a check)"),
) -> None:
    """Run background jobs until stopped (Ctrl+C or SIGTERM finish the job in hand first)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        console.print(f"{signal.Signals(signum).name}: finishing the job in hand, then stopping")
        stop.set()

    if not once:  # first: a stop asked for during start-up is honoured once the loop begins, not lost
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    if not once:
        db.long_running_writer()
    db.plan_each_execution()
    registry = build_registry()
    freeze_startup_heap()
    with db.unit_of_work() as session:
        ensure_schedules(session, registry)
    runner = Worker(registry, worker_id=worker_id or f"{socket.gethostname()}:{os.getpid()}",
                    poll_seconds=get_settings().worker_poll_seconds)
    if once:
        console.print(f"ran {runner.drain()} units of work")
        return
    runner.run_forever(stop)


@jobs_app.command("list")
def list_jobs(
    status: JobStatus | None = typer.Option(None, help="only jobs in this status"),
    limit: int = typer.Option(20, min=1, max=1000),
) -> None:
    """Counts per status, then the newest jobs (with their last error)."""
    with db.unit_of_work() as session:
        counts = dict(session.execute(select(Job.status, func.count()).group_by(Job.status)).tuples().all())
        query = select(Job).order_by(Job.id.desc()).limit(limit)
        jobs = session.scalars(query.where(Job.status == status) if status else query).all()
    console = Console()  # made per command: it reads the terminal's width (COLUMNS) when it is made
    console.print("  ".join(f"{s.value}: {counts.get(s, 0)}" for s in JobStatus))
    table = Table("id", "kind", "status", "attempts", "run at")
    # Folded, not cut to "…": on a narrow terminal the error is the column the operator came for.
    table.add_column("last error", overflow="fold")
    for job in jobs:
        table.add_row(str(job.id), job.kind, job.status.value, f"{job.attempts}/{job.max_attempts}",
                      job.run_at.isoformat(timespec="seconds"), (job.last_error or "")[:80])
    console.print(table)


@jobs_app.command("retry")
def retry(job_ids: list[int] = typer.Argument(None, help="job ids; none means every dead job")) -> None:
    """Give dead jobs a fresh set of attempts, to run now."""
    with db.unit_of_work() as session:
        query = select(Job).where(Job.status == JobStatus.dead)
        if job_ids:
            query = query.where(Job.id.in_(job_ids))
        jobs = session.scalars(query).all()
        missing = set(job_ids or []) - {job.id for job in jobs}
        if missing:
            console.print(f"[red]not dead jobs (or no such job): {sorted(missing)}; nothing changed[/]")
            raise typer.Exit(2)
        for job in jobs:
            job.status, job.attempts, job.run_at, job.finished_at = JobStatus.queued, 0, utcnow(), None
    console.print(f"queued {len(jobs)} job(s) again")
