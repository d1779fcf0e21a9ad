"""Reading the general-purpose types people and places share: HumanName, ContactPoint, Address."""

from __future__ import annotations

from typing import Any

from careloop.integrations.fhir.values import clip


def human_name(names: Any) -> dict[str, Any]:
    """The official name, else the usual one, else the first (FHIR R4 datatypes.html#HumanName)."""
    if type(names) is not list or not names:
        return {}
    usable = [n for n in names if type(n) is dict]
    for use in ("official", "usual"):
        chosen = next((n for n in usable if n.get("use") == use), None)
        if chosen:
            return chosen
    return usable[0] if usable else {}


def given_names(name: dict[str, Any]) -> str:
    given = name.get("given")
    return " ".join(g for g in given if type(g) is str) if type(given) is list else ""


def display_name(name: dict[str, Any]) -> str:
    text = name.get("text")
    if type(text) is str and text:
        return text
    parts: list[str] = []
    for key in ("prefix", "given"):
        value = name.get(key)
        if type(value) is list:
            parts.extend(v for v in value if type(v) is str)
    family = name.get("family")
    if type(family) is str:
        parts.append(family)
    return " ".join(parts)


def telecom(points: Any, system: str) -> str | None:
    """The first phone (or email...) of a ContactPoint list, preferring rank 1 and leaving out old ones."""
    if type(points) is not list:
        return None
    found = [p for p in points if type(p) is dict and p.get("system") == system and type(p.get("value")) is str
             and p.get("use") != "old"]
    if not found:
        return None
    found.sort(key=lambda p: p.get("rank", 1_000_000) if type(p.get("rank")) is int else 1_000_000)
    return str(found[0]["value"])


def address(value: Any) -> dict[str, str | None]:
    """address_line, city, state, postal_code of the home (or first) Address."""
    if type(value) is list:
        usable = [a for a in value if type(a) is dict]
        value = next((a for a in usable if a.get("use") == "home"), usable[0] if usable else None)
    if type(value) is not dict:
        return {"address_line": None, "city": None, "state": None, "postal_code": None}
    lines = value.get("line")
    line = ", ".join(x for x in lines if type(x) is str) if type(lines) is list else None
    return {"address_line": clip(line or None, 200), "city": clip(value.get("city"), 100),
            "state": clip(value.get("state"), 40), "postal_code": clip(value.get("postalCode"), 20)}


def identifier_value(identifiers: Any, system: str) -> str | None:
    if type(identifiers) is not list:
        return None
    for identifier in identifiers:
        if type(identifier) is dict and identifier.get("system") == system and type(identifier.get("value")) is str:
            return str(identifier["value"])
    return None
