"""Care plans (issue 4): concerns -> goals -> interventions, the patient's priorities, barriers and shared
decisions; templates, goal achievement from readings, review cadence, versions, plain language, PDF and FHIR."""
