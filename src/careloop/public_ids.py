"""Public ids: UUIDs of version 7 (RFC 9562, section 5.7), so each table's unique index on them grows at its end.

A version 4 UUID is random, and so is the leaf page of the unique index each new row's id lands in: under a
hospital feed a commit of 30 messages dirtied about 30 pages of `hl7_messages`' public-id index alone (each
written whole to SQLite's log, PostgreSQL's WAL after a checkpoint), and once a table outgrows the cache every
insert reads a random page from the disk. A version 7 UUID starts with the Unix time in milliseconds: new ids
sort after the ones before them, and a commit's rows share the index's last page.

Layout (RFC 9562, 5.7): 48 bits unix_ts_ms, 4 bits version (7), 12 bits rand_a, 2 bits variant (10), 62 bits
rand_b. rand_a holds the sub-millisecond fraction (section 6.2, method 3: "replace leftmost random bits with
increased clock precision"), so ids made in one process within a millisecond still sort in the order made (to
the clock's 244 ns steps); rand_b is 62 bits from the operating system's random source, which keeps ids unique and
unguessable. What an id gives away is when its row was made, to the millisecond: shown next to the row anyway.
"""

from __future__ import annotations

import os
import time
import uuid

_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0b10 << 62
_RAND_B_BITS = (1 << 62) - 1
_NS_PER_MS = 1_000_000


def new_public_id() -> uuid.UUID:
    nanoseconds = time.time_ns()
    milliseconds, rest = divmod(nanoseconds, _NS_PER_MS)
    fraction = rest * 4096 // _NS_PER_MS  # 12 bits of the millisecond
    rand_b = int.from_bytes(os.urandom(8), "big") & _RAND_B_BITS
    return uuid.UUID(int=(milliseconds << 80) | _VERSION_7 | (fraction << 64) | _VARIANT_RFC | rand_b)


def made_at_ms(public_id: uuid.UUID) -> int:
    """The Unix milliseconds a version 7 id was made at (its first 48 bits)."""
    return public_id.int >> 80
