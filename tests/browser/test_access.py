"""What outsiders and administrators see in a real browser."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import needs_chromium, sign_in
from tests.factories import Personas
from tests.web.conftest import public_ids

pytestmark = [pytest.mark.browser, needs_chromium]


def test_outsider_gets_the_no_access_page_and_an_empty_panel(page: Any, personas: Personas) -> None:
    patient = public_ids(patient_id=personas.patient_id)["patient"]
    sign_in(page, "oscar")
    response = page.goto(f"/patients/{patient}")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="No access")).to_be_visible()
    expect(page.get_by_text("access to this patient's record")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Rivera")
    page.get_by_role("link", name="My panel").click()
    expect(page.get_by_role("link", name="Okafor, Ben")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Rivera")


def test_admin_creates_an_account_but_cannot_open_a_patient(page: Any, personas: Personas) -> None:
    sign_in(page, "ada")
    expect(page.get_by_role("heading", name="Accounts")).to_be_visible()
    form = page.get_by_role("form", name="Create an account")
    form.get_by_label("Username").fill("nina")
    form.get_by_label("Name shown to colleagues").fill("Nina Park, RN")
    form.get_by_label("Password").fill("a long enough password")
    form.get_by_label("Care coordinator").check()
    form.get_by_label("North care management").check()
    form.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Account created.")).to_be_visible()
    expect(page.locator("#user-nina")).to_contain_text("North care management")
    patient = public_ids(patient_id=personas.patient_id)["patient"]
    response = page.goto(f"/patients/{patient}")
    assert response is not None and response.status == 403
    expect(page.get_by_text("access to this patient's record")).to_be_visible()
