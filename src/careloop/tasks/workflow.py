"""The task state machine, as data.

Follows the FHIR R4 Task state machine (hl7.org/fhir/R4/task.html#statemachine and the spec's task notes):
a task starts in *draft*; with an owner it is *ready*; starting work makes it *in-progress*; it ends
*completed* or, on error, *failed*. The request/accept flow (requested -> received -> accepted | rejected)
is used when a task is queued to a team or role and someone must take it on. Any non-terminal task can be
*cancelled*; non-terminal tasks can be put *on-hold* and resume to the status they had; an in-progress task
can be stopped back to *ready* so it can be reassigned. The spec calls this machine "typical", so it lives
here as a table that a deployment could replace, not as branches scattered through the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from careloop.models.task import TaskStatus as S

OPEN_STATUSES = frozenset({S.draft, S.requested, S.received, S.accepted, S.ready, S.in_progress, S.on_hold})
TERMINAL_STATUSES = frozenset({S.completed, S.cancelled, S.failed, S.rejected, S.entered_in_error})
# Statuses in which a task is on someone's plate; the overdue flag and counts use these.
ACTIVE_STATUSES = OPEN_STATUSES - {S.draft}


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    sources: frozenset[S]
    target: S | None  # None: resume to the status the task had before it was put on hold
    needs_reason: bool = False


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action("request", "Send request", frozenset({S.draft}), S.requested),
        Action("receive", "Acknowledge", frozenset({S.requested}), S.received),
        Action("accept", "Accept", frozenset({S.requested, S.received}), S.accepted),
        Action("reject", "Decline", frozenset({S.requested, S.received}), S.rejected, needs_reason=True),
        Action("start", "Start", frozenset({S.ready, S.accepted}), S.in_progress),
        Action("stop", "Stop (back to ready)", frozenset({S.in_progress}), S.ready),
        Action("hold", "Put on hold", OPEN_STATUSES - {S.on_hold}, S.on_hold, needs_reason=True),
        Action("resume", "Resume", frozenset({S.on_hold}), None),
        # Completing straight from ready/accepted records a piece of work started and finished at once.
        Action("complete", "Complete", frozenset({S.in_progress, S.ready, S.accepted}), S.completed),
        Action("fail", "Mark failed", frozenset({S.in_progress}), S.failed, needs_reason=True),
        Action("cancel", "Cancel", OPEN_STATUSES, S.cancelled, needs_reason=True),
        Action("entered-in-error", "Entered in error", frozenset(S) - {S.entered_in_error}, S.entered_in_error,
               needs_reason=True),
    )
}


@cache
def allowed_actions(status: S) -> tuple[Action, ...]:
    """Computed once per status: every task shown on a worklist asks (the table above never changes)."""
    return tuple(a for a in ACTIONS.values() if status in a.sources)


def target_status(action: Action, current: S, resume_status: S | None) -> S:
    if action.target is not None:
        return action.target
    return resume_status or S.ready
