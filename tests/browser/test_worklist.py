"""A coordinator's day in a real browser: sign in, the worklist, row actions, the task page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from careloop import db
from careloop.tasks import service as tasks_service
from careloop.tasks.schemas import TaskUpdate
from tests.browser.conftest import arrange_day, needs_chromium, sign_in
from tests.factories import Personas
from tests.web.conftest import public_ids

pytestmark = [pytest.mark.browser, needs_chromium]


def test_sign_in_says_wrong_password_then_lands_where_asked(page: Any, personas: Personas) -> None:
    page.goto("/worklist")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fworklist$"))
    page.get_by_label("Username").fill("cora")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    expect(page.get_by_label("Username")).to_have_value("cora")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/worklist$"))
    expect(page.get_by_role("heading", name="My worklist")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Cora")


def test_worklist_shows_my_tasks_with_the_overdue_one_flagged(page: Any, personas: Personas) -> None:
    arrange_day(personas)
    sign_in(page, "cora")
    rows = page.locator("#worklist-results tbody tr")
    expect(rows).to_have_count(5)  # four of hers and one queued to her care-team role
    overdue = rows.filter(has_text="Call after discharge")
    expect(overdue.locator(".badge-overdue")).to_have_text("Overdue")
    expect(overdue).to_have_class(re.compile("is-overdue"))
    expect(rows.filter(has_text="Reconcile medications").locator(".badge-overdue")).to_have_count(0)
    expect(rows.filter(has_text="Arrange home health visit").get_by_role("button", name="Claim")).to_be_visible()
    expect(page.get_by_text("1\u20135 of 5")).to_be_visible()  # an en dash
    page.screenshot(path="/tmp/careloop-worklist.png", full_page=True)


def test_filters_apply_with_htmx_and_keep_the_address(page: Any, personas: Personas) -> None:
    arrange_day(personas)
    sign_in(page, "cora")
    page.get_by_label("Due", exact=True).select_option("overdue")
    expect(page).to_have_url(re.compile(r"due=overdue"))
    rows = page.locator("#worklist-results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Call after discharge")
    page.reload()  # the pushed address is a real page too
    expect(page.locator("#worklist-results tbody tr")).to_have_count(1)
    page.go_back()  # no history cache (patient data stays out of browser storage): the server answers again
    expect(page).to_have_url(re.compile(r"/worklist$"))
    expect(page.locator("#worklist-results tbody tr")).to_have_count(5)
    assert page.evaluate("sessionStorage.getItem('htmx-history-cache')") is None


def test_complete_from_the_worklist_updates_the_row_and_the_history(page: Any, personas: Personas) -> None:
    arrange_day(personas)
    sign_in(page, "cora")
    row = page.locator("#worklist-results tbody tr", has_text="Call after discharge")
    row.get_by_role("button", name="Complete").click()
    expect(row.locator(".row-notice")).to_have_text("Done. Now completed.")
    expect(row).to_contain_text("Completed")
    expect(row.locator(".badge-overdue")).to_have_count(0)
    expect(row.get_by_role("button")).to_have_count(0)
    row.get_by_role("link", name="Call after discharge").click()
    history = page.get_by_role("table").last
    expect(history).to_contain_text("Ready → Completed")
    expect(history).to_contain_text("Cora")


def test_put_on_hold_asks_for_a_reason(page: Any, personas: Personas) -> None:
    arrange_day(personas)
    sign_in(page, "cora")
    row = page.locator("#worklist-results tbody tr", has_text="Reconcile medications")
    row.locator("summary", has_text="Put on hold").click()
    row.get_by_label("Reason to put on hold").fill("waiting for the pharmacy list")
    row.get_by_role("button", name="Put on hold", exact=True).click()
    expect(row).to_contain_text("On hold")
    expect(row.get_by_role("button", name="Resume")).to_be_visible()


def test_stale_edit_shows_the_conflict_message(page: Any, personas: Personas) -> None:
    ids = arrange_day(personas)
    task = public_ids(task_id=ids["today"])["task"]
    sign_in(page, "cora")
    page.goto(f"/tasks/{task}")
    page.get_by_label("Title").fill("Reconcile medications with the daughter")
    with db.unit_of_work() as s:  # meanwhile a teammate edits the same task
        tess = personas.actor(s, personas.teammate_id)
        tasks_service.update_task(s, tess, task, TaskUpdate(version=1, title="Reconcile medications today"))
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("alert").first).to_contain_text("changed by someone else")
    expect(page.get_by_label("Title")).to_have_value("Reconcile medications with the daughter")


def test_keyboard_skip_link_reaches_the_main_content(page: Any, personas: Personas) -> None:
    sign_in(page, "cora")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('#main') !== null")
    assert page.evaluate("document.activeElement.name") == "status"  # the first filter, not the header
