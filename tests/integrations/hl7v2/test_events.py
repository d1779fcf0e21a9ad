from datetime import datetime, timedelta, timezone

import pytest

from careloop.integrations.hl7v2.events import ENCOUNTER_EVENT_TYPES, encounter_event, event_key


def test_event_key_names_the_sender_and_control_id() -> None:
    assert event_key("GHHSFacility", "MSG00001") == "hl7:GHHSFacility:MSG00001"


def test_payload_times_are_utc_iso_strings() -> None:
    admitted = datetime(2026, 3, 6, 8, 30, tzinfo=timezone(timedelta(hours=2)))
    payload = encounter_event(event_key="hl7:F:1", patient_id=1, encounter_id=2, encounter_class="inpatient",
                              occurred_at=admitted, admitted_at=admitted, facility="GHH", location="4E^136^B")
    assert payload["occurred_at"] == "2026-03-06T06:30:00+00:00"
    assert payload["admitted_at"] == payload["occurred_at"]
    assert payload["discharged_at"] is None
    assert payload["cancelled_event_key"] is None


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        encounter_event(event_key="k", patient_id=1, encounter_id=1, encounter_class="emergency",
                        occurred_at=datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test


def test_the_six_event_types_of_the_contract() -> None:
    assert set(ENCOUNTER_EVENT_TYPES) == {"encounter.admitted", "encounter.ed_visit", "encounter.transferred",
                                          "encounter.discharged", "encounter.updated",
                                          "encounter.event_cancelled"}
