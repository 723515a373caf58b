"""Benchmark: a page of cases with each case's household and events (issue 10: "a list of 40
cases with their households issues 124 SQL statements"), with the request's DataLoaders and,
as the peer measured in the same run, with the same loaders made to read one item at a time
(``max_batch_size=1``: what the API did before, one read per case for its household).

    python benchmarks/nested_lists.py                 # both backends, 100 cases, 7 rounds
    python benchmarks/nested_lists.py --cases 100 --rounds 7 --backends sqlite,postgresql

Per backend: a fresh database (SQLite in a temporary directory; PostgreSQL in a throwaway
cluster started with :class:`tests.support.db_backends.PgCluster`, as the tests use), ``--cases``
two-person households at Wuhua (530102), each with a dibao case opened and investigated (two
audit events). The query runs in-process (``schema.execute``, no HTTP) as a township officer:

    cases(jurisdiction: "530102", first: N) { edges { node { id state
        household { id members { name } } events { seq action } } } }

for N = 5, 40 and ``--cases``, batched and one-at-a-time interleaved, ``--rounds`` times each
after a warm-up. Reported per N: SQL statements (a ``before_cursor_execute`` listener; the
app's once-a-second check for new local settings is not counted), and the median wall and CPU
time (``time.process_time``: every thread of the process) of a request. The machine is small
and shared: read the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `tests` (test data, PG cluster) importable
    sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402
from strawberry.dataloader import DataLoader  # noqa: E402

from core.access.tokens import create_user  # noqa: E402
from core.api.context import Context  # noqa: E402
from core.api.schema import schema  # noqa: E402
from core.cases import store as cases_store  # noqa: E402
from core.households.store import create_household  # noqa: E402
from core.policy.service import get_policy_base  # noqa: E402
from core.runtime import Runtime, open_runtime  # noqa: E402
from core.settings import Settings, sqlite_url  # noqa: E402
from tests.support.households import household_doc, id_number  # noqa: E402

WUHUA = "530102"
DAY = dt.date(2023, 9, 4)
QUERY = """query($first: Int) { cases(jurisdiction: "530102", first: $first) { edges { node {
    id state household { id members { name } } events { seq action } } } } }"""


def seed(rt: Runtime, n: int) -> str:
    """``n`` households with an opened and investigated dibao case; the officer's token."""
    registry = rt.policy.registry
    with rt.sessions() as s:
        clerk, _ = create_user(s, "clerk", "village_clerk", WUHUA, registry)
    with rt.sessions() as s:
        officer, token = create_user(s, "officer", "township_officer", WUHUA, registry)
    for i in range(n):
        doc = household_doc(
            WUHUA,
            (id_number(WUHUA, 2 * i), f"户主{i}", "head"),
            (id_number(WUHUA, 2 * i + 1), f"配偶{i}", "spouse"),
        )
        with rt.sessions() as s:
            hid = create_household(s, clerk, doc, registry, today=DAY).id
        with rt.sessions() as s:
            case, _ = cases_store.open_case(
                s, rt.policy, clerk, DAY, household_id=hid, program="dibao"
            )
        with rt.sessions() as s:
            cases_store.apply_transition(
                s, rt.policy, case.id, 1, "record_investigation", officer, DAY,
                investigators=["甲", "乙"],
            )  # fmt: skip
    return token


def one_at_a_time(context: Context) -> None:
    """The context's loaders, made to read each item alone (the peer)."""
    loaders = context.loaders
    for name in ("households", "cases", "cases_of_household", "events"):
        loader = getattr(loaders, name)
        setattr(loaders, name, DataLoader(loader.load_fn, max_batch_size=1))


class Counter:
    def __init__(self, rt: Runtime) -> None:
        self.n = 0
        event.listen(rt.engine, "before_cursor_execute", self.count)

    def count(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "local_settings_revision" not in statement:
            self.n += 1


def request(rt: Runtime, token: str, first: int, batched: bool, counter: Counter) -> tuple:
    context = Context(base=rt.policy, runtime=rt, authorization=f"Bearer {token}")
    if not batched:
        one_at_a_time(context)
    counter.n = 0
    wall, cpu = time.perf_counter(), time.process_time()
    result = asyncio.run(schema.execute(QUERY, {"first": first}, context_value=context))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert result.errors is None, result.errors
    assert result.data is not None and len(result.data["cases"]["edges"]) == first
    return counter.n, wall, cpu


def bench_backend(backend: str, url: str, data_dir: Path, n: int, rounds: int) -> list[dict]:
    rt = open_runtime(Settings(data_dir=data_dir, database_url=url), plugin_base=get_policy_base())
    try:
        print(f"\n== {backend}: seeding {n} cases ==", flush=True)
        token = seed(rt, n)
        counter = Counter(rt)
        rows = []
        for first in sorted({5, 40, n}):
            if first > n:
                continue
            samples: dict[bool, list[tuple]] = {True: [], False: []}
            for batched in (True, False):  # warm-up
                request(rt, token, first, batched, counter)
            for _ in range(rounds):
                for batched in (True, False):
                    samples[batched].append(request(rt, token, first, batched, counter))
            row: dict[str, Any] = {"backend": backend, "first": first}
            for batched, name in ((True, "batched"), (False, "one_by_one")):
                got = samples[batched]
                row[name] = {
                    "statements": statistics.median(s[0] for s in got),
                    "wall_ms": 1000 * statistics.median(s[1] for s in got),
                    "cpu_ms": 1000 * statistics.median(s[2] for s in got),
                }
            rows.append(row)
            b, o = row["batched"], row["one_by_one"]
            print(
                f"{backend:10} first={first:<4} statements {b['statements']:>4.0f} vs "
                f"{o['statements']:>4.0f}   wall {b['wall_ms']:7.1f} ms vs {o['wall_ms']:7.1f} ms "
                f"(x{o['wall_ms'] / b['wall_ms']:.1f})   cpu {b['cpu_ms']:7.1f} ms vs "
                f"{o['cpu_ms']:7.1f} ms (x{o['cpu_ms'] / b['cpu_ms']:.1f})",
                flush=True,
            )
        return rows
    finally:
        rt.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=100, help="cases stored (at most 100: a page)")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--backends", default="sqlite,postgresql")
    args = ap.parse_args()
    if not 5 <= args.cases <= 100 or args.rounds < 1:
        ap.error("--cases: 5 to 100; --rounds: at least 1")
    get_policy_base()  # build the plugins' policy once, before timing anything
    print("batched (the request's DataLoaders) vs one_by_one (max_batch_size=1), medians")
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        with tempfile.TemporaryDirectory(prefix=f"doudi-bench-{backend}-") as tmp:
            data_dir = Path(tmp)
            if backend == "sqlite":
                bench_backend(backend, sqlite_url(data_dir / "doudi.sqlite3"), data_dir,
                              args.cases, args.rounds)  # fmt: skip
                continue
            from tests.support.db_backends import PgCluster, PgServer, find_pg_bin

            bindir = find_pg_bin()
            if bindir is None:
                print("\n== postgresql: skipped (initdb/pg_ctl/postgres not found) ==")
                continue
            cluster = PgCluster(bindir)
            try:
                cluster.start()
                url = PgServer(cluster.admin_url).create_database()
                bench_backend(backend, url, data_dir, args.cases, args.rounds)
            finally:
                cluster.stop()


if __name__ == "__main__":
    main()
