"""Assessment use cases: start a response, save progress, complete it (scores as Observations, findings, and
the same-day tasks a finding demands), amend or void a completed one, and accept or dismiss a finding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from careloop import access
from careloop.access import Actor, PatientRef, Permission
from careloop.assessments import repository as repo
from careloop.assessments.library import FindingRule, Instrument, get_instrument, instruments
from careloop.assessments.schemas import (
    AnswersIn,
    EnteredInError,
    FindingAccept,
    FindingDismiss,
    ResponseAmend,
    ResponseComplete,
    ResponseSave,
    ResponseStart,
)
from careloop.assessments.scoring import AnswerProblem, Answers, Result, check_answers, score
from careloop.clock import utcnow
from careloop.errors import Conflict, InvalidInput
from careloop.models import (
    AssessmentFinding,
    AssessmentResponse,
    AssessmentScore,
    CareTeamRole,
    Condition,
    ConditionCategory,
    ConditionClinicalStatus,
    FindingStatus,
    Observation,
    ObservationStatus,
    Patient,
    ResponseStatus,
    Task,
    User,
)
from careloop.models.condition import ACTIVE_CLINICAL_STATUSES
from careloop.patients import repository as patients_repo
from careloop.public_ids import new_public_id
from careloop.tasks import service as tasks_service
from careloop.tasks.schemas import TaskCreate, TaskOwnerIn, TaskType
from careloop.tasks.workflow import OPEN_STATUSES
from careloop.terminology.systems import system_for_uri
from careloop.transitions.clock import end_of_local_day, local_date
from careloop.worker import emit

OBSERVATION_RECORDED = "observation.recorded"  # the contract with care plans (goal achievement)
LOCAL_SCORE_SYSTEM = "urn:careloop:assessment-score"  # for scores LOINC has no code for
LOCAL_CONCERN_SYSTEM = "careloop"  # conditions.code_system for a concern the rule names by text only


@dataclass(frozen=True)
class ResponseView:
    """A response with what it produced, loaded for a page or an API answer."""

    response: AssessmentResponse
    instrument: Instrument
    scores: Sequence[tuple[AssessmentScore, Observation]]
    findings: Sequence[AssessmentFinding]
    conditions: dict[int, Condition]
    tasks: dict[int, Task]
    replaces: AssessmentResponse | None
    replaced_by: AssessmentResponse | None
    author: str | None


# ---- reading -------------------------------------------------------------------------------------------------

def list_instruments() -> list[Instrument]:
    return list(instruments().values())


def patient_responses(session: Session, actor: Actor, patient_id: UUID) -> tuple[Patient, Sequence[AssessmentResponse]]:
    patient = patients_repo.get_or_raise(session, patient_id)
    access.require(session, actor, Permission.assessment_read, patient, action="assessment.list")
    return patient, repo.for_patient(session, patient.id)


def get_response(session: Session, actor: Actor, response_id: UUID) -> ResponseView:
    response = repo.get_or_raise(session, response_id)
    access.require(session, actor, Permission.assessment_read, response.patient, action="assessment.read",
                   entity_type="assessment", entity_id=str(response.public_id))
    return view(session, response)


def view(session: Session, response: AssessmentResponse) -> ResponseView:
    """What a response produced. The caller has checked access to its patient."""
    findings = repo.findings(session, response.id)
    related = repo.by_ids(session, [response.replaces_id] if response.replaces_id else [])
    return ResponseView(
        response=response, instrument=get_instrument(response.instrument), scores=repo.scores(session, response.id),
        findings=findings, conditions=repo.conditions(session, (f.condition_id for f in findings)),
        tasks=repo.tasks(session, (f.task_id for f in findings)),
        replaces=related.get(response.replaces_id or 0),
        replaced_by=repo.replaced_by(session, [response.id]).get(response.id),
        author=author.display_name if (author := session.get(User, response.author_id or 0)) else None)


# ---- filling in ----------------------------------------------------------------------------------------------

def start(session: Session, actor: Actor, patient_id: UUID, data: ResponseStart) -> AssessmentResponse:
    patient = patients_repo.get_or_raise(session, patient_id)
    response_id = new_public_id()
    access.require(session, actor, Permission.assessment_write, patient, action="assessment.start",
                   entity_type="assessment", entity_id=str(response_id))
    if data.instrument not in instruments():
        raise InvalidInput(f"No instrument {data.instrument!r}; choose one of: {', '.join(instruments())}.")
    instrument = get_instrument(data.instrument)
    _refuse_problems(instrument, check_answers(instrument, data.answers, complete=False))
    now = utcnow()
    response = AssessmentResponse(
        public_id=response_id, patient_id=patient.id, patient=patient, instrument=instrument.key,
        instrument_version=instrument.version, status=ResponseStatus.in_progress,
        answers=_ordered(instrument, data.answers), author_id=actor.user_id, started_at=now, last_modified=now)
    session.add(response)
    session.flush()
    return response


def save_progress(session: Session, actor: Actor, response_id: UUID, data: ResponseSave) -> AssessmentResponse:
    response = _writable(session, actor, response_id, data.version, action="assessment.save")
    _require_in_progress(response)
    instrument = get_instrument(response.instrument)
    _refuse_problems(instrument, check_answers(instrument, data.answers, complete=False))
    response.answers = _ordered(instrument, data.answers)
    return _save(session, response)


def complete(session: Session, actor: Actor, response_id: UUID, data: ResponseComplete) -> AssessmentResponse:
    """Score the answers, store the scores as Observations, record the findings and raise their tasks."""
    response = _writable(session, actor, response_id, data.version, action="assessment.complete")
    _require_in_progress(response)
    instrument = get_instrument(response.instrument)
    answers = data.answers if data.answers is not None else response.answers
    _refuse_problems(instrument, check_answers(instrument, answers, complete=True))
    response.answers = _ordered(instrument, answers)
    _save(session, response)
    _finish(session, actor, response, instrument, previous=[])
    return response


def amend(session: Session, actor: Actor, response_id: UUID, data: ResponseAmend) -> AssessmentResponse:
    """A corrected response replaces a completed one. The old one keeps its answers, now `amended`; its score
    observations become `amended` too (the new ones are the current values); its findings are re-evaluated."""
    old = _writable(session, actor, response_id, data.version, action="assessment.amend")
    if old.status is not ResponseStatus.completed:
        raise Conflict(_not_amendable(old))
    instrument = get_instrument(old.instrument)
    _refuse_problems(instrument, check_answers(instrument, data.answers, complete=True))
    now = utcnow()
    old.status, old.status_reason, old.last_modified = ResponseStatus.amended, data.reason, now
    for _, observation in repo.scores(session, old.id):
        observation.status = ObservationStatus.amended
    _save(session, old)
    new = AssessmentResponse(
        public_id=new_public_id(), patient_id=old.patient_id, patient=old.patient, instrument=instrument.key,
        instrument_version=instrument.version, status=ResponseStatus.completed,
        answers=_ordered(instrument, data.answers), author_id=actor.user_id, started_at=now, last_modified=now,
        replaces_id=old.id)
    session.add(new)
    session.flush()
    _finish(session, actor, new, instrument, previous=repo.findings(session, old.id))
    return new


def mark_entered_in_error(session: Session, actor: Actor, response_id: UUID,
                          data: EnteredInError) -> AssessmentResponse:
    """A response filled for the wrong patient, or by mistake: kept, but no longer counted. Its scores become
    entered-in-error and its undecided findings are withdrawn; a concern already accepted stays, since a
    person decided it (resolve it on the problem list)."""
    response = _writable(session, actor, response_id, data.version, action="assessment.entered_in_error")
    if response.status not in (ResponseStatus.in_progress, ResponseStatus.completed):
        raise Conflict(f"This response is {response.status}; only a draft or a current completed response can be "
                       "marked entered in error.")
    response.status, response.status_reason = ResponseStatus.entered_in_error, data.reason
    for _, observation in repo.scores(session, response.id):
        observation.status = ObservationStatus.entered_in_error
    for finding in repo.findings(session, response.id):
        if finding.status is FindingStatus.proposed:
            finding.status = FindingStatus.withdrawn
    return _save(session, response)


def _not_amendable(response: AssessmentResponse) -> str:
    match response.status:
        case ResponseStatus.in_progress:
            return "This response is still in progress; change its answers and complete it instead."
        case ResponseStatus.amended:
            return "This response was already amended; amend the response that replaced it."
        case _:
            return f"This response is {response.status}; only a completed response can be amended."


def _require_in_progress(response: AssessmentResponse) -> None:
    if response.status is not ResponseStatus.in_progress:
        raise Conflict(f"This response is {response.status}, not in progress; "
                       + ("amend it to change its answers." if response.status is ResponseStatus.completed
                          else "it cannot be changed."))


def _refuse_problems(instrument: Instrument, problems: list[AnswerProblem]) -> None:
    if not problems:
        return
    numbers = {item.link_id: n for n, item in enumerate(instrument.items, start=1)}
    listed = [{"link_id": p.link_id, "question": numbers.get(p.link_id), "message": p.message} for p in problems]
    lines = [f"question {numbers[p.link_id]} {p.message}" if p.link_id in numbers
             else f"{p.link_id!r} {p.message}" for p in problems]
    noun = "answer needs" if len(problems) == 1 else "answers need"
    raise InvalidInput(f"{len(problems)} {noun} attention: {'; '.join(lines)}.", details={"problems": listed})


def _ordered(instrument: Instrument, answers: Answers) -> AnswersIn:
    """The answers in questionnaire order, leaving out items with none (checked beforehand)."""
    return {item.link_id: list(answers[item.link_id]) for item in instrument.items if answers.get(item.link_id)}


def _writable(session: Session, actor: Actor, response_id: UUID, version: int, *, action: str) -> AssessmentResponse:
    response = repo.get_or_raise(session, response_id)
    access.require(session, actor, Permission.assessment_write, response.patient, action=action,
                   entity_type="assessment", entity_id=str(response.public_id))
    if response.version != version:
        raise Conflict(f"This response was changed by someone else since you opened it (you have version "
                       f"{version}, it is now version {response.version}). Reload it and try again.",
                       details={"current_version": response.version})
    return response


def _save(session: Session, response: AssessmentResponse) -> AssessmentResponse:
    response.last_modified = utcnow()
    try:
        session.flush()  # the version check runs here: a concurrent writer makes this UPDATE match no row
    except StaleDataError as exc:
        raise Conflict("This response was changed by someone else at the same moment. Reload it and try "
                       "again.") from exc
    return response


# ---- what a completed response produces ------------------------------------------------------------------

def _finish(session: Session, actor: Actor, response: AssessmentResponse, instrument: Instrument, *,
            previous: Sequence[AssessmentFinding]) -> None:
    now = utcnow()
    response.status, response.authored_at, response.author_id = ResponseStatus.completed, now, actor.user_id
    result = score(instrument, response.answers)
    _record_scores(session, response, instrument, result)
    before = {f.rule_key: f for f in previous}
    for rule in result.findings:
        _record_finding(session, actor, response, instrument, result, rule, before.pop(rule.key, None))
    for gone in before.values():  # no longer found by the amended answers: nobody needs to decide it now
        if gone.status is FindingStatus.proposed:
            gone.status = FindingStatus.withdrawn
    _save(session, response)


def score_code(instrument: Instrument, key: str, loinc: str | None) -> tuple[str, str]:
    """(system, code) of a score's observation: LOINC where it has a code, else a local code."""
    if loinc:
        return "http://loinc.org", loinc
    return LOCAL_SCORE_SYSTEM, instrument.key if key == "total" else f"{instrument.key}.{key}"


