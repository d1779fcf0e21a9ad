"""Assessment queries: responses with their patient and author, their scores (observations) and findings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from careloop.errors import NotFound
from careloop.models import (
    AssessmentFinding,
    AssessmentResponse,
    AssessmentScore,
    CareTeamMember,
    Condition,
    Observation,
    Task,
)


def get_or_raise(session: Session, public_id: UUID) -> AssessmentResponse:
    response = session.scalar(select(AssessmentResponse).where(AssessmentResponse.public_id == public_id)
                              .options(joinedload(AssessmentResponse.patient), joinedload(AssessmentResponse.author)))
    if response is None:
        raise NotFound(f"No assessment response {public_id}.")
    return response


def by_ids(session: Session, ids: Iterable[int]) -> dict[int, AssessmentResponse]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {r.id: r for r in session.scalars(select(AssessmentResponse).where(AssessmentResponse.id.in_(wanted))
                                             .options(joinedload(AssessmentResponse.patient)))}


def replaced_by(session: Session, response_ids: Iterable[int]) -> dict[int, AssessmentResponse]:
    """For each response, the amendment that replaces it, if any."""
    wanted = set(response_ids)
    if not wanted:
        return {}
    found = session.scalars(select(AssessmentResponse).where(AssessmentResponse.replaces_id.in_(wanted)))
    return {r.replaces_id: r for r in found if r.replaces_id is not None}


def for_patient(session: Session, patient_id: int) -> Sequence[AssessmentResponse]:
    return session.scalars(select(AssessmentResponse).where(AssessmentResponse.patient_id == patient_id)
                           .options(joinedload(AssessmentResponse.author))
                           .order_by(AssessmentResponse.started_at.desc(), AssessmentResponse.id.desc())).all()


def scores(session: Session, response_id: int) -> Sequence[tuple[AssessmentScore, Observation]]:
    rows = session.execute(select(AssessmentScore, Observation)
                           .join(Observation, Observation.id == AssessmentScore.observation_id)
                           .where(AssessmentScore.response_id == response_id).order_by(AssessmentScore.id))
    return [(score, observation) for score, observation in rows.tuples()]


def findings(session: Session, response_id: int) -> Sequence[AssessmentFinding]:
    return session.scalars(select(AssessmentFinding).where(AssessmentFinding.response_id == response_id)
                           .options(joinedload(AssessmentFinding.decided_by)).order_by(AssessmentFinding.id)).all()


def finding_or_raise(session: Session, response_id: int, public_id: UUID) -> AssessmentFinding:
    finding = session.scalar(select(AssessmentFinding).where(AssessmentFinding.response_id == response_id,
                                                             AssessmentFinding.public_id == public_id)
                             .options(joinedload(AssessmentFinding.decided_by)))
    if finding is None:
        raise NotFound(f"No finding {public_id} on this assessment response.")
    return finding


def conditions(session: Session, ids: Iterable[int | None]) -> dict[int, Condition]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {c.id: c for c in session.scalars(select(Condition).where(Condition.id.in_(wanted)))}


def tasks(session: Session, ids: Iterable[int | None]) -> dict[int, Task]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {t.id: t for t in session.scalars(select(Task).where(Task.id.in_(wanted)))}


def held_roles(session: Session, patient_id: int) -> set[str]:
    """The care-team roles someone with an account holds on the patient (a person or a team): the roles whose
    queue appears on somebody's worklist. A member known only by name sees no worklist."""
    held = session.scalars(select(CareTeamMember.role).where(
        CareTeamMember.patient_id == patient_id, CareTeamMember.period_end.is_(None),
        (CareTeamMember.user_id.is_not(None)) | (CareTeamMember.team_id.is_not(None))))
    return {role.value for role in held}


def evidence_for_conditions(session: Session, condition_ids: Iterable[int]) -> Sequence[AssessmentFinding]:
    """The findings that raised these health concerns (for a care plan or an export to cite as evidence)."""
    wanted = set(condition_ids)
    if not wanted:
        return []
    return session.scalars(select(AssessmentFinding).where(AssessmentFinding.condition_id.in_(wanted))
                           .order_by(AssessmentFinding.id)).all()
