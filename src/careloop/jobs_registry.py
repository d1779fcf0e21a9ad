"""The composition root for background work: every job handler, event subscription and schedule, by name.

worker/ never imports a domain; domains never import the worker loop. This module is where they meet.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from careloop.careplans import jobs as careplan_jobs
from careloop.careplans.service import OBSERVATION_RECORDED
from careloop.clock import utcnow
from careloop.config import get_settings
from careloop.integrations.fhir.api import export as fhir_export
from careloop.integrations.fhir.api.export_job import run_export
from careloop.integrations.hl7v2.apply import apply_pending as hl7v2_apply_pending
from careloop.integrations.hl7v2.apply import apply_pending_once_for_all as hl7v2_apply_all
from careloop.integrations.hl7v2.store import APPLY_JOB as HL7V2_APPLY_JOB
from careloop.pathways.definitions import installed, listened_to
from careloop.pathways.jobs import APPLY_JOB, apply_event, apply_events
from careloop.population.jobs import NIGHTLY_SECONDS, REFRESH_JOB, refresh, remove_superseded
from careloop.population.runner import REMOVE_SUPERSEDED_JOB
from careloop.tasks.jobs import SWEEP_JOB, notify_assignee, sweep_overdue
from careloop.tasks.service import TASK_ASSIGNED, TASK_COMPLETED
from careloop.worker import schedules
from careloop.worker.maintenance import purge_finished, refresh_statistics
from careloop.worker.registry import Registry

# Encounter events arrive at a hospital feed's rate (issue 5: 2,000 messages/s); one transaction per event would
# spend the worker on commits. A failing event makes its batch run again one by one, so it fails alone. 500 rather
# than 200: a batch's statements cost the same whatever it holds (a round trip, and on PostgreSQL a plan, each), and
# at 2,000 a second the batches were full; with 500 (and the apply's 500) two workers kept up on PostgreSQL, where
# with 200 they ended a 30 s feed 5-7 s behind (docs/decisions.md, 2026-12-07).
PATHWAY_BATCH = 500
# The feed's apply jobs are wake-ups (one a group commit of the MLLP listener): those queued together are one pass.
HL7V2_APPLY_BATCH = 100


def build_registry() -> Registry:
    settings = get_settings()
    registry = Registry()
    registry.job(SWEEP_JOB, sweep_overdue)
    registry.job("worker.purge_finished", purge_finished)
    registry.job("db.refresh_statistics", refresh_statistics)
    registry.job("tasks.notify_assignee", notify_assignee)
    registry.job(fhir_export.JOB, run_export)
    registry.job(HL7V2_APPLY_JOB, hl7v2_apply_pending, batch=HL7V2_APPLY_BATCH, batch_handler=hl7v2_apply_all)
    registry.subscribe(TASK_ASSIGNED, "tasks.notify_assignee")
    registry.job(APPLY_JOB, apply_event, batch=PATHWAY_BATCH, batch_handler=apply_events, plans=True)
    # Only the encounter events some pathway rule listens to (and cancels) become jobs: at a hospital feed's rate,
    # updates and transfers no rule wants would otherwise each cost the worker a job for nothing.
    for event_type in sorted(listened_to(installed())):
        registry.subscribe(event_type, APPLY_JOB)
    registry.every(settings.overdue_sweep_minutes * 60, SWEEP_JOB)
    registry.every(24 * 3600, "worker.purge_finished")
    registry.job(REFRESH_JOB, refresh)
    registry.job(REMOVE_SUPERSEDED_JOB, remove_superseded)
    registry.every(NIGHTLY_SECONDS, REFRESH_JOB)
    registry.every(24 * 3600, "db.refresh_statistics")
    # Care plans: goals follow the readings (event), a nightly catch-up for bulk imports, and due reviews.
    registry.job(careplan_jobs.EVALUATE_JOB, careplan_jobs.evaluate_goals)
    registry.subscribe(OBSERVATION_RECORDED, careplan_jobs.EVALUATE_JOB)
    registry.job(careplan_jobs.NIGHTLY_EVALUATE_JOB, careplan_jobs.evaluate_all)
    registry.every(careplan_jobs.NIGHTLY_SECONDS, careplan_jobs.NIGHTLY_EVALUATE_JOB)
    registry.job(careplan_jobs.REVIEW_JOB, careplan_jobs.reviews_due)
    registry.every(careplan_jobs.REVIEW_SECONDS, careplan_jobs.REVIEW_JOB)
    registry.job(careplan_jobs.REVIEW_DONE_JOB, careplan_jobs.review_task_completed)
    registry.subscribe(TASK_COMPLETED, careplan_jobs.REVIEW_DONE_JOB)
    return registry


def ensure_schedules(session: Session, registry: Registry | None = None) -> None:
    """Write the registry's schedules to the database (each worker does this at start; it is idempotent)."""
    schedules.ensure_schedules(session, (registry or build_registry()).schedules, utcnow())