def _record_scores(session: Session, response: AssessmentResponse, instrument: Instrument, result: Result) -> None:
    assert response.authored_at is not None
    made: list[tuple[Observation, str]] = []
    for found in result.scores:
        _, code = score_code(instrument, found.rule.key, found.rule.loinc)
        observation = Observation(
            public_id=new_public_id(), patient_id=response.patient_id, category="survey", code=code,
            display=found.rule.display[:200], panel_code=instrument.loinc, status=ObservationStatus.final,
            effective_at=response.authored_at, value_num=found.value,
            value_text=found.band.display[:300] if found.band else None, unit="{score}")
        session.add(observation)
        made.append((observation, found.band.code if found.band else ""))
    session.flush()
    for (observation, band), found in zip(made, result.scores, strict=True):
        session.add(AssessmentScore(response_id=response.id, observation_id=observation.id,
                                    score_key=found.rule.key, band_code=band or None))
    if made:
        emit(session, OBSERVATION_RECORDED, {"patient_id": response.patient_id,
                                             "observation_ids": [o.id for o, _ in made],
                                             "codes": [o.code for o, _ in made]})


def _record_finding(session: Session, actor: Actor, response: AssessmentResponse, instrument: Instrument,
                    result: Result, rule: FindingRule, earlier: AssessmentFinding | None) -> None:
    concern = rule.concern
    band = result.score(rule.when.score).band if rule.when.score else None
    finding = AssessmentFinding(
        public_id=new_public_id(), response_id=response.id, patient_id=response.patient_id, rule_key=rule.key,
        display=rule.display[:300], concern_system=concern.system if concern else None,
        concern_code=concern.code if concern else None, concern_display=concern.display if concern else None,
        sdoh_category=concern.sdoh_category if concern else None, severity=band.display[:64] if band else None,
        status=FindingStatus.proposed if concern else FindingStatus.task_raised)
    if earlier is not None and earlier.status in (FindingStatus.accepted, FindingStatus.dismissed):
        # Decided on the response this one amends, and found again: the decision stands.
        finding.status, finding.decided_by_id, finding.decided_at = earlier.status, earlier.decided_by_id, \
            earlier.decided_at
        finding.reason, finding.condition_id = earlier.reason, earlier.condition_id
    elif earlier is not None and earlier.status is FindingStatus.proposed:
        earlier.status = FindingStatus.withdrawn
    if rule.task is not None:
        finding.task_id = _task_for(session, actor, response, instrument, rule, earlier)
    session.add(finding)


