"""The worker loop: relay outbox events to subscribed jobs, tick schedules, claim and run jobs.

Several workers (threads or processes, on one machine or many) can run at once. A job is claimed by a
conditional UPDATE of the row a worker selected: on PostgreSQL the select skips rows other workers have
locked (FOR UPDATE SKIP LOCKED); on SQLite every transaction holds the single write lock from BEGIN, so
select-then-update is already atomic. A claim is a lease: a worker that dies mid-job leaves a lease that
expires, and the job becomes claimable again. A job's handler and the "done" mark commit together; a batch
(several jobs of one kind, or a relay's events) is also claimed in that transaction (`Worker.run_next`).
"""

from __future__ import annotations

import logging
import random
import threading
import time
import traceback
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, and_, bindparam, or_, select, text, update
from sqlalchemy.orm import Session

from careloop import db
from careloop.clock import one_instant, utcnow
from careloop.driver_reads import DriverRead
from careloop.models.jobs import Job, JobStatus, OutboxEvent
from careloop.pending_inserts import update_by_id
from careloop.worker import plans, schedules
from careloop.worker.queue import enqueue_keyed
from careloop.worker.registry import Registry

log = logging.getLogger("careloop.worker")

RETRY_BASE_SECONDS = 10
RETRY_MAX_SECONDS = 3600
RELAY_BATCH = 500
RELAY_INTERVAL = 0.2  # seconds between relays while a cycle runs jobs


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    payload: Mapping[str, Any]
    attempt: int
    max_attempts: int


