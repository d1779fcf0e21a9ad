"""The notifications JSON API: my own only, paged, with the unread count; someone else's is simply not found."""

from __future__ import annotations

from uuid import uuid4

from fastapi.testclient import TestClient

from careloop import db
from careloop.careteams import repository as careteam_repo
from careloop.clock import utcnow
from tests.conftest import BearerFor
from tests.factories import Personas
from tests.notifications.helpers import notify_about_task, notify_plain, read_at

API = "/api/v1/notifications"


def test_list_is_paged_with_unread_count(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    for title in ("one", "two", "three"):
        notify_plain(personas.coordinator_id, title)
    notify_plain(personas.teammate_id, "not cora's")
    headers = bearer_for(personas.coordinator_id)
    first = client.get(API, params={"size": 2}, headers=headers).json()
    assert [n["title"] for n in first["items"]] == ["three", "two"]
    assert (first["total"], first["unread_count"], first["page"], first["size"]) == (3, 3, 1, 2)
    second = client.get(API, params={"size": 2, "page": 2}, headers=headers).json()
    assert [n["title"] for n in second["items"]] == ["one"]


def test_task_notification_links_task_and_patient(client: TestClient, personas: Personas,
                                                  bearer_for: BearerFor) -> None:
    notify_about_task(personas, personas.coordinator_id)
    (item,) = client.get(API, headers=bearer_for(personas.coordinator_id)).json()["items"]
    assert (item["kind"], item["title"], item["unread"], item["withheld"]) == (
        "task.overdue", "Overdue: Call after discharge", True, False)
    assert item["patient"]["name"] == "Rivera, Ana" and item["task_id"]


def test_mark_read_then_unread_filter(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    first = notify_plain(personas.coordinator_id, "first")
    notify_plain(personas.coordinator_id, "second")
    headers = bearer_for(personas.coordinator_id)
    read = client.post(f"{API}/{first}/read", headers=headers)
    assert read.status_code == 200, read.text
    assert (read.json()["unread"], read.json()["id"]) == (False, str(first))
    unread = client.get(API, params={"unread": "true"}, headers=headers).json()
    assert ([n["title"] for n in unread["items"]], unread["total"], unread["unread_count"]) == (["second"], 1, 1)


def test_read_all_marks_only_mine(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    notify_plain(personas.coordinator_id, "a")
    notify_plain(personas.coordinator_id, "b")
    tess_one = notify_plain(personas.teammate_id, "tess's")
    answer = client.post(f"{API}/read-all", headers=bearer_for(personas.coordinator_id))
    assert answer.json() == {"marked": 2, "unread_count": 0}
    assert read_at(tess_one) is None


def test_read_all_up_to_spares_newer(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    notify_plain(personas.coordinator_id, "seen")
    loaded_at = utcnow().isoformat()
    newer = notify_plain(personas.coordinator_id, "newer")
    answer = client.post(f"{API}/read-all", json={"up_to": loaded_at}, headers=bearer_for(personas.coordinator_id))
    assert answer.json() == {"marked": 1, "unread_count": 1}
    assert read_at(newer) is None


def test_someone_elses_notification_is_404_and_unchanged(client: TestClient, personas: Personas,
                                                         bearer_for: BearerFor) -> None:
    coras = notify_plain(personas.coordinator_id, "cora's")
    headers = bearer_for(personas.teammate_id)
    theirs = client.post(f"{API}/{coras}/read", headers=headers)
    missing = client.post(f"{API}/{uuid4()}/read", headers=headers)
    assert (theirs.status_code, missing.status_code) == (404, 404)
    # The same answer either way: nothing tells tess that the first one exists.
    assert theirs.json()["error"]["code"] == missing.json()["error"]["code"] == "not-found"
    assert read_at(coras) is None


def test_bad_input_gets_a_clear_4xx(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    nid = notify_plain(personas.coordinator_id, "a")
    headers = bearer_for(personas.coordinator_id)
    bad_id = client.post(f"{API}/not-a-uuid/read", headers=headers)
    assert bad_id.status_code == 422 and "notification_id" in bad_id.json()["error"]["message"]
    assert client.get(API, params={"page": 0}, headers=headers).status_code == 422
    assert client.get(API, params={"size": 500}, headers=headers).status_code == 422
    assert client.get(API, params={"unread": "maybe"}, headers=headers).status_code == 422
    naive = client.post(f"{API}/read-all", json={"up_to": "2030-01-01T00:00:00"}, headers=headers)
    assert naive.status_code == 422 and "timezone" in naive.json()["error"]["message"]
    extra = client.post(f"{API}/read-all", json={"before": "2030-01-01T00:00:00Z"}, headers=headers)
    assert extra.status_code == 422
    assert read_at(nid) is None


def test_signed_out_gets_401(client: TestClient) -> None:
    assert client.get(API).status_code == 401
    assert client.post(f"{API}/read-all").status_code == 401


def test_patient_i_left_is_left_out(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    nid = notify_about_task(personas, personas.coordinator_id, title="Call Ana after discharge")
    with db.unit_of_work() as s:
        for member in careteam_repo.active_members(s, personas.patient_id):
            if member.user_id == personas.coordinator_id:
                member.period_end = utcnow()
    headers = bearer_for(personas.coordinator_id)
    listed = client.get(API, headers=headers)
    (item,) = listed.json()["items"]
    assert (item["withheld"], item["patient"], item["task_id"], item["body"]) == (True, None, None, None)
    assert "Rivera" not in listed.text and "Ana" not in listed.text
    read = client.post(f"{API}/{nid}/read", headers=headers)  # still hers to clear
    assert read.status_code == 200 and "Ana" not in read.text
