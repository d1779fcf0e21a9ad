"""Care-plan JSON routes (thin: parse, call the service, shape the answer). Every answer with a plan carries
its version as an ETag; a change sends it back as If-Match (or the body's `version`), stale is 409."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response, status

from careloop.careplans import export_fhir, export_pdf, service, templates, views
from careloop.careplans.schemas import (
    AddressIn,
    DecisionIn,
    DiffOut,
    EntryIn,
    GoalIn,
    GoalUpdate,
    InterventionIn,
    PatientTemplateIn,
    PlanCreate,
    PlanOut,
    PlanSummary,
    PlanUpdate,
    ReadingIn,
    ReviewIn,
    RevisionOut,
    TemplateApplyIn,
    TemplateOut,
    Versioned,
)
from careloop.http.deps import ApiActor, DbSession, expected_version
from careloop.models import CarePlan

router = APIRouter(tags=["care plans"])
IfMatch = Annotated[str | None, Header()]




def _out(plan: CarePlan, response: Response) -> PlanOut:
    response.headers["ETag"] = f'W/"{plan.version}"'
    return views.plan_out(plan, service.today())


@router.get("/care-plan-templates", response_model=list[TemplateOut])
def list_templates() -> list[TemplateOut]:
    return [TemplateOut(id=t.id, version=t.version, title=t.title, source=t.source,
                        goals=[g.description for g in t.goals], interventions=[i.title for i in t.interventions])
            for t in templates.installed().values()]


@router.get("/patients/{patient_id}/care-plans", response_model=list[PlanSummary])
def patient_plans(patient_id: UUID, session: DbSession, actor: ApiActor) -> list[PlanSummary]:
    _, plans = service.patient_plans(session, actor, patient_id)
    return [views.summary_out(p) for p in plans]


@router.post("/patients/{patient_id}/care-plans", response_model=PlanOut, status_code=status.HTTP_201_CREATED)
def create_plan(patient_id: UUID, body: PlanCreate, session: DbSession, actor: ApiActor,
                response: Response) -> PlanOut:
    return _out(service.create_plan(session, actor, patient_id, body), response)


@router.post("/patients/{patient_id}/care-plans/apply-template", response_model=PlanOut,
             description="The template's goals and tasks on the patient's comprehensive plan (made if missing), once.")
def apply_template_to_patient(patient_id: UUID, body: PatientTemplateIn, session: DbSession, actor: ApiActor,
                              response: Response) -> PlanOut:
    return _out(service.apply_template_to_patient(session, actor, patient_id, body.template_id), response)


@router.get("/care-plans/{plan_id}", response_model=PlanOut)
def read_plan(plan_id: UUID, session: DbSession, actor: ApiActor, response: Response) -> PlanOut:
    return _out(service.get_plan(session, actor, plan_id), response)


@router.patch("/care-plans/{plan_id}", response_model=PlanOut)
def update_plan(plan_id: UUID, body: PlanUpdate, session: DbSession, actor: ApiActor, response: Response,
                if_match: IfMatch = None) -> PlanOut:
    body.version = expected_version(body.version, if_match)
    return _out(service.update_plan(session, actor, plan_id, body), response)


@router.post("/care-plans/{plan_id}/addresses", response_model=PlanOut)
def add_concern(plan_id: UUID, body: AddressIn, session: DbSession, actor: ApiActor, response: Response,
                if_match: IfMatch = None) -> PlanOut:
    body.version = expected_version(body.version, if_match)
    return _out(service.address(session, actor, plan_id, body), response)


@router.post("/care-plans/{plan_id}/goals", response_model=PlanOut)
def add_goal(plan_id: UUID, body: GoalIn, session: DbSession, actor: ApiActor, response: Response,
             if_match: IfMatch = None) -> PlanOut:
    body.version = expected_version(body.version, if_match)
    return _out(service.add_goal(session, actor, plan_id, body), response)


@router.patch("/care-plans/{plan_id}/goals/{goal_id}", response_model=PlanOut)
def update_goal(plan_id: UUID, goal_id: UUID, body: GoalUpdate, session: DbSession, actor: ApiActor,
                response: Response, if_match: IfMatch = None) -> PlanOut:
    body.version = expected_version(body.version, if_match)
    return _out(service.update_goal(session, actor, plan_id, goal_id, body), response)


@router.post("/care-plans/{plan_id}/goals/{goal_id}/readings", response_model=PlanOut,
             description="Record a reading of the goal's measure (e.g. BP 8480-6 and 8462-4); the goal is "
                         "re-evaluated.")
def record_reading(plan_id: UUID, goal_id: UUID, body: ReadingIn, session: DbSession, actor: ApiActor,
                   response: Response) -> PlanOut:
    return _out(service.record_reading(session, actor, plan_id, goal_id, body), response)


@router.post("/care-plans/{plan_id}/interventions", response_model=PlanOut)
def add_intervention(plan_id: UUID, body: InterventionIn, session: DbSession, actor: ApiActor, response: Response,
                     if_match: IfMatch = None) -> PlanOut:
    body.version = expected_version(body.version, if_match)
    return _out(service.add_intervention(session, actor, plan_id, body), response)


@router.post("/care-plans/{plan_id}/entries", response_model=PlanOut,
             description="What matters to the patient (kind 'priority') or a barrier.")
def add_entry(plan_id: UUID, body: EntryIn, session: DbSession, actor: ApiActor, response: Response,
              if_match: IfMatch = None) -> PlanOut:
    body.version = expected_version(body.version, if_match)
    return _out(service.add_entry(session, actor, plan_id, body), response)


@router.post("/care-plans/{plan_id}/entries/{entry_id}/resolve", response_model=PlanOut,
             description="Mark a priority or a barrier resolved (kept on the plan, never deleted).")
def resolve_entry(plan_id: UUID, entry_id: UUID, body: Versioned, session: DbSession, actor: ApiActor,
                  response: Response, if_match: IfMatch = None) -> PlanOut:
    body.version = expected_version(body.version, if_match)
    return _out(service.resolve_entry(session, actor, plan_id, entry_id, body), response)


@router.post("/care-plans/{plan_id}/decisions", response_model=PlanOut)
def add_decision(plan_id: UUID, body: DecisionIn, session: DbSession, actor: ApiActor, response: Response,
                 if_match: IfMatch = None) -> PlanOut:
    body.version = expected_version(body.version, if_match)
    return _out(service.add_decision(session, actor, plan_id, body), response)


@router.post("/care-plans/{plan_id}/templates", response_model=PlanOut)
def apply_template(plan_id: UUID, body: TemplateApplyIn, session: DbSession, actor: ApiActor, response: Response,
                   if_match: IfMatch = None) -> PlanOut:
    version = expected_version(body.version, if_match)
    return _out(service.apply_template(session, actor, plan_id, version, body.template_id), response)


@router.post("/care-plans/{plan_id}/review", response_model=PlanOut)
def complete_review(plan_id: UUID, body: ReviewIn, session: DbSession, actor: ApiActor, response: Response,
                    if_match: IfMatch = None) -> PlanOut:
    body.version = expected_version(body.version, if_match)
    return _out(service.complete_review(session, actor, plan_id, body), response)


@router.get("/care-plans/{plan_id}/revisions", response_model=list[RevisionOut])
def revisions(plan_id: UUID, session: DbSession, actor: ApiActor) -> list[RevisionOut]:
    _, found = service.history(session, actor, plan_id)
    return [RevisionOut(version=r.version, at=r.at, actor=r.actor_name, summary=r.summary) for r in found]


@router.get("/care-plans/{plan_id}/diff", response_model=DiffOut)
def diff(plan_id: UUID, session: DbSession, actor: ApiActor,
         from_: Annotated[int | None, Query(alias="from", ge=1)] = None,
         to: Annotated[int | None, Query(ge=1)] = None) -> DiffOut:
    """Field by field between two versions; by default the latest and the one before it."""
    newer = to or service.get_plan(session, actor, plan_id).version
    older = from_ or max(newer - 1, 1)
    changes = service.compare(session, actor, plan_id, older, newer)
    return DiffOut(from_version=min(older, newer), to_version=max(older, newer), changes=changes)


@router.get("/care-plans/{plan_id}/fhir", response_model=dict[str, Any],
            description="The plan as a FHIR R4 collection Bundle: CarePlan, Goal, CareTeam, Condition, "
                        "QuestionnaireResponse.")
def export_as_fhir(plan_id: UUID, session: DbSession, actor: ApiActor) -> Response:
    bundle = export_fhir.plan_bundle(session, actor, plan_id)
    return Response(export_fhir.dumps(bundle), media_type="application/fhir+json")


@router.get("/care-plans/{plan_id}/pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def export_as_pdf(plan_id: UUID, session: DbSession, actor: ApiActor) -> Response:
    content = export_pdf.plan_pdf(session, actor, plan_id)
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": 'attachment; filename="care-plan.pdf"'})
