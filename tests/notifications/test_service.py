"""Notifications: once per cause, each person's own, and nothing about a patient they no longer follow."""

from __future__ import annotations

import threading
from datetime import timedelta
from uuid import uuid4

import pytest
from sqlalchemy import func, select

from careloop import db
from careloop.careteams import repository as careteam_repo
from careloop.clock import utcnow
from careloop.errors import InvalidInput, NotFound
from careloop.models import AuditEvent, Notification, Patient, User
from careloop.notifications import service
from tests.factories import Personas, make_task
from tests.notifications.helpers import notify_about_task, notify_plain, read_at


def count_notifications() -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(Notification)) or 0


def test_second_notify_with_the_same_key_adds_nothing(personas: Personas) -> None:
    with db.unit_of_work() as s:
        first = service.notify(s, user_id=personas.coordinator_id, kind="task.overdue", title="Late", dedupe_key="k1")
        second = service.notify(s, user_id=personas.coordinator_id, kind="task.overdue", title="Late again",
                                dedupe_key="k1")
        assert first is not None and second is None
        # The refused insert did not spoil the transaction: it goes on working and commits.
        assert service.notify(s, user_id=personas.coordinator_id, kind="task.overdue", title="Other") is not None
    assert count_notifications() == 2


def test_without_a_key_every_call_notifies(personas: Personas) -> None:
    notify_plain(personas.coordinator_id, "One")
    notify_plain(personas.coordinator_id, "One")
    assert count_notifications() == 2


def test_two_writers_racing_on_one_key_add_one(personas: Personas) -> None:
    """The second writer waits for the first to commit, then quietly adds nothing (no IntegrityError)."""
    outcome: dict[str, object] = {}
    first_inserted = threading.Event()

    def second_writer() -> None:
        first_inserted.wait(10)
        try:
            with db.unit_of_work() as s:
                outcome["second"] = service.notify(s, user_id=personas.coordinator_id, kind="k", title="B",
                                                   dedupe_key="race")
        except Exception as exc:  # the assertion below reports it
            outcome["second"] = exc

    thread = threading.Thread(target=second_writer)
    thread.start()
    with db.unit_of_work() as s:
        outcome["first"] = service.notify(s, user_id=personas.coordinator_id, kind="k", title="A", dedupe_key="race")
        first_inserted.set()
        thread.join(0.5)  # the second writer is now blocked on the first's uncommitted row (or the write lock)
    thread.join(10)
    assert outcome["first"] is not None and outcome["second"] is None
    assert count_notifications() == 1


@pytest.mark.parametrize(("field", "value"), [("title", ""), ("title", "x" * 201), ("kind", ""),
                                              ("kind", "k" * 41), ("body", "b" * 1001), ("dedupe_key", "d" * 201)])
def test_bad_input_is_refused_and_adds_nothing(personas: Personas, field: str, value: str) -> None:
    arguments = {"user_id": personas.coordinator_id, "kind": "task.overdue", "title": "Late", field: value}
    with pytest.raises(InvalidInput, match=field), db.unit_of_work() as s:
        service.notify(s, **arguments)  # type: ignore[arg-type]
    assert count_notifications() == 0


def test_a_task_notification_names_the_tasks_patient(personas: Personas) -> None:
    with db.unit_of_work() as s:
        task = make_task(s, s.get(Patient, personas.patient_id), owner=s.get(User, personas.coordinator_id))
        made = service.notify(s, user_id=personas.coordinator_id, kind="task.overdue", title="Late", task_id=task.id)
        assert made is not None and made.patient_id == personas.patient_id
        with pytest.raises(InvalidInput, match="another patient"):
            service.notify(s, user_id=personas.coordinator_id, kind="task.overdue", title="Late", task_id=task.id,
                           patient_id=personas.other_patient_id)


def test_list_is_mine_newest_first_with_totals(personas: Personas) -> None:
    for title in ("first", "second", "third"):
        notify_plain(personas.coordinator_id, title)
    notify_plain(personas.teammate_id, "tess's")
    with db.unit_of_work() as s:
        actor = personas.actor(s, personas.coordinator_id)
        items, total = service.list_for(s, actor, page=1, size=2)
        assert ([i.title for i in items], total) == (["third", "second"], 3)
        items, _ = service.list_for(s, actor, page=2, size=2)
        assert [i.title for i in items] == ["first"]
        assert service.unread_count(s, actor) == 3


