"""The store's public ids: RFC 9562 version 7 UUIDs, time-ordered, from buffered random bytes."""

from __future__ import annotations

import os
import uuid

from careloop.integrations.fhir import store


def test_public_ids_are_uuid_version_7_and_unique_across_buffer_refills() -> None:
    ids = [store.new_uuid_hex() for _ in range(5000)]  # 800 ids per 8,000 random bytes: several refills

    parsed = [uuid.UUID(value) for value in ids]

    assert {(u.version, u.variant) for u in parsed} == {(7, uuid.RFC_4122)}
    assert len(set(ids)) == len(ids)
    assert all(len(value) == 32 for value in ids)


def test_public_ids_are_ordered_by_the_millisecond_they_were_made_in() -> None:
    first, later = store.new_uuid_hex(), None
    while later is None or later[:12] == first[:12]:  # the first 48 bits are the time in milliseconds
        later = store.new_uuid_hex()

    assert later > first


def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    store.new_uuid_hex()  # the parent's buffer now holds unused random bytes
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.write(write, store.new_uuid_hex().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    from_child = os.read(read, 64).decode()
    os.close(read)

    assert from_child[12:] != store.new_uuid_hex()[12:]
