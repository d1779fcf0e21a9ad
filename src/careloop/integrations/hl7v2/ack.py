"""Build the acknowledgment (ACK) for a message: MSH + MSA, and ERR when refusing.

HL7 v2.5 chapter 2 (2.9.2 original acknowledgment mode; ACK = MSH MSA [ERR]; table 0008 AA/AE/AR; table 0357
error codes). The ACK uses the message's own separators and version, swaps sender and receiver, and echoes
MSH-10 in MSA-2. Before v2.5 the error went in ERR-1 (ELD: segment^sequence^field^code&text); from v2.5 in
ERR-2 location, ERR-3 code, ERR-4 severity and ERR-8 user message.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from datetime import datetime

from careloop.integrations.hl7v2.parser import Separators

ERROR_TEXT = {
    "0": "Message accepted", "100": "Segment sequence error", "101": "Required field missing",
    "102": "Data type error", "103": "Table value not found", "200": "Unsupported message type",
    "201": "Unsupported event code", "202": "Unsupported processing id", "203": "Unsupported version id",
    "204": "Unknown key identifier", "205": "Duplicate key identifier", "206": "Application record locked",
    "207": "Application internal error",
}

# ACK control ids: unique per listener process (pid) and per ACK (counter), at most 20 characters (ST in v2.3).
_ack_numbers = itertools.count(1)


@dataclass(frozen=True)
class AckHeader:
    """What an ACK needs from the message it answers, as encoded fields taken from its MSH (all '' when the
    message was unreadable), so they go back byte for byte."""

    separators: Separators
    sending_application: str = ""
    sending_facility: str = ""
    receiving_application: str = ""
    receiving_facility: str = ""
    control_id: str = ""
    trigger: str = ""
    version: str = "2.5"
    processing_id: str = "P"


@dataclass(frozen=True)
class AckError:
    code: str  # table 0357
    text: str
    segment: str = ""
    field_number: int = 0


def build_ack(header: AckHeader, ack_code: str, now: datetime, error: AckError | None = None) -> str:
    s = header.separators
    f = s.field
    msh = f.join([
        "MSH", s.encoding_characters, header.receiving_application, header.receiving_facility,
        header.sending_application, header.sending_facility, now.strftime("%Y%m%d%H%M%S+0000"),
        "", f"ACK{s.component}{header.trigger}{s.component}ACK" if header.trigger else "ACK",
        f"{os.getpid() % 100000}.{next(_ack_numbers)}"[:20], header.processing_id or "P", header.version or "2.5",
    ])
    msa = f.join(["MSA", ack_code, header.control_id]
                 + ([_esc(error.text, s)[:80]] if error and _before_v27(header.version) else []))
    segments = [msh, msa]
    if error is not None:
        segments.append(_err(header, error))
    return "\r".join(segments) + "\r"


def _err(header: AckHeader, error: AckError) -> str:
    s = header.separators
    name = ERROR_TEXT.get(error.code, "")
    location = s.component.join([error.segment, "1" if error.segment else "", str(error.field_number or "")])
    location = location if error.segment else ""
    if _before_v25(header.version):
        code = s.subcomponent.join([error.code, _esc(name, s), "HL70357"])
        return s.field.join(["ERR", s.component.join([location, code]) if location else
                             s.component * 3 + code])
    code = s.component.join([error.code, _esc(name, s), "HL70357"])
    return s.field.join(["ERR", "", location, code, "E", "", "", "", _esc(error.text, s)])


def _version_tuple(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in version.split(".")[:2])
    except ValueError:
        return (2, 5)


def _before_v25(version: str) -> bool:
    return _version_tuple(version) < (2, 5)


def _before_v27(version: str) -> bool:
    return _version_tuple(version) < (2, 7)


def _esc(text: str, s: Separators) -> str:
    """Escape the separators in text we put into the ACK (the escape character first)."""
    out = text.replace(s.escape, f"{s.escape}E{s.escape}")
    for char, code in ((s.field, "F"), (s.component, "S"), (s.subcomponent, "T"), (s.repetition, "R")):
        out = out.replace(char, f"{s.escape}{code}{s.escape}")
    return out.replace("\r", " ").replace("\n", " ")
