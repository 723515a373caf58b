"""Benchmark: one monthly payment run (issue 5) of 100,000 active dibao cases.

    python benchmarks/payments_run.py --postgres              # a throwaway PostgreSQL cluster
    python benchmarks/payments_run.py --postgres --rounds 3   # runs and COPYs, interleaved
    python benchmarks/payments_run.py --cases 20000           # SQLite in a temporary directory
    python benchmarks/payments_run.py --database-url postgresql+psycopg://u@host/empty_db

A fresh database is migrated, then seeded with bulk inserts (not timed): N households of one to
four members (valid resident ID numbers, one person per household), spread over the twelve
counties and cities of Qiannan (522700, where the Guizhou plugin sets every ``payments.*``
parameter), each with a recorded payment account (一卡通, held by the head: without one a payment
is held, never paid, so the run measures the normal pay path) and one in two hundred whose head
(the account holder) died in the month before (their payments are held); each with an active
dibao case as the case machine stores it (confirmed, ``benefitFrom``, ``amount`` and a
two-entry ``amounts`` history, the members covered). Then ONE run of 2024-03 at the province
(520000) by a province administrator is timed: :func:`core.payments.store.run_payments`, the
function the ``runPayments`` mutation and ``doudi payments run`` call, with the merged policy
of the runtime (plugins plus local settings). The throwaway cluster runs with ``fsync=off`` (as
in the tests).
Each round undoes the previous run (its payments and their audit entries) and runs the month
again; on PostgreSQL it then COPYs the same rows (exported once, as text) into a table shaped
like ``payments`` (same indexes, constraints and foreign keys): the baseline of what the
database alone needs to store them. Goal (issue 11): run ≥ 0.5 × that COPY's speed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `tests` (the PG cluster) importable
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402
from stdnum.cn import ric  # noqa: E402

from core.access.tokens import create_user  # noqa: E402
from core.payments.store import run_payments  # noqa: E402
from core.runtime import open_runtime  # noqa: E402
from core.settings import Settings, sqlite_url  # noqa: E402
from core.storage.engine import make_engine, upgrade  # noqa: E402
from core.storage.tables import (  # noqa: E402
    CaseRow,
    HouseholdRow,
    MemberRow,
    PaymentRow,
    utcnow,
)

PREFECTURE, PROVINCE = "522700", "520000"
MONTH, RUN_ON = "2024-03", dt.date(2024, 3, 5)
SEED_BATCH = 5000
RELATIONS = ("head", "spouse", "child", "child")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def _people(county: str, n: int) -> list[str]:
    """``n`` distinct valid ID numbers registered in ``county``."""
    out = []
    start = dt.date(1940, 1, 1)
    for i in range(n):
        birth = start + dt.timedelta(days=i // 999)
        body = f"{county}{birth:%Y%m%d}{i % 999 + 1:03d}"
        out.append(body + ric.calc_check_digit(body + "0"))
    return out


def seed(engine: Any, registry: Any, cases: int, seed_value: int = 5) -> dict[str, int]:
    """Bulk-insert ``cases`` households, their members and an active dibao case each."""
    rnd = random.Random(seed_value)
    counties = [j.code for j in registry.children(PREFECTURE)]
    people = {c: iter(_people(c, cases * 4 // len(counties) + 8)) for c in counties}
    now = utcnow()
    households: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    held = accounts = 0

    def flush() -> None:
        with engine.begin() as conn:
            conn.execute(insert(HouseholdRow.__table__), households)
            conn.execute(insert(MemberRow.__table__), members)
            conn.execute(insert(CaseRow.__table__), rows)
        households.clear()
        members.clear()
        rows.clear()

    for hid in range(1, cases + 1):
        county = counties[hid % len(counties)]
        size = rnd.choice((1, 2, 2, 3, 3, 4))
        if hid % 200 == 0:  # the head died last month: someone is left, so the case goes on
            size = max(size, 2)
        ids = [next(people[county]) for _ in range(size)]
        people_docs = [
            {
                "idNumber": i,
                "name": rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN),
                "relation": RELATIONS[k],
            }
            for k, i in enumerate(ids)
        ]
        if hid % 200 == 0:  # paid into a dead person's account: held instead
            people_docs[0]["dateOfDeath"] = "2024-02-17"
            held += 1
        doc: dict[str, Any] = {
            "county": county,
            "area": rnd.choice(("urban", "rural")),
            "incomeClass": rnd.choice(("stable", "slow_change", "irregular_with_labour")),
            "members": people_docs,
            # every household: paid into the head's account (with none: held, never paid)
            "paymentAccount": {
                "holderIdNumber": ids[0],
                "holderName": people_docs[0]["name"],
                "bank": rnd.choice(("贵州省农村信用社", "中国农业银行", "中国邮政储蓄银行")),
                "accountNumber": "6" + "".join(rnd.choice("0123456789") for _ in range(18)),
            },
        }
        accounts += 1
        prefecture, province = registry.prefecture_and_province(county)
        households.append(
            {
                "id": hid,
                "county": county,
                "prefecture": prefecture,
                "province": province,
                "document": doc,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        members.extend(
            {
                "household_id": hid,
                "id_number": m["idNumber"],
                "name": m["name"],
                "relation": m["relation"],
                "active": True,
                "added_at": now,
            }
            for m in people_docs
        )
        first = dt.date(2023, rnd.randint(1, 12), 1)
        before = rnd.randint(150, 700) * size
        after = before + rnd.choice((0, 0, 30, 60)) * size
        rows.append(
            {
                "id": hid,
                "household_id": hid,
                "program": "dibao",
                "county": county,
                "prefecture": prefecture,
                "province": province,
                "state": "active",
                "version": 5,
                "data": {
                    "openedOn": (first - dt.timedelta(days=40)).isoformat(),
                    "benefitFrom": first.isoformat(),
                    "amount": f"{after}.00",
                    "amounts": [
                        {"from": first.isoformat(), "amount": f"{before}.00"},
                        {"from": "2024-01-01", "amount": f"{after}.00"},
                    ],
                    "membersCovered": ids,
                    "decision": {
                        "on": (first - dt.timedelta(days=5)).isoformat(),
                        "level": "county",
                    },
                },
                "created_at": now,
                "updated_at": now,
            }
        )
        if len(rows) >= SEED_BATCH:
            flush()
    if rows:
        flush()
    if engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
        with engine.begin() as conn:
            for table in ("households", "household_members", "cases"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
            conn.execute(text("ANALYZE"))
    return {"cases": cases, "held": held, "accounts": accounts}


_PAYMENT_COLUMNS = (
    "run_id, case_id, household_id, program, county, prefecture, province, month, amount_fen, "
    "due_date, status, attempt, repay_by, hold_reason, payee_name, payee_id_number, bank, "
    "account_number, document, version, created_at, updated_at"
)


def _postmaster_cpu(cluster: Any) -> float:
    if cluster is None:
        return float("nan")
    from benchmarks.cases import tree_cpu

    return tree_cpu(int((cluster.data / "postmaster.pid").read_text().split()[0]))


def _reset_run(engine: Any) -> None:
    """Undo a run (the next round runs the month again from nothing): its payments, results,
    run rows and their audit entries."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP TABLE IF EXISTS payments_copy"))
        conn.execute(text("DELETE FROM payment_results"))
        conn.execute(text("DELETE FROM payments"))
        conn.execute(text("DELETE FROM payment_runs"))
        conn.execute(text("DELETE FROM audit_entries WHERE chain LIKE 'payments:%'"))
        conn.execute(text("DELETE FROM audit_heads WHERE chain LIKE 'payments:%'"))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE payments"))


