"""The long-running processes freeze their start-up heap, so full collections skip it (process_heap.py)."""

from __future__ import annotations

import gc

from careloop.process_heap import freeze_startup_heap


def test_the_startup_heap_is_frozen_and_later_garbage_still_collected() -> None:
    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() > 0
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1  # made after the freeze: collected as before
    finally:
        gc.unfreeze()
