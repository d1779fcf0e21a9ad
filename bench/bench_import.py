"""FHIR import throughput: the Synthea samples (transaction bundles and bulk NDJSON) and a generated
N-patient Bulk Data NDJSON set, each imported into a fresh database, beside the rate at which orjson alone
reads and parses the same files, measured in the same run (the peer: no import can beat it).

    .venv/bin/python -m bench.bench_import --backend sqlite
    .venv/bin/python -m bench.bench_import --backend postgresql --patients 100000

The generated set is built from the bulk-10-patients sample (bench/fhir_population.py): about 38 resources
per patient, shared provider directory. Each input is then imported a second time into the same database
(all unchanged: a nightly feed that sends everything again). The machine is shared, so each import's
process CPU time (user + system, this process only: on PostgreSQL the server's work is not in it) and the
load average are printed beside the wall time. Figures go to stdout and
bench/results/import-<backend>-<n>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from bench._common import RESULTS, fresh_database, peak_rss_mb, print_table
from bench.fhir_population import write_population
from bench.import_floor import Floor, measure_floors, row_counts, sqlite_path
from careloop.integrations.fhir import import_paths
from careloop.integrations.fhir.reader import plan

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"  # as tests.conftest.shared_data_dir


def parse_only(paths: list[Path]) -> tuple[int, float]:
    """(resources, seconds) to read the same files and parse them with orjson, nothing else: the bytes, split
    into lines, one orjson.loads per NDJSON line (a bundle: one loads per file, counted by its entries)."""
    started = time.perf_counter()
    resources = 0
    loads = orjson.loads
    for source in plan(paths).sources:
        data = source.path.read_bytes()
        if source.path.name.endswith(".ndjson"):
            for line in data.splitlines():
                if line:
                    loads(line)
                    resources += 1
        else:
            resources += len(loads(data).get("entry", ()))
    return resources, time.perf_counter() - started


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(name: str, backend: str, paths: list[Path], rows: list[list[str]], results: dict[str, object],
            parse: Callable[[list[Path]], tuple[int, float]] = parse_only) -> None:
    # The better of two passes (the second reads from a warm page cache, as the import then does too).
    parsed, parse_seconds = min((parse(paths) for _ in range(2)), key=lambda found: found[1])
    parse_rate = parsed / parse_seconds
    with fresh_database(backend) as url:
        for run in ("first", "again"):
            before = row_counts(sqlite_path(url)) if backend == "sqlite" and run == "first" else None
            load, cpu_before = os.getloadavg()[0], cpu_seconds()
            summary = import_paths(paths, source="bench")
            cpu = cpu_seconds() - cpu_before
            imported = summary.totals.read
            rate = imported / summary.seconds
            label = name if run == "first" else f"  the same again ({summary.totals.unchanged:,} unchanged)"
            rows.append([label, f"{imported:,}", f"{summary.seconds:.1f}", f"{rate:,.0f}", f"{parse_rate:,.0f}",
                         f"{rate / parse_rate:.2f}", f"{cpu:.1f}", f"{load:.1f}"])
            results[f"{name} ({run})"] = {
                "resources": imported, "seconds": summary.seconds, "import_per_s": rate,
                "orjson_parse_per_s": parse_rate, "ratio": rate / parse_rate, "process_cpu_s": cpu,
                "load_average_before": load, "unchanged": summary.totals.unchanged,
                "rejected": summary.rejected_total, "unresolved": sum(summary.unresolved.values())}
            print(f"  {name} ({run}): {imported:,} resources, {rate:,.0f}/s imported, {parse_rate:,.0f}/s parsed, "
                  f"{cpu:.1f} s CPU, load {load:.1f}", flush=True)
            if before is not None:
                floors(name, imported, parse_rate, measure_floors(sqlite_path(url), before, imported), rows, results)


def floors(name: str, imported: int, parse_rate: float, found: tuple[Floor, Floor], rows: list[list[str]],
           results: dict[str, object]) -> None:
    """SQLite alone writing the rows the first import wrote (bench/import_floor.py): no import can be faster."""
    for label, floor in zip(("store floor: SQLite alone, every row written", "store floor: the resources and "
                             "their JSON only"), found, strict=True):
        rate = imported / floor.seconds
        rows.append([f"  {label}", f"{imported:,}", f"{floor.seconds:.1f}", f"{rate:,.0f}", f"{parse_rate:,.0f}",
                     f"{rate / parse_rate:.2f}", f"{floor.cpu_seconds:.1f}", ""])
        results[f"{name} ({label})"] = {"resources": imported, "rows": floor.rows, "tables": list(floor.tables),
                                        "seconds": floor.seconds, "cpu_s": floor.cpu_seconds, "resources_per_s": rate,
                                        "orjson_parse_per_s": parse_rate, "ratio": rate / parse_rate}
        print(f"  {label}: {floor.rows:,} rows in {len(floor.tables)} tables, {floor.seconds:.1f} s = {rate:,.0f} "
              f"resources/s ({rate / parse_rate:.2f} of orjson's rate)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--patients", type=int, default=100_000, help="size of the generated NDJSON set")
    parser.add_argument("--encounters", type=int, default=5, help="recent encounters kept per generated patient")
    args = parser.parse_args()
    data = SHARED_DATA
    if not data.is_dir():
        raise SystemExit("../shared/data is needed (the Synthea samples); see ../shared/data/README.md")
    synthea = data / "synthea"
    bundles = synthea / "bundles"
    rows: list[list[str]] = []
    results: dict[str, object] = {}
    print(f"FHIR import on {args.backend} ({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})",
          flush=True)
    measure("Synthea bundles (5 files)", args.backend,
            [bundles / "hospital-information.json", bundles / "practitioner-information.json",
             *sorted(bundles.glob("patient-*.json"))], rows, results)
    measure("Synthea bulk NDJSON (13 patients)", args.backend,
            sorted(p for p in (synthea / "bulk-10-patients").glob("*.ndjson") if p.name[0].isupper()), rows,
            results)
    with tempfile.TemporaryDirectory(prefix="careloop-fhir-") as folder:
        started = time.perf_counter()
        written = write_population(synthea / "bulk-10-patients", Path(folder), args.patients, args.encounters)
        print(f"  generated {args.patients:,} patients ({written:,} resources) in "
              f"{time.perf_counter() - started:.0f}s", flush=True)
        measure(f"generated NDJSON ({args.patients:,} patients)", args.backend, sorted(Path(folder).glob("*.ndjson")),
                rows, results)
    print()
    print_table(["input", "resources", "seconds", "import/s", "orjson parse/s", "ratio", "CPU s", "load"], rows)
    print(f"peak RSS {peak_rss_mb():.0f} MB")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"import-{args.backend}-{args.patients}.json"
    out.write_text(json.dumps({"args": vars(args), "results": results}, indent=2))


if __name__ == "__main__":
    main()
