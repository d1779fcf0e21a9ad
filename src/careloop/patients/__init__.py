"""Patients: the panel, the patient page, demographics and identifiers."""
