"""CMS-HCC tables for V28 and V24, read from the CMS files that the hccpy package ships (hccpy/data), never
retyped: the ICD-10-CM to HCC mappings, the age/sex edits (the CMS SAS macros I0ED), the hierarchies (the
CMS SAS macros H1), the labels and the relative factors (coefficients), loaded into DuckDB as ref_hcc_* tables.

The edit and hierarchy files are SAS source; each statement is parsed with a pattern that accepts only the
forms these files use, and anything else is refused rather than guessed.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import duckdb
import pyarrow as pa


@dataclass(frozen=True)
class ModelFiles:
    dx2cc: str
    edits: str
    hierarchy: str
    labels: str
    coefficients: str


# The files hccpy's HCCEngine reads for each version (its default "Combined" mapping year), plus the CMS edit
# macro that belongs to the version (hccpy applies the same edits in Python).
MODELS: dict[str, ModelFiles] = {
    "V28": ModelFiles("F2823T2N_FY22FY23.TXT", "V28I0ED1.TXT", "V28115H1.TXT", "V28115L3.TXT", "V28hcccoefn.csv"),
    "V24": ModelFiles("F24_AllYearsCombined.TXT", "V24I0ED1.TXT", "V24H86H1.TXT", "V24H86L1.TXT", "V24hcccoefn.csv"),
}

_EDIT = re.compile(r'IF\s+(?P<cond>.+?)\s+AND\s+&ICD10\s*(?:IN\s*\((?P<codes>[^)]*)\)|=\s*"(?P<code>[^"]+)")'
                   r'\s*THEN\s+CC\s*=\s*"(?P<cc>[^"]+)"', re.DOTALL)
_SEX = re.compile(r'^&SEX\s*=\s*"(?P<sex>[12])"$')
_AGE = re.compile(r"^&AGE\s*(?P<op><|>=|>)\s*(?P<n>\d+)$")
_HIER = re.compile(r"%SET0\(CC=(\d+)\s*,\s*HIER=%STR\(([^)]*)\)\)")
_LABEL = re.compile(r'HCC(\d+)\s*="(.+?)\s*"')
_DEMOGRAPHIC = re.compile(r"^(?P<elig>[A-Z]{3})_(?P<sex>[FM])(?P<lo>\d+)(?:_(?P<hi>\d+|GT))?$")


def _read(filename: str) -> str:
    return (resources.files("hccpy") / "data" / filename).read_text(encoding="latin-1")


@cache
def dx_rows(model: str) -> list[tuple[str, str, int]]:
    rows = []
    for line in _read(MODELS[model].dx2cc).splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0].strip() and parts[1].strip():
            rows.append((model, parts[0].strip(), int(parts[1].strip())))
    return rows


@cache
def edit_rows(model: str) -> list[tuple[Any, ...]]:
    """(model, dx, new_hcc or None to drop, sex, age_lt, age_gt, age_ge): the age conditions of one edit
    are alternatives (OR), the sex condition must hold."""
    text = _read(MODELS[model].edits)
    body = text.split("reset of CCs", 1)[1].split("MCE edits", 1)[0]
    rows: list[tuple[Any, ...]] = []
    for match in _EDIT.finditer(body):
        sex, ages = _condition(match["cond"])
        codes = [c.strip().strip('"') for c in (match["codes"] or f'"{match["code"]}"').split(",")]
        new_hcc = None if match["cc"].startswith("-1") else int(match["cc"])
        rows += [(model, code, new_hcc, sex, ages.get("<"), ages.get(">"), ages.get(">=")) for code in codes if code]
    if not rows:
        raise ValueError(f"no age/sex edits found in {MODELS[model].edits}")
    return rows


def _condition(text: str) -> tuple[str | None, dict[str, int]]:
    sex: str | None = None
    ages: dict[str, int] = {}
    for part in re.split(r"\s+OR\s+", text.strip().strip("()")):
        if found := _SEX.match(part.strip()):
            sex = "M" if found["sex"] == "1" else "F"
        elif found := _AGE.match(part.strip()):
            ages[found["op"]] = int(found["n"])
        else:
            raise ValueError(f"unexpected condition in a CMS edit: {text!r}")
    return sex, ages


@cache
def hierarchy_rows(model: str) -> list[tuple[str, int, int]]:
    rows = [(model, int(parent), int(child)) for parent, children in _HIER.findall(_read(MODELS[model].hierarchy))
            for child in children.split(",") if child.strip()]
    if not rows:
        raise ValueError(f"no hierarchies found in {MODELS[model].hierarchy}")
    return rows


@cache
def label_rows(model: str) -> list[tuple[str, int, str]]:
    return [(model, int(hcc), label) for hcc, label in _LABEL.findall(_read(MODELS[model].labels))]


@cache
def coefficient_rows(model: str) -> list[tuple[str, str, float]]:
    reader = csv.reader(io.StringIO(_read(MODELS[model].coefficients)))
    names = [name.strip() for name in next(reader)]
    values = [float(value) for value in next(reader)]
    return [(model, name, value) for name, value in zip(names, values, strict=True)]


@cache
def demographic_rows(model: str) -> list[tuple[str, str, str, int, int, str, int]]:
    """The age/sex cells among the coefficients, as (model, segment, sex, age_from, age_to_excl, name, order)."""
    rows = []
    for order, (_, name, _value) in enumerate(coefficient_rows(model)):
        if found := _DEMOGRAPHIC.match(name):
            low = int(found["lo"])
            high = 999 if found["hi"] == "GT" else (int(found["hi"]) + 1 if found["hi"] else low + 1)
            rows.append((model, found["elig"], found["sex"], low, high, name, order))
    return rows


TABLES: dict[str, tuple[str, Any]] = {
    "ref_hcc_dx": ("model VARCHAR, dx VARCHAR, hcc INTEGER", dx_rows),
    "ref_hcc_edits": ("model VARCHAR, dx VARCHAR, new_hcc INTEGER, sex VARCHAR, age_lt INTEGER, age_gt INTEGER, "
                      "age_ge INTEGER", edit_rows),
    "ref_hcc_hierarchy": ("model VARCHAR, parent INTEGER, child INTEGER", hierarchy_rows),
    "ref_hcc_labels": ("model VARCHAR, hcc INTEGER, label VARCHAR", label_rows),
    "ref_hcc_coefficients": ("model VARCHAR, name VARCHAR, coefficient DOUBLE", coefficient_rows),
    "ref_hcc_demographic": ("model VARCHAR, segment VARCHAR, sex VARCHAR, age_from INTEGER, age_to INTEGER, "
                            "name VARCHAR, ord INTEGER", demographic_rows),
}


def load_hcc_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table, (columns, rows_of) in TABLES.items():
        rows = [row for model in MODELS for row in rows_of(model)]
        load_rows(con, table, columns, rows)


def load_rows(con: duckdb.DuckDBPyConnection, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    """Create `table` with `columns` ("name TYPE, ...") holding `rows`, moved in as one Arrow table."""
    specs = [spec.split() for spec in columns.split(",")]
    arrow = pa.table({name: [row[i] for row in rows] for i, (name, _type) in enumerate(specs)})
    con.register("incoming_rows", arrow)
    casts = ", ".join(f"CAST({name} AS {type_}) AS {name}" for name, type_ in specs)
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT {casts} FROM incoming_rows")
    con.unregister("incoming_rows")
