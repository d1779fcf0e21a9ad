"""`careloop import`: a progress bar, a summary per type, reasons for what was rejected, a clear error and
a non-zero exit for a path that is not there."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from careloop.cli import app
from tests.integrations.fhir.conftest import observation, patient, write_ndjson

runner = CliRunner()


def test_import_prints_a_summary_per_type(tmp_path: Path) -> None:
    write_ndjson(tmp_path / "Patient.ndjson", [patient("p1"), patient("p2")])
    write_ndjson(tmp_path / "Observation.ndjson", [observation("o1")])

    result = runner.invoke(app, ["import", str(tmp_path), "--source", "ehr"])

    assert result.exit_code == 0, result.output
    assert "FHIR import from source 'ehr'" in result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") > 5}
    assert [cell.strip() for cell in lines["Patient"].split("│")[2:7]] == ["2", "2", "0", "0", "0"]
    assert [cell.strip() for cell in lines["Observation"].split("│")[2:7]] == ["1", "1", "0", "0", "0"]
    assert "3 resources in" in result.output


def test_rejections_are_listed_with_file_line_and_reason_and_exit_non_zero(tmp_path: Path) -> None:
    path = tmp_path / "Patient.ndjson"
    path.write_bytes(orjson.dumps(patient("p1")) + b"\n{broken\n")

    result = runner.invoke(app, ["import", str(path), "--quiet"])

    assert result.exit_code == 1
    assert f"{path}:2  (unreadable)  not valid JSON" in result.output


def test_a_path_that_does_not_exist_is_a_clear_error(tmp_path: Path) -> None:
    # Wide enough for pytest's temporary path (longer under xdist) not to be wrapped inside the file name.
    result = runner.invoke(app, ["import", str(tmp_path / "nowhere.ndjson")], env={"COLUMNS": "400"})

    assert result.exit_code == 2
    assert f"error: {tmp_path / 'nowhere.ndjson'}: no such file or directory" in " ".join(result.output.split())
