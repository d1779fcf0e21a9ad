"""API load benchmark: the worklist and patient-record endpoints under concurrent clients.

Seeds a population, starts `careloop serve` with N processes, and drives it with wrk (a C load generator,
Debian's package) from 127.0.0.1 only. The peer measured in the same run is the same server's bare
/healthz route (framework + one SELECT 1): the ratio says how much of the framework's ceiling our real
endpoints keep.

    .venv/bin/python -m bench.bench_api --patients 100000 --backend sqlite
    .venv/bin/python -m bench.bench_api --patients 100000 --backend postgresql
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sqlalchemy import select

from bench._common import RESULTS, fresh_database, print_table
from careloop import db
from careloop.access import load_actor, visible_patient_ids
from careloop.auth import service as auth
from careloop.models import Patient
from careloop.synth.generator import seed_population
from careloop.users import repository as users_repo

WRK_SCRIPT = """
local paths = {}
local think_ms = 0
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  think_ms = tonumber(args[2] or "0")
end
-- Each pause is drawn from an exponential distribution with the think time as its mean (the usual model of
-- people's think times, as in TPC-C): fixed pauses keep the 50 clients in lockstep, so they arrive in bursts of
-- 50 and measure the bursts' queue rather than the offered rate.
delay = function()
  if think_ms <= 0 then return 0 end
  return math.min(10 * think_ms, math.floor(-think_ms * math.log(1 - math.random())))
end
request = function()
  return wrk.format("GET", paths[math.random(#paths)], {["Authorization"] = "Bearer " .. os.getenv("TOKEN")})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors=%d non2xx=%d p50=%d p95=%d p99=%d mean=%d duration_us=%d\\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean,
    summary.duration))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def coordinator_token_and_paths(username: str) -> tuple[str, list[str], list[str]]:
    with db.unit_of_work() as session:
        user = users_repo.by_username(session, username)
        assert user is not None, f"the seed made no user {username}"
        token = auth.create_api_token(session, user, name="load benchmark", days=1).token
        actor = load_actor(session, user, channel="api")
        ids = session.scalars(select(Patient.public_id).where(Patient.id.in_(visible_patient_ids(actor)))).all()
    patients = [f"/api/v1/patients/{pid}" for pid in ids]
    worklists = ["/api/v1/worklist", "/api/v1/worklist?due=overdue", "/api/v1/worklist?due=week",
                 "/api/v1/worklist?page=2", "/api/v1/worklist?type=outreach"]
    return token, worklists, patients


def start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CARELOOP_DATABASE_URL": url}
    cmd = [sys.executable, "-c", "from careloop.cli import main; main()", "serve", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(cmd, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("the server did not start")


def run_wrk(port: int, paths: list[str], token: str, *, seconds: int, connections: int,
            think_ms: int = 0) -> dict[str, float]:
    """wrk from 127.0.0.1. With think_ms, each connection waits that long between requests (a client that
    reads what it got), so the offered load is about connections / think time; without, as fast as it can."""
    with tempfile.TemporaryDirectory() as folder:
        script, path_file = Path(folder) / "bench.lua", Path(folder) / "paths.txt"
        script.write_text(WRK_SCRIPT)
        path_file.write_text("\n".join(paths) + "\n")
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
             f"http://127.0.0.1:{port}", "--", str(path_file), str(think_ms)],
            env={**os.environ, "TOKEN": token}, capture_output=True, text=True, check=True,
        ).stdout
    match = re.search(r"RESULT (.*)", out)
    assert match, out
    fields = {k: float(v) for k, v in (kv.split("=") for kv in match.group(1).split())}
    return {"rps": fields["requests"] / (fields["duration_us"] / 1e6), "p50_ms": fields["p50"] / 1000,
            "p95_ms": fields["p95"] / 1000, "p99_ms": fields["p99"] / 1000, "mean_ms": fields["mean"] / 1000,
            "errors": fields["errors"] + fields["non2xx"], "requests": fields["requests"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5, help="seconds of unrecorded load before each endpoint")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--user", default="coordinator", help="the seeded account whose worklist is read")
    parser.add_argument("--rate", type=int, default=300,
                        help="the paced run's offered load in requests/s across all connections (issue 2's target)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")

    with fresh_database(args.backend) as url:
        started = time.perf_counter()
        seed_population(db.engine(), patients=args.patients, seed=7)
        print(f"seeded {args.patients:,} patients on {args.backend} in {time.perf_counter() - started:.1f}s")
        token, worklists, patients = coordinator_token_and_paths(args.user)
        db.engine().dispose()
        port = free_port()
        server = start_server(url, port, args.workers)
        try:
            results = drive(port, token, worklists, patients, args)
        finally:
            server.terminate()
            server.wait(timeout=30)
    report(args, results, len(patients))


def drive(port: int, token: str, worklists: list[str], patients: list[str],
          args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """Each endpoint twice: saturated (every client sends its next request as soon as the last is answered:
    the most the server does, with latency then fixed by Little's law at clients / throughput), and paced at
    the target rate (the latency clients see when the server is asked for that much)."""
    mixes = {"healthz (peer: bare framework)": ["/healthz"], "worklist": worklists, "patient record": patients}
    results: dict[str, dict[str, float]] = {}
    for name, paths in mixes.items():
        # Warm-up, not recorded: each process's connections, prepared statements and caches for this endpoint
        # (on PostgreSQL the first seconds of a cold endpoint ran at two thirds of its steady rate).
        run_wrk(port, paths, token, seconds=args.warmup, connections=args.connections)
        results[f"{name}, saturated"] = run_wrk(port, paths, token, seconds=args.seconds,
                                                connections=args.connections)
        if name != "healthz (peer: bare framework)":
            think_ms = paced_think_ms(port, paths, token, args)
            results[f"{name}, paced at {args.rate}/s (think {think_ms} ms)"] = run_wrk(
                port, paths, token, seconds=args.seconds, connections=args.connections, think_ms=think_ms)
    return results


def paced_think_ms(port: int, paths: list[str], token: str, args: argparse.Namespace) -> int:
    """The wait between a client's requests that offers a little more than the target rate.

    wrk's clients are a closed loop: each waits for its answer, then thinks, so the rate they offer is clients /
    (think + response time). A fixed think time offers less than the target as soon as answers take time (at
    150 ms of think and a 19 ms median answer, 296 a second instead of 333). So a short paced run first
    measures the mean answer at about the target, and the think time is what is left of each client's cycle
    after it, 3 % short so the offer is just above the target. The mean, not the median: answer times are
    skewed to the right, and with the median the offer fell 1-2 % short of the target. A server that cannot
    keep up answers slowly, the think time shrinks towards none, and the run shows it saturated."""
    cycle_ms: float = 1000 * args.connections / args.rate / 1.03
    probe = run_wrk(port, paths, token, seconds=5, connections=args.connections, think_ms=max(1, round(cycle_ms)))
    return max(1, round(cycle_ms - probe["mean_ms"]))


def report(args: argparse.Namespace, results: dict[str, dict[str, float]], panel_size: int) -> None:
    base = results["healthz (peer: bare framework), saturated"]["rps"]
    print(f"\n{args.backend}, {args.patients:,} patients, {args.connections} clients, {args.seconds}s each, "
          f"{args.workers} server processes, panel of {panel_size} patients")
    print_table(
        ["endpoint", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "vs healthz"],
        [[name, f"{r['rps']:.0f}", f"{r['p50_ms']:.1f}", f"{r['p95_ms']:.1f}", f"{r['p99_ms']:.1f}",
          f"{r['errors']:.0f}", f"{r['rps'] / base:.2f}"] for name, r in results.items()],
    )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"api-{args.backend}-{args.patients}.json"
    out.write_text(json.dumps({"args": vars(args), "results": results}, indent=2))


if __name__ == "__main__":
    main()
