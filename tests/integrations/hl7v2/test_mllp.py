"""MLLP framing read in chunks of any size (the sender reads its ACKs a socket read at a time)."""

from __future__ import annotations

import pytest

from careloop.integrations.hl7v2.mllp import FrameSplitter, frame


def test_frames_split_across_reads_come_out_whole_and_in_order() -> None:
    stream = frame("MSH|one") + frame("MSH|two") + frame("MSH|three")
    for size in (1, 2, 5, 7, len(stream)):
        splitter = FrameSplitter()
        payloads = [p for start in range(0, len(stream), size) for p in splitter.feed(stream[start:start + size])]
        assert payloads == [b"MSH|one", b"MSH|two", b"MSH|three"], size


def test_bytes_outside_a_frame_are_skipped() -> None:
    assert FrameSplitter().feed(b"noise" + frame("MSH|a") + b"\r\n" + frame("MSH|b")) == [b"MSH|a", b"MSH|b"]


def test_an_end_block_with_no_start_block_yields_nothing() -> None:
    assert FrameSplitter().feed(b"garbage\x1c\x0d") == []


def test_a_frame_that_never_ends_is_refused_once_over_the_limit() -> None:
    splitter = FrameSplitter(max_frame_bytes=10)
    assert splitter.feed(b"\x0bMSH|") == []
    with pytest.raises(ValueError, match="over 10 bytes"):
        splitter.feed(b"x" * 20)
