"""The write-back's child (transfer.StreamingIngest) on a SQLite file of its own: its commit is reported as soon
as it is done, and the write-ahead log is copied into the database file before the child ends."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyarrow as pa
import pytest

from careloop.population import transfer


@pytest.fixture
def database(tmp_path: Path, backend: str) -> Path:
    if backend != "sqlite":
        pytest.skip("the child's checkpoint is SQLite's; the test uses a SQLite file of its own either way")
    path = tmp_path / "results.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE results (patient_id INTEGER NOT NULL, score DOUBLE NOT NULL)")
    return path


def _arrow_file(folder: Path, rows: int) -> str:
    path = folder / "results.arrow"
    table = pa.table({"patient_id": pa.array(range(rows), pa.int64()),
                      "score": pa.array([i / 10 for i in range(rows)], pa.float64())})
    transfer.write_arrow_file(table.to_reader(max_chunksize=1000), path)
    return str(path)


def _count(url: str) -> int:
    with sqlite3.connect(url, uri=True) as conn:
        return int(conn.execute("SELECT count(*) FROM results").fetchone()[0])


def test_commit_is_readable_when_reported_and_checkpointed_by_close(database: Path, tmp_path: Path) -> None:
    # An application connection stays open throughout, as careloop's pool does: otherwise SQLite would
    # checkpoint when the child's connection, the last one, closed.
    with sqlite3.connect(database) as application:
        assert application.execute("SELECT count(*) FROM results").fetchone() == (0,)
        ingest = transfer.StreamingIngest(f"sqlite:///{database}")
        ingest.append("results", _arrow_file(tmp_path, 5000))
        assert ingest.commit([]) == {"results": 5000}
        assert application.execute("SELECT count(*) FROM results").fetchone() == (5000,)  # readable at once
        ingest.close()
        # immutable=1 reads the database file alone, not the log: the rows are there, so the child copied the
        # log into the file itself (nothing else wrote to this database, and its commit left the log alone).
        assert _count(f"file:{database}?immutable=1") == 5000


def test_a_failing_closing_statement_rolls_everything_back(database: Path, tmp_path: Path) -> None:
    ingest = transfer.StreamingIngest(f"sqlite:///{database}")
    ingest.append("results", _arrow_file(tmp_path, 100))
    with pytest.raises(transfer.TransferError, match="no such table"):
        ingest.commit(["UPDATE missing_table SET x = 1"])
    ingest.close()
    assert _count(f"file:{database}") == 0
