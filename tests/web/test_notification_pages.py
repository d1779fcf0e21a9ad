"""The notifications page: newest first, unread marked, read one (htmx or a plain post) or all, CSRF checked."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from careloop import db
from careloop.careteams import repository as careteam_repo
from careloop.clock import utcnow
from tests.factories import Personas
from tests.notifications.helpers import notify_about_task, notify_plain, read_at
from tests.web.conftest import Browser, hidden


def nav_count(html: str) -> str | None:
    match = re.search(r'id="unread-count">(\d+)<', html)
    return match.group(1) if match else None


def test_page_lists_newest_first_with_unread_marked_and_links(personas: Personas,
                                                              browser: Callable[[str], Browser]) -> None:
    older = notify_about_task(personas, personas.coordinator_id, title="Call after discharge")
    notify_plain(personas.coordinator_id, "Welcome to careloop")
    cora = browser("cora")
    cora.post(f"/notifications/{older}/read")
    page = cora.get("/notifications")
    assert page.status_code == 200
    text = page.text
    assert text.index("Welcome to careloop") < text.index("Overdue: Call after discharge")
    assert text.count('class="is-unread"') == 1 and text.count(">New</span>") == 1
    assert re.search(r'<a href="/tasks/[0-9a-f-]{36}">Overdue: Call after discharge</a>', text)
    assert re.search(r'<a href="/patients/[0-9a-f-]{36}">Rivera, Ana</a>', text)
    assert nav_count(text) == "1"
    assert 'aria-current="page">Notifications' in text


def test_nav_shows_the_unread_count_on_other_pages(personas: Personas, browser: Callable[[str], Browser]) -> None:
    notify_plain(personas.coordinator_id, "one")
    notify_plain(personas.coordinator_id, "two")
    assert nav_count(browser("cora").get("/worklist").text) == "2"
    assert nav_count(browser("tess").get("/worklist").text) is None


def test_mark_read_with_htmx_answers_the_row_and_the_count(personas: Personas,
                                                           browser: Callable[[str], Browser]) -> None:
    nid = notify_plain(personas.coordinator_id, "hello")
    notify_plain(personas.coordinator_id, "still unread")
    row = browser("cora").post(f"/notifications/{nid}/read", {"view": "row", "next": "/notifications"}, htmx=True)
    assert row.status_code == 200
    assert row.text.lstrip().startswith(f'<tr id="notification-{nid}">')  # no longer class="is-unread"
    assert "Marked read." in row.text and "Mark read</button>" not in row.text
    assert re.search(r'<span id="unread-count" hx-swap-oob="true" class="badge badge-count">1<', row.text)
    assert read_at(nid) is not None


def test_last_unread_read_with_htmx_empties_the_count(personas: Personas, browser: Callable[[str], Browser]) -> None:
    nid = notify_plain(personas.coordinator_id, "only one")
    row = browser("cora").post(f"/notifications/{nid}/read", {"view": "row"}, htmx=True)
    assert '<span id="unread-count" hx-swap-oob="true"></span>' in row.text


def test_mark_read_without_javascript_goes_back_to_the_list(personas: Personas,
                                                            browser: Callable[[str], Browser]) -> None:
    nid = notify_plain(personas.coordinator_id, "hello")
    cora = browser("cora")
    answer = cora.post(f"/notifications/{nid}/read", {"next": "/notifications?unread=1"}, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/notifications?unread=1")
    assert "Nothing unread." in cora.get("/notifications?unread=1").text
    assert read_at(nid) is not None


def test_posts_without_the_csrf_token_are_refused(personas: Personas, browser: Callable[[str], Browser]) -> None:
    nid = notify_plain(personas.coordinator_id, "hello")
    cora = browser("cora")
    assert cora.post(f"/notifications/{nid}/read", token=False).status_code == 403
    assert cora.post("/notifications/read-all", token=False).status_code == 403
    assert cora.post(f"/notifications/{nid}/read", {"csrf_token": "forged"}, token=False).status_code == 403
    assert read_at(nid) is None


def test_someone_elses_notification_is_not_found(personas: Personas, browser: Callable[[str], Browser]) -> None:
    nid = notify_plain(personas.coordinator_id, "cora's")
    tess = browser("tess")
    assert tess.post(f"/notifications/{nid}/read").status_code == 404
    assert tess.post("/notifications/not-an-id/read").status_code == 404
    assert read_at(nid) is None


def test_mark_all_read_spares_what_arrived_after_the_page_loaded(personas: Personas,
                                                                 browser: Callable[[str], Browser]) -> None:
    seen = notify_plain(personas.coordinator_id, "seen")
    cora = browser("cora")
    page = cora.get("/notifications").text
    newer = notify_plain(personas.coordinator_id, "arrived while the page was open")
    after = cora.post("/notifications/read-all", {"up_to": hidden(page, "up_to"), "next": "/notifications"})
    assert after.status_code == 200
    assert read_at(seen) is not None and read_at(newer) is None
    assert nav_count(after.text) == "1"


def test_mark_all_read_refuses_a_mangled_time(personas: Personas, browser: Callable[[str], Browser]) -> None:
    nid = notify_plain(personas.coordinator_id, "hello")
    answer = browser("cora").post("/notifications/read-all", {"up_to": "yesterday"})
    assert answer.status_code == 422 and "unreadable time" in answer.text
    assert read_at(nid) is None


def test_patient_i_left_shows_without_patient_details(personas: Personas, browser: Callable[[str], Browser]) -> None:
    notify_about_task(personas, personas.coordinator_id, title="Call Ana after discharge")
    with db.unit_of_work() as s:
        for member in careteam_repo.active_members(s, personas.patient_id):
            if member.user_id == personas.coordinator_id:
                member.period_end = utcnow() - timedelta(seconds=1)
    page = browser("cora").get("/notifications").text
    assert "A patient you no longer follow" in page and "About a patient you no longer follow" in page
    assert "Rivera" not in page and "Ana" not in page and "/tasks/" not in page


def test_paging_keeps_the_filter_and_answers_htmx_with_a_fragment(personas: Personas,
                                                                  browser: Callable[[str], Browser]) -> None:
    from careloop.config import get_settings

    for i in range(get_settings().page_size + 1):
        notify_plain(personas.coordinator_id, f"note {i}")
    cora = browser("cora")
    first = cora.get("/notifications?unread=1").text
    assert 'href="/notifications?unread=1&amp;page=2"' in first
    fragment = cora.get("/notifications?unread=1&page=2", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div class="table-wrap">')
    assert fragment.text.count('<tr id="notification-') == 1 and "note 0" in fragment.text


def test_empty_list_says_so(personas: Personas, browser: Callable[[str], Browser]) -> None:
    page = browser("ada").get("/notifications")
    assert page.status_code == 200 and "No notifications yet." in page.text
    assert "Mark all read" not in page.text
