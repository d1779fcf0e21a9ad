"""An MLLP sender that keeps going: pipelined sends, ACKs matched by MSA-2, and every message without an
ACK sent again on a new connection until it has one (the simulator, the durability test and the benchmark
use it). A message answered AE or AR is final: resending the same content would get the same answer."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from careloop.integrations.hl7v2.mllp import FrameSplitter, decode, frame
from careloop.integrations.hl7v2.parser import Message


@dataclass(frozen=True)
class Outgoing:
    control_id: str  # MSH-10, which the ACK echoes in MSA-2
    text: str


@dataclass
class SendReport:
    acks: dict[str, str] = field(default_factory=dict)  # control id -> AA / AE / AR
    latencies: list[float] = field(default_factory=list)  # seconds from (last) send to ACK
    sends: int = 0
    connections: int = 0
    elapsed: float = 0.0

    @property
    def resent(self) -> int:
        return self.sends - len(self.acks)


def parse_ack(payload: bytes) -> tuple[str, str]:
    """(MSA-1 acknowledgment code, MSA-2 control id) of an ACK."""
    message = Message(decode(payload))
    return message.field("MSA", 1), message.raw_field("MSA", 2)


class MllpSender:
    def __init__(self, host: str, port: int, *, window: int = 200, rate: float = 0.0,
                 ack_timeout: float = 30.0, reconnect_delay: float = 0.2, give_up_after: float = 300.0) -> None:
        self.host, self.port = host, port
        self.window = window
        self.rate = rate  # messages per second; 0 sends as fast as ACKs allow
        self.ack_timeout = ack_timeout
        self.reconnect_delay = reconnect_delay
        self.give_up_after = give_up_after

    async def send_all(self, messages: Sequence[Outgoing], report: SendReport | None = None) -> SendReport:
        report = report or SendReport()
        started = time.perf_counter()
        last_progress = started
        while unacked := [m for m in messages if m.control_id not in report.acks]:
            before = len(report.acks)
            with contextlib.suppress(OSError, ConnectionError, asyncio.TimeoutError):
                await self._one_connection(unacked, report)
            if len(report.acks) > before:
                last_progress = time.perf_counter()
            elif time.perf_counter() - last_progress > self.give_up_after:
                raise TimeoutError(f"{len(unacked)} messages still unacknowledged after {self.give_up_after} s")
            if len(report.acks) < len(messages):
                await asyncio.sleep(self.reconnect_delay)
        report.elapsed = time.perf_counter() - started
        return report

    async def _one_connection(self, batch: Sequence[Outgoing], report: SendReport) -> None:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), 5)
        report.connections += 1
        session = _Connection(self.window)
        acks = asyncio.create_task(session.read_acks(reader, report, self.ack_timeout))
        try:
            await self._send(batch, writer, session, report)
            await session.all_acked.wait()
        finally:
            acks.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await acks
            writer.close()
        if session.broken:
            raise ConnectionError("connection lost before every message was acknowledged")

    async def _send(self, batch: Sequence[Outgoing], writer: asyncio.StreamWriter, session: _Connection,
                    report: SendReport) -> None:
        interval = 1 / self.rate if self.rate > 0 else 0.0
        next_at = time.perf_counter()
        for item in batch:
            await session.slots.acquire()
            if session.broken:
                return
            if interval:
                next_at += interval
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            session.sent_at[item.control_id] = time.perf_counter()
            writer.write(frame(item.text))
            report.sends += 1
            if writer.transport.get_write_buffer_size() > 256 * 1024:
                await writer.drain()
        session.done_sending = True
        session.check_done()
        await writer.drain()


class _Connection:
    def __init__(self, window: int) -> None:
        self.slots = asyncio.Semaphore(window)
        self.window = window
        self.sent_at: dict[str, float] = {}
        self.answered = 0
        self.done_sending = False
        self.broken = False
        self.all_acked = asyncio.Event()

    def check_done(self) -> None:
        if self.broken or (self.done_sending and self.answered >= len(self.sent_at)):
            self.all_acked.set()

    async def read_acks(self, reader: asyncio.StreamReader, report: SendReport, timeout: float) -> None:
        """ACKs as they come, a read at a time: a read of many ACKs costs one wake-up and one timer, where a
        timed read of each frame (`wait_for`) started a task for every ACK."""
        frames = FrameSplitter()
        try:
            while True:
                async with asyncio.timeout(timeout):
                    data = await reader.read(64 * 1024)
                if not data:
                    break
                for payload in frames.feed(data):
                    self._acknowledged(payload, report)
        except (TimeoutError, OSError, ValueError):
            pass
        finally:
            if not self.all_acked.is_set():
                self.broken = True
                for _ in range(self.window + 1):  # wake the sender so it sees the connection is gone
                    self.slots.release()
                self.all_acked.set()

    def _acknowledged(self, payload: bytes, report: SendReport) -> None:
        code, control_id = parse_ack(payload)
        sent = self.sent_at.get(control_id)
        if sent is None or control_id in report.acks:
            return
        report.acks[control_id] = code
        report.latencies.append(time.perf_counter() - sent)
        self.answered += 1
        self.slots.release()
        self.check_done()
