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
dibao standard (800 yuan/month) as a local setting; 16 two-person households per client. Then one
uvicorn worker, or ``--workers N`` (``python -m uvicorn benchmarks.cases:bench_app --factory``,
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

import json  # noqa: E402

import httpx  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from core.access.tokens import create_user  # noqa: E402
from core.cases.store import verify_audit_chain  # noqa: E402
from core.cli.serve import HTTP, LOOP  # noqa: E402  (doudi serve's uvicorn loop and parser)
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


def start_server(data_dir: Path, url: str, workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
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
            "--workers", str(workers), "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "warning", "--no-access-log", "--loop", LOOP, "--http", HTTP,
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


class RawHTTP:
    """A minimal HTTP/1.1 keep-alive client for the load: a request is one write of prebuilt
    bytes and the response is read by its Content-Length. httpx costs a few milliseconds of CPU
    per request, as much as the server's work, on the same two cores: the load generator must
    cost little for the server's figure to mean anything."""

    def __init__(self, base_url: str) -> None:
        rest = base_url.split("://", 1)[1]
        host, _, port = rest.partition(":")
        self.host, self.port = host, int(port or 80)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> RawHTTP:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.writer is not None:
            self.writer.close()

    async def post_json(
        self, path: str, payload: dict[str, Any], token: str
    ) -> tuple[int, dict[str, Any]]:
        assert self.reader is not None and self.writer is not None
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        async with asyncio.timeout(REQUEST_TIMEOUT_S):
            header = await self.reader.readuntil(b"\r\n\r\n")
            lines = header.split(b"\r\n")
            status = int(lines[0].split()[1])
            length = next(
                int(v) for k, _, v in (x.partition(b":") for x in lines[1:])
                if k.strip().lower() == b"content-length"
            )  # fmt: skip
            data = await self.reader.readexactly(length)
        return status, json.loads(data)


async def run_client(
    base_url: str, me: Official, keep_going: Callable[[], bool], max_cases: int | None
) -> Stats:
    """Take new cases through the chain until ``keep_going()`` is false (checked before every
    request) or ``max_cases`` cases are done."""
    stats = Stats()
    tokens = {"officer": me.officer, "approver": me.approver}
    n = 0
    async with RawHTTP(base_url) as http:

        async def call(
            name: str, role: str, query: str, variables: dict[str, Any]
        ) -> dict[str, Any]:
            t0 = time.perf_counter()
            try:
                status, body = await http.post_json(
                    "/graphql", {"query": query, "variables": variables}, tokens[role]
                )
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
                stats.errors[f"{name}: {type(exc).__name__}"] += 1
                raise StepFailed from None
            stats.latencies[name].append(time.perf_counter() - t0)
            if status != 200 or body.get("errors"):
                problem = body.get("errors") or body
                stats.errors[f"{name}: HTTP {status} {str(problem)[:200]}"] += 1
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


async def warm_up(base_url: str, officials: list[Official]) -> Stats:
    """A case per client, to warm the server (not measured)."""
    warmup = Stats()
    for s in await asyncio.gather(*(run_client(base_url, o, lambda: True, 1) for o in officials)):
        warmup.merge(s)
    return warmup


async def one_round(
    base_url: str, officials: list[Official], seconds: float
) -> tuple[Stats, float]:
    """``seconds`` of load from every client: (what they did, elapsed)."""
    deadline = time.perf_counter() + seconds
    t0 = time.perf_counter()
    results = await asyncio.wait_for(
        asyncio.gather(*(run_client(base_url, o, _before(deadline), None) for o in officials)),
        timeout=seconds + 2 * REQUEST_TIMEOUT_S + 10,
    )
    elapsed = time.perf_counter() - t0
    measured = Stats()
    for s in results:
        measured.merge(s)
    return measured, elapsed


# -- CPU time ------------------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from 3 (state) on


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid``, its reaped children and its live
    children (PostgreSQL's backends are children of the postmaster)."""
    me = _stat(pid)
    if me is None:
        return 0.0
    total = sum(int(x) for x in me[11:15])  # utime stime cutime cstime
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            st = _stat(int(entry.name))
            if st is not None and int(st[1]) == pid:
                total += int(st[11]) + int(st[12])
    return total / _TICK


def children_cpu() -> float:
    """CPU seconds of this process's reaped children (pgbench)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


# -- pgbench: the same statements, without doudi -------------------------------------------------

PGBENCH_DIR = Path(__file__).resolve().parent / "pgbench"
PGBENCH_CHAIN = "cases:bench"  # its own chain row: the same contention as the clients' county
PGBENCH_KEY = "benchmark0000000"
PGBENCH_PER_CLIENT = 50


@dataclass
class PgBench:
    """What pgbench needs: where, and the -D definitions of the scripts."""

    bindir: Path
    url: str
    defines: dict[str, str]


def prepare_pgbench(rt: Runtime, bindir: Path, url: str, clients: int) -> PgBench:
    """Households and active cases for pgbench's clients (copies of what the warm-up wrote,
    each with a first event), a token, and the documents its statements send: the data of a
    case and the event document of median size among those the warm-up wrote."""
    from sqlalchemy import insert, text

    from core.access.roles import hash_token
    from core.access.tokens import issue_token
    from core.storage.tables import AuditHeadRow, HouseholdRow, utcnow

    with rt.sessions() as s:
        token = issue_token(s, "officer0")
    with rt.sessions() as s, s.begin():
        docs = sorted(s.scalars(select(CaseEventRow.document)), key=lambda d: len(json.dumps(d)))
        doc = docs[len(docs) // 2]
        first = next(d for d in docs if d.get("action") == "open")
        data = s.scalar(select(CaseRow.data).order_by(CaseRow.id.desc()).limit(1))
        template = s.scalar(select(HouseholdRow).limit(1))
        uid = s.scalar(text("SELECT id FROM users WHERE name = 'officer0'"))
        now = utcnow()
        n = clients * PGBENCH_PER_CLIENT
        hbase = int(s.scalar(text("SELECT coalesce(max(id), 0) FROM households")))
        s.execute(insert(HouseholdRow), [
            {"id": hbase + i, "county": template.county, "prefecture": template.prefecture,
             "province": template.province, "document": template.document, "version": 1,
             "created_at": now, "updated_at": now}
            for i in range(1, n + 1)
        ])  # fmt: skip
        base = int(s.scalar(text("SELECT coalesce(max(id), 0) FROM cases")))
        s.execute(insert(CaseRow), [
            {"id": base + i, "household_id": hbase + i, "program": "dibao",
             "county": template.county, "prefecture": template.prefecture,
             "province": template.province, "state": "active", "version": 1, "data": data,
             "created_at": now, "updated_at": now}
            for i in range(1, n + 1)
        ])  # fmt: skip
        s.execute(insert(CaseEventRow), [
            {"case_id": base + i, "seq": 1, "at": now, "user_id": uid, "action": "open",
             "from_state": None, "to_state": "active", "document": first, "prev_hash": "0" * 64,
             "hash": "0" * 64, "chain": None, "chain_seq": None, "chain_prev_hash": None,
             "key_id": PGBENCH_KEY}
            for i in range(1, n + 1)
        ])  # fmt: skip
        s.execute(insert(AuditHeadRow).values(chain=PGBENCH_CHAIN, seq=0, hash=""))
        for table in ("households", "cases", "case_events"):
            s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT max(id) FROM {table}))"))  # fmt: skip
    with rt.engine.connect() as conn:
        conn.execute(text("COMMIT"))
        conn.execute(text("ANALYZE"))
    defines = {
        "tok": hash_token(token),
        "chain": PGBENCH_CHAIN,
        "uid": str(uid),
        "data": json.dumps(data, ensure_ascii=False),
        "doc": json.dumps(doc, ensure_ascii=False),
        "odata": json.dumps({"openedOn": DAY0.isoformat(), "nearRelatives": []}),
        "odoc": json.dumps(first, ensure_ascii=False),
        "h": "f" * 64,
        "base": str(base),  # client c's cases: base + c * per + 1 .. (client_id counts from 0)
        "hbase": str(hbase),
        "per": str(PGBENCH_PER_CLIENT),
    }
    return PgBench(bindir, url, defines)


def run_pgbench(pg: PgBench, clients: int, seconds: float) -> dict[str, float]:
    """One pgbench run: the mix of the HTTP clients (one application, seven steps)."""
    from sqlalchemy.engine import make_url

    u = make_url(pg.url)
    cmd = [
        str(pg.bindir / "pgbench"), "-n", "-M", "prepared", "-c", str(clients), "-j", "2",
        "-T", str(max(1, round(seconds))), "-h", str(u.host), "-p", str(u.port),
        "-U", str(u.username), "-f", f"{PGBENCH_DIR / 'case_open.sql'}@1",
        "-f", f"{PGBENCH_DIR / 'case_step.sql'}@7",
    ]  # fmt: skip
    for k, v in pg.defines.items():
        cmd += ["-D", f"{k}={v}"]
    cmd.append(str(u.database))
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=seconds + 120)
    if out.returncode != 0:
        raise RuntimeError(f"pgbench failed: {out.stderr[-2000:]}")
    import re

    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out.stdout)
    lat = re.search(r"latency average = ([\d.]+) ms", out.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    if tps is None:
        raise RuntimeError(f"pgbench said: {out.stdout[-2000:]}")
    return {
        "tps": float(tps.group(1)),
        "latency_ms": float(lat.group(1)) if lat else float("nan"),
        "failed": int(failed.group(1)) if failed else 0,
    }


def drop_pgbench_rows(rt: Runtime, pg: PgBench) -> None:
    """pgbench's rows are not doudi's (no MAC): out, before the audit trail is verified."""
    from sqlalchemy import text

    h = {"h": int(pg.defines["hbase"])}
    with rt.sessions() as s, s.begin():
        s.execute(text("DELETE FROM case_events WHERE key_id = :k"), {"k": PGBENCH_KEY})
        s.execute(text("DELETE FROM cases WHERE household_id > :h"), h)
        s.execute(text("DELETE FROM households WHERE id > :h"), h)
        s.execute(text("DELETE FROM audit_heads WHERE chain = :c"), {"c": PGBENCH_CHAIN})


# -- one backend ---------------------------------------------------------------------------------


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def bench_backend(
    backend: str,
    url: str,
    data_dir: Path,
    clients: int,
    seconds: float,
    rounds: int,
    cluster: Any = None,
    *,
    pgbench: bool = True,
    workers: int = 1,
) -> dict[str, Any]:
    """Set up, start the server, warm up; then ``rounds`` rounds of HTTP load, each after a
    pgbench run of the same statements on PostgreSQL (``cluster`` given); verify the audit."""
    settings = Settings(data_dir=data_dir, database_url=url)
    rt = open_runtime(settings, plugin_base=get_policy_base())
    try:
        officials = set_up(rt, clients)
    finally:
        rt.close()
    server, base_url = start_server(data_dir, url, workers)
    postmaster = None
    if cluster is not None:
        postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    pg: PgBench | None = None
    rounds_out: list[dict[str, Any]] = []
    try:
        warmup = asyncio.run(warm_up(base_url, officials))
        if cluster is not None and pgbench:
            rt = open_runtime(settings, migrate=False, plugin_base=get_policy_base())
            try:
                pg = prepare_pgbench(rt, cluster.bindir, url, clients)
            finally:
                rt.close()
        for _ in range(rounds):
            r: dict[str, Any] = {}
            if pg is not None:
                db0, c0, t0 = tree_cpu(postmaster or 0), children_cpu(), time.perf_counter()
                r["pgbench"] = run_pgbench(pg, clients, seconds)
                r["pgbench"]["wall_s"] = time.perf_counter() - t0
                r["pgbench"]["db_cpu_s"] = tree_cpu(postmaster or 0) - db0
                r["pgbench"]["client_cpu_s"] = children_cpu() - c0
            s0, db0, g0 = tree_cpu(server.pid), tree_cpu(postmaster or 0), time.process_time()
            measured, elapsed = asyncio.run(one_round(base_url, officials, seconds))
            r["http"] = {
                "stats": measured,
                "wall_s": elapsed,
                "tps": measured.ok / elapsed,
                "server_cpu_s": tree_cpu(server.pid) - s0,
                "db_cpu_s": tree_cpu(postmaster or 0) - db0 if postmaster else float("nan"),
                "client_cpu_s": time.process_time() - g0,
            }
            rounds_out.append(r)
    finally:
        stop_server(server)

    rt = open_runtime(settings, migrate=False, plugin_base=get_policy_base())
    try:
        if pg is not None:
            drop_pgbench_rows(rt, pg)
        with rt.sessions() as s:
            problems = verify_audit_chain(s)
            events = s.scalar(select(func.count()).select_from(CaseEventRow))
            cases = s.scalar(select(func.count()).select_from(CaseRow))
    finally:
        rt.close()
    measured = Stats()
    for r in rounds_out:
        measured.merge(r["http"]["stats"])
    rates = [r["http"]["tps"] for r in rounds_out]
    assert problems == [], f"{backend}: the audit chain is broken: {problems[:5]}"
    assert events == warmup.ok + measured.ok, (
        f"{backend}: {events} events but {warmup.ok + measured.ok} successful mutations"
    )
    all_lat = [x for v in measured.latencies.values() for x in v]
    out: dict[str, Any] = {
        "backend": backend,
        "workers": workers,
        "rounds": rounds_out,
        "elapsed": sum(r["http"]["wall_s"] for r in rounds_out),
        "rates": rates,
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
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),  # others share the machine
    }
    if pg is not None:
        out["pgbench_tps"] = statistics.median(r["pgbench"]["tps"] for r in rounds_out)
        out["ratios"] = [r["http"]["tps"] / r["pgbench"]["tps"] for r in rounds_out]
    return out


def _cpu_per(h: dict[str, Any]) -> float:
    """The server's CPU seconds per successful transition in a round."""
    ok = h["stats"].ok
    return h["server_cpu_s"] / ok if ok else float("nan")


def report(r: dict[str, Any], clients: int) -> None:
    n = len(r["rounds"])
    print(
        f"\n== {r['backend']}: {r['workers']} uvicorn worker(s), {clients} clients, {n} rounds, "
        f"{r['elapsed']:.1f} s of HTTP load in all =="
    )
    for i, rd in enumerate(r["rounds"], 1):
        h = rd["http"]
        line = (
            f"  round {i}: doudi {h['tps']:7.1f} transitions/s over HTTP (CPU: server "
            f"{h['server_cpu_s']:.1f} s, database {h['db_cpu_s']:.1f} s, clients "
            f"{h['client_cpu_s']:.1f} s in {h['wall_s']:.1f} s; server "
            f"{_cpu_per(h) * 1e3:.2f} ms per transition)"
        )
        print(line)
        if "pgbench" in rd:
            p = rd["pgbench"]
            print(
                f"           pgbench {p['tps']:7.1f} tps, same statements (CPU: database "
                f"{p['db_cpu_s']:.1f} s, pgbench {p['client_cpu_s']:.1f} s in "
                f"{p['wall_s']:.1f} s; {p['failed']} failed)   ratio {h['tps'] / p['tps']:.3f}"
            )
    print(
        f"  transitions/s:   {r['tps']:.1f} median of rounds "
        f"({', '.join(f'{x:.1f}' for x in r['rates'])})"
    )
    per = [_cpu_per(rd["http"]) * 1e3 for rd in r["rounds"]]
    print(
        f"  server CPU:      {statistics.median(per):.2f} ms per transition, median of rounds "
        f"({', '.join(f'{x:.2f}' for x in per)}); load average {r['load']}"
    )
    if "pgbench_tps" in r:
        ratios = r["ratios"]
        print(
            f"  pgbench tps:     {r['pgbench_tps']:.1f} median; doudi / pgbench "
            f"{statistics.median(ratios):.3f} median of rounds "
            f"({', '.join(f'{x:.3f}' for x in ratios)}); goal >= 0.25"
        )
    print(
        f"  {r['transitions']} successful mutations, {r['cases_done']} cases taken through "
        "all 8 steps"
    )
    print("  latency per mutation request (all rounds):")
    print(f"    all mutations        p50 {r['p50_ms']:7.1f} ms   p99 {r['p99_ms']:7.1f} ms"
          "   (goal p99 <= 100 ms)")  # fmt: skip
    for name, (k, p50, p99) in r["per_mutation"].items():
        print(f"    {name:<20} n={k:<6} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")
    print(f"  VERSION_CONFLICT: {r['conflicts']}   other errors: {sum(r['errors'].values())}")
    for msg, k in r["errors"].most_common(5):
        print(f"    {k}× {msg[:300]}")
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
    ap.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn worker processes (doudi serve --workers); the server's CPU is the tree's",
    )
    ap.add_argument(
        "--no-pgbench", action="store_true", help="PostgreSQL without the pgbench baseline"
    )
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
                    bench_backend(
                        backend,
                        url,
                        data_dir,
                        args.clients,
                        args.seconds,
                        args.rounds,
                        workers=args.workers,
                    )
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
                    bench_backend(
                        backend,
                        url,
                        data_dir,
                        args.clients,
                        args.seconds,
                        args.rounds,
                        cluster,
                        pgbench=not args.no_pgbench,
                        workers=args.workers,
                    )
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
