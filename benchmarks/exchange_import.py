"""Benchmark: importing registers and department batches (issue 13), rows per second.

    python benchmarks/exchange_import.py                          # SQLite, 10,000 households
    python benchmarks/exchange_import.py --postgres --households 20000 --records 200000

For each file, in the same run and on the same bytes (wall and CPU time; the machine is shared):

- **read**: the spreadsheet reader alone (:func:`core.registers.files.read_sheet`: decoding,
  header, cells) — the peer every import pays;
- **dry run**: read, every row validated (ID numbers with the household model's own check,
  every cell), households built and compared with the stored ones — what ``doudi households
  import FILE`` prints;
- **commit**: the same, then every household written in ONE transaction through the households
  store (``--commit``);
- **re-import**: the same file again: everything compared, nothing written;
- department batch: a death list of ``--records`` rows (CSV), validated and written as Parquet
  with its provenance (``doudi exchange import deaths FILE --commit``).

Register files are example registers (``doudi households example``), XLSX and CSV.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stdnum.cn import ric  # noqa: E402

from core.access.tokens import create_user  # noqa: E402
from core.exchange.kinds import catalog  # noqa: E402
from core.exchange.store import import_batch  # noqa: E402
from core.policy.service import build_policy_base  # noqa: E402
from core.registers.examples import example_rows  # noqa: E402
from core.registers.files import read_sheet  # noqa: E402
from core.registers.store import import_register  # noqa: E402
from core.registers.template import COLUMNS, REQUIRED  # noqa: E402
from core.registers.writers import csv_bytes, xlsx_bytes  # noqa: E402
from core.settings import sqlite_url  # noqa: E402
from core.storage.engine import make_engine, make_session_factory, upgrade  # noqa: E402

COUNTY = "450326"
TODAY = dt.date(2026, 6, 1)


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed(f: Callable[[], Any]) -> tuple[float, float, Any]:
    w, c = time.perf_counter(), cpu()
    out = f()
    return time.perf_counter() - w, cpu() - c, out


def measure(
    url: str, households: int, records: int, folder: Path
) -> list[tuple[str, int, float, float]]:
    base = build_policy_base()
    reg = base.registry
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions() as s:
        clerk, _ = create_user(s, "clerk", "county_approver", "450300", reg)
    out = []
    for fmt in ("xlsx", "csv"):
        # two counties: the two files are different people
        rows = example_rows(COUNTY if fmt == "xlsx" else "450321", households, seed=7)
        content = xlsx_bytes(rows) if fmt == "xlsx" else csv_bytes(rows)
        n = len(rows) - 1
        name = f"register.{fmt}"
        w, c, _ = timed(
            lambda name=name, content=content: read_sheet(
                name, content, known=[x.header for x in COLUMNS], required=REQUIRED
            )
        )
        out.append((f"{fmt} register: read only (peer)", n, w, c))

        def run(commit: bool, name: str = name, content: bytes = content) -> Any:
            with sessions() as s:
                return import_register(s, clerk, name, content, reg, TODAY, commit=commit)

        w, c, r = timed(lambda: run(False))
        assert r.created == households
        out.append((f"{fmt} register: dry run", n, w, c))
        w, c, r = timed(lambda: run(True))
        assert r.created == households
        out.append((f"{fmt} register: commit ({households:,} households)", n, w, c))
        w, c, r = timed(lambda: run(True))
        assert r.unchanged == households
        out.append((f"{fmt} register: re-import (nothing changes)", n, w, c))
    deaths = [["身份证号", "姓名", "死亡日期"]]
    for i in range(records):
        body = f"{COUNTY}19{40 + i % 50:02d}0101{i % 1000:03d}"
        number = body + ric.calc_check_digit(body + "0")
        deaths.append([number, f"某{i}", f"2025-0{1 + i % 9}-1{i % 10}"])
    # a few thousand ID numbers repeat: the same person's record twice would be a duplicate
    seen: set[tuple[str, str]] = set()
    unique = [deaths[0]]
    for r in deaths[1:]:
        if (r[0], r[2]) not in seen:
            seen.add((r[0], r[2]))
            unique.append(r)
    content = csv_bytes(unique)
    with sessions() as s:
        w, c, report = timed(
            lambda: import_batch(
                s,
                clerk,
                catalog(),
                reg,
                folder,
                kind="deaths",
                department="公安",
                jurisdiction=COUNTY,
                batch_date=dt.date(2025, 10, 1),
                file_name="deaths.csv",
                content=content,
                today=TODAY,
                commit=True,
            )
        )
    out.append(("deaths batch (CSV): validated + Parquet + provenance", report.records, w, c))
    engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=10_000)
    ap.add_argument("--records", type=int, default=100_000)
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    where.add_argument("--database-url", default=None)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="doudi-bench-import-") as tmp:
        folder = Path(tmp)
        if args.database_url:
            url = args.database_url
            results = measure(url, args.households, args.records, folder)
        elif args.postgres:
            from tests.support.db_backends import PgCluster, PgServer, find_pg_bin

            bindir = find_pg_bin()
            if bindir is None:
                ap.error("PostgreSQL binaries (initdb, pg_ctl, postgres) not found")
            cluster = PgCluster(bindir)
            try:
                cluster.start()
                url = PgServer(cluster.admin_url).create_database()
                results = measure(url, args.households, args.records, folder)
            finally:
                cluster.stop()
        else:
            url = sqlite_url(folder / "doudi.sqlite3")
            results = measure(url, args.households, args.records, folder)
    backend = "postgresql" if "postgresql" in url else "sqlite"
    print(f"{backend}: rows per second (wall and CPU)")
    for what, n, w, c in results:
        print(
            f"  {what}: {n:,} rows in {w:.2f} s wall / {c:.2f} s CPU = {n / w:,.0f} rows/s "
            f"({n / c:,.0f} rows per CPU-second)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
