"""Assessment JSON routes: the instrument library, a patient's responses, filling one in, amending it, and
deciding on what it found."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from careloop.assessments import fhir, service
from careloop.assessments.library import Instrument, get_instrument
from careloop.assessments.schemas import (
    ConcernOut,
    EnteredInError,
    FindingAccept,
    FindingDismiss,
    FindingOut,
    InstrumentOut,
    ItemOut,
    OptionOut,
    ResponseAmend,
    ResponseComplete,
    ResponseOut,
    ResponseSave,
    ResponseStart,
    ResponseSummary,
    ScoreOut,
    ScoreRuleOut,
)
from careloop.http.deps import ApiActor, DbSession
from careloop.models import AssessmentFinding, AssessmentResponse, Condition, Patient, Task

router = APIRouter(tags=["assessments"])


def instrument_out(instrument: Instrument) -> InstrumentOut:
    return InstrumentOut(
        key=instrument.key, title=instrument.title, version=instrument.version,
        description=instrument.description, loinc=instrument.loinc,
        items=[ItemOut(link_id=i.link_id, text=i.text, required=i.required, repeats=i.repeats, loinc=i.loinc,
                       options=[OptionOut(system=o.system, code=o.code, display=o.display, value=o.value)
                                for o in i.options]) for i in instrument.items],
        scores=[ScoreRuleOut(key=s.key, display=s.display, loinc=s.loinc, min=s.min, max=s.max)
                for s in instrument.scoring.scores])


def summary_out(response: AssessmentResponse, patient: Patient, *, author: str | None,
                replaces: AssessmentResponse | None, replaced_by: AssessmentResponse | None) -> ResponseSummary:
    return ResponseSummary(
        id=response.public_id, patient_id=patient.public_id, instrument=response.instrument,
        instrument_title=get_instrument(response.instrument).title, instrument_version=response.instrument_version,
        status=response.status, status_reason=response.status_reason, started_at=response.started_at,
        authored_at=response.authored_at, author=author, version=response.version,
        replaces_id=replaces.public_id if replaces else None,
        replaced_by_id=replaced_by.public_id if replaced_by else None)


def finding_out(finding: AssessmentFinding, conditions: dict[int, Condition], tasks: dict[int, Task]) -> FindingOut:
    concern = (ConcernOut(system=finding.concern_system, code=finding.concern_code, display=finding.concern_display,
                          sdoh_category=finding.sdoh_category) if finding.concern_display else None)
    condition = conditions.get(finding.condition_id or 0)
    task = tasks.get(finding.task_id or 0)
    return FindingOut(
        id=finding.public_id, rule_key=finding.rule_key, display=finding.display, concern=concern,
        severity=finding.severity, status=finding.status,
        decided_by=finding.decided_by.display_name if finding.decided_by else None, decided_at=finding.decided_at,
        reason=finding.reason, condition_id=condition.public_id if condition else None,
        task_id=task.public_id if task else None)


def response_out(view: service.ResponseView) -> ResponseOut:
    response, rules = view.response, {r.key: r for r in view.instrument.scoring.scores}
    summary = summary_out(response, response.patient, author=view.author, replaces=view.replaces,
                          replaced_by=view.replaced_by)
    scores = [ScoreOut(key=link.score_key, display=observation.display,
                       loinc=rules[link.score_key].loinc if link.score_key in rules else None,
                       value=observation.value_num, band_code=link.band_code, band_display=observation.value_text,
                       observation_id=observation.public_id, status=observation.status.value)
              for link, observation in view.scores]
    return ResponseOut(
        **summary.model_dump(), answers=response.answers, scores=scores,
        findings=[finding_out(f, view.conditions, view.tasks) for f in view.findings],
        questionnaire_response=fhir.questionnaire_response(response, view.instrument, view.author))


def _answer(session: Session, response: AssessmentResponse) -> ResponseOut:
    return response_out(service.view(session, response))


@router.get("/assessment-instruments", response_model=list[InstrumentOut], summary="The instrument library")
def list_instruments(_actor: ApiActor) -> list[InstrumentOut]:
    """Every instrument with its questions and answer options, enough for a client to render the form."""
    return [instrument_out(i) for i in service.list_instruments()]


@router.get("/assessment-instruments/{key}", response_model=InstrumentOut, summary="One instrument")
def get_instrument_route(key: str, _actor: ApiActor) -> InstrumentOut:
    return instrument_out(get_instrument(key))


@router.get("/patients/{patient_id}/assessments", response_model=list[ResponseSummary],
            summary="A patient's assessment responses, newest first")
def patient_assessments(patient_id: UUID, session: DbSession, actor: ApiActor) -> list[ResponseSummary]:
    patient, responses = service.patient_responses(session, actor, patient_id)
    by_id = {r.id: r for r in responses}
    replaced_by = {r.replaces_id: r for r in responses if r.replaces_id is not None}
    return [summary_out(r, patient, author=r.author.display_name if r.author else None,
                        replaces=by_id.get(r.replaces_id or 0), replaced_by=replaced_by.get(r.id))
            for r in responses]


@router.post("/patients/{patient_id}/assessments", response_model=ResponseOut, status_code=status.HTTP_201_CREATED,
             summary="Start an assessment (a draft, answers optional)")
def start_assessment(patient_id: UUID, body: ResponseStart, session: DbSession, actor: ApiActor) -> ResponseOut:
    return _answer(session, service.start(session, actor, patient_id, body))


@router.get("/assessments/{response_id}", response_model=ResponseOut, summary="An assessment response")
def get_assessment(response_id: UUID, session: DbSession, actor: ApiActor) -> ResponseOut:
    """Answers, scores (with their Observation ids), findings, and the FHIR R4 QuestionnaireResponse."""
    return response_out(service.get_response(session, actor, response_id))


@router.get("/assessments/{response_id}/fhir", summary="The response and its scores as a FHIR R4 Bundle")
def get_assessment_fhir(response_id: UUID, session: DbSession, actor: ApiActor) -> dict[str, object]:
    return fhir.render(service.get_response(session, actor, response_id))


@router.put("/assessments/{response_id}/answers", response_model=ResponseOut, summary="Save progress")
def save_answers(response_id: UUID, body: ResponseSave, session: DbSession, actor: ApiActor) -> ResponseOut:
    """Partial answers are checked (unknown questions or answers are refused) but need not be complete."""
    return _answer(session, service.save_progress(session, actor, response_id, body))


@router.post("/assessments/{response_id}/complete", response_model=ResponseOut, summary="Complete and score")
def complete_assessment(response_id: UUID, body: ResponseComplete, session: DbSession,
                        actor: ApiActor) -> ResponseOut:
    """Every required question must be answered (422 lists each problem by question). Scores are stored as
    Observations; findings are proposed; a finding that demands a task (PHQ-9 item 9) raises it at once."""
    return _answer(session, service.complete(session, actor, response_id, body))


@router.post("/assessments/{response_id}/amend", response_model=ResponseOut, status_code=status.HTTP_201_CREATED,
             summary="Amend a completed response")
def amend_assessment(response_id: UUID, body: ResponseAmend, session: DbSession, actor: ApiActor) -> ResponseOut:
    """Answers the new response, which replaces this one; this one is kept with status amended."""
    return _answer(session, service.amend(session, actor, response_id, body))


@router.post("/assessments/{response_id}/entered-in-error", response_model=ResponseOut,
             summary="Mark a response entered in error")
def entered_in_error(response_id: UUID, body: EnteredInError, session: DbSession, actor: ApiActor) -> ResponseOut:
    return _answer(session, service.mark_entered_in_error(session, actor, response_id, body))


@router.post("/assessments/{response_id}/findings/{finding_id}/accept", response_model=ResponseOut,
             summary="Accept a finding: record its health concern")
def accept_finding(response_id: UUID, finding_id: UUID, body: FindingAccept, session: DbSession,
                   actor: ApiActor) -> ResponseOut:
    service.accept_finding(session, actor, response_id, finding_id, body)
    return response_out(service.get_response(session, actor, response_id))


@router.post("/assessments/{response_id}/findings/{finding_id}/dismiss", response_model=ResponseOut,
             summary="Dismiss a finding, saying why")
def dismiss_finding(response_id: UUID, finding_id: UUID, body: FindingDismiss, session: DbSession,
                    actor: ApiActor) -> ResponseOut:
    service.dismiss_finding(session, actor, response_id, finding_id, body)
    return response_out(service.get_response(session, actor, response_id))
