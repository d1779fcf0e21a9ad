"""The overdue sweep's notification in a real browser: the count in the navigation, and marking it read in place."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from careloop import db
from careloop.tasks.jobs import sweep_overdue
from tests.browser.conftest import arrange_day, needs_chromium, sign_in
from tests.factories import Personas

pytestmark = [pytest.mark.browser, needs_chromium]


def test_overdue_notification_is_counted_and_marked_read_in_place(page: Any, personas: Personas) -> None:
    arrange_day(personas)
    with db.unit_of_work() as s:
        sweep_overdue(s, {})
    sign_in(page, "cora")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.locator("#unread-count")).to_have_text("1 unread")
    nav.get_by_role("link", name=re.compile("^Notifications")).click()
    row = page.locator("#notifications-results tbody tr").filter(has_text="Overdue: Call after discharge")
    expect(row).to_have_class(re.compile("is-unread"))
    expect(row.get_by_role("link", name="Rivera, Ana")).to_be_visible()
    page.screenshot(path="/tmp/careloop-notifications.png", full_page=True)
    row.get_by_role("button", name=re.compile("^Mark read")).click()
    expect(row.get_by_text("Marked read.")).to_be_visible()
    expect(row).not_to_have_class(re.compile("is-unread"))
    expect(nav.locator("#unread-count")).to_have_text("")  # swapped out of band, no reload
    expect(page).to_have_url(re.compile(r"/notifications$"))
    row.get_by_role("link", name="Overdue: Call after discharge").click()
    expect(page.get_by_role("heading", name="Call after discharge")).to_be_visible()
