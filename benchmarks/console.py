"""The console's page weight and the server time of its interactions, on the demo data.

    .venv/bin/python benchmarks/console.py [--rounds 3] [--chromium PATH] [--requests FILE]

Serves a fresh SQLite database loaded with `doudi demo load` (`doudi serve` in a subprocess)
and drives the distribution's Chromium with Playwright:

- **first load of every page**, cold cache: the bytes on the wire (compressed bodies plus
  headers, as Chromium counts them) of everything the page loads until the network is idle,
  against the 500 KB budget; the explorer is also measured with a value's panel and its
  history chart open (ECharts is loaded only then); GraphiQL at /graphql is shown for
  reference (an IDE for developers, not a console page);
- **server time of every GraphQL request** the pages and the interactions make (the
  ``Server-Timing`` header: ``app``, from the request's arrival to its answer, and ``cpu``, the
  server process's CPU time meanwhile), by operation, over ``--rounds`` rounds: median and max
  against 200 ms, the CPU time beside; beside them the same header of ``/healthz`` (a bare
  endpoint) as the floor measured in the same run, and the server process's CPU time beside the
  wall time of the whole run (the machine is shared: ratios and CPU time say more than wall
  time). A page sends its requests at once to one worker: in the pages, a request's time
  includes waiting for the others, and its CPU time theirs; each read is also replayed alone.

Interactions: compare five provinces (one prefix, then every parameter), open a value (source,
overrides, history of five jurisdictions), violations; the inbox; a case (its household,
history, steps open today, the form spec); a household search; a decision preview; a
payment month's summary and list; the calendar month; the users list; the annual review's runs
and snapshots, a run (progress, tasks) and a task's full trace; a reform simulation of Yangquan
(阳泉, 140300) by an analyst, with its chart (the page's weight is also measured with the result
and chart shown). The screens of issue 13, on a death list imported for 城区 (140302) and compared
before the rounds (finding 1, on case 1's spouse), a low-income recognition and a verification
of case 1: the registers page with a dry run of a 200-household register file and the publicity
list shown; the comparison page (batches, findings, supervision) with a comparison run; a
finding with its record, meaning and task; a case's verification reports; the low-income
register. Sign-in is reported on its own: Argon2id makes it deliberately slow (a password check
costs tens of milliseconds). ``simulateReform`` (the registers read, every household decided
twice by DuckDB) is an interaction like the others, held to the same budget; the same
simulation run by the CLI (``doudi simulate``, a process of its own: wall time with its
start-up) is shown beside it for reference.
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a benchmark password 1"
FIVE = "522700,140300,530000,450326,640121"
BUDGET_KB = 500
BUDGET_MS = 200.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "from core.cli import main; main()", *args],
        env=env, input=stdin, text=True, check=True, capture_output=True,
    )  # fmt: skip
    return done.stdout


def judge(worst: float) -> str:
    return "ok" if worst <= BUDGET_MS else "OVER"


def server_timing(header: str | None) -> tuple[float, float] | None:
    """(app, cpu) milliseconds of a ``Server-Timing: app;dur=X, cpu;dur=Y`` header."""
    if not header:
        return None
    found = dict(re.findall(r"(\w+);dur=([0-9.]+)", header))
    if "app" not in found:
        return None
    return float(found["app"]), float(found.get("cpu", "nan"))


SIMULATE = "query SimulateReform"
SIMULATE_CLI = ("simulate", "140300", "--scale", "dibao.standard.urban=1.1", "--at", "140300",
                "--from", "2024-01-01")  # fmt: skip


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def operation(post: str | None) -> str:
    if not post:
        return "GET"
    try:
        q = json.loads(post)["query"].strip()
    except (ValueError, KeyError):
        return "?"
    head = q.split("{", 1)[0].split("(", 1)[0].split()
    return " ".join(head[:2]) if head else "anonymous"


def replayable(op: str, post: str | None) -> bool:
    """Reads, and dry runs (a mutation with ``commit: false`` writes nothing)."""
    if not op.startswith("mutation"):
        return True
    try:
        return json.loads(post or "{}").get("variables", {}).get("commit") is False
    except ValueError:
        return False


class Recorder:
    def __init__(self, bodies: dict[str, tuple[str, str | None]] | None = None) -> None:
        self.bytes = 0
        self.requests = 0
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.bodies = bodies if bodies is not None else {}  # one request per operation

    def attach(self, page: Any) -> None:
        page.on("requestfinished", self.finished)

    def finished(self, request: Any) -> None:
        try:
            sizes = request.sizes()
        except Exception:  # the page was closed meanwhile: not counted
            return
        self.bytes += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        self.requests += 1
        if request.url.endswith("/graphql") and request.method == "POST":
            try:
                response = request.response()
                header = response.header_value("server-timing") if response else None
            except Exception:  # the page was closed meanwhile: not counted
                return
            timing = server_timing(header)
            if timing is not None:
                op = operation(request.post_data)
                self.timings[op].append(timing[0])
                self.cpu[op].append(timing[1])
                if replayable(op, request.post_data):  # replayed alone below
                    auth = request.headers.get("authorization")
                    self.bodies.setdefault(op, (request.post_data or "", auth))


def people_data(url: str, token: str) -> Path:
    """What the people screens show: a death list for 城区 with case 1's spouse on it, compared
    (finding 1), a low-income recognition, a verification of case 1; and a register file of 200
    households of 城区 for the dry run (written by `doudi households example`'s generator)."""
    from core.demo import demo_id_number
    from core.registers.examples import example_rows

    def call(query: str, variables: dict[str, Any]) -> Any:
        body = json.dumps({"query": query, "variables": variables}).encode()
        req = urllib.request.Request(f"{url}/graphql", data=body, method="POST")
        req.add_header("Content-Type", "application/json")
        req.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(req) as r:
            payload = next(iter(json.loads(r.read())["data"].values()))
        assert not payload["userErrors"], payload["userErrors"]
        return payload

    errors = "userErrors { field message code }"
    deaths = "身份证号,姓名,死亡日期\n14030219861002092X,刘芳,2024-11-20\n".encode()
    call(
        'mutation($c: String!) { importDepartmentBatch(kind: "deaths", department: "公安", '
        'jurisdiction: "140302", batchDate: "2024-11-25", fileName: "deaths.csv", '
        f"contentBase64: $c, commit: true) {{ committed {errors} }} }}",
        {"c": base64.b64encode(deaths).decode()},
    )
    call(f'mutation {{ runComparison(jurisdiction: "140302") {{ run {{ id }} {errors} }} }}', {})
    call(
        'mutation($id: String!) { recogniseLowIncome(idNumber: $id, name: "钱桂英", '
        'county: "140302", categories: ["marginal"], decision: "示例认定", tags: ["住房救助"]) '
        f"{{ person {{ id }} {errors} }} }}",
        {"id": demo_id_number("140302", "1958-09-10", 74, "f")},
    )
    call(f'mutation {{ requestVerification(caseId: "1") {{ report {{ id }} {errors} }} }}', {})
    path = Path(tempfile.mkdtemp(prefix="doudi-console-register-")) / "register.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(example_rows("140302", 200))
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument(
        "--requests",
        type=Path,
        default=None,
        help="write the reads and dry runs the pages made (operation, body, user) to this JSON "
        "file, with the data directory, for profiling them one by one",
    )
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="doudi-console-bench-"))
    args.data = data
    env = {k: v for k, v in os.environ.items() if k != "DOUDI_DATABASE_URL"}
    env.update(DOUDI_DATA_DIR=str(data), PYTHONPATH=str(ROOT))
    cli(env, "demo", "load")
    cli(env, "users", "add", "sx-analyst", "--role", "analyst", "--jurisdiction", "140000")
    for name in ("yq-county", "yq-clerk", "sx-admin", "sx-analyst"):
        cli(env, "users", "passwd", name, "--password-stdin", stdin=PASSWORD + "\n")
    # a review run of 城区 for the run's page (run 1)
    county = cli(env, "users", "token", "yq-county").strip().splitlines()[-1]
    cli(env, "annual-review", "run", "140302", "--quiet", "--token", county)
    analyst = cli(env, "users", "token", "sx-analyst").strip().splitlines()[-1]
    # the same simulation as the page's, by the CLI (wall time of the whole command)
    cli_times = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        cli(env, *SIMULATE_CLI, "--token", analyst)
        cli_times.append((time.perf_counter() - t0) * 1000)
    args.cli_simulate = cli_times
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-c", "from core.cli import main; main()", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        return run(url, server.pid, args)
    finally:
        server.terminate()
        server.wait(timeout=10)


