"""JSON routes of the ADT review queue (thin: parse, call review.py, shape)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from careloop.http.deps import ApiActor, DbSession
from careloop.integrations.hl7v2 import review
from careloop.integrations.hl7v2.schemas import (
    CandidateOut,
    HeldDetailOut,
    HeldIdentifier,
    HeldMessageOut,
    HeldPage,
    LinkIn,
    ResolvedOut,
)

router = APIRouter(prefix="/hl7/review", tags=["hl7v2"])


def held_out(group: review.HeldGroup) -> HeldMessageOut:
    row, message = group.first, group.message
    return HeldMessageOut(
        message_id=row.public_id,
        identifier=HeldIdentifier(system=row.identifier_system or "", value=row.identifier_value or ""),
        held_count=group.count, trigger=row.trigger, received_at=row.received_at, reason=row.error,
        family=message.family, given=message.given, birth_date=message.birth_date, sex=message.sex)


@router.get("", response_model=HeldPage, summary="ADT messages waiting for a patient")
def list_held(session: DbSession, actor: ApiActor) -> HeldPage:
    return HeldPage(items=[held_out(g) for g in review.held_groups(session, actor)])


@router.get("/{message_id}", response_model=HeldDetailOut, summary="A held message beside candidate patients")
def held_detail(message_id: UUID, session: DbSession, actor: ApiActor) -> HeldDetailOut:
    detail = review.held_detail(session, actor, message_id)
    candidates = [CandidateOut(id=p.public_id, name=p.display_name, birth_date=p.birth_date, gender=p.gender.value)
                  for p in detail.candidates]
    return HeldDetailOut(**held_out(detail.group).model_dump(), candidates=candidates)


@router.post("/{message_id}/link", response_model=ResolvedOut, summary="Link the identifier to a patient")
def link(message_id: UUID, body: LinkIn, session: DbSession, actor: ApiActor) -> ResolvedOut:
    released = review.link(session, actor, message_id, body.patient_id)
    return ResolvedOut(patient_id=body.patient_id, released=released)


@router.post("/{message_id}/create-patient", response_model=ResolvedOut, summary="Create the patient it names")
def create_patient(message_id: UUID, session: DbSession, actor: ApiActor) -> ResolvedOut:
    patient, released = review.create_patient(session, actor, message_id)
    return ResolvedOut(patient_id=patient.public_id, released=released)
