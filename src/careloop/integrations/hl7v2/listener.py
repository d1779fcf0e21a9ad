"""The asyncio MLLP listener: frame -> check -> store (group commit) -> ACK.

A message is acknowledged only after the transaction holding it has committed, so an AA means "stored".
Messages from all connections are committed together: while one batch commits, the next one gathers, and
every message in it gets its ACK when that batch's commit returns (group commit). A connection may pipeline
(send before earlier ACKs arrive); its ACKs go back in the order its messages came, all of a batch's in one
write. If a batch cannot be stored (the database is down), its messages get no ACK and their connections are
closed: the sender resends them, which is how MLLP senders treat a missing ACK. Applying messages is the
worker's job, not this one's.

Per message, the event loop does only what the message needs: no task, future or queue of its own. At 2,000
messages a second those cost the listener about a third of its CPU, on the cores the worker needs
(docs/decisions.md, 2026-12-07).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from careloop import db
from careloop.clock import utcnow
from careloop.config import get_settings
from careloop.integrations.hl7v2.intake import Received, ack_for, receive
from careloop.integrations.hl7v2.mllp import MAX_FRAME_BYTES, decode, frame, read_frame
from careloop.integrations.hl7v2.store import store_batch

log = logging.getLogger("careloop.hl7v2")

MAX_BATCH = 500
PIPELINE_DEPTH = 1000  # unacknowledged messages one connection may have in flight before we stop reading
ACK_BUFFER_BYTES = 256 * 1024  # ACKs written but not yet taken by a sender, before we stop reading from it


class NotStored(Exception):
    """The batch holding this message did not commit; it must not be acknowledged."""


def commit_batch(batch: Sequence[Received]) -> None:
    """Stored, and on the disk: the ACKs go out only after this returns."""
    with db.unit_of_work(appends_only=True) as session:
        store_batch(session, batch, utcnow())
    db.sync_log()  # after the commit's writer turn, so no other writer waits for the disk (db.sync_log)


class Answer(Protocol):
    """Where a message's outcome goes: its connection, or whoever submitted it."""

    def stored(self, batch: Sequence[Received]) -> None:
        """These messages (this answer's, in the order they came) are committed."""

    def not_stored(self, received: Received, error: Exception) -> None:
        """This one could not be stored: it must get no ACK."""


@dataclass
class _Pending:
    received: Received
    answer: Answer


class GroupCommitter:
    """Gathers messages from every connection and stores them a batch at a time in one writer thread."""

    def __init__(self, store: Callable[[Sequence[Received]], None] = commit_batch, max_batch: int = MAX_BATCH,
                 delay: float | None = None):
        self.store = store
        self.max_batch = max_batch
        self.delay = get_settings().mllp_commit_delay_ms / 1000 if delay is None else delay
        self.waiting: list[_Pending] = []
        self.storing = 0  # messages in the batch being stored now
        self.arrived = asyncio.Event()
        self.full = asyncio.Event()  # a batch's worth is waiting: no reason to wait for more
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hl7-store")

    @property
    def idle(self) -> bool:
        """Nothing waits to be stored or is being stored (every message received is answered)."""
        return not self.waiting and not self.storing

    def add(self, received: Received, answer: Answer) -> None:
        """To be stored in the next batch; `answer` hears how it went."""
        self.waiting.append(_Pending(received, answer))
        self.arrived.set()
        if len(self.waiting) >= self.max_batch:
            self.full.set()

    async def submit(self, received: Received) -> None:
        """Returns once the message is committed; raises NotStored if it could not be."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.add(received, _Awaited(done))
        await done

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self.arrived.wait()
            await self._gather()
            batch, self.waiting = self.waiting[:self.max_batch], self.waiting[self.max_batch:]
            if not self.waiting:
                self.arrived.clear()
            if len(self.waiting) < self.max_batch:
                self.full.clear()
            self.storing = len(batch)
            try:
                await loop.run_in_executor(self.executor, self.store, [p.received for p in batch])
            except Exception:
                log.exception("a batch of %d messages could not be stored; storing them one by one", len(batch))
                await self._one_by_one(batch)
            else:
                _answer_stored(batch)
            finally:
                self.storing = 0

    async def _gather(self) -> None:
        """Give the batch `delay` to fill, unless it is full already."""
        if self.delay > 0 and not self.full.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.delay):
                    await self.full.wait()

    async def _one_by_one(self, batch: list[_Pending]) -> None:
        """After a failed batch: store each message alone, so one that cannot be stored (or a database that is
        down) costs only its own ACK, not its neighbours'."""
        loop = asyncio.get_running_loop()
        for pending in batch:
            try:
                await loop.run_in_executor(self.executor, self.store, [pending.received])
            except Exception as exc:
                pending.answer.not_stored(pending.received, exc)
            else:
                pending.answer.stored([pending.received])


