"""Rule 4 for the web UI: every patient-scoped page and form refuses outsiders and administrators with a
clear page that names nobody; account pages refuse everyone but administrators."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.routing import APIRoute

from careloop import db
from careloop.app import WEB_ROUTERS
from careloop.models import Patient, User
from careloop.users import repository
from tests.assessments.helpers import assessment_ids
from tests.careplans.helpers import care_plan_ids
from tests.factories import Personas, make_task
from tests.web.conftest import Browser, member_ids, public_ids

SCOPED = ("patient_id", "task_id", "member_id", "response_id", "plan_id")


def web_routes() -> list[tuple[str, str]]:
    """From the web routers themselves, so a new page is walked the day it is added."""
    routes = [(method, route.path) for router in WEB_ROUTERS for route in router.routes
              if isinstance(route, APIRoute) and any(f"{{{p}}}" in route.path for p in SCOPED)
              for method in sorted(route.methods)]
    assert len(routes) >= 7
    return routes


@pytest.mark.parametrize(("method", "path"), web_routes())
@pytest.mark.parametrize("who", ["oscar", "ada"])
def test_patient_scoped_page_refuses_outsiders(personas: Personas, browser: Callable[[str], Browser], method: str,
                                               path: str, who: str) -> None:
    with db.unit_of_work() as s:
        task = make_task(s, s.get(Patient, personas.patient_id), owner=s.get(User, personas.coordinator_id))
        task_id = task.id
    ids = public_ids(patient_id=personas.patient_id, task_id=task_id)
    values = {"patient_id": ids["patient"], "task_id": ids["task"], "member_id": member_ids(personas.patient_id)[0],
              "action": "start"}
    if "{response_id}" in path:
        values.update(assessment_ids(personas))
    if "{plan_id}" in path:
        values.update(care_plan_ids(personas))
    url = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)
    visitor = browser(who)
    form = {"version": "1", "note": "x", "reason": "x", "title": "x", "type": "outreach", "priority": "routine",
            "owner": "role:pharmacist", "role": "pharmacist", "name": "X", "phone": "555 123 4567",
            "patient": str(ids["patient"])}
    response = visitor.get(url) if method == "GET" else visitor.post(url, form)
    assert response.status_code == 403, (method, url, response.text[:300])
    assert "access to this patient&#39;s record" in response.text
    assert "Rivera" not in response.text and "Ana" not in response.text




def test_outsider_panel_and_worklist_do_not_show_the_patient(personas: Personas,
                                                            browser: Callable[[str], Browser]) -> None:
    with db.unit_of_work() as s:
        make_task(s, s.get(Patient, personas.patient_id), owner=s.get(User, personas.coordinator_id))
    oscar = browser("oscar")
    assert "Rivera" not in oscar.get("/patients").text
    assert "Rivera" not in oscar.get("/worklist").text
    assert "Okafor, Ben" in oscar.get("/patients").text


def test_accounts_page_is_for_administrators_only(personas: Personas, browser: Callable[[str], Browser]) -> None:
    page = browser("cora").get("/admin/users")
    assert page.status_code == 403
    assert "No access" in page.text
    refused = browser("cora").post("/admin/users", {"username": "mallory", "display_name": "M",
                                                    "password": "long enough pw", "roles": "admin"})
    assert refused.status_code == 403


def test_admin_creates_and_deactivates_an_account(personas: Personas, browser: Callable[[str], Browser]) -> None:
    ada = browser("ada")
    bad = ada.post("/admin/users", {"username": "bad name", "display_name": "", "password": "short"})
    assert bad.status_code == 422
    assert "Use letters, digits, dots, dashes or underscores." in bad.text
    assert "Choose at least one." in bad.text
    created = ada.post("/admin/users", {"username": "nina", "display_name": "Nina Park, RN",
                                        "roles": ["care-coordinator"], "teams": ["North care management"],
                                        "password": "long enough pw"})
    assert "Account created." in created.text and "Nina Park, RN" in created.text
    with db.unit_of_work() as s:
        nina = repository.by_username(s, "nina")
        assert nina is not None
        nina_id = nina.public_id
    taken = ada.post("/admin/users", {"username": "nina", "display_name": "Other", "roles": ["care-coordinator"],
                                      "password": "long enough pw"})
    assert "The username 'nina' is taken." in taken.text.replace("&#39;", "'")
    off = ada.post(f"/admin/users/{nina_id}/active", {"active": "0"})
    assert "Account deactivated." in off.text
    short = ada.post(f"/admin/users/{nina_id}/password", {"password": "tiny"})
    assert "A password needs at least 10 characters." in short.text


def test_refusal_of_an_htmx_request_is_shown_at_the_top_of_the_page(personas: Personas,
                                                                    browser: Callable[[str], Browser]) -> None:
    patient = public_ids(patient_id=personas.patient_id)["patient"]
    response = browser("oscar").post(f"/patients/{patient}/tasks", {"title": "x", "type": "outreach",
                                                                    "owner": "role:pharmacist"}, htmx=True)
    assert response.status_code == 403
    assert (response.headers["HX-Retarget"], response.headers["HX-Reswap"]) == ("#flash", "innerHTML")
    assert "<html" not in response.text and "No access" in response.text
