"""One definition of each bulk job, two engines: DuckDB (embedded) and Apache Spark (local mode)
run the same decide, annual-review and simulation jobs on the same snapshot and give identical
results, row for row and type for type.

One SparkSession serves the whole test session (starting the JVM costs seconds): the ``spark``
fixture of tests/bulk/conftest.py.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pyarrow as pa
import pytest

from core.bulk import jobs
from core.bulk.engines import DuckDBEngine, SparkEngine, compiled, open_engine
from core.bulk.policy_table import policy_table
from core.bulk.reform import Override, Reform, reform_base
from core.bulk.review import ReviewScope
from core.bulk.snapshot import (
    SCHEMAS,
    Manifest,
    SnapshotWriter,
    document_lines,
    read_documents,
)
from core.households.model import household_to_json
from tests.support.bulk_households import (
    county_layers,
    generate_households,
    plugin_counties,
    without_national,
)

# py4j leaves the sockets Spark hands results over closed by the garbage collector.
pytestmark = pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)

N = 1500
SEED = 7
AS_OF = dt.date(2024, 6, 1)
STATES = ("active", "active", "active", "phasing_out", "accepted", "in_publicity", "exited")


@pytest.fixture(scope="module")
def world(base, tmp_path_factory):
    counties = plugin_counties(base.registry)
    policy = without_national(base).with_layers(county_layers(base, counties, SEED))
    households = list(generate_households(counties, N, SEED, AS_OF))
    writer = SnapshotWriter(tmp_path_factory.mktemp("engines"), "000000", AS_OF, "parity")

    def documents():
        for i, h in enumerate(households, start=1):
            doc = household_to_json(h)
            doc.update(_id=i, _province=h.county[:2] + "0000")
            yield doc

    for batch, lines in read_documents(document_lines(documents())):
        writer.write_documents(batch, lines)
    rng = random.Random(SEED)
    rows = []
    for i, h in enumerate(households, start=1):
        for program in ("dibao", "tekun"):
            if rng.random() < 0.5:
                continue
            state = rng.choice(STATES)
            single = program == "dibao" and rng.random() < 0.3
            covered = (
                "," + ",".join(m.id_number for m in h.members[:2]) + ","
                if single or program == "tekun"
                else ","
            )
            rows.append(
                {
                    "case_id": len(rows) + 1,
                    "hh_id": i,
                    "program": program,
                    "county": h.county,
                    "prefecture": None,
                    "province": h.county[:2] + "0000",
                    "state": state,
                    "version": rng.randrange(1, 9),
                    "amount_fen": rng.choice([None, rng.randrange(0, 300000)]),
                    "benefit_from": None,
                    "exit_on": AS_OF - dt.timedelta(days=rng.randrange(0, 900))
                    if state == "exited"
                    else None,
                    "exit_reason": "moved_away" if state == "exited" else None,
                    "phase_out_last_month": rng.choice(["2024-03", "2024-06", "2025-01"])
                    if state == "phasing_out"
                    else None,
                    "members_covered": covered,
                    "mode": "single_person" if single else "whole_household",
                }
            )
    writer.write("cases", pa.RecordBatch.from_pylist(rows, schema=SCHEMAS["cases"]))
    snap = writer.finish(
        Manifest("parity", "000000", "", AS_OF, dt.datetime.now(dt.UTC), "generated", "-")
    )
    reform = Reform(
        "richer",
        (
            Override("dibao.standard.rural", "530000", dt.date(2024, 1, 1), scale=Decimal("1.1")),
            Override("low_income.marginal_multiple", "000000", dt.date(2024, 1, 1), value=1.8),
        ),
    )
    return policy, snap, reform_base(policy, reform, snap.manifest.counties, AS_OF)


def _sorted(table: pa.Table, keys: list[str]) -> pa.Table:
    return table.sort_by([(k, "ascending") for k in keys])


def _same(a: pa.Table, b: pa.Table, keys: list[str]) -> None:
    assert a.schema.equals(b.schema), (a.schema, b.schema)
    a, b = _sorted(a, keys), _sorted(b, keys)
    assert a.num_rows == b.num_rows
    for name in a.column_names:
        assert a.column(name).to_pylist() == b.column(name).to_pylist(), name


def test_every_job_gives_the_same_result_on_duckdb_and_spark(world, spark, tmp_path):
    policy, snap, reformed = world
    scope = ReviewScope(
        exited_since=dt.date(2023, 6, 1), tags=("clergy_living_apart", "retrenched_1960s_worker")
    )
    scenarios = [("baseline", policy), ("richer", reformed)]
    results = {}
    for engine in (DuckDBEngine(), SparkEngine(spark)):
        try:
            decisions, covered, _loaded = jobs.decide(engine, snap, scenarios, AS_OF)
            review = jobs.review(engine, snap, policy, AS_OF, scope)
            # The review as the service runs it: written to Parquet by the engine.
            engine.to_parquet(review, tmp_path / engine.name / "review.parquet")
            t0 = time.perf_counter()
            results[engine.name] = {
                "decisions": engine.to_arrow(decisions),
                "covered": engine.to_arrow(covered),
                "review": engine.to_arrow(review),
                # A plan: compiled once by DuckDB, built over views at each run by Spark.
                "simulate": jobs.simulate(
                    engine, snap, scenarios, AS_OF, ("dibao", "low_income", "tekun")
                ),
            }
            print(engine.name, round(time.perf_counter() - t0, 1), "s")
        finally:
            engine.close()
    duck, spark_ = results["duckdb"], results["spark"]
    _same(duck["decisions"], spark_["decisions"], ["scenario", "program", "hh_id"])
    _same(duck["covered"], spark_["covered"], ["scenario", "program", "hh_id", "pid"])
    _same(duck["review"], spark_["review"], ["hh_id", "program"])
    _same(duck["simulate"], spark_["simulate"], ["scenario", "program", "county"])
    assert duck["decisions"].num_rows == 2 * 3 * N
    proposals = set(duck["review"].column("proposal").to_pylist())
    assert {"continue", "raise", "lower", "phase_out", "exit", "cannot_decide"} <= proposals
    assert {"eligible", "not_eligible"} <= proposals
    scopes = set(duck["review"].column("scope").to_pylist())
    assert scopes == {"in_payment", "applicant", "exited", "tagged"}
    sim = duck["simulate"].to_pylist()
    assert any(r["winners"] > 0 for r in sim) and any(r["newly_eligible"] > 0 for r in sim)

    import pyarrow.parquet as pq

    on_disk = {e: pq.read_table(tmp_path / e / "review.parquet") for e in ("duckdb", "spark")}
    for e in on_disk:
        on_disk[e] = on_disk[e].cast(duck["review"].schema)
    _same(on_disk["duckdb"], on_disk["spark"], ["hh_id", "program"])


def test_an_engine_is_named_and_its_options_checked() -> None:
    with pytest.raises(ValueError, match="one of duckdb, spark, not 'hive'"):
        open_engine("hive")
    with pytest.raises(ValueError, match="a size such as '8GB'"):
        open_engine("duckdb", memory_limit="1GB'; SET threads = 1; --")
    engine = open_engine("duckdb", memory_limit="1GB", threads=1)
    try:
        assert engine.name == "duckdb"
        t = engine.register(pa.table({"a": pa.array([1, None], pa.int64())}), "t")
        assert engine.to_arrow(t).column("a").to_pylist() == [1, None]
    finally:
        engine.close()


def _simulate_fresh(engine, snap, scenarios, as_of, programs) -> pa.Table:
    """The simulation as an expression built over this run's tables and compiled now: what the
    cached plan must answer."""
    plan = jobs.simulate_plan(programs, False)
    tables = {n: engine.read_parquet(snap.file(n), n) for n in jobs.DECIDE_INPUTS}
    policy = policy_table(scenarios, snap.manifest.counties, as_of)
    tables["policy"] = engine.register(policy, "policy")
    tables["params"] = engine.register(jobs.params_table(as_of), "params")
    return engine.to_arrow(plan.build(tables))


def test_a_simulation_is_compiled_once_whatever_the_date_or_the_policy(world):
    """DuckDB compiles a plan once per process: the date and the policy enter as tables, never
    into the SQL, so the one compilation answers every date and every policy exactly as an
    expression built for them would."""
    policy, snap, reformed = world
    programs = ("dibao", "low_income", "tekun")
    first = compiled(jobs.simulate_plan(programs, False))
    assert compiled(jobs.simulate_plan(programs, False)) is first  # kept, not compiled again
    sql, _schema = first
    assert "MAKE_DATE" not in sql and "2024" not in sql and "baseline" in sql
    later = AS_OF + dt.timedelta(days=3 * 365)  # members turn 18 and 60, minors age out
    engine = DuckDBEngine()
    try:
        for day, scenarios in (
            (AS_OF, [("baseline", policy), ("richer", reformed)]),
            (later, [("baseline", policy), ("richer", reformed)]),
            (AS_OF, [("baseline", reformed), ("poorer", policy)]),
        ):
            cached = jobs.simulate(engine, snap, scenarios, day, programs)
            _same(cached, _simulate_fresh(engine, snap, scenarios, day, programs),
                  ["scenario", "program", "county"])  # fmt: skip
        assert compiled(jobs.simulate_plan(programs, False)) is first
        on = {d: jobs.simulate(engine, snap, [("baseline", policy), ("richer", reformed)], d,
                               programs) for d in (AS_OF, later)}  # fmt: skip
        assert on[AS_OF].to_pylist() != on[later].to_pylist()  # the date is read, not fixed
    finally:
        engine.close()


def test_engines_on_the_process_database_keep_their_tables_apart(world):
    """Every DuckDB engine is a connection of one in-memory database: engines running at once
    bind their own tables under the same names and see only theirs."""
    policy, snap, reformed = world
    runs = [
        [("baseline", policy), ("richer", reformed)],
        [("baseline", reformed), ("poorer", policy)],
    ] * 3

    def one(scenarios):
        engine = DuckDBEngine()
        try:
            return jobs.simulate(engine, snap, scenarios, AS_OF, ("dibao", "tekun"))
        finally:
            engine.close()

    alone = [one(s) for s in runs[:2]]
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        together = list(pool.map(one, runs))
    for k, table in enumerate(together):
        assert table.equals(alone[k % 2])
    assert not alone[0].equals(alone[1])


def test_a_server_compiles_the_default_simulation_before_it_is_asked(monkeypatch):
    """`doudi serve` warms up on a background thread: the ID-number region tables read and the
    console's default simulation (dibao, registered households) compiled."""
    from core.api.app import warm_up
    from core.bulk import engines

    plan = jobs.simulate_plan(("dibao",), False)
    monkeypatch.setattr(engines, "_compiled", engines._Compiled())  # as in a fresh process
    warm_up(freeze=False).join(timeout=300)  # a server freezes what it loaded; not a test
    assert ("duckdb", *plan.key) in engines._compiled
    assert compiled(plan) is engines._compiled[("duckdb", *plan.key)]


def test_a_file_read_with_its_known_schema_reads_as_without(world) -> None:
    """A snapshot's files are read with the schema the snapshot declares (no look at the file
    first): the same table, column for column and row for row, as when DuckDB reads it itself;
    and the SQL over either runs unchanged."""
    _policy, snap, _reformed = world
    engine = DuckDBEngine()
    try:
        for name in ("households", "members", "deaths", "marked"):
            known = engine.read_parquet(snap.file(name), name, SCHEMAS[name])
            read = engine.read_parquet(snap.file(name), name)
            assert known.schema() == read.schema()
            a, b = engine.to_arrow(known), engine.to_arrow(read)
            assert a.num_rows > 0 and a.equals(b)
        members = engine.read_parquet(snap.file("members"), "members", SCHEMAS["members"])
        alive = members.filter(members.death_date.isnull()).count()
        assert (
            0
            < engine.to_arrow(alive.as_table()).column(0)[0].as_py()
            < engine.to_arrow(members).num_rows
        )
    finally:
        engine.close()
