"""Benchmark: policy resolution in-process, and the GraphQL ``policy`` query over HTTP.

    python benchmarks/policy_resolution.py                # everything (needs `wrk` for HTTP)
    python benchmarks/policy_resolution.py --no-http      # in-process figures only

In-process (goals from the issue): a warm full resolution of one county — every catalog path,
with explain (the overridden values) and the constraint checks — goal ≤ 1 ms; a warm five-way
compare of every path — goal ≤ 10 ms. Both are measured *without* the PolicyBase memo, so they
time the real work; the memoised figure is printed beside them.

HTTP: one uvicorn worker serves both the GraphQL endpoint and a bare Starlette endpoint that
builds the same JSON directly from the same PolicyBase. ``wrk`` (a real load generator, Debian
package ``wrk``) drives each in turn, interleaved, in the same run; the figure that matters is
GraphQL's rate as a fraction of the bare endpoint's — goal ≥ 0.5. The machine is small and
noisy, so each figure is the median of several rounds and the ratio is computed per round.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from core.policy.constraints import check_constraints, violations
from core.policy.resolution import compare, resolve
from core.policy.service import PolicyBase, build_policy_base

COUNTY = "640121"
FIVE = ["522700", "140300", "530000", "450326", "640121"]
AS_OF = dt.date(2024, 1, 1)
PATH = "dibao.phase_out.max_months"

QUERY = """query Policy($j: String!, $d: Date, $p: String!) {
  policy(jurisdiction: $j, asOf: $d) {
    jurisdiction { code name level }
    parameter(path: $p) {
      path value isSet effectiveFrom
      layer { code name level }
      source { title number section quote }
    }
  }
}"""
VARIABLES = {"j": COUNTY, "d": AS_OF.isoformat(), "p": PATH}


# -- in-process ----------------------------------------------------------------------------------


def _per_call(fn: Any, number: int, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        out.append((time.perf_counter() - t0) / number)
    return out


def in_process(base: PolicyBase, rounds: int) -> dict[str, float]:
    def full_resolution() -> None:
        policy = resolve(base.index, base.registry, base.catalog, COUNTY, AS_OF)
        violations(policy, check_constraints(policy, base.rules))

    def five_way_compare() -> None:
        policies = [resolve(base.index, base.registry, base.catalog, c, AS_OF) for c in FIVE]
        compare(policies, base.catalog.paths())

    def memoised() -> None:
        base.resolve(COUNTY, AS_OF)

    for fn in (full_resolution, five_way_compare, memoised):
        fn()  # warm
    res = {
        "full_resolution_ms": statistics.median(_per_call(full_resolution, 500, rounds)) * 1e3,
        "five_way_compare_ms": statistics.median(_per_call(five_way_compare, 100, rounds)) * 1e3,
        "memoised_resolution_ms": statistics.median(_per_call(memoised, 5000, rounds)) * 1e3,
    }
    return res


# -- HTTP ----------------------------------------------------------------------------------------


def bare_payload(base: PolicyBase, code: str, as_of: dt.date, path: str) -> dict[str, Any]:
    """Exactly what the GraphQL query returns, built directly."""
    j = base.jurisdiction(code)
    p = base.parameter(code, path, as_of)
    layer = p.layer
    src = p.source
    return {
        "data": {
            "policy": {
                "jurisdiction": {"code": j.code, "name": j.name, "level": j.level.name},
                "parameter": {
                    "path": p.path,
                    "value": p.value,
                    "isSet": p.is_set,
                    "effectiveFrom": p.effective_from.isoformat() if p.effective_from else None,
                    "layer": None
                    if layer is None
                    else {
                        "code": layer.jurisdiction.code,
                        "name": layer.jurisdiction.name,
                        "level": layer.jurisdiction.level.name,
                    },
                    "source": None
                    if src is None
                    else {
                        "title": src.document.title,
                        "number": src.document.number,
                        "section": src.section,
                        "quote": src.quote,
                    },
                },
            }
        }
    }


def bench_app() -> Any:
    """The GraphQL app plus ``/bare``: uvicorn ``--factory`` target."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from core.api.app import Backend, DoudiGraphQL, ResponseCache, create_app
    from core.api.context import ResultCache
    from core.policy.service import get_policy_base

    base = get_policy_base()
    app = create_app(base)

    async def bare(request: Request) -> JSONResponse:
        body = await request.json()
        v = body["variables"]
        return JSONResponse(bare_payload(base, v["j"], dt.date.fromisoformat(v["d"]), v["p"]))

    app.router.routes.insert(0, Route("/bare", bare, methods=["POST"]))
    # The same GraphQL view without the response-bytes cache: strawberry's parser,
    # validation and result caches only, to show what the response cache adds.
    uncached = DoudiGraphQL(Backend(base, None), ResultCache(), ResponseCache(maxsize=0))
    app.router.routes.insert(0, Route("/graphql-uncached", uncached, methods=["POST"]))
    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(url: str, body: bytes) -> Any:
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def _wrk(url: str, body: bytes, seconds: int, connections: int, workdir: Path) -> float:
    script = workdir / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(body.decode())}\n"
    )
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m is None or errors is not None:
        raise RuntimeError(f"wrk failed:\n{out}")
    return float(m.group(1))


