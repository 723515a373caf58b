"""Benchmark: case transitions per second over HTTP, with the audit trail on, on SQLite and on
PostgreSQL (issue 4).

    python benchmarks/cases.py                # both backends, 8 clients, 3 rounds of 10 s each
    python benchmarks/cases.py --seconds 10 --rounds 3 --clients 8 --backends sqlite,postgresql

Per backend: a fresh database (SQLite in a temporary ``DOUDI_DATA_DIR``; PostgreSQL in a throwaway
cluster started from the installed binaries with :class:`tests.support.db_backends.PgCluster`, the
same as the tests use — note that it runs with ``fsync=off`` and ``synchronous_commit=off``, and
SQLite runs in WAL mode with ``synchronous=NORMAL``: neither flushes to disk on every commit),
migrated; a village clerk, and per client a township officer and a county approver, all at Shanxi's
Pingding county (140302: the county confirms, after the mandatory verification); an EXAMPLE urban
dibao standard (800 yuan/month) as a local setting; 16 two-person households per client. Then ONE
uvicorn worker (``python -m uvicorn benchmarks.cases:bench_app --factory``,
``create_app(runtime=...)`` over ``DOUDI_DATABASE_URL``) and ``--clients`` concurrent clients, each
an ``httpx.AsyncClient`` over loopback with its own officials and households, so no two clients ever
touch the same case. Each client repeatedly takes a new case through Shanxi's chain, one GraphQL
mutation per step with the ``expectedVersion`` the previous answer gave:

    submitApplication → recordInvestigation → recordFirstReview → startPublicity →
    recordVerification → confirmCase (eligibility engine) → recordReview → exitCase

Every successful mutation is one transition and appends one hash-chained audit event. Measured
after a warm-up case per client, in ``--rounds`` rounds of ``--seconds`` each (the machine is
small and noisy): transitions per second (successful mutations; the median of the rounds),
latency per mutation request (``time.perf_counter`` around each request; p50 and p99, overall
and per mutation, over all rounds), VERSION_CONFLICTs and other errors. Afterwards
:func:`core.cases.store.verify_audit_chain` must find the whole audit trail intact and the
number of events must equal the number of successful mutations. The load generator shares the
machine with the server (and, for PostgreSQL, the database).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `tests` (test data, PG cluster) importable
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from core.access.tokens import create_user  # noqa: E402
from core.cases.store import verify_audit_chain  # noqa: E402
from core.households.store import create_household  # noqa: E402
from core.policy.service import get_policy_base  # noqa: E402
from core.runtime import Runtime, open_runtime  # noqa: E402
from core.settings import Settings, sqlite_url  # noqa: E402
from core.storage.tables import CaseEventRow, CaseRow  # noqa: E402
from tests.support.households import household_doc, id_number  # noqa: E402

COUNTY = "140302"  # Shanxi, Yangquan, Pingding: county confirms after verification
URBAN = "dibao.standard.urban"
SRC = "基准测试用示例标准(非正式文件)"
HOUSEHOLDS_PER_CLIENT = 16
DAY0 = dt.date(2023, 9, 4)
AFTER = DAY0 + dt.timedelta(days=20)  # publicity over
REQUEST_TIMEOUT_S = 30.0

CASE = "case { id version state }"
ERRORS = "userErrors { field message code }"


def _m(name: str, params: str, args: str) -> str:
    return f"mutation({params}) {{ {name}({args}) {{ {CASE} {ERRORS} }} }}"


# (mutation, role, GraphQL text, variables apart from id/expectedVersion, state after)
STEP_ARGS = "$id: ID!, $expectedVersion: Int!, $on: Date"
STEP_PASS = "id: $id, expectedVersion: $expectedVersion, on: $on"
SUBMIT = _m(
    "submitApplication",
    "$householdId: ID!, $program: String!, $on: Date",
    "householdId: $householdId, program: $program, on: $on",
)
CHAIN: list[tuple[str, str, str, dict[str, Any], str]] = [
    (
        "recordInvestigation",
        "officer",
        _m("recordInvestigation", STEP_ARGS + ", $investigators: [String!]!",
           STEP_PASS + ", investigators: $investigators"),
        {"investigators": ["甲", "乙"], "on": (DAY0 + dt.timedelta(days=1)).isoformat()},
        "investigated",
    ),
    (
        "recordFirstReview",
        "officer",
        _m("recordFirstReview", STEP_ARGS + ", $opinion: String",
           STEP_PASS + ", opinion: $opinion"),
        {"opinion": "符合条件", "on": (DAY0 + dt.timedelta(days=2)).isoformat()},
        "first_reviewed",
    ),
    (
        "startPublicity",
        "officer",
        _m("startPublicity", STEP_ARGS, STEP_PASS),
        {"on": (DAY0 + dt.timedelta(days=3)).isoformat()},
        "in_publicity",
    ),
    (
        "recordVerification",
        "approver",
        _m("recordVerification", STEP_ARGS + ", $passed: Boolean!",
           STEP_PASS + ", passed: $passed"),
        {"passed": True, "on": AFTER.isoformat()},
        "in_publicity",
    ),
    (
        "confirmCase",
        "approver",
        _m("confirmCase", STEP_ARGS, STEP_PASS),
        {"on": AFTER.isoformat()},
        "active",
    ),
    (
        "recordReview",
        "approver",
        _m("recordReview", STEP_ARGS, STEP_PASS),
        {"on": "2024-09-10"},
        "active",
    ),
    (
        "exitCase",
        "approver",
        _m("exitCase", STEP_ARGS + ", $reason: ExitReason!, $reasons: [String!]",
           STEP_PASS + ", reason: $reason, reasons: $reasons"),
        {"reason": "FOUND_INELIGIBLE", "reasons": ["基准测试"], "on": "2024-10-01"},
        "exited",
    ),
]  # fmt: skip
MUTATIONS = ["submitApplication", *(c[0] for c in CHAIN)]


# -- the server --------------------------------------------------------------------------------


def bench_app() -> Any:
    """uvicorn ``--factory`` target: the app over the runtime of ``DOUDI_DATABASE_URL``."""
    from core.api.app import create_app

    runtime = open_runtime(migrate=False, plugin_base=get_policy_base())
    return create_app(runtime=runtime)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        DOUDI_DATA_DIR=str(data_dir),
        DOUDI_DATABASE_URL=url,
    )
    server = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "benchmarks.cases:bench_app", "--factory",
            "--workers", "1", "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "warning", "--no-access-log",
        ],
        env=env,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            if httpx.get(base_url + "/healthz", timeout=5).status_code == 200:
                return server, base_url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop_server(server)
    raise RuntimeError("the server did not start within 60 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


# -- set-up --------------------------------------------------------------------------------------


@dataclass
class Official:
    officer: str
    approver: str
    households: list[str]
    # Households whose case was left open (a chain cut off at the end of a round, or a failed
    # step): the platform refuses a second open case for them (DUPLICATE_CASE), so skip them.
    stuck: set[str] = field(default_factory=set)


def set_up(rt: Runtime, clients: int) -> list[Official]:
    """Users, the local standard and the households; returns each client's tokens and ids."""
    registry = rt.policy.registry
    with rt.sessions() as s:
        clerk, _ = create_user(s, "clerk", "village_clerk", COUNTY, registry)
    with rt.sessions() as s:
        boss, _ = create_user(s, "approver-setup", "county_approver", COUNTY, registry)
    with rt.sessions() as s:
        rt.provider.set_local_parameter(s, boss, COUNTY, URBAN, 800, dt.date(2023, 1, 1), None, SRC)
    officials = []
    for c in range(clients):
        with rt.sessions() as s:
            _, officer = create_user(s, f"officer{c}", "township_officer", COUNTY, registry)
        with rt.sessions() as s:
            _, approver = create_user(s, f"approver{c}", "county_approver", COUNTY, registry)
        # one birth date per client and sequence numbers within it: distinct ID numbers
        birth = (dt.date(1960, 1, 1) + dt.timedelta(days=c)).strftime("%Y%m%d")
        households = []
        for k in range(HOUSEHOLDS_PER_CLIENT):
            head = id_number(COUNTY, 2 * k + 1, birth)
            spouse = id_number(COUNTY, 2 * k + 2, birth)
            doc = household_doc(
                COUNTY,
                (head, f"户主{c}-{k}", "head"),
                (spouse, f"配偶{c}-{k}", "spouse"),
                income=[{"kind": "wages", "monthlyAmount": 1000, "member": head}],
                propertyWithinLocalRules=True,
            )
            with rt.sessions() as s:
                households.append(str(create_household(s, clerk, doc, registry).id))
        officials.append(Official(officer, approver, households))
    return officials


