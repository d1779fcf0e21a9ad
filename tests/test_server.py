"""`careloop serve --workers N`: N processes, each on its own SO_REUSEPORT socket (careloop.http.server)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(port: int, database_url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", "from careloop.cli import main; main()", "serve", "--port", str(port),
         "--workers", "2"],
        env={**os.environ, "CARELOOP_DATABASE_URL": database_url}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _healthy(port: int, within: float = 60) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                return answer.status == 200
        except OSError:
            time.sleep(0.3)
    return False


def _children(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return {int(p) for p in out.split()}


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="SO_REUSEPORT is Linux/BSD only")
def test_serve_runs_one_listener_per_process_and_stops_cleanly(migrated: str) -> None:
    port = _free_port()
    server = _serve(port, migrated)
    try:
        assert _healthy(port), server.stderr.read1().decode() if server.stderr else "no output"  # type: ignore[union-attr]
        children = _children(server.pid)
        assert len(children) >= 2
        listening = subprocess.run(["ss", "-Htlnp", f"sport = :{port}"], capture_output=True, text=True).stdout
        assert len(listening.strip().splitlines()) == 2  # two sockets on the one port, one per process
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
    deadline = time.monotonic() + 10  # the serving processes, and multiprocessing's resource tracker after them
    while any(os.path.exists(f"/proc/{pid}") for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if os.path.exists(f"/proc/{pid}")]


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="SO_REUSEPORT is Linux/BSD only")
def test_serve_refuses_a_port_that_is_taken(migrated: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = _serve(port, migrated)
        assert server.wait(timeout=60) != 0
        assert server.stderr is not None
        assert b"cannot listen on 127.0.0.1" in server.stderr.read()
