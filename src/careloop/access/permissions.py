"""What each staff role may do. Patient-scoped permissions also need care-team membership (check.py).

An administrator manages accounts and teams but sees no clinical data by default: break-glass access and
consent arrive with the consent issue and plug into check.py, not here.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache

from careloop.models.user import StaffRole


class Permission(StrEnum):
    patient_read = "patient:read"
    patient_write = "patient:write"
    task_read = "task:read"
    task_write = "task:write"
    careteam_write = "careteam:write"
    user_manage = "user:manage"
    careplan_read = "careplan:read"
    careplan_write = "careplan:write"
    hl7_review = "hl7:review"  # the ADT review queue: messages whose patient the feed could not tell
    assessment_read = "assessment:read"
    assessment_write = "assessment:write"  # fill, amend, and accept or dismiss what a response found


PATIENT_SCOPED = frozenset(
    {Permission.patient_read, Permission.patient_write, Permission.task_read, Permission.task_write,
     Permission.careteam_write, Permission.assessment_read, Permission.assessment_write,
     Permission.careplan_read, Permission.careplan_write}
)

_CARE_TEAM = frozenset(
    {Permission.patient_read, Permission.patient_write, Permission.task_read, Permission.task_write,
     Permission.careteam_write, Permission.assessment_read, Permission.assessment_write,
     Permission.careplan_read, Permission.careplan_write}
)
# Community health workers screen for social needs; pharmacists and specialists fill instruments too, and all
# of them contribute to the plan (goals, interventions, readings).
_CLINICAL_CONTRIBUTOR = frozenset(
    {Permission.patient_read, Permission.task_read, Permission.task_write, Permission.patient_write,
     Permission.assessment_read, Permission.assessment_write, Permission.careplan_read, Permission.careplan_write}
)

ROLE_PERMISSIONS: dict[StaffRole, frozenset[Permission]] = {
    StaffRole.care_coordinator: _CARE_TEAM | {Permission.hl7_review},
    StaffRole.rn_care_manager: _CARE_TEAM | {Permission.hl7_review},
    StaffRole.social_worker: _CARE_TEAM,
    StaffRole.community_health_worker: _CLINICAL_CONTRIBUTOR,
    StaffRole.physician: _CARE_TEAM,
    StaffRole.pharmacist: _CLINICAL_CONTRIBUTOR,
    StaffRole.specialist: _CLINICAL_CONTRIBUTOR,
    StaffRole.program_leader: frozenset(),
    StaffRole.admin: frozenset({Permission.user_manage}),
}


@cache
def permissions_for(roles: tuple[str, ...]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        try:
            granted |= ROLE_PERMISSIONS[StaffRole(role)]
        except ValueError:
            continue  # an unknown role grants nothing
    return frozenset(granted)
