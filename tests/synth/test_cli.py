"""`careloop seed` through Typer's runner, against the test database."""

from __future__ import annotations

from sqlalchemy import func, select
from typer.testing import CliRunner

from careloop import db
from careloop.cli import app
from careloop.models import Patient

runner = CliRunner()


def _patients() -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(Patient)) or 0


def test_seed_writes_patients_and_prints_a_summary() -> None:
    result = runner.invoke(app, ["seed", "--patients", "40", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert _patients() == 40
    assert "observations" in result.output and "patients/s" in result.output


def test_second_seed_is_refused_without_append() -> None:
    assert runner.invoke(app, ["seed", "--patients", "30"]).exit_code == 0
    refused = runner.invoke(app, ["seed", "--patients", "30"])
    assert refused.exit_code == 2
    assert "already holds 30 patients" in refused.output and "--append" in refused.output
    assert _patients() == 30
    appended = runner.invoke(app, ["seed", "--patients", "30", "--append"])
    assert appended.exit_code == 0, appended.output
    assert _patients() == 60


def test_patients_out_of_range_is_a_clear_error() -> None:
    for bad in ("0", "2000001", "many"):
        result = runner.invoke(app, ["seed", "--patients", bad])
        assert result.exit_code == 2
        assert "--patients" in result.output
    assert _patients() == 0


def test_as_of_fixes_the_day() -> None:
    result = runner.invoke(app, ["seed", "--patients", "20", "--as-of", "2025-06-01"])
    assert result.exit_code == 0, result.output
    assert "as of 2025-06-01" in result.output
