"""Assessments: the instrument library (FHIR Questionnaires with scoring rules as data), the generic scorer,
and filled-in responses stored as QuestionnaireResponses with their scores as Observations."""
