"""Signed-in browsers for the HTML routes, driven through FastAPI's TestClient."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi.testclient import TestClient

from careloop import db
from careloop.app import create_app
from careloop.models import CareTeamMember, Patient, Task, User
from tests.factories import PASSWORD

HTML = {"Accept": "text/html"}


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def field_errors(html: str) -> list[str]:
    return [m.replace("&#39;", "'") for m in re.findall(r'class="field-error">([^<]+)<', html)]


@dataclass
class Browser:
    client: TestClient
    csrf: str = ""

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, *, htmx: bool = False, token: bool = True,
             **kwargs: Any) -> httpx.Response:
        form = {**({"csrf_token": self.csrf} if token else {}), **(data or {})}
        headers = {"HX-Request": "true", "HX-Current-URL": "http://testserver/worklist"} if htmx else {}
        return self.client.post(url, data=form, headers=headers, **kwargs)


def log_in(client: TestClient, username: str, password: str = PASSWORD, next_url: str = "") -> httpx.Response:
    form = client.get("/login")
    return client.post("/login", data={"username": username, "password": password, "next": next_url,
                                       "login_csrf": hidden(form.text, "login_csrf")})


@pytest.fixture
def browser() -> Iterator[Callable[[str], Browser]]:
    """browser('cora') -> a client signed in as cora, holding her session's CSRF token."""
    clients: list[TestClient] = []

    def open_as(username: str) -> Browser:
        client = TestClient(create_app(), headers=HTML)
        clients.append(client)
        page = log_in(client, username)
        assert page.status_code == 200, page.text
        return Browser(client, hidden(page.text, "csrf_token"))

    yield open_as
    for client in clients:
        client.close()


def public_ids(*, patient_id: int | None = None, task_id: int | None = None,
               user_id: int | None = None) -> dict[str, UUID]:
    with db.unit_of_work() as s:
        out: dict[str, UUID] = {}
        for key, model, pk in (("patient", Patient, patient_id), ("task", Task, task_id), ("user", User, user_id)):
            if pk is not None:
                row = s.get(model, pk)
                assert row is not None
                out[key] = row.public_id
        return out


def task_row(task_id: int) -> Task:
    with db.unit_of_work() as s:
        task = s.get(Task, task_id)
        assert task is not None
        s.expunge(task)
        return task


def member_ids(patient_id: int) -> list[UUID]:
    from sqlalchemy import select

    with db.unit_of_work() as s:
        return list(s.scalars(select(CareTeamMember.public_id).where(CareTeamMember.patient_id == patient_id,
                                                                     CareTeamMember.period_end.is_(None))))
