"""Population pages: cohorts with counts, a filtered and sorted list, the enrollment worklist with one-click
enroll, and a patient's scores with their evidence and open gaps (same services as the API)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from careloop.config import get_settings
from careloop.errors import Conflict, InvalidInput
from careloop.population import service
from careloop.population.schemas import EnrollIn, GapTaskIn, PopulationFilter, SortKey
from careloop.web.context import FormDep, WebDep, public_id, redirect
from careloop.web.paging import page_number, paging

router = APIRouter(include_in_schema=False)

SORTS = ((SortKey.hcc_raf.value, "HCC RAF"), (SortKey.charlson.value, "Charlson"), (SortKey.lace.value, "LACE"),
         (SortKey.ed_12m.value, "ED visits (12 months)"), (SortKey.ip_12m.value, "Admissions (12 months)"),
         (SortKey.open_gaps.value, "Open gaps"))
TIERS = ("high", "moderate", "low")


@router.get("/population")
def population_page(request: Request, web: WebDep) -> HTMLResponse:
    params = request.query_params
    view = "worklist" if params.get("view") == "worklist" else "all"
    values = {k: params.get(k, "").strip()[:40] for k in ("cohort", "tier", "sort")}
    try:
        filters = PopulationFilter(cohort=values["cohort"] or None, tier=values["tier"] or None,
                                   sort=values["sort"] or SortKey.hcc_raf, page=page_number(params.get("page")),
                                   size=get_settings().page_size)
        error = ""
    except ValidationError:
        filters, error = PopulationFilter(size=get_settings().page_size), "That sort order is not offered."
    run, cohorts = service.cohort_counts(web.session, web.actor)
    found = service.population_list(web.session, web.actor, filters, worklist=view == "worklist")
    kept = [(k, v) for k, v in [("view", view), *values.items()] if v and v != "all"]
    context = {"title": "Population", "run": run, "cohorts": cohorts, "found": found, "values": values,
               "view": view, "sorts": SORTS, "tiers": TIERS, "error": error,
               "notice": params.get("enrolled", "")[:200],
               "paging": paging("/population", kept, page=found.page, size=found.size, total=found.total)}
    return web.page("population/population.html", context, section="population")


@router.post("/population/enroll/{patient_id}", response_model=None)
def enroll(patient_id: str, web: WebDep, form: FormDep) -> Response:
    try:
        service.enroll(web.session, web.actor, public_id(patient_id), EnrollIn())
    except (Conflict, InvalidInput) as exc:
        return redirect(f"/population?view=worklist&enrolled={exc.message}")
    return redirect("/population?view=worklist&enrolled=Enrolled: care manager assigned and first tasks created.")


@router.get("/patients/{patient_id}/population")
def patient_population(patient_id: str, web: WebDep, saved: str = "") -> HTMLResponse:
    pid = public_id(patient_id)
    found = service.patient_population(web.session, web.actor, pid)
    context = {"title": "Risk scores and care gaps", "patient_id": pid, "found": found, "notice": saved[:200]}
    return web.page("population/patient.html", context, section="patients")


@router.post("/patients/{patient_id}/population/gap-task", response_model=None)
def gap_task(patient_id: str, web: WebDep, form: FormDep) -> Response:
    pid = public_id(patient_id)
    event = str(form.get("event_date") or "") or None
    try:
        # An unreadable form still goes through the service, so the access check answers first (then a 404).
        data = GapTaskIn.model_validate({"measure": str(form.get("measure") or "") or "unknown", "event_date": event})
    except ValidationError:
        data = GapTaskIn(measure="unknown")
    made = service.gap_task(web.session, web.actor, pid, data)
    message = "Outreach task created." if made.created else "This gap already has an open task."
    return redirect(f"/patients/{pid}/population?saved={message}#gaps")
