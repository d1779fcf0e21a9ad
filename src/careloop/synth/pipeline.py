"""Run an iterator in a background thread a few items ahead of its consumer, with errors passed along.

The seed uses it so that generating and encoding the next table overlaps with the database writing this
one: numpy and the drivers release the GIL for much of their work. One producer keeps items in order, so
what is produced (keys, random draws) is the same as without the thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar

T = TypeVar("T")
_POLL_SECONDS = 0.1


class _Done:
    pass


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def read_ahead(source: Iterator[T], depth: int) -> Generator[T, None, None]:
    """Yield what `source` yields, producing at most `depth` items ahead. Close the returned generator
    (contextlib.closing) so an error in the consumer also stops the producer."""
    items: queue.Queue[T | _Done | _Failed] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: T | _Done | _Failed) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in source:
                if not put(item):
                    return
            put(_Done())
        except BaseException as error:  # handed to the consumer, which raises it
            put(_Failed(error))

    thread = threading.Thread(target=produce, name="careloop-seed-producer", daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if isinstance(item, _Done):
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join()
