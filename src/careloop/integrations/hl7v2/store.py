"""The durable message store: a batch of received messages in one transaction (group commit).

Accepted messages are inserted with ON CONFLICT (dedupe_key) DO NOTHING, so a resend (same MSH-4 and MSH-10)
is acknowledged again without a second row; refused ones are kept with their reason for review. The job that
applies them is queued in the same transaction, so a message stored is a message that will be applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from careloop.db import insert_all_ignoring_conflict
from careloop.integrations.hl7v2.adt import reading_of
from careloop.integrations.hl7v2.intake import Received
from careloop.models.hl7v2 import Hl7Message, Hl7MessageStatus
from careloop.public_ids import new_public_id
from careloop.worker.queue import enqueue

APPLY_JOB = "hl7v2.apply"


def store_batch(session: Session, batch: Sequence[Received], now: datetime) -> int:
    """Store every message of the batch; returns how many were new (not resends)."""
    accepted: dict[str, dict[str, Any]] = {}
    refused: list[dict[str, Any]] = []
    for received in batch:
        key = received.dedupe_key
        if key is None:
            refused.append(_row(received, now))
        else:
            accepted.setdefault(key, _row(received, now))  # the same message twice in one batch: the first
    if refused:
        session.execute(insert(Hl7Message), refused)
    new_ids = _insert_new(session, list(accepted.values()))
    if new_ids:
        enqueue(session, APPLY_JOB, {"first_message_id": min(new_ids)}, key=f"{APPLY_JOB}:{min(new_ids)}")
    return len(new_ids)


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> set[int]:
    """The new rows' ids. In statements of a few fixed shapes, each compiled once: building and compiling one
    multi-row INSERT for each group commit's rows was most of the listener's commit thread."""
    return insert_all_ignoring_conflict(session, Hl7Message, rows, conflict_columns=["dedupe_key"], returning="id")


def _row(received: Received, now: datetime) -> dict[str, Any]:
    message = received.message
    header = received.header
    identifier = message.match_identifier if message else None
    return {
        "public_id": new_public_id(),
        "dedupe_key": received.dedupe_key,
        "sending_facility": (message.sending_facility if message else header.sending_facility)[:200] or None,
        "control_id": (message.control_id if message else header.control_id)[:200] or None,
        "trigger": (message.trigger if message else header.trigger)[:8] or None,
        "version": (message.version if message else header.version)[:16] or None,
        "received_at": now,
        "raw": received.raw,
        "reading": reading_of(message) if message else None,
        "status": Hl7MessageStatus.received if message else Hl7MessageStatus.rejected,
        "ack_code": received.ack_code,
        "error": received.refusal.text if received.refusal else None,
        "identifier_system": identifier.system if identifier else None,
        "identifier_value": identifier.value if identifier else None,
        "patient_id": None,
        "encounter_id": None,
        "applied_at": None,
    }