def _copy_baseline_setup(engine: Any) -> bytes:
    """The run's rows as COPY text, and a table shaped like ``payments`` (its indexes, unique
    and check constraints and foreign keys) to copy them into."""
    import io

    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS payments_copy"))
        conn.execute(text("CREATE TABLE payments_copy (LIKE payments INCLUDING ALL)"))
        for col, ref in (
            ("run_id", "payment_runs"),
            ("case_id", "cases"),
            ("household_id", "households"),
        ):
            conn.execute(text(f"ALTER TABLE payments_copy ADD FOREIGN KEY ({col}) "
                              f"REFERENCES {ref} (id)"))  # fmt: skip
        raw = conn.connection.driver_connection
        buf = io.BytesIO()
        with (
            raw.cursor() as cur,
            cur.copy(
                f"COPY (SELECT {_PAYMENT_COLUMNS} FROM payments ORDER BY case_id) TO STDOUT"
            ) as copy,
        ):
            for block in copy:
                buf.write(block)
    return buf.getvalue()


def _copy_baseline(engine: Any, data: bytes, cluster: Any) -> dict[str, float]:
    """Wall seconds and database CPU seconds to COPY ``data`` into ``payments_copy`` (emptied
    first) and commit."""
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE payments_copy"))
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        db0 = _postmaster_cpu(cluster)
        t0 = time.perf_counter()
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY payments_copy ({_PAYMENT_COLUMNS}) FROM STDIN") as copy,
        ):
            copy.write(data)
        raw.commit()
        return {"wall_s": time.perf_counter() - t0, "db_cpu_s": _postmaster_cpu(cluster) - db0}


