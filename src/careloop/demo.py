"""`careloop demo`: one process with the web app, the JSON API and the worker on an embedded SQLite
database holding a synthetic population, so a newcomer can sign in and work within a minute."""

from __future__ import annotations

import threading
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from careloop import db, event_loop, migrate
from careloop.integrations.hl7v2 import listener as hl7_listener
from careloop.integrations.hl7v2 import simulate as hl7_simulate
from careloop.jobs_registry import build_registry, ensure_schedules
from careloop.models import Patient
from careloop.synth.generator import seed_population
from careloop.synth.staff import DEMO_PASSWORD, DEMO_STAFF
from careloop.worker.runner import Worker

console = Console()

# The simulated hospital replays about ten days of ADT traffic ending now (seven simulated minutes a message).
DEMO_ADT_MESSAGES = 2000


def run_demo(*, patients: int, seed: int, host: str, port: int, reset: bool, database: Path,
             mllp_port: int = 2575, adt_rate: float = 1.0) -> None:
    """SQLite database, synthetic population, then the web app, API, worker and the simulated hospital's
    ADT feed (an MLLP listener plus a sender, when mllp_port is not 0) until Ctrl+C."""
    if reset:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
    db.configure(f"sqlite:///{database}")
    migrate.upgrade()
    _seed_if_empty(patients, seed)
    db.long_running_writer()
    stop = threading.Event()
    worker_thread = _start_worker(stop)
    if mllp_port:
        _start_adt_feed(host, mllp_port, adt_rate)
    _print_banner(host, port, database)
    try:
        _serve(host, port)
    finally:
        stop.set()
        worker_thread.join(timeout=10)


def _seed_if_empty(patients: int, seed: int) -> None:
    with db.unit_of_work() as session:
        existing = session.scalar(select(func.count()).select_from(Patient)) or 0
    if existing:
        console.print(f"Using the existing population of {existing:,} patients (--reset starts again).")
        return
    columns = (TextColumn("Seeding synthetic patients"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task("seed", total=patients)
        seed_population(db.engine(), patients=patients, seed=seed, progress=lambda n: progress.advance(bar, n))


def _start_worker(stop: threading.Event) -> threading.Thread:
    registry = build_registry()
    with db.unit_of_work() as session:
        ensure_schedules(session)
    worker = Worker(registry, worker_id="demo-worker")
    thread = threading.Thread(target=worker.run_forever, args=(stop,), name="careloop-worker", daemon=True)
    thread.start()
    return thread


def _start_adt_feed(host: str, port: int, rate: float) -> None:
    """The MLLP listener and a simulated hospital sending to it, each in a daemon thread: an ACK is only sent
    after its message committed, so stopping the demo at any moment loses nothing the sender was told."""
    listening = threading.Event()

    def listen() -> None:
        try:
            event_loop.run(hl7_listener.serve(host, port, on_ready=lambda _: listening.set(), handle_signals=False))
        except OSError as exc:
            console.print(f"[yellow]No ADT feed: port {port} is not free ({exc.strerror}); try --mllp-port.[/]")
            listening.set()

    def send() -> None:
        if listening.wait(30):
            event_loop.run(hl7_simulate.simulate(host, port, rate=rate, count=DEMO_ADT_MESSAGES, seed=7,
                                                 patients=200))

    threading.Thread(target=listen, name="careloop-mllp", daemon=True).start()
    threading.Thread(target=send, name="careloop-adt-simulator", daemon=True).start()
    console.print(f"ADT feed: MLLP on {host}:{port}, a simulated hospital sending {rate:g} message(s)/s")


def _print_banner(host: str, port: int, database: Path) -> None:
    console.rule("[bold]careloop demo")
    console.print(f"Open [bold cyan]http://{host}:{port}/[/] (API docs: http://{host}:{port}/api/docs)")
    console.print(f"Database: {database}")
    console.print(f"Sign in with any of these (password [bold]{DEMO_PASSWORD}[/]):")
    for person in DEMO_STAFF:
        console.print(f"  [bold]{person.username:<14}[/] {person.display_name} ({', '.join(person.roles)})")
    console.print("Press Ctrl+C to stop.")


def _serve(host: str, port: int) -> None:
    import uvicorn

    from careloop.app import create_app

    uvicorn.run(create_app(), host=host, port=port, log_level="warning", access_log=False)
