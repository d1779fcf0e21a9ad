"""Readmissions: an inpatient admission within 30 days after an inpatient discharge is linked to that stay;
planned ones (PV1-4 elective, or an always-planned reason) are linked but marked planned (readmission.py)."""

from __future__ import annotations

from sqlalchemy import select

from careloop import db
from careloop.models import EpisodeEvent, Readmission, TransitionEpisode
from tests.factories import Personas
from tests.transitions.helpers import discharge_home, event, make_stay, send

INDEX_DISCHARGE = "2026-11-05T15:00:00Z"


def admit(personas: Personas, when: str, *, key: str = "adt:2001:A01", admission_type: str | None = "E",
          reason_code: str | None = None) -> int:
    stay = make_stay(personas.patient_id, when, reason_code=reason_code)
    send(event("admitted", key, personas.patient_id, stay, occurred=when, admitted=when,
               admission_type=admission_type))
    return stay


def links() -> list[Readmission]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(Readmission).order_by(Readmission.id)))


def test_an_emergency_admission_fifteen_days_after_discharge_is_a_readmission(personas: Personas) -> None:
    index = discharge_home(personas.patient_id, discharged=INDEX_DISCHARGE)
    again = admit(personas, "2026-11-20T08:00:00Z")
    [link] = links()
    assert (link.index_encounter_id, link.readmission_encounter_id) == (index, again)
    assert link.days_after_discharge == 15 and link.planned is False
    with db.unit_of_work() as s:
        episode = s.scalars(select(TransitionEpisode)).one()
        assert link.episode_id == episode.id
        assert "unplanned admission 15 days after discharge" in (s.scalars(select(EpisodeEvent.note).where(
            EpisodeEvent.action == "readmitted")).one() or "")


def test_an_elective_admission_is_linked_as_planned(personas: Personas) -> None:
    discharge_home(personas.patient_id, discharged=INDEX_DISCHARGE)
    admit(personas, "2026-11-20T08:00:00Z", admission_type="C")
    [link] = links()
    assert link.planned and link.planned_reason == "PV1-4 admission type C (elective)"


def test_maintenance_chemotherapy_is_always_planned(personas: Personas) -> None:
    discharge_home(personas.patient_id, discharged=INDEX_DISCHARGE)
    admit(personas, "2026-11-20T08:00:00Z", reason_code="Z5111")
    [link] = links()
    assert link.planned and "chemotherapy" in (link.planned_reason or "")


def test_day_thirty_counts_and_day_thirty_one_does_not(personas: Personas) -> None:
    discharge_home(personas.patient_id, discharged=INDEX_DISCHARGE)
    admit(personas, "2026-12-05T08:00:00Z", key="adt:30:A01")  # 30 days after 5 Nov
    assert [link.days_after_discharge for link in links()] == [30]


def test_an_admission_after_thirty_days_is_not_linked(personas: Personas) -> None:
    discharge_home(personas.patient_id, discharged=INDEX_DISCHARGE)
    admit(personas, "2026-12-06T16:00:00Z")  # 31 days, and more than 30 x 24 hours
    assert links() == []


def test_an_observation_stay_is_not_an_index_stay(personas: Personas) -> None:
    discharge_home(personas.patient_id, discharged=INDEX_DISCHARGE, klass="observation")
    admit(personas, "2026-11-20T08:00:00Z")
    assert links() == []


def test_a_cancelled_admission_unlinks_its_readmission(personas: Personas) -> None:
    discharge_home(personas.patient_id, discharged=INDEX_DISCHARGE)
    again = admit(personas, "2026-11-20T08:00:00Z")
    send(event("event_cancelled", "adt:2001:A11", personas.patient_id, again, cancels="adt:2001:A01"))
    [link] = links()
    assert link.status == "entered-in-error"  # kept, marked


def test_a_discharge_from_the_readmission_starts_a_high_complexity_episode(personas: Personas) -> None:
    discharge_home(personas.patient_id, discharged=INDEX_DISCHARGE)
    again = admit(personas, "2026-11-20T08:00:00Z")
    send(event("discharged", "adt:2001:A03", personas.patient_id, again, occurred="2026-11-23T12:00:00Z",
               admitted="2026-11-20T08:00:00Z", discharged="2026-11-23T12:00:00Z", disposition="home"))
    with db.unit_of_work() as s:
        second = s.scalars(select(TransitionEpisode).order_by(TransitionEpisode.id.desc())).first()
        assert second is not None and second.complexity == "high"
        assert second.complexity_reason == "readmitted within 30 days of an earlier discharge"
        assert str(second.visit_due) == "2026-11-30"  # Monday 23 + 7 days