def http(rounds: int, seconds: int, connections: int) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (or run with --no-http)")
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "benchmarks.policy_resolution:bench_app",
            "--factory",
            "--workers",
            "1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )
    base_url = f"http://127.0.0.1:{port}"
    body = json.dumps({"query": QUERY, "variables": VARIABLES}).encode()
    try:
        for _ in range(100):
            try:
                gql = _post(base_url + "/graphql", body)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start")
        bare = _post(base_url + "/bare", body)
        if gql != bare or _post(base_url + "/graphql-uncached", body) != bare:
            raise RuntimeError(f"responses differ:\n{gql}\n{bare}")
        rates: dict[str, list[float]] = {"bare": [], "graphql": [], "graphql-uncached": []}
        with tempfile.TemporaryDirectory() as tmp:
            _wrk(base_url + "/graphql", body, 2, connections, Path(tmp))  # warm-up
            for _ in range(rounds):
                for name in rates:
                    rates[name].append(
                        _wrk(f"{base_url}/{name}", body, seconds, connections, Path(tmp))
                    )
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=10)
    ratios = [g / b for g, b in zip(rates["graphql"], rates["bare"], strict=True)]
    uncached = [g / b for g, b in zip(rates["graphql-uncached"], rates["bare"], strict=True)]
    return {
        "bare_rps": statistics.median(rates["bare"]),
        "graphql_rps": statistics.median(rates["graphql"]),
        "uncached_rps": statistics.median(rates["graphql-uncached"]),
        "ratio_median": statistics.median(ratios),
        "ratios": [round(r, 3) for r in ratios],
        "uncached_ratio_median": statistics.median(uncached),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-http", action="store_true", help="skip the HTTP part")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=5, help="wrk duration per round")
    ap.add_argument("--connections", type=int, default=8)
    args = ap.parse_args()

    base = build_policy_base()
    res = in_process(base, args.rounds)
    print(f"catalog paths: {len(base.catalog)}; county {COUNTY}; as of {AS_OF}")
    print(
        f"warm full resolution (every path, explain, checks): {res['full_resolution_ms']:.3f} ms"
        "   goal <= 1 ms"
    )
    print(
        f"warm five-way compare of every path:               {res['five_way_compare_ms']:.3f} ms"
        "   goal <= 10 ms"
    )
    print(
        f"memoised resolution (PolicyBase.resolve):          {res['memoised_resolution_ms']:.4f} ms"
    )
    if not args.no_http:
        h = http(args.rounds, args.seconds, args.connections)
        print(
            f"HTTP, 1 uvicorn worker, wrk -t1 -c{args.connections}, {args.rounds}×{args.seconds}s:"
        )
        print(f"  bare starlette endpoint: {h['bare_rps']:.0f} req/s")
        print(f"  GraphQL policy query:    {h['graphql_rps']:.0f} req/s")
        print(f"  GraphQL without the response cache: {h['uncached_rps']:.0f} req/s")
        print(f"  GraphQL / bare: {h['ratio_median']:.2f} (per round {h['ratios']})   goal >= 0.5")
        print(f"  GraphQL without the response cache / bare: {h['uncached_ratio_median']:.2f}")


if __name__ == "__main__":
    main()
