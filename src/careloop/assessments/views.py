"""What the assessment pages show: each question with its options (chosen or not) and its own message, the
scores with their bands, and each finding with what may still be done with it. Pure functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from careloop.access import PatientRef
from careloop.assessments import service
from careloop.assessments.library import Instrument, instruments
from careloop.assessments.service import ResponseView
from careloop.models import AssessmentFinding, AssessmentResponse, FindingStatus, ResponseStatus

FIELD_PREFIX = "q-"  # form fields are named q-<linkId>, so no linkId can collide with csrf_token or version


@dataclass(frozen=True)
class OptionView:
    code: str
    display: str
    chosen: bool


@dataclass(frozen=True)
class QuestionView:
    number: int
    link_id: str
    field: str
    text: str
    required: bool
    repeats: bool
    options: tuple[OptionView, ...]
    error: str | None


@dataclass(frozen=True)
class ScoreLine:
    display: str
    value: str
    band: str | None
    code: str
    status: str


@dataclass(frozen=True)
class FindingLine:
    id: str
    display: str
    concern: str | None
    sdoh_category: str | None
    severity: str | None
    status: FindingStatus
    decided: str | None
    task_id: str | None
    can_decide: bool


@dataclass(frozen=True)
class ResponseLine:
    id: str
    title: str
    status: ResponseStatus
    when: datetime


def questions(instrument: Instrument, answers: Mapping[str, Sequence[str]],
              errors: Mapping[str, str]) -> list[QuestionView]:
    return [QuestionView(
        number=n, link_id=item.link_id, field=FIELD_PREFIX + item.link_id, text=item.text, required=item.required,
        repeats=item.repeats, error=errors.get(item.link_id),
        options=tuple(OptionView(o.code, o.display, o.code in answers.get(item.link_id, ())) for o in item.options))
        for n, item in enumerate(instrument.items, start=1)]


def score_lines(view: ResponseView) -> list[ScoreLine]:
    return [ScoreLine(display=observation.display, value=f"{observation.value_num:g}" if observation.value_num
                      is not None else "—", band=observation.value_text, code=observation.code,
                      status=observation.status.value) for _, observation in view.scores]


def finding_lines(view: ResponseView) -> list[FindingLine]:
    return [_finding(f, view) for f in view.findings]


def _finding(finding: AssessmentFinding, view: ResponseView) -> FindingLine:
    decided = None
    if finding.status in (FindingStatus.accepted, FindingStatus.dismissed):
        who = finding.decided_by.display_name if finding.decided_by else "someone"
        decided = f"{finding.status.value.capitalize()} by {who}" + (f": {finding.reason}" if finding.reason else "")
    task = view.tasks.get(finding.task_id or 0)
    return FindingLine(
        id=str(finding.public_id), display=finding.display, concern=finding.concern_display,
        sdoh_category=finding.sdoh_category, severity=finding.severity, status=finding.status, decided=decided,
        task_id=str(task.public_id) if task else None,
        can_decide=finding.status is FindingStatus.proposed and view.response.status is ResponseStatus.completed)


def response_lines(responses: Sequence[AssessmentResponse], instruments: Mapping[str, Instrument]) -> list[
        ResponseLine]:
    return [ResponseLine(id=str(r.public_id), title=instruments[r.instrument].title if r.instrument in instruments
                         else r.instrument, status=r.status, when=r.authored_at or r.started_at)
            for r in responses]


def for_chart(session: Session, patient: PatientRef) -> list[ResponseLine]:
    """The patient page's card (the page has checked access to the patient)."""
    return response_lines(service.for_chart(session, patient), instruments())
