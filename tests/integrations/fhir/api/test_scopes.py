"""SMART scopes (App Launch 1.0 `.read/.write/.*` and 2.0 `.cruds`): parsed into type and read/write grants."""

from __future__ import annotations

import pytest

from careloop.integrations.fhir.api.scopes import Mode, parse


@pytest.mark.parametrize(("scope", "rtype", "mode", "allowed"), [
    ("user/*.read", "Condition", Mode.read, True),
    ("user/*.read", "Condition", Mode.write, False),
    ("user/Observation.read", "Condition", Mode.read, False),
    ("user/Observation.read", "Observation", Mode.read, True),
    ("system/*.rs", "Encounter", Mode.read, True),
    ("system/*.rs", "Encounter", Mode.write, False),
    ("patient/*.cruds", "Observation", Mode.write, True),
    ("user/Patient.*", "Patient", Mode.write, True),
    ("user/*.c", "Patient", Mode.read, False),
])
def test_scope_grants(scope: str, rtype: str, mode: Mode, allowed: bool) -> None:
    assert parse(scope).allows(rtype, mode, in_patient_compartment=True) is allowed


def test_patient_scopes_stop_at_the_compartment() -> None:
    scopes = parse("patient/*.read")

    assert not scopes.allows("Practitioner", Mode.read, in_patient_compartment=False)
    assert scopes.allows("Observation", Mode.read, in_patient_compartment=True)


@pytest.mark.parametrize("text", ["", "openid launch offline_access", "user/*.", "admin/*.read", "user/obs.read"])
def test_unknown_or_malformed_scopes_grant_nothing(text: str) -> None:
    assert parse(text).grants == ()


def test_readable_types() -> None:
    assert parse("user/Observation.read user/Condition.rs user/Patient.write").readable_types() == {
        "Observation", "Condition"}
    assert parse("user/Observation.read system/*.read").readable_types() is None
