"""Population benchmark: the full refresh (`careloop population run`: snapshot, every definition, write-back)
on an existing seeded database, then Charlson and CMS-HCC alone beside their peers on the same patients,
measured in the same run.

Each score is timed from the same in-memory inputs: ours is the score's definitions over the DuckDB
snapshot tables (dx, ages), the peer is comorbidipy's `comorbidity` over a pandas frame of the same codes
and ages, and hccpy's `HCCEngine.profile` per patient over lists of the same codes (inputs built before the
clock starts, for both). The ratio is peer time / our time.

    .venv/bin/careloop seed --patients 1000000          # once, into a database kept outside the repository
    CARELOOP_DATABASE_URL=sqlite:////work/popdata/pop1m.db .venv/bin/careloop db upgrade
    .venv/bin/python -m bench.bench_population --database-url sqlite:////work/popdata/pop1m.db
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from bench._common import TreeMemory, peak_rss_mb, print_table
from careloop import db
from careloop.access import system_actor
from careloop.population import catalog, engine, snapshot, writeback
from careloop.population.runner import Progress, run_population

# The scores alone, as the peer computes them (categories and scores), and with our evidence on top (the JSON
# the patient page explains each score with, which the peer has no equivalent of).
CHARLSON = ("ages", "dx", "charlson_code_categories", "charlson")
CHARLSON_WITH_EVIDENCE = (*CHARLSON, "charlson_categories", "charlson_counted", "charlson_evidence")
HCC = ("ages", "dx", "hcc_categories", "hcc_factors", "hcc")
HCC_WITH_EVIDENCE = (*HCC, "hcc_evidence")


def timed(work: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and CPU seconds (this process, all its threads: DuckDB's included)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def full_refresh(as_of: date) -> dict[str, float]:
    """The whole `careloop population run`, with the moments its phases ended (seconds from the start)."""
    before = children_cpu()
    start = time.perf_counter()
    marks: dict[str, float] = {}
    progress = Progress(advance=lambda label: marks.__setitem__(label, time.perf_counter() - start))
    with TreeMemory() as memory:
        wall, cpu, summary = timed(lambda: run_population(system_actor("bench", channel="cli"), as_of=as_of,
                                                          progress=progress))
    return {"wall": wall, "cpu_parent": cpu, "cpu_children": children_cpu() - before,
            "patients": summary.written["population_patient_results"], "gaps": summary.written["population_gaps"],
            "peak_parent_mb": peak_rss_mb(), "peak_tree_mb": memory.peak_mb,
            "snapshot_s": marks["snapshot read"], "computed_s": marks[summary_last_definition()],
            "visible_s": marks["written back"], "cleanup_s": cleanup(summary.run_id)}


def cleanup(run_id: int) -> float:
    """The worker's job after a run (population.remove_superseded): the older runs' rows deleted, timed alone."""
    started = time.perf_counter()
    writeback.remove_superseded(db.engine().url.render_as_string(hide_password=False), run_id)
    return time.perf_counter() - started


def summary_last_definition() -> str:
    return catalog.load_definitions()[-1].name


def snapshot_for_scores(url: str, as_of: date) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    with tempfile.TemporaryDirectory(prefix="careloop-bench-") as folder:
        snapshot.load_snapshot(con, url, Path(folder), as_of=as_of)
    engine.prepare(con, engine.Parameters(as_of))
    return con


def ours(con: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> tuple[float, float]:
    definitions = tuple(d for d in catalog.load_definitions() if d.name in names)
    engine.run_definitions(con, tuple(d for d in definitions if d.name in ("ages", "dx")))
    wall, cpu, _ = timed(lambda: engine.run_definitions(
        con, tuple(d for d in definitions if d.name not in ("ages", "dx"))))
    return wall, cpu


def comorbidipy_time(con: duckdb.DuckDBPyConnection) -> tuple[float, float, int]:
    import pandas.core.common  # type: ignore[import-untyped]  # no stubs: pandas only runs the peer

    pandas.core.common.SettingWithCopyWarning = Warning  # comorbidipy 0.5.0 imports a name pandas 3 removed
    from comorbidipy import comorbidity

    frame = con.execute("SELECT d.patient_id AS id, d.code, a.age FROM dx d JOIN ages a USING (patient_id)").df()
    wall, cpu, _ = timed(lambda: comorbidity(frame, id="id", code="code", age="age", score="charlson",
                                             icd="icd10", variant="quan", weighting="quan", assign0=True))
    return wall, cpu, int(frame["id"].nunique())


def hccpy_time(con: duckdb.DuckDBPyConnection, model: str) -> tuple[float, float, int]:
    from hccpy.hcc import HCCEngine

    rows = con.execute("""SELECT a.patient_id, a.age, a.gender, list(d.code) FILTER (WHERE d.code IS NOT NULL)
                          FROM ages a LEFT JOIN dx d USING (patient_id) GROUP BY ALL""").fetchall()
    people = [(codes or [], age, "M" if gender == "male" else "F", "CNA" if age >= 65 else "CND",
               "0" if age >= 65 else "1") for _, age, gender, codes in rows]
    hcc = HCCEngine(model)
    wall, cpu, _ = timed(lambda: [hcc.profile(c, age=a, sex=s, elig=e, orec=o) for c, a, s, e, o in people])
    return wall, cpu, len(people)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a seeded, migrated careloop database")
    parser.add_argument("--as-of", type=date.fromisoformat, default=datetime.now(UTC).date())
    parser.add_argument("--skip-refresh", action="store_true", help="time the scores and peers only")
    args = parser.parse_args()
    db.configure(args.database_url)

    if not args.skip_refresh:
        refresh = full_refresh(args.as_of)
        print(f"full refresh: {refresh['patients']:,} patients, {refresh['gaps']:,} gaps in {refresh['wall']:.1f} s "
              f"wall ({refresh['cpu_parent']:.1f} s CPU here, {refresh['cpu_children']:.1f} s in the ADBC children); "
              f"peak RSS {refresh['peak_parent_mb']:.0f} MB here, "
              f"{refresh['peak_tree_mb']:.0f} MB with the ADBC children (sampled, all at once)")
        print(f"  snapshot read at {refresh['snapshot_s']:.1f} s, definitions run at {refresh['computed_s']:.1f} s, "
              f"results written and visible at {refresh['visible_s']:.1f} s; load average {os.getloadavg()[0]:.1f}")
        print(f"  then the worker's clean-up job (older runs' rows deleted) took {refresh['cleanup_s']:.1f} s")

    con = snapshot_for_scores(args.database_url, args.as_of)
    charlson_wall, charlson_cpu = ours(con, CHARLSON)
    evidence_wall, evidence_cpu = ours(con, CHARLSON_WITH_EVIDENCE)
    hcc_wall, hcc_cpu = ours(con, HCC)
    hcc_evidence_wall, hcc_evidence_cpu = ours(con, HCC_WITH_EVIDENCE)
    comorbidipy_wall, comorbidipy_cpu, charlson_n = comorbidipy_time(con)
    hccpy_wall, hccpy_cpu, hcc_n = hccpy_time(con, "28")
    # CPU seconds are the fairer figure on a shared machine; wall seconds are what a user waits.
    print_table(["score", "patients", "careloop wall/CPU s", "peer", "peer wall/CPU s", "ratio wall", "ratio CPU"], [
        ["Charlson (Quan)", f"{charlson_n:,}", f"{charlson_wall:.2f} / {charlson_cpu:.2f}", "comorbidipy 0.5.0",
         f"{comorbidipy_wall:.2f} / {comorbidipy_cpu:.2f}", f"{comorbidipy_wall / charlson_wall:.1f}x",
         f"{comorbidipy_cpu / charlson_cpu:.1f}x"],
        ["Charlson + evidence JSON", f"{charlson_n:,}", f"{evidence_wall:.2f} / {evidence_cpu:.2f}",
         "comorbidipy 0.5.0 (no evidence)", f"{comorbidipy_wall:.2f} / {comorbidipy_cpu:.2f}",
         f"{comorbidipy_wall / evidence_wall:.1f}x", f"{comorbidipy_cpu / evidence_cpu:.1f}x"],
        ["CMS-HCC V28+V24, scores", f"{hcc_n:,}", f"{hcc_wall:.2f} / {hcc_cpu:.2f}", "hccpy 0.1.9 (V28 only)",
         f"{hccpy_wall:.2f} / {hccpy_cpu:.2f}", f"{hccpy_wall / hcc_wall:.1f}x", f"{hccpy_cpu / hcc_cpu:.1f}x"],
        ["CMS-HCC + evidence JSON", f"{hcc_n:,}", f"{hcc_evidence_wall:.2f} / {hcc_evidence_cpu:.2f}",
         "hccpy 0.1.9 (V28 only, no evidence)", f"{hccpy_wall:.2f} / {hccpy_cpu:.2f}",
         f"{hccpy_wall / hcc_evidence_wall:.1f}x", f"{hccpy_cpu / hcc_evidence_cpu:.1f}x"],
    ])


if __name__ == "__main__":
    main()