# -- the clients ---------------------------------------------------------------------------------


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    ok: int = 0
    conflicts: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    cases_done: int = 0

    def merge(self, other: Stats) -> None:
        for k, v in other.latencies.items():
            self.latencies[k].extend(v)
        self.ok += other.ok
        self.conflicts += other.conflicts
        self.errors.update(other.errors)
        self.cases_done += other.cases_done


class StepFailed(Exception):
    pass


async def run_client(
    base_url: str, me: Official, keep_going: Callable[[], bool], max_cases: int | None
) -> Stats:
    """Take new cases through the chain until ``keep_going()`` is false (checked before every
    request) or ``max_cases`` cases are done."""
    stats = Stats()
    tokens = {"officer": me.officer, "approver": me.approver}
    n = 0
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT_S) as http:

        async def call(
            name: str, role: str, query: str, variables: dict[str, Any]
        ) -> dict[str, Any]:
            headers = {"Authorization": f"Bearer {tokens[role]}"}
            t0 = time.perf_counter()
            try:
                r = await http.post(
                    "/graphql", json={"query": query, "variables": variables}, headers=headers
                )
            except httpx.HTTPError as exc:
                stats.errors[f"{name}: {type(exc).__name__}"] += 1
                raise StepFailed from None
            stats.latencies[name].append(time.perf_counter() - t0)
            json_body = r.headers.get("content-type", "").startswith("application/json")
            body = r.json() if json_body else {}
            if r.status_code != 200 or body.get("errors"):
                problem = body.get("errors") or r.text[:200]
                stats.errors[f"{name}: HTTP {r.status_code} {problem}"] += 1
                raise StepFailed
            payload = body["data"][name]
            codes = [e["code"] for e in payload["userErrors"]]
            if codes == ["VERSION_CONFLICT"]:
                stats.conflicts += 1
                raise StepFailed
            if codes:
                stats.errors[f"{name}: {payload['userErrors']}"] += 1
                raise StepFailed
            stats.ok += 1
            return payload["case"]

        while keep_going() and (max_cases is None or stats.cases_done < max_cases):
            free = [h for h in me.households if h not in me.stuck]
            if not free:
                stats.errors["no household without an open case left"] += 1
                return stats
            hid = free[n % len(free)]
            n += 1
            me.stuck.add(hid)  # until its case exits
            try:
                case = await call(
                    "submitApplication", "officer", SUBMIT,
                    {"householdId": hid, "program": "dibao", "on": DAY0.isoformat()},
                )  # fmt: skip
                for name, role, query, args, state in CHAIN:
                    if not keep_going():
                        return stats
                    variables = {"id": case["id"], "expectedVersion": case["version"], **args}
                    after = await call(name, role, query, variables)
                    if after["state"] != state or after["version"] != case["version"] + 1:
                        stats.errors[f"{name}: unexpected {after}"] += 1
                        raise StepFailed
                    case = after
                stats.cases_done += 1
                me.stuck.discard(hid)  # exited: the household may apply again
            except StepFailed:
                continue  # abandon this case, start a new one
    return stats


