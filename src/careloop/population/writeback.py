"""Results back into careloop's tables, as Arrow batches through ADBC (COPY on PostgreSQL, one prepared
statement in C on SQLite), in one transaction that also marks this run succeeded: readers, who always read
the newest succeeded run, see either the old results or the new ones, never a mixture. The older runs' rows
are removed afterwards, in a transaction of their own, so the new results are readable without waiting for
millions of deletes."""

from __future__ import annotations

from pathlib import Path

import duckdb

from careloop.population import adbc, transfer
from careloop.population.catalog import COHORT_TABLE, GAPS_TABLE

RESULT_TABLES = ("population_patient_results", "population_gaps", "population_cohort_members",
                 "population_cohorts")


def _patient_results_sql(run_id: int) -> str:
    return f"""SELECT CAST({run_id} AS BIGINT) AS run_id, patient_id, CAST(age AS INTEGER) AS age,
        CAST(charlson_quan2011 AS INTEGER) AS charlson_quan2011, CAST(charlson_1987 AS INTEGER) AS charlson_1987,
        CAST(charlson_age_adjusted AS INTEGER) AS charlson_age_adjusted, charlson_evidence,
        hcc_segment, CAST(hcc_v28 AS DOUBLE) AS hcc_v28, CAST(hcc_v24 AS DOUBLE) AS hcc_v24,
        CAST(hcc_raf AS DOUBLE) AS hcc_raf, hcc_evidence,
        CAST(ed_6m AS INTEGER) AS ed_6m, CAST(ed_12m AS INTEGER) AS ed_12m, CAST(ip_6m AS INTEGER) AS ip_6m,
        CAST(ip_12m AS INTEGER) AS ip_12m, CAST(readmissions_30d AS INTEGER) AS readmissions_30d,
        CAST(lace AS INTEGER) AS lace, lace_band, lace_evidence,
        CAST(hospital_score AS INTEGER) AS hospital_score, hospital_band, hospital_evidence,
        risk_tier, tier_reason, CAST(open_gaps AS INTEGER) AS open_gaps
        FROM patient_results ORDER BY patient_id"""


def _gaps_sql(run_id: int, date_type: str) -> str:
    # In the order of the (run_id, measure, status) index, so it is appended to; the (run_id, patient_id) index
    # then takes one ascending stream per measure (measured: 15 % off the gaps' insert at a million patients).
    return f"""SELECT CAST({run_id} AS BIGINT) AS run_id, g.patient_id, g.measure, g.version,
        CAST(g.event_date AS {date_type}) AS event_date, CAST(g.due_date AS {date_type}) AS due_date,
        g.status, g.evidence
        FROM gaps g ORDER BY g.measure, g.status, g.patient_id, g.event_date"""


def _cohort_members_sql(run_id: int) -> str:
    return (f"SELECT CAST({run_id} AS BIGINT) AS run_id, cohort, patient_id, reason FROM cohort_members "
            "ORDER BY cohort, patient_id")


def _cohorts_sql(run_id: int) -> str:
    return f"""SELECT CAST({run_id} AS BIGINT) AS run_id, d.cohort, d.title, d.source, d.version,
        CAST(coalesce(m.n, 0) AS INTEGER) AS member_count
        FROM cohort_catalog d LEFT JOIN (SELECT cohort, count(*) AS n FROM cohort_members GROUP BY cohort) m
        ON m.cohort = d.cohort"""


class ResultWriter:
    """Writes one run's results back while the rest of the run is computed, in one transaction.

    Each result table is exported from DuckDB and handed to the ingest child as soon as it is complete (the
    gaps and cohort members while CMS-HCC and the patient summaries are still being computed), so the
    database's inserts overlap DuckDB's work. `finish` writes what is left, marks the run succeeded in the
    same transaction and commits; `abort` rolls everything back."""

    def __init__(self, con: duckdb.DuckDBPyConnection, database_url: str, run_id: int, folder: Path) -> None:
        # SQLAlchemy keeps SQLite dates as ISO text; PostgreSQL takes Arrow date32 as DATE.
        date_type = "VARCHAR" if adbc.dialect_of(database_url) == "sqlite" else "DATE"
        self._con, self._run_id, self._folder = con, run_id, folder
        # DuckDB table -> (careloop table, the query that shapes its rows)
        self._pending = {
            GAPS_TABLE: ("population_gaps", _gaps_sql(run_id, date_type)),
            COHORT_TABLE: ("population_cohort_members", _cohort_members_sql(run_id)),
            "patient_results": ("population_patient_results", _patient_results_sql(run_id)),
            "cohort_catalog": ("population_cohorts", _cohorts_sql(run_id)),
        }
        self._ingest = transfer.StreamingIngest(database_url)

    def table_ready(self, duckdb_table: str) -> None:
        """Hand over a complete result table (a name in DuckDB); other tables are ignored."""
        if duckdb_table not in self._pending:
            return
        table, sql = self._pending.pop(duckdb_table)
        path = self._folder / transfer.arrow_file_name(table)
        # An Arrow IPC file, as the snapshot's: the child maps it and hands the batches to the driver as they
        # are, where Parquet cost DuckDB its encoding and the child its decoding.
        transfer.write_arrow_file(self._con.sql(sql).to_arrow_reader(transfer.INGEST_BATCH_ROWS), path)
        self._ingest.append(table, str(path))

    def finish(self) -> dict[str, int]:
        """Write the tables not handed over yet, mark the run succeeded and commit; rows written per table.
        The results are readable when this returns; `close` then waits for the writer's tidying up."""
        for duckdb_table in list(self._pending):
            self.table_ready(duckdb_table)
        return self._ingest.commit(["UPDATE population_runs SET status = 'succeeded', "
                                    f"finished_at = CURRENT_TIMESTAMP WHERE id = {int(self._run_id)}"])

    def close(self) -> None:
        self._ingest.close()

    def abort(self) -> None:
        self._ingest.abort()


def remove_superseded(database_url: str, run_id: int) -> None:
    """Delete the results of the runs before `run_id` (once it has succeeded). Runs after it are left alone:
    should two runs overlap, the newer one's results must survive the older one's clean-up."""
    statements = [f"DELETE FROM {table} WHERE run_id < {int(run_id)}" for table in RESULT_TABLES]
    ingest = transfer.StreamingIngest(database_url)
    try:
        ingest.commit(statements)  # nothing appended: the deletes, committed
    except BaseException:
        ingest.abort()
        raise
    ingest.close()
