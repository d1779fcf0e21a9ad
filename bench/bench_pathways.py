"""Pathway throughput: encounter events through the outbox and the worker into tasks, episodes and notices.

A hospital feed of N stays, five events each (admitted, updated, transferred, updated, discharged; 70% of the
discharges go home and start a TCM episode with three tasks and a notice, the rest go to a SNF), emitted into
the outbox in one transaction, then drained by one worker. Peers measured in the same run:

- the same worker draining the same number of events subscribed to a job that does nothing, batched alike
  (the worker's own ceiling: relay, claim, run, mark done); the ratio says how much of it the pathway work leaves;
- the engine called directly on the same events, 500 per transaction (no worker): the rules' own cost.

    .venv/bin/python -m bench.bench_pathways --stays 400 --backend sqlite
    .venv/bin/python -m bench.bench_pathways --stays 400 --backend postgresql
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench._common import fresh_database, print_table
from careloop import db
from careloop.clock import utcnow
from careloop.jobs_registry import PATHWAY_BATCH, build_registry
from careloop.models import (
    CareTeamMember,
    CareTeamRole,
    Encounter,
    EncounterClass,
    EncounterStatus,
    Patient,
    StaffRole,
    Task,
    User,
)
from careloop.pathways import engine
from careloop.worker import emit
from careloop.worker.registry import Registry
from careloop.worker.runner import Worker

KINDS = ("admitted", "updated", "transferred", "updated", "discharged")


def arrange(stays: int) -> list[tuple[int, int]]:
    """Patients with a nurse on their care team, and one inpatient stay each: (patient id, encounter id)."""
    now = utcnow()
    with db.unit_of_work() as s:
        nurse = User(username="nurse", display_name="Nurse", roles=[StaffRole.rn_care_manager.value])
        s.add(nurse)
        s.flush()
        pairs = []
        for i in range(stays):
            patient = Patient(family=f"Bench{i}", given="Pat", family_norm=f"bench{i}", given_norm="pat",
                              birth_date=(now - timedelta(days=365 * 70)).date(), gender="female")
            s.add(patient)
            s.flush()
            s.add(CareTeamMember(patient_id=patient.id, user_id=nurse.id, role=CareTeamRole.rn_care_manager,
                                 period_start=now))
            stay = Encounter(patient_id=patient.id, class_code=EncounterClass.inpatient, period_start=now,
                             status=EncounterStatus.in_progress, facility="Bench General")
            s.add(stay)
            s.flush()
            pairs.append((patient.id, stay.id))
    return pairs


def events(pairs: list[tuple[int, int]], prefix: str) -> list[tuple[str, dict[str, Any]]]:
    now, out = utcnow(), []
    for n, (patient_id, encounter_id) in enumerate(pairs):
        for k, kind in enumerate(KINDS):
            home = n % 10 < 7
            out.append((f"encounter.{kind}", {
                "event_key": f"{prefix}:{encounter_id}:{k}", "patient_id": patient_id, "encounter_id": encounter_id,
                "encounter_class": "inpatient", "facility": "Bench General", "location": f"W{k}",
                "occurred_at": (now - timedelta(hours=10 - k)).isoformat(), "admitted_at": now.isoformat(),
                "discharged_at": now.isoformat() if kind == "discharged" else None,
                "discharge_disposition": ("home" if home else "snf") if kind == "discharged" else None}))
    return out


def emit_all(batch: list[tuple[str, dict[str, Any]]], *, as_type: str | None = None) -> None:
    with db.unit_of_work() as s:
        for event_type, payload in batch:
            emit(s, as_type or event_type, payload)


def drain(registry: Registry) -> tuple[float, float]:
    """(wall seconds, this process's CPU seconds): on a shared machine the CPU figure is the steadier one."""
    db.plan_each_execution()  # as `careloop worker` does
    started, cpu = time.perf_counter(), time.process_time()
    Worker(registry, worker_id="bench", poll_seconds=0).drain(max_cycles=100_000)
    return time.perf_counter() - started, time.process_time() - cpu


def noop(session: Session, payload: Mapping[str, Any]) -> None:
    """The peer: a handler that does nothing, so only the worker's own work is timed."""


def direct(batch: list[tuple[str, dict[str, Any]]]) -> tuple[float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(batch), 500):
        with db.unit_of_work() as s:
            for event_type, payload in batch[i:i + 500]:
                engine.process(s, {**payload, "event_type": event_type})
    return time.perf_counter() - started, time.process_time() - cpu


def run(backend: str, stays: int) -> list[list[str]]:
    with fresh_database(backend):
        pairs = arrange(stays)
        total = stays * len(KINDS)
        peer = Registry()
        peer.job("bench.noop", noop, batch=PATHWAY_BATCH)
        peer.subscribe("bench.event", "bench.noop")
        emit_all(events(pairs, "noop"), as_type="bench.event")
        noop_s, noop_cpu = drain(peer)
        emit_all(events(pairs, "worker"))
        worker_s, worker_cpu = drain(build_registry())
        with db.unit_of_work() as s:
            tasks = s.scalar(select(func.count()).select_from(Task)) or 0
        direct_s, direct_cpu = direct(events(pairs, "direct"))
    rate, noop_rate, direct_rate = total / worker_s, total / noop_s, total / direct_s
    per_cpu, noop_per_cpu = total / worker_cpu, total / noop_cpu
    return [[backend, f"{total:,}", f"{tasks:,}", f"{worker_s:.1f}", f"{rate:,.0f}", f"{noop_rate:,.0f}",
             f"{rate / noop_rate:.2f}", f"{per_cpu:,.0f}", f"{noop_per_cpu:,.0f}", f"{total / direct_cpu:,.0f}",
             f"{direct_rate:,.0f}"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stays", type=int, default=400)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    rows = run(args.backend, args.stays)
    print_table(["backend", "events", "tasks made", "worker s", "events/s", "no-op peer events/s", "ratio",
                 "events per CPU-s", "no-op peer per CPU-s", "engine direct per CPU-s", "engine direct events/s"],
                rows)
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
