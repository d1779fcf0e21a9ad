"""Moving columnar data between careloop's database and Parquet files, in a child process.

The child streams each query's Arrow record batches into a Parquet file (export) or streams Parquet
batches into a table with ADBC's bulk ingest (import); batches stay bounded, so memory does not grow with
the population. A child process keeps the ADBC SQLite driver's copy of SQLite away from the sqlite3 module
careloop uses in this process (see adbc.py); exceptions in the child are raised here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from careloop.population import adbc

INGEST_BATCH_ROWS = 100_000


class TransferError(RuntimeError):
    """A database error in the child, carried back as text."""


def in_child(function_name: str, *args: Any) -> Any:
    """Run `function_name` of this module with JSON arguments in a fresh interpreter and return its JSON
    result. A subprocess of `python -m` rather than multiprocessing: it needs nothing from the caller's main
    module, so it works the same from the CLI, the worker, a web process or a test."""
    return in_children(function_name, [args])[0]


def in_children(function_name: str, calls: Sequence[Sequence[Any]]) -> list[Any]:
    """Run `function_name` once per argument list, each in its own child process, all at the same time;
    returns their results in order. If a child fails, its error is raised here once every child has ended."""
    if function_name not in CHILD_FUNCTIONS:
        raise ValueError(f"no child function {function_name!r}")
    requests = [json.dumps({"function": function_name, "args": list(args)}) for args in calls]
    # A thread per child only waits on its pipes, so the children themselves run side by side.
    with ThreadPoolExecutor(max_workers=max(1, len(requests))) as pool:
        done = list(pool.map(_run_child, requests))
    for child in done:
        if child.returncode != 0:
            lines = [line for line in child.stderr.strip().splitlines() if line.strip()]
            raise TransferError(lines[-1] if lines else f"child exited with {child.returncode}")
    return [json.loads(child.stdout) for child in done]


def _run_child(request: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "careloop.population.transfer"], input=request,
                          capture_output=True, text=True, check=False)


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
    with adbc.connect(database_url, bulk_writer=True) as conn:
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


CHILD_FUNCTIONS: dict[str, Callable[..., Any]] = {"export_queries": export_queries, "ingest_files": ingest_files}


def _main() -> None:
    request = json.loads(sys.stdin.read())
    try:
        result = CHILD_FUNCTIONS[request["function"]](*request["args"])
    except Exception as exc:
        print(f"{type(exc).__name__}: {exc}".replace("\n", " "), file=sys.stderr)
        raise SystemExit(1) from None
    print(json.dumps(result))


if __name__ == "__main__":
    _main()
