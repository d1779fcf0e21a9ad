"""Moving columnar data between careloop's database and Parquet files, in a child process.

The child streams each query's Arrow record batches into a Parquet file (export) or streams Parquet
batches into a table with ADBC's bulk ingest (import); batches stay bounded, so memory does not grow with
the population. A child process keeps the ADBC SQLite driver's copy of SQLite away from the sqlite3 module
careloop uses in this process (see adbc.py); exceptions in the child are raised here.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from careloop.population import adbc

T = TypeVar("T")
INGEST_BATCH_ROWS = 100_000


class TransferError(RuntimeError):
    """A database error in the child, carried back as text (driver exceptions do not survive pickling)."""


def in_child(function: Callable[..., T], *args: Any) -> T:
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_carrying_errors, function, *args).result()


def _carrying_errors(function: Callable[..., T], *args: Any) -> T:
    try:
        return function(*args)
    except Exception as exc:
        raise TransferError(f"{type(exc).__name__}: {exc}") from None


def export_queries(database_url: str, queries: dict[str, str], folder: str) -> dict[str, int]:
    """Run each query and write its rows to `folder/<name>.parquet`; returns the row counts."""
    counts: dict[str, int] = {}
    with adbc.connect(database_url) as conn:
        for name, sql in queries.items():
            counts[name] = _export_one(conn, sql, Path(folder) / f"{name}.parquet")
        conn.rollback()  # read only: end the read transaction the driver opened
    return counts


def _export_one(conn: Any, sql: str, path: Path) -> int:
    cursor = conn.cursor()
    rows = 0
    try:
        cursor.execute(sql)
        reader: pa.RecordBatchReader = cursor.fetch_record_batch()
        with pq.ParquetWriter(path, reader.schema, compression="none") as writer:
            for batch in reader:
                writer.write_batch(batch)
                rows += batch.num_rows
    finally:
        cursor.close()
    return rows


def ingest_files(database_url: str, before: list[str], files: dict[str, str], after: list[str]) -> dict[str, int]:
    """In one transaction: run `before`, append each Parquet file to its table, run `after`, commit."""
    written: dict[str, int] = {}
    with adbc.connect(database_url) as conn:
        cursor = conn.cursor()
        try:
            for statement in before:
                cursor.execute(statement)
            for table, path in files.items():
                source = pq.ParquetFile(path)
                batches = pa.RecordBatchReader.from_batches(
                    source.schema_arrow, source.iter_batches(batch_size=INGEST_BATCH_ROWS))
                written[table] = int(cursor.adbc_ingest(table, batches, mode="append"))
            for statement in after:
                cursor.execute(statement)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            cursor.close()
    return written
