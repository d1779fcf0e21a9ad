"""Conditions a rule can put on an event and its patient. Each is a name, an argument checked when the
definition is loaded, and a test. Patient facts are read once per batch of events (facts.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter

from careloop.pathways.context import EventContext
from careloop.terminology import normalise_icd10

Test = Callable[[EventContext, Any], bool]


@dataclass(frozen=True)
class Check:
    name: str
    argument: Any
    test: Test

    def holds(self, context: EventContext) -> bool:
        return self.test(context, self.argument)


def _in(value: str | None, allowed: list[str]) -> bool:
    return value is not None and value in allowed


def encounter_class(context: EventContext, allowed: list[str]) -> bool:
    """The event's encounter class is one of these (inpatient, emergency, observation, outpatient)."""
    klass = context.event.encounter_class
    return _in(klass.value if klass else None, allowed)


def discharge_disposition(context: EventContext, allowed: list[str]) -> bool:
    """The HL7 discharge-disposition code (home, alt-home, snf...) is one of these."""
    return _in(context.event.discharge_disposition, allowed)


def admission_type_not(context: EventContext, excluded: list[str]) -> bool:
    """PV1-4 admission type is not one of these (an unknown type passes)."""
    return context.event.admission_type not in excluded


def patient_has_condition(context: EventContext, prefixes: list[str]) -> bool:
    """The patient has an active condition whose ICD-10-CM code starts with one of these (I50, J44...)."""
    wanted = tuple(normalise_icd10(p) for p in prefixes)
    return any(code.startswith(wanted) for code in context.facts.active_icd10(context.event.patient_id))


def on_care_team_role(context: EventContext, roles: list[str]) -> bool:
    """Someone holds one of these roles on the patient's active care team."""
    return bool(set(roles) & care_team_roles(context))


def has_care_team(context: EventContext, wanted: bool) -> bool:
    """The patient has (or has not) an active care team with at least one member."""
    return bool(care_team_roles(context)) == wanted


def care_team_roles(context: EventContext) -> frozenset[str]:
    """The roles held on the patient's active care team (also read by create_task, to choose an owner)."""
    return context.facts.roles(context.event.patient_id)


_CODES = TypeAdapter(list[str])
_FLAG = TypeAdapter(bool)
CONDITIONS: dict[str, tuple[TypeAdapter[Any], Test]] = {
    "encounter_class": (_CODES, encounter_class),
    "discharge_disposition": (_CODES, discharge_disposition),
    "admission_type_not": (_CODES, admission_type_not),
    "patient_has_condition": (_CODES, patient_has_condition),
    "on_care_team_role": (_CODES, on_care_team_role),
    "has_care_team": (_FLAG, has_care_team),
}


def compile_check(name: str, argument: Any) -> Check:
    if name not in CONDITIONS:
        raise ValueError(f"unknown condition {name!r}; one of: {', '.join(CONDITIONS)}")
    adapter, test = CONDITIONS[name]
    return Check(name, adapter.validate_python(argument), test)
