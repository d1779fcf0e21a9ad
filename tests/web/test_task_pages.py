"""The worklist and the task page: filters, flags, row actions, edits and conflicts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from careloop import db
from careloop.models import Patient, TaskPriority, TaskStatus, User
from tests.factories import Personas, make_task
from tests.web.conftest import Browser, field_errors, public_ids, task_row


def _tasks(personas: Personas) -> tuple[int, int, int]:
    with db.unit_of_work() as s:
        patient, cora = s.get(Patient, personas.patient_id), s.get(User, personas.coordinator_id)
        late = make_task(s, patient, owner=cora, title="Call after discharge", due_in=timedelta(days=-2),
                         priority=TaskPriority.urgent).id
        soon = make_task(s, patient, owner=cora, title="Review medications", due_in=timedelta(days=3)).id
        queued = make_task(s, patient, owner_role="social-worker", title="Food bank referral", due_in=None,
                           status=TaskStatus.requested).id
        return late, soon, queued


def test_worklist_flags_overdue_in_text_and_filters(personas: Personas, browser: Callable[[str], Browser]) -> None:
    _tasks(personas)
    cora = browser("cora")
    page = cora.get("/worklist").text
    assert "Call after discharge" in page and "Review medications" in page
    assert page.count(">Overdue</span>") == 1
    assert "1\u20132 of 2" in page  # an en dash
    assert "Food bank referral" not in page  # queued to social workers; cora is an RN care manager
    overdue = cora.get("/worklist?due=overdue").text
    assert "Call after discharge" in overdue and "Review medications" not in overdue


def test_worklist_fragment_for_htmx_and_page_otherwise(personas: Personas, browser: Callable[[str], Browser]) -> None:
    _tasks(personas)
    cora = browser("cora")
    fragment = cora.get("/worklist?patient=riv", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith("<div class=\"table-wrap\">")
    assert fragment.headers["Vary"] == "HX-Request"
    assert "<html" in cora.get("/worklist?patient=riv").text
    assert "No tasks match" in cora.get("/worklist?patient=nobody").text


def test_teammate_claims_a_task_queued_to_their_role(personas: Personas, browser: Callable[[str], Browser]) -> None:
    *_, queued = _tasks(personas)
    tess = browser("tess")
    assert "Food bank referral" in tess.get("/worklist").text
    row = tess.post(f"/tasks/{public_ids(task_id=queued)['task']}/actions/claim",
                    {"version": "1", "view": "row"}, htmx=True)
    assert row.status_code == 200
    assert "Claimed: this task is now yours." in row.text
    assert task_row(queued).owner_user_id == personas.teammate_id


def test_complete_from_row_returns_the_updated_row(personas: Personas, browser: Callable[[str], Browser]) -> None:
    late, *_ = _tasks(personas)
    tid = public_ids(task_id=late)["task"]
    cora = browser("cora")
    row = cora.post(f"/tasks/{tid}/actions/complete", {"version": "1", "view": "row"}, htmx=True)
    assert row.text.lstrip().startswith(f'<tr id="task-row-{tid}"')
    assert "Completed" in row.text and "Overdue" not in row.text
    history = cora.get(f"/tasks/{tid}").text
    assert "Ready → Completed" in history


def test_hold_needs_a_reason(personas: Personas, browser: Callable[[str], Browser]) -> None:
    late, *_ = _tasks(personas)
    tid = public_ids(task_id=late)["task"]
    row = browser("cora").post(f"/tasks/{tid}/actions/hold", {"version": "1", "view": "row", "note": ""},
                               htmx=True)
    assert row.status_code == 422
    assert "needs a reason" in row.text
    assert task_row(late).status is TaskStatus.ready


def test_stale_row_action_shows_conflict_and_current_state(personas: Personas,
                                                           browser: Callable[[str], Browser]) -> None:
    late, *_ = _tasks(personas)
    tid = public_ids(task_id=late)["task"]
    cora, tess = browser("cora"), browser("tess")
    assert tess.post(f"/tasks/{tid}/actions/start", {"version": "1"}).status_code == 200
    row = cora.post(f"/tasks/{tid}/actions/complete", {"version": "1", "view": "row"}, htmx=True)
    assert row.status_code == 409
    assert "changed by someone else" in row.text
    assert "In progress" in row.text  # the row now shows what tess did
    assert task_row(late).status is TaskStatus.in_progress


def test_edit_form_errors_keep_values_and_change_nothing(personas: Personas,
                                                         browser: Callable[[str], Browser]) -> None:
    late, *_ = _tasks(personas)
    tid = public_ids(task_id=late)["task"]
    response = browser("cora").post(f"/tasks/{tid}/edit", {"version": "1", "title": "", "priority": "urgent",
                                                           "description": "keep me", "due": "next tuesday"})
    assert response.status_code == 422
    assert field_errors(response.text) == ["This cannot be empty.",
                                           "Enter a date and a time, for example 2026-03-05 14:30."]
    assert "keep me" in response.text and 'value="next tuesday"' in response.text
    assert task_row(late).title == "Call after discharge"


def test_edit_saves_and_reassigns(personas: Personas, browser: Callable[[str], Browser]) -> None:
    late, *_ = _tasks(personas)
    tid = public_ids(task_id=late)["task"]
    response = browser("cora").post(f"/tasks/{tid}/edit", {
        "version": "1", "title": "Call Ana after discharge", "priority": "asap", "description": "",
        "due": "2030-01-02T09:30", "owner": "role:social-worker", "note": "social work has her number"})
    assert "Saved." in response.text
    task = task_row(late)
    assert (task.title, task.priority, task.owner_role, task.owner_user_id) == (
        "Call Ana after discharge", TaskPriority.asap, "social-worker", None)
    assert task.due_at is not None and task.due_at.isoformat() == "2030-01-02T09:30:00+00:00"


def test_stale_edit_shows_conflict_message(personas: Personas, browser: Callable[[str], Browser]) -> None:
    late, *_ = _tasks(personas)
    tid = public_ids(task_id=late)["task"]
    cora, tess = browser("cora"), browser("tess")
    tess.post(f"/tasks/{tid}/edit", {"version": "1", "title": "Tess's title", "priority": "routine"})
    response = cora.post(f"/tasks/{tid}/edit", {"version": "1", "title": "Cora's title", "priority": "routine"})
    assert response.status_code == 409
    assert "changed by someone else" in response.text
    assert 'value="Cora&#39;s title"' in response.text
    assert task_row(late).title == "Tess's title"
