"""The parser and the ADT reading, with hand-worked cases from HL7 v2.5 chapter 2 and the real samples,
and python-hl7's parser as the peer on the same fields."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from careloop.integrations.hl7v2.adt import Refusal, parse_timestamp, read_adt
from careloop.integrations.hl7v2.parser import Message, ParseError
from tests.conftest import shared_data_dir
from tests.integrations.hl7v2.helpers import adt, discharge


def samples() -> list[Path]:
    data = shared_data_dir()
    if data is None:
        pytest.skip("../shared/data is absent: the HL7 v2 samples live there")
    return sorted(Path(data, "hl7v2").glob("*.hl7"))


@pytest.mark.parametrize(("text", "expected"), [
    ("20260306", datetime(2026, 3, 6, tzinfo=UTC)),  # date only: midnight, sender's zone (UTC here)
    ("202603060915", datetime(2026, 3, 6, 9, 15, tzinfo=UTC)),
    ("20150208113419+0110", datetime(2015, 2, 8, 10, 24, 19, tzinfo=UTC)),  # the samples' PV1-44: 11:34 at +01:10
    ("20210817151943.4+0200", datetime(2021, 8, 17, 13, 19, 43, tzinfo=UTC)),  # fractional seconds dropped
    ("198808181126-0500", datetime(1988, 8, 18, 16, 26, tzinfo=UTC)),
])
def test_hl7_timestamps_become_utc(text: str, expected: datetime) -> None:
    assert parse_timestamp(text, UTC) == expected


def test_a_timestamp_without_offset_is_the_senders_local_time() -> None:
    # 09:15 in New York on 6 March 2026 (EST, UTC-5) is 14:15 UTC.
    assert parse_timestamp("202603060915", ZoneInfo("America/New_York")) == datetime(2026, 3, 6, 14, 15, tzinfo=UTC)


def test_a_timestamp_read_again_keeps_its_zone_and_a_bad_one_is_refused_every_time() -> None:
    """parse_timestamp keeps what it read per text and zone: the same text in another zone is another instant."""
    assert parse_timestamp("202603060915", UTC) == datetime(2026, 3, 6, 9, 15, tzinfo=UTC)
    assert parse_timestamp("202603060915", ZoneInfo("America/New_York")) == datetime(2026, 3, 6, 14, 15, tzinfo=UTC)
    assert parse_timestamp("202603060915", UTC) == datetime(2026, 3, 6, 9, 15, tzinfo=UTC)
    for _ in range(2):
        with pytest.raises(ValueError, match="not an HL7 date/time"):
            parse_timestamp("2026-03-06", UTC)


def test_escapes_are_undone() -> None:
    message = Message("MSH|^~\\&|A|B|C|D|20260101||ADT^A08|1|P|2.5\rNTE|1||Ward A\\T\\E \\F\\ bay\\S\\2 \\X41\\\\E\\")
    assert message.field("NTE", 3) == "Ward A&E | bay^2 A\\"


def test_segments_may_end_with_lf_or_crlf() -> None:
    text = adt("A01", "C1")
    for ending in ("\n", "\r\n"):
        assert read_adt(text.replace("\r", ending)).control_id == "C1"


def test_text_without_msh_is_not_a_message() -> None:
    with pytest.raises(ParseError):
        Message("PID|1||123")


def test_the_samples_quirks_are_handled() -> None:
    for path in samples():
        message = read_adt(path.read_text())
        assert message.identifiers[0].value == "PATID1234"
        assert message.identifiers[0].system == "test1"  # PID-3.4 subcomponent 1 (HD namespace id)
        assert message.encounter_class == "inpatient"  # PV1-2 P (preadmit) on an admission
        assert message.visit_number == "40007716"
        assert message.discharge_disposition is None  # PV1-36 free text, kept as sent
        assert message.discharge_disposition_source == "Admitted as Inpatient^Sample^ACR"
        assert (message.family, message.given) == ("EVERYMAN", "ADAM")


@pytest.mark.parametrize(("code", "fhir"), [("01", "home"), ("1", "home"), ("03", "snf"), ("06", "home"),
                                            ("62", "rehab"), ("50", "hosp"), ("20", "exp"), ("07", "aadvice"),
                                            ("65", "psy"), ("63", "long")])
def test_pv1_36_table_0112_maps_to_fhir_discharge_disposition(code: str, fhir: str) -> None:
    message = read_adt(discharge("C1", disposition=code))
    assert message.discharge_disposition == fhir
    assert message.discharge_disposition_source == f"http://terminology.hl7.org/CodeSystem/v2-0112|{code}"


@pytest.mark.parametrize(("change", "ack", "error"), [
    (("ADT^A01^ADT_A01", "ORU^R01^ORU_R01"), "AR", "200"),
    (("ADT^A01^ADT_A01", "ADT^A05^ADT_A05"), "AR", "201"),
    (("|P|2.5", "|P|2.9"), "AR", "203"),
    (("|C1|P|", "||P|"), "AR", "101"),
    (("PV1|1|I|", "PV1|1|U|"), "AE", "103"),
])
def test_refusals_carry_the_ack_code_and_table_0357_error(change: tuple[str, str], ack: str, error: str) -> None:
    with pytest.raises(Refusal) as refused:
        read_adt(adt("A01", "C1").replace(*change))
    assert (refused.value.ack_code, refused.value.error_code) == (ack, error)


def test_an_update_may_carry_an_unknown_class_but_an_admission_may_not() -> None:
    assert read_adt(adt("A08", "C1").replace("PV1|1|I|", "PV1|1|U|")).encounter_class is None


def test_fields_agree_with_python_hl7() -> None:
    hl7 = pytest.importorskip("hl7")
    for path in samples():
        text = path.read_text().replace("\n", "\r")
        ours, peer = Message(text), hl7.parse(text)
        msh, pid, pv1 = peer.segment("MSH"), peer.segment("PID"), peer.segment("PV1")
        assert ours.raw_field("MSH", 9) == str(msh[9])
        assert ours.field("MSH", 10) == str(msh[10])
        assert ours.raw_field("PID", 3) == str(pid[3])
        assert ours.raw_field("PV1", 3) == str(pv1[3])
        assert ours.field("PV1", 19) == str(peer["PV1.F19.R1.C1"])
        assert ours.component("PID", 5, 2) == str(peer["PID.F5.R1.C2"])
        assert ours.raw_field("PV1", 44) == str(pv1[44])
