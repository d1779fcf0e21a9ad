"""The simulated hospital: a realistic stream the feed applies without a single failure, over a real socket."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from careloop import db
from careloop.integrations.hl7v2.listener import MllpListener
from careloop.integrations.hl7v2.simulate import load_patients, simulate, simulated_messages
from careloop.models import Encounter, EncounterStatus, Hl7Message, Hl7MessageStatus
from tests.factories import make_patient
from tests.integrations.hl7v2.helpers import feed, run_async, run_worker

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _seed(session: Session, n: int = 20) -> None:
    for i in range(n):
        make_patient(session, "Sim", f"P{i}", mrn=f"SIM{i:04d}")
    session.commit()


def test_the_stream_is_realistic_repeatable_and_applies_cleanly(session: Session) -> None:
    _seed(session)
    with db.unit_of_work() as s:
        people = load_patients(s, 20)
    messages = simulated_messages(people, 600, seed=3, now=NOW)
    assert [m.text for m in messages] == [m.text for m in simulated_messages(people, 600, seed=3, now=NOW)]
    triggers = {m.text.split("|")[8].split("^")[1] for m in messages}
    assert {"A01", "A02", "A03", "A04", "A08"} <= triggers
    feed(*(m.text for m in messages))
    run_worker()
    rows = session.scalars(select(Hl7Message)).all()
    assert {r.status for r in rows} == {Hl7MessageStatus.applied}, [r.error for r in rows if r.error][:3]
    statuses = set(session.scalars(select(Encounter.status)))
    assert EncounterStatus.finished in statuses


async def _simulate_against_listener(count: int) -> int:
    listener = MllpListener(local_zone="UTC")
    committer = asyncio.create_task(listener.committer.run())
    server = await asyncio.start_server(listener.handle, "127.0.0.1", 0)
    try:
        report = await simulate("127.0.0.1", server.sockets[0].getsockname()[1], rate=0, count=count, seed=5,
                                patients=10)
    finally:
        server.close()
        committer.cancel()
        listener.committer.executor.shutdown()
    assert set(report.acks.values()) == {"AA"}
    return len(report.acks)


def test_simulate_sends_over_mllp_and_every_message_is_acknowledged(session: Session) -> None:
    _seed(session, 10)
    assert run_async(_simulate_against_listener(120)) == 120
    assert len(session.scalars(select(Hl7Message.id)).all()) == 120