def _before(deadline: float) -> Callable[[], bool]:
    return lambda: time.perf_counter() < deadline


async def drive(
    base_url: str, officials: list[Official], seconds: float, rounds: int
) -> tuple[Stats, list[tuple[Stats, float]]]:
    """A warm-up case per client, then ``rounds`` rounds of ``seconds`` of load each:
    (warm-up, [(measured, elapsed) per round])."""
    warmup = Stats()
    for s in await asyncio.gather(*(run_client(base_url, o, lambda: True, 1) for o in officials)):
        warmup.merge(s)
    out = []
    for _ in range(rounds):
        deadline = time.perf_counter() + seconds
        t0 = time.perf_counter()
        results = await asyncio.wait_for(
            asyncio.gather(
                *(run_client(base_url, o, _before(deadline), None)
                  for o in officials)
            ),
            timeout=seconds + 2 * REQUEST_TIMEOUT_S + 10,
        )  # fmt: skip
        elapsed = time.perf_counter() - t0
        measured = Stats()
        for s in results:
            measured.merge(s)
        out.append((measured, elapsed))
    return warmup, out


# -- one backend ---------------------------------------------------------------------------------


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def bench_backend(
    backend: str, url: str, data_dir: Path, clients: int, seconds: float, rounds: int
) -> dict[str, Any]:
    rt = open_runtime(Settings(data_dir=data_dir, database_url=url), plugin_base=get_policy_base())
    try:
        officials = set_up(rt, clients)
    finally:
        rt.close()
    server, base_url = start_server(data_dir, url)
    try:
        warmup, per_round = asyncio.run(drive(base_url, officials, seconds, rounds))
    finally:
        stop_server(server)

    rt = open_runtime(Settings(data_dir=data_dir, database_url=url), migrate=False,
                      plugin_base=get_policy_base())  # fmt: skip
    try:
        with rt.sessions() as s:
            problems = verify_audit_chain(s)
            events = s.scalar(select(func.count()).select_from(CaseEventRow))
            cases = s.scalar(select(func.count()).select_from(CaseRow))
    finally:
        rt.close()
    measured = Stats()
    for m, _ in per_round:
        measured.merge(m)
    rates = [m.ok / elapsed for m, elapsed in per_round]
    assert problems == [], f"{backend}: the audit chain is broken: {problems[:5]}"
    assert events == warmup.ok + measured.ok, (
        f"{backend}: {events} events but {warmup.ok + measured.ok} successful mutations"
    )
    all_lat = [x for v in measured.latencies.values() for x in v]
    return {
        "backend": backend,
        "elapsed": sum(e for _, e in per_round),
        "rounds": rates,
        "transitions": measured.ok,
        "tps": statistics.median(rates),
        "cases_done": measured.cases_done,
        "p50_ms": _pct(all_lat, 50) * 1e3,
        "p99_ms": _pct(all_lat, 99) * 1e3,
        "per_mutation": {
            name: (len(v), _pct(v, 50) * 1e3, _pct(v, 99) * 1e3)
            for name in MUTATIONS
            if (v := measured.latencies.get(name))
        },
        "conflicts": measured.conflicts + warmup.conflicts,
        "errors": measured.errors + warmup.errors,
        "events": events,
        "cases": cases,
    }


