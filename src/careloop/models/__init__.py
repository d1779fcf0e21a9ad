"""All models, imported here so metadata is complete for Alembic and the tests."""

from careloop.models.allergy import AllergyClinicalStatus, AllergyCriticality, AllergyIntolerance
from careloop.models.assessment import (
    AssessmentFinding,
    AssessmentResponse,
    AssessmentScore,
    FindingStatus,
    ResponseStatus,
)
from careloop.models.audit import AuditEvent, AuditOutcome
from careloop.models.base import Base
from careloop.models.care_plan import (
    CarePlan,
    CarePlanActivity,
    CarePlanActivityStatus,
    CarePlanCondition,
    CarePlanDecision,
    CarePlanEntry,
    CarePlanGoal,
    CarePlanIntent,
    CarePlanKind,
    CarePlanRevision,
    CarePlanStatus,
)
from careloop.models.careteam import CareTeamMember, CareTeamRole
from careloop.models.condition import Condition, ConditionCategory, ConditionClinicalStatus
from careloop.models.diagnostic_report import DiagnosticReport, DiagnosticReportStatus
from careloop.models.encounter import Encounter, EncounterClass, EncounterStatus
from careloop.models.fhir import (
    FhirImportRun,
    FhirReference,
    FhirResource,
    FhirResourceVersion,
    FhirToken,
    MapStatus,
)
from careloop.models.fhir_export import ExportStatus, FhirExport
from careloop.models.goal import Goal, GoalLifecycleStatus, GoalTarget
from careloop.models.hl7v2 import EncounterChange, Hl7Message, Hl7MessageStatus, Hl7Visit
from careloop.models.immunization import Immunization, ImmunizationStatus
from careloop.models.jobs import Job, JobStatus, OutboxEvent, Schedule, WriteEpoch
from careloop.models.location import Location, LocationStatus
from careloop.models.medication import MedicationRequest, MedicationRequestStatus
from careloop.models.medication_statement import MedicationStatement, MedicationStatementStatus
from careloop.models.medrec import MedRecDiscrepancy, MedRecEntry, MedReconciliation
from careloop.models.notification import Notification
from careloop.models.observation import Observation, ObservationStatus
from careloop.models.organization import Organization
from careloop.models.pathway import PathwayEvent, PathwayWork
from careloop.models.patient import AdministrativeGender, ContactMethod, Patient, PatientIdentifier
from careloop.models.population import (
    CareGap,
    Cohort,
    CohortMember,
    GapTask,
    PatientResult,
    PopulationRun,
    PopulationRunStatus,
)
from careloop.models.practitioner import Practitioner, PractitionerRole
from careloop.models.procedure import EventStatus, Procedure
from careloop.models.service_request import RequestIntent, RequestStatus, ServiceRequest
from careloop.models.task import PRIORITY_RANK, Task, TaskEvent, TaskPriority, TaskStatus
from careloop.models.transition import (
    ChecklistItem,
    ContactAttempt,
    EpisodeEvent,
    EpisodeStatus,
    Readmission,
    TransitionEpisode,
)
from careloop.models.user import ApiToken, LoginAttempt, StaffRole, Team, TeamMembership, User, WebSession

__all__ = [
    "PRIORITY_RANK",
    "AdministrativeGender",
    "AllergyClinicalStatus",
    "AllergyCriticality",
    "AllergyIntolerance",
    "ApiToken",
    "AssessmentFinding",
    "AssessmentResponse",
    "AssessmentScore",
    "AuditEvent",
    "AuditOutcome",
    "Base",
    "CareGap",
    "CarePlan",
    "CarePlanActivity",
    "CarePlanActivityStatus",
    "CarePlanCondition",
    "CarePlanDecision",
    "CarePlanEntry",
    "CarePlanGoal",
    "CarePlanIntent",
    "CarePlanKind",
    "CarePlanRevision",
    "CarePlanStatus",
    "CareTeamMember",
    "CareTeamRole",
    "ChecklistItem",
    "Cohort",
    "CohortMember",
    "Condition",
    "ConditionCategory",
    "ConditionClinicalStatus",
    "ContactAttempt",
    "ContactMethod",
    "DiagnosticReport",
    "DiagnosticReportStatus",
    "Encounter",
    "EncounterChange",
    "EncounterClass",
    "EncounterStatus",
    "EpisodeEvent",
    "EpisodeStatus",
    "EventStatus",
    "ExportStatus",
    "FhirExport",
    "FhirImportRun",
    "FhirReference",
    "FhirResource",
    "FhirResourceVersion",
    "FhirToken",
    "FindingStatus",
    "GapTask",
    "Goal",
    "GoalLifecycleStatus",
    "GoalTarget",
    "Hl7Message",
    "Hl7MessageStatus",
    "Hl7Visit",
    "Immunization",
    "ImmunizationStatus",
    "Job",
    "JobStatus",
    "Location",
    "LocationStatus",
    "LoginAttempt",
    "MapStatus",
    "MedRecDiscrepancy",
    "MedRecEntry",
    "MedReconciliation",
    "MedicationRequest",
    "MedicationRequestStatus",
    "MedicationStatement",
    "MedicationStatementStatus",
    "Notification",
    "Observation",
    "ObservationStatus",
    "Organization",
    "OutboxEvent",
    "PathwayEvent",
    "PathwayWork",
    "Patient",
    "PatientIdentifier",
    "PatientResult",
    "PopulationRun",
    "PopulationRunStatus",
    "Practitioner",
    "PractitionerRole",
    "Procedure",
    "Readmission",
    "RequestIntent",
    "RequestStatus",
    "ResponseStatus",
    "Schedule",
    "ServiceRequest",
    "StaffRole",
    "Task",
    "TaskEvent",
    "TaskPriority",
    "TaskStatus",
    "Team",
    "TeamMembership",
    "TransitionEpisode",
    "User",
    "WebSession",
    "WriteEpoch",
]
