"""`careloop worker` and `careloop jobs`: the operator's view of background work, end to end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from careloop import db
from careloop.cli import app
from careloop.clock import utcnow
from careloop.models import Job, JobStatus, Notification, Patient, Schedule, Task, User
from careloop.worker import enqueue
from tests.factories import Personas, make_task

runner = CliRunner()


def test_worker_once_runs_the_overdue_sweep_and_notifies_the_owner(personas: Personas) -> None:
    with db.unit_of_work() as s:
        patient, cora = s.get(Patient, personas.patient_id), s.get(User, personas.coordinator_id)
        assert patient is not None and cora is not None
        task = make_task(s, patient, owner=cora, title="Call after discharge", due_in=timedelta(hours=-2))
        task_id = task.id
    result = runner.invoke(app, ["worker", "--once", "--id", "cli-test"])
    assert result.exit_code == 0, result.output
    with db.unit_of_work() as s:
        assert s.get(Task, task_id).overdue_notified_at is not None  # type: ignore[union-attr]
        notes = s.scalars(select(Notification).where(Notification.user_id == personas.coordinator_id)).all()
        assert [n.task_id for n in notes] == [task_id]
        assert {row.name for row in s.scalars(select(Schedule))} >= {"tasks.sweep_overdue"}


def test_jobs_list_shows_counts_and_the_last_error() -> None:
    with db.unit_of_work() as s:
        enqueue(s, "some.kind", {})
        s.add(Job(kind="broken.kind", payload={}, status=JobStatus.dead, run_at=utcnow(), attempts=8,
                  max_attempts=8, created_at=utcnow(), last_error="RuntimeError: the fax line is down"))
    result = runner.invoke(app, ["jobs", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "queued: 1" in result.output and "dead: 1" in result.output
    assert "the fax line is down" in result.output


def test_jobs_retry_requeues_dead_jobs_and_refuses_others_changing_nothing() -> None:
    with db.unit_of_work() as s:
        dead = Job(kind="broken.kind", payload={}, status=JobStatus.dead, run_at=utcnow(), attempts=8,
                   max_attempts=8, created_at=utcnow(), last_error="boom")
        s.add(dead)
        enqueue(s, "some.kind", {})
        s.flush()
        dead_id = dead.id
    refused = runner.invoke(app, ["jobs", "retry", str(dead_id), "999999"])
    assert refused.exit_code == 2
    assert "999999" in refused.output
    with db.unit_of_work() as s:
        assert s.get(Job, dead_id).status is JobStatus.dead  # type: ignore[union-attr]
    result = runner.invoke(app, ["jobs", "retry"])
    assert result.exit_code == 0, result.output
    with db.unit_of_work() as s:
        job = s.get(Job, dead_id)
        assert job is not None and (job.status, job.attempts) == (JobStatus.queued, 0)


def test_worker_process_stops_cleanly_on_sigterm(migrated: str) -> None:
    command = Path(sys.executable).with_name("careloop")
    env = {**os.environ, "CARELOOP_DATABASE_URL": migrated, "CARELOOP_WORKER_POLL_SECONDS": "0.1"}
    process = subprocess.Popen([str(command), "worker", "--id", "sigterm-test"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with db.unit_of_work() as s:
                if s.scalars(select(Schedule)).first() is not None:
                    break
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "SIGTERM" in output
