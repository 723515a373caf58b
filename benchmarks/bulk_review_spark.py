"""Benchmark: the same annual review on Spark local mode and on DuckDB — time, and that the results
are identical.

    python benchmarks/bulk_review_spark.py                  # 1,000,000 households
    python benchmarks/bulk_review_spark.py -n 100000

The snapshot of benchmarks/bulk_data.py (cached) gets cases: about 45 % of the households have a
dibao or tekun case, in payment, phasing out, applying or exited, with amounts (seeded). The
annual review job (core.bulk.jobs.review: scope, bulk decisions, proposals) runs in a fresh
process on each engine and writes its result rows to Parquet: DuckDB embedded, then Spark
``local[2]`` (PySpark, driver memory 4g). Reported: wall of the job and of the whole process
(with the JVM's start for Spark), CPU (Python plus, for Spark, the JVM's from /proc), the JVM's
peak RSS, the rows, and whether the two results are identical row for row (sorted by household
and program, every column compared).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bulk_data  # noqa: E402

STATES = ("active", "active", "active", "active", "phasing_out", "accepted", "in_publicity",
          "exited")  # fmt: skip


def with_cases(n: int) -> object:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from core.bulk.snapshot import FILES, SCHEMAS, open_snapshot

    snap = bulk_data.snapshot(n)
    sid = f"{snap.id}-cases"
    path = snap.path.parent / sid
    if (path / "manifest.json").is_file():
        return open_snapshot(path)
    tmp = path.with_name(f".{sid}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in FILES:
        if name != "cases":
            os.link(snap.file(name), tmp / f"{name}.parquet")
    households = pq.read_table(snap.file("households"), columns=["hh_id", "county", "province"])
    rng = random.Random(bulk_data.SEED)
    rows = []
    for hh, county, province in zip(*(households[c].to_pylist() for c in households.column_names),
                                    strict=True):  # fmt: skip
        if rng.random() > 0.45:
            continue
        program = "dibao" if rng.random() < 0.85 else "tekun"
        state = rng.choice(STATES)
        rows.append({
            "case_id": len(rows) + 1, "hh_id": hh, "program": program, "county": county,
            "prefecture": None, "province": province, "state": state,
            "version": rng.randrange(5, 9), "amount_fen": rng.randrange(10000, 300000),
            "benefit_from": None,
            "exit_on": bulk_data.AS_OF.replace(year=2023) if state == "exited" else None,
            "exit_reason": "moved_away" if state == "exited" else None,
            "phase_out_last_month": "2024-09" if state == "phasing_out" else None,
            "members_covered": ",", "mode": None,
        })  # fmt: skip
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMAS["cases"]), tmp / "cases.parquet")
    manifest = json.loads((snap.path / "manifest.json").read_text())
    manifest.update(id=sid, rows={**manifest["rows"], "cases": len(rows)})
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
    tmp.rename(path)
    return open_snapshot(path)


def _jvm(pid: int) -> tuple[float, int]:
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    cpu = (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")
    with open(f"/proc/{pid}/status") as f:
        hwm = next(line for line in f if line.startswith("VmHWM")).split()[1]
    return cpu, int(hwm) // 1024


def child(engine_name: str, path: str, out: str) -> None:
    w0 = time.perf_counter()
    from core.bulk import jobs
    from core.bulk.engines import DuckDBEngine, SparkEngine, spark_session
    from core.bulk.review import ReviewScope
    from core.bulk.snapshot import open_snapshot

    snap = open_snapshot(Path(path))
    base = bulk_data.policy()
    jvm_pid = None
    if engine_name == "spark":
        session = spark_session("local[2]", **{"spark.driver.memory": "4g"})
        jvm_pid = session.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
        engine = SparkEngine(session)
    else:
        engine = DuckDBEngine()
    w1, c1 = time.perf_counter(), time.process_time()
    j1 = _jvm(jvm_pid)[0] if jvm_pid else 0.0
    scope = ReviewScope(exited_since=bulk_data.AS_OF.replace(year=2023, month=1, day=1),
                        tags=("clergy_living_apart",))  # fmt: skip
    engine.to_parquet(jobs.review(engine, snap, base, bulk_data.AS_OF, scope), Path(out))
    w2, c2 = time.perf_counter(), time.process_time()
    j2, hwm = _jvm(jvm_pid) if jvm_pid else (0.0, 0)
    bulk_data.emit(
        {
            "engine": engine_name,
            "job_wall_s": round(w2 - w1, 2),
            "job_cpu_s": round(c2 - c1 + j2 - j1, 2),
            "process_wall_s": round(w2 - w0, 2),
            "startup_wall_s": round(w1 - w0, 2),
            "jvm_peak_rss_mib": hwm,
            "python_peak_rss_mib": bulk_data.peak_rss_mib(),
        }
    )
    engine.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1_000_000)
    ap.add_argument("--child", choices=["duckdb", "spark"], help=argparse.SUPPRESS)
    ap.add_argument("--path", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.path, args.out)
        return 0
    snap = with_cases(args.n)
    bulk_data.emit({"snapshot": str(snap.path), "rows": snap.manifest.rows})
    results = {}
    for name in ("duckdb", "spark"):
        out = bulk_data.cache_dir() / f"review-{name}.parquet"
        shutil.rmtree(out, ignore_errors=True) if out.is_dir() else out.unlink(missing_ok=True)
        load = bulk_data.loadavg()
        proc = subprocess.run(
            [sys.executable, __file__, "--child", name, "--path", str(snap.path), "--out",
             str(out)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        results[name] = out
        bulk_data.emit({**r, "load_before": load})
    import pyarrow.parquet as pq

    keys = [("hh_id", "ascending"), ("program", "ascending")]
    duck = pq.read_table(results["duckdb"]).sort_by(keys)
    spark = pq.read_table(results["spark"]).cast(duck.schema).sort_by(keys)
    same = duck.num_rows == spark.num_rows and all(
        duck[c].to_pylist() == spark[c].to_pylist() for c in duck.column_names
    )
    proposals = duck.group_by("proposal").aggregate([("hh_id", "count")]).to_pylist()
    bulk_data.emit({"rows": duck.num_rows, "identical": same,
                    "proposals": {p["proposal"]: p["hh_id_count"] for p in proposals}})  # fmt: skip
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
