"""One settings object; the only place the environment is read (prefix CARELOOP_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CARELOOP_", env_file=None, extra="ignore")

    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'careloop.db'}"
    # Front-end packages (htmx, Pico CSS, Swagger UI) come from npm at install time; never from a CDN.
    assets_dir: Path = PROJECT_ROOT / "node_modules"
    session_hours: int = 12
    session_cookie_secure: bool = False
    # Login throttling: after this many failures in the window, each further try must wait (doubling).
    login_free_failures: int = 5
    login_window_minutes: int = 15
    login_max_lockout_seconds: int = 900
    worker_poll_seconds: float = 1.0
    # The MLLP listener's group commit waits this long after a batch's first message for more to join it (or until
    # the batch is full). Each commit costs the listener about 0.7 ms of CPU whatever it holds; under a steady feed
    # of 2,000 a second, batches of 5 made that most of its CPU. An ACK waits at most this much longer; a hospital
    # waits seconds for one (docs/decisions.md, 2026-12-07 morning).
    mllp_commit_delay_ms: float = Field(default=5.0, ge=0, le=1000)
    overdue_sweep_minutes: int = 5
    page_size: int = 25
    # The web UI shows times, and reads the due times people type, in this IANA zone (e.g. America/Chicago).
    timezone: str = "UTC"
    sql_echo: bool = False
    # Requests run their database work on this many threads per server process; the connection pool holds
    # as many connections plus a few for jobs, so a thread never waits for a connection that only a thread
    # waiting in line could give back. Few: on two cores, 16 threads per process spent their time handing the
    # interpreter lock to one another (worklist 130 req/s); 1 to 3 served 290 to 310 (BENCHMARKS.md, "API
    # under load"). Three rather than one, so one slow page (a PDF, an export) does not stop the rest.
    request_threads: int = 3
    # Bulk Data $export writes its NDJSON files here, one folder per export (removed when it is cancelled).
    fhir_export_dir: Path = PROJECT_ROOT / "var" / "fhir-exports"
    # Days the TCM 2-business-day contact clock skips besides weekends: a CSV with a `date` column. The default
    # is the US federal holidays (OPM); a practice with other closures points this at its own file.
    tcm_holidays_file: Path = Path(__file__).parent / "transitions" / "data" / "holidays.csv"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def settings_problems(error: ValidationError) -> str:
    """What is wrong with the environment's settings, one line each by the variable to change."""
    lines = [f"CARELOOP_{'_'.join(str(part) for part in problem['loc']).upper()}: {problem['msg']}"
             for problem in error.errors()]
    return "careloop cannot start: the environment's settings are not valid\n" + "\n".join(lines)
