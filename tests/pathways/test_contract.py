"""The pathway engine reads exactly what the HL7 v2 feed emits (integrations/hl7v2/events.py is the contract)."""

from __future__ import annotations

from datetime import UTC, datetime

from careloop.integrations.hl7v2 import events as feed
from careloop.pathways import engine
from careloop.pathways.schemas import ENCOUNTER_EVENTS


def test_the_engine_knows_every_event_type_the_feed_emits() -> None:
    assert set(ENCOUNTER_EVENTS) == set(feed.ENCOUNTER_EVENT_TYPES)


def test_a_feed_payload_parses() -> None:
    payload = feed.encounter_event(
        event_key=feed.event_key("STMARYS", "1001"), patient_id=7, encounter_id=9, encounter_class="inpatient",
        occurred_at=datetime(2026, 11, 20, 15, tzinfo=UTC), facility="St Mary's", discharge_disposition="home",
        discharged_at=datetime(2026, 11, 20, 15, tzinfo=UTC), admission_type="E")
    event = engine.parse({**payload, "event_type": feed.ENCOUNTER_DISCHARGED, "event_id": 1})
    assert (event.event_key, event.discharge_disposition, event.encounter_class) == (
        "hl7:STMARYS:1001", "home", "inpatient")
    cancel = feed.encounter_event(event_key="hl7:STMARYS:1002", patient_id=7, encounter_id=9,
                                  encounter_class="inpatient", occurred_at=datetime(2026, 11, 21, tzinfo=UTC),
                                  cancelled_event_key="hl7:STMARYS:1001")
    assert engine.parse({**cancel, "event_type": feed.ENCOUNTER_EVENT_CANCELLED}).cancelled_event_key == (
        "hl7:STMARYS:1001")
