"""One received message, checked: what to store and what to answer. Pure, so the listener can run it in
its event loop and the tests without a socket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from careloop.integrations.hl7v2.ack import AckError, AckHeader, build_ack
from careloop.integrations.hl7v2.adt import AdtMessage, Refusal, read_parsed
from careloop.integrations.hl7v2.parser import Message, Separators


@dataclass(frozen=True)
class Received:
    raw: str
    header: AckHeader
    message: AdtMessage | None  # None when refused
    refusal: Refusal | None

    @property
    def ack_code(self) -> str:
        return self.refusal.ack_code if self.refusal else "AA"

    @property
    def dedupe_key(self) -> str | None:
        """Sending facility + control id, for accepted messages only (see models/hl7v2.py)."""
        if self.message is None:
            return None
        return f"{self.message.sending_facility}|{self.message.control_id}"


def receive(raw: str, local_zone: str = "UTC") -> Received:
    """Check a message once (it is split into segments once, for the ACK header and the ADT reading)."""
    try:
        parsed = Message(raw)
    except ValueError as exc:
        return Received(raw, AckHeader(Separators()), None, Refusal("AR", "100", f"not an HL7 v2 message: {exc}",
                                                                     "MSH"))
    header = _ack_header(parsed)
    try:
        return Received(raw, header, read_parsed(parsed, local_zone), None)
    except Refusal as refusal:
        return Received(raw, header, None, refusal)


def ack_for(received: Received, now: datetime) -> str:
    refusal = received.refusal
    error = AckError(refusal.error_code, refusal.text, refusal.segment, refusal.field_number) if refusal else None
    return build_ack(received.header, received.ack_code, now, error)


def _ack_header(message: Message) -> AckHeader:
    """Whatever of MSH can be read, so even a refusal answers in the sender's separators and version."""
    return AckHeader(
        separators=message.separators,
        sending_application=message.raw_field("MSH", 3),
        sending_facility=message.raw_field("MSH", 4),
        receiving_application=message.raw_field("MSH", 5),
        receiving_facility=message.raw_field("MSH", 6),
        control_id=message.raw_field("MSH", 10),
        trigger=message.component("MSH", 9, 2),
        version=message.field("MSH", 12) or "2.5",
        processing_id=message.field("MSH", 11) or "P",
    )
