"""The panel and the patient page: search, sections, and the contact, care team and new-task forms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from careloop import db
from careloop.clock import utcnow
from careloop.models import (
    CareTeamMember,
    Condition,
    Encounter,
    EncounterClass,
    EncounterStatus,
    Patient,
    Task,
    User,
)
from tests.factories import Personas, make_task
from tests.web.conftest import Browser, field_errors, member_ids, public_ids


def _chart(personas: Personas) -> None:
    now = utcnow()
    with db.unit_of_work() as s:
        pid = personas.patient_id
        s.add_all([
            Condition(patient_id=pid, code_system="ICD10CM", code="I5022", icd10="I5022",
                      display="Chronic systolic heart failure", clinical_status="active", recorded_at=now),
            Encounter(patient_id=pid, status=EncounterStatus.finished, class_code=EncounterClass.emergency,
                      period_start=now - timedelta(days=12), facility="General Hospital"),
            Encounter(patient_id=pid, status=EncounterStatus.finished, class_code=EncounterClass.inpatient,
                      period_start=now - timedelta(days=10), period_end=now - timedelta(days=6),
                      facility="General Hospital", discharge_disposition="home"),
        ])
        make_task(s, s.get(Patient, pid), owner=s.get(User, personas.coordinator_id), due_in=timedelta(days=-1))


def test_panel_lists_my_patients_with_what_needs_attention(personas: Personas,
                                                          browser: Callable[[str], Browser]) -> None:
    _chart(personas)
    page = browser("cora").get("/patients").text
    assert "Rivera, Ana" in page and "Okafor" not in page
    assert "1 overdue" in page
    assert "Chronic systolic heart failure" in page
    assert "Hospital stay" in page


def test_panel_search_by_identifier_and_bad_birth_date(personas: Personas,
                                                       browser: Callable[[str], Browser]) -> None:
    cora = browser("cora")
    assert "Rivera, Ana" not in cora.get("/patients?identifier=NOPE").text
    bad = cora.get("/patients?birth_date=14/03/1948").text
    assert "Enter a date of birth like 1948-03-14." in bad


def test_patient_page_shows_every_section(personas: Personas, browser: Callable[[str], Browser]) -> None:
    _chart(personas)
    patient = public_ids(patient_id=personas.patient_id)["patient"]
    page = browser("cora").get(f"/patients/{patient}").text
    for text in ("Rivera, Ana", "Spanish (es)", "MRN", "Lucia Rivera (daughter)", "North care management",
                 "Chronic systolic heart failure", "ED visit", "Hospital stay", "Call patient", "Overdue",
                 "New task"):
        assert text in page, text


def test_new_task_form_errors_keep_values_and_create_nothing(personas: Personas,
                                                             browser: Callable[[str], Browser]) -> None:
    patient = public_ids(patient_id=personas.patient_id)["patient"]
    response = browser("cora").post(f"/patients/{patient}/tasks", {
        "title": "   ", "type": "outreach", "priority": "urgent", "description": "ring the daughter",
        "owner": ""})
    assert response.status_code == 422
    assert field_errors(response.text) == ["This cannot be empty.", "Choose who will do this task."]
    assert "ring the daughter" in response.text
    with db.unit_of_work() as s:
        assert s.scalar(select(Task.id)) is None


def test_new_task_for_a_role_on_the_care_team(personas: Personas, browser: Callable[[str], Browser]) -> None:
    patient = public_ids(patient_id=personas.patient_id)["patient"]
    section = browser("cora").post(f"/patients/{patient}/tasks", {
        "title": "Find a food bank", "type": "referral", "priority": "routine", "owner": "role:social-worker",
        "due": "2030-05-01T12:00"}, htmx=True)
    assert section.status_code == 200
    assert section.text.lstrip().startswith('<section id="tasks"')
    assert "Task created: Find a food bank" in section.text
    with db.unit_of_work() as s:
        task = s.scalars(select(Task)).one()
        assert (task.owner_role, task.status.value) == ("social-worker", "requested")


def test_contact_form_validates_and_saves(personas: Personas, browser: Callable[[str], Browser]) -> None:
    patient = public_ids(patient_id=personas.patient_id)["patient"]
    cora = browser("cora")
    bad = cora.post(f"/patients/{patient}/contact", {"phone": "call me", "email": "nope",
                                                     "preferred_language": "Spanish", "contact_method": "sms"})
    assert field_errors(bad.text) == ["A phone number has 7 to 40 digits, spaces, +, -, . or brackets.",
                                      "Enter an email address like name@example.org.",
                                      "Use a language code such as en, es or pt-BR."]
    good = cora.post(f"/patients/{patient}/contact", {"phone": "555 010 2000", "email": "",
                                                      "preferred_language": "es", "contact_method": "sms",
                                                      "interpreter_needed": "on"})
    assert "Contact details saved." in good.text
    with db.unit_of_work() as s:
        saved = s.get(Patient, personas.patient_id)
        assert saved is not None
        assert (saved.phone, saved.contact_method.value, saved.interpreter_needed) == ("555 010 2000", "sms", True)


def test_add_and_end_a_care_team_member(personas: Personas, browser: Callable[[str], Browser]) -> None:
    patient = public_ids(patient_id=personas.patient_id)["patient"]
    cora = browser("cora")
    unknown = cora.post(f"/patients/{patient}/care-team", {"role": "pharmacist", "username": "ghost"})
    assert field_errors(unknown.text) == ["No active staff member has the username 'ghost'."]
    both = cora.post(f"/patients/{patient}/care-team", {"role": "pharmacist", "username": "oscar", "name": "X"})
    assert "Fill in exactly one of" in both.text
    added = cora.post(f"/patients/{patient}/care-team", {"role": "pharmacist", "username": "oscar"}, htmx=True)
    assert "Added to the care team." in added.text and "Oscar" in added.text
    assert 'hx-swap-oob="true"' in added.text  # the new-task owner list learns about him too
    with db.unit_of_work() as s:
        member = s.scalars(select(CareTeamMember).where(CareTeamMember.user_id == personas.outsider_id,
                                                         CareTeamMember.patient_id == personas.patient_id)).one()
        member_id = member.public_id
    no_reason = cora.post(f"/care-team-members/{member_id}/end", {"reason": "", "patient": str(patient)})
    assert "Say why this membership ends" in no_reason.text
    ended = cora.post(f"/care-team-members/{member_id}/end", {"reason": "consult finished",
                                                               "patient": str(patient)}, htmx=True)
    assert "Membership ended." in ended.text and "Oscar" not in ended.text


def test_ending_my_own_membership_takes_me_back_to_my_panel(personas: Personas,
                                                            browser: Callable[[str], Browser]) -> None:
    patient = public_ids(patient_id=personas.patient_id)["patient"]
    with db.unit_of_work() as s:
        mine = s.scalars(select(CareTeamMember.public_id).where(
            CareTeamMember.user_id == personas.coordinator_id)).one()
    cora = browser("cora")
    response = cora.post(f"/care-team-members/{mine}/end", {"reason": "handed over", "patient": str(patient)},
                         htmx=True)
    assert response.headers["HX-Redirect"] == "/patients"
    assert len(member_ids(personas.patient_id)) == 2
