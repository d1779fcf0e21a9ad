"""A real browser against the real app: uvicorn serves create_app() on a free local port (in a thread, on the
suite's test database) and Playwright drives Debian's headless Chromium. Never `playwright install`."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from careloop import db
from careloop.clock import utcnow
from careloop.models import (
    Condition,
    Encounter,
    EncounterClass,
    EncounterStatus,
    MedicationRequest,
    Observation,
    Patient,
    TaskPriority,
    TaskStatus,
    User,
)
from tests.factories import PASSWORD, Personas, make_task

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason="browser tests drive Debian's /usr/bin/chromium (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(migrated: str) -> Iterator[str]:
    from careloop.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, name="careloop-live-server", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not answer /healthz within 30 s")
        time.sleep(0.1)
    yield base
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("browser tests drive Debian's /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium: Any, live_server: str) -> Iterator[Any]:
    """new_page() -> a page in a fresh browser context (its own cookies), at laptop size."""
    contexts: list[Any] = []

    def make() -> Any:
        context = chromium.new_context(base_url=live_server, viewport={"width": 1440, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Any) -> Any:
    return new_page()


def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def arrange_day(personas: Personas) -> dict[str, int]:
    """A coordinator's morning: tasks due yesterday, today and later, one queued to a role; and a chart."""
    now = utcnow()
    with db.unit_of_work() as s:
        patient, cora = s.get(Patient, personas.patient_id), s.get(User, personas.coordinator_id)
        other = s.get(Patient, personas.other_patient_id)
        assert patient is not None and cora is not None and other is not None
        ids = {
            "overdue": make_task(s, patient, owner=cora, title="Call after discharge", due_in=timedelta(days=-1),
                                 priority=TaskPriority.urgent, task_type="follow-up-call").id,
            "today": make_task(s, patient, owner=cora, title="Reconcile medications", due_in=timedelta(hours=3),
                               task_type="med-review").id,
            "later": make_task(s, patient, owner=cora, title="Check blood pressure log", due_in=timedelta(days=5),
                               task_type="assessment", status=TaskStatus.in_progress).id,
            "queued": make_task(s, patient, owner_role="rn-care-manager", title="Arrange home health visit",
                                due_in=timedelta(days=2), status=TaskStatus.requested, task_type="referral").id,
            "undated": make_task(s, patient, owner=cora, title="Send diabetes education leaflet", due_in=None,
                                 task_type="education").id,
        }
        _add_chart(s, patient.id, now)
    return ids


def _add_chart(s: Any, pid: int, now: Any) -> None:
    s.add_all([
        Condition(patient_id=pid, code_system="ICD10CM", code="I5022", icd10="I5022",
                  display="Chronic systolic heart failure", clinical_status="active", recorded_at=now),
        Condition(patient_id=pid, code_system="ICD10CM", code="E119", icd10="E119",
                  display="Type 2 diabetes mellitus", clinical_status="active", recorded_at=now),
        MedicationRequest(patient_id=pid, rxnorm="197361", display="Furosemide 40 MG Oral Tablet", status="active",
                          dosage_text="1 tablet by mouth every morning", authored_on=now - timedelta(days=6)),
        Encounter(patient_id=pid, status=EncounterStatus.finished, class_code=EncounterClass.emergency,
                  period_start=now - timedelta(days=14), period_end=now - timedelta(days=14, hours=-5),
                  facility="General Hospital", reason_display="Shortness of breath"),
        Encounter(patient_id=pid, status=EncounterStatus.finished, class_code=EncounterClass.inpatient,
                  period_start=now - timedelta(days=10), period_end=now - timedelta(days=6),
                  facility="General Hospital", reason_display="Heart failure exacerbation",
                  discharge_disposition="home"),
        Encounter(patient_id=pid, status=EncounterStatus.planned, class_code=EncounterClass.ambulatory,
                  period_start=now + timedelta(days=3), facility="North Clinic", type_display="Follow-up visit"),
        Observation(patient_id=pid, category="vital-signs", code="8480-6", display="Systolic blood pressure",
                    panel_code="85354-9", effective_at=now - timedelta(days=6), value_num=148, unit="mm[Hg]"),
        Observation(patient_id=pid, category="vital-signs", code="29463-7", display="Body weight",
                    effective_at=now - timedelta(days=6), value_num=81.4, unit="kg"),
        Observation(patient_id=pid, category="laboratory", code="4548-4", display="Hemoglobin A1c",
                    effective_at=now - timedelta(days=30), value_num=8.2, unit="%"),
    ])
