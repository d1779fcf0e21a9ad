"""Feed ADT messages through the real store and the real worker, as the listener and `careloop worker` do."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from careloop import db
from careloop.clock import utcnow
from careloop.integrations.hl7v2.compose import AdtFields, compose_adt
from careloop.integrations.hl7v2.intake import receive
from careloop.integrations.hl7v2.store import store_batch
from careloop.jobs_registry import build_registry
from careloop.worker.runner import Worker

ADMITTED = datetime(2026, 3, 6, 9, 15, tzinfo=UTC)
T = TypeVar("T")


def adt(trigger: str, control_id: str, *, mrn: str = "MRN000001", visit: str = "V100", **changes: object) -> str:
    """An ADT message about the factory patient (Rivera, Ana; MRN in urn:careloop:mrn)."""
    fields = AdtFields(trigger=trigger, control_id=control_id, occurred_at=ADMITTED, mrn=mrn,
                       assigning_authority="urn:careloop:mrn", family="Rivera", given="Ana",
                       birth_date=date(1948, 3, 14), sex="F", visit_number=visit, patient_class="I",
                       location="4E^136^B^GHH", admission_type="E", admitted_at=ADMITTED)
    return compose_adt(replace(fields, **changes))  # type: ignore[arg-type]


def discharge(control_id: str, *, days: int = 3, disposition: str = "01", **changes: object) -> str:
    return adt("A03", control_id, discharged_at=ADMITTED + timedelta(days=days), disposition=disposition,
               occurred_at=ADMITTED + timedelta(days=days), **changes)


def feed(*texts: str) -> None:
    """Store the messages as one batch (what the listener commits before its ACKs)."""
    with db.unit_of_work() as session:
        store_batch(session, [receive(t) for t in texts], utcnow())


def run_worker() -> int:
    return Worker(build_registry(), worker_id="test-worker").drain()


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: the browser tests (Playwright's sync API) leave an event loop
    running in the main thread, where asyncio.run refuses to start."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-asyncio") as pool:
        return pool.submit(asyncio.run, coroutine).result()
