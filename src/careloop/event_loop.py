"""The event loop careloop's own asyncio programs run on (the MLLP listener, the simulated hospital): uvloop's,
libuv under Cython. A message over MLLP is a few callbacks, a read and a write; on asyncio's own loop those cost
the listener more than the message's parsing and storing under a steady feed (docs/decisions.md, 2026-12-07
morning). The web server's loop is uvicorn's choice, the same uvloop."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` on uvloop."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
