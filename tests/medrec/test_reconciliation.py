"""A reconciliation on a transition episode: the chart's list before, the discharge list entered, each
discrepancy resolved with a reason, and the reconciled list made the active one, with history."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from careloop import db
from careloop.errors import Conflict, Forbidden, InvalidInput
from careloop.medrec import service
from careloop.medrec.schemas import EntryIn, ResolveIn
from careloop.models import (
    ChecklistItem,
    MedicationRequest,
    MedicationRequestStatus,
    Task,
    TaskStatus,
    TransitionEpisode,
)
from tests.factories import Personas
from tests.transitions.helpers import at, discharge_home

CHART = [("314076", "lisinopril 10 MG Oral Tablet", "1 tablet by mouth once daily"),
         ("313988", "furosemide 40 MG Oral Tablet", "1 tablet by mouth every morning"),
         ("1364445", "apixaban 5 MG Oral Tablet", "1 tablet by mouth twice daily"),
         ("861007", "metformin hydrochloride 500 MG Oral Tablet", "1 tablet by mouth twice daily with meals")]


def with_chart_and_episode(personas: Personas) -> UUID:
    with db.unit_of_work() as s:
        for rxnorm, display, dosage in CHART:
            s.add(MedicationRequest(patient_id=personas.patient_id, rxnorm=rxnorm, display=display, dosage_text=dosage,
                                    status=MedicationRequestStatus.active, authored_on=at("2026-06-01T10:00:00Z")))
    discharge_home(personas.patient_id)
    with db.unit_of_work() as s:
        return s.scalars(select(TransitionEpisode.public_id)).one()


def act(personas: Personas, user_id: int, use_case: Any, *args: Any) -> Any:
    with db.unit_of_work() as s:
        return use_case(s, personas.actor(s, user_id), *args)


def test_a_discharge_reconciled_becomes_the_active_list(personas: Personas) -> None:
    episode_id = with_chart_and_episode(personas)
    cora = personas.coordinator_id
    rec_id = act(personas, cora, service.start_for_episode, episode_id).public_id
    for entry in (EntryIn(rxnorm="314077", frequency="once daily"),  # lisinopril 20 mg: dose changed
                  EntryIn(rxnorm="313988", stop=True),  # furosemide: stopped
                  EntryIn(rxnorm="1364445", frequency="twice daily"),  # apixaban: the same
                  EntryIn(rxnorm="855332", frequency="once daily")):  # warfarin: new, and a second anticoagulant
        act(personas, cora, service.add_discharge_entry, rec_id, entry)
    view = act(personas, cora, service.view, rec_id)
    found = {(d.kind, d.ingredient): d for d in view.discrepancies}
    assert sorted(found) == [("dose-changed", "lisinopril"), ("duplicate", "warfarin"), ("new", "warfarin"),
                             ("omitted", "metformin"), ("stopped", "furosemide")]
    with pytest.raises(Conflict, match="not resolved"):
        act(personas, cora, service.complete, rec_id)
    decisions = {("dose-changed", "lisinopril"): ResolveIn(resolution="continue", reason="raised for BP in hospital"),
                 ("stopped", "furosemide"): ResolveIn(resolution="stop", reason="euvolaemic; cardiology agrees"),
                 ("new", "warfarin"): ResolveIn(resolution="stop", reason="already anticoagulated with apixaban"),
                 ("duplicate", "warfarin"): ResolveIn(resolution="stop", reason="duplicate anticoagulant"),
                 ("omitted", "metformin"): ResolveIn(resolution="ask-prescriber", reason="held for contrast?")}
    for key, decision in decisions.items():
        act(personas, cora, service.resolve, rec_id, found[key].public_id, decision)
    act(personas, cora, service.complete, rec_id)

    with db.unit_of_work() as s:
        orders = s.scalars(select(MedicationRequest).order_by(MedicationRequest.id)).all()
        active = sorted((o.display, o.dosage_text) for o in orders if o.status is MedicationRequestStatus.active)
        assert active == [("apixaban 5 MG Oral Tablet", "1 tablet by mouth twice daily"),  # kept as it was
                          ("lisinopril 20 MG Oral Tablet", "20 MG, oral, once daily"),  # the new dose
                          ("metformin hydrochloride 500 MG Oral Tablet",  # kept until the prescriber answers
                           "1 tablet by mouth twice daily with meals")]
        stopped = sorted(o.display for o in orders if o.status is MedicationRequestStatus.stopped)
        assert stopped == ["furosemide 40 MG Oral Tablet", "lisinopril 10 MG Oral Tablet"]  # kept, stopped
        [item] = s.scalars(select(ChecklistItem).where(ChecklistItem.code == "medications-reconciled")).all()
        assert item.done_at is not None and item.done_by_id == cora
        assert s.scalars(select(TransitionEpisode.medrec_completed_at)).one() is not None
        tasks = {t.title: t.status for t in s.scalars(select(Task).where(Task.type == "med-review"))}
        assert tasks == {"TCM: reconcile medications for Ana Rivera": TaskStatus.completed,
                         "Ask the prescriber about metformin (omitted)": TaskStatus.requested}


def test_a_change_takes_the_resolvers_regimen(personas: Personas) -> None:
    episode_id = with_chart_and_episode(personas)
    cora = personas.coordinator_id
    rec_id = act(personas, cora, service.start_for_episode, episode_id).public_id
    for rxnorm, frequency in (("314076", "once daily"), ("313988", "every morning"), ("1364445", "twice daily"),
                              ("861007", "once daily")):
        act(personas, cora, service.add_discharge_entry, rec_id, EntryIn(rxnorm=rxnorm, frequency=frequency))
    [d] = act(personas, cora, service.view, rec_id).discrepancies
    assert (d.kind, d.ingredient) == ("frequency-changed", "metformin")
    act(personas, cora, service.resolve, rec_id, d.public_id,
        ResolveIn(resolution="change", reason="back to twice daily with meals", new_frequency="twice daily"))
    act(personas, cora, service.complete, rec_id)
    with db.unit_of_work() as s:
        active = s.scalars(select(MedicationRequest.dosage_text).where(
            MedicationRequest.status == MedicationRequestStatus.active, MedicationRequest.rxnorm == "861007")).all()
        assert active == ["500 MG, oral, twice daily"]


def test_bad_entries_and_resolutions_are_refused_clearly(personas: Personas) -> None:
    episode_id = with_chart_and_episode(personas)
    rec_id = act(personas, personas.coordinator_id, service.start_for_episode, episode_id).public_id
    with pytest.raises(InvalidInput, match="not in careloop's ingredient table"):
        act(personas, personas.coordinator_id, service.add_discharge_entry, rec_id,
            EntryIn(rxnorm="999999999", frequency="daily"))
    with pytest.raises(ValueError, match="frequency"):
        EntryIn(rxnorm="314076")
    with pytest.raises(ValueError, match="needs the new dose"):
        ResolveIn(resolution="change", reason="x")


def test_an_outsider_cannot_open_or_change_the_reconciliation(personas: Personas) -> None:
    episode_id = with_chart_and_episode(personas)
    rec_id = act(personas, personas.coordinator_id, service.start_for_episode, episode_id).public_id
    with pytest.raises(Forbidden):
        act(personas, personas.outsider_id, service.view, rec_id)
    with pytest.raises(Forbidden):
        act(personas, personas.outsider_id, service.add_discharge_entry, rec_id,
            EntryIn(rxnorm="314076", frequency="daily"))
