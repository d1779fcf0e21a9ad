"""Care team JSON routes."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status

from careloop.careteams import service
from careloop.careteams.schemas import CareTeamMemberIn, CareTeamMemberOut, EndMembershipIn
from careloop.http.deps import ApiActor, DbSession

router = APIRouter(tags=["care teams"])


@router.get("/patients/{patient_id}/care-team", response_model=list[CareTeamMemberOut])
def care_team(patient_id: UUID, session: DbSession, actor: ApiActor) -> list[CareTeamMemberOut]:
    return [service.member_out(m) for m in service.list_members(session, actor, patient_id)]


@router.post("/patients/{patient_id}/care-team", response_model=CareTeamMemberOut,
             status_code=status.HTTP_201_CREATED)
def add_member(patient_id: UUID, body: CareTeamMemberIn, session: DbSession, actor: ApiActor) -> CareTeamMemberOut:
    return service.member_out(service.add_member(session, actor, patient_id, body))


@router.post("/care-team-members/{member_id}/end", response_model=CareTeamMemberOut)
def end_membership(member_id: UUID, body: EndMembershipIn, session: DbSession, actor: ApiActor) -> CareTeamMemberOut:
    return service.member_out(service.end_membership(session, actor, member_id, body.reason))
