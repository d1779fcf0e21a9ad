"""ADT feed benchmark: end to end over MLLP (received -> checked -> stored, committed -> ACK), messages/s and
p50/p99 latency, on SQLite and PostgreSQL; then how fast the worker applies what was stored.

The listener runs as its own process (`careloop mllp`), as in production; the sender is careloop's MLLP
client with several pipelined connections. The peer, measured in the same run with the same sender: the
asyncio MLLP server of python-hl7 (the `hl7` package), which parses each message and answers its
`create_ack()` without storing anything, so the ratio says what durability (a committed row before every AA)
costs against a Python MLLP server that does no work at all.

    .venv/bin/python -m bench.bench_adt --messages 20000 --backend sqlite
    .venv/bin/python -m bench.bench_adt --messages 20000 --backend postgresql

`--with-worker` runs a `careloop worker` process beside the listener from the start, as deployed, and times
the whole: from the first message sent until every message is applied and every job its events started
(the pathway work: episodes, tasks, notices) is done. Its rate is what the two cores sustain end to end; the
intake's own rate is printed beside it, and the CPU seconds each process used: the sender (this process, while it
sends), the listener (from its start to its exit) and the worker(s), before the first message (start-up and the
first run of every schedule) and from then to their exit (the feed's); on PostgreSQL the server's own CPU is in
none of them.

    .venv/bin/python -m bench.bench_adt --with-worker --messages 10000 --backend sqlite

With `--rate N` the sender offers N messages a second in all, steadily, instead of as fast as ACKs come back: a
hospital's feed at that rate. The worker keeps up if the work is all done soon after the last ACK (a batch or two),
however long the run; a worker that falls behind ends the run with a backlog that grows with its length, which the
seconds from the last ACK to all work done show. ACK latency is then the latency at that load:

    .venv/bin/python -m bench.bench_adt --with-worker --rate 2000 --messages 60000 --backend sqlite

The stays go round 500 patients, a stay every ten days, so each patient has a stay in every 1,500 messages: the
history a patient's events read back (earlier stays, episodes, readmission links) grows with the run, as for a
patient admitted every ten days. `--patients N` spreads the same messages over N patients.

`--apply-only` leaves MLLP out: the messages are stored as the listener stores them (`store_batch`) and one
worker whose only job is `hl7v2.apply` is timed applying them, in messages per CPU-second of this process
(steadier than wall time on a shared machine; on PostgreSQL the server's own CPU is not in it) and per second:

    .venv/bin/python -m bench.bench_adt --apply-only --messages 2000 --apply-sample 2000 --backend sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO

from sqlalchemy import func, select

from bench._common import fresh_database, print_table
from careloop import db, event_loop
from careloop.clock import utcnow
from careloop.integrations.hl7v2.apply import apply_pending
from careloop.integrations.hl7v2.client import MllpSender, Outgoing, SendReport
from careloop.integrations.hl7v2.compose import AdtFields, compose_adt
from careloop.integrations.hl7v2.intake import receive
from careloop.integrations.hl7v2.store import APPLY_JOB, store_batch
from careloop.jobs_registry import build_registry
from careloop.models import Hl7Message, Hl7MessageStatus, Patient, PatientIdentifier, Task, TransitionEpisode
from careloop.models.jobs import Job, JobStatus, OutboxEvent
from careloop.turn_report import TOTALS_PREFIX
from careloop.worker.registry import Registry
from careloop.worker.runner import Worker

PATIENTS = 500
PEER_SERVER = """
import asyncio, sys
import hl7.mllp

async def handle(reader, writer):
    try:
        while not writer.is_closing():
            message = await reader.readmessage()
            writer.writemessage(message.create_ack())
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    writer.close()

async def main(port):
    async with await hl7.mllp.start_hl7_server(handle, host="127.0.0.1", port=port) as server:
        await server.serve_forever()

asyncio.run(main(int(sys.argv[1])))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the server did not start listening")


