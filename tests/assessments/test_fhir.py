"""A stored response renders as a valid FHIR R4 QuestionnaireResponse, and its scores as Observations derived
from it (validated with fhir.resources' R4B models, which accept R4 content)."""

from __future__ import annotations

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation as FhirObservation
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from careloop import db
from careloop.assessments import fhir, service
from careloop.assessments.schemas import ResponseComplete, ResponseStart
from careloop.models import Patient
from tests.assessments.helpers import PHQ9, first_options, phq9
from tests.factories import Personas


def completed(personas: Personas, instrument: str, answers: dict[str, list[str]]) -> service.ResponseView:
    with db.unit_of_work() as s:
        cora = personas.actor(s, personas.coordinator_id)
        patient = s.get(Patient, personas.patient_id)
        assert patient is not None
        response = service.start(s, cora, patient.public_id, ResponseStart(instrument=instrument))
        service.complete(s, cora, response.public_id, ResponseComplete(version=1, answers=answers))
        rid = response.public_id
    with db.unit_of_work() as s:
        view = service.get_response(s, personas.actor(s, personas.coordinator_id), rid)
        s.expunge_all()
        return view


def test_phq9_renders_as_a_valid_questionnaire_response_with_its_score(personas: Personas) -> None:
    view = completed(personas, "phq-9", phq9([1, 2, 0, 0, 0, 0, 0, 0, 1]))
    bundle = fhir.render(view)
    Bundle.model_validate(bundle)
    qr = QuestionnaireResponse.model_validate(bundle["entry"][0]["resource"])
    assert (qr.status, qr.questionnaire, qr.author.display) == ("completed", "urn:careloop:questionnaire:phq-9|1",
                                                                 "Cora")
    assert [i.linkId for i in qr.item] == PHQ9
    assert qr.item[1].answer[0].valueCoding.code == "LA6570-1"
    assert qr.item[1].answer[0].valueCoding.display == "More than half the days"
    observation = FhirObservation.model_validate(bundle["entry"][1]["resource"])
    assert (observation.code.coding[0].system, observation.code.coding[0].code) == ("http://loinc.org", "44261-6")
    assert observation.valueQuantity.value == 4
    assert observation.derivedFrom[0].reference == f"QuestionnaireResponse/{view.response.public_id}"
    assert observation.category[0].coding[0].code == "survey"


def test_a_score_without_loinc_gets_a_local_code_and_a_repeating_item_renders_every_answer(
        personas: Personas) -> None:
    answers = first_options("ahc-hrsn")
    answers["96778-6"] = ["LA31996-4", "LA28580-1"]  # pests and mold
    view = completed(personas, "ahc-hrsn", answers)
    qr = QuestionnaireResponse.model_validate(fhir.questionnaire_response(view.response, view.instrument))
    assert [a.valueCoding.code for a in qr.item[1].answer] == ["LA31996-4", "LA28580-1"]
    katz = completed(personas, "katz-adl", first_options("katz-adl"))
    (observation,) = fhir.score_observations(katz.response, katz.instrument, katz.scores)
    FhirObservation.model_validate(observation)
    assert observation["code"]["coding"][0] == {"system": "urn:careloop:assessment-score", "code": "katz-adl",
                                                "display": katz.scores[0][1].display}
