"""The FHIR R4 API at /fhir/R4 over the FHIR store: metadata, read, vread, history, search,
Patient/$everything, create, update, transaction and batch Bundles, and Bulk Data $export, behind SMART
scopes, the care-team rule and the audit trail."""

from fastapi import APIRouter

from careloop.integrations.fhir.api import export_routes, write_routes
from careloop.integrations.fhir.api import router as read_routes
from careloop.integrations.fhir.api.outcome import render_error

router = APIRouter()
router.include_router(export_routes.router)  # before the read routes: /Patient/$export is not a read
router.include_router(write_routes.router)
router.include_router(read_routes.router)

__all__ = ["render_error", "router"]
