"""Moving columnar data between careloop's database and files, in a child process.

The child streams each query's Arrow record batches into an Arrow IPC file (export: the snapshot, read back
by DuckDB without decoding) or streams an Arrow IPC file's batches into a table with ADBC's bulk ingest (import: the
results DuckDB wrote); batches stay bounded, so memory does not grow with the population. A child process
keeps the ADBC SQLite driver's copy of SQLite away from the sqlite3 module careloop uses in this process
(see adbc.py); exceptions in the child are raised here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa

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
            raise TransferError(_last_line(child.stderr) or f"child exited with {child.returncode}")
    return [json.loads(child.stdout) for child in done]


def _run_child(request: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "careloop.population.transfer"], input=request,
                          capture_output=True, text=True, check=False)


def arrow_file_name(name: str) -> str:
    return f"{name}.arrow"


def export_queries(database_url: str, queries: dict[str, str], folder: str) -> dict[str, int]:
    """Run each query and write its rows to the Arrow IPC file `folder/<name>.arrow`; returns the row counts."""
    counts: dict[str, int] = {}
    with adbc.connect(database_url) as conn:
        for name, sql in queries.items():
            counts[name] = _export_one(conn, sql, Path(folder) / arrow_file_name(name))
        conn.rollback()  # read only: end the read transaction the driver opened
    return counts


def _export_one(conn: Any, sql: str, path: Path) -> int:
    """The batches as the driver hands them over, uncompressed: writing Parquet (dictionary-encoding every
    string) cost a third of the export's CPU. Written under a temporary name and renamed when complete, so
    the parent, which loads each file as soon as it is there, never reads one half written."""
    cursor = conn.cursor()
    partial = path.with_name(path.name + ".part")
    try:
        cursor.execute(sql)
        rows = write_arrow_file(cursor.fetch_record_batch(), partial)
    finally:
        cursor.close()
    os.replace(partial, path)
    return rows


def write_arrow_file(reader: pa.RecordBatchReader, path: Path) -> int:
    """Stream the reader's batches into an Arrow IPC file; returns the rows written."""
    rows = 0
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows


def _ingest_one(cursor: Any, table: str, path: str) -> int:
    """Append an Arrow IPC file's rows to `table`, batch by batch from the memory-mapped file."""
    with pa.memory_map(path) as mapped:
        source = pa.ipc.open_file(mapped)
        batches = pa.RecordBatchReader.from_batches(
            source.schema, (source.get_batch(i) for i in range(source.num_record_batches)))
        return int(cursor.adbc_ingest(table, batches, mode="append"))


class StreamingIngest:
    """A child that appends Arrow IPC files to tables in one transaction, taking each file as it is handed over.

    The population write-back hands over each result table as soon as DuckDB has it, so the database writes
    one table while DuckDB computes the next; `commit` runs the closing statements and commits, and `abort`
    ends the child, whose transaction then rolls back. The child's errors are raised here, at the next
    hand-over or at the commit.

    On SQLite the commit only appends to the write-ahead log; copying the log's pages into the database file
    (the checkpoint: as many pages as the run wrote, seconds at a million patients) is the child's last act,
    after it has reported the commit, so `commit` returns as soon as the results are readable and `close` waits
    for the copy. Left to SQLite, the checkpoint would run inside the commit, or inside whichever request
    committed next."""

    def __init__(self, database_url: str) -> None:
        command = [sys.executable, "-m", "careloop.population.transfer", STREAM_FLAG]  # fixed: no outside input
        self._child = subprocess.Popen(command,  # noqa: S603
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True)
        self._send({"database_url": database_url})

    def append(self, table: str, path: str) -> None:
        self._send({"append": [table, path]})

    def commit(self, after: list[str]) -> dict[str, int]:
        """Run `after` in the same transaction, commit, and return the rows appended per table."""
        self._send({"commit": after})
        assert self._child.stdout is not None
        report = self._child.stdout.readline()  # written once the commit is done, before the child tidies up
        if not report:
            _, err = self._child.communicate()
            raise TransferError(_last_line(err) or f"child exited with {self._child.returncode}")
        written: dict[str, int] = json.loads(report)
        return written

    def close(self) -> None:
        """Wait for the child to finish what follows its commit (the checkpoint) and end (no-op once ended)."""
        if self._child.returncode is None:
            self._child.communicate()

    def abort(self) -> None:
        if self._child.poll() is None:
            self._child.kill()
        self._child.communicate()

    def _send(self, message: dict[str, Any]) -> None:
        assert self._child.stdin is not None
        try:
            self._child.stdin.write(json.dumps(message) + "\n")
            self._child.stdin.flush()
        except BrokenPipeError:  # the child failed and ended: say why
            _, err = self._child.communicate()
            raise TransferError(_last_line(err) or f"child exited with {self._child.returncode}") from None


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _stream_ingest() -> None:
    """The child's side of StreamingIngest: one line of JSON per instruction on stdin; after the commit, the
    rows written per table as one line on stdout, then the checkpoint."""
    database_url = json.loads(sys.stdin.readline())["database_url"]
    written: dict[str, int] = {}
    with adbc.connect(database_url, bulk_writer=True) as conn:
        cursor = conn.cursor()
        try:
            for line in sys.stdin:
                message = json.loads(line)
                if "append" in message:
                    table, path = message["append"]
                    written[table] = _ingest_one(cursor, table, path)
                    continue
                for statement in message["commit"]:
                    cursor.execute(statement)
                conn.commit()
                print(json.dumps(written), flush=True)
                adbc.checkpoint(conn, database_url)
                return
            raise TransferError("the parent ended before the commit")
        except BaseException:
            conn.rollback()
            raise
        finally:
            cursor.close()


STREAM_FLAG = "--stream"


CHILD_FUNCTIONS: dict[str, Callable[..., Any]] = {"export_queries": export_queries}


def _main() -> None:
    try:
        if STREAM_FLAG in sys.argv[1:]:
            _stream_ingest()  # reports on stdout itself, before its last step
            return
        request = json.loads(sys.stdin.read())
        result = CHILD_FUNCTIONS[request["function"]](*request["args"])
    except Exception as exc:
        print(f"{type(exc).__name__}: {exc}".replace("\n", " "), file=sys.stderr)
        raise SystemExit(1) from None
    print(json.dumps(result))


if __name__ == "__main__":
    _main()
