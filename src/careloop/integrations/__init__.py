"""Data in and out of careloop through the standards the rest of health care speaks (FHIR R4 first)."""
