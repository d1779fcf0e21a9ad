"""Public ids are version 7 UUIDs (RFC 9562, 5.7): time first, so a table's unique index grows at its end."""

from __future__ import annotations

import itertools
import os
import threading
import time
import uuid

import uuid6
from sqlalchemy import select
from sqlalchemy.orm import Session

from careloop.integrations.hl7v2.intake import receive
from careloop.integrations.hl7v2.listener import commit_batch
from careloop.models import Hl7Message
from careloop.public_ids import made_at_ms, new_public_id, new_public_id_hex
from tests.integrations.hl7v2.helpers import adt


def test_the_fields_are_those_of_rfc_9562_version_7() -> None:
    before = time.time_ns() // 1_000_000
    made = new_public_id()
    after = time.time_ns() // 1_000_000
    assert made.version == 7
    assert made.variant == uuid.RFC_4122  # the variant bits 10
    assert before <= made_at_ms(made) <= after


def test_the_layout_agrees_with_the_uuid6_package() -> None:
    """The peer (PyPI `uuid6`, an implementation of the RFC's draft and final text) reads the same timestamp out
    of ours as out of its own made at the same moment, and ours parse as its UUID class with version 7."""
    theirs, ours = uuid6.uuid7(), new_public_id()
    assert uuid6.UUID(int=ours.int).version == 7
    assert abs(uuid6.UUID(int=ours.int).time - theirs.time) < 1000  # the same millisecond clock, read in turn


def test_ids_made_one_after_another_sort_in_that_order_as_uuids_and_as_text() -> None:
    """Their time fields (the first 64 bits: milliseconds, version, the 12-bit fraction) never go back; two ids in
    the same 244 ns step of the fraction order by their random bits. SQLite stores them as hex text, which sorts
    the same way."""
    made = [new_public_id() for _ in range(20_000)]
    assert len(set(made)) == len(made)
    clock = [m.int >> 64 for m in made]
    assert all(a <= b for a, b in itertools.pairwise(clock))
    assert [m.int >> 64 for m in sorted(made)] == clock
    assert [int(h[:16], 16) for h in sorted(m.hex for m in made)] == clock


def test_a_stored_message_gets_one(session: Session) -> None:
    commit_batch([receive(adt("A01", "V7ID"))])
    stored = session.scalar(select(Hl7Message.public_id).where(Hl7Message.control_id == "V7ID"))
    assert stored is not None and stored.version == 7


def test_hex_ids_are_version_7_and_unique_across_buffer_refills() -> None:
    ids = [new_public_id_hex() for _ in range(5000)]  # 1,000 ids per 8,000 random bytes: several refills
    parsed = [uuid.UUID(value) for value in ids]
    assert {(u.version, u.variant) for u in parsed} == {(7, uuid.RFC_4122)}
    assert len(set(ids)) == len(ids)
    assert all(len(value) == 32 for value in ids)


def test_two_threads_never_take_the_same_random_bits() -> None:
    made: list[list[uuid.UUID]] = [[], []]

    def make(into: list[uuid.UUID]) -> None:
        into.extend(new_public_id() for _ in range(20_000))

    threads = [threading.Thread(target=make, args=(into,)) for into in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    random_parts = [m.int & ((1 << 62) - 1) for m in made[0] + made[1]]
    assert len(set(random_parts)) == len(random_parts)


def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    new_public_id_hex()  # the parent's buffer now holds unused random bytes
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.write(write, new_public_id_hex().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    from_child = os.read(read, 64).decode()
    os.close(read)
    assert from_child[16:] != new_public_id_hex()[16:]  # the variant and random bits
