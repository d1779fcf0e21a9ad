"""The FHIR R4 API at /fhir/R4 over the FHIR store: metadata, read, vread, history, search and
Patient/$everything, behind SMART scopes, the care-team rule and the audit trail."""

from careloop.integrations.fhir.api.outcome import render_error
from careloop.integrations.fhir.api.router import router

__all__ = ["render_error", "router"]
