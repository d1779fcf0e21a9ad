"""An assessment in a real browser: a PHQ-9 with item 9 above zero puts an urgent same-day safety task on the
worklist; an incomplete one is refused next to the question, keeps the answers and changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import needs_chromium, sign_in
from tests.factories import Personas
from tests.web.conftest import public_ids

pytestmark = [pytest.mark.browser, needs_chromium]


def question(page: Any, number: int) -> Any:
    return page.get_by_role("group", name=re.compile(rf"^{number}\. "))


def open_new_phq9(page: Any, personas: Personas) -> None:
    patient = public_ids(patient_id=personas.patient_id)["patient"]
    sign_in(page, "cora")
    page.goto(f"/patients/{patient}")
    page.get_by_role("button", name="New assessment").click()
    page.locator('input[name="instrument"][value="phq-9"]').check()
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("heading", name="PHQ-9", exact=True)).to_be_visible()


def test_phq9_with_item9_positive_puts_an_urgent_task_on_the_worklist(page: Any, personas: Personas) -> None:
    open_new_phq9(page, personas)
    first = question(page, 1).get_by_label("Not at all")
    first.focus()
    page.keyboard.press("Space")  # keyboard only: Space chooses, the arrow keys move within the question
    expect(first).to_be_checked()
    for number in range(2, 9):
        question(page, number).get_by_label("Not at all").check()
    page.get_by_role("button", name="Save progress").click()
    expect(page.get_by_text("Progress saved.")).to_be_visible()
    expect(question(page, 8).get_by_label("Not at all")).to_be_checked()
    question(page, 9).get_by_label("Several days").check()
    page.get_by_role("button", name="Complete").click()
    expect(page.get_by_test_id("score")).to_contain_text("PHQ-9 total score: 1")
    expect(page.get_by_text("A same-day task was raised")).to_be_visible()
    page.goto("/worklist")
    row = page.locator("#worklist-results tbody tr").filter(has_text="Same-day safety assessment")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Urgent")
    page.screenshot(path="/tmp/careloop-assessment-worklist.png", full_page=True)


def test_incomplete_phq9_is_refused_next_to_the_question_and_changes_nothing(page: Any,
                                                                            personas: Personas) -> None:
    open_new_phq9(page, personas)
    for number in range(1, 9):
        question(page, number).get_by_label("Several days").check()
    page.get_by_role("button", name="Complete").click()
    item9 = question(page, 9)
    expect(item9.locator(".field-error")).to_contain_text("Needs an answer")
    expect(page.get_by_role("alert").first).to_contain_text("1 answer needs attention: question 9")
    expect(question(page, 8).get_by_label("Several days")).to_be_checked()  # what was chosen is kept
    page.goto("/worklist")
    expect(page.locator("#worklist-results tbody tr").filter(has_text="Same-day safety")).to_have_count(0)
