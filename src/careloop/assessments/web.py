"""Assessment pages: choose an instrument for a patient, fill it in on one page (save progress or complete),
see the result with its findings and accept or dismiss them, amend a completed response, or mark it entered in
error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from careloop.assessments import service, views
from careloop.assessments.library import Instrument, get_instrument, instruments
from careloop.assessments.schemas import (
    EnteredInError,
    FindingAccept,
    FindingDismiss,
    ResponseAmend,
    ResponseComplete,
    ResponseSave,
    ResponseStart,
)
from careloop.errors import CareloopError, Conflict, InvalidInput, NotFound
from careloop.models import ResponseStatus
from careloop.web import forms
from careloop.web.context import FormDep, Web, WebDep, public_id, redirect

router = APIRouter(include_in_schema=False)

SAVED = {"saved": "Progress saved.", "completed": "Assessment completed and scored.",
         "accepted": "Health concern recorded.", "dismissed": "Finding dismissed.",
         "amended": "Amendment saved; the earlier response is kept as amended.",
         "voided": "Marked entered in error: kept, no longer counted."}


@router.get("/patients/{patient_id}/assessments/new")
def choose_page(patient_id: str, web: WebDep) -> HTMLResponse:
    patient = service.patient_to_assess(web.session, web.actor, public_id(patient_id))
    return web.page("assessments/choose.html", {
        "title": f"New assessment: {patient.display_name}", "patient": patient,
        "instruments": list(instruments().values())}, section="patients")


@router.post("/patients/{patient_id}/assessments", response_model=None)
def start(patient_id: str, web: WebDep, form: FormDep) -> Response:
    pid = public_id(patient_id)
    key = str(form.get("instrument") or "")
    result = forms.attempt(web.session, lambda: service.start(web.session, web.actor, pid,
                                                              ResponseStart(instrument=key or "-")))
    if result.value is None:
        patient = service.patient_to_assess(web.session, web.actor, pid)
        return web.page("assessments/choose.html", {
            "title": f"New assessment: {patient.display_name}", "patient": patient, "error": "Choose an instrument.",
            "instruments": list(instruments().values())}, section="patients", status_code=result.status_code)
    return redirect(f"/assessments/{result.value.public_id}")


@router.get("/assessments/{response_id}")
def response_page(response_id: str, web: WebDep, saved: str = "") -> HTMLResponse:
    view = service.get_response(web.session, web.actor, public_id(response_id))
    if view.response.status is ResponseStatus.in_progress:
        return _form_page(web, view, view.response.answers, notice=SAVED.get(saved))
    return _result_page(web, view, notice=SAVED.get(saved))


@router.post("/assessments/{response_id}", response_model=None)
def fill(response_id: str, web: WebDep, form: FormDep) -> Response:
    """One form, two buttons: save progress (partial answers) or complete (every required question)."""
    rid = public_id(response_id)
    version, completing = _version(form), form.get("action") == "complete"
    answers = _answers(get_instrument(_instrument_of(web, rid)), form)

    def run() -> Any:
        if completing:
            return service.complete(web.session, web.actor, rid, ResponseComplete(version=version, answers=answers))
        return service.save_progress(web.session, web.actor, rid, ResponseSave(version=version, answers=answers))

    refusal = _attempt(web, run)
    if refusal is not None:
        view = service.get_response(web.session, web.actor, rid)
        return _form_page(web, view, answers, refusal=refusal)
    return redirect(f"/assessments/{rid}?saved={'completed' if completing else 'saved'}")


@router.get("/assessments/{response_id}/amend")
def amend_page(response_id: str, web: WebDep) -> HTMLResponse:
    view = service.get_response(web.session, web.actor, public_id(response_id))
    return _form_page(web, view, view.response.answers, amending=True)


@router.post("/assessments/{response_id}/amend", response_model=None)
def amend(response_id: str, web: WebDep, form: FormDep) -> Response:
    rid = public_id(response_id)
    answers = _answers(get_instrument(_instrument_of(web, rid)), form)
    reason = str(form.get("reason") or "").strip()[:500] or None
    made: list[UUID] = []

    def run() -> None:
        new = service.amend(web.session, web.actor, rid, ResponseAmend(version=_version(form), answers=answers,
                                                                        reason=reason))
        made.append(new.public_id)

    refusal = _attempt(web, run)
    if refusal is not None:
        view = service.get_response(web.session, web.actor, rid)
        return _form_page(web, view, answers, refusal=refusal, amending=True)
    return redirect(f"/assessments/{made[0]}?saved=amended")


@router.post("/assessments/{response_id}/findings/{finding_id}/accept", response_model=None)
def accept(response_id: str, finding_id: str, web: WebDep, form: FormDep) -> Response:
    rid, fid = public_id(response_id), public_id(finding_id)
    note = str(form.get("note") or "").strip()[:500] or None
    return _decided(web, rid, "accepted",
                    lambda: service.accept_finding(web.session, web.actor, rid, fid, FindingAccept(note=note)))


@router.post("/assessments/{response_id}/findings/{finding_id}/dismiss", response_model=None)
def dismiss(response_id: str, finding_id: str, web: WebDep, form: FormDep) -> Response:
    rid, fid = public_id(response_id), public_id(finding_id)
    reason = str(form.get("reason") or "").strip()[:500]
    if not reason:
        view = service.get_response(web.session, web.actor, rid)
        return _result_page(web, view, error="Say why the finding does not apply before dismissing it.",
                            status_code=422)
    return _decided(web, rid, "dismissed",
                    lambda: service.dismiss_finding(web.session, web.actor, rid, fid, FindingDismiss(reason=reason)))


@router.post("/assessments/{response_id}/entered-in-error", response_model=None)
def entered_in_error(response_id: str, web: WebDep, form: FormDep) -> Response:
    rid = public_id(response_id)
    reason = str(form.get("reason") or "").strip()
    if not reason or len(reason) > 500:
        view = service.get_response(web.session, web.actor, rid)  # the access check before any message
        return _result_page(web, view, error="Say why the response is in error (at most 500 characters).",
                            status_code=422, void_reason=reason)
    body = EnteredInError(version=_version(form), reason=reason)
    return _decided(web, rid, "voided", lambda: service.mark_entered_in_error(web.session, web.actor, rid, body))


# ---- helpers ---------------------------------------------------------------------------------------------

def _decided(web: Web, rid: UUID, saved: str, run: Callable[[], Any]) -> Response:
    result = forms.attempt(web.session, run)
    if result.error:
        view = service.get_response(web.session, web.actor, rid)
        return _result_page(web, view, error=result.error, status_code=result.status_code)
    return redirect(f"/assessments/{rid}?saved={saved}")


class _Refusal:
    def __init__(self, exc: CareloopError) -> None:
        problems = exc.details.get("problems", []) if isinstance(exc, InvalidInput) else []
        self.errors = {p["link_id"]: p["message"][:1].upper() + p["message"][1:] for p in problems}
        self.message = forms.sentence(exc)
        self.status_code = exc.status_code


def _attempt(web: Web, run: Callable[[], Any]) -> _Refusal | None:
    """Run the use case in a savepoint: a refusal rolls back only its own changes and is shown on the form,
    each question's problem next to the question (forms.attempt keeps only the message)."""
    try:
        with web.session.begin_nested():
            run()
    except (Conflict, InvalidInput, NotFound) as exc:
        return _Refusal(exc)
    return None


