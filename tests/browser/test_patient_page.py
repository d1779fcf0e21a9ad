"""The patient page in a real browser: sections, a new task, care team changes."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import arrange_day, needs_chromium, sign_in
from tests.factories import Personas

pytestmark = [pytest.mark.browser, needs_chromium]


def _open_patient(page: Any) -> None:
    page.get_by_role("link", name="My panel").click()
    page.get_by_role("link", name="Rivera, Ana").click()
    expect(page.get_by_role("heading", name="Rivera, Ana", level=1)).to_be_visible()


def test_patient_page_shows_the_record(page: Any, personas: Personas) -> None:
    arrange_day(personas)
    sign_in(page, "cora")
    _open_patient(page)
    expect(page.locator("#demographics")).to_contain_text("Spanish (es)")
    expect(page.locator("#demographics")).to_contain_text("MRN")
    care_team = page.locator("#care-team")
    for member in ("Cora", "North care management", "Lucia Rivera (daughter)"):
        expect(care_team).to_contain_text(member)
    expect(page.get_by_role("article", name="Active conditions")).to_contain_text("Chronic systolic heart failure")
    expect(page.locator("#open-tasks")).to_contain_text("Call after discharge")
    expect(page.get_by_role("article", name="Recent encounters").locator(".badge-ed")).to_have_text("ED visit")
    expect(page.get_by_role("article", name="Recent encounters").locator(".badge-inpatient")).to_have_text(
        "Hospital stay")
    page.screenshot(path="/tmp/careloop-patient.png", full_page=True)


def test_create_a_task_on_the_patient_page(page: Any, personas: Personas) -> None:
    arrange_day(personas)
    sign_in(page, "cora")
    _open_patient(page)
    form = page.get_by_role("form", name="New task")
    form.get_by_role("button", name="Create task").click()  # nothing typed yet: a message, nothing created
    expect(form.locator("#new-task-title-error")).to_have_text("This cannot be empty.")
    form = page.get_by_role("form", name="New task")
    form.get_by_label("Title").fill("Book transport to cardiology")
    form.get_by_label("Type").select_option(label="Appointment")
    form.get_by_label("Priority").select_option(label="Urgent")
    form.get_by_label("Due").fill("2030-01-15T09:30")
    form.get_by_label("Owner").select_option(label="Anyone who is Social worker")
    form.get_by_role("button", name="Create task").click()
    expect(page.get_by_role("status").filter(has_text="Task created")).to_be_visible()
    row = page.locator("#open-tasks tr", has_text="Book transport to cardiology")
    expect(row).to_contain_text("Anyone who is Social worker")
    expect(row).to_contain_text("Requested")


def test_add_and_end_a_care_team_member(page: Any, personas: Personas) -> None:
    sign_in(page, "cora")
    _open_patient(page)
    care_team = page.locator("#care-team")
    care_team.locator("summary", has_text="Add a member").click()
    care_team.get_by_label("Role").select_option(label="Family caregiver")
    care_team.get_by_label("or a person's name").fill("Marta Lopez (neighbour)")
    care_team.get_by_label("Their phone or email").fill("555 010 3000")
    care_team.get_by_role("button", name="Add to care team").click()
    care_team = page.locator("#care-team")
    expect(care_team.get_by_role("status")).to_have_text("Added to the care team.")
    member = care_team.locator("li", has_text="Marta Lopez (neighbour)")
    expect(member).to_contain_text("Family caregiver")
    member.locator("summary").click()
    member.get_by_placeholder("Reason (required)").fill("moved away")
    member.get_by_role("button", name="End membership").click()
    care_team = page.locator("#care-team")
    expect(care_team.get_by_role("status")).to_have_text("Membership ended.")
    expect(care_team).not_to_contain_text("Marta Lopez")
