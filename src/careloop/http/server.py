"""`careloop serve`: uvicorn, with several processes that each listen on their own SO_REUSEPORT socket.

uvicorn's own `--workers` shares one listening socket between its processes, and whichever process is awake
first accepts the next connection. Clients that keep their connections open (an integration engine, a load
balancer, a browser's keep-alive) then stay where they first landed: in the API bench, one process often held
most of the 50 connections while the other idled, and throughput and latency changed from run to run with the
split (docs/decisions.md, "2026-12-04: one listening socket per server process"). With a socket per process,
bound with SO_REUSEPORT, the kernel spreads new connections across the processes evenly (by a hash of each
connection's addresses), as nginx's `reuseport` does.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
import time
from types import FrameType

import uvicorn

APP = "careloop.app:create_app"
# A process that dies is started again, but not in a tight loop if it dies at once every time.
RESTART_PAUSE_SECONDS = 1.0


def serve(host: str, port: int, workers: int) -> None:
    if workers == 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(APP, factory=True, host=host, port=port, workers=workers, log_level="warning",
                    access_log=False)
        return
    _check_port_free(host, port)
    _supervise(host, port, workers)


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _check_port_free(host: str, port: int) -> None:
    """SO_REUSEPORT would let us share a port another program (or a second careloop) is serving: refuse."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise SystemExit(f"cannot listen on {host}:{port}: {error.strerror}") from error


def _run_one(host: str, port: int) -> None:
    sock = _listening_socket(host, port)
    config = uvicorn.Config(APP, factory=True, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def _supervise(host: str, port: int, workers: int) -> None:
    context = multiprocessing.get_context("spawn")
    processes = [_start(context, host, port) for _ in range(workers)]
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping:
        time.sleep(0.2)
        for i, process in enumerate(processes):
            if not process.is_alive() and not stopping:
                print(f"careloop serve: process {process.pid} ended ({process.exitcode}); starting another",
                      file=sys.stderr)
                time.sleep(RESTART_PAUSE_SECONDS)
                processes[i] = _start(context, host, port)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=30)


def _start(context: multiprocessing.context.SpawnContext, host: str, port: int) -> multiprocessing.process.BaseProcess:
    process = context.Process(target=_run_one, args=(host, port), name="careloop-serve")
    process.start()
    return process