def _instrument_of(web: Web, rid: UUID) -> str:
    return service.get_response(web.session, web.actor, rid).instrument.key


def _version(form: FormData) -> int:
    text = str(form.get("version") or "")
    return int(text) if text.isdigit() and int(text) > 0 else 1


def _answers(instrument: Instrument, form: FormData) -> dict[str, list[str]]:
    """The chosen options per question, as posted (the service checks them)."""
    posted = {item.link_id: [str(v) for v in form.getlist(views.FIELD_PREFIX + item.link_id) if str(v)]
              for item in instrument.items}
    return {link_id: codes for link_id, codes in posted.items() if codes}


def _form_page(web: Web, view: service.ResponseView, answers: dict[str, list[str]], *,
               refusal: _Refusal | None = None, notice: str | None = None, amending: bool = False) -> HTMLResponse:
    response = view.response
    context: dict[str, Any] = {
        "title": f"{view.instrument.title}: {response.patient.display_name}", "patient": response.patient,
        "instrument": view.instrument, "response": response, "amending": amending, "notice": notice,
        "questions": views.questions(view.instrument, answers, refusal.errors if refusal else {}),
        "error": refusal.message if refusal else None,
        "action": f"/assessments/{response.public_id}" + ("/amend" if amending else ""),
    }
    return web.page("assessments/form.html", context, section="patients",
                    status_code=refusal.status_code if refusal else 200)


def _result_page(web: Web, view: service.ResponseView, *, notice: str | None = None, error: str | None = None,
                 status_code: int = 200, void_reason: str = "") -> HTMLResponse:
    response = view.response
    context: dict[str, Any] = {
        "title": f"{view.instrument.title}: {response.patient.display_name}", "patient": response.patient,
        "view": view, "response": response, "instrument": view.instrument, "notice": notice, "error": error,
        "scores": views.score_lines(view), "findings": views.finding_lines(view),
        "answers": views.questions(view.instrument, response.answers, {}),
        "can_amend": response.status is ResponseStatus.completed,
        # A current completed response may be voided (the service also takes a draft, which has its own page).
        "can_void": response.status is ResponseStatus.completed, "void_reason": void_reason,
    }
    return web.page("assessments/result.html", context, section="patients", status_code=status_code)
