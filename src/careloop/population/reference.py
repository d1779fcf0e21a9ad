"""Reference tables the definitions join to (code maps, weights, tier rules), loaded from the CSV files in
careloop/population/data, where each file's header comment names its source."""

from __future__ import annotations

import csv
import io
from importlib import resources

import duckdb

from careloop.population.hcc_tables import load_hcc_tables, load_rows

# table name -> (file, DuckDB column types in file order)
REFERENCE_FILES: dict[str, tuple[str, dict[str, str]]] = {
    "ref_charlson_codes": ("charlson_quan2005_icd10.csv", {"category": "VARCHAR", "prefix": "VARCHAR"}),
    "ref_charlson_weights": ("charlson_weights.csv", {
        "category": "VARCHAR", "weight_1987": "INTEGER", "weight_quan2011": "INTEGER", "weight_lace": "INTEGER",
        "graver": "VARCHAR", "title": "VARCHAR"}),
    "ref_risk_tiers": ("risk_tiers.csv", {
        "program": "VARCHAR", "rank": "INTEGER", "tier": "VARCHAR", "min_charlson": "INTEGER",
        "min_ip_12m": "INTEGER", "min_ed_12m": "INTEGER", "min_lace": "INTEGER"}),
    "ref_hcc_groups": ("hcc_groups.csv", {"model": "VARCHAR", "grp": "VARCHAR", "hcc": "INTEGER"}),
    "ref_hcc_interactions": ("hcc_interactions.csv", {
        "model": "VARCHAR", "name": "VARCHAR", "left_grp": "VARCHAR", "right_grp": "VARCHAR"}),
    "ref_hcc_payment_year": ("hcc_payment_year.csv", {
        "payment_year": "INTEGER", "model": "VARCHAR", "normalization": "DOUBLE", "coding_adjustment": "DOUBLE",
        "blend_share": "DOUBLE"}),
}


def read_rows(filename: str) -> list[dict[str, str]]:
    """The rows of a data file, its `#` comment lines skipped."""
    text = (resources.files("careloop.population") / "data" / filename).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


def load_reference(con: duckdb.DuckDBPyConnection) -> None:
    for table, (filename, columns) in REFERENCE_FILES.items():
        values = [tuple(row[name] or None for name in columns) for row in read_rows(filename)]
        load_rows(con, table, ", ".join(f"{name} {type_}" for name, type_ in columns.items()), values)
    load_hcc_tables(con)


def programs() -> set[str]:
    return {row["program"] for row in read_rows("risk_tiers.csv")}
