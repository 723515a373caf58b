"""Benchmark: 10,000,000 households decided on this machine (2 cores, 24 GiB) — completes, with
its peak memory.

    python benchmarks/bulk_10m.py                 # 10 × the cached 1,000,000-household snapshot
    python benchmarks/bulk_10m.py --copies 3 --programs dibao,low_income,tekun

The 10,000,000-household snapshot is the 1,000,000 of benchmarks/bulk_data.py written ten times
with new household ids and member numbers (pyarrow, one file at a time: bounded memory; not
timed), since generating ten million households in Python would take the better part of an
hour. Then, in a fresh process, DuckDB decides every household (the same job as
benchmarks/bulk_decide.py) and writes the decisions to Parquet. Reported: wall and CPU of the job
and of the process, the peak RSS of that process (ru_maxrss), DuckDB's own peak buffer memory is
bounded by its default memory_limit (80 % of RAM; nothing spills at this size), the decisions by
status, and the load average.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bulk_data  # noqa: E402


def replicated(copies: int) -> object:
    """The 1M snapshot written ``copies`` times with new ids (cached)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from core.bulk.snapshot import FILES, Manifest, open_snapshot

    one = bulk_data.snapshot(1_000_000)
    sid = f"{one.id}-x{copies}"
    path = one.path.parent / sid
    if (path / "manifest.json").is_file():
        return open_snapshot(path)
    tmp = path.with_name(f".{sid}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    hh_max = pc.max(pq.read_table(one.file("households"), columns=["hh_id"])["hh_id"]).as_py()
    pid_max = pc.max(pq.read_table(one.file("members"), columns=["pid"])["pid"]).as_py()
    rows = {}
    for name in FILES:
        src = pq.ParquetFile(one.file(name))
        writer = pq.ParquetWriter(tmp / f"{name}.parquet", src.schema_arrow, compression="zstd")
        n = 0
        for k in range(copies):
            for i in range(src.num_row_groups):
                t = src.read_row_group(i)
                cols = {}
                for c in t.column_names:
                    col = t[c]
                    if c == "hh_id" or (c == "case_id"):
                        col = pc.add(col, pa.scalar(k * (hh_max + 1), pa.int64()))
                    elif c == "pid":
                        col = pc.add(col, pa.scalar(k * (pid_max + 1), pa.int64()))
                    cols[c] = col
                writer.write_table(pa.table(cols, schema=src.schema_arrow))
                n += t.num_rows
        writer.close()
        rows[name] = n
    m = one.manifest
    manifest = Manifest(sid, m.jurisdiction, m.jurisdiction_name, m.as_of, m.taken_at,
                        m.source, m.isolation, rows=rows, counties=m.counties,
                        note=f"{copies} copies of {one.id} with new ids")  # fmt: skip
    (tmp / "manifest.json").write_text(json.dumps(manifest.to_json(), indent=2))
    tmp.rename(path)
    return open_snapshot(path)


def child(path: str, programs: str, out: str) -> None:
    import resource

    w0, c0 = time.perf_counter(), time.process_time()
    from core.bulk import jobs
    from core.bulk.engines import DuckDBEngine
    from core.bulk.snapshot import open_snapshot

    snap = open_snapshot(Path(path))
    base = bulk_data.policy()
    w1, c1 = time.perf_counter(), time.process_time()
    engine = DuckDBEngine()
    decisions, _c, _l = jobs.decide(
        engine, snap, [("baseline", base)], bulk_data.AS_OF, tuple(programs.split(","))
    )
    engine.to_parquet(decisions, Path(out))
    w2, c2 = time.perf_counter(), time.process_time()
    counts = engine.to_arrow(
        engine.read_parquet(Path(out), "d")
        .group_by(["program", "status"])
        .aggregate(n=lambda t: t.count())
    ).to_pylist()
    engine.close()
    bulk_data.emit(
        {
            "job_wall_s": round(w2 - w1, 2),
            "job_cpu_s": round(c2 - c1, 2),
            "process_wall_s": round(w2 - w0, 2),
            "process_cpu_s": round(c2 - c0, 2),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "decisions": sorted((r["program"], r["status"], r["n"]) for r in counts),
        }
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=10)
    ap.add_argument("--programs", default="dibao")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.programs, args.out)
        return 0
    t0 = time.perf_counter()
    snap = replicated(args.copies)
    bulk_data.emit({"snapshot": str(snap.path), "rows": snap.manifest.rows,
                    "prepared_s": round(time.perf_counter() - t0, 1)})  # fmt: skip
    out = bulk_data.cache_dir() / "decisions-10m.parquet"
    if out.exists():
        out.unlink()
    load = bulk_data.loadavg()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(snap.path), "--programs", args.programs,
         "--out", str(out)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    bulk_data.emit({"households": snap.manifest.rows["households"], "programs": args.programs,
                    **result, "load_before": load})  # fmt: skip
    out.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
