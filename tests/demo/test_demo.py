"""`careloop demo`, as a newcomer runs it: one process seeds an embedded SQLite database, serves the web app
and the API, runs the worker, and prints where to go and how to sign in."""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from careloop.synth.staff import DEMO_PASSWORD


@pytest.fixture(autouse=True)
def _once(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the demo always runs on its own embedded SQLite file; the SQLite run covers it")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, subprocess.Popen[str]]]:
    database = tmp_path_factory.mktemp("demo") / "demo.db"
    port = _free_port()
    command = [str(Path(sys.executable).with_name("careloop")), "demo", "--patients", "300", "--port", str(port),
               "--database", str(database)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base, database, process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_until_up(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the demo exited early:\n{process.stdout.read() if process.stdout else ''}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail("the demo did not start serving within 3 minutes")


def test_demo_serves_a_seeded_population_the_coordinator_can_work(demo: tuple[str, Path, object]) -> None:
    base, _, _ = demo
    with httpx.Client(base_url=base, timeout=30) as client:
        signed_in = client.post("/api/v1/auth/login", json={"username": "coordinator", "password": DEMO_PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        worklist = client.get("/api/v1/worklist").json()
        assert worklist["total"] > 0
        panel = client.get("/api/v1/patients").json()
        assert panel["total"] > 0
        page = client.get("/worklist")
        assert page.status_code == 200 and "Cora Lindqvist" in page.text  # the signed-in web page
        assert client.get("/api/docs").status_code == 200


def test_demo_runs_the_worker_in_process(demo: tuple[str, Path, object]) -> None:
    _, database, _ = demo
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with sqlite3.connect(database) as conn:
            done = conn.execute("SELECT count(*) FROM jobs WHERE kind = 'tasks.sweep_overdue' AND status = 'done'")
            if done.fetchone()[0] > 0:
                break
        time.sleep(0.5)
    else:
        pytest.fail("the overdue sweep never ran in the demo's worker")
    with sqlite3.connect(database) as conn:
        notified = conn.execute("SELECT count(*) FROM notifications WHERE kind = 'task.overdue'").fetchone()[0]
    assert notified > 0  # the seeded population has overdue tasks