def test_a_pathway_looking_back_its_longest_window_finds_the_stay(personas: Personas) -> None:
    """The engine reads a batch's inpatient stays once, as far back as the longest window its pathways give a
    readmission rule (here 365 days, the longest allowed): a stay that ended 364 days before the admission is its
    index, one that ended 366 days before is not."""
    from careloop.pathways import definitions, engine
    yearly = definitions.parse({"id": "yearly-readmissions", "version": 1, "title": "Readmissions in a year",
                                "rules": [{"id": "link", "on": ["encounter.admitted"],
                                           "actions": [{"do": "link_readmission", "within_days": 365}]}]},
                               origin="test")
    make_stay(personas.patient_id, "2025-11-15T09:00:00Z", "2025-11-19T10:00:00Z")  # 366 days before
    inside = make_stay(personas.patient_id, "2025-11-20T09:00:00Z", "2025-11-21T10:00:00Z")  # 364 days before
    again = make_stay(personas.patient_id, "2026-11-20T10:00:00Z")
    admitted = event("admitted", "adt:3001:A01", personas.patient_id, again, occurred="2026-11-20T10:00:00Z",
                     admitted="2026-11-20T10:00:00Z", admission_type="E")
    with db.unit_of_work() as s:
        [outcome] = engine.process_all(s, [{**admitted["payload"], "event_type": admitted["type"]}], [yearly])
    assert outcome.created == 1
    [link] = links()
    assert (link.index_encounter_id, link.readmission_encounter_id, link.days_after_discharge) == (inside, again, 364)


def test_what_a_run_reads_at_once_agrees_with_asking_one_by_one(personas: Personas) -> None:
    """The pathway engine's run reads its events' episodes, the active episodes and links of the stays that can be
    an index (its patients' stays in its look-back), and its encounters' reason codes once for the run
    (`StoredForRun`); each answer is what the one-by-one read gives, and a question about something outside the run
    is still answered."""
    from careloop.pathways import engine
    from careloop.transitions.service import EpisodeClock, StoredForRun
    index = discharge_home(personas.patient_id, discharged=INDEX_DISCHARGE)
    again = admit(personas, "2026-11-20T08:00:00Z", reason_code="Z5111")
    key = "adt:stmarys:1001:A03"
    [link] = links()
    run = [engine.parse({**made["payload"], "event_type": made["type"]}) for made in (
        event("discharged", key, personas.patient_id, index, occurred=INDEX_DISCHARGE, discharged=INDEX_DISCHARGE),
        event("admitted", "adt:2001:A01", personas.patient_id, again, occurred="2026-11-20T08:00:00Z"))]
    with db.unit_of_work() as s:
        episode = s.scalars(select(TransitionEpisode).where(TransitionEpisode.event_key == key)).one()
        # The run's reads, then one by one.
        for stored in (StoredForRun(s, run, index_candidates=lambda: [index, again]), StoredForRun(s, [])):
            assert stored.clock_for_event(key) == EpisodeClock(episode.id, episode.contact_due, episode.visit_due)
            assert stored.clock_for_event("adt:none:A03") is None
            assert stored.active_episode(index) == episode.id
            assert stored.active_episode(again) is None
            assert stored.link(index, again) == link.id
            assert stored.link(again, index) is None
            assert stored.reason_code(again) == "Z5111"


def test_a_run_reads_stays_as_far_back_as_its_rules_look() -> None:
    """The installed pathways look back 30 days (the readmission rule, and the TCM complexity rule a discharge's
    episode applies); a pathway with a longer readmission window makes the run read that far back."""
    from datetime import timedelta

    from careloop.pathways import definitions, engine
    assert engine.stays_look_back(definitions.installed()) == timedelta(days=30)
    longer = definitions.parse({"id": "ninety", "version": 1, "title": "Readmissions in 90 days",
                                "rules": [{"id": "link", "on": ["encounter.admitted"],
                                           "actions": [{"do": "link_readmission", "within_days": 90}]}]},
                               origin="test")
    assert engine.stays_look_back([*definitions.installed(), longer]) == timedelta(days=90)
    shorter = definitions.parse({"id": "week", "version": 1, "title": "Readmissions in a week",
                                 "rules": [{"id": "link", "on": ["encounter.admitted"],
                                            "actions": [{"do": "link_readmission", "within_days": 7}]}]},
                                origin="test")
    assert engine.stays_look_back([shorter]) == timedelta(days=30)  # never less than TCM complexity's window
