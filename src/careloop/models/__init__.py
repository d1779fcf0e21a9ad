"""All models, imported here so metadata is complete for Alembic and the tests."""

from careloop.models.audit import AuditEvent, AuditOutcome
from careloop.models.base import Base
from careloop.models.careteam import CareTeamMember, CareTeamRole
from careloop.models.condition import Condition, ConditionCategory, ConditionClinicalStatus
from careloop.models.encounter import Encounter, EncounterClass, EncounterStatus
from careloop.models.jobs import Job, JobStatus, OutboxEvent, Schedule
from careloop.models.medication import MedicationRequest, MedicationRequestStatus
from careloop.models.notification import Notification
from careloop.models.observation import Observation, ObservationStatus
from careloop.models.patient import AdministrativeGender, ContactMethod, Patient, PatientIdentifier
from careloop.models.task import PRIORITY_RANK, Task, TaskEvent, TaskPriority, TaskStatus
from careloop.models.user import ApiToken, LoginAttempt, StaffRole, Team, TeamMembership, User, WebSession

__all__ = [
    "PRIORITY_RANK",
    "AdministrativeGender",
    "ApiToken",
    "AuditEvent",
    "AuditOutcome",
    "Base",
    "CareTeamMember",
    "CareTeamRole",
    "Condition",
    "ConditionCategory",
    "ConditionClinicalStatus",
    "ContactMethod",
    "Encounter",
    "EncounterClass",
    "EncounterStatus",
    "Job",
    "JobStatus",
    "LoginAttempt",
    "MedicationRequest",
    "MedicationRequestStatus",
    "Notification",
    "Observation",
    "ObservationStatus",
    "OutboxEvent",
    "Patient",
    "PatientIdentifier",
    "Schedule",
    "StaffRole",
    "Task",
    "TaskEvent",
    "TaskPriority",
    "TaskStatus",
    "Team",
    "TeamMembership",
    "User",
    "WebSession",
]
