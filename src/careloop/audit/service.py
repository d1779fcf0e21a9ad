"""Write audit records. Allowed actions commit or roll back with the work they describe; a refusal is
written again after the rollback that the refusal itself causes, so denied attempts are never lost."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from careloop.clock import utcnow
from careloop.db import after_rollback, append_rows, defers_writes
from careloop.models.audit import AuditEvent, AuditOutcome
from careloop.pending_inserts import PendingInserts

if TYPE_CHECKING:
    from careloop.access.actor import Actor


# The table, not the mapped class, for list pages' rows (record_list).
_AUDIT_TABLE = cast(Table, AuditEvent.__table__)


def _row(actor: Actor, action: str, outcome: AuditOutcome, **fields: Any) -> dict[str, Any]:
    return {
        "at": utcnow(),
        "actor_id": actor.user_id,
        "actor_username": actor.username,
        "action": action,
        "outcome": outcome,
        "source_ip": actor.source_ip,
        "channel": actor.channel,
        **fields,
    }


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    outcome: AuditOutcome = AuditOutcome.allowed,
    patient_id: int | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    detail: dict[str, Any] | None = None,
    into: PendingInserts | None = None,
) -> None:
    """`into`: an allowed action's row joins a batch's pending inserts (one INSERT for the batch, in the same
    transaction); a refusal is always written at once and again after the rollback."""
    row = _row(actor, action, outcome, patient_id=patient_id, entity_type=entity_type, entity_id=entity_id,
               detail=detail)
    if into is not None and outcome is AuditOutcome.allowed:
        into.add(AuditEvent, row)
        return
    if outcome is AuditOutcome.allowed and defers_writes(session):
        # A GET's row (a patient record read): appended, stored by the group committer with the other reads'
        # rows (careloop.group_commit). Through the ORM, the flush of this one object cost more than most of
        # the page's queries.
        append_rows(session, _AUDIT_TABLE, [row])
        return
    session.add(AuditEvent(**row))
    if outcome is not AuditOutcome.allowed:
        after_rollback(session, lambda fresh: fresh.add(AuditEvent(**row)))


def record_list(
    session: Session, actor: Actor, action: str, patient_ids: Iterable[int], *, entity_type: str = "patient"
) -> None:
    """One row per patient a list showed, in one statement: 'who saw my record' must include lists."""
    rows = [_row(actor, action, AuditOutcome.allowed, patient_id=pid, entity_type=entity_type)
            for pid in dict.fromkeys(patient_ids)]
    # The table, not the mapped class: a page writes its rows on every load, and the ORM's insert path (mapper
    # lookups, per-row state, the unit of work's flush) cost more than the INSERT itself.
    append_rows(session, _AUDIT_TABLE, rows)
