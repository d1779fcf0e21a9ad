"""The definitions: one SQL file per score, measure, cohort or intermediate table, with a header naming its
source, version and measurement period. They are data: adding a measure is adding a file.

Header lines are `-- key: value` at the top of the file (name, title, kind, source, version, period,
depends); the body is one SELECT (WITH allowed) that the engine materialises as a table of the same name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

Kind = Literal["intermediate", "score", "measure", "cohort", "summary"]
KINDS: tuple[Kind, ...] = ("intermediate", "score", "measure", "cohort", "summary")
REQUIRED_KEYS = ("name", "title", "kind", "source", "version", "period", "depends")

# Tables the engine assembles itself from every definition of a kind, so measures and cohorts stay one file each.
GAPS_TABLE = "gaps"
COHORT_TABLE = "cohort_members"


class DefinitionError(ValueError):
    """A definition file that cannot be used (missing header, unknown kind, cycle, unknown dependency)."""


@dataclass(frozen=True)
class Definition:
    name: str
    title: str
    kind: Kind
    source: str
    version: str
    period: str
    depends: tuple[str, ...]
    sql: str


def parse_definition(text: str, *, filename: str) -> Definition:
    header: dict[str, str] = {}
    body: list[str] = []
    in_header = True
    for line in text.splitlines():
        key, sep, value = line.removeprefix("-- ").partition(":")
        if in_header and line.startswith("-- ") and sep and key.strip() in REQUIRED_KEYS:
            header[key.strip()] = value.strip()
            continue
        in_header = False
        body.append(line)
    missing = [k for k in REQUIRED_KEYS if k not in header]
    if missing:
        raise DefinitionError(f"{filename}: header lacks {', '.join(missing)}")
    if header["kind"] not in KINDS:
        raise DefinitionError(f"{filename}: kind {header['kind']!r} is not one of {', '.join(KINDS)}")
    if f"{header['name']}.sql" != filename:
        raise DefinitionError(f"{filename}: name {header['name']!r} differs from the file name")
    sql = "\n".join(body).strip().rstrip(";")
    if not sql:
        raise DefinitionError(f"{filename}: no SQL after the header")
    depends = tuple(d.strip() for d in header["depends"].split(",") if d.strip())
    return Definition(header["name"], header["title"], header["kind"], header["source"],
                      header["version"], header["period"], depends, sql)


@cache
def load_definitions() -> tuple[Definition, ...]:
    """Every definition shipped in careloop/population/definitions, in an order that runs dependencies first."""
    folder = resources.files("careloop.population") / "definitions"
    found = [parse_definition(f.read_text(encoding="utf-8"), filename=f.name)
             for f in folder.iterdir() if f.name.endswith(".sql")]
    return tuple(in_dependency_order(found))


def in_dependency_order(definitions: list[Definition]) -> list[Definition]:
    by_name = {d.name: d for d in definitions}
    assembled = {GAPS_TABLE: [d.name for d in definitions if d.kind == "measure"],
                 COHORT_TABLE: [d.name for d in definitions if d.kind == "cohort"]}
    ordered: list[Definition] = []
    state: dict[str, str] = {}

    def visit(name: str, wanted_by: str) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise DefinitionError(f"definitions form a cycle through {name}")
        if name not in by_name and name not in assembled:
            raise DefinitionError(f"{wanted_by} depends on {name}, which no definition produces")
        state[name] = "visiting"
        for dep in by_name[name].depends if name in by_name else assembled[name]:
            visit(dep, name)
        state[name] = "done"
        if name in by_name:
            ordered.append(by_name[name])

    for definition in sorted(definitions, key=lambda d: d.name):
        visit(definition.name, definition.name)
    return ordered


def versions(definitions: tuple[Definition, ...]) -> dict[str, str]:
    return {d.name: d.version for d in definitions}