def _task_for(session: Session, actor: Actor, response: AssessmentResponse, instrument: Instrument,
              rule: FindingRule, earlier: AssessmentFinding | None) -> int:
    """The finding's same-day task: the one the amended response raised while it is still open, or a new one
    queued to the care-team role the rule names, or to the author when nobody on the care team holds it."""
    if earlier is not None and earlier.task_id is not None:
        open_task = repo.tasks(session, [earlier.task_id]).get(earlier.task_id)
        if open_task is not None and open_task.status in OPEN_STATUSES:
            return open_task.id
    spec = rule.task
    assert spec is not None
    author = session.get(User, actor.user_id) if actor.user_id is not None else None
    held = spec.role in repo.held_roles(session, response.patient_id)
    owner = (TaskOwnerIn(role=CareTeamRole(spec.role)) if held or author is None
             else TaskOwnerIn(user_id=author.public_id))
    authored = response.authored_at or utcnow()
    task = tasks_service.create_task(session, actor, response.patient.public_id, TaskCreate(
        type=TaskType(spec.type), title=spec.title[:200], priority=spec.priority,
        due_at=end_of_local_day(local_date(authored)), owner=owner,
        description=f"{spec.description}\n\nRaised by the {instrument.title} completed on "
                    f"{local_date(authored).isoformat()} (assessment {response.public_id})."))
    return task.id


