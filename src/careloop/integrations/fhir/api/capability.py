"""The CapabilityStatement (capabilitystatement.html, http.html#capabilities): built from the parameter table
the search code uses, so it states only what this server does: read, vread, history-instance, search-type,
create (with If-None-Exist) and update (with If-Match; update as create) over the types careloop keeps,
transaction and batch Bundles, Bulk Data $export (system, Patient, Group), JSON only, SMART-on-FHIR bearer
tokens. No delete, no patch."""

from __future__ import annotations

from typing import Any

from careloop import __version__
from careloop.integrations.fhir.api import params
from careloop.integrations.fhir.api.outcome import FHIR_JSON

_SMART = "http://terminology.hl7.org/CodeSystem/restful-security-service"
_PARAM_TYPES = {"token": "token", "date": "date", "reference": "reference", "status": "token"}
# Types the search table describes; any other R4 type careloop stores is still readable by id.
TYPES = tuple(sorted(params.BY_TYPE))
_BULK_IG = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition"
# Bulk Data $export (Bulk Data Access IG 2.0): system, Patient and Group level (a Group is a careloop team).
_BULK = [{"name": "export", "definition": f"{_BULK_IG}/export"},
         {"name": "patient-export", "definition": f"{_BULK_IG}/patient-export"},
         {"name": "group-export", "definition": f"{_BULK_IG}/group-export"}]


def statement(base: str, released: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": released,
        "publisher": "careloop",
        "kind": "instance",
        "software": {"name": "careloop", "version": __version__},
        "implementation": {"description": "careloop FHIR R4 API", "url": base},
        "instantiates": ["http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"],
        "fhirVersion": "4.0.1",
        "format": [FHIR_JSON, "json"],
        "rest": [{
            "mode": "server",
            "security": {
                "cors": False,
                "service": [{"coding": [{"system": _SMART, "code": "SMART-on-FHIR"}]}],
                "description": "Bearer tokens (Authorization: Bearer) carrying SMART scopes such as user/*.read, "
                               "patient/Observation.read or system/*.rs (user/*.write or *.cud to write); "
                               "access is also limited to the patients on the token user's care teams.",
            },
            "resource": [_resource(name) for name in TYPES],
            "interaction": [{"code": "transaction"}, {"code": "batch"}],
            "operation": [{"name": "everything",
                           "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"},
                          *_BULK],
        }],
    }


def _resource(name: str) -> dict[str, Any]:
    search = [{"name": "_id", "type": "token"}, {"name": "_lastUpdated", "type": "date"}]
    search += [{"name": p.name, "type": _PARAM_TYPES[p.kind]} for p in params.for_type(name).values()]
    entry: dict[str, Any] = {
        "type": name,
        "interaction": [{"code": code} for code in ("read", "vread", "update", "history-instance", "create",
                                                    "search-type")],
        "versioning": "versioned-update",
        "readHistory": True,
        "updateCreate": True,
        "conditionalCreate": True,
        "conditionalUpdate": False,
        "conditionalDelete": "not-supported",
        "searchParam": search,
    }
    includes = [f"{name}:{p}" for p in sorted(params.includes(name))]
    if includes:
        entry["searchInclude"] = includes
    if name == "Patient":
        # A new patient enters through registration or import (docs/decisions.md): no create here.
        entry["interaction"] = [i for i in entry["interaction"] if i["code"] != "create"]
        entry["updateCreate"] = entry["conditionalCreate"] = False
        entry["operation"] = [{"name": "everything",
                               "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"},
                              {"name": "export", "definition": f"{_BULK_IG}/patient-export"}]
    return entry
