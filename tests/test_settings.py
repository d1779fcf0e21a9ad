"""A bad setting in the environment is named before any command runs, and nothing starts."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from careloop.config import Settings, settings_problems


def test_each_bad_setting_is_named_by_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARELOOP_MLLP_COMMIT_DELAY_MS", "-3")
    monkeypatch.setenv("CARELOOP_WORKER_POLL_SECONDS", "soon")
    with pytest.raises(ValidationError) as raised:
        Settings()
    lines = settings_problems(raised.value).splitlines()
    assert lines[1:] == [
        "CARELOOP_WORKER_POLL_SECONDS: Input should be a valid number, unable to parse string as a number",
        "CARELOOP_MLLP_COMMIT_DELAY_MS: Input should be greater than or equal to 0"]


def test_the_command_stops_with_the_reason_and_no_traceback() -> None:
    environment = {**os.environ, "CARELOOP_MLLP_COMMIT_DELAY_MS": "-3"}
    done = subprocess.run([sys.executable, "-c", "from careloop.cli import main; main()", "mllp", "--port", "2599"],
                          env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "CARELOOP_MLLP_COMMIT_DELAY_MS: Input should be greater than or equal to 0" in done.stderr
    assert "Traceback" not in done.stderr
