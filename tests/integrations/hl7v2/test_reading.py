"""The listener's reading of a message is stored (hl7_messages.reading) and the worker applies it without reading the
raw text again: the stored form gives back exactly what read_adt gives, and a reading of another format, or none,
is read again from the raw text."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from careloop import db
from careloop.integrations.hl7v2.adt import READING_FORMAT, from_reading, read_adt, reading_of
from careloop.models import Encounter, Hl7Message, Hl7MessageStatus
from tests.factories import make_patient
from tests.integrations.hl7v2.helpers import adt, discharge, feed, run_worker
from tests.integrations.hl7v2.test_parser import samples


def _round_trip(text: str, zone: str = "UTC") -> None:
    message = read_adt(text, zone)
    assert from_reading(reading_of(message)) == message


@pytest.mark.parametrize("text", [adt("A01", "C1"), discharge("C2"), adt("A08", "C3", visit="")])
def test_a_stored_reading_gives_back_what_was_read(text: str) -> None:
    _round_trip(text)
    _round_trip(text, "America/New_York")  # times read in the sender's zone keep their instant


def test_the_real_samples_round_trip() -> None:
    for path in samples():  # one message a file, with the quirks test_parser describes
        _round_trip(path.read_text())


def test_no_reading_or_another_format_is_read_again() -> None:
    stored = reading_of(read_adt(adt("A01", "C1")))
    assert from_reading(None) is None
    assert from_reading([READING_FORMAT + 1, *stored[1:]]) is None
    assert from_reading(stored[:-1]) is None
    damaged = list(stored)
    damaged[1 + 7] = "not a time"  # occurred_at
    assert from_reading(damaged) is None
    damaged = list(stored)
    damaged[1 + 8] = [["only one part"]]  # identifiers
    assert from_reading(damaged) is None


def test_the_listener_stores_its_reading_and_the_worker_applies_with_or_without_it(session: Session) -> None:
    make_patient(session, mrn="MRN000001")
    session.commit()
    feed(adt("A01", "C1", visit="V1"), adt("A01", "C2", visit="V2"))
    with db.unit_of_work() as s:
        readings = s.scalars(select(Hl7Message.reading).order_by(Hl7Message.id)).all()
        assert [r[0] if r else None for r in readings] == [READING_FORMAT, READING_FORMAT]
        # As a message stored before the reading was kept: the worker reads its raw text.
        s.execute(update(Hl7Message).where(Hl7Message.control_id == "C2").values(reading=None))
    run_worker()
    with db.unit_of_work() as s:
        assert set(s.scalars(select(Hl7Message.status))) == {Hl7MessageStatus.applied}
        assert sorted(e.location or "" for e in s.scalars(select(Encounter))) == ["4E 136 B", "4E 136 B"]


def test_a_refused_message_has_no_reading() -> None:
    feed("MSH|^~\\&|X|Y|Z|W|20260306||ORU^R01|Q1|P|2.5\rPID|||1\r")
    with db.unit_of_work() as s:
        row = s.scalars(select(Hl7Message)).one()
        assert (row.status, row.reading) == (Hl7MessageStatus.rejected, None)
