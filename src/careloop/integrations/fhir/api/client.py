"""Who is calling the FHIR API: a bearer token's user (as an actor on channel "fhir") and the token's SMART
scopes. FHIR clients authenticate with bearer tokens only (SMART App Launch; no browser cookies here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from careloop import audit
from careloop.access import Actor, Permission
from careloop.auth import service as auth
from careloop.errors import Forbidden, NotAuthenticated
from careloop.http.deps import DbSession, client_ip
from careloop.integrations.fhir.api import scopes
from careloop.integrations.fhir.api.scopes import Mode, Scopes
from careloop.models import ApiToken
from careloop.models.audit import AuditOutcome

# Types outside any patient compartment (R4 compartmentdefinition-patient): readable by any clinical user
# whose token has a matching user/ or system/ scope. Everything else needs a patient the user may see.
SHARED_TYPES = frozenset({"Practitioner", "PractitionerRole", "Organization", "Location", "Medication",
                          "Substance", "HealthcareService", "Endpoint"})


@dataclass(frozen=True)
class FhirClient:
    actor: Actor
    scopes: Scopes

    def require_scope(self, session: Session, resource_type: str, mode: Mode = Mode.read) -> None:
        """Role and scope, before any data is touched; a refusal is audited (and survives the rollback)."""
        if not self.actor.can(Permission.patient_read):
            reason = "Your role does not allow reading clinical data."
        elif not self.scopes.allows(resource_type, mode,
                                    in_patient_compartment=resource_type not in SHARED_TYPES):
            reason = (f"The token's scopes do not allow {mode.value} of {resource_type} "
                      f"(e.g. user/{resource_type}.{mode.value} or user/*.{mode.value}).")
        else:
            return
        audit.record(session, self.actor, f"fhir.{mode.value}", outcome=AuditOutcome.denied,
                     entity_type=resource_type, detail={"reason": reason})
        raise Forbidden(reason)

    def may_read(self, resource_type: str) -> bool:
        return self.actor.can(Permission.patient_read) and self.scopes.allows(
            resource_type, Mode.read, in_patient_compartment=resource_type not in SHARED_TYPES)


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Send 'Authorization: Bearer <token>' with a token carrying SMART scopes.")
    return token.strip()


def fhir_client(request: Request, session: DbSession) -> FhirClient:
    token = _bearer(request)
    user = auth.resolve_api_token(session, token)
    if user is None:
        raise NotAuthenticated("The bearer token is unknown, revoked or expired.")
    scope_string = session.scalar(select(ApiToken.scopes).where(ApiToken.token_hash == auth.token_digest(token)))
    granted = scopes.parse(scope_string or "")
    if not granted.grants:
        raise Forbidden("This token carries no FHIR scopes (e.g. 'user/*.read'); create one that does.")
    actor = auth.actor_for(session, user, channel="fhir", source_ip=client_ip(request))
    return FhirClient(actor, granted)


Client = Annotated[FhirClient, Depends(fhir_client)]
