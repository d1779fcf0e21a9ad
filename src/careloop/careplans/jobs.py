"""Care-plan background work: goals re-evaluated when observations arrive (subscriber of observation.recorded),
a nightly sweep for what bulk imports wrote without an event, and the review cadence (due reviews become tasks;
a review task completed anywhere moves the plan's review date, subscriber of task.completed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from careloop.access import system_actor
from careloop.careplans import repository as repo
from careloop.careplans import service
from careloop.clock import utcnow
from careloop.worker import queue

EVALUATE_JOB = "careplans.evaluate_goals"
NIGHTLY_EVALUATE_JOB = "careplans.evaluate_all"
REVIEW_JOB = "careplans.reviews_due"
REVIEW_DONE_JOB = "careplans.review_task_completed"
NIGHTLY_SECONDS = 24 * 3600
REVIEW_SECONDS = 3600
SWEEP_BATCH = 200


def evaluate_goals(session: Session, payload: Mapping[str, Any]) -> None:
    """observation.recorded: {"patient_id": int, "observation_ids": [...], "codes": [LOINC...]}."""
    codes = [str(c) for c in payload.get("codes") or ()]
    if codes:
        service.evaluate_patient(session, system_actor("careplans"), int(payload["patient_id"]), codes)


def evaluate_all(session: Session, payload: Mapping[str, Any]) -> None:
    """Every patient with a measured goal, in batches by patient id; a full batch queues the next one. Bulk
    imports write observations without events (the hot path stays fast), so this catches them up nightly."""
    after = int(payload.get("after", 0))
    # The sweep's follow-up jobs are keyed by the night's run, which the first batch names: keyed by patient
    # alone, the second night's follow-ups would collide with the first night's and the sweep stop after 200.
    run = str(payload.get("run") or utcnow().isoformat())
    patient_ids = repo.patients_with_measured_goals(session, after, SWEEP_BATCH)
    actor = system_actor("careplans")
    for patient_id in patient_ids:
        codes = repo.measured_codes(session, patient_id)
        service.evaluate_patient(session, actor, patient_id, codes)
    if len(patient_ids) == SWEEP_BATCH:
        queue.enqueue(session, NIGHTLY_EVALUATE_JOB, {"after": patient_ids[-1], "run": run},
                      key=f"{NIGHTLY_EVALUATE_JOB}:{run}:{patient_ids[-1]}")


def reviews_due(session: Session, payload: Mapping[str, Any]) -> None:
    done = service.create_due_reviews(session, system_actor("careplans"))
    if done.more:
        queue.enqueue(session, REVIEW_JOB, {})


def review_task_completed(session: Session, payload: Mapping[str, Any]) -> None:
    """task.completed: {"task_id": int, "type": str, "by": str}; a plan's review task moves its review date."""
    if payload.get("type") == "care-plan-review":
        service.review_task_completed(session, system_actor("careplans"), int(payload["task_id"]),
                                      str(payload.get("by") or "someone"))
