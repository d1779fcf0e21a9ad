"""The long-running processes freeze their start-up heap, so full collections skip it (process_heap.py)."""

from __future__ import annotations

import gc

from careloop.process_heap import YOUNGEST_GENERATION_THRESHOLD, freeze_startup_heap


def test_the_startup_heap_is_frozen_and_later_garbage_still_collected() -> None:
    thresholds = gc.get_threshold()
    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (YOUNGEST_GENERATION_THRESHOLD, *thresholds[1:])
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1  # made after the freeze: collected as before
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
