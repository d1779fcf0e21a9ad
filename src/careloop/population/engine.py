"""Runs the definitions in DuckDB over a loaded snapshot: parameters, reference tables, each definition
materialised as a table in dependency order, then the gaps and cohort tables assembled from every measure
and cohort definition."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb

from careloop.population.catalog import COHORT_TABLE, GAPS_TABLE, Definition
from careloop.population.reference import load_reference

GAP_COLUMNS = "patient_id, measure, event_date, due_date, status, evidence"


@dataclass(frozen=True)
class Parameters:
    as_of: date
    program: str = "default"

    @property
    def period_start(self) -> date:
        """The measurement period is the year up to and including the as-of date."""
        try:
            return self.as_of.replace(year=self.as_of.year - 1) + timedelta(days=1)
        except ValueError:  # 29 February
            return self.as_of.replace(year=self.as_of.year - 1, day=28) + timedelta(days=1)

    @property
    def period_end(self) -> date:
        return self.as_of


def prepare(con: duckdb.DuckDBPyConnection, params: Parameters) -> None:
    con.execute("CREATE OR REPLACE TABLE params (as_of DATE, period_start DATE, period_end DATE, program VARCHAR)")
    con.execute("INSERT INTO params VALUES (?, ?, ?, ?)",
                [params.as_of, params.period_start, params.period_end, params.program])
    load_reference(con)


# The tables assembled from every definition of a kind: all the gaps, all the cohort members.
ASSEMBLED_FROM = {GAPS_TABLE: "measure", COHORT_TABLE: "cohort"}


def run_definitions(con: duckdb.DuckDBPyConnection, definitions: tuple[Definition, ...],
                    on_done: Callable[[Definition], Any] | None = None,
                    on_assembled: Callable[[str], Any] | None = None) -> None:
    """Materialise every definition; the caller has loaded the snapshot and called prepare().

    The gaps and cohort tables are assembled as soon as the last definition of their kind is done (and
    `on_assembled` told), not at the end: the write-back starts on them while the rest is computed. The
    catalog orders every definition that reads one of them after all the definitions it is made of."""
    waiting = {table: {d.name for d in definitions if d.kind == kind} for table, kind in ASSEMBLED_FROM.items()}
    for table in [t for t, names in waiting.items() if not names]:
        _assembled(con, table, definitions, on_assembled)  # no definitions of that kind: an empty table
    for definition in definitions:
        con.execute(f"CREATE OR REPLACE TABLE {definition.name} AS {definition.sql}")
        if on_done is not None:
            on_done(definition)
        for table, names in waiting.items():
            if definition.name in names:
                names.discard(definition.name)
                if not names:
                    _assembled(con, table, definitions, on_assembled)
    _cohort_catalog(con, definitions)


def _assembled(con: duckdb.DuckDBPyConnection, table: str, definitions: tuple[Definition, ...],
               on_assembled: Callable[[str], Any] | None) -> None:
    _assemble(con, table, definitions)
    if on_assembled is not None:
        on_assembled(table)


def _cohort_catalog(con: duckdb.DuckDBPyConnection, definitions: tuple[Definition, ...]) -> None:
    con.execute("CREATE OR REPLACE TABLE cohort_catalog "
                "(cohort VARCHAR, title VARCHAR, source VARCHAR, version VARCHAR)")
    rows = [[d.name.removeprefix("cohort_"), d.title, d.source, d.version] for d in definitions if d.kind == "cohort"]
    if rows:
        con.executemany("INSERT INTO cohort_catalog VALUES (?, ?, ?, ?)", rows)


def _assemble(con: duckdb.DuckDBPyConnection, table: str, definitions: tuple[Definition, ...]) -> None:
    if table == GAPS_TABLE:
        parts = [f"SELECT {GAP_COLUMNS}, '{d.version}' AS version FROM {d.name}"
                 for d in definitions if d.kind == "measure"]
        empty = ("SELECT CAST(NULL AS BIGINT) AS patient_id, '' AS measure, CAST(NULL AS DATE) AS event_date, "
                 "CAST(NULL AS DATE) AS due_date, '' AS status, '' AS evidence, '' AS version WHERE false")
    else:
        parts = [f"SELECT '{d.name.removeprefix('cohort_')}' AS cohort, patient_id, reason FROM {d.name}"
                 for d in definitions if d.kind == "cohort"]
        empty = "SELECT '' AS cohort, CAST(NULL AS BIGINT) AS patient_id, '' AS reason WHERE false"
    con.execute(f"CREATE OR REPLACE TABLE {table} AS " + (" UNION ALL ".join(parts) or empty))