class NoHandler(Exception):
    """A job kind this worker does not know (a newer release queued it, or a typo)."""


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff (10 s, 20 s, 40 s ... capped at an hour) with up to 10% jitter, so jobs that
    failed together (a database restart) do not all come back in the same second."""
    seconds = min(RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0), RETRY_MAX_SECONDS)
    return timedelta(seconds=seconds * (1 + random.random() / 10))


class Worker:
    def __init__(self, registry: Registry, *, worker_id: str, lease_seconds: int = 300,
                 poll_seconds: float = 1.0) -> None:
        self.registry = registry
        self.worker_id = worker_id
        self.lease = timedelta(seconds=lease_seconds)
        self.poll_seconds = poll_seconds
        self.plan_counts: Counter[str] = Counter()  # batches planned in a snapshot: written, stale, not planned

    def run_forever(self, stop: threading.Event) -> None:
        """Work until `stop` is set; finishes the job in hand first. Database outages are waited out."""
        log.info("worker %s started", self.worker_id)
        failures = 0
        while not stop.is_set():
            try:
                worked = self.run_once(stop)
                failures = 0
            except Exception:
                failures += 1
                log.exception("worker %s: cycle failed (%d in a row); retrying", self.worker_id, failures)
                stop.wait(min(2**failures, 60))
                continue
            if not worked:
                stop.wait(self.poll_seconds)
        log.info("worker %s stopped%s", self.worker_id, self._plans_told())

    def _plans_told(self) -> str:
        """What became of the batches planned in a snapshot: many stale ones mean the planning is done twice (other
        writers, a busy web app), and that the turn, not the planning, is what this database needs."""
        counts = self.plan_counts
        if not counts:
            return ""
        return (f"; batches planned in a snapshot: {counts['written']} written, {counts['stale']} stale, "
                f"{counts['not planned']} not planned")

    def run_once(self, stop: threading.Event | None = None, *, max_jobs: int = 100) -> int:
        """One cycle: relay events, tick schedules, then run up to max_jobs jobs, relaying again every
        RELAY_INTERVAL seconds meanwhile. Returns the work done.

        Relaying only between cycles left a hospital feed's events waiting: the listener's wake-ups keep a cycle
        busy with the feed's apply passes for seconds, while one relay moved at most RELAY_BATCH events. At 2,000
        messages a second the outbox grew by 8,000 events in 15 s and the pathway work finished seconds after the
        last message (docs/decisions.md). Relaying on a clock rather than after every job keeps the pathway's
        batches large."""
        relayed = self.relay_events()
        ticked = self.tick_schedules()
        ran = 0
        last_relay = time.monotonic()
        while ran < max_jobs and not (stop and stop.is_set()):
            claimed = self.run_next()
            if not claimed:
                break
            ran += claimed
            if time.monotonic() - last_relay >= RELAY_INTERVAL:
                relayed += self.relay_events()
                last_relay = time.monotonic()
        return relayed + ticked + ran

    def drain(self, *, max_cycles: int = 1000) -> int:
        """Run cycles until nothing is left that is due now (tests, `careloop worker --once`)."""
        total = 0
        for _ in range(max_cycles):
            done = self.run_once()
            total += done
            if done == 0:
                break
        return total

    def relay_events(self) -> int:
        """Every event waiting, RELAY_BATCH to a transaction (each its own short turn at the write lock)."""
        total = 0
        while True:
            with db.unit_of_work() as session:
                relayed = relay_events(session, self.registry, utcnow())
            total += relayed
            if relayed < RELAY_BATCH:
                return total

    def tick_schedules(self) -> int:
        # Read-mostly: each cycle asks, and almost always nothing is due; on SQLite the question then no longer
        # waits for (and takes) the write lock. A due schedule is moved by compare-and-set, which stays right on
        # the newer snapshot its write starts from.
        with db.unit_of_work(read_mostly=True) as session:
            return schedules.tick(session, utcnow())

    def claim(self) -> ClaimedJob | None:
        with db.unit_of_work() as session:
            return claim_job(session, self.worker_id, utcnow(), self.lease)

    def run_next(self) -> int:
        """Claim the next job due (with as many more of its kind as its batch allows) and run it; returns how
        many jobs were claimed, 0 when none is due.

        A batch (of a kind registered with a batch size, or a relay's events) runs in the transaction that claims
        it, marked done there: under a hospital feed the worker claims a batch every few milliseconds, and a claim
        of its own was a transaction, a commit and a turn at SQLite's write lock per batch. The claim's row locks
        (PostgreSQL) or the write lock (SQLite) keep other workers off the batch until it commits; if the worker
        dies, the transaction rolls back and the jobs are due again at once, as they were. A batch that fails
        rolls back whole, claim included, and is claimed again to run as before: its jobs one by one, or its
        events as a job each. (Not a savepoint around the handler: on SQLite, every page written inside one is
        first copied aside, and that cost more than the claim's transaction saved.) A single job is claimed apart,
        so its lease is committed before a handler that may run for minutes starts."""
        jobs: list[ClaimedJob] = []
        running = False
        plan = self._plan_next()
        try:
            with db.unit_of_work() as session, one_instant():
                if plan is not None:
                    jobs = self._claim_planned(session, plan)
                    if jobs:
                        running = True
                        plans.write(session, plan)
                        self._mark_batch_done(session, jobs)
                        return 1
                jobs = self._claim_batch(session)
                if jobs and self._runs_where_claimed(jobs[0].kind):
                    running = True
                    self._run_claimed_batch(session, jobs)
                    return len(jobs)
        except Exception as exc:
            if not running:
                raise
            log.info("batch of %d %s jobs failed (%s); running it apart", len(jobs), jobs[0].kind, exc)
            self._run_apart(self._claim_again(jobs))
            return len(jobs)
        if jobs:
            self._run_apart(jobs)
        return len(jobs)

    def claim_batch(self) -> list[ClaimedJob]:
        """The next job due, and as many more of its kind as its registered batch allows, claimed on a lease."""
        with db.unit_of_work() as session:
            return self._claim_batch(session)

    def _claim_batch(self, session: Session) -> list[ClaimedJob]:
        now = utcnow()
        first = claim_job(session, self.worker_id, now, self.lease)
        if first is None:
            return []
        size = 1 if is_event_batch(first.kind) else self.registry.batch_size(first.kind)
        if size == 1:
            return [first]
        return [first, *claim_jobs_of_kind(session, self.worker_id, now, self.lease, first.kind, size - 1)]

    def _runs_where_claimed(self, kind: str) -> bool:
        return is_event_batch(kind) or self.registry.batch_size(kind) > 1

    def _run_claimed_batch(self, session: Session, jobs: list[ClaimedJob]) -> None:
        if is_event_batch(jobs[0].kind):
            kind = jobs[0].kind.removesuffix(EVENT_BATCH)
            self.registry.batch_handlers[kind](session, list(jobs[0].payload["events"]))
        else:
            self._handle_all(session, jobs)
        self._mark_batch_done(session, jobs)

    def _mark_batch_done(self, session: Session, jobs: list[ClaimedJob]) -> None:
        done = mark_all_done(session, [job.id for job in jobs], self.worker_id, utcnow())
        for job in jobs:
            if job.id not in done:
                _outlived_its_lease(job)

    def _plan_next(self) -> plans.Plan | None:
        """The next job planned in a snapshot without the writer turn (worker/plans.py), when it is a relay's batch of
        events for a kind that plans and the database is SQLite; None otherwise, or when the handler cannot plan."""
        if not self.registry.planned or not plans.plans_here():
            return None
        try:
            with plans.planning() as session, one_instant():
                epoch = plans.write_epoch(session)
                first = first_claimable(session, utcnow())
                if first is None:
                    return None
                job_id, kind, payload, attempts, max_attempts, _ = first
                planned_kind = kind.removesuffix(EVENT_BATCH)
                if not is_event_batch(kind) or planned_kind not in self.registry.planned or attempts >= max_attempts:
                    return None
                self.registry.batch_handlers[planned_kind](session, list(payload["events"]))
                writes = tuple(plans.planned_writes(session))
        except Exception as exc:  # it runs under the turn instead, where a real failure is handled as before
            self.plan_counts["not planned"] += 1
            log.debug("batch not planned: %s", exc)
            return None
        return plans.Plan(epoch, job_id, kind, dict(payload), attempts, max_attempts, writes)

    def _claim_planned(self, session: Session, plan: plans.Plan) -> list[ClaimedJob]:
        """The planned job, claimed in the write transaction, if the plan still holds; [] when it does not."""
        if not plans.holds(session, plan):
            self.plan_counts["stale"] += 1
            return []
        now = utcnow()
        taken = session.scalars(_TAKE_AGAIN, {"ids": [plan.job_id], "worker": self.worker_id, "now": now,
                                              "until": now + self.lease}).all()
        if not taken:
            self.plan_counts["stale"] += 1
            return []
        self.plan_counts["written"] += 1
        return [ClaimedJob(plan.job_id, plan.kind, plan.payload, plan.attempts + 1, plan.max_attempts)]

    def _claim_again(self, jobs: list[ClaimedJob]) -> list[ClaimedJob]:
        """The jobs of a batch that failed (and rolled back) claimed on a lease, those no other worker holds (queued,
        or on a lease that expired): another worker may have taken some meanwhile."""
        with db.unit_of_work() as session:
            now = utcnow()
            taken = set(session.scalars(_TAKE_AGAIN, {"ids": [job.id for job in jobs], "worker": self.worker_id,
                                                      "now": now, "until": now + self.lease}))
        return [job for job in jobs if job.id in taken]

    def _run_apart(self, jobs: list[ClaimedJob]) -> None:
        """Claimed jobs run in transactions of their own: a single job, or a batch that failed where it was
        claimed (its jobs one by one, so a bad one fails alone; a relay's events as a job each)."""
        if jobs and is_event_batch(jobs[0].kind):
            self.split_event_batch(jobs[0])
            return
        for job in jobs:
            self.execute(job)

    def _handle_all(self, session: Session, jobs: list[ClaimedJob]) -> None:
        batch_handler = self.registry.batch_handlers.get(jobs[0].kind)
        if batch_handler is not None:
            batch_handler(session, [job.payload for job in jobs])
            return
        handler = self.registry.handlers[jobs[0].kind]
        for job in jobs:
            handler(session, job.payload)

    def execute(self, job: ClaimedJob) -> None:
        handler = self.registry.handlers.get(job.kind)
        try:
            with db.unit_of_work() as session, one_instant():
                if handler is None:
                    raise NoHandler(f"no handler for job kind {job.kind!r} in this worker")
                handler(session, job.payload)
                if not mark_done(session, job.id, self.worker_id, utcnow()):
                    _outlived_its_lease(job)
        except Exception as exc:
            log.warning("job %s (%s) attempt %d failed: %s", job.id, job.kind, job.attempt, exc)
            with db.unit_of_work() as session:
                mark_failed(session, job, self.worker_id, exc, utcnow())

    def split_event_batch(self, job: ClaimedJob) -> None:
        """A relay's batch of events that failed becomes one job per event (queued one by one)."""
        kind = job.kind.removesuffix(EVENT_BATCH)
        events: list[dict[str, Any]] = list(job.payload["events"])
        log.info("queued one %s job for each of %d events", kind, len(events))
        with db.unit_of_work() as session:
            enqueue_keyed(session, [(kind, event, _event_job_key(event["event_id"], kind)) for event in events])
            if not mark_done(session, job.id, self.worker_id, utcnow()):
                _outlived_its_lease(job)


def _outlived_its_lease(job: ClaimedJob) -> None:
    log.warning("job %s (%s) outlived its lease; another worker may run it again", job.id, job.kind)


# The worker's own statements are Core, on the tables: the ORM's per-object bookkeeping (loading each row as an
# object, evaluating an UPDATE's criteria against the identity map) cost more than the statements themselves.
_JOBS = cast(Table, Job.__table__)
_OUTBOX = cast(Table, OutboxEvent.__table__)

_UNRELAYED = (select(_OUTBOX.c.id, _OUTBOX.c.type, _OUTBOX.c.payload).where(_OUTBOX.c.relayed_at.is_(None))
              .order_by(_OUTBOX.c.id).limit(RELAY_BATCH))
_UNRELAYED_READ = DriverRead(_UNRELAYED)
_RELAYED = (update(_OUTBOX).where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
            .values(relayed_at=bindparam("now", type_=_OUTBOX.c.relayed_at.type)))

# The job kind of a relay's events for a kind registered with a batch handler: `<kind>+events`.
EVENT_BATCH = "+events"


def is_event_batch(kind: str) -> bool:
    return kind.endswith(EVENT_BATCH)


def relay_events(session: Session, registry: Registry, now: datetime) -> int:
    """Turn the unrelayed outbox events into jobs for their subscribers, keyed so a relay never doubles: one INSERT
    for all the jobs (a key already queued is skipped) and one UPDATE marking the events relayed.

    A subscriber with a batch handler (the pathway engine, at a hospital feed's rate) gets its events in jobs of
    up to its batch size, `<kind>+events`, each carrying the events' payloads: one job row to write, claim and
    finish for a batch instead of one per event. Any other subscriber gets one job per event."""
    if not _relay_turn(session):
        return 0  # another worker is relaying; what it leaves, a later cycle relays
    events = _UNRELAYED_READ.rows(session, {})
    if not events:
        return 0
    jobs: list[tuple[str, Mapping[str, Any], str]] = []
    batched: dict[str, list[dict[str, Any]]] = {}
    for event_id, event_type, payload in events:
        for kind in registry.subscribers(event_type):
            job_payload = {**payload, "event_id": event_id, "event_type": event_type}
            if kind in registry.batch_handlers:
                batched.setdefault(kind, []).append(job_payload)
            else:
                jobs.append((kind, job_payload, _event_job_key(event_id, kind)))
    for kind, payloads in batched.items():
        size = registry.batch_size(kind)
        for start in range(0, len(payloads), size):
            part = payloads[start:start + size]
            key = f"events:{part[0]['event_id']}-{part[-1]['event_id']}:{kind}"
            jobs.append((f"{kind}{EVENT_BATCH}", {"events": part}, key))
    enqueue_keyed(session, jobs)
    session.execute(_RELAYED, {"ids": [event_id for event_id, _, _ in events], "now": now})
    return len(events)


# "RELY": the advisory lock a relay takes on PostgreSQL.
RELAY_LOCK_ID = 0x52454C59


def _relay_turn(session: Session) -> bool:
    """One relay at a time. On PostgreSQL a transaction-level advisory lock, tried and not waited for: the relay
    used to lock each event it read (FOR UPDATE SKIP LOCKED), and each of those row locks was a write to the
    event's page and to the log, a tenth of the server's time under a hospital feed; the events' UPDATE locks them
    anyway. Relays one after another also never split one run of events between two workers' batches. On SQLite
    the write lock already runs one relay at a time."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": RELAY_LOCK_ID}))


def _event_job_key(event_id: int, kind: str) -> str:
    return f"event:{event_id}:{kind}"


# A job can be claimed when it is queued and due, or running on a lease that has expired (its worker died). The two
# are read by separate statements, each a seek on (status, run_at): with an OR of the two, SQLite read every row of
# the table, done jobs included (kept a week: millions under a hospital feed), to claim one.
def _due(now: Any) -> Any:
    return and_(Job.status == JobStatus.queued, Job.run_at <= now)


def _lease_expired(now: Any) -> Any:
    return and_(Job.status == JobStatus.running, Job.locked_until < now)


def claimable_first(condition: Any) -> Select[Any]:
    return (select(_JOBS.c.id, _JOBS.c.kind, _JOBS.c.payload, _JOBS.c.attempts, _JOBS.c.max_attempts, _JOBS.c.run_at)
            .where(condition).order_by(Job.run_at, Job.id).limit(1).with_for_update(skip_locked=True))


# On the driver's cursor (driver_reads.py): the worker claims a job several times a second under a hospital feed,
# and as ORM objects (two entity loads and a flush) a claim cost a millisecond, more than a small batch's messages.
_FIRST_CLAIMABLE = (DriverRead(claimable_first(_due(bindparam("now")))),
                    DriverRead(claimable_first(_lease_expired(bindparam("now")))))


def first_claimable(session: Session, now: datetime) -> tuple[Any, ...] | None:
    """The row (id, kind, payload, attempts, max_attempts, run_at) of the job due first (by run_at, then id), queued
    or left behind by a dead worker; None when none is due."""
    found = [row for read in _FIRST_CLAIMABLE for row in read.rows(session, {"now": now})]
    return min(found, key=lambda row: (row[5], row[0])) if found else None


def claim_job(session: Session, worker_id: str, now: datetime, lease: timedelta) -> ClaimedJob | None:
    """The job due first, claimed on a lease; None when none is due."""
    first = first_claimable(session, now)
    if first is None:
        return None
    job_id, kind, payload, attempts, max_attempts, _ = first
    if attempts >= max_attempts:  # its last worker died mid-run with no attempts left
        job = session.get(Job, job_id)
        assert job is not None
        _bury(job, "the worker running it stopped and no attempts are left", now)
        return claim_job(session, worker_id, now, lease)
    update_by_id(session, Job, [{"id": job_id, "status": JobStatus.running, "attempts": attempts + 1,
                                 "locked_by": worker_id, "locked_until": now + lease}])
    return ClaimedJob(job_id, kind, dict(payload), attempts + 1, max_attempts)


def claimable_of_kind(condition: Any) -> Select[Any]:
    return (select(_JOBS.c.id, _JOBS.c.payload, _JOBS.c.attempts, _JOBS.c.max_attempts, _JOBS.c.run_at)
            .where(condition, Job.kind == bindparam("kind"), Job.attempts < Job.max_attempts)
            .order_by(Job.run_at, Job.id).limit(bindparam("limit")).with_for_update(skip_locked=True))


# On the driver's cursor too: built and run through the ORM, the two reads of a batch claim cost 2.5 ms, more than
# the batch's own commit.
_MORE_CLAIMABLE = (DriverRead(claimable_of_kind(_due(bindparam("now")))),
                   DriverRead(claimable_of_kind(_lease_expired(bindparam("now")))))


def claim_jobs_of_kind(session: Session, worker_id: str, now: datetime, lease: timedelta, kind: str,
                       limit: int) -> list[ClaimedJob]:
    """Up to `limit` more due jobs of one kind, claimed like claim_job (skipping rows other workers hold): the rows
    are selected (and, on PostgreSQL, locked) in the order they are due, then taken with one UPDATE."""
    parameters = {"now": now, "kind": kind, "limit": limit}
    found = [row for read in _MORE_CLAIMABLE for row in read.rows(session, parameters)]
    rows = sorted(found, key=lambda row: (row[4], row[0]))[:limit]
    if not rows:
        return []
    session.execute(_TAKE, {"ids": [row[0] for row in rows], "worker": worker_id, "until": now + lease})
    return [ClaimedJob(job_id, kind, dict(payload), attempts + 1, max_attempts)
            for job_id, payload, attempts, max_attempts, _ in rows]


_TAKE = (update(_JOBS).where(_JOBS.c.id.in_(bindparam("ids", expanding=True)))
         .values(status=JobStatus.running, attempts=_JOBS.c.attempts + 1, locked_by=bindparam("worker"),
                 locked_until=bindparam("until", type_=_JOBS.c.locked_until.type)))
# A job of a failed batch is taken again if no other worker has it: queued, or on a lease that has expired (it was
# in the batch as a dead worker's job); its attempt then counts, so a job that always fails ends dead.
_TAKE_AGAIN = _TAKE.where(or_(_JOBS.c.status == JobStatus.queued, _lease_expired(bindparam("now")))).returning(
    _JOBS.c.id)


def mark_done(session: Session, job_id: int, worker_id: str, now: datetime) -> bool:
    """Done only if this worker still holds the lease; returns False when it had expired meanwhile."""
    return job_id in mark_all_done(session, [job_id], worker_id, now)


def mark_all_done(session: Session, job_ids: list[int], worker_id: str, now: datetime) -> set[int]:
    """Mark these jobs done with one UPDATE, those whose lease this worker still holds; returns their ids (a job
    missing from them outlived its lease, and another worker may have taken it over)."""
    marked = session.execute(_DONE, {"ids": job_ids, "worker": worker_id, "now": now})
    return set(marked.scalars())


_DONE = (update(_JOBS)
         .where(_JOBS.c.id.in_(bindparam("ids", expanding=True)), _JOBS.c.locked_by == bindparam("worker"),
                _JOBS.c.status == JobStatus.running)
         .values(status=JobStatus.done, finished_at=bindparam("now", type_=_JOBS.c.finished_at.type),
                 locked_by=None, locked_until=None, last_error=None)
         .returning(_JOBS.c.id))


def mark_failed(session: Session, claimed: ClaimedJob, worker_id: str, exc: BaseException, now: datetime) -> None:
    job = session.get(Job, claimed.id, with_for_update=True)
    if job is None or job.locked_by != worker_id or job.status is not JobStatus.running:
        return  # another worker took it over after our lease expired; its outcome stands
    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    if isinstance(exc, NoHandler) or job.attempts >= job.max_attempts:
        _bury(job, error, now)
        return
    job.status, job.run_at, job.last_error = JobStatus.queued, now + retry_delay(job.attempts), error
    job.locked_by = job.locked_until = None


def _bury(job: Job, error: str, now: datetime) -> None:
    log.error("job %s (%s) is dead after %d attempts: %s", job.id, job.kind, job.attempts, error)
    job.status, job.finished_at, job.last_error = JobStatus.dead, now, error[:4000]
    job.locked_by = job.locked_until = None
