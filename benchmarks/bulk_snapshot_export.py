"""Benchmark: snapshot export of 1,000,000 stored households from PostgreSQL, in rows per second,
against a raw ``COPY`` of the same rows — same run, same server; and the same from SQLite.

    python benchmarks/bulk_snapshot_export.py                  # 1,000,000 households, 3 rounds
    python benchmarks/bulk_snapshot_export.py -n 100000 --rounds 1 --no-sqlite

A throwaway PostgreSQL 15 cluster (tests/support/db_backends.py; fsync off, as in the tests) is
migrated and loaded with N generated household documents (benchmarks/bulk_data.py: doudi's
stored JSON, 1–6 members with income, spending, deaths …) by COPY FROM (not timed). Then, each
in a fresh process, alternating:

- raw COPY: ``COPY (SELECT id, version, county, prefecture, province, document FROM households
  ORDER BY id) TO STDOUT`` drained by psycopg, nothing parsed — the floor any export pays;
- doudi: :func:`core.bulk.snapshot_store.export_snapshot` of the province-less national scope —
  one REPEATABLE READ, READ ONLY transaction, NDJSON through COPY, pyarrow's streaming JSON
  reader, Arrow flattening, six zstd Parquet files with a manifest and checksums.

Reported per run: wall, the client's CPU, peak RSS of the client process, households/s and rows/s
(households + members + income + expenses + documents written), with the load average; the
summary gives medians and doudi's rate as a fraction of the raw COPY's. SQLite: the same export
from an SQLite file holding the same documents.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bulk_data  # noqa: E402


def load_postgres(url: str, n: int) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    from core.storage.engine import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    u = make_url(url)
    with psycopg.connect(host=u.host, port=u.port, user=u.username, dbname=u.database) as conn:
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY households (id, county, prefecture, province, document, version, created_at, "
                "updated_at) FROM STDIN"
            ) as copy,
        ):
            for doc in bulk_data.documents(n):
                meta = {k: doc.pop(k) for k in ("_id", "_version", "_prefecture", "_province")}
                copy.write_row(
                    (meta["_id"], doc["county"], meta["_prefecture"], meta["_province"],
                     json.dumps(doc, ensure_ascii=False), 1, "2024-01-01", "2024-01-01")
                )  # fmt: skip
        conn.execute("SELECT setval('households_id_seq', %s)", (n,))
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE households")


def load_sqlite(path: Path, n: int) -> str:
    import sqlite3

    from core.settings import sqlite_url
    from core.storage.engine import make_engine, upgrade

    url = sqlite_url(path)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    con = sqlite3.connect(path)
    rows = []
    for doc in bulk_data.documents(n):
        meta = {k: doc.pop(k) for k in ("_id", "_version", "_prefecture", "_province")}
        rows.append((meta["_id"], doc["county"], meta["_prefecture"], meta["_province"],
                     json.dumps(doc, ensure_ascii=False), 1))  # fmt: skip
        if len(rows) == 50_000:
            _sqlite_insert(con, rows)
            rows = []
    _sqlite_insert(con, rows)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return url


def _sqlite_insert(con, rows) -> None:
    con.executemany(
        "INSERT INTO households (id, county, prefecture, province, document, version, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, '2024-01-01 00:00:00', '2024-01-01 00:00:00')",
        rows,
    )
    con.commit()


def child_raw(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    w0, c0 = time.perf_counter(), time.process_time()
    rows = size = 0
    query = (
        "COPY (SELECT id, version, county, prefecture, province, document FROM households "
        "ORDER BY id) TO STDOUT"
    )
    with (
        psycopg.connect(host=u.host, port=u.port, user=u.username, dbname=u.database) as conn,
        conn.cursor() as cur,
        cur.copy(query) as copy,
    ):
        for chunk in copy:  # one row per chunk
            rows += 1
            size += len(chunk)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    bulk_data.emit(
        {"households": rows, "bytes": size, "wall_s": wall, "cpu_s": cpu,
         "peak_rss_mib": bulk_data.peak_rss_mib()}
    )  # fmt: skip


def child_export(url: str, out: str) -> None:
    from core.bulk.snapshot_store import export_snapshot
    from core.policy.jurisdictions import load_registry
    from core.storage.engine import make_engine

    registry = load_registry()
    engine = make_engine(url)
    w0, c0 = time.perf_counter(), time.process_time()
    snap = export_snapshot(engine, registry, "000000", bulk_data.AS_OF, Path(out))
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    engine.dispose()
    rows = snap.manifest.rows
    bulk_data.emit({"households": rows["households"], "rows": rows, "wall_s": wall, "cpu_s": cpu,
                    "peak_rss_mib": bulk_data.peak_rss_mib()})  # fmt: skip


def _child(*args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _rates(r: dict) -> dict:
    written = sum(v for k, v in r.get("rows", {}).items() if k != "cases")
    out = {
        "wall_s": round(r["wall_s"], 2),
        "cpu_s": round(r["cpu_s"], 2),
        "households_per_s": round(r["households"] / r["wall_s"]),
        "peak_rss_mib": r["peak_rss_mib"],
    }
    if written:
        out["rows_per_s"] = round(written / r["wall_s"])
        out["rows"] = written
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--child", choices=["raw", "export"], help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child == "raw":
        child_raw(args.url)
        return 0
    if args.child == "export":
        child_export(args.url, args.out)
        return 0

    from tests.support.db_backends import PgCluster, PgServer, find_pg_bin

    bindir = find_pg_bin()
    if bindir is None:
        print("PostgreSQL binaries not found", file=sys.stderr)
        return 1
    cluster = PgCluster(bindir)
    cluster.start()
    work = Path(tempfile.mkdtemp(prefix="doudi-export-bench-"))
    try:
        url = PgServer(cluster.admin_url).create_database()
        t0 = time.perf_counter()
        load_postgres(url, args.n)
        bulk_data.emit({"loaded_postgresql_s": round(time.perf_counter() - t0, 1),
                        "households": args.n})  # fmt: skip
        raw, doudi = [], []
        for k in range(args.rounds):
            load = bulk_data.loadavg()
            r = _rates(_child("--child", "raw", "--url", url))
            raw.append(r)
            bulk_data.emit({"round": k + 1, "raw_copy": r, "load_before": load})
            load = bulk_data.loadavg()
            d = _rates(_child("--child", "export", "--url", url, "--out", str(work / f"pg{k}")))
            doudi.append(d)
            bulk_data.emit({"round": k + 1, "doudi_export": d, "load_before": load})
        summary = {
            "households": args.n,
            "raw_copy_median_wall_s": statistics.median(r["wall_s"] for r in raw),
            "export_median_wall_s": statistics.median(r["wall_s"] for r in doudi),
            "export_median_cpu_s": statistics.median(r["cpu_s"] for r in doudi),
            "raw_copy_households_per_s": statistics.median(r["households_per_s"] for r in raw),
            "export_households_per_s": statistics.median(r["households_per_s"] for r in doudi),
            "export_rows_per_s": statistics.median(r["rows_per_s"] for r in doudi),
            "export_rows": doudi[0]["rows"],
            "export_peak_rss_mib": max(r["peak_rss_mib"] for r in doudi),
        }
        summary["export_rate_vs_raw_copy"] = round(
            summary["export_households_per_s"] / summary["raw_copy_households_per_s"], 2
        )
        if not args.no_sqlite:
            path = work / "doudi.sqlite3"
            surl = load_sqlite(path, args.n)
            load = bulk_data.loadavg()
            s = _rates(_child("--child", "export", "--url", surl, "--out", str(work / "sq")))
            bulk_data.emit({"sqlite_export": s, "load_before": load})
            summary["sqlite_export_households_per_s"] = s["households_per_s"]
            summary["sqlite_export_rows_per_s"] = s["rows_per_s"]
            summary["sqlite_export_peak_rss_mib"] = s["peak_rss_mib"]
        bulk_data.emit({"summary": summary})
    finally:
        cluster.stop()
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
