"""The ADT review pages: the nav item for coordinators, the message beside candidates, link and create."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from careloop import db
from careloop.models import Hl7Message, Hl7MessageStatus, Patient
from tests.factories import Personas
from tests.integrations.hl7v2.helpers import adt, discharge, feed, run_worker
from tests.web.conftest import Browser


def _hold() -> str:
    feed(adt("A01", "H1", mrn="HOSP-9"), discharge("H2", mrn="HOSP-9"))
    run_worker()
    with db.unit_of_work() as s:
        return str(s.scalars(select(Hl7Message.public_id).order_by(Hl7Message.id)).first())


def test_a_coordinator_links_a_held_identifier_from_the_page(browser: Callable[[str], Browser],
                                                             personas: Personas) -> None:
    message_id = _hold()
    cora = browser("cora")
    queue = cora.get("/hl7/review")
    assert queue.status_code == 200
    assert 'href="/hl7/review"' in queue.text  # the nav item
    assert "Rivera, Ana" in queue.text and "HOSP-9" in queue.text
    detail = cora.get(f"/hl7/review/{message_id}")
    assert "Link to Rivera, Ana" in detail.text
    assert "Okafor" not in detail.text  # only patients she may see are offered
    with db.unit_of_work() as s:
        patient_id = str(s.get_one(Patient, personas.patient_id).public_id)
    linked = cora.post(f"/hl7/review/{message_id}/link", {"patient_id": patient_id}, follow_redirects=False)
    assert linked.status_code == 303, linked.text
    run_worker()
    with db.unit_of_work() as s:
        assert set(s.scalars(select(Hl7Message.status))) == {Hl7MessageStatus.applied}


def test_create_patient_opens_the_new_patients_page(browser: Callable[[str], Browser], personas: Personas) -> None:
    message_id = _hold()
    created = browser("cora").post(f"/hl7/review/{message_id}/create", follow_redirects=False)
    assert created.status_code == 303
    assert created.headers["location"].startswith("/patients/")


def test_the_page_refuses_roles_without_review(browser: Callable[[str], Browser], personas: Personas) -> None:
    _hold()
    tess = browser("tess")  # a social worker
    assert 'href="/hl7/review"' not in tess.get("/worklist").text
    assert tess.get("/hl7/review").status_code == 403


def test_a_post_without_the_csrf_token_changes_nothing(browser: Callable[[str], Browser],
                                                       personas: Personas) -> None:
    message_id = _hold()
    refused = browser("cora").post(f"/hl7/review/{message_id}/create", token=False, follow_redirects=False)
    assert refused.status_code == 403
    with db.unit_of_work() as s:
        assert set(s.scalars(select(Hl7Message.status))) == {Hl7MessageStatus.held}
