"""The reconciliation page: both lists side by side, the discharge list's form, each discrepancy with its
resolution form, and the button that makes the reconciled list the active one."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from careloop.medrec import ingredients, service
from careloop.medrec.schemas import EntryIn, Resolution, ResolveIn
from careloop.web import forms
from careloop.web.context import FormDep, Web, WebDep, public_id, redirect

router = APIRouter(include_in_schema=False)

RESOLUTIONS = ((Resolution.continue_.value, "Continue"), (Resolution.stop.value, "Stop"),
               (Resolution.change.value, "Change (give the new regimen)"),
               (Resolution.ask_prescriber.value, "Ask the prescriber"))
SAVED = {"entry": "Added to the discharge list.", "removed": "Removed from the discharge list.",
         "resolved": "Discrepancy resolved.", "completed": "Reconciled: this is now the active medication list."}


@router.get("/medication-reconciliations/{rec_id}")
def reconciliation_page(rec_id: str, web: WebDep, saved: str = "") -> HTMLResponse:
    return _page(web, public_id(rec_id), notice=SAVED.get(saved))


def _page(web: Web, rec_id: UUID, *, notice: str | None = None, error: str | None = None,
          entry: forms.FormState | None = None, status_code: int = 200) -> HTMLResponse:
    view = service.view(web.session, web.actor, rec_id)
    entries = {e.id: e for e in view.entries}
    products = sorted(ingredients.products().values(), key=lambda p: p.name.lower())
    context: dict[str, Any] = {
        "title": f"Medication reconciliation: {view.reconciliation.patient.display_name}", "view": view,
        "patient": view.reconciliation.patient, "entries": entries, "notice": notice, "error": error,
        "pre": [e for e in view.entries if e.list == "pre"],
        "discharge": [e for e in view.entries if e.list == "discharge"],
        "products": [(p.rxcui, p.name) for p in products], "resolutions": RESOLUTIONS,
        "entry_form": entry or forms.FormState(), "open": view.reconciliation.status == service.IN_PROGRESS,
        "unresolved": sum(1 for d in view.discrepancies if d.resolution is None),
    }
    return web.page("medrec/reconciliation.html", context, section="patients", status_code=status_code)


def _done(web: Web, rec_id: UUID, saved: str, run: Any, entry: forms.FormState | None = None) -> Response:
    result = forms.attempt(web.session, run)
    if result.error:
        return _page(web, rec_id, error=result.error, entry=entry, status_code=result.status_code)
    return redirect(f"/medication-reconciliations/{rec_id}?saved={saved}")


def _problem(exc: ValidationError) -> str:
    return "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in forms.validation_errors(exc).items())


@router.post("/medication-reconciliations/{rec_id}/entries", response_model=None)
def add_entry(rec_id: str, web: WebDep, form: FormDep) -> Response:
    rid = public_id(rec_id)
    state = forms.read(form, ("rxnorm", "frequency", "dose", "route", "stop"))
    try:
        body = EntryIn(rxnorm=state.value("rxnorm"), frequency=forms.optional(state, "frequency"),
                       dose=forms.optional(state, "dose"), route=forms.optional(state, "route"),
                       stop=state.value("stop") == "1")
    except ValidationError as exc:
        return _page(web, rid, error=_problem(exc), entry=state, status_code=422)
    return _done(web, rid, "entry", lambda: service.add_discharge_entry(web.session, web.actor, rid, body), state)


@router.post("/medication-reconciliations/{rec_id}/entries/{entry_id}/remove", response_model=None)
def remove_entry(rec_id: str, entry_id: str, web: WebDep, form: FormDep) -> Response:
    rid, eid = public_id(rec_id), public_id(entry_id)
    return _done(web, rid, "removed", lambda: service.remove_discharge_entry(web.session, web.actor, rid, eid))


@router.post("/medication-reconciliations/{rec_id}/discrepancies/{discrepancy_id}", response_model=None)
def resolve(rec_id: str, discrepancy_id: str, web: WebDep, form: FormDep) -> Response:
    rid, did = public_id(rec_id), public_id(discrepancy_id)
    state = forms.read(form, ("resolution", "reason", "new_dose", "new_frequency", "new_route"))
    try:
        body = ResolveIn.model_validate({name: forms.optional(state, name) for name in (
            "resolution", "reason", "new_dose", "new_frequency", "new_route")})
    except ValidationError as exc:
        return _page(web, rid, error=_problem(exc), status_code=422)
    return _done(web, rid, "resolved", lambda: service.resolve(web.session, web.actor, rid, did, body))


@router.post("/medication-reconciliations/{rec_id}/complete", response_model=None)
def complete(rec_id: str, web: WebDep, form: FormDep) -> Response:
    rid = public_id(rec_id)
    return _done(web, rid, "completed", lambda: service.complete(web.session, web.actor, rid))
