"""A care plan in a real browser: the coordinator builds the plan from a template on the patient's page, edits a
goal, records a reading, and sees the history and the difference between two versions; then adds a goal by hand and
records a shared decision."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import needs_chromium, sign_in
from tests.factories import Personas

pytestmark = [pytest.mark.browser, needs_chromium]


def test_build_a_plan_from_a_template_edit_a_goal_and_see_the_history(page: Any, personas: Personas) -> None:
    sign_in(page, "cora")
    page.goto("/patients")
    page.get_by_role("link", name="Rivera, Ana").click()
    page.get_by_role("link", name="Care plans").click()
    page.get_by_label("Template", exact=True).select_option(label="Type 2 diabetes (v1)")
    page.get_by_role("button", name="Apply template").click()
    expect(page.locator("#flash")).to_contain_text("Template applied.")
    expect(page.get_by_role("heading", name="HbA1c below 8 %")).to_be_visible()

    goal = page.get_by_role("region", name="Goal: HbA1c below 8 %")
    goal.get_by_text("Edit goal").click()
    goal.get_by_label("Description").fill("HbA1c below 7.5 %")
    goal.get_by_role("button", name="Save goal").click()
    expect(page.locator("#flash")).to_contain_text("Goal saved.")
    expect(page.get_by_role("heading", name="HbA1c below 7.5 %")).to_be_visible()

    bp = page.get_by_role("region", name="Goal: Blood pressure below 140/90")
    bp.get_by_text("Record a reading").click()
    bp.get_by_label("Systolic blood pressure").fill("132")
    bp.get_by_label("Diastolic blood pressure").fill("84")
    bp.get_by_role("button", name="Record reading").click()
    expect(page.locator("#flash")).to_contain_text("Reading recorded.")
    expect(page.get_by_role("region", name="Goal: Blood pressure below 140/90").get_by_test_id("achievement")) \
        .to_contain_text("Achieved")

    page.get_by_role("link", name="History").click()
    expect(page.get_by_test_id("revision-3")).to_contain_text("Changed goal “HbA1c below 7.5 %”: description")
    page.get_by_label("From version").select_option("2")
    page.get_by_label("To version").select_option("3")
    page.get_by_role("button", name="Compare").click()
    diff = page.locator("#diff")
    expect(diff).to_contain_text("Goal “HbA1c below 7.5 %”: description")
    expect(diff).to_contain_text("HbA1c below 8 %")

    page.goto(page.url.split("/history")[0] + "/plain")
    expect(page.get_by_text("Keep your blood pressure below 140/90")).to_be_visible()
    page.screenshot(path="/tmp/careloop-careplan.png", full_page=True)


def test_add_a_goal_by_hand_and_record_a_shared_decision(page: Any, personas: Personas) -> None:
    sign_in(page, "cora")
    page.goto("/patients")
    page.get_by_role("link", name="Rivera, Ana").click()
    page.get_by_role("link", name="Care plans").click()
    page.get_by_label("Template", exact=True).select_option(label="Type 2 diabetes (v1)")
    page.get_by_role("button", name="Apply template").click()
    expect(page.locator("#flash")).to_contain_text("Template applied.")

    page.get_by_text("Add a goal", exact=True).click()
    form = page.locator("#goal-form")
    form.get_by_label("Goal").fill("Weight below 80 kg")
    form.get_by_label("Measure").select_option("29463-7")
    form.get_by_label("Keep it").select_option("<")
    form.get_by_label("Target value").fill("80")
    form.get_by_label("Target date").fill("2027-06-30")
    form.get_by_label("Priority").select_option("high-priority")
    form.get_by_role("button", name="Add goal").click()
    expect(page.locator("#flash")).to_contain_text("Goal added.")
    goal = page.get_by_role("region", name="Goal: Weight below 80 kg")
    expect(goal).to_contain_text("Body weight < 80 kg")

    page.get_by_text("Record a shared decision", exact=True).click()
    decision = page.locator("#decision-form")
    decision.get_by_label("Topic").fill("Diabetes medicines")
    decision.get_by_label("Options discussed").fill("Start insulin\nAdd a second tablet")
    decision.get_by_label("The patient's choice").fill("Keto diet")
    decision.get_by_label("Who was present").fill("Ana Rivera\nCora")
    decision.get_by_role("button", name="Record decision").click()
    expect(page.locator("#decision-form .form-message")).to_contain_text("one of the options")
    expect(page.locator("#decision-form").get_by_label("Topic")).to_have_value("Diabetes medicines")
    page.locator("#decision-form").get_by_label("The patient's choice").fill("Add a second tablet")
    page.locator("#decision-form").get_by_role("button", name="Record decision").click()
    expect(page.locator("#flash")).to_contain_text("Shared decision recorded.")
    expect(page.locator("#matters")).to_contain_text("Diabetes medicines: chose Add a second tablet")