def messages(count: int, patients: int = PATIENTS) -> list[Outgoing]:
    """Admit, transfer, discharge round robin over the patients; each stay its own visit, a stay every ten days."""
    start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    steps = ("A01", "A02", "A03")
    out = []
    for n in range(count):
        patient, stay, step = n % patients, n // (patients * 3), steps[(n // patients) % 3]
        at = start + timedelta(days=stay * 10, hours=(n // patients) % 3)
        fields = AdtFields(trigger=step, control_id=f"B{n:08d}", occurred_at=at, mrn=f"BENCH{patient:05d}",
                           assigning_authority="urn:careloop:mrn", family="Bench", given=f"P{patient}",
                           birth_date=date(1950, 1, 1), sex="F", visit_number=f"V{patient}-{stay}",
                           patient_class="I", location=f"W{step}^1^A^GHH", admission_type="E", admitted_at=at,
                           discharged_at=at if step == "A03" else None, disposition="01" if step == "A03" else "")
        out.append(Outgoing(fields.control_id, compose_adt(fields)))
    return out


def seed_patients(patients: int = PATIENTS) -> None:
    with db.unit_of_work() as session:
        for n in range(patients):
            patient = Patient(family="Bench", given=f"P{n}", family_norm="bench", given_norm=f"p{n}",
                              birth_date=date(1950, 1, 1), gender="female")
            session.add(patient)
            session.flush()
            session.add(PatientIdentifier(patient_id=patient.id, system="urn:careloop:mrn",
                                          value=f"BENCH{n:05d}", type_code="MR"))


async def send(port: int, batch: Sequence[Outgoing], connections: int, window: int, rate: float = 0.0) -> SendReport:
    """Over `connections` at once; `rate` messages a second in all (0: as fast as the ACKs allow)."""
    chunks = [batch[i::connections] for i in range(connections)]
    reports = [SendReport() for _ in chunks]
    started = time.perf_counter()
    await asyncio.gather(*(MllpSender("127.0.0.1", port, window=window, rate=rate / connections).send_all(c, r)
                           for c, r in zip(chunks, reports, strict=True)))
    total = SendReport(elapsed=time.perf_counter() - started)
    for report in reports:
        total.acks.update(report.acks)
        total.latencies.extend(report.latencies)
        total.sends += report.sends
    return total


@contextmanager
def serving(command: list[str], env: dict[str, str], port: int, log: IO[bytes] | None = None) -> Iterator[None]:
    """The server process, from the moment it listens until it is stopped (SIGTERM: it stores what it holds)."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log or subprocess.DEVNULL)
    try:
        wait_for_port(port, process)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def run_server(command: list[str], env: dict[str, str], port: int, batch: Sequence[Outgoing], connections: int,
               window: int) -> SendReport:
    with serving(command, env, port):
        return event_loop.run(send(port, batch, connections, window))


def figures(name: str, report: SendReport, count: int) -> list[str]:
    latencies = sorted(report.latencies)
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    codes = {c: list(report.acks.values()).count(c) for c in set(report.acks.values())}
    assert len(report.acks) == count and codes == {"AA": count}, codes
    return [name, f"{count / report.elapsed:,.0f}", f"{p50:.1f}", f"{p99:.1f}", f"{report.elapsed:.1f}"]


def careloop_run(backend: str, batch: Sequence[Outgoing], connections: int, window: int,
                 apply_sample: int) -> tuple[list[str], str]:
    with fresh_database(backend) as url:
        seed_patients()
        port = free_port()
        command = [sys.executable, "-c", "from careloop.cli import main; main()", "mllp", "--port", str(port)]
        report = run_server(command, {**os.environ, "CARELOOP_DATABASE_URL": url}, port, batch, connections,
                            window)
        row = figures(f"careloop mllp ({backend})", report, len(batch))
        with db.unit_of_work() as session:
            stored = session.scalar(select(func.count()).select_from(Hl7Message))
        assert stored == len(batch), f"{stored} stored of {len(batch)}"
        applied, apply_seconds = time_apply(apply_sample)
        return row, f"worker apply ({backend}): {applied:,} messages in {apply_seconds:.1f} s = " \
                    f"{applied / apply_seconds:,.0f} messages/s (encounter, history, outbox event, audit each)"


def with_worker_run(backend: str, batch: Sequence[Outgoing], connections: int, window: int,
                    rate: float = 0.0, worker_count: int = 1, patients: int = PATIENTS) -> list[str]:
    """The listener and one worker process at once; seconds until the last ACK and until all work is done."""
    with fresh_database(backend) as url, ExitStack() as logs:
        seed_patients(patients)
        env = {**os.environ, "CARELOOP_DATABASE_URL": url, "CARELOOP_WORKER_POLL_SECONDS": "0.05"}
        cli = [sys.executable, "-c", "from careloop.cli import main; main()"]
        worker_logs = [logs.enter_context(tempfile.TemporaryFile()) for _ in range(worker_count)]
        listener_log = logs.enter_context(tempfile.TemporaryFile())
        workers = [subprocess.Popen([*cli, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=log)
                   for log in worker_logs]
        cpu = ChildrenCpu()
        try:
            # A new worker runs every schedule once at start (the population refresh, statistics, sweeps): let it
            # finish them first, so the run measures the feed's work, as on a worker that has been up a while.
            wait_for_schedules(timeout=120)
            wait_until_worked(0, timeout=600)
            port = free_port()
            workers_start_up = sum(running_cpu_seconds(worker.pid) for worker in workers)
            with serving([*cli, "mllp", "--port", str(port)], env, port, listener_log):
                started = time.perf_counter()  # the first message sent: the listener is up, as in production
                sender_cpu = time.process_time()
                report = event_loop.run(send(port, batch, connections, window, rate))
                sender_cpu = time.process_time() - sender_cpu
                all_done = wait_until_worked(len(batch), timeout=600) - started
            listener_cpu = cpu.since_last()
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                worker.wait(timeout=60)
        workers_cpu = cpu.since_last()
        latency = figures(f"careloop mllp ({backend})", report, len(batch))  # checks that every message got an AA
        with db.unit_of_work() as session:
            tasks = session.scalar(select(func.count()).select_from(Task)) or 0
            episodes = session.scalar(select(func.count()).select_from(TransitionEpisode)) or 0
        turns = turn_figures(sum(turn_held_seconds(log) for log in worker_logs), turn_held_seconds(listener_log),
                             all_done)
    return [backend, f"{len(batch):,}", f"{rate:,.0f}" if rate else "as fast as ACKs",
            f"{len(batch) / report.elapsed:,.0f}", latency[2], latency[3], f"{report.elapsed:.1f}",
            f"{all_done:.1f}", f"{all_done - report.elapsed:.1f}", f"{len(batch) / all_done:,.0f}", f"{episodes:,}",
            f"{tasks:,}", *turns, f"{sender_cpu:.1f}", f"{listener_cpu:.1f}", f"{workers_start_up:.1f}",
            f"{workers_cpu - workers_start_up:.1f}", f"{(workers_cpu - workers_start_up) * 1000 / len(batch):.2f}"]


def running_cpu_seconds(pid: int) -> float:
    """CPU seconds a running process has used so far (Linux's /proc; 0 where there is none)."""
    try:
        after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(after_name[11]) + int(after_name[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime: fields 14, 15


class ChildrenCpu:
    """CPU seconds of the child processes that have exited since the last call (the listener once it is stopped,
    then the workers), start-up included."""

    def __init__(self) -> None:
        self._last = self._now()

    def since_last(self) -> float:
        now = self._now()
        spent, self._last = now - self._last, now
        return spent

    @staticmethod
    def _now() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime


def turn_held_seconds(log: IO[bytes]) -> float:
    """The seconds a server process held SQLite's writer turn, from the totals it logs at exit (turn_report.py);
    0 on PostgreSQL, where it logs none."""
    log.seek(0)
    for line in reversed(log.read().decode(errors="replace").splitlines()):
        if TOTALS_PREFIX in line:
            return float(line.split(TOTALS_PREFIX, 1)[1].split("held ", 1)[1].split(" s", 1)[0])
    return 0.0


def turn_figures(workers_held: float, listener_held: float, all_done: float) -> list[str]:
    """Seconds the worker(s) and the listener held SQLite's one writer turn over the whole run (start-up included),
    and their sum over the seconds until all work was done: near 1, the single writer is what bounds the run."""
    if not workers_held and not listener_held:
        return ["", "", ""]
    return [f"{workers_held:.1f}", f"{listener_held:.1f}", f"{(workers_held + listener_held) / all_done:.2f}"]


def wait_for_schedules(*, timeout: float) -> None:
    """Until the worker has written its schedules and queued their first runs (its first cycle)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        with db.unit_of_work() as session:
            if session.scalar(select(func.count()).select_from(Job)):
                return
        time.sleep(0.1)
    raise SystemExit(f"the worker queued nothing in {timeout:.0f} s")


def wait_until_worked(count: int, *, timeout: float) -> float:
    """When every stored message was applied (or held or refused) and no job or outbox event is left to do. Each
    poll asks whether any such row is left (index seeks) and counts the stored messages only once none is: counting
    whole tables every 50 ms cost the database server a tenth of the run's CPU on PostgreSQL, on the cores the run
    measures."""
    deadline = time.perf_counter() + timeout
    left = (select(Hl7Message.id).where(Hl7Message.status == Hl7MessageStatus.received).limit(1),
            select(OutboxEvent.id).where(OutboxEvent.relayed_at.is_(None)).limit(1),
            select(Job.id).where(Job.status.in_([JobStatus.queued, JobStatus.running])).limit(1))
    while time.perf_counter() < deadline:
        with db.unit_of_work(read_mostly=True) as session:
            done = all(session.scalar(query) is None for query in left)
            if done and (session.scalar(select(func.count()).select_from(Hl7Message)) or 0) == count:
                return time.perf_counter()
        time.sleep(0.05)
    raise SystemExit(f"the worker had not finished after {timeout:.0f} s")


def with_worker_main(args: argparse.Namespace) -> None:
    batch = messages(args.messages, args.patients)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    rows = [with_worker_run(backend, batch, args.connections, args.window, args.rate, args.workers, args.patients)
            for backend in backends]
    print(f"end to end with {args.workers} worker process(es): {args.messages:,} ADT messages (A01/A02/A03 for "
          f"{args.patients:,} patients), "
          f"{os.cpu_count()} CPUs, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print_table(["backend", "messages", "offered messages/s", "intake messages/s", "ACK p50 ms", "ACK p99 ms",
                 "last ACK s", "all work done s", "done after last ACK s", "end to end messages/s", "episodes",
                 "tasks", "worker turn held s", "listener turn held s", "turn held / all done", "sender CPU s",
                 "listener CPU s", "worker start-up CPU s", "worker feed CPU s", "worker CPU ms a message"], rows)


def applied_count() -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Hl7Message)
                              .where(Hl7Message.status == Hl7MessageStatus.applied)) or 0


def time_apply(sample: int) -> tuple[int, float]:
    """One worker applying the stored messages in order, timed until `sample` of them are applied."""
    db.plan_each_execution()  # as `careloop worker` does
    worker = Worker(build_registry(), worker_id="bench")
    started = time.perf_counter()
    while (applied := applied_count()) < sample:
        if worker.run_once(max_jobs=1) == 0:
            break
    return applied, time.perf_counter() - started


def store_directly(batch: Sequence[Outgoing], chunk: int = 500) -> None:
    """Store the messages as the listener's group commit does, without the network in between."""
    for start in range(0, len(batch), chunk):
        with db.unit_of_work() as session:
            store_batch(session, [receive(m.text) for m in batch[start:start + chunk]], utcnow())


def time_apply_only(sample: int) -> tuple[int, float, float]:
    """A worker that runs only `hl7v2.apply` (no pathway jobs interleaved), timed in wall and CPU seconds until
    `sample` messages are applied; the count is read outside the timed part."""
    registry = Registry()
    registry.job(APPLY_JOB, apply_pending)
    db.plan_each_execution()  # as `careloop worker` does
    worker = Worker(registry, worker_id="bench-apply")
    wall = cpu = 0.0
    while (applied := applied_count()) < sample:
        started, cpu_started = time.perf_counter(), time.process_time()
        done = worker.run_once(max_jobs=1)
        wall += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
        if done == 0:
            break
    return applied, wall, cpu


def apply_only_run(backend: str, batch: Sequence[Outgoing], sample: int) -> list[str]:
    with fresh_database(backend):
        seed_patients()
        store_directly(batch)
        applied, wall, cpu = time_apply_only(sample)
        with db.unit_of_work() as session:
            statuses = dict(session.execute(select(Hl7Message.status, func.count()).group_by(Hl7Message.status))
                            .tuples().all())
    return [backend, f"{applied:,}", f"{wall:.2f}", f"{cpu:.2f}", f"{applied / wall:,.0f}", f"{applied / cpu:,.0f}",
            ", ".join(f"{k}={v}" for k, v in sorted(statuses.items()))]


def apply_only_main(args: argparse.Namespace) -> None:
    batch = messages(args.messages)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    rows = [apply_only_run(backend, batch, min(args.apply_sample, args.messages)) for backend in backends]
    print(f"apply only: {args.messages:,} stored ADT messages (A01/A02/A03 for {PATIENTS} patients), "
          f"load average {os.getloadavg()[0]:.1f}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print_table(["backend", "applied", "wall s", "CPU s", "messages/s", "messages/CPU-s", "statuses"], rows)


def _rate(row: list[str]) -> float:
    return float(row[1].replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--window", type=int, default=250, help="unacknowledged messages per connection")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--apply-sample", type=int, default=2000, help="messages the worker is timed applying")
    parser.add_argument("--apply-only", action="store_true",
                        help="store the messages directly (no MLLP) and time only the worker applying them")
    parser.add_argument("--with-worker", action="store_true",
                        help="run a worker beside the listener and time until all work (apply, pathways) is done")
    parser.add_argument("--workers", type=int, default=1, help="with --with-worker: worker processes")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="with --with-worker: messages a second offered in all (0: as fast as ACKs come back)")
    parser.add_argument("--patients", type=int, default=PATIENTS,
                        help="with --with-worker: the patients the stays go round (fewer: more history each)")
    args = parser.parse_args()
    if args.with_worker:
        with_worker_main(args)
        return
    if args.apply_only:
        apply_only_main(args)
        return
    batch = messages(args.messages)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    rows, notes = [], []
    port = free_port()
    peer = run_server([sys.executable, "-c", PEER_SERVER, str(port)], dict(os.environ), port, batch,
                      args.connections, args.window)
    peer_row = figures("peer: python-hl7 asyncio server, ACK only, nothing stored", peer, len(batch))
    for backend in backends:
        row, note = careloop_run(backend, batch, args.connections, args.window, args.apply_sample)
        rows.append([*row, f"{_rate(row) / _rate(peer_row):.2f}"])
        notes.append(note)
    print(f"{args.messages:,} ADT messages (A01/A02/A03, ~330 bytes), {args.connections} connections, "
          f"window {args.window}, {os.cpu_count()} CPUs, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print_table(["server", "messages/s", "p50 ms", "p99 ms", "seconds", "vs peer"], [*rows, [*peer_row, "1.00"]])
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
