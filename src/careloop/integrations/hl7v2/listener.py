"""The asyncio MLLP listener: frame -> check -> store (group commit) -> ACK.

A message is acknowledged only after the transaction holding it has committed, so an AA means "stored".
Messages from all connections are committed together: while one batch commits, the next one gathers, and
every message in it gets its ACK when that batch's commit returns (group commit). A connection may pipeline
(send before earlier ACKs arrive); its ACKs go back in the order its messages came. If a batch cannot be
stored (the database is down), its messages get no ACK and their connections are closed: the sender resends
them, which is how MLLP senders treat a missing ACK. Applying messages is the worker's job, not this one's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from careloop import db
from careloop.clock import utcnow
from careloop.config import get_settings
from careloop.integrations.hl7v2.intake import Received, ack_for, receive
from careloop.integrations.hl7v2.mllp import MAX_FRAME_BYTES, decode, frame, read_frame
from careloop.integrations.hl7v2.store import store_batch

log = logging.getLogger("careloop.hl7v2")

MAX_BATCH = 500
PIPELINE_DEPTH = 1000  # unacknowledged messages one connection may have in flight before we stop reading


class NotStored(Exception):
    """The batch holding this message did not commit; it must not be acknowledged."""


def commit_batch(batch: Sequence[Received]) -> None:
    """Stored, and on the disk: the ACKs go out only after this returns."""
    with db.unit_of_work(appends_only=True) as session:
        store_batch(session, batch, utcnow())
    db.sync_log()  # after the commit's writer turn, so no other writer waits for the disk (db.sync_log)


@dataclass
class _Pending:
    received: Received
    done: asyncio.Future[None]


class GroupCommitter:
    """Gathers messages from every connection and stores them a batch at a time in one writer thread."""

    def __init__(self, store: Callable[[Sequence[Received]], None] = commit_batch, max_batch: int = MAX_BATCH):
        self.store = store
        self.max_batch = max_batch
        self.queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hl7-store")

    async def submit(self, received: Received) -> None:
        """Returns once the message is committed; raises NotStored if its batch failed."""
        pending = _Pending(received, asyncio.get_running_loop().create_future())
        await self.queue.put(pending)
        await pending.done

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self.queue.get()]
            while len(batch) < self.max_batch and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            try:
                await loop.run_in_executor(self.executor, self.store, [p.received for p in batch])
            except Exception:
                log.exception("a batch of %d messages could not be stored; storing them one by one", len(batch))
                await self._one_by_one(batch)
                continue
            for pending in batch:
                pending.done.set_result(None)

    async def _one_by_one(self, batch: list[_Pending]) -> None:
        """After a failed batch: store each message alone, so one that cannot be stored (or a database that is
        down) costs only its own ACK, not its neighbours'."""
        loop = asyncio.get_running_loop()
        for pending in batch:
            try:
                await loop.run_in_executor(self.executor, self.store, [pending.received])
            except Exception as exc:
                pending.done.set_exception(NotStored(str(exc)))
            else:
                pending.done.set_result(None)


class MllpListener:
    def __init__(self, committer: GroupCommitter | None = None, local_zone: str | None = None) -> None:
        self.committer = committer or GroupCommitter()
        self.local_zone = local_zone or get_settings().timezone

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        acks: asyncio.Queue[asyncio.Task[bytes] | None] = asyncio.Queue(PIPELINE_DEPTH)
        sender = asyncio.create_task(self._send_acks(acks, writer))
        try:
            while not sender.done():
                payload = await read_frame(reader)
                if payload is None:
                    break
                received = receive(decode(payload), self.local_zone)
                await acks.put(asyncio.create_task(self._ack(received)))
        except (asyncio.LimitOverrunError, ValueError):
            log.warning("closing a connection that sent a frame over %d bytes", MAX_FRAME_BYTES)
        except ConnectionError:
            pass
        finally:
            await acks.put(None)
            with contextlib.suppress(Exception):
                await sender
            writer.close()

    async def _ack(self, received: Received) -> bytes:
        await self.committer.submit(received)
        return frame(ack_for(received, utcnow()))

    async def _send_acks(self, acks: asyncio.Queue[asyncio.Task[bytes] | None], writer: asyncio.StreamWriter) -> None:
        while (task := await acks.get()) is not None:
            try:
                data = await task
            except NotStored:
                writer.transport.abort()  # no ACK: the sender will resend what we could not store
                return
            writer.write(data)
            await writer.drain()


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
        while not listener.committer.queue.empty():
            await asyncio.sleep(0.05)
    committer_task.cancel()
    listener.committer.executor.shutdown(wait=True)
