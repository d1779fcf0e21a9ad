"""A small, tolerant HL7 v2 parser: segments, fields, repetitions, components, subcomponents, escapes.

Why our own rather than a library: the listener parses every message in the ACK path at thousands a second,
and only needs MSH, EVN, PID and PV1. This splits segments once and splits a field only when it is read.
It takes the separators from MSH-1 and MSH-2 (HL7 v2.5 chapter 2, 2.5.4 "Message delimiters"), accepts
segments ended by CR (the standard), LF or CR LF (files edited on other systems), and ignores segments it
does not know, so non-standard structures and Z-segments pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class ParseError(ValueError):
    """The text is not an HL7 v2 message (no MSH header, or unusable separators)."""


@dataclass(frozen=True)
class Separators:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"

    @property
    def encoding_characters(self) -> str:
        """MSH-2 as the sender wrote it (an ACK must use the same characters)."""
        return self.component + self.repetition + self.escape + self.subcomponent


_SEGMENT_END = re.compile(r"\r\n|\r|\n")
_SEGMENT_NAME = re.compile(r"[A-Z][A-Z0-9]{2}")


def _separators(header: str) -> Separators:
    if len(header) < 8 or not header.startswith("MSH"):
        raise ParseError("the message does not start with an MSH segment")
    field = header[3]
    encoding = header[4:].split(field, 1)[0]
    if len(encoding) < 4 or field in encoding or len(set(encoding[:4])) < 4:
        raise ParseError(f"MSH-2 encoding characters {encoding!r} are not four distinct characters")
    return Separators(field, encoding[0], encoding[1], encoding[2], encoding[3])


class Message:
    """Fields by the standard's 1-based numbers: `field("PID", 3)`, `component("PV1", 3, 1)`."""

    def __init__(self, text: str) -> None:
        start = text.find("MSH")
        if start < 0:
            raise ParseError("the message has no MSH segment")
        lines = [line for line in _SEGMENT_END.split(text[start:]) if line.strip()]
        self.separators = separators = _separators(lines[0])
        self.text = text
        self._segments: dict[str, list[list[str]]] = {}
        # Reading a message asks for the same fields and components several times (PID-3's components, PV1-3's);
        # each split is done once and kept for the life of the message (a few dozen short strings).
        self._repetitions: dict[tuple[str, int], list[str]] = {}
        self._components: dict[str, list[str]] = {}
        self._component_separator = separators.component
        for line in lines:
            name = line[:3]
            if not _SEGMENT_NAME.fullmatch(name):
                raise ParseError(f"{line[:20]!r} does not begin with a segment name")
            self._segments.setdefault(name, []).append(line.split(self.separators.field))

    def has(self, segment: str) -> bool:
        return segment in self._segments

    def segment_count(self, segment: str) -> int:
        return len(self._segments.get(segment, ()))

    def raw_field(self, segment: str, number: int, occurrence: int = 0) -> str:
        """The field as sent, escapes and all; '' when absent. MSH-1 is the field separator itself."""
        found = self._segments.get(segment)
        if not found or occurrence >= len(found):
            return ""
        fields = found[occurrence]
        if segment == "MSH":
            if number == 1:
                return self.separators.field
            number -= 1  # in MSH the separator is field 1, so the split is one behind
        return fields[number] if number < len(fields) else ""

    def repetitions(self, segment: str, number: int) -> list[str]:
        """The field's repetitions as sent (a new list each call: the caller may change it)."""
        key = (segment, number)
        found = self._repetitions.get(key)
        if found is None:
            found = self._repetitions[key] = self._split_repetitions(segment, number)
        return list(found)

    def _split_repetitions(self, segment: str, number: int) -> list[str]:
        raw = self.raw_field(segment, number)
        if segment == "MSH" and number == 2:
            return [raw]  # the encoding characters hold the repetition separator itself
        return raw.split(self.separators.repetition) if raw else []

    def field(self, segment: str, number: int) -> str:
        """The first repetition's first component, unescaped: the usual 'value' of a field."""
        return self.component(segment, number, 1)

    def component(self, segment: str, number: int, component: int, repetition: int = 0) -> str:
        reps = self._repetitions.get((segment, number))
        if reps is None:
            reps = self.repetitions(segment, number)
        if repetition >= len(reps):
            return ""
        return self.component_of(reps[repetition], component)

    def component_of(self, value: str, component: int, subcomponent: int | None = None) -> str:
        parts = self._components.get(value)
        if parts is None:
            parts = self._components[value] = value.split(self._component_separator)
        part = parts[component - 1] if component <= len(parts) else ""
        if subcomponent is not None:
            subs = part.split(self.separators.subcomponent)
            part = subs[subcomponent - 1] if subcomponent <= len(subs) else ""
        return self.unescape(part).strip()

    def unescape(self, value: str) -> str:
        """Undo HL7 escapes (v2.5 chapter 2, 2.7): \\F\\ \\S\\ \\T\\ \\R\\ \\E\\ and \\Xhh..\\; formatting
        escapes (\\H\\, \\N\\, \\.br\\...) are dropped, as they only style display text."""
        esc = self.separators.escape
        if esc not in value:
            return value
        s = self.separators
        names = {"F": s.field, "S": s.component, "T": s.subcomponent, "R": s.repetition, "E": s.escape}
        out: list[str] = []
        pieces = value.split(esc)
        out.append(pieces[0])
        for index in range(1, len(pieces), 2):
            code = pieces[index]
            if index + 1 >= len(pieces):  # an unpaired escape character: keep it literally
                out.append(esc + code)
                break
            out.append(_escape_value(code, names))
            out.append(pieces[index + 1])
        return "".join(out)


def _escape_value(code: str, names: dict[str, str]) -> str:
    if code in names:
        return names[code]
    if code.startswith("X") and len(code) > 1:
        try:
            return bytes.fromhex(code[1:]).decode("latin-1")
        except ValueError:
            return ""
    return ""
