"""Durable background work: jobs queued and events emitted in the caller's transaction, and the worker
that relays events, ticks periodic schedules and runs jobs. Knows nothing of the domains that use it:
handlers are registered by name at the composition root (careloop.jobs_registry)."""

from careloop.worker.events import emit
from careloop.worker.queue import enqueue

__all__ = ["emit", "enqueue"]
