"""The MLLP listener over a real socket: ACKs after commit, in the sender's separators and version."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from careloop.integrations.hl7v2 import listener as listener_module
from careloop.integrations.hl7v2.intake import Received, receive
from careloop.integrations.hl7v2.listener import GroupCommitter, MllpListener, NotStored, commit_batch
from careloop.integrations.hl7v2.mllp import decode, frame, read_frame
from careloop.integrations.hl7v2.parser import Message
from careloop.models import Hl7Message, Hl7MessageStatus, Job
from tests.conftest import shared_data_dir
from tests.integrations.hl7v2.helpers import adt, run_async


async def _exchange(texts: Sequence[str]) -> list[Message]:
    """Send every message on one connection without waiting (pipelined), then read the ACKs in order."""
    listener = MllpListener(GroupCommitter(), local_zone="UTC")
    committer = asyncio.create_task(listener.committer.run())
    server = await asyncio.start_server(listener.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for text in texts:
        writer.write(frame(text))
    await writer.drain()
    acks = []
    for _ in texts:
        payload = await asyncio.wait_for(read_frame(reader), 30)
        assert payload is not None
        acks.append(Message(decode(payload)))
    writer.close()
    server.close()
    committer.cancel()
    listener.committer.executor.shutdown()
    return acks


def exchange(*texts: str) -> list[Message]:
    return run_async(_exchange(texts))


def test_an_accepted_message_is_stored_before_its_aa_which_echoes_its_control_id(session: Session) -> None:
    (ack,) = exchange(adt("A01", "CTRL-77"))
    assert (ack.field("MSA", 1), ack.raw_field("MSA", 2)) == ("AA", "CTRL-77")
    assert ack.raw_field("MSH", 9) == "ACK^A01^ACK"
    assert ack.field("MSH", 12) == "2.5"
    assert (ack.field("MSH", 3), ack.field("MSH", 5)) == ("CARELOOP", "SIM-ADT")  # sender and receiver swapped
    row = session.scalars(select(Hl7Message)).one()
    assert (row.status, row.ack_code, row.dedupe_key) == (Hl7MessageStatus.received, "AA", "CARELOOP-SIM|CTRL-77")
    assert session.scalar(select(func.count()).select_from(Job).where(Job.kind == "hl7v2.apply")) == 1


def test_the_ack_uses_the_senders_encoding_characters_and_version(session: Session) -> None:
    text = adt("A01", "C1", version="2.3").replace("^", "#").replace("MSH|#~\\&", "MSH|#~\\&")
    (ack,) = exchange(text)
    assert ack.raw_field("MSH", 2) == "#~\\&"
    assert ack.raw_field("MSH", 9) == "ACK#A01#ACK"
    assert (ack.field("MSH", 12), ack.field("MSA", 1)) == ("2.3", "AA")


def test_a_resend_is_acknowledged_and_stored_once(session: Session) -> None:
    acks = exchange(adt("A01", "C1"), adt("A01", "C1"))
    assert [a.field("MSA", 1) for a in acks] == ["AA", "AA"]
    assert session.scalar(select(func.count()).select_from(Hl7Message)) == 1


def test_an_unsupported_event_is_rejected_with_an_err_and_kept_for_review(session: Session) -> None:
    text = adt("A01", "C9").replace("ADT^A01^ADT_A01", "ADT^A05^ADT_A05")
    (ack,) = exchange(text)
    assert (ack.field("MSA", 1), ack.raw_field("MSA", 2)) == ("AR", "C9")
    assert ack.component("ERR", 3, 1) == "201"
    assert "A05" in ack.field("ERR", 8)
    row = session.scalars(select(Hl7Message)).one()
    assert (row.status, row.ack_code, row.dedupe_key) == (Hl7MessageStatus.rejected, "AR", None)
    assert row.raw == text


def test_a_missing_identifier_is_an_application_error_naming_the_field(session: Session) -> None:
    text = adt("A01", "C2").replace("MRN000001^^^urn:careloop:mrn^MR", "")
    (ack,) = exchange(text)
    assert ack.field("MSA", 1) == "AE"
    assert ack.raw_field("ERR", 2) == "PID^1^3"
    assert ack.component("ERR", 3, 1) == "101"


def test_before_v25_the_error_goes_in_err_1(session: Session) -> None:
    text = adt("A01", "C3", version="2.3").replace("|19480314|", "|1948-03-14|")
    (ack,) = exchange(text)
    assert ack.field("MSA", 1) == "AE"
    assert ack.raw_field("ERR", 1).startswith("PID^1^7^102&Data type error&HL70357")
    assert ack.field("MSA", 3)  # the reason in words, where v2.3 senders look for it


def test_text_that_is_not_hl7_is_rejected_and_kept(session: Session) -> None:
    (ack,) = exchange("hello, is this the lab?")
    assert ack.field("MSA", 1) == "AR"
    assert session.scalars(select(Hl7Message.status)).one() is Hl7MessageStatus.rejected


def test_the_real_world_samples_are_accepted(session: Session) -> None:
    data = shared_data_dir()
    if data is None:
        pytest.skip("../shared/data is absent: the HL7 v2 samples live there")
    files = sorted(Path(data, "hl7v2").glob("*.hl7"))
    # All seven samples reuse control id MSG00001; give each its own so none is taken for a resend.
    texts = [f.read_text().replace("MSG00001", f"MSG{i:05d}") for i, f in enumerate(files)]
    acks = exchange(*texts)
    assert [a.field("MSA", 1) for a in acks] == ["AA"] * len(files)
    assert [a.field("MSH", 12) for a in acks] == ["2.8"] * len(files)


def test_one_message_that_cannot_be_stored_costs_only_its_own_ack(session: Session) -> None:
    def store_refusing_c2(batch: Sequence[Received]) -> None:
        if any(r.message and r.message.control_id == "C2" for r in batch):
            raise RuntimeError("simulated storage failure for C2")
        commit_batch(batch)

    async def run() -> list[str]:
        listener = MllpListener(GroupCommitter(store_refusing_c2), local_zone="UTC")
        committer = asyncio.create_task(listener.committer.run())
        results = []
        for control_id in ("C1", "C2", "C3"):
            try:
                await listener.committer.submit(receive(adt("A01", control_id)))
                results.append("stored")
            except NotStored:
                results.append("not stored")
        committer.cancel()
        listener.committer.executor.shutdown()
        return results

    assert run_async(run()) == ["stored", "not stored", "stored"]
    assert sorted(session.scalars(select(Hl7Message.control_id))) == ["C1", "C3"]


def test_an_overlong_control_id_is_refused_not_stored_half(session: Session) -> None:
    (ack,) = exchange(adt("A01", "X" * 250))
    assert (ack.field("MSA", 1), ack.component("ERR", 3, 1)) == ("AR", "102")


async def _serving(committer: GroupCommitter) -> tuple[asyncio.Server, int, asyncio.Task[None]]:
    listener = MllpListener(committer, local_zone="UTC")
    task = asyncio.create_task(committer.run())
    server = await asyncio.start_server(listener.handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], task


async def _acks_until_closed(reader: asyncio.StreamReader) -> list[str]:
    """The control ids of the ACKs read until the listener closes the connection."""
    control_ids = []
    with contextlib.suppress(ConnectionError):
        while (payload := await asyncio.wait_for(read_frame(reader), 30)) is not None:
            control_ids.append(Message(decode(payload)).raw_field("MSA", 2))
    return control_ids


def test_acks_keep_the_senders_order_across_batches_and_past_the_pipeline_limit(
        session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listener_module, "PIPELINE_DEPTH", 4)  # the listener stops reading at 4 unacknowledged
    sent = [f"C{n:02d}" for n in range(25)]

    async def run() -> list[str]:
        server, port, committer = await _serving(GroupCommitter(max_batch=3, delay=0.001))
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for control_id in sent:
            writer.write(frame(adt("A01", control_id)))
        writer.write_eof()  # a sender that half-closes once it has sent still gets every ACK
        acks = await _acks_until_closed(reader)
        writer.close()
        server.close()
        committer.cancel()
        return acks

    assert run_async(run()) == sent
    assert session.scalar(select(func.count()).select_from(Hl7Message)) == len(sent)


def test_after_a_message_that_cannot_be_stored_its_connection_gets_no_more_acks(session: Session) -> None:
    """MLLP senders resend what was not acknowledged, in order: so the connection is closed at the first message
    that could not be stored, and nothing after it is acknowledged on it (what was stored is found on resend)."""
    def store_refusing_c2(batch: Sequence[Received]) -> None:
        if any(r.message and r.message.control_id == "C2" for r in batch):
            raise RuntimeError("simulated storage failure for C2")
        commit_batch(batch)

    async def run() -> list[str]:
        # A delay long enough that the three, sent at once, are one batch however busy the machine is.
        refusing = GroupCommitter(store_refusing_c2, delay=0.5)
        server, port, committer = await _serving(refusing)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for control_id in ("C1", "C2", "C3"):
            writer.write(frame(adt("A01", control_id)))
        acks = await _acks_until_closed(reader)
        while not refusing.idle:  # the connection closes at C2, while C3 is still being stored on its own
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        committer.cancel()
        return acks

    assert run_async(run()) == ["C1"]
    assert sorted(session.scalars(select(Hl7Message.control_id))) == ["C1", "C3"]


def test_the_commit_waits_its_delay_for_more_messages_but_not_once_the_batch_is_full(session: Session) -> None:
    batches: list[list[str]] = []

    def record(batch: Sequence[Received]) -> None:
        batches.append([r.message.control_id for r in batch if r.message])

    async def run() -> None:
        lingering = GroupCommitter(record, max_batch=10, delay=0.5)
        task = asyncio.create_task(lingering.run())
        first = asyncio.create_task(lingering.submit(receive(adt("A01", "L1"))))
        await asyncio.sleep(0.05)  # well inside the delay: it joins the first message's batch
        await asyncio.gather(first, lingering.submit(receive(adt("A01", "L2"))))
        task.cancel()
        full = GroupCommitter(record, max_batch=2, delay=3600)  # an hour's delay, but two make a full batch
        task = asyncio.create_task(full.run())
        await asyncio.wait_for(asyncio.gather(full.submit(receive(adt("A01", "F1"))),
                                              full.submit(receive(adt("A01", "F2")))), 30)
        task.cancel()

    run_async(run())
    assert batches == [["L1", "L2"], ["F1", "F2"]]
