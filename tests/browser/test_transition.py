"""A discharge walked in a real browser: the discharge event arrives (through the outbox and the worker, as the
HL7 feed emits it), the TCM tasks appear on the coordinator's worklist, she records the contact on the episode
and reconciles the medications, and the checklist shows them reconciled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from careloop import db
from careloop.models import MedicationRequest, MedicationRequestStatus
from tests.browser.conftest import needs_chromium, sign_in
from tests.factories import Personas
from tests.transitions.helpers import at, discharge_home

pytestmark = [pytest.mark.browser, needs_chromium]


def chart_medicines(patient_id: int) -> None:
    with db.unit_of_work() as s:
        for rxnorm, display in (("314076", "lisinopril 10 MG Oral Tablet"), ("313988", "furosemide 40 MG Oral Tablet")):
            s.add(MedicationRequest(patient_id=patient_id, rxnorm=rxnorm, display=display,
                                    dosage_text="1 tablet by mouth once daily", authored_on=at("2026-06-01T10:00:00Z"),
                                    status=MedicationRequestStatus.active))


def resolve(page: Any, testid: str, decision: str, reason: str) -> None:
    section = page.get_by_test_id(testid)
    section.get_by_label("Decision").select_option(label=decision)
    section.get_by_label("Reason").fill(reason)
    section.get_by_role("button", name="Resolve").click()
    expect(page.locator("#flash")).to_contain_text("Discrepancy resolved.")


def test_a_coordinator_walks_a_discharge(page: Any, personas: Personas) -> None:
    chart_medicines(personas.patient_id)
    # Discharged an hour ago: the contact recorded below is then within its two business days whatever today is.
    discharged = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    discharge_home(personas.patient_id, discharged=discharged)

    sign_in(page, "cora")
    page.goto("/worklist")
    expect(page.get_by_text("TCM contact: call Ana Rivera after discharge from St Mary's Hospital")).to_be_visible()
    expect(page.get_by_text("TCM: reconcile medications for Ana Rivera")).to_be_visible()

    page.get_by_role("link", name="My panel").click()
    page.get_by_role("link", name="Rivera, Ana").click()
    page.locator("#transitions").get_by_role("link", name="Discharged").click()
    expect(page.get_by_role("heading", name="Transition of care: Rivera, Ana", level=1)).to_be_visible()

    contacts = page.locator("#contacts")
    contacts.get_by_label("Outcome").select_option(label="Reached")
    contacts.get_by_role("button", name="Record contact").click()
    expect(page.locator("#flash")).to_contain_text("Contact recorded.")
    expect(page.get_by_test_id("contact-state")).to_contain_text("Met")

    page.get_by_test_id("checklist-discharge-summary").get_by_role("button", name="Mark done").click()
    expect(page.get_by_test_id("checklist-discharge-summary")).to_contain_text("✔")

    page.get_by_role("button", name="Reconcile medications").click()
    expect(page.get_by_role("heading", name="Medication reconciliation: Rivera, Ana")).to_be_visible()
    add = page.get_by_role("form", name="Add from the discharge summary")
    add.get_by_label("Medicine").select_option(label="lisinopril 20 MG Oral Tablet")
    add.get_by_label("How often").fill("once daily")
    add.get_by_role("button", name="Add to discharge list").click()
    expect(page.locator("#flash")).to_contain_text("Added to the discharge list.")
    add = page.get_by_role("form", name="Add from the discharge summary")
    add.get_by_label("Medicine").select_option(label="furosemide 40 MG Oral Tablet")
    add.get_by_label("The discharge summary says to stop it").check()
    add.get_by_role("button", name="Add to discharge list").click()

    resolve(page, "discrepancy-dose-changed-lisinopril", "Continue", "raised in hospital for blood pressure")
    resolve(page, "discrepancy-stopped-furosemide", "Stop", "no longer needed; weight stable")
    page.get_by_role("button", name="Complete reconciliation").click()
    expect(page.locator("#flash")).to_contain_text("this is now the active medication list")

    page.get_by_role("link", name="Transition of care").click()
    expect(page.get_by_test_id("checklist-medications-reconciled")).to_contain_text("✔")
    expect(page.get_by_test_id("medrec-state")).to_contain_text("Met")
    page.goto("/worklist")
    expect(page.get_by_text("TCM contact: call Ana Rivera")).to_have_count(0)  # done: off the worklist
    page.screenshot(path="/tmp/careloop-transition.png", full_page=True)
