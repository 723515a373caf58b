"""Benchmark: 1,000,000 stored households decided from a snapshot, end to end, against OpenFisca's
country template deciding a means test for 1,000,000 households — ratios from the same run.

    python benchmarks/bulk_decide.py                     # 1,000,000 households, 3 rounds each
    python benchmarks/bulk_decide.py -n 100000 --rounds 1

doudi (each round a fresh process, DuckDB embedded, the machine's 2 cores): read the snapshot's
Parquet files (households with their members' sums, members, the dead and the marked members:
core.bulk.snapshot; the item tables are summed into these at export), build the policy table
from the merged policy (148 counties × 2 areas, resolved once each), decide dibao (whole
household and single person, with deductions, deaths, the marginal test; the rules held
identical to the traced engine by tests/bulk/test_differential.py) and write every decision
(every column of core.bulk.rules.DECISION_COLUMNS) to Parquet. Timed: the job
(policy table + decide + write, wall and CPU of every thread) and the whole process (with Python
imports). The snapshot is generated once and cached (benchmarks/bulk_data.py); exporting it from
PostgreSQL is benchmarks/bulk_snapshot_export.py.

OpenFisca (openfisca-core + openfisca-country-template in their own venv, created on first use
under ~/.cache/doudi-bench; never in doudi's environment): benchmarks/openfisca_means_test.py,
1,000,000 households of 1–6 persons; per run the simulation is built (entities, roles,
set_input) and ``parenting_allowance`` — the template's own household means test — computed,
then the ``dibao``-like per-capita benefit a country package would add. Its figure is setup +
compute (the tax-benefit system load and input generation excluded, in its favour).

``--baseline TREE`` adds a third run to each round: another checkout's doudi (main's, say, from
``git worktree add --detach /tmp/main main``), its own benchmark child and code with this
interpreter and the same snapshot, so a change is measured against the code before it under
the same load.

Rounds alternate OpenFisca and doudi, each preceded by the load average (the machine is shared);
the summary gives medians and the rate ratios (OpenFisca time / doudi time: above 1, doudi
decides more households per second), by wall clock and by CPU. Goal: ≥ 2×.

Where doudi's seconds go: each round reports the job in phases, wall and CPU — the policy table
(``policy_*``), reading the snapshot's schemas and registering the policy table (``read_*``),
building the rules' Ibis expression (``rules_*``), compiling it to SQL (``compile_*``), and
DuckDB running it and writing Parquet (``query_*``). ``--profile DIR`` adds DuckDB's own profile
of the query (JSON, per operator: time and rows) to DIR/duckdb-profile-<round>.json, the SQL to
DIR/query.sql, and the ten costliest operators to the round's record (profiling adds overhead:
compare profiled rounds with profiled rounds).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bulk_data  # noqa: E402


def openfisca_python() -> Path:
    env = bulk_data.cache_dir() / "openfisca-venv"
    py = env / "bin" / "python"
    if not py.exists():
        print(f"creating OpenFisca's own venv at {env}", file=sys.stderr)
        venv.create(env, with_pip=True)
        subprocess.run(
            [str(py), "-m", "pip", "install", "-q", "openfisca-core",
             "openfisca-country-template"],
            check=True,
        )  # fmt: skip
    return py


def run_openfisca(py: Path, n: int) -> dict:
    out = bulk_data.cache_dir() / "openfisca-run.json"
    subprocess.run(
        [str(py), str(HERE / "openfisca_means_test.py"), "--households", str(n), "--runs", "1",
         "--benefit", "parenting_allowance", "--benefit", "dibao", "--json", str(out)],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    data = json.loads(out.read_text())
    runs = {r["benefit"]: r for r in data["runs"]}
    return {
        "parenting_wall_s": runs["parenting_allowance"]["total_wall_s"],
        "parenting_cpu_s": runs["parenting_allowance"]["total_cpu_s"],
        "dibao_wall_s": runs["dibao"]["total_wall_s"],
        "dibao_cpu_s": runs["dibao"]["total_cpu_s"],
        "versions": {k: data["summary"][k] for k in ("openfisca_core",
                                                      "openfisca_country_template")},
    }  # fmt: skip


def top_operators(profile: Path, k: int = 10) -> list[dict]:
    """The ``k`` operators of a DuckDB JSON profile with the most time (summed over threads)."""
    ops: list[dict] = []

    def walk(node: dict) -> None:
        info = node.get("extra_info", {})
        what = info.get("Filename(s)") or info.get("Conditions") or info.get("Groups") or ""
        ops.append({"operator": node.get("name"), "s": round(node.get("timing", 0.0), 3),
                    "rows": node.get("intermediate_rows"), "on": str(what)[-60:]})  # fmt: skip
        for c in node.get("children", []):
            walk(c)

    for node in json.loads(profile.read_text()).get("operator", []):
        walk(node)
    return sorted(ops, key=lambda o: -o["s"])[:k]


def child(n: int, programs: str, out: str, profile: str | None, round_no: int) -> None:
    """One doudi round, in its own process: imports and the policy base first (like loading
    OpenFisca's tax-benefit system, not part of the job), then the job timed in phases."""
    w0, c0 = time.perf_counter(), time.process_time()
    import ibis.backends.duckdb  # noqa: F401 - imported before the clock starts
    import pandas  # noqa: F401 - pyarrow imports it on first use where it is installed

    from core.bulk import jobs, rules
    from core.bulk.engines import DuckDBEngine
    from core.bulk.policy_table import policy_table
    from core.bulk.snapshot import SCHEMAS

    snap = bulk_data.snapshot(n)
    base = bulk_data.policy()
    progs = tuple(programs.split(","))
    w1, c1 = time.perf_counter(), time.process_time()
    table = policy_table([("baseline", base)], snap.manifest.counties, bulk_data.AS_OF)
    w2, c2 = time.perf_counter(), time.process_time()
    engine = DuckDBEngine()
    tables = {
        name: engine.read_parquet(snap.file(name), name, SCHEMAS[name])
        for name in ("households", "members", "deaths", "marked")
    }
    policy = engine.register(table, "policy")
    # The date as the jobs give it: a one-row table (core.bulk.jobs.load).
    day = jobs.as_of_of(engine.register(jobs.params_table(bulk_data.AS_OF), "params"))
    w2a, c2a = time.perf_counter(), time.process_time()
    decisions, _covered = rules.decide(**tables, policy=policy, as_of=day, programs=progs)
    w2b, c2b = time.perf_counter(), time.process_time()
    sql = engine.sql(decisions)
    w3, c3 = time.perf_counter(), time.process_time()
    prof_file = None
    if profile:
        prof_dir = Path(profile)
        prof_dir.mkdir(parents=True, exist_ok=True)
        (prof_dir / "query.sql").write_text(sql)
        prof_file = prof_dir / f"duckdb-profile-{round_no}.json"
        engine.con.raw_sql("PRAGMA enable_profiling = 'json'")
        engine.con.raw_sql(f"PRAGMA profiling_output = '{prof_file}'")
    engine.con.raw_sql(f"COPY ({sql}) TO '{out}' (FORMAT parquet)")
    w4, c4 = time.perf_counter(), time.process_time()
    if profile:
        engine.con.raw_sql("PRAGMA disable_profiling")
    counts = engine.to_arrow(
        engine.read_parquet(Path(out), "d").group_by("status").aggregate(n=lambda t: t.count())
    ).to_pylist()
    engine.close()
    bulk_data.emit(
        {
            "policy_wall_s": round(w2 - w1, 3),
            "policy_cpu_s": round(c2 - c1, 3),
            "read_wall_s": round(w2a - w2, 3),
            "read_cpu_s": round(c2a - c2, 3),
            "rules_wall_s": round(w2b - w2a, 3),
            "rules_cpu_s": round(c2b - c2a, 3),
            "compile_wall_s": round(w3 - w2b, 3),
            "compile_cpu_s": round(c3 - c2b, 3),
            "setup_wall_s": round(w3 - w2, 3),
            "setup_cpu_s": round(c3 - c2, 3),
            "query_wall_s": round(w4 - w3, 3),
            "query_cpu_s": round(c4 - c3, 3),
            "job_wall_s": round(w4 - w1, 3),
            "job_cpu_s": round(c4 - c1, 3),
            "process_wall_s": round(w4 - w0, 3),
            "process_cpu_s": round(c4 - c0, 3),
            "decisions": {r["status"]: r["n"] for r in counts},
            "peak_rss_mib": bulk_data.peak_rss_mib(),
            **({"top_operators": top_operators(prof_file)} if prof_file else {}),
        }
    )


def run_doudi(
    n: int, programs: str, profile: str | None = None, round_no: int = 1, tree: Path | None = None
) -> dict:
    """One doudi round in a fresh process: this checkout's code, or ``tree``'s (another checkout
    of doudi, e.g. main's in a ``git worktree``: its own benchmark script and code, run with this
    interpreter and the same snapshot)."""
    out = bulk_data.cache_dir() / "decisions.parquet"
    if out.exists():
        out.unlink()
    script = Path(__file__) if tree is None else tree / "benchmarks" / "bulk_decide.py"
    proc = subprocess.run(
        [sys.executable, str(script), "--child", "-n", str(n), "--programs", programs,
         "--out", str(out), "--round", str(round_no),
         *(["--profile", profile] if profile else [])],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--programs", default="dibao")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--skip-openfisca", action="store_true")
    ap.add_argument("--profile", metavar="DIR", help="write DuckDB's profile of each round here")
    ap.add_argument("--round", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument(
        "--baseline", metavar="TREE", type=Path,
        help="also run another checkout's doudi (e.g. main's, from `git worktree add`) in each "
             "round, interleaved, and compare",
    )  # fmt: skip
    args = ap.parse_args()
    if args.child:
        child(args.n, args.programs, args.out, args.profile, args.round)
        return 0
    snap = bulk_data.snapshot(args.n)  # generate (or find) it before timing anything
    bulk_data.emit({"snapshot": str(snap.path), "rows": snap.manifest.rows,
                    "cpus": os.cpu_count()})  # fmt: skip
    py = None if args.skip_openfisca else openfisca_python()
    of_runs, doudi_runs, base_runs = [], [], []
    for k in range(args.rounds):
        if args.baseline is not None:
            load = bulk_data.loadavg()
            b = run_doudi(args.n, args.programs, None, k + 1, args.baseline)
            base_runs.append(b)
            bulk_data.emit({"round": k + 1, "baseline": b, "load_before": load})
        if py is not None:
            load = bulk_data.loadavg()
            r = run_openfisca(py, args.n)
            of_runs.append(r)
            bulk_data.emit({"round": k + 1, "openfisca": r, "load_before": load})
        load = bulk_data.loadavg()
        d = run_doudi(args.n, args.programs, args.profile, k + 1)
        doudi_runs.append(d)
        bulk_data.emit({"round": k + 1, "doudi": d, "load_before": load})

    def med(runs: list[dict], key: str) -> float:
        return round(statistics.median(r[key] for r in runs), 3)

    summary: dict = {"households": args.n, "programs": args.programs}
    for key in ("policy_wall_s", "policy_cpu_s", "read_cpu_s", "rules_cpu_s", "compile_cpu_s",
                "setup_wall_s", "setup_cpu_s", "query_wall_s", "query_cpu_s", "job_wall_s",
                "job_cpu_s", "process_wall_s", "process_cpu_s"):  # fmt: skip
        summary[f"doudi_{key}"] = med(doudi_runs, key)
    summary["doudi_households_per_s_wall"] = round(args.n / summary["doudi_job_wall_s"])
    summary["doudi_households_per_cpu_s"] = round(args.n / summary["doudi_job_cpu_s"])
    if of_runs:
        for key in ("parenting_wall_s", "parenting_cpu_s", "dibao_wall_s", "dibao_cpu_s"):
            summary[f"openfisca_{key}"] = med(of_runs, key)
        for of in ("parenting", "dibao"):
            for clock in ("wall", "cpu"):
                summary[f"ratio_{clock}_vs_openfisca_{of}_job"] = round(
                    summary[f"openfisca_{of}_{clock}_s"] / summary[f"doudi_job_{clock}_s"], 2
                )
                summary[f"ratio_{clock}_vs_openfisca_{of}_query"] = round(
                    summary[f"openfisca_{of}_{clock}_s"] / summary[f"doudi_query_{clock}_s"], 2
                )
        summary["openfisca_versions"] = of_runs[0]["versions"]
    if base_runs:
        summary["baseline_tree"] = str(args.baseline)
        for clock in ("wall", "cpu"):
            for part in ("job", "query"):
                summary[f"baseline_{part}_{clock}_s"] = med(base_runs, f"{part}_{clock}_s")
            summary[f"speedup_{clock}_vs_baseline_job"] = round(
                summary[f"baseline_job_{clock}_s"] / summary[f"doudi_job_{clock}_s"], 2
            )
            if of_runs:
                summary[f"baseline_ratio_{clock}_vs_openfisca_parenting_job"] = round(
                    summary[f"openfisca_parenting_{clock}_s"] / summary[f"baseline_job_{clock}_s"],
                    2,
                )
    bulk_data.emit({"summary": summary})
    return 0


if __name__ == "__main__":
    sys.exit(main())
