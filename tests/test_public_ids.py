"""Public ids are version 7 UUIDs (RFC 9562, 5.7): time first, so a table's unique index grows at its end."""

from __future__ import annotations

import itertools
import time
import uuid

import uuid6
from sqlalchemy import select
from sqlalchemy.orm import Session

from careloop.integrations.hl7v2.intake import receive
from careloop.integrations.hl7v2.listener import commit_batch
from careloop.models import Hl7Message
from careloop.public_ids import made_at_ms, new_public_id
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