def _answer_stored(batch: Sequence[_Pending]) -> None:
    """Each answer hears of its own messages at once, in the order they came."""
    by_answer: dict[Answer, list[Received]] = {}
    for pending in batch:
        by_answer.setdefault(pending.answer, []).append(pending.received)
    for answer, stored in by_answer.items():
        answer.stored(stored)


class _Awaited:
    """The answer for one submitted message: a future its submitter awaits."""

    def __init__(self, done: asyncio.Future[None]) -> None:
        self.done = done

    def stored(self, batch: Sequence[Received]) -> None:
        self.done.set_result(None)

    def not_stored(self, received: Received, error: Exception) -> None:
        self.done.set_exception(NotStored(str(error)))


class _Connection:
    """One sender's connection, as an answer: a batch's ACKs in one write, in the order its messages came."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.unacknowledged = 0
        self.closed = False
        self.room = asyncio.Event()  # fewer than PIPELINE_DEPTH messages wait for their ACK
        self.settled = asyncio.Event()  # none does, or the connection is gone
        self.room.set()
        self.settled.set()

    def taken(self) -> None:
        self.unacknowledged += 1
        self.settled.clear()
        if self.unacknowledged >= PIPELINE_DEPTH:
            self.room.clear()

    def stored(self, batch: Sequence[Received]) -> None:
        if not self.closed:
            now = utcnow()
            self.writer.write(b"".join(frame(ack_for(received, now)) for received in batch))
        self._answered(len(batch))

    def not_stored(self, received: Received, error: Exception) -> None:
        """No ACK, and none for what follows on this connection either: the sender resends from there."""
        self.close()
        self._answered(1)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.writer.transport.abort()
        self.room.set()
        self.settled.set()

    def _answered(self, count: int) -> None:
        self.unacknowledged -= count
        if self.unacknowledged < PIPELINE_DEPTH:
            self.room.set()
        if self.unacknowledged == 0:
            self.settled.set()

    async def room_to_read(self) -> None:
        """Until it may read another message: fewer than PIPELINE_DEPTH waiting, and its ACKs being taken."""
        await self.room.wait()
        if self.writer.transport.get_write_buffer_size() > ACK_BUFFER_BYTES:
            await self.writer.drain()


class MllpListener:
    def __init__(self, committer: GroupCommitter | None = None, local_zone: str | None = None) -> None:
        self.committer = committer or GroupCommitter()
        self.local_zone = local_zone or get_settings().timezone

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = _Connection(writer)
        try:
            while not connection.closed:
                await connection.room_to_read()
                payload = await read_frame(reader)
                if payload is None:
                    break
                connection.taken()
                self.committer.add(receive(decode(payload), self.local_zone), connection)
            await connection.settled.wait()  # the sender may have half-closed: its last ACKs still go back
        except (asyncio.LimitOverrunError, ValueError):
            log.warning("closing a connection that sent a frame over %d bytes", MAX_FRAME_BYTES)
        except ConnectionError:
            pass
        finally:
            connection.closed = True  # a batch stored after this point writes nothing to the closed socket
            writer.close()


async def serve(host: str, port: int, *, on_ready: Callable[[str], None] | None = None,
                handle_signals: bool = True) -> None:
    """Listen until SIGTERM or SIGINT (or forever, in a thread that cannot take signals, as in the demo);
    messages already received are stored and acknowledged before it returns."""
    listener = MllpListener()
    committer_task = asyncio.create_task(listener.committer.run())
    server = await asyncio.start_server(listener.handle, host, port, limit=MAX_FRAME_BYTES)
    stop = asyncio.Event()
    if handle_signals:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    address = ", ".join(str(s.getsockname()[:2]) for s in server.sockets)
    log.info("MLLP listener on %s", address)
    if on_ready:
        on_ready(address)
    async with server:
        await stop.wait()
        server.close()
        while not listener.committer.idle:
            await asyncio.sleep(0.05)
    committer_task.cancel()
    listener.committer.executor.shutdown(wait=True)