def test_unread_only_and_mark_all_read(personas: Personas) -> None:
    first = notify_plain(personas.coordinator_id, "first")
    notify_plain(personas.coordinator_id, "second")
    notify_plain(personas.teammate_id, "tess's")
    with db.unit_of_work() as s:
        actor = personas.actor(s, personas.coordinator_id)
        service.mark_read(s, actor, first)
        items, total = service.list_for(s, actor, unread_only=True)
        assert ([i.title for i in items], total) == (["second"], 1)
        assert service.mark_all_read(s, actor) == 1
        assert service.unread_count(s, actor) == 0
        assert service.unread_count(s, personas.actor(s, personas.teammate_id)) == 1


def test_mark_all_read_spares_what_arrived_after_the_page_loaded(personas: Personas) -> None:
    notify_plain(personas.coordinator_id, "seen")
    loaded_at = utcnow()
    newer = notify_plain(personas.coordinator_id, "arrived later")
    with db.unit_of_work() as s:
        assert service.mark_all_read(s, personas.actor(s, personas.coordinator_id), up_to=loaded_at) == 1
    assert read_at(newer) is None


def test_reading_twice_keeps_the_first_time(personas: Personas) -> None:
    nid = notify_plain(personas.coordinator_id, "hello")
    with db.unit_of_work() as s:
        service.mark_read(s, personas.actor(s, personas.coordinator_id), nid)
    first = read_at(nid)
    with db.unit_of_work() as s:
        service.mark_read(s, personas.actor(s, personas.coordinator_id), nid)
    assert first is not None and read_at(nid) == first


def test_someone_elses_notification_is_not_found(personas: Personas) -> None:
    nid = notify_plain(personas.coordinator_id, "cora's")
    for unknown in (nid, uuid4()):
        with pytest.raises(NotFound), db.unit_of_work() as s:
            service.mark_read(s, personas.actor(s, personas.teammate_id), unknown)
    assert read_at(nid) is None


def test_listing_audits_each_patient_shown(personas: Personas) -> None:
    notify_about_task(personas, personas.coordinator_id, title="one")
    notify_about_task(personas, personas.coordinator_id, title="two")
    notify_plain(personas.coordinator_id, "no patient")
    with db.unit_of_work() as s:
        service.list_for(s, personas.actor(s, personas.coordinator_id))
    with db.unit_of_work() as s:
        rows = s.execute(select(AuditEvent.action, AuditEvent.patient_id, AuditEvent.actor_id)
                         .where(AuditEvent.action == "notifications.view")).all()
    assert [tuple(r) for r in rows] == [("notifications.view", personas.patient_id, personas.coordinator_id)]


def test_patient_i_left_is_withheld_and_not_audited_as_shown(personas: Personas) -> None:
    notify_about_task(personas, personas.coordinator_id, title="Call Ana after discharge")
    with db.unit_of_work() as s:
        for member in careteam_repo.active_members(s, personas.patient_id):
            if member.user_id == personas.coordinator_id:
                member.period_end = utcnow() - timedelta(seconds=1)
    with db.unit_of_work() as s:
        items, total = service.list_for(s, personas.actor(s, personas.coordinator_id))
        (item,) = items
        assert total == 1 and item.withheld
        assert (item.patient, item.task_id, item.body) == (None, None, None)
        assert item.title == service.WITHHELD_TITLE and "Ana" not in item.title
    with db.unit_of_work() as s:
        shown = s.scalar(select(func.count()).select_from(AuditEvent)
                         .where(AuditEvent.action == "notifications.view"))
    assert shown == 0


def test_send_adds_once_per_key_and_checks_like_notify(personas: Personas) -> None:
    with db.unit_of_work() as s:
        task = make_task(s, s.get_one(Patient, personas.patient_id))
        assert service.send(s, user_id=personas.coordinator_id, kind="encounter.admitted", title="In hospital",
                            task_id=task.id, dedupe_key="pathway:1")
        assert not service.send(s, user_id=personas.coordinator_id, kind="encounter.admitted", title="Again",
                                dedupe_key="pathway:1")
        with pytest.raises(InvalidInput, match="Cannot notify"):
            service.send(s, user_id=personas.coordinator_id, kind="x", title="")
    with db.unit_of_work() as s:
        [sent] = s.scalars(select(Notification)).all()
        assert (sent.title, sent.patient_id, sent.public_id is not None) == ("In hospital", personas.patient_id, True)
