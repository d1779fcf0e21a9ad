"""Population use cases: a patient's scores and gaps, cohort counts and lists within the caller's reach, the
enrollment worklist, one-click enrollment, and outreach tasks for gaps (one open task per gap)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from careloop import access, audit
from careloop.access import Actor, Permission
from careloop.careteams import service as careteams
from careloop.careteams.schemas import CareTeamMemberIn
from careloop.clock import utcnow
from careloop.errors import Conflict, InvalidInput, NotFound
from careloop.models import CareGap, CareTeamRole, GapTask, Patient, PatientResult, PopulationRun, Task, TaskPriority
from careloop.patients import repository as patients_repo
from careloop.population import measures
from careloop.population import repository as repo
from careloop.population.schemas import (
    CohortCountOut,
    CohortMembershipOut,
    EnrollIn,
    GapOut,
    GapTaskIn,
    GapTaskOut,
    PatientPopulationOut,
    PopulationFilter,
    PopulationPage,
    PopulationRowOut,
    RunOut,
    ScoresOut,
    parse_evidence,
)
from careloop.tasks import service as tasks
from careloop.tasks.schemas import TaskCreate, TaskOwnerIn, TaskType

# The first work of a new enrollment: an intake assessment within a week, a care plan within two.
ENROLLMENT_TASKS = (
    (TaskType.assessment, "Care management intake assessment", 7),
    (TaskType.care_plan_review, "Draft the care plan with the patient", 14),
)


def patient_population(session: Session, actor: Actor, patient_id: UUID) -> PatientPopulationOut:
    patient = patients_repo.get_or_raise(session, patient_id)
    access.require(session, actor, Permission.patient_read, patient, action="population.patient.read")
    run = repo.latest_run(session)
    if run is None:
        return PatientPopulationOut(run=None, scores=None, gaps=[], cohorts=[])
    result = repo.result_for(session, run.id, patient.id)
    return PatientPopulationOut(
        run=run_out(run),
        scores=scores_out(result) if result else None,
        gaps=[gap_out(g) for g in repo.gaps_for(session, run.id, patient.id)],
        cohorts=[CohortMembershipOut(cohort=m.cohort, title=c.title, reason=m.reason)
                 for m, c in repo.cohorts_for(session, run.id, patient.id)],
    )


def cohort_counts(session: Session, actor: Actor) -> tuple[RunOut | None, list[CohortCountOut]]:
    """Each cohort's size among the patients the caller may see (never the whole population's)."""
    access.require_permission(session, actor, Permission.patient_read, action="population.cohorts")
    run = repo.latest_run(session)
    if run is None:
        return None, []
    counts = repo.cohort_counts(session, run.id, access.visible_patient_ids(actor))
    return run_out(run), [CohortCountOut(cohort=c.cohort, title=c.title, version=c.version, source=c.source,
                                         patients=n) for c, n in counts]


def population_list(session: Session, actor: Actor, filters: PopulationFilter, *,
                    worklist: bool = False) -> PopulationPage:
    """Scored patients within the caller's reach, filtered and sorted; the worklist keeps the high-risk ones
    not yet in care management."""
    access.require_permission(session, actor, Permission.patient_read, action="population.list")
    run = repo.latest_run(session)
    if run is None:
        return PopulationPage(run=None, rows=[], total=0, page=filters.page, size=filters.size)
    if worklist:
        filters = filters.model_copy(update={"tier": "high"})
    query = repo.results_query(run.id, access.visible_patient_ids(actor), filters, not_managed=worklist)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = session.execute(query.offset((filters.page - 1) * filters.size).limit(filters.size)).all()
    managed = repo.managed_among(session, [r.patient_id for r, _ in rows])
    audit.record_list(session, actor, "population.list", [r.patient_id for r, _ in rows])
    return PopulationPage(run=run_out(run), rows=[_row_out(r, p, r.patient_id in managed) for r, p in rows],
                          total=total, page=filters.page, size=filters.size)


def enroll(session: Session, actor: Actor, patient_id: UUID, data: EnrollIn) -> list[Task]:
    """Assign a care manager (default: the caller) and create the first care-management tasks."""
    manager_id = data.care_manager_id or _own_public_id(session, actor)
    patient = patients_repo.get_or_raise(session, patient_id)
    if patient.id in repo.managed_among(session, [patient.id]):
        access.require(session, actor, Permission.careteam_write, patient, action="population.enroll")
        raise Conflict("This patient already has a care manager.")
    careteams.add_member(session, actor, patient_id,
                         CareTeamMemberIn(role=CareTeamRole.rn_care_manager, user_id=manager_id))
    created = [tasks.create_task(session, actor, patient_id, TaskCreate(
        type=type_, title=title, due_at=utcnow() + timedelta(days=days), owner=TaskOwnerIn(user_id=manager_id)))
        for type_, title, days in ENROLLMENT_TASKS]
    audit.record(session, actor, "population.enroll", patient_id=patient.id, entity_type="patient",
                 entity_id=str(patient.public_id))
    return created


def gap_task(session: Session, actor: Actor, patient_id: UUID, data: GapTaskIn) -> GapTaskOut:
    """An outreach task for one open gap of the latest run; a gap that already has an open task gets it back."""
    patient = patients_repo.get_or_raise(session, patient_id)
    access.require(session, actor, Permission.task_write, patient, action="population.gap.task")
    run = repo.latest_run(session)
    gap = repo.open_gap(session, run.id, patient.id, data.measure, data.event_date) if run else None
    if gap is None:
        raise NotFound(f"No open {data.measure} gap for this patient in the latest population run.")
    existing = repo.open_task_for_gap(session, gap.gap_key)
    if existing is not None:
        return GapTaskOut(task_id=existing.public_id, created=False)
    task = tasks.create_task(session, actor, patient_id, _outreach(gap))
    session.add(GapTask(gap_key=gap.gap_key, patient_id=patient.id, task_id=task.id, created_at=utcnow()))
    session.flush()
    return GapTaskOut(task_id=task.public_id, created=True)


def _outreach(gap: CareGap) -> TaskCreate:
    found = measures.measure(gap.measure)
    due = datetime.combine(max(gap.due_date, utcnow().date() + timedelta(days=1)), time(17), tzinfo=UTC)
    soon = gap.event_date is not None and gap.due_date <= utcnow().date() + timedelta(days=7)
    return TaskCreate(type=TaskType.outreach, title=found.action[:200],
                      description=f"Care gap: {found.title}. {gap.evidence}.",
                      priority=TaskPriority.urgent if soon else TaskPriority.routine, due_at=due,
                      owner=TaskOwnerIn(role=CareTeamRole.care_coordinator))


def _own_public_id(session: Session, actor: Actor) -> UUID:
    from careloop.models import User

    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise InvalidInput("Name the care manager (care_manager_id): this caller is not a staff user.")
    return user.public_id


def run_out(run: PopulationRun) -> RunOut:
    return RunOut(id=run.public_id, as_of=run.as_of, period_start=run.period_start, period_end=run.period_end,
                  program=run.program, definitions=run.definitions)


def scores_out(result: PatientResult) -> ScoresOut:
    fields = {name: getattr(result, name) for name in ScoresOut.model_fields}
    fields["charlson_evidence"] = parse_evidence(result.charlson_evidence)
    fields["hcc_evidence"] = parse_evidence(result.hcc_evidence)
    return ScoresOut(**fields)


def gap_out(gap: CareGap) -> GapOut:
    found = measures.measure(gap.measure)
    definition = measures.definition_of(gap.measure)
    return GapOut(measure=gap.measure, title=found.title, version=gap.version, status=gap.status,
                  event_date=gap.event_date, due_date=gap.due_date, evidence=gap.evidence,
                  period=definition.period if definition else "", source=definition.source if definition else "")


def _row_out(result: PatientResult, patient: Patient, managed: bool) -> PopulationRowOut:
    return PopulationRowOut(patient_id=patient.public_id, name=patient.display_name, age=result.age,
                            risk_tier=result.risk_tier, charlson_quan2011=result.charlson_quan2011,
                            hcc_raf=result.hcc_raf, lace=result.lace, ed_12m=result.ed_12m, ip_12m=result.ip_12m,
                            open_gaps=result.open_gaps, in_care_management=managed)
