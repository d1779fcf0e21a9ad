"""Who looks after a patient: staff users, whole teams, or outside people (a daughter, a home-health nurse).

Membership of a patient's care team is what grants a staff user access to that patient (see careloop.access).
Memberships are ended (period_end), never deleted, so the history of who could see the patient is kept.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careloop.models.base import Base, IntPK, PublicId, str_enum
from careloop.models.patient import Patient
from careloop.models.user import Team, User


class CareTeamRole(StrEnum):
    primary_care_physician = "primary-care-physician"
    rn_care_manager = "rn-care-manager"
    care_coordinator = "care-coordinator"
    social_worker = "social-worker"
    pharmacist = "pharmacist"
    community_health_worker = "community-health-worker"
    specialist = "specialist"
    family_caregiver = "family-caregiver"
    other = "other"  # a role from outside careloop's list (e.g. an imported CareTeam's participant)


class CareTeamMember(IntPK, PublicId, Base):
    __tablename__ = "care_team_members"
    __table_args__ = (
        CheckConstraint(
            "(user_id IS NOT NULL) OR (team_id IS NOT NULL) OR (member_name IS NOT NULL)", name="has_member"
        ),
        Index("ix_care_team_members_user_id_patient_id", "user_id", "patient_id"),
        Index("ix_care_team_members_team_id_patient_id", "team_id", "patient_id"),
    )

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    member_name: Mapped[str | None] = mapped_column(String(200))  # someone without an account
    member_contact: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[CareTeamRole] = mapped_column(str_enum(CareTeamRole, 40))
    period_start: Mapped[datetime]
    period_end: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(300))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Set when the member came from a FHIR CareTeam; the team's members share it (no foreign key: a provenance
    # pointer into the store, indexed because a new version of the CareTeam replaces its members).
    fhir_resource_id: Mapped[int | None] = mapped_column(BigInteger, index=True)

    patient: Mapped[Patient] = relationship(lazy="raise")
    user: Mapped[User | None] = relationship(foreign_keys=[user_id], lazy="raise")
    team: Mapped[Team | None] = relationship(lazy="raise")

    @property
    def active(self) -> bool:
        return self.period_end is None
