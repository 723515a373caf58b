"""Benchmark: a comparison (比对, issue 13) of 1,000,000 recipients against 10,000,000 department
records, findings and tasks written, beside a bare join of the same ID columns in the same engine.

    python benchmarks/exchange_comparison.py                       # SQLite, 1M × 10M
    python benchmarks/exchange_comparison.py --postgres            # a throwaway PostgreSQL
    python benchmarks/exchange_comparison.py --recipients 100000 --records 1000000 --runs 3

Set-up (not timed): the recipients as a snapshot (Parquet: one row per member of a dibao case
in payment, three members a case, spread over the counties of Guilin 450300; the cases and their
households are bulk-inserted so that findings and tasks reference real rows) and four
department batches (deaths 20 %, vehicles 30 %, social insurance 30 %, disability 20 % of the
records, normalised Parquet as ``doudi exchange import`` writes it). ``--match-rate`` of the
recipients appear in the department data (default 2 %: deaths, cars, pensions and disability
certificates among the poor are a small share); the other records are people doudi does not
pay. All generated in DuckDB.

Timed, interleaved ``--runs`` times on the same files, each with wall and CPU time (process CPU,
all threads; the machine has 2 cores and is shared):

- **baseline**: ``SELECT count(*)`` of recipients ⋈ records on the ID number, DuckDB;
- **comparison**: :func:`core.exchange.store.run_comparison` — the Ibis comparison on DuckDB
  in two steps (the records whose ID number is a recipient's, reading only the recipients' ID
  column; then those joined with the recipients' columns the rules read and tested against
  the rules, the records' JSON brought back), then the run and its findings (keyed, ON
  CONFLICT DO NOTHING), each with its task on its row (due dates in working days from the
  merged policy), written in one transaction. The findings are deleted between runs (not
  timed), so every run writes them all. The comparison opens and closes its own DuckDB
  connection (timed); the baseline's is opened before its clock starts.

CPU is this process's: on PostgreSQL the server's work (inserting the rows, checking their
foreign keys) shows in the wall time only.

Goal: the comparison within 3× of the baseline.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
from sqlalchemy import delete, func, insert, select, text  # noqa: E402

from core.access.tokens import create_user  # noqa: E402
from core.bulk.engines import DuckDBEngine  # noqa: E402
from core.calendars.workdays import default_calendar  # noqa: E402
from core.exchange.engines import BatchFile, bare_join_count  # noqa: E402
from core.exchange.kinds import catalog  # noqa: E402
from core.exchange.store import run_comparison  # noqa: E402
from core.policy.service import build_policy_base  # noqa: E402
from core.settings import sqlite_url  # noqa: E402
from core.storage.engine import make_engine, make_session_factory, upgrade  # noqa: E402
from core.storage.tables import (  # noqa: E402
    CaseRow,
    ComparisonRunRow,
    DepartmentBatchRow,
    FindingRow,
    HouseholdRow,
    utcnow,
)

PREFECTURE = "450300"
AS_OF = dt.date(2025, 6, 30)
KINDS = (("deaths", 0.2), ("vehicles", 0.3), ("social_insurance", 0.3), ("disability", 0.2))


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def generate(
    folder: Path, recipients: int, records: int, match_rate: float, counties: list[str]
) -> tuple[Path, list[tuple[str, Path, int]]]:
    """The recipients snapshot and one Parquet file per kind (DuckDB, bounded memory)."""
    con = duckdb.connect()
    people = folder / "recipients.parquet"
    county_list = "[" + ",".join(f"'{c}'" for c in counties) + "]"
    con.execute(f"""
        COPY (
          SELECT 'case' AS subject, (i // 3 + 1)::BIGINT AS subject_id,
                 (i // 3 + 1)::BIGINT AS case_id, NULL::BIGINT AS person_id,
                 (i // 3 + 1)::BIGINT AS household_id,
                 list_extract({county_list}, ((i // 3) % {len(counties)}) + 1) AS county,
                 '{PREFECTURE}' AS prefecture, '450000' AS province, 'dibao' AS program,
                 '450300' || lpad(i::VARCHAR, 12, '0') AS id_number,
                 '受助人' || i::VARCHAR AS name, NULL::DATE AS dead_on,
                 NULL::BIGINT AS disability_grade, false AS in_school, NULL::VARCHAR AS tags
          FROM range({recipients}) t(i)
        ) TO '{people}' (FORMAT parquet)
    """)
    files = []
    start = 0
    for kind, share in KINDS:
        n = int(records * share)
        hits = int(recipients * match_rate * share)
        path = folder / f"{kind}.parquet"
        on = "DATE '2025-01-01' + (i % 170)::INTEGER"
        key = {
            "deaths": f"'deaths|' || strftime({on}, '%Y-%m-%d')",
            "vehicles": "'vehicles|桂C' || lpad(i::VARCHAR, 7, '0')",
            "social_insurance": "'social_insurance|企业职工基本养老保险'",
            "disability": "'disability|' || i::VARCHAR || '|2'",
        }[kind]
        head = '\'{"姓名": "某", '
        record = {
            "deaths": f"{head}\"死亡日期\": \"' || strftime({on}, '%Y-%m-%d') || '\"}}'",
            "vehicles": f"{head}\"号牌号码\": \"桂C' || lpad(i::VARCHAR, 7, '0') || '\"}}'",
            "social_insurance": f'{head}"险种": "企业职工基本养老保险"}}\'',
            "disability": f'{head}"残疾等级": "2"}}\'',
        }[kind]
        # every (1/match) recipient id appears once among the first ``hits`` rows
        step = max(1, recipients // max(hits, 1))
        con.execute(f"""
            COPY (
              SELECT CASE WHEN i < {hits}
                          THEN '450300' || lpad(((i * {step} + {start}) % {recipients})::VARCHAR,
                                                12, '0')
                          ELSE '990000' || lpad((i + {start})::VARCHAR, 12, '0') END AS id_number,
                     '某' AS name, '{kind}' AS kind, {key} AS key,
                     {on if kind == "deaths" else "NULL::DATE"} AS "on",
                     {"2" if kind == "disability" else "NULL"}::BIGINT AS grade,
                     {"'企业职工基本养老保险'" if kind == "social_insurance" else "NULL"}::VARCHAR
                         AS status,
                     NULL::VARCHAR AS place, {record} AS record
              FROM range({n}) t(i) ORDER BY id_number
            ) TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)
        """)
        files.append((kind, path, n))
        start += n
    con.close()
    return people, files


def seed(engine: Any, recipients: int, counties: list[str], registry: Any) -> None:
    """The cases the recipients belong to (3 members each) and their households."""
    cases = (recipients + 2) // 3
    now = utcnow()
    places = {c: registry.prefecture_and_province(c) for c in counties}
    with engine.begin() as conn:
        for lo in range(0, cases, 20000):
            hh, cs = [], []
            for cid in range(lo + 1, min(cases, lo + 20000) + 1):
                county = counties[(cid - 1) % len(counties)]
                pref, prov = places[county]
                hh.append(
                    {
                        "id": cid,
                        "county": county,
                        "prefecture": pref,
                        "province": prov,
                        "document": {"county": county},
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                cs.append(
                    {
                        "id": cid,
                        "household_id": cid,
                        "program": "dibao",
                        "county": county,
                        "prefecture": pref,
                        "province": prov,
                        "state": "active",
                        "version": 1,
                        "data": {},
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            conn.execute(insert(HouseholdRow.__table__), hh)
            conn.execute(insert(CaseRow.__table__), cs)
        if engine.dialect.name == "postgresql":
            for table in ("households", "cases"):
                conn.execute(
                    text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
                )


def measure(
    url: str,
    recipients: int,
    records: int,
    match_rate: float,
    runs: int,
    folder: Path,
    profile: str | None = None,
) -> dict[str, Any]:
    base = build_policy_base()
    registry = base.registry
    counties = [j.code for j in registry.children(PREFECTURE)]
    t = time.perf_counter()
    people, files = generate(folder, recipients, records, match_rate, counties)
    gen_s = time.perf_counter() - t
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    t = time.perf_counter()
    seed(engine, recipients, counties, registry)
    seed_s = time.perf_counter() - t
    with sessions() as s:
        user, _ = create_user(s, "bench", "county_approver", PREFECTURE, registry)
    now = utcnow()
    with engine.begin() as conn:
        ids = []
        for kind, path, n in files:
            ids.append(
                conn.execute(
                    insert(DepartmentBatchRow.__table__)
                    .values(
                        kind=kind,
                        department={
                            "deaths": "gongan",
                            "vehicles": "gongan",
                            "social_insurance": "renshe",
                            "disability": "canlian",
                        }[kind],
                        jurisdiction=PREFECTURE,
                        county=None,
                        prefecture=PREFECTURE,
                        province="450000",
                        batch_date=dt.date(2025, 6, 1),
                        file_name=path.name,
                        file_hash=kind * 4,
                        records=n,
                        storage=path.name,
                        user_id=user.id,
                        at=now,
                        document={},
                    )
                    .returning(DepartmentBatchRow.__table__.c.id)
                ).scalar_one()
            )
    batches = [BatchFile(i, path) for i, (_k, path, _n) in zip(ids, files, strict=True)]
    cat = catalog()
    calendar = default_calendar(base.holiday_tables)
    base_times, run_times, results = [], [], []
    profiler = cProfile.Profile()
    for _ in range(runs):
        duck = DuckDBEngine()
        w, c = time.perf_counter(), cpu()
        joined = bare_join_count(duck, people, batches)
        base_times.append((time.perf_counter() - w, cpu() - c))
        duck.close()
        with engine.begin() as conn:
            conn.execute(delete(FindingRow))
            conn.execute(delete(ComparisonRunRow))
        w, c = time.perf_counter(), cpu()
        if profile is not None:
            profiler.enable()
        with sessions() as s:
            report = run_comparison(
                s, user, base, calendar, cat, folder, PREFECTURE, AS_OF, recipients=people
            )
        if profile is not None:
            profiler.disable()
        run_times.append((time.perf_counter() - w, cpu() - c))
        results.append(report)
    if profile is not None:
        profiler.dump_stats(profile)
    with engine.connect() as conn:
        # the task on each finding's row (open, version 1, opened on the comparison's day)
        tasks = conn.scalar(
            select(func.count())
            .select_from(FindingRow)
            .where(FindingRow.task_version == 1, FindingRow.opened_on == AS_OF)
        )
    last = results[-1]
    engine.dispose()
    med = statistics.median
    b_wall, b_cpu = med(x[0] for x in base_times), med(x[1] for x in base_times)
    r_wall, r_cpu = med(x[0] for x in run_times), med(x[1] for x in run_times)
    return {
        "backend": engine.dialect.name,
        "recipients": recipients,
        "records": records,
        "joined": joined,
        "matches": last.matches,
        "findings": last.raised,
        "tasks": tasks,
        "baseline": base_times,
        "comparison": run_times,
        "phases": dict(last.seconds),
        "ratio_wall": r_wall / b_wall,
        "ratio_cpu": r_cpu / b_cpu,
        "medians": (b_wall, b_cpu, r_wall, r_cpu),
        "generate_s": gen_s,
        "seed_s": seed_s,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipients", type=int, default=1_000_000)
    ap.add_argument("--records", type=int, default=10_000_000)
    ap.add_argument("--match-rate", type=float, default=0.02)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument(
        "--profile", default=None, help="cProfile the comparisons (all runs) into this file"
    )
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    where.add_argument("--database-url", default=None)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="doudi-bench-exchange-") as tmp:
        folder = Path(tmp)
        if args.database_url:
            r = measure(
                args.database_url,
                args.recipients,
                args.records,
                args.match_rate,
                args.runs,
                folder,
                args.profile,
            )
        elif args.postgres:
            from tests.support.db_backends import PgCluster, PgServer, find_pg_bin

            bindir = find_pg_bin()
            if bindir is None:
                ap.error("PostgreSQL binaries (initdb, pg_ctl, postgres) not found")
            cluster = PgCluster(bindir)
            try:
                cluster.start()
                url = PgServer(cluster.admin_url).create_database()
                r = measure(
                    url,
                    args.recipients,
                    args.records,
                    args.match_rate,
                    args.runs,
                    folder,
                    args.profile,
                )
            finally:
                cluster.stop()
        else:
            r = measure(
                sqlite_url(folder / "doudi.sqlite3"),
                args.recipients,
                args.records,
                args.match_rate,
                args.runs,
                folder,
                args.profile,
            )
    b_wall, b_cpu, r_wall, r_cpu = r["medians"]
    print(
        f"{r['backend']}: {r['recipients']:,} recipients × {r['records']:,} department records "
        f"(set-up not timed: generated in {r['generate_s']:.1f} s, cases seeded in "
        f"{r['seed_s']:.1f} s)"
    )
    print(f"  bare join (DuckDB count of the ID join): {r['joined']:,} rows")
    for i, ((bw, bc), (rw, rc)) in enumerate(zip(r["baseline"], r["comparison"], strict=True)):
        print(
            f"  run {i + 1}: baseline {bw:.2f} s wall / {bc:.2f} s CPU; comparison "
            f"{rw:.2f} s wall / {rc:.2f} s CPU"
        )
    print(
        f"  comparison: {r['matches']:,} matches → {r['findings']:,} findings and {r['tasks']:,} "
        f"tasks written; phases of the last run: "
        + ", ".join(f"{k} {v:.2f} s" for k, v in r["phases"].items())
    )
    print(
        f"  medians: baseline {b_wall:.2f} s wall / {b_cpu:.2f} s CPU, comparison {r_wall:.2f} s "
        f"wall / {r_cpu:.2f} s CPU → ratio {r['ratio_wall']:.2f}× wall, {r['ratio_cpu']:.2f}× CPU "
        "(goal ≤ 3×)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
