"""Seed benchmark: `seed_population` into a fresh database, and a naive ORM peer measured in the same run.

The peer writes the same generated rows the way service code creates records: one ORM object at a time,
session.add() then flush(), committed at the end, for a small sample of patients; its time per patient is
extrapolated to the full population. The ratio says what bulk writing (executemany on SQLite, COPY on
PostgreSQL, keys assigned in numpy) buys over that.

    .venv/bin/python -m bench.bench_seed --patients 100000 --backend sqlite
    .venv/bin/python -m bench.bench_seed --patients 100000 --backend postgresql
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench._common import RESULTS, fresh_database, peak_rss_mb, print_table
from careloop import db
from careloop.access import load_actor, visible_patient_ids
from careloop.models import Base, Patient
from careloop.synth.frames import Frame, python_rows
from careloop.synth.generator import (
    PATIENT_TABLES,
    STAFF_TABLES,
    SeedSummary,
    chunk_rng,
    generate_chunk,
    plan_in_memory,
    seed_population,
    today_utc,
)
from careloop.synth.writer import complete
from careloop.tasks import service as tasks_service
from careloop.tasks.schemas import DueWindow, WorklistFilter
from careloop.users import repository as users_repo


def coordinator_view() -> dict[str, float]:
    """What the demo coordinator sees after the seed: the size of their panel and worklist."""
    with db.unit_of_work() as session:
        user = users_repo.by_username(session, "coordinator")
        assert user is not None, "the seed made no coordinator"
        actor = load_actor(session, user, channel="api")
        panel = session.scalar(select(func.count(func.distinct(Patient.id)))
                               .where(Patient.id.in_(visible_patient_ids(actor)))) or 0
        _, open_tasks = tasks_service.worklist(session, actor, WorklistFilter(size=1))
        _, overdue = tasks_service.worklist(session, actor, WorklistFilter(size=1, due=DueWindow.overdue))
    return {"panel": panel, "open_tasks": open_tasks, "overdue": overdue}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_bulk(backend: str, patients: int, seed: int) -> tuple[SeedSummary, float, dict[str, float]]:
    with fresh_database(backend):
        cpu_before = cpu_seconds()
        done = [0]
        started = time.perf_counter()

        def report(n: int) -> None:
            done[0] += n
            rate = done[0] / (time.perf_counter() - started)
            print(f"\r  {done[0]:>9,} patients  {rate:>8,.0f}/s", end="", flush=True)

        summary = seed_population(db.engine(), patients=patients, seed=seed, progress=report)
        cpu = cpu_seconds() - cpu_before
        print()
        return summary, peak_rss_mb(), {**coordinator_view(), "cpu": cpu}


def _models() -> dict[str, type[Any]]:
    return {mapper.class_.__tablename__: mapper.class_ for mapper in Base.registry.mappers}


def _add_one_at_a_time(session: Session, table: str, frame: Frame, model: type[Any]) -> None:
    for row in python_rows(Base.metadata.tables[table], complete(table, frame)):
        session.add(model(**row))
        session.flush()


def run_orm_peer(backend: str, patients: int, seed: int) -> float:
    """Seconds per patient for ORM writes of the same generated rows (generation not counted)."""
    as_of = today_utc()
    plan, allocator = plan_in_memory(seed, patients, as_of)
    frames = generate_chunk(chunk_rng(seed, 1, 0), patients, int(as_of.timestamp()), plan.pools, allocator)
    staff = {"users": plan.users, "teams": plan.teams, "team_memberships": plan.team_memberships}
    models = _models()
    with fresh_database(backend), db.session_factory()() as session:
        for table in STAFF_TABLES:
            _add_one_at_a_time(session, table, staff[table], models[table])
        session.commit()
        started = time.perf_counter()
        for table in PATIENT_TABLES:
            _add_one_at_a_time(session, table, frames[table], models[table])
        session.commit()
        return (time.perf_counter() - started) / patients


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--peer-patients", type=int, default=2000, help="sample size for the naive ORM peer")
    args = parser.parse_args()

    print(f"bulk seed of {args.patients:,} patients on {args.backend} ({os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f})")
    summary, rss, view = run_bulk(args.backend, args.patients, args.seed)
    print(f"naive ORM peer on {args.peer_patients:,} patients ...")
    per_patient = run_orm_peer(args.backend, args.peer_patients, args.seed)
    report(args, summary, rss, per_patient, view)


def report(args: argparse.Namespace, summary: SeedSummary, rss: float, per_patient: float,
           view: dict[str, float]) -> None:
    seconds = summary.seconds
    peer_seconds = per_patient * args.patients
    print(f"\n{args.backend}, {summary.patients:,} patients in {seconds:.1f} s: "
          f"{summary.patients / seconds:,.0f} patients/s, {summary.total_rows:,} rows, "
          f"{summary.total_rows / seconds:,.0f} rows/s, peak RSS {rss:,.0f} MB")
    # Other work on a shared machine stretches the wall time; the CPU this process used does not move as much
    # (on PostgreSQL the server's own CPU comes on top).
    print(f"CPU used by this process: {view['cpu']:.1f} s; load average now {os.getloadavg()[0]:.2f}")
    print_table(["table", "rows", "rows/s"],
                [[name, f"{count:,}", f"{count / seconds:,.0f}"] for name, count in summary.rows.items()])
    print(f"\npeer: naive ORM (add + flush per row) {1 / per_patient:,.0f} patients/s, "
          f"{peer_seconds:,.0f} s extrapolated to {args.patients:,}; bulk is {peer_seconds / seconds:.1f}x faster")
    print(f"coordinator: panel of {view['panel']:,.0f} patients, {view['open_tasks']:,.0f} open tasks on the "
          f"worklist, {view['overdue']:,.0f} overdue")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"seed-{args.backend}-{args.patients}.json"
    out.write_text(json.dumps({
        "args": vars(args), "at": datetime.now().astimezone().isoformat(), "seconds": seconds,
        "rows": summary.rows, "patients_per_second": summary.patients / seconds,
        "rows_per_second": summary.total_rows / seconds, "peak_rss_mb": rss,
        "peer_seconds_per_patient": per_patient, "peer_extrapolated_seconds": peer_seconds,
        "ratio": peer_seconds / seconds, "coordinator": view,
        "load_average_after": os.getloadavg(),
    }, indent=2))


if __name__ == "__main__":
    main()
