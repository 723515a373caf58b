"""The bulk rules and the traced per-household engine decide the same: 100,000 generated
households over every county of the five provinces' plugins (seeded: the same households every
run), every program, household by household — status, mode, the members covered and the amount,
exactly.

The policy varies by county the way documents do (tests.support.bulk_households): standards set,
explicitly not set, or left to the plugins; deductions allowed for some kinds, none, or not set;
single-person enrolment on, off or not set with any list of conditions; the marginal and
low-income multiples set or not; tekun's basic standard and minor age limit set or not; the
amount by the gap method, banded, or not set. (The national values of a few paths are removed,
NATIONAL_GAPS, so that "not set" is reached: a county's layer can end its own value, never a
national one.) The households hit every branch: ties at half a fen, members dead before, on and
after the date (with income and spending of their own), nobody alive, candidates of every
single-person condition (several in one household), minors at the age limit and people turning
60 on the day.

The bulk side reads what a database export writes: the households as stored documents, through
the NDJSON reader and Arrow flattening of :mod:`core.bulk.snapshot`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.bulk import jobs, rules
from core.bulk.engines import DuckDBEngine
from core.bulk.policy_table import policy_table
from core.bulk.snapshot import (
    ROW_GROUP_ROWS,
    Manifest,
    SnapshotWriter,
    document_lines,
    read_documents,
)
from core.eligibility import evaluate
from core.households.model import household_to_json, parse_household
from tests.support.bulk_households import (
    county_layers,
    generate_households,
    plugin_counties,
    without_national,
)

N = int(os.environ.get("DOUDI_DIFFERENTIAL_HOUSEHOLDS", "100000"))
SEED = 20241203
AS_OF = dt.date(2024, 6, 1)


@pytest.fixture(scope="module")
def world(base, tmp_path_factory):
    counties = plugin_counties(base.registry)
    policy = without_national(base).with_layers(county_layers(base, counties, SEED))
    households = list(generate_households(counties, N, SEED, AS_OF))
    root = tmp_path_factory.mktemp("differential")
    writer = SnapshotWriter(root, "000000", AS_OF, "generated")

    def documents():
        for i, h in enumerate(households, start=1):
            doc = household_to_json(h)
            doc["_id"] = i
            yield doc

    for batch, lines in read_documents(document_lines(documents())):
        writer.write_documents(batch, lines)
    snap = writer.finish(
        Manifest("generated", "000000", "", AS_OF, dt.datetime.now(dt.UTC), "generated", "-")
    )
    return policy, counties, households, snap


def test_the_generated_population_covers_every_county_of_the_five_provinces(world) -> None:
    _policy, counties, households, _snap = world
    assert len(counties) > 140
    assert {h.county[:2] for h in households} == {"14", "45", "52", "53", "64"}
    assert len({h.county for h in households}) == len(counties)


def test_documents_read_back_as_the_same_households(world, registry) -> None:
    _policy, _c, households, _snap = world
    for h in households[:: max(1, len(households) // 500)]:
        again = parse_household(household_to_json(h), registry, dt.date.max)
        assert again == h


def _continuing(households) -> dict[int, frozenset[str]]:
    """Every third household's minors and young adults: supported by a tekun case already, so
    the continuation rule (特困人员认定办法 art. 24) is decided on both sides."""
    out = {}
    for i, h in enumerate(households, start=1):
        if i % 3 == 0:
            young = frozenset(m.id_number for m in h.members if m.age_on(AS_OF) < 22)
            if young:
                out[i] = young
    return out


def test_bulk_and_traced_decide_every_household_the_same(world) -> None:
    policy, counties, households, snap = world
    continuing = _continuing(households)
    continuing_pairs = [(i, n) for i, ids in continuing.items() for n in sorted(ids)]
    engine = DuckDBEngine()
    try:
        tables = {
            n: engine.read_parquet(snap.file(n), n)
            for n in ("households", "members", "deaths", "marked")
        }
        table = policy_table([("baseline", policy)], counties, AS_OF)
        kept = engine.register(
            pa.table(
                {
                    "hh_id": [i for i, _n in continuing_pairs],
                    "id_number": [n for _i, n in continuing_pairs],
                }
            ),
            "continuing",
        )
        # The date as the jobs give it: a one-row table's value (the same SQL on every date).
        day = jobs.as_of_of(engine.register(jobs.params_table(AS_OF), "params"))
        decisions, covered = rules.decide(
            **tables, policy=engine.register(table, "policy"), as_of=day, continuing=kept
        )
        d = engine.to_arrow(decisions).to_pydict()
        c = engine.to_arrow(covered).to_pydict()
    finally:
        engine.close()
    members = pq.read_table(snap.file("members"), columns=["pid", "id_number"]).to_pydict()
    number = dict(zip(members["pid"], members["id_number"], strict=True))
    covered_by: dict[tuple[str, int], set[str]] = {}
    for program, hh, pid in zip(c["program"], c["hh_id"], c["pid"], strict=True):
        covered_by.setdefault((program, hh), set()).add(number[pid])
    bulk = {
        (p, h): (s, m, a)
        for p, h, s, m, a in zip(
            d["program"], d["hh_id"], d["status"], d["mode"], d["amount_fen"], strict=True
        )
    }
    assert len(bulk) == 3 * len(households)

    seen: Counter[tuple[str, str, str | None]] = Counter()
    grounds: Counter[str] = Counter()
    reasons: Counter[tuple[str, str]] = Counter(zip(d["program"], d["reason"], strict=True))
    mismatches = []
    for i, h in enumerate(households, start=1):
        resolved = policy.resolve(h.county, AS_OF)
        for program in rules.PROGRAMS:
            if program == "tekun":
                x = evaluate(h, program, resolved, AS_OF, continuing=continuing.get(i, frozenset()))
            else:
                x = evaluate(h, program, resolved, AS_OF)
            grounds.update(g.applies for g in x.grounds)
            grounds.update(f"rule:{g.rule}" for g in x.grounds)
            amount = None if x.monthly_amount is None else int(x.monthly_amount * 100)
            traced = (x.status, x.mode, amount, frozenset(x.members_covered))
            s, m, a = bulk[(program, i)]
            mine = (s, m, a, frozenset(covered_by.get((program, i), ())))
            seen[(program, x.status, x.mode)] += 1
            if mine != traced:
                mismatches.append((program, i, mine, traced, x.reasons[:2]))
    assert not mismatches, f"{len(mismatches)} differ, first: {mismatches[:5]}"

    # Every rule with its condition was applied somewhere: scoped and unscoped deductions,
    # income left out, single-person grants, minors kept on.
    for kind in (
        "deduction",
        "income_not_counted",
        "single_person",
        "minor_continuation",
        "rule:dibao.income.deductions_scope",
        "rule:dibao.single_person.additional_requirements",
        "rule:tekun.income.excluded",
        "rule:tekun.minor_continuation_in_school",
    ):
        assert grounds[kind] > 0, (kind, grounds)

    # Every program, status and mode, and every reason of the rules, occurred.
    for key in (
        ("dibao", "eligible", "whole_household"),
        ("dibao", "eligible", "single_person"),
        ("dibao", "ineligible", None),
        ("dibao", "cannot_decide", None),
        ("low_income", "eligible", "whole_household"),
        ("low_income", "ineligible", None),
        ("low_income", "cannot_decide", None),
        ("tekun", "eligible", None),
        ("tekun", "ineligible", None),
        ("tekun", "cannot_decide", None),
    ):
        assert seen[key] >= (20 if N >= 10000 else 1), key
    for program, reason in (
        ("dibao", "nobody_alive"),
        ("dibao", "standard_not_set"),
        ("dibao", "property_unknown"),
        ("dibao", "property_over"),
        ("dibao", "single_person_not_provided"),
        ("dibao", "marginal_not_set"),
        ("dibao", "not_below_standard"),
        ("low_income", "dibao_household"),
        ("low_income", "marginal"),
        ("low_income", "low_income_band"),
        ("low_income", "dibao_itself"),
        ("low_income", "above_limits"),
        ("low_income", "marginal_not_set"),
        ("tekun", "members_undecided"),
        ("tekun", "members_qualify"),
        ("tekun", "no_member_qualifies"),
    ):
        assert reasons[(program, reason)] > 0, (program, reason)


def test_the_generated_edges_occur(world) -> None:
    """Half-fen ties, deaths on the date, and amounts not computed (banded method) are in the
    population the differential test decides."""
    policy, _c, households, _snap = world
    ties = sum(
        1
        for h in households
        if (n := len(h.living_members(AS_OF))) > 1
        and (sum(int(i.monthly_amount * 100) for i in h.income) * 2) % (2 * n) == n
    )
    assert ties > 50
    assert sum(1 for h in households for m in h.members if m.date_of_death == AS_OF) > 50
    assert sum(1 for h in households if not h.living_members(AS_OF)) > 20
    banded = {
        c
        for c in {h.county for h in households}
        if policy.resolve(c, AS_OF).value("dibao.benefit.method") != "gap"
    }
    assert banded


def test_a_snapshot_directory_has_its_files(world) -> None:
    *_rest, snap = world
    assert all(Path(snap.file(n)).is_file() for n in snap.manifest.sha256)


def test_deaths_and_marked_hold_the_members_the_rules_look_at_one_by_one(world) -> None:
    """deaths.parquet: every member with a date of death (the dead the rules subtract);
    marked.parquet: every member with a disability, a serious illness or a tag (the candidates
    for single-person enrolment); in order, and no one else."""
    *_rest, snap = world
    members = pq.read_table(snap.file("members")).to_pylist()
    deaths = pq.read_table(snap.file("deaths")).to_pylist()
    marked = pq.read_table(snap.file("marked")).to_pylist()
    assert deaths == [m for m in members if m["death_date"] is not None]
    assert marked == [
        m
        for m in members
        if m["disability_kind"] is not None
        or m["disability_grade"] is not None
        or m["serious_illness"]
        or m["tags"] != ","
    ]
    for part in (deaths, marked):
        assert 0 < len(part) < len(members)
    assert (snap.manifest.rows["deaths"], snap.manifest.rows["marked"]) == (
        len(deaths),
        len(marked),
    )


def test_the_files_a_job_scans_are_written_in_whole_row_groups(world) -> None:
    """An exported batch is a few thousand households: the files a job scans are written in row
    groups of ROW_GROUP_ROWS (the last one the rest), not a row group per batch; the documents,
    read one household at a time, keep theirs small."""
    *_rest, snap = world
    for name in ("households", "members", "deaths", "marked", "incomes", "expenses"):
        meta = pq.ParquetFile(snap.file(name)).metadata
        sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
        assert sum(sizes) == snap.manifest.rows[name]
        assert all(s == ROW_GROUP_ROWS for s in sizes[:-1]), (name, sizes)
        assert 0 < sizes[-1] <= ROW_GROUP_ROWS, (name, sizes)
    docs = pq.ParquetFile(snap.file("documents")).metadata
    assert docs.num_row_groups > snap.manifest.rows["households"] // ROW_GROUP_ROWS + 1
