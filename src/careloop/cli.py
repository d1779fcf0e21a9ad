"""The `careloop` command: the composition root for operators. Each domain adds its commands here."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError

from careloop import db, migrate
from careloop.auth import cli as auth_cli
from careloop.config import PROJECT_ROOT, get_settings, settings_problems
from careloop.integrations.fhir.cli import import_command
from careloop.integrations.hl7v2 import cli as hl7v2_cli
from careloop.population.cli import app as population_app
from careloop.synth import indexes
from careloop.synth.cli import seed
from careloop.synth.generator import PATIENT_TABLES
from careloop.users import cli as users_cli
from careloop.worker import cli as worker_cli

DEMO_DATABASE = PROJECT_ROOT / "var" / "demo.db"

app = typer.Typer(no_args_is_help=True, help="careloop: care coordination platform.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
app.add_typer(db_app, name="db")
app.add_typer(users_cli.app, name="user")
app.add_typer(auth_cli.app, name="token")
app.add_typer(worker_cli.jobs_app, name="jobs")
app.add_typer(population_app, name="population")
app.command("worker")(worker_cli.worker)
app.command("seed")(seed)
app.command("import")(import_command)
app.command("mllp")(hl7v2_cli.mllp_command)
app.command("simulate-adt")(hl7v2_cli.simulate_command)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Alembic revision to upgrade to.")) -> None:
    """Apply migrations to the database named by CARELOOP_DATABASE_URL."""
    migrate.upgrade(revision)
    # A seed killed outright leaves the patient tables without the indexes it builds after its load; an
    # upgrade puts back any that are missing (nothing to do, and nothing done, below the latest migration).
    indexes.restore(db.engine(), PATIENT_TABLES)
    typer.echo(f"database upgraded to {revision}")


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, min=1, max=65535),
    workers: int = typer.Option(1, min=1, max=64, help="API processes (use several on PostgreSQL)"),
) -> None:
    """Serve the web app and the JSON API (run `careloop worker` beside it for background work)."""
    from careloop.http.server import serve as run_server

    run_server(host, port, workers)


@app.command("demo")
def demo_command(
    patients: int = typer.Option(2000, min=10, max=2_000_000, help="size of the synthetic population"),
    seed: int = typer.Option(42, help="random seed; the same seed gives the same population"),
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, min=1, max=65535),
    reset: bool = typer.Option(False, "--reset", help="start again from a fresh database"),
    database: Path = typer.Option(DEMO_DATABASE, help="the SQLite file to use"),
    mllp_port: int = typer.Option(2575, min=0, max=65535, help="ADT feed listener port (0: no ADT feed)"),
    adt_rate: float = typer.Option(1.0, min=0.01, help="messages per second from the simulated hospital"),
) -> None:
    """Start the demo: SQLite database with a synthetic population, web app, API and worker in one process."""
    from careloop.demo import run_demo

    run_demo(patients=patients, seed=seed, host=host, port=port, reset=reset, database=database,
             mllp_port=mllp_port, adt_rate=adt_rate)


def main() -> None:
    try:
        get_settings()  # read before any command runs, so a bad setting is named, not met mid-way as a traceback
    except ValidationError as error:
        raise SystemExit(settings_problems(error)) from None
    app()
