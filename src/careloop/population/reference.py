"""Reference tables the definitions join to (code maps, weights, tier rules), loaded from the CSV files in
careloop/population/data, where each file's header comment names its source."""

from __future__ import annotations

import csv
import io
from importlib import resources

import duckdb

# table name -> (file, DuckDB column types in file order)
REFERENCE_FILES: dict[str, tuple[str, dict[str, str]]] = {
    "ref_charlson_codes": ("charlson_quan2005_icd10.csv", {"category": "VARCHAR", "prefix": "VARCHAR"}),
    "ref_charlson_weights": ("charlson_weights.csv", {
        "category": "VARCHAR", "weight_1987": "INTEGER", "weight_quan2011": "INTEGER", "weight_lace": "INTEGER",
        "graver": "VARCHAR", "title": "VARCHAR"}),
    "ref_risk_tiers": ("risk_tiers.csv", {
        "program": "VARCHAR", "rank": "INTEGER", "tier": "VARCHAR", "min_charlson": "INTEGER",
        "min_ip_12m": "INTEGER", "min_ed_12m": "INTEGER", "min_lace": "INTEGER"}),
}


def read_rows(filename: str) -> list[dict[str, str]]:
    """The rows of a data file, its `#` comment lines skipped."""
    text = (resources.files("careloop.population") / "data" / filename).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


def load_reference(con: duckdb.DuckDBPyConnection) -> None:
    for table, (filename, columns) in REFERENCE_FILES.items():
        rows = read_rows(filename)
        con.execute(f"CREATE OR REPLACE TABLE {table} ("
                    + ", ".join(f"{name} {type_}" for name, type_ in columns.items()) + ")")
        values = [[row[name] or None for name in columns] for row in rows]
        placeholders = ", ".join("?" for _ in columns)
        con.executemany(f"INSERT INTO {table} VALUES ({placeholders})", values)


def programs() -> set[str]:
    return {row["program"] for row in read_rows("risk_tiers.csv")}
