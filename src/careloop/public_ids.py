"""Public ids: UUIDs of version 7 (RFC 9562, section 5.7), so each table's unique index on them grows at its end.

A version 4 UUID is random, and so is the leaf page of the unique index each new row's id lands in: under a
hospital feed a commit of 30 messages dirtied about 30 pages of `hl7_messages`' public-id index alone (each
written whole to SQLite's log, PostgreSQL's WAL after a checkpoint), and once a table outgrows the cache every
insert reads a random page from the disk. A version 7 UUID starts with the Unix time in milliseconds: new ids
sort after the ones before them, and a commit's rows share the index's last page. The FHIR import and the
synthetic population (synth/frames.py, vectorised) make theirs the same way.

Layout (RFC 9562, 5.7): 48 bits unix_ts_ms, 4 bits version (7), 12 bits rand_a, 2 bits variant (10), 62 bits
rand_b. rand_a holds the sub-millisecond fraction (section 6.2, method 3: "replace leftmost random bits with
increased clock precision"), so ids made in one process within a millisecond still sort in the order made (to
the clock's 244 ns steps); rand_b is 62 bits from the operating system's random source, which keeps ids unique and
unguessable. What an id gives away is when its row was made, to the millisecond: shown next to the row anyway.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0b10 << 62
_RAND_B_BITS = (1 << 62) - 1
_NS_PER_MS = 1_000_000
_BUFFER_BYTES = 8000


class _RandomBits(threading.local):
    """os.urandom read 8,000 bytes at a time: one system call per 1,000 ids instead of one per id (about 3% of a
    FHIR import's time went to them); the bits are of the same cryptographic quality. A buffer per thread, so two
    threads never take the same bytes."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._buffer = b""
        self._at = 0

    def take8(self) -> int:
        at = self._at
        if at + 8 > len(self._buffer):
            self._buffer, at = os.urandom(_BUFFER_BYTES), 0
        self._at = at + 8
        return int.from_bytes(self._buffer[at:at + 8], "big")


_random_bits = _RandomBits()
# A forked child (its one thread is the one that forked) must not hand out the ids its parent's buffer still holds.
os.register_at_fork(after_in_child=_random_bits.reset)


def _next_value() -> int:
    milliseconds, rest = divmod(time.time_ns(), _NS_PER_MS)
    fraction = rest * 4096 // _NS_PER_MS  # 12 bits of the millisecond
    rand_b = _random_bits.take8() & _RAND_B_BITS
    return (milliseconds << 80) | _VERSION_7 | (fraction << 64) | _VARIANT_RFC | rand_b


def new_public_id() -> uuid.UUID:
    return uuid.UUID(int=_next_value())


def new_public_id_hex() -> str:
    """As 32 hex digits, what careloop's Uuid columns hold on SQLite (the FHIR import writes them so)."""
    return f"{_next_value():032x}"


def made_at_ms(public_id: uuid.UUID) -> int:
    """The Unix milliseconds a version 7 id was made at (its first 48 bits)."""
    return public_id.int >> 80
