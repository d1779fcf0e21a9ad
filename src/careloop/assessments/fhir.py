"""A stored response as FHIR R4: the QuestionnaireResponse and its score Observations (derivedFrom it), as the
SDOH Clinical Care IG chains them (screening response -> observations -> health concern). Pure functions of
rows already loaded; an export or the API calls them after its own access check."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from careloop.assessments.library import Instrument
from careloop.assessments.service import LOCAL_SCORE_SYSTEM, ResponseView, score_code
from careloop.models import AssessmentResponse, AssessmentScore, Observation

OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
UCUM = "http://unitsofmeasure.org"
RESPONSE_IDENTIFIER = "urn:careloop:assessment-response"


def _instant(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def questionnaire_response(response: AssessmentResponse, instrument: Instrument,
                           author: str | None = None) -> dict[str, Any]:
    """`response.patient` must be loaded."""
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": str(response.public_id),
        "identifier": {"system": RESPONSE_IDENTIFIER, "value": str(response.public_id)},
        "questionnaire": f"{instrument.url}|{response.instrument_version}",
        "status": response.status.value,
        "subject": {"reference": f"Patient/{response.patient.public_id}"},
        "authored": _instant(response.authored_at or response.last_modified),
    }
    if author:
        resource["author"] = {"display": author}
    items = [_item(instrument, link_id, codes) for link_id, codes in response.answers.items()]
    if items:
        resource["item"] = items
    return resource


def _item(instrument: Instrument, link_id: str, codes: list[str]) -> dict[str, Any]:
    item = instrument.item(link_id)
    answers = []
    for code in codes:
        option = item.option(code) if item else None
        coding = ({"system": option.system, "code": option.code, "display": option.display} if option
                  else {"code": code})  # an answer from an older version of the questionnaire
        answers.append({"valueCoding": coding})
    rendered: dict[str, Any] = {"linkId": link_id, "answer": answers}
    if item is not None:
        rendered["text"] = item.text
    return rendered


def score_observations(response: AssessmentResponse, instrument: Instrument,
                       scores: Sequence[tuple[AssessmentScore, Observation]]) -> list[dict[str, Any]]:
    return [_observation(response, instrument, link, observation) for link, observation in scores]


def _observation(response: AssessmentResponse, instrument: Instrument, link: AssessmentScore,
                 observation: Observation) -> dict[str, Any]:
    rule = next((r for r in instrument.scoring.scores if r.key == link.score_key), None)
    system, code = score_code(instrument, link.score_key, rule.loinc if rule else None)
    if system == LOCAL_SCORE_SYSTEM:
        code = observation.code
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(observation.public_id),
        "status": observation.status.value,
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}],
        "code": {"coding": [{"system": system, "code": code, "display": observation.display}],
                 "text": observation.display},
        "subject": {"reference": f"Patient/{response.patient.public_id}"},
        "effectiveDateTime": _instant(observation.effective_at),
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{response.public_id}"}],
    }
    if observation.value_num is not None:
        resource["valueQuantity"] = {"value": observation.value_num, "unit": "{score}", "system": UCUM,
                                     "code": "{score}"}
    if observation.value_text:
        resource["interpretation"] = [{"text": observation.value_text}]
    return resource


def render(view: ResponseView) -> dict[str, Any]:
    """The response and its observations as a FHIR collection Bundle (what an export writes for it)."""
    resources = [questionnaire_response(view.response, view.instrument, view.author),
                 *score_observations(view.response, view.instrument, view.scores)]
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources]}
