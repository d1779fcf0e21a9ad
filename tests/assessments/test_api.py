"""The assessment JSON API as a coordinator uses it: fill, save, complete, see the findings and the same-day
task, accept or dismiss, amend; bad input is refused with a message per question and changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from careloop import db
from careloop.config import get_settings
from careloop.models import (
    AssessmentResponse,
    CareTeamRole,
    Condition,
    Observation,
    OutboxEvent,
    Patient,
    StaffRole,
    Task,
    User,
)
from tests.assessments.helpers import PHQ9, first_options, patient_uuid, phq9
from tests.conftest import BearerFor
from tests.factories import Personas, add_member, make_patient, make_user

AHC_NO_NEEDS = {"71802-3": ["LA31993-1"], "96778-6": ["LA9-3"], "88122-7": ["LA28398-8"],
                "88123-5": ["LA28398-8"], "93030-5": ["LA32-8"], "96779-4": ["LA32-8"], "95618-5": ["LA6270-8"],
                "95617-7": ["LA6270-8"], "95616-9": ["LA6270-8"], "95615-1": ["LA6270-8"]}


def fill(client: TestClient, headers: dict[str, str], patient: str, instrument: str,
         answers: dict[str, list[str]]) -> dict[str, Any]:
    started = client.post(f"/api/v1/patients/{patient}/assessments", json={"instrument": instrument},
                          headers=headers)
    assert started.status_code == 201, started.text
    done = client.post(f"/api/v1/assessments/{started.json()['id']}/complete",
                       json={"version": started.json()["version"], "answers": answers}, headers=headers)
    assert done.status_code == 200, done.text
    return dict(done.json())


def counts() -> tuple[int, int, int, int]:
    with db.unit_of_work() as s:
        return (s.scalar(select(func.count()).select_from(Observation)) or 0,
                s.scalar(select(func.count()).select_from(Task)) or 0,
                s.scalar(select(func.count()).select_from(OutboxEvent)) or 0,
                s.scalar(select(func.count()).select_from(Condition)) or 0)


def test_instruments_are_listed_with_their_questions_and_options(client: TestClient, personas: Personas,
                                                                 bearer_for: BearerFor) -> None:
    listed = client.get("/api/v1/assessment-instruments", headers=bearer_for(personas.coordinator_id)).json()
    phq = next(i for i in listed if i["key"] == "phq-9")
    assert [i["link_id"] for i in phq["items"]] == PHQ9
    assert phq["items"][8]["options"][1] == {"system": "http://loinc.org", "code": "LA6569-3",
                                             "display": "Several days", "value": 1.0}
    assert phq["scores"][0]["loinc"] == "44261-6"
    assert {i["key"] for i in listed} >= {"phq-2", "gad-7", "ahc-hrsn", "katz-adl", "lawton-iadl", "steadi", "zbi-4"}


def test_item9_positive_with_total_1_raises_an_urgent_same_day_task_on_the_rn_worklist(
        client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    cora = bearer_for(personas.coordinator_id)
    result = fill(client, cora, patient_uuid(personas.patient_id), "phq-9", phq9([0, 0, 0, 0, 0, 0, 0, 0, 1]))
    assert (result["status"], result["scores"][0]["value"], result["scores"][0]["band_code"]) == (
        "completed", 1.0, "minimal")
    (finding,) = result["findings"]
    assert (finding["rule_key"], finding["status"]) == ("self-harm-thoughts", "task-raised")
    worklist = client.get("/api/v1/worklist", headers=cora).json()["items"]
    (task,) = [t for t in worklist if t["id"] == finding["task_id"]]
    assert (task["priority"], task["type"], task["owner_role"], task["status"]) == (
        "urgent", "safety", "rn-care-manager", "requested")
    zone = ZoneInfo(get_settings().timezone)
    due = datetime.fromisoformat(task["due_at"]).astimezone(zone)
    assert due.date() == datetime.now(zone).date() and (due.hour, due.minute) == (23, 59)
    tess = client.get("/api/v1/worklist", headers=bearer_for(personas.teammate_id)).json()["items"]
    assert all(t["id"] != finding["task_id"] for t in tess)  # the social worker's worklist is not the place


def test_item9_task_goes_to_the_author_when_nobody_holds_the_role(client: TestClient, personas: Personas,
                                                                  bearer_for: BearerFor) -> None:
    with db.unit_of_work() as s:
        patient = make_patient(s, "Nguyen", "Lan")
        worker = make_user(s, "chloe", [StaffRole.community_health_worker])
        add_member(s, patient, CareTeamRole.community_health_worker, user=worker)
        add_member(s, patient, CareTeamRole.rn_care_manager, name="Outside nurse, no account")
        patient_id, worker_id = patient.public_id, worker.id
    chloe = bearer_for(worker_id)
    result = fill(client, chloe, str(patient_id), "phq-9", phq9([0, 0, 0, 0, 0, 0, 0, 0, 2]))
    (task,) = client.get("/api/v1/worklist", headers=chloe).json()["items"]
    assert task["id"] == result["findings"][0]["task_id"]
    assert (task["owner_user"]["name"], task["owner_role"], task["priority"]) == ("Chloe", None, "urgent")


@pytest.mark.parametrize(("values", "total", "proposed"), [
    ([2, 2, 2, 1, 1, 1, 0, 0, 0], 9, False),
    ([2, 2, 2, 2, 1, 1, 0, 0, 0], 10, True),
])
def test_depression_is_proposed_from_a_total_of_10(client: TestClient, personas: Personas, bearer_for: BearerFor,
                                                   values: list[int], total: int, proposed: bool) -> None:
    result = fill(client, bearer_for(personas.coordinator_id), patient_uuid(personas.patient_id), "phq-9",
                  phq9(values))
    assert result["scores"][0]["value"] == total
    depression = [f for f in result["findings"] if f["rule_key"] == "depression"]
    assert bool(depression) == proposed
    if proposed:
        assert depression[0]["status"] == "proposed"
        assert depression[0]["severity"] == "Moderate depression"
        assert depression[0]["concern"]["code"] == "35489007"
    assert not [t for t in client.get("/api/v1/worklist", headers=bearer_for(personas.coordinator_id)).json()[
        "items"] if t["type"] == "safety"]


def test_scores_are_survey_observations_with_loinc_and_the_event_names_them(
        client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    result = fill(client, bearer_for(personas.coordinator_id), patient_uuid(personas.patient_id), "phq-9",
                  phq9([3, 3, 2, 2, 2, 2, 1, 0, 0]))
    with db.unit_of_work() as s:
        (observation,) = s.scalars(select(Observation)).all()
        assert (observation.category, observation.code, observation.panel_code, observation.value_num,
                observation.value_text, observation.status.value) == (
            "survey", "44261-6", "44249-1", 15.0, "Moderately severe depression", "final")
        assert str(observation.public_id) == result["scores"][0]["observation_id"]
        (event,) = s.scalars(select(OutboxEvent).where(OutboxEvent.type == "observation.recorded")).all()
        assert event.payload == {"patient_id": personas.patient_id, "observation_ids": [observation.id],
                                 "codes": ["44261-6"]}


def test_incomplete_answers_are_refused_per_question_and_change_nothing(
        client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    cora = bearer_for(personas.coordinator_id)
    started = client.post(f"/api/v1/patients/{patient_uuid(personas.patient_id)}/assessments",
                          json={"instrument": "phq-9"}, headers=cora).json()
    before = counts()
    answers = phq9([0, 0, 0, 0, 0, 0, 0, 0, 3])
    del answers[PHQ9[8]]
    answers[PHQ9[2]] = ["LA0000-0"]
    refused = client.post(f"/api/v1/assessments/{started['id']}/complete", json={"version": 1, "answers": answers},
                          headers=cora)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["message"].startswith("2 answers need attention: question 3 LA0000-0 is not one of the offered")
    assert [(p["question"], p["link_id"]) for p in error["details"]["problems"]] == [(3, PHQ9[2]), (9, PHQ9[8])]
    assert "needs an answer: Thoughts that you would be better off dead" in error["details"]["problems"][1]["message"]
    assert counts() == before
    again = client.get(f"/api/v1/assessments/{started['id']}", headers=cora).json()
    assert (again["status"], again["version"], again["answers"], again["scores"]) == ("in-progress", 1, {}, [])


def test_progress_is_saved_partially_and_bad_answers_are_refused(client: TestClient, personas: Personas,
                                                                 bearer_for: BearerFor) -> None:
    cora = bearer_for(personas.coordinator_id)
    started = client.post(f"/api/v1/patients/{patient_uuid(personas.patient_id)}/assessments",
                          json={"instrument": "phq-9", "answers": {PHQ9[0]: ["LA6569-3"]}}, headers=cora).json()
    saved = client.put(f"/api/v1/assessments/{started['id']}/answers",
                       json={"version": 1, "answers": {PHQ9[1]: ["LA6570-1"], PHQ9[0]: ["LA6569-3"]}}, headers=cora)
    assert saved.status_code == 200, saved.text
    assert (saved.json()["version"], list(saved.json()["answers"])) == (2, [PHQ9[0], PHQ9[1]])
    bad = client.put(f"/api/v1/assessments/{started['id']}/answers",
                     json={"version": 2, "answers": {"nope": ["x"], PHQ9[0]: ["LA6569-3", "LA6570-1"]}}, headers=cora)
    assert bad.status_code == 422
    assert "question 1 takes one answer only" in bad.json()["error"]["message"]
    assert "'nope' is not a question of this instrument" in bad.json()["error"]["message"]
    stale = client.put(f"/api/v1/assessments/{started['id']}/answers", json={"version": 1, "answers": {}},
                       headers=cora)
    assert stale.status_code == 409 and stale.json()["error"]["details"] == {"current_version": 2}
    unknown = client.post(f"/api/v1/patients/{patient_uuid(personas.patient_id)}/assessments",
                          json={"instrument": "phq-99"}, headers=cora)
    assert unknown.status_code == 422 and "No instrument 'phq-99'" in unknown.json()["error"]["message"]
    assert client.get(f"/api/v1/assessments/{started['id']}", headers=cora).json()["version"] == 2


def test_accepting_a_finding_records_a_health_concern_once(client: TestClient, personas: Personas,
                                                           bearer_for: BearerFor) -> None:
    cora = bearer_for(personas.coordinator_id)
    answers = dict(AHC_NO_NEEDS, **{"88122-7": ["LA6729-3"]})
    result = fill(client, cora, patient_uuid(personas.patient_id), "ahc-hrsn", answers)
    (food,) = result["findings"]
    assert (food["rule_key"], food["concern"]["sdoh_category"], food["status"]) == (
        "food-insecurity", "food-insecurity", "proposed")
    url = f"/api/v1/assessments/{result['id']}/findings/{food['id']}"
    accepted = client.post(f"{url}/accept", json={"note": "confirmed with patient"}, headers=cora)
    assert accepted.status_code == 200, accepted.text
    decided = accepted.json()["findings"][0]
    assert (decided["status"], decided["decided_by"], decided["reason"]) == ("accepted", "Cora",
                                                                              "confirmed with patient")
    with db.unit_of_work() as s:
        (condition,) = s.scalars(select(Condition)).all()
        assert (condition.category.value, condition.clinical_status.value, condition.code_system, condition.code,
                str(condition.public_id)) == ("health-concern", "active", "snomed", "733423003",
                                              decided["condition_id"])
    again = client.post(f"{url}/accept", json={}, headers=cora)
    assert again.status_code == 409 and "already accepted by Cora" in again.json()["error"]["message"]
    dismissed = client.post(f"{url}/dismiss", json={"reason": "x"}, headers=cora)
    assert dismissed.status_code == 409
    assert counts()[3] == 1


def test_dismissing_records_who_and_why_and_needs_a_reason(client: TestClient, personas: Personas,
                                                           bearer_for: BearerFor) -> None:
    cora = bearer_for(personas.coordinator_id)
    result = fill(client, cora, patient_uuid(personas.patient_id), "phq-9", phq9([3, 3, 3, 3, 3, 3, 0, 0, 0]))
    (depression,) = result["findings"]
    url = f"/api/v1/assessments/{result['id']}/findings/{depression['id']}/dismiss"
    assert client.post(url, json={"reason": ""}, headers=cora).status_code == 422
    done = client.post(url, json={"reason": "already treated by psychiatry"}, headers=cora).json()["findings"][0]
    assert (done["status"], done["decided_by"], done["reason"], done["condition_id"]) == (
        "dismissed", "Cora", "already treated by psychiatry", None)
    assert counts()[3] == 0


def test_amending_keeps_the_old_response_and_supersedes_its_scores(client: TestClient, personas: Personas,
                                                                   bearer_for: BearerFor) -> None:
    cora = bearer_for(personas.coordinator_id)
    first = fill(client, cora, patient_uuid(personas.patient_id), "phq-9", phq9([2, 2, 2, 2, 1, 1, 0, 0, 1]))
    assert {f["rule_key"] for f in first["findings"]} == {"depression", "self-harm-thoughts"}
    amended = client.post(f"/api/v1/assessments/{first['id']}/amend",
                          json={"version": first["version"], "answers": phq9([1, 1, 1, 1, 1, 1, 0, 0, 1]),
                                "reason": "item 1 misread"}, headers=cora)
    assert amended.status_code == 201, amended.text
    new = amended.json()
    assert (new["status"], new["replaces_id"], new["scores"][0]["value"]) == ("completed", first["id"], 7.0)
    assert [f["rule_key"] for f in new["findings"]] == ["self-harm-thoughts"]
    assert new["findings"][0]["task_id"] == first["findings"][1]["task_id"]  # the open task is not doubled
    old = client.get(f"/api/v1/assessments/{first['id']}", headers=cora).json()
    assert (old["status"], old["status_reason"], old["replaced_by_id"]) == ("amended", "item 1 misread", new["id"])
    assert old["scores"][0]["status"] == "amended" and old["answers"] == first["answers"]
    assert {f["rule_key"]: f["status"] for f in old["findings"]}["depression"] == "withdrawn"
    again = client.post(f"/api/v1/assessments/{first['id']}/amend",
                        json={"version": old["version"], "answers": phq9([0] * 9)}, headers=cora)
    assert again.status_code == 409 and "amend the response that replaced it" in again.json()["error"]["message"]
    listed = client.get(f"/api/v1/patients/{patient_uuid(personas.patient_id)}/assessments", headers=cora).json()
    assert [r["status"] for r in listed] == ["completed", "amended"]
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(AssessmentResponse)) == 2
        assert s.scalar(select(func.count()).select_from(Task)) == 1


def test_an_amendment_keeps_a_decision_on_a_finding_found_again(client: TestClient, personas: Personas,
                                                                bearer_for: BearerFor) -> None:
    cora = bearer_for(personas.coordinator_id)
    first = fill(client, cora, patient_uuid(personas.patient_id), "phq-9", phq9([3, 3, 3, 3, 0, 0, 0, 0, 0]))
    finding = first["findings"][0]
    client.post(f"/api/v1/assessments/{first['id']}/findings/{finding['id']}/accept", json={}, headers=cora)
    version = client.get(f"/api/v1/assessments/{first['id']}", headers=cora).json()["version"]
    new = client.post(f"/api/v1/assessments/{first['id']}/amend",
                      json={"version": version, "answers": phq9([3, 3, 3, 3, 3, 0, 0, 0, 0])}, headers=cora).json()
    (again,) = new["findings"]
    assert (again["status"], again["severity"]) == ("accepted", "Moderately severe depression")
    assert counts()[3] == 1


def test_entered_in_error_voids_the_scores(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    cora = bearer_for(personas.coordinator_id)
    result = fill(client, cora, patient_uuid(personas.patient_id), "gad-7",
                  first_options("gad-7"))
    url = f"/api/v1/assessments/{result['id']}/entered-in-error"
    assert client.post(url, json={"version": result["version"]}, headers=cora).status_code == 422
    voided = client.post(url, json={"version": result["version"], "reason": "wrong patient"}, headers=cora).json()
    assert (voided["status"], voided["scores"][0]["status"]) == ("entered-in-error", "entered-in-error")
    assert voided["questionnaire_response"]["status"] == "entered-in-error"


def test_a_non_member_cannot_fill_or_read(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    result = fill(client, bearer_for(personas.coordinator_id), patient_uuid(personas.patient_id), "phq-2",
                  {"44250-9": ["LA6568-5"], "44255-8": ["LA6568-5"]})
    oscar = bearer_for(personas.outsider_id)
    assert client.get(f"/api/v1/assessments/{result['id']}", headers=oscar).status_code == 403
    refused = client.post(f"/api/v1/patients/{patient_uuid(personas.patient_id)}/assessments",
                          json={"instrument": "phq-2"}, headers=oscar)
    assert refused.status_code == 403
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(AssessmentResponse)) == 1
        patient = s.get(Patient, personas.patient_id)
        assert patient is not None and s.get(User, personas.outsider_id) is not None
