"""The heap of a long-running process (the worker, the MLLP listener).

What a process loads at start (modules, SQLAlchemy's mappings and compiled statements, the job registry, the
pathway definitions) lives as long as the process, yet Python's cyclic garbage collector walks all of it in every
full collection. At a hospital feed's rate the worker's collections took about a tenth of its CPU (0.9 s of 8.6 s
for 10,000 ADT messages; 0.2 s once the start-up heap was frozen). `gc.freeze()` moves everything alive now into a
permanent generation the collector skips, as the Python documentation suggests for long-lived start-up state
(https://docs.python.org/3/library/gc.html#gc.freeze); garbage made later is collected as before.

The youngest generation is then collected every 20,000 allocations rather than every 700 (`gc.set_threshold`). A
message's work allocates thousands of short-lived objects, nearly all freed by their reference counts, so most
collections found nothing to free: in process, the worker spent 0.28 s collecting over 6,000 ADT messages, and
0.03 s with this threshold (docs/decisions.md, 2026-12-07 morning). Cyclic garbage waits longer for its
collection, a few megabytes at most.
"""

from __future__ import annotations

import gc

YOUNGEST_GENERATION_THRESHOLD = 20_000


def freeze_startup_heap() -> None:
    """Call once start-up is done, before the process settles into its loop."""
    gc.collect()  # what start-up left as garbage is freed rather than frozen
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNGEST_GENERATION_THRESHOLD, older, oldest)
