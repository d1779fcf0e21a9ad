"""What a rule and its actions see while one event is processed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar
from uuid import UUID

from sqlalchemy.orm import Session

from careloop.access import Actor
from careloop.pathways.facts import PatientFacts
from careloop.pathways.schemas import EncounterEvent
from careloop.pending_inserts import PendingInserts

T = TypeVar("T")


class EventPatient(NamedTuple):
    """What the rules and actions need of the event's patient: the access check's ids and the name for titles."""

    id: int
    public_id: UUID
    given: str
    family: str


@dataclass
class EventContext:
    session: Session
    actor: Actor
    event: EncounterEvent
    patient: EventPatient
    facts: PatientFacts  # the care team and diagnoses, read for the whole batch of events at once
    # Rows nothing reads back while the batch is processed (audit rows, task and episode history): written by
    # the engine with one INSERT per table when the batch's events are done, in the same transaction.
    pending: PendingInserts = field(default_factory=PendingInserts)
    # What the actions keep for the whole run of events, shared like `pending`: what they made that waits in it
    # unwritten, for the later events of the run to find (an episode a readmission links to).
    shared: dict[str, Any] = field(default_factory=dict)
    run: Sequence[EncounterEvent] = ()  # the run's events, for what the actions read once for all of them
    _cache: dict[str, Any] = field(default_factory=dict)

    def cached(self, name: str, load: Callable[[EventContext], T]) -> T:
        """A fact read once per event, however many actions ask for it."""
        if name not in self._cache:
            self._cache[name] = load(self)
        value: T = self._cache[name]
        return value

    def remember(self, name: str, value: Any) -> None:
        """A fact an action established (the episode it started), for the actions after it."""
        self._cache[name] = value


@dataclass(frozen=True)
class Work:
    """Where an action's work is recorded: the pathway and version, the rule, and the idempotency key."""

    pathway: str
    version: int
    rule: str
    key: str

    @property
    def provenance(self) -> str:
        return f"pathway {self.pathway} v{self.version}, rule {self.rule}"