def run(url: str, pid: int, args: argparse.Namespace) -> int:
    from playwright.sync_api import sync_playwright

    def session(name: str) -> str:
        q = (
            "mutation($n:String!,$p:String!){signIn(name:$n,password:$p){token expiresAt "
            "me{id name role permissions sessionExpiresAt jurisdiction{code name level}}}}"
        )
        body = json.dumps({"query": q, "variables": {"n": name, "p": PASSWORD}}).encode()
        req = urllib.request.Request(f"{url}/graphql", data=body, method="POST")
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req) as r:
            s = json.loads(r.read())["data"]["signIn"]
        return json.dumps({"token": s["token"], "expiresAt": s["expiresAt"], "me": s["me"]})

    pages = [
        ("explorer", None, f"/explorer?j={FIVE}&date=2024-01-01&prefix=dibao"),
        ("explorer + panel + chart", None,
         f"/explorer?j={FIVE}&date=2024-01-01&prefix=dibao.phase_out&sel=dibao.phase_out.max_months%40640121"),
        ("signin", None, "/signin"),
        ("inbox", "yq-county", "/inbox?state=active"),
        ("case", "yq-county", "/cases/1"),
        ("households (search)", "yq-clerk", "/households?j=140302&q=张"),
        ("household", "yq-clerk", "/households/4"),
        ("new household", "yq-clerk", "/households/new"),
        ("payments", "yq-county", "/payments?j=140302"),
        ("calendar", "yq-county", "/calendar"),
        ("users", "sx-admin", "/admin"),
        ("annual review", "yq-county", "/reviews"),
        ("review run", "yq-county", "/reviews/1"),
        ("simulation", "sx-analyst", "/simulate"),
        ("registers", "yq-county", "/registers?j=140302"),
        ("comparison", "yq-county", "/comparison?j=140302"),
        ("finding", "yq-county", "/findings/1"),
        ("verification", "yq-county", "/verification?case=1"),
        ("low-income register", "yq-county", "/lowincome?j=140302"),
        ("GraphiQL (reference)", None, "/graphql"),
    ]  # fmt: skip
    sessions = {who: session(who) for who in {p[1] for p in pages if p[1]}}
    register = people_data(url, json.loads(sessions["yq-county"])["token"])

    def local_only(r: Any) -> None:  # nothing may come from the internet
        if r.request.url.startswith(url):
            r.continue_()
        else:
            r.abort()

    weights: dict[str, tuple[int, int]] = {}
    timings: dict[str, list[float]] = defaultdict(list)
    cpus: dict[str, list[float]] = defaultdict(list)
    warm: dict[str, list[float]] = defaultdict(list)  # rounds after the first
    graphiql_ops: dict[str, list[float]] = defaultdict(list)  # GraphiQL's own queries
    bodies: dict[str, tuple[str, str | None]] = {}
    floor: list[float] = []
    cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        for round_ in range(args.rounds):
            for label, who, path in pages:
                context = browser.new_context(viewport={"width": 1366, "height": 900})
                context.route("**/*", local_only)
                page = context.new_page()
                if who:
                    page.goto(f"{url}/signin")
                    page.evaluate("s => localStorage.setItem('doudi.session', s)", sessions[who])
                rec = Recorder(bodies if "reference" not in label else None)
                rec.attach(page)
                page.goto(url + path)
                page.wait_for_load_state("networkidle")
                if "sel=" in path:
                    page.locator(".chart svg").wait_for(timeout=30000)
                    page.wait_for_load_state("networkidle")
                if round_ == 0:
                    weights[label] = (rec.bytes, rec.requests)
                if label == "explorer":  # every parameter of five provinces
                    page.select_option("#ex-prefix", "*")
                    page.get_by_role("button", name="对比", exact=True).click()
                    page.wait_for_load_state("networkidle")
                if label == "household":
                    page.get_by_role("button", name="认定预览").click()
                    page.wait_for_load_state("networkidle")
                if label == "review run":  # a task's full trace
                    page.get_by_role("button", name="查看完整依据").first.click()
                    page.locator("div.trace").wait_for(timeout=30000)
                    page.wait_for_load_state("networkidle")
                if label == "simulation":  # Yangquan's urban standard × 1.1, with the chart
                    page.fill("#sim-j", "140300")
                    page.fill("#sim-r0-o0-at", "140300")
                    page.fill("#sim-r0-o0-from", "2024-01-01")
                    page.get_by_role("button", name="开始模拟").click()
                    page.locator("#sim-chart svg").wait_for(timeout=60000)
                    page.wait_for_load_state("networkidle")
                    if round_ == 0:
                        weights["simulation + result + chart"] = (rec.bytes, rec.requests)
                if label == "registers":  # a dry run (writes nothing), the publicity list
                    page.set_input_files("#imp-file", str(register))
                    page.get_by_role("button", name="检查（试导入，不写入）").click()
                    page.locator(".notice").wait_for(timeout=60000)
                    page.get_by_role("button", name="在页面上查看").click()
                    page.locator("table.publicity").wait_for()
                    page.wait_for_load_state("networkidle")
                if label == "comparison":  # a run: every match raised before, none again
                    page.get_by_role("button", name=re.compile("开始比对")).click()
                    page.locator("#run-result").wait_for(timeout=60000)
                    page.locator(".loading").first.wait_for(state="detached", timeout=30000)
                    page.wait_for_load_state("networkidle")
                for op, ms in rec.timings.items():
                    (graphiql_ops if "reference" in label else timings)[op].extend(ms)
                    if "reference" not in label:
                        cpus[op].extend(rec.cpu[op])
                    if round_ and "reference" not in label:
                        warm[op].extend(ms)
                context.close()
            with urllib.request.urlopen(f"{url}/healthz") as r:
                floor.append(server_timing(r.headers["server-timing"])[0])  # type: ignore[index]
        # sign-in through the form, measured apart (Argon2id is slow on purpose)
        context = browser.new_context()
        page = context.new_page()
        rec = Recorder()
        rec.attach(page)
        for _ in range(args.rounds):
            page.goto(f"{url}/signin")
            page.fill("#signin-name", "yq-county")
            page.fill("#signin-password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/inbox")
            page.wait_for_load_state("networkidle")
            page.evaluate("() => localStorage.clear()")
        sign_in = rec.timings.get("mutation SignIn", [])
        context.close()
        browser.close()
    cpu, wall = cpu_seconds(pid) - cpu0, time.perf_counter() - wall0

    if args.requests is not None:
        who = {f"Bearer {json.loads(s)['token']}": name for name, s in sessions.items()}
        saved = [{"operation": op, "body": body, "user": who.get(auth or "")}
                 for op, (body, auth) in sorted(bodies.items())]  # fmt: skip
        args.requests.write_text(
            json.dumps({"dataDir": str(args.data), "requests": saved}, ensure_ascii=False)
        )

    # Each read again, alone (a page sends several at once to one worker, and each one's time
    # in the page includes waiting for the others).
    alone: dict[str, list[float]] = defaultdict(list)
    alone_cpu: dict[str, list[float]] = defaultdict(list)
    for _ in range(5):
        for op, (body, auth) in bodies.items():
            req = urllib.request.Request(f"{url}/graphql", data=body.encode(), method="POST")
            req.add_header("Content-Type", "application/json")
            if auth:
                req.add_header("Authorization", auth)
            with urllib.request.urlopen(req) as r:
                app, cpu_ms = server_timing(r.headers["server-timing"])  # type: ignore[misc]
                alone[op].append(app)
                alone_cpu[op].append(cpu_ms)
                r.read()

    print(f"First load, cold cache (bytes on the wire; budget {BUDGET_KB} KB):")
    over = 0
    for label, (n, requests) in weights.items():
        reference = "reference" in label
        ok = n <= BUDGET_KB * 1024 or reference
        over += not ok
        print(f"  {label:28s} {n / 1024:8.1f} KB  {requests:3d} requests  "
              f"{'' if reference else ('ok' if ok else 'OVER')}")  # fmt: skip
    print()
    print(f"Server time per GraphQL operation in the pages, {args.rounds} rounds (Server-Timing; "
          f"budget {BUDGET_MS:.0f} ms; a page's requests run at once on one worker, so each "
          "waits for the others and its CPU time counts theirs):")  # fmt: skip
    slow = 0
    for op, values in sorted(timings.items(), key=lambda kv: -max(kv[1])):
        worst = max(values)
        slow += worst > BUDGET_MS
        w = max(warm[op]) if warm.get(op) else float("nan")
        c = cpus[op]
        print(f"  {op:34s} n={len(values):3d}  median {statistics.median(values):7.1f} ms  "
              f"max {worst:7.1f} ms (warm {w:6.1f})  CPU median {statistics.median(c):6.1f} "
              f"max {max(c):6.1f} ms  {judge(worst)}")  # fmt: skip
    base = statistics.median(floor)
    print(f"  {'/healthz (floor, same run)':34s} n={len(floor):3d}  median {base:7.1f} ms")
    medians = [statistics.median(v) for v in timings.values()]
    print(
        f"  median of the operations' medians: {statistics.median(medians):.1f} ms "
        f"({statistics.median(medians) / max(base, 0.01):.0f}x the floor)"
    )
    for op, values in graphiql_ops.items():
        print(f"  {op + ' (GraphiQL, reference)':34s} n={len(values):3d}  median "
              f"{statistics.median(values):7.1f} ms  max {max(values):7.1f} ms")  # fmt: skip
    if sign_in:
        print(
            f"  sign-in (Argon2id, apart): median {statistics.median(sign_in):.1f} ms, "
            f"max {max(sign_in):.1f} ms"
        )
    if args.cli_simulate:
        c = args.cli_simulate
        print(f"  {SIMULATE + ' by `doudi simulate`':34s} n={len(c):3d}  median "
              f"{statistics.median(c):7.1f} ms  max {max(c):7.1f} ms "
              "(reference: the CLI's own process, wall time with its start-up)")  # fmt: skip
    print()
    print("The same reads and dry runs, each alone (5 times, after the pages; those with a token")
    print("are never answered from a cache; public policy reads may be), server time and CPU:")
    slow_alone = 0
    for op, values in sorted(alone.items(), key=lambda kv: -statistics.median(kv[1])):
        worst = max(values)
        slow_alone += worst > BUDGET_MS
        print(f"  {op:34s} median {statistics.median(values):7.1f} ms  max {worst:7.1f} ms  "
              f"CPU median {statistics.median(alone_cpu[op]):6.1f} max "
              f"{max(alone_cpu[op]):6.1f} ms  {judge(worst)}")  # fmt: skip
    print()
    print(f"Server process: {cpu:.2f} s CPU over {wall:.2f} s wall for the whole run")
    return 1 if over or slow_alone else 0


if __name__ == "__main__":
    sys.exit(main())