def measure_payment_run(
    database_url: str, cases: int = 100_000, rounds: int = 3, cluster: Any = None
) -> dict[str, Any]:
    """Seed ``cases`` active dibao cases into the fresh database at ``database_url`` (migrated
    here; it must hold no cases yet), then ``rounds`` times: one monthly run of them (timed,
    wall and CPU) and, on PostgreSQL, a raw COPY of the same rows (timed)."""
    upgrade(database_url)
    engine = make_engine(database_url)
    runs: list[dict[str, float]] = []
    copies: list[dict[str, float]] = []
    try:
        with engine.connect() as conn:
            if conn.scalar(select(func.count()).select_from(CaseRow.__table__)):
                raise SystemExit("the database already holds cases: give an empty one")
        with tempfile.TemporaryDirectory(prefix="doudi-bench-payments-") as tmp:
            runtime = open_runtime(Settings(data_dir=Path(tmp), database_url=database_url))
            try:
                registry = runtime.policy.registry
                with runtime.sessions() as s:
                    admin, _ = create_user(s, "bench-admin", "province_admin", PROVINCE, registry)
                t0 = time.perf_counter()
                seeded = seed(engine, registry, cases)
                seed_s = time.perf_counter() - t0
                policy = runtime.policy  # what the API's context.base is
                for i in range(rounds):
                    if i:
                        _reset_run(engine)
                    db0, c0, t0 = _postmaster_cpu(cluster), time.process_time(), time.perf_counter()
                    with runtime.sessions() as s:
                        report = run_payments(s, policy, admin, PROVINCE, MONTH, RUN_ON)
                    runs.append({
                        "wall_s": time.perf_counter() - t0,
                        "cpu_s": time.process_time() - c0,
                        "db_cpu_s": _postmaster_cpu(cluster) - db0,
                    })  # fmt: skip
                    with runtime.sessions() as s:
                        stored = int(s.scalar(select(func.count()).select_from(PaymentRow)) or 0)
                    if stored != cases or report.created != cases or report.held != seeded["held"]:
                        raise SystemExit(
                            f"wrong run: {stored} stored, {report.created} created of {cases}"
                        )
                    if engine.dialect.name == "postgresql":
                        copy_data = _copy_baseline_setup(engine)  # this run's rows (run id)
                        copies.append(_copy_baseline(engine, copy_data, cluster))
            finally:
                runtime.close()
    finally:
        engine.dispose()
    import statistics

    run_s = statistics.median(r["wall_s"] for r in runs)
    out: dict[str, Any] = {
        "backend": make_engine(database_url).dialect.name,
        "cases": cases,
        "seed_seconds": round(seed_s, 2),
        "runs": runs,
        "seconds": run_s,
        "payments_per_s": round(cases / run_s),
        "created": report.created,
        "held": report.held,
        "total_yuan": f"{report.created_fen // 100}.{report.created_fen % 100:02d}",
    }
    if copies:
        out["copies"] = copies
        out["copy_seconds"] = statistics.median(c["wall_s"] for c in copies)
        out["ratios"] = [c["wall_s"] / r["wall_s"] for c, r in zip(copies, runs, strict=True)]
        out["cpu_ratios"] = [
            c["db_cpu_s"] / (r["cpu_s"] + r["db_cpu_s"]) for c, r in zip(copies, runs, strict=True)
        ]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3, help="runs (each after undoing the last)")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    where.add_argument("--database-url", default=None, help="an empty database to use")
    args = ap.parse_args(argv)
    if args.cases < 1:
        ap.error("--cases must be positive")
    if args.database_url:
        result = measure_payment_run(args.database_url, args.cases, args.rounds)
    elif args.postgres:
        from tests.support.db_backends import PgCluster, PgServer, find_pg_bin

        bindir = find_pg_bin()
        if bindir is None:
            ap.error("PostgreSQL binaries (initdb, pg_ctl, postgres) not found")
        cluster = PgCluster(bindir)
        try:
            cluster.start()
            url = PgServer(cluster.admin_url).create_database()
            result = measure_payment_run(url, args.cases, args.rounds, cluster)
        finally:
            cluster.stop()
    else:
        with tempfile.TemporaryDirectory(prefix="doudi-bench-payments-") as tmp:
            result = measure_payment_run(
                sqlite_url(Path(tmp) / "doudi.sqlite3"), args.cases, args.rounds
            )
    print(
        f"{result['backend']}: one run of {result['cases']:,} cases ({result['held']} held, "
        f"{result['total_yuan']} yuan) in {result['seconds']:.2f} s (median of "
        f"{len(result['runs'])}) = {result['payments_per_s']:,} payments/s (seeding "
        f"{result['seed_seconds']:.1f} s, not timed)"
    )
    for i, r in enumerate(result["runs"]):
        line = (
            f"  run {i + 1}: {r['wall_s']:.2f} s wall, Python CPU {r['cpu_s']:.2f} s, "
            f"database CPU {r['db_cpu_s']:.2f} s"
        )
        if "copies" in result:
            c = result["copies"][i]
            line += (
                f"; raw COPY of the same rows {c['wall_s']:.2f} s wall, database CPU "
                f"{c['db_cpu_s']:.2f} s; COPY / run: wall {c['wall_s'] / r['wall_s']:.2f}, CPU "
                f"{c['db_cpu_s'] / (r['cpu_s'] + r['db_cpu_s']):.2f}"
            )
        print(line)
    if "ratios" in result:
        import statistics

        print(
            f"  raw COPY / run: wall {statistics.median(result['ratios']):.2f} median, CPU "
            f"{statistics.median(result['cpu_ratios']):.2f} median (goal >= 0.5); COPY "
            f"{result['copy_seconds']:.2f} s, run {result['seconds']:.2f} s (medians)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