def report(r: dict[str, Any], clients: int) -> None:
    rounds = len(r["rounds"])
    print(
        f"\n== {r['backend']}: 1 uvicorn worker, {clients} clients, {rounds} rounds, "
        f"{r['elapsed']:.1f} s in all =="
    )
    print(
        f"  transitions/s:   {r['tps']:.1f} median of rounds "
        f"({', '.join(f'{x:.1f}' for x in r['rounds'])})"
    )
    print(
        f"  {r['transitions']} successful mutations, {r['cases_done']} cases taken through "
        "all 8 steps"
    )
    print("  latency per mutation request (all rounds):")
    print(f"    all mutations        p50 {r['p50_ms']:7.1f} ms   p99 {r['p99_ms']:7.1f} ms")
    for name, (n, p50, p99) in r["per_mutation"].items():
        print(f"    {name:<20} n={n:<6} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")
    print(f"  VERSION_CONFLICT: {r['conflicts']}   other errors: {sum(r['errors'].values())}")
    for msg, n in r["errors"].most_common(5):
        print(f"    {n}× {msg[:300]}")
    print(f"  audit trail: {r['events']} events over {r['cases']} cases, "
          "verify_audit_chain: intact")  # fmt: skip


def _raise_on_sigterm(signum: int, frame: types.FrameType | None) -> None:
    raise SystemExit(128 + signum)  # run the finally blocks: stop the server and the cluster


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="duration of a round")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per backend (median taken)")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--backends", default="sqlite,postgresql")
    args = ap.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgresql"}
    if unknown or not backends:
        ap.error(f"--backends: sqlite and/or postgresql, not {', '.join(sorted(unknown))}")
    if args.clients < 1 or args.seconds <= 0 or args.rounds < 1:
        ap.error("--clients, --seconds and --rounds must be positive")
    signal.signal(signal.SIGTERM, _raise_on_sigterm)

    get_policy_base()  # build the plugins' policy once, before timing anything
    results = []
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix=f"doudi-bench-{backend}-") as tmp:
            data_dir = Path(tmp)
            if backend == "sqlite":
                url = sqlite_url(data_dir / "doudi.sqlite3")
                results.append(
                    bench_backend(backend, url, data_dir, args.clients, args.seconds, args.rounds)
                )
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
                results.append(
                    bench_backend(backend, url, data_dir, args.clients, args.seconds, args.rounds)
                )
            finally:
                cluster.stop()
    for r in results:
        report(r, args.clients)
    if len(results) == 2:
        a, b = results
        print(f"\n{b['backend']} / {a['backend']} transitions/s: {b['tps'] / a['tps']:.2f}")


if __name__ == "__main__":
    main()