# ---- deciding on findings ----------------------------------------------------------------------------------

def accept_finding(session: Session, actor: Actor, response_id: UUID, finding_id: UUID,
                   data: FindingAccept) -> AssessmentFinding:
    """Record the proposed concern as a health-concern Condition (or link the active one already recorded)."""
    response, finding = _decidable(session, actor, response_id, finding_id, action="assessment.finding.accept")
    condition = _existing_concern(session, finding) or _new_concern(session, response, finding)
    finding.condition_id = condition.id
    return _decide(session, actor, finding, FindingStatus.accepted, data.note)


def dismiss_finding(session: Session, actor: Actor, response_id: UUID, finding_id: UUID,
                    data: FindingDismiss) -> AssessmentFinding:
    _, finding = _decidable(session, actor, response_id, finding_id, action="assessment.finding.dismiss")
    return _decide(session, actor, finding, FindingStatus.dismissed, data.reason)


def _decidable(session: Session, actor: Actor, response_id: UUID, finding_id: UUID, *,
               action: str) -> tuple[AssessmentResponse, AssessmentFinding]:
    response = repo.get_or_raise(session, response_id)
    access.require(session, actor, Permission.assessment_write, response.patient, action=action,
                   entity_type="assessment-finding", entity_id=str(finding_id))
    finding = repo.finding_or_raise(session, response.id, finding_id)
    if finding.status is FindingStatus.task_raised:
        raise Conflict("This finding raises a task, not a health concern: there is nothing to accept or dismiss.")
    if finding.status is not FindingStatus.proposed:
        who = f" by {finding.decided_by.display_name}" if finding.decided_by else ""
        raise Conflict(f"This finding was already {finding.status.value}{who}; it cannot be decided again.")
    return response, finding


