"""MLLP framing (HL7 v2 Minimal Lower Layer Protocol, release 2): <VT> message <FS><CR>."""

from __future__ import annotations

import asyncio

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c\x0d"
MAX_FRAME_BYTES = 4 * 1024 * 1024  # an ADT message is a few kilobytes; more is a broken or hostile sender


def frame(text: str) -> bytes:
    return START_BLOCK + text.encode("utf-8") + END_BLOCK


def decode(payload: bytes) -> str:
    """UTF-8 as careloop sends; a sender's single-byte character set (MSH-18 8859/1) still reads losslessly."""
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("latin-1")


async def read_frame(reader: asyncio.StreamReader) -> bytes | None:
    """The next framed payload, or None at end of stream. Bytes before the start block are skipped."""
    while True:
        try:
            data = await reader.readuntil(END_BLOCK)
        except asyncio.IncompleteReadError:
            return None
        start = data.rfind(START_BLOCK)
        if start >= 0:
            return data[start + 1 : -len(END_BLOCK)]


class FrameSplitter:
    """Framed payloads out of a byte stream read in chunks of any size (a chunk may end inside a frame). Bytes
    outside a frame are skipped, as `read_frame` skips them."""

    def __init__(self, max_frame_bytes: int = MAX_FRAME_BYTES) -> None:
        self.max_frame_bytes = max_frame_bytes
        self._rest = b""

    def feed(self, data: bytes) -> list[bytes]:
        *complete, self._rest = (self._rest + data).split(END_BLOCK)
        if len(self._rest) > self.max_frame_bytes:
            raise ValueError(f"a frame over {self.max_frame_bytes} bytes")
        payloads = []
        for chunk in complete:
            start = chunk.rfind(START_BLOCK)
            if start >= 0:
                payloads.append(chunk[start + 1:])
        return payloads
