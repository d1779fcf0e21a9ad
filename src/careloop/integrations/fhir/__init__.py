"""FHIR R4: bulk import of Bundles and NDJSON into careloop's store and tables (`import_paths`); the
/fhir/R4 API builds on the same store (models/fhir.py)."""

from careloop.integrations.fhir.importer import ImportProgress, import_paths
from careloop.integrations.fhir.summary import ImportSummary

__all__ = ["ImportProgress", "ImportSummary", "import_paths"]