def _decide(session: Session, actor: Actor, finding: AssessmentFinding, status: FindingStatus,
            reason: str | None) -> AssessmentFinding:
    finding.status, finding.reason = status, reason
    finding.decided_by_id, finding.decided_at = actor.user_id, utcnow()
    session.flush()
    session.refresh(finding, ["decided_by"])
    return finding


def _concern_code(finding: AssessmentFinding) -> tuple[str, str]:
    known = system_for_uri(finding.concern_system) if finding.concern_system else None
    if known is not None and finding.concern_code:
        return known.key, finding.concern_code
    return LOCAL_CONCERN_SYSTEM, finding.rule_key[:32]


def _existing_concern(session: Session, finding: AssessmentFinding) -> Condition | None:
    system, code = _concern_code(finding)
    return session.scalar(select(Condition).where(
        Condition.patient_id == finding.patient_id, Condition.category == ConditionCategory.health_concern,
        Condition.code_system == system, Condition.code == code,
        Condition.clinical_status.in_(ACTIVE_CLINICAL_STATUSES)).order_by(Condition.id).limit(1))


def _new_concern(session: Session, response: AssessmentResponse, finding: AssessmentFinding) -> Condition:
    system, code = _concern_code(finding)
    now = utcnow()
    condition = Condition(
        public_id=new_public_id(), patient_id=response.patient_id, code_system=system, code=code,
        display=(finding.concern_display or finding.display)[:300], category=ConditionCategory.health_concern,
        clinical_status=ConditionClinicalStatus.active, verification_status="confirmed",
        onset_date=local_date(response.authored_at or now), recorded_at=now)
    session.add(condition)
    session.flush()
    return condition


# ---- for the pages -----------------------------------------------------------------------------------------

def patient_to_assess(session: Session, actor: Actor, patient_id: UUID) -> Patient:
    """The patient whose new assessment is being chosen (the page names them, so it is checked and audited)."""
    patient = patients_repo.get_or_raise(session, patient_id)
    access.require(session, actor, Permission.assessment_write, patient, action="assessment.choose")
    return patient


def for_chart(session: Session, patient: PatientRef) -> Sequence[AssessmentResponse]:
    """The patient page's list (the page has checked access to the patient)."""
    return repo.for_patient(session, patient.id)
