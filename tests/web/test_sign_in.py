"""Signing in and out of the web UI, and what happens without a session or a CSRF token."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from careloop import db
from careloop.app import create_app
from careloop.models import Patient, TaskStatus, User
from tests.factories import Personas, make_task
from tests.web.conftest import HTML, Browser, hidden, log_in, public_ids, task_row


def test_page_without_session_redirects_to_login_with_next(personas: Personas) -> None:
    with TestClient(create_app(), headers=HTML) as client:
        response = client.get("/patients?q=riv", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=%2Fpatients%3Fq%3Driv"
        landed = log_in(client, "cora", next_url="/patients?q=riv")
        assert str(landed.url).endswith("/patients?q=riv")
        assert "Rivera, Ana" in landed.text


def test_htmx_request_without_session_is_sent_to_login_page(personas: Personas) -> None:
    with TestClient(create_app()) as client:
        response = client.get("/worklist?due=overdue", headers={"HX-Request": "true",
                                                                 "HX-Current-URL": "http://t/worklist?due=overdue"})
        assert response.headers["HX-Redirect"] == "/login?next=%2Fworklist%3Fdue%3Doverdue"


def test_wrong_password_and_unknown_user_get_the_same_message(personas: Personas) -> None:
    with TestClient(create_app(), headers=HTML) as client:
        wrong_password = log_in(client, "cora", password="not her password")
        unknown_user = log_in(client, "nobody-here", password="whatever it is")
    for response in (wrong_password, unknown_user):
        assert response.status_code == 401
        assert "Wrong username or password." in response.text
    assert 'value="cora"' in wrong_password.text  # the username is kept, the password is not
    assert "not her password" not in wrong_password.text


def test_repeated_failures_show_how_long_to_wait(personas: Personas) -> None:
    with TestClient(create_app(), headers=HTML) as client:
        for _ in range(5):
            log_in(client, "cora", password="guess guess")
        throttled = log_in(client, "cora")
    assert throttled.status_code == 429
    assert "Too many failed sign-ins. Try again in" in throttled.text


def test_sign_in_form_needs_its_own_csrf_cookie(personas: Personas) -> None:
    with TestClient(create_app(), headers=HTML) as client:
        forged = client.post("/login", data={"username": "cora", "password": "x", "login_csrf": "forged"})
    assert forged.status_code == 400
    assert "expired" in forged.text


def test_next_cannot_send_the_browser_to_another_site(personas: Personas) -> None:
    with TestClient(create_app(), headers=HTML) as client:
        form = client.get("/login?next=//evil.example/")
        response = client.post("/login", follow_redirects=False, data={
            "username": "cora", "password": "correct horse battery staple", "next": "//evil.example/",
            "login_csrf": hidden(form.text, "login_csrf")})
    assert response.headers["location"] == "/worklist"


def test_admin_lands_on_accounts_not_the_worklist(personas: Personas, browser: Callable[[str], Browser]) -> None:
    ada = browser("ada")
    page = ada.get("/")
    assert str(page.url).endswith("/admin/users")
    assert ">Worklist<" not in page.text


def test_post_without_csrf_token_is_refused_and_changes_nothing(personas: Personas,
                                                               browser: Callable[[str], Browser]) -> None:
    with db.unit_of_work() as s:
        task_id = make_task(s, s.get(Patient, personas.patient_id), owner=s.get(User, personas.coordinator_id)).id
    url = f"/tasks/{public_ids(task_id=task_id)['task']}/actions/complete"
    cora = browser("cora")
    missing = cora.post(url, {"version": "1"}, token=False)
    wrong = cora.post(url, {"version": "1", "csrf_token": "not-the-token"}, token=False)
    for response in (missing, wrong):
        assert response.status_code == 403
        assert "Reload the page and try again" in response.text
    assert task_row(task_id).status is TaskStatus.ready


def test_htmx_sends_the_token_as_a_header(personas: Personas, browser: Callable[[str], Browser]) -> None:
    with db.unit_of_work() as s:
        task_id = make_task(s, s.get(Patient, personas.patient_id), owner=s.get(User, personas.coordinator_id),
                            due_in=timedelta(days=-1)).id
    cora = browser("cora")
    response = cora.client.post(f"/tasks/{public_ids(task_id=task_id)['task']}/actions/start",
                                data={"version": "1", "view": "row"},
                                headers={"HX-Request": "true", "X-CSRF-Token": cora.csrf})
    assert response.status_code == 200
    assert task_row(task_id).status is TaskStatus.in_progress


def test_sign_out_ends_the_session(personas: Personas, browser: Callable[[str], Browser]) -> None:
    cora = browser("cora")
    assert cora.post("/logout").url.path == "/login"
    assert cora.get("/worklist", follow_redirects=False).status_code == 303
