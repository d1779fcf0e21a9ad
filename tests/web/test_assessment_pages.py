"""The assessment pages: choose, fill on one page (save progress, complete), per-question errors with the
answers kept, the result with its findings, accept and dismiss, amend; the patient page lists them."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import func, select

from careloop import db
from careloop.models import AssessmentResponse, Condition, Observation, Task
from tests.assessments.helpers import FREQ, PHQ9, patient_uuid
from tests.factories import Personas
from tests.web.conftest import Browser, field_errors


def start_phq9(cora: Browser, patient: str) -> str:
    chooser = cora.get(f"/patients/{patient}/assessments/new")
    assert chooser.status_code == 200 and 'value="phq-9"' in chooser.text
    started = cora.post(f"/patients/{patient}/assessments", {"instrument": "phq-9"}, follow_redirects=False)
    assert started.status_code == 303, started.text
    return started.headers["location"]


def answers(values: list[int | None]) -> dict[str, str]:
    return {f"q-{link_id}": FREQ[v] for link_id, v in zip(PHQ9, values, strict=True) if v is not None}


def test_fill_save_and_complete_a_phq9(personas: Personas, browser: Callable[[str], Browser]) -> None:
    cora, patient = browser("cora"), patient_uuid(personas.patient_id)
    url = start_phq9(cora, patient)
    form = cora.get(url)
    assert form.text.count("<fieldset") == 9 and "<legend" in form.text
    assert 'name="action" value="save"' in form.text and 'name="action" value="complete"' in form.text
    saved = cora.post(url, {"version": "1", "action": "save", **answers([1, 1, None, None, None, None, None, None,
                                                                        None])})
    assert "Progress saved." in saved.text
    assert saved.text.count("checked") == 2
    done = cora.post(url, {"version": "2", "action": "complete", **answers([2, 2, 2, 2, 1, 1, 0, 0, 0])})
    assert "Assessment completed and scored." in done.text
    assert "PHQ-9 total score: 10" in done.text and "Moderate depression" in done.text
    assert "Depressive disorder" in done.text and ">Accept<" in done.text
    chart = cora.get(f"/patients/{patient}")
    assert "Assessments" in chart.text and "PHQ-9</a> · Completed" in chart.text


def test_missing_answers_are_shown_next_to_their_question_and_change_nothing(
        personas: Personas, browser: Callable[[str], Browser]) -> None:
    cora, patient = browser("cora"), patient_uuid(personas.patient_id)
    url = start_phq9(cora, patient)
    refused = cora.post(url, {"version": "1", "action": "complete", **answers([1, 1, 1, 1, 1, 1, 1, 1, None])})
    assert refused.status_code == 422
    errors = field_errors(refused.text)
    assert len(errors) == 1 and errors[0].startswith("Needs an answer: Thoughts that you would be better off dead")
    assert 'aria-invalid="true" aria-describedby="q-44260-8-error"' in refused.text
    assert refused.text.count("checked") == 8  # the answers given are kept
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Observation)) == 0
        response = s.scalars(select(AssessmentResponse)).one()
        assert (response.status.value, response.version, response.answers) == ("in-progress", 1, {})


def test_accept_and_dismiss_from_the_result_page(personas: Personas, browser: Callable[[str], Browser]) -> None:
    cora, patient = browser("cora"), patient_uuid(personas.patient_id)
    url = start_phq9(cora, patient)
    done = cora.post(url, {"version": "1", "action": "complete", **answers([3, 3, 3, 3, 0, 0, 0, 0, 0])})
    accept = re.search(r'action="(/assessments/[^"]+/accept)"', done.text)
    assert accept is not None
    accepted = cora.post(accept.group(1), {"note": "discussed"})
    assert "Health concern recorded." in accepted.text and "Accepted by Cora: discussed" in accepted.text
    again = cora.post(accept.group(1), {})
    assert again.status_code == 409 and "already accepted by Cora" in again.text
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Condition)) == 1


def test_dismiss_needs_a_reason(personas: Personas, browser: Callable[[str], Browser]) -> None:
    cora, patient = browser("cora"), patient_uuid(personas.patient_id)
    url = start_phq9(cora, patient)
    done = cora.post(url, {"version": "1", "action": "complete", **answers([3, 3, 3, 3, 0, 0, 0, 0, 0])})
    dismiss = re.search(r'action="(/assessments/[^"]+/dismiss)"', done.text)
    assert dismiss is not None
    assert cora.post(dismiss.group(1), {"reason": " "}).status_code == 422
    dismissed = cora.post(dismiss.group(1), {"reason": "known, treated"})
    assert "Dismissed by Cora: known, treated" in dismissed.text


def test_amend_from_the_result_page_keeps_the_old_response(personas: Personas,
                                                          browser: Callable[[str], Browser]) -> None:
    cora, patient = browser("cora"), patient_uuid(personas.patient_id)
    url = start_phq9(cora, patient)
    cora.post(url, {"version": "1", "action": "complete", **answers([1, 1, 1, 1, 1, 1, 1, 1, 0])})
    form = cora.get(f"{url}/amend")
    assert "Save amendment" in form.text and form.text.count("checked") == 9
    version = re.search(r'name="version" value="(\d+)"', form.text)
    assert version is not None
    amended = cora.post(f"{url}/amend", {"version": version.group(1), "reason": "typo",
                                         **answers([1, 1, 1, 1, 1, 1, 1, 1, 1])})
    assert "Amendment saved" in amended.text and "PHQ-9 total score: 9" in amended.text
    assert "A same-day task was raised" in amended.text
    old = cora.get(url)
    assert "Replaced by" in old.text and "(amended)" in old.text
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Task)) == 1


def test_the_csrf_token_is_required(personas: Personas, browser: Callable[[str], Browser]) -> None:
    cora, patient = browser("cora"), patient_uuid(personas.patient_id)
    refused = cora.post(f"/patients/{patient}/assessments", {"instrument": "phq-9"}, token=False)
    assert refused.status_code == 403
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(AssessmentResponse)) == 0


def test_mark_a_response_entered_in_error_from_the_result_page(personas: Personas,
                                                              browser: Callable[[str], Browser]) -> None:
    cora, patient = browser("cora"), patient_uuid(personas.patient_id)
    url = start_phq9(cora, patient)
    done = cora.post(url, {"version": "1", "action": "complete", **answers([2, 2, 2, 2, 1, 1, 0, 0, 0])})
    assert "Mark entered in error" in done.text and 'for="void-reason"' in done.text
    version = re.search(r'action="/assessments/[^"]+/entered-in-error">\s*<input type="hidden" name="csrf_token" '
                        r'value="[^"]*"><input type="hidden" name="version" value="(\d+)"', done.text)
    assert version is not None
    no_reason = cora.post(f"{url}/entered-in-error", {"version": version.group(1), "reason": " "})
    assert no_reason.status_code == 422 and "Say why the response is in error" in no_reason.text
    stale = cora.post(f"{url}/entered-in-error", {"version": str(int(version.group(1)) - 1), "reason": "wrong chart"})
    assert stale.status_code == 409
    with db.unit_of_work() as s:
        assert s.scalars(select(AssessmentResponse.status)).one().value == "completed"
    voided = cora.post(f"{url}/entered-in-error", {"version": version.group(1), "reason": "filled for the wrong chart"})
    assert "Marked entered in error" in voided.text and "(filled for the wrong chart)" in voided.text
    assert "Mark entered in error</button>" not in voided.text  # nothing more to void
    with db.unit_of_work() as s:
        assert s.scalars(select(AssessmentResponse.status)).one().value == "entered-in-error"
        assert {o.value for o in s.scalars(select(Observation.status))} == {"entered-in-error"}
        current = s.scalars(select(AssessmentResponse.version)).one()
    again = cora.post(f"{url}/entered-in-error", {"version": str(current), "reason": "again"})
    assert again.status_code == 409 and "only a draft or a current completed response" in again.text
