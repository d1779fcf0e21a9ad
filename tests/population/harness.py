"""Hand-built snapshots for the definitions: rows typed exactly as the snapshot types them, put straight into
an in-memory DuckDB, then every definition run, so a test states a clinical case and reads the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import duckdb

from careloop.population import catalog, engine, snapshot

AS_OF = date(2026, 6, 30)


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour)  # noqa: DTZ001 - the snapshot holds naive UTC


def days_before(n: int, hour: int = 9) -> datetime:
    return at(AS_OF - timedelta(days=n), hour)


@dataclass
class Scenario:
    as_of: date = AS_OF
    program: str = "default"
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _next_id: int = 1000

    def _add(self, table: str, **row: Any) -> int:
        self._next_id += 1
        self.rows.setdefault(table, []).append(row)
        return self._next_id

    def patient(self, patient_id: int, *, born: date = date(1950, 1, 1), gender: str = "female") -> int:
        self._add("src_patients", patient_id=patient_id, birth_date=born, gender=gender, deceased_at=None)
        return patient_id

    def condition(self, patient_id: int, icd10: str, *, since: date = date(2020, 1, 1),
                  status: str = "active", verification: str = "confirmed") -> None:
        """A conditions row; it reaches src_conditions through the snapshot's own filter (see run)."""
        self._add("conditions", patient_id=patient_id, icd10=icd10, clinical_status=status,
                  verification_status=verification, onset_date=since, recorded_at=at(since))

    def encounter(self, patient_id: int, class_code: str, start: datetime, end: datetime | None = None, *,
                  status: str = "finished", disposition: str | None = None, reason: str | None = None) -> int:
        encounter_id = self._next_id + 1
        self._add("src_encounters", encounter_id=encounter_id, patient_id=patient_id, class_code=class_code,
                  status=status, period_start=start, period_end=end, discharge_disposition=disposition,
                  reason_code=reason)
        return encounter_id

    def stay(self, patient_id: int, admitted: datetime, discharged: datetime, *, via_ed: bool = False,
             disposition: str = "home", reason: str | None = None) -> int:
        if via_ed:
            self.encounter(patient_id, "EMER", admitted - timedelta(hours=4), admitted)
        return self.encounter(patient_id, "IMP", admitted, discharged, disposition=disposition, reason=reason)

    def observation(self, patient_id: int, code: str, value: float | None, when: datetime, *,
                    encounter_id: int | None = None) -> None:
        self._add("src_observations", patient_id=patient_id, encounter_id=encounter_id, code=code,
                  effective_at=when, value_num=value)

    def blood_pressure(self, patient_id: int, systolic: float, diastolic: float, when: datetime, *,
                       encounter_id: int | None = None) -> None:
        self.observation(patient_id, "8480-6", systolic, when, encounter_id=encounter_id)
        self.observation(patient_id, "8462-4", diastolic, when, encounter_id=encounter_id)

    def procedure(self, patient_id: int, code: str, when: datetime, *, encounter_id: int | None = None) -> None:
        self._add("src_procedures", patient_id=patient_id, encounter_id=encounter_id, code=code,
                  performed_start=when)

    def immunization(self, patient_id: int, cvx: str, when: datetime) -> None:
        self._add("src_immunizations", patient_id=patient_id, vaccine_code=cvx, occurred_at=when)

    def task_done(self, patient_id: int, type_: str, when: datetime) -> None:
        self._add("src_tasks_done", patient_id=patient_id, type=type_, completed_at=when)

    def run(self) -> Result:
        con = duckdb.connect()
        for source in snapshot.SOURCES:
            columns = ", ".join(f"{c.name} {c.type}" for c in source.columns)
            con.execute(f"CREATE TABLE {source.table} ({columns})")
            rows = self.rows.get(source.table, [])
            if rows:
                names = [c.name for c in source.columns]
                marks = ", ".join("?" for _ in names)
                con.executemany(f"INSERT INTO {source.table} VALUES ({marks})",  # noqa: S608 - our table names
                                [[row[n] for n in names] for row in rows])
        self._conditions_through_the_snapshot_filter(con)
        engine.prepare(con, engine.Parameters(self.as_of, self.program))
        engine.run_definitions(con, catalog.load_definitions())
        return Result(con)


    def _conditions_through_the_snapshot_filter(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute("CREATE TEMP TABLE conditions (patient_id BIGINT, icd10 VARCHAR, clinical_status VARCHAR, "
                    "verification_status VARCHAR, onset_date DATE, recorded_at TIMESTAMP)")
        rows = self.rows.get("conditions", [])
        if rows:
            con.executemany("INSERT INTO conditions VALUES (?, ?, ?, ?, ?, ?)",
                            [list(row.values()) for row in rows])
        con.execute("INSERT INTO src_conditions SELECT patient_id, icd10, "  # noqa: S608 - our own constant
                    "coalesce(onset_date, CAST(recorded_at AS DATE)) FROM conditions "
                    f"WHERE icd10 IS NOT NULL AND {snapshot.COUNTED_CONDITION}")


@dataclass
class Result:
    con: duckdb.DuckDBPyConnection

    def one(self, sql: str, *params: Any) -> dict[str, Any]:
        rows = self.all(sql, *params)
        assert len(rows) == 1, f"expected one row, got {rows}"
        return rows[0]

    def all(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql, list(params))
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def patient(self, patient_id: int) -> dict[str, Any]:
        return self.one("SELECT * FROM patient_results WHERE patient_id = ?", patient_id)

    def gaps(self, patient_id: int, measure: str) -> list[dict[str, Any]]:
        return self.all("SELECT * FROM gaps WHERE patient_id = ? AND measure = ? ORDER BY event_date",
                        patient_id, measure)
