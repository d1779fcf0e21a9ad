"""Proof: 10,000 ADT messages while the listener process is killed with SIGKILL mid-stream and restarted.

Every message that got an AA is stored and applied exactly once; the sender's resends of the ones left
without an ACK complete the set (some of those were stored before the kill: they are resends, not new)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from careloop.integrations.hl7v2.client import MllpSender, Outgoing, SendReport
from careloop.integrations.hl7v2.compose import AdtFields, compose_adt
from careloop.models import EncounterChange, Hl7Message, Hl7MessageStatus, OutboxEvent
from tests.factories import make_patient
from tests.integrations.hl7v2.helpers import ADMITTED, run_async, run_worker

MESSAGES = 10_000
PATIENTS = 50
KILL_AFTER_ACKS = 3_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_listener(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-c", "from careloop.cli import main; main()", "mllp",
                                "--port", str(port)], env=dict(os.environ), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120  # a loaded machine takes its time to import the app
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError("the listener did not start listening")


def stream(count: int) -> list[Outgoing]:
    """Admit, transfer, discharge, round robin over the patients, each stay its own visit."""
    steps = ("A01", "A02", "A03")
    out = []
    for n in range(count):
        patient, stay, step = n % PATIENTS, n // (PATIENTS * 3), steps[(n // PATIENTS) % 3]
        at = ADMITTED + timedelta(days=stay * 10, hours=(n // PATIENTS) % 3)
        fields = AdtFields(trigger=step, control_id=f"D{n:06d}", occurred_at=at, mrn=f"DUR{patient:04d}",
                           assigning_authority="urn:careloop:mrn", family="Durable", given=f"P{patient}",
                           birth_date=date(1950, 1, 1), sex="F", visit_number=f"V{patient}-{stay}",
                           patient_class="I", location=f"W{step}^1^A^GHH", admission_type="E", admitted_at=at,
                           discharged_at=at if step == "A03" else None, disposition="01" if step == "A03" else "")
        out.append(Outgoing(fields.control_id, compose_adt(fields)))
    return out


async def send_while_killing(port: int, listener: list[subprocess.Popen[bytes]],
                             messages: list[Outgoing]) -> SendReport:
    report = SendReport()
    sender = MllpSender("127.0.0.1", port, window=300, reconnect_delay=0.1, give_up_after=300)
    sending = asyncio.create_task(sender.send_all(messages, report))
    while len(report.acks) < KILL_AFTER_ACKS and not sending.done():
        await asyncio.sleep(0.005)
    assert not sending.done(), "the whole stream was acknowledged before the kill; raise MESSAGES"
    os.kill(listener[0].pid, signal.SIGKILL)
    listener[0].wait()
    acked_at_kill = len(report.acks)
    await asyncio.sleep(0.5)  # the sender finds the connection gone and keeps retrying meanwhile
    listener[0] = await asyncio.to_thread(start_listener, port)
    await sending
    assert acked_at_kill < MESSAGES
    return report


def test_sigkill_mid_stream_loses_nothing_and_applies_nothing_twice(session: Session) -> None:
    for p in range(PATIENTS):
        make_patient(session, "Durable", f"P{p}", mrn=f"DUR{p:04d}")
    session.commit()
    port = free_port()
    listener = [start_listener(port)]
    messages = stream(MESSAGES)
    try:
        report = run_async(send_while_killing(port, listener, messages))
    finally:
        listener[0].send_signal(signal.SIGTERM)
        listener[0].wait(timeout=30)
    assert report.connections >= 2
    assert report.sends > MESSAGES  # the ones in flight at the kill were sent again
    assert set(report.acks) == {m.control_id for m in messages}
    assert set(report.acks.values()) == {"AA"}
    run_worker()
    stored = session.execute(select(Hl7Message.control_id, Hl7Message.status)).all()
    assert len(stored) == MESSAGES  # one row per message, resends included
    assert {status for _, status in stored} == {Hl7MessageStatus.applied}
    changes = session.scalar(select(func.count(func.distinct(EncounterChange.message_id))))
    assert changes == session.scalar(select(func.count()).select_from(EncounterChange)) == MESSAGES
    assert session.scalar(select(func.count()).select_from(OutboxEvent)
                          .where(OutboxEvent.type.like("encounter.%"))) == MESSAGES
