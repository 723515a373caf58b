"""The bulk engine over GraphQL, on SQLite and PostgreSQL: runAnnualReview, annualReview with its
progress and tasks, a task's full trace, confirmUnchangedReviews, snapshots and takeSnapshot,
simulateReform for an analyst (registered households and a weighted sample) — refusals as
userErrors or GraphQL errors with a code, never a 500, and nothing written.

Standards are the EXAMPLE values of tests.support.standards (urban 800): test values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.api import Api, codes, open_test_runtime
from tests.support.api_households import SET, set_input
from tests.support.bulk_world import YUNNAN, BulkWorld
from tests.support.standards import with_example_standards

AS_OF = "2024-06-01"

RUN = """mutation($j: String!, $asOf: Date, $scope: ReviewScopeInput) {
  runAnnualReview(jurisdiction: $j, asOf: $asOf, scope: $scope) {
    review { id status jurisdiction asOf tasksCount proposals { proposal count }
             scope { inPayment applicants exitedSince tags programs } }
    userErrors { field message code } } }"""
REVIEW = """query($id: ID!) { annualReview(id: $id) {
  status progress { unit level total stored done }
  tasks(first: 50) { edges { cursor node { id caseId householdId proposal reason reasonZh status
    scope currentAmount newAmount membersCovered trace { agrees differences decision { status
    monthlyAmount reasons trace { path isSet } } } } } pageInfo { hasNextPage } } } }"""
CONFIRM = """mutation($r: ID!, $on: Date) { confirmUnchangedReviews(review: $r, on: $on) {
  confirmed events skipped { taskId code message } userErrors { field message code } } }"""
SIMULATE = """query($p: PopulationInput!, $r: [ReformInput!]!, $asOf: Date) {
  simulateReform(population: $p, reforms: $r, asOf: $asOf) {
    population weighted notes reforms { name overrides } csv
    totals { reform county eligibleBaseline eligibleReform monthlyCostChange yearlyCostChange
             winners losers newlyEligible }
    counties { county countyName personsBaseline personsReform } } }"""
REFORM = [
    {
        "name": "900",
        "overrides": [
            {"path": "dibao.standard.urban", "at": YUNNAN, "from": "2024-01-01", "value": 900}
        ],
    }
]


@pytest.fixture(scope="module")
def base(base):
    return with_example_standards(base)


@pytest.fixture
def api(db, tmp_path: Path, base) -> Iterator[Api]:
    rt = open_test_runtime(db.url, tmp_path, base)
    a = Api(rt)
    yield a
    a.close()
    rt.close()


@pytest.fixture
def w(db, base) -> BulkWorld:
    return BulkWorld(db, base)


def test_run_read_trace_and_confirm_an_annual_review(api, w):
    hids = [w.household(w.doc(wages=wages)) for wages in (1500, 2100)]
    cids = [w.active(h) for h in hids]
    w.change(hids[1], w.doc(wages=1200, seq=20))  # the same members, less income
    approver, officer = w.tokens["approver"], w.tokens["officer"]

    payload, errors = api.mutate(RUN, {"j": YUNNAN, "asOf": AS_OF}, approver)
    assert errors == [] and payload["review"]["status"] == "done"
    review = payload["review"]
    assert review["scope"]["programs"] == ["dibao", "tekun"] and review["tasksCount"] == 2
    data = api.ok(REVIEW, {"id": review["id"]}, approver)["annualReview"]
    assert data["progress"] == [
        {"unit": YUNNAN, "level": "county", "total": 2, "stored": 2, "done": True}
    ]
    tasks = {t["node"]["caseId"]: t["node"] for t in data["tasks"]["edges"]}
    assert tasks[str(cids[0])]["proposal"] == "continue"
    assert tasks[str(cids[0])]["reasonZh"] == (
        "继续保障：家庭人均收入 500.00 元低于保障标准 800.00 元：整户纳入；金额 900.00 元不变"
    )
    assert tasks[str(cids[0])]["trace"]["agrees"] is True
    assert tasks[str(cids[0])]["trace"]["decision"]["monthlyAmount"] == 900.0
    assert tasks[str(cids[1])]["proposal"] in ("raise", "lower")
    assert all(t["trace"]["decision"]["trace"] for t in tasks.values())

    payload, errors = api.mutate(CONFIRM, {"r": review["id"], "on": "2024-06-03"}, officer)
    assert errors == [] and len(payload["confirmed"]) == 1 and len(payload["events"]) == 1
    assert w.case(cids[0]).version == 6

    listed = api.ok("query { snapshots { id jurisdiction households cases } }", token=approver)[
        "snapshots"
    ]
    assert [(s["jurisdiction"], s["households"], s["cases"]) for s in listed] == [(YUNNAN, 2, 2)]


def test_refusals_are_user_errors_or_coded_errors_and_write_nothing(api, w):
    w.household(w.doc())
    payload, errors = api.mutate(RUN, {"j": YUNNAN}, w.tokens["auditor"])
    assert payload["review"] is None and codes(errors) == ["FORBIDDEN"]
    payload, errors = api.mutate(RUN, {"j": "999999"}, w.tokens["approver"])
    assert codes(errors) == ["UNKNOWN_JURISDICTION"]
    payload, errors = api.mutate(RUN, {"j": YUNNAN}, None)
    assert codes(errors) == ["UNAUTHENTICATED"]
    data, errors = api.gql("query { annualReviews(jurisdiction: \"530102\") { id } }",
                           token=w.tokens["analyst"])  # fmt: skip
    assert data is None and codes(errors) == ["FORBIDDEN"]
    data, errors = api.gql(REVIEW, {"id": "42"}, w.tokens["approver"])
    assert codes(errors) == ["NOT_FOUND"]
    assert api.ok("query { annualReviews(jurisdiction: \"530102\") { id } }",
                  token=w.tokens["approver"]) == {"annualReviews": []}  # fmt: skip
    data, errors = api.gql("query { annualReviews(jurisdiction: \"530102\", first: 0) { id } }",
                           token=w.tokens["approver"])  # fmt: skip
    assert data is None and codes(errors) == ["INVALID_INPUT"]


def test_a_review_decides_a_snapshot_taken_before_by_its_id(api, w):
    # The CLI's --snapshot over GraphQL: take a snapshot, then review it (ids only, never a
    # directory of the server's disk; refusals name the field `snapshot` and write nothing).
    h = w.household(w.doc(wages=1500))
    w.active(h)
    approver = w.tokens["approver"]
    taken, errors = api.mutate(
        "mutation($j: String!, $d: Date) { takeSnapshot(jurisdiction: $j, asOf: $d) { "
        "snapshot { id households } userErrors { field code } } }", {"j": YUNNAN, "d": AS_OF},
        approver,
    )  # fmt: skip
    assert errors == [] and taken["snapshot"]["households"] == 1
    snap = taken["snapshot"]["id"]
    w.household(w.doc(wages=1600))  # after the snapshot: not in the run
    run = RUN.replace("$scope: ReviewScopeInput)", "$scope: ReviewScopeInput, $s: ID)").replace(
        "scope: $scope)", "scope: $scope, snapshot: $s)"
    )
    for bad, code in (("/tmp", "INVALID_INPUT"), ("20200101T000000-abcdef", "NOT_FOUND")):
        payload, errors = api.mutate(run, {"j": YUNNAN, "asOf": AS_OF, "s": bad}, approver)
        assert payload["review"] is None
        assert [(e["field"], e["code"]) for e in errors] == [("snapshot", code)]
    payload, errors = api.mutate(run, {"j": YUNNAN, "s": snap}, w.tokens["officer"])
    assert [(e["field"], e["code"]) for e in errors] == [("jurisdiction", "FORBIDDEN")]
    payload, errors = api.mutate(run, {"j": "140302", "s": snap}, w.tokens["outsider"])
    assert [(e["field"], e["code"]) for e in errors] == [("snapshot", "FORBIDDEN")]
    assert api.ok('query { annualReviews(jurisdiction: "530102") { id } }', token=approver) == {
        "annualReviews": []
    }
    payload, errors = api.mutate(run, {"j": YUNNAN, "asOf": AS_OF, "s": snap}, approver)
    assert errors == [] and payload["review"]["tasksCount"] == 1
    listed = api.ok(
        'query { annualReviews(jurisdiction: "530102") { snapshotId } }', token=approver
    )["annualReviews"]
    assert listed == [{"snapshotId": snap}]


def test_an_analyst_simulates_a_reform_and_sees_aggregates_only(api, w):
    for wages in (1500, 2100, 2550, 2850):
        w.household(w.doc(wages=wages))
    analyst = w.tokens["analyst"]
    sim = api.ok(SIMULATE, {"p": {"jurisdiction": YUNNAN}, "r": REFORM, "asOf": AS_OF}, analyst)
    sim = sim["simulateReform"]
    (total,) = sim["totals"]
    assert (total["eligibleBaseline"], total["eligibleReform"]) == (2, 3)
    assert (total["monthlyCostChange"], total["yearlyCostChange"]) == (750.0, 9000.0)
    assert (total["winners"], total["losers"], total["newlyEligible"]) == (3, 0, 1)
    assert sim["counties"][0]["countyName"] == "五华区"
    assert sim["csv"].startswith("情景 scenario,")
    assert any("breaks a rule" in n for n in sim["notes"])

    sample = {
        "sample": [
            {"weight": 10, "household": {k: v for k, v in w.doc(wages=1500).items() if k[0] != "_"}}
        ]
    }
    sim = api.ok(SIMULATE, {"p": sample, "r": REFORM, "asOf": AS_OF}, analyst)["simulateReform"]
    assert sim["weighted"] and sim["totals"][0]["eligibleBaseline"] == 10
    bad = [{"name": "x", "overrides": [{"path": "dibao.standard.urbn", "at": YUNNAN,
                                       "from": "2024-01-01", "value": 1}]}]  # fmt: skip
    data, errors = api.gql(SIMULATE, {"p": {"jurisdiction": YUNNAN}, "r": bad}, analyst)
    assert data is None and codes(errors) == ["UNKNOWN_PARAMETER"]
    data, errors = api.gql(
        SIMULATE, {"p": {"jurisdiction": YUNNAN}, "r": REFORM}, w.tokens["outsider"]
    )
    assert codes(errors) == ["FORBIDDEN"]
    # A snapshot is named by its id, never by a directory of the server's disk.
    data, errors = api.gql(SIMULATE, {"p": {"snapshot": "/tmp"}, "r": REFORM}, analyst)
    assert data is None and codes(errors) == ["INVALID_INPUT"]
    # No snapshot was kept for the analyst, and the analyst may not take one.
    payload, errors = api.mutate(
        "mutation { takeSnapshot(jurisdiction: \"530102\") { snapshot { id } "
        "userErrors { code } } }", {}, analyst
    )  # fmt: skip
    assert payload["snapshot"] is None and codes(errors) == ["FORBIDDEN"]
    assert api.ok("query { snapshots { id } }", token=w.tokens["approver"]) == {"snapshots": []}
    assert dt.date.fromisoformat(AS_OF)


def test_a_simulation_answers_for_the_registers_and_the_policy_as_they_are_now(api, w):
    """Nothing a simulation depends on is kept from one to the next but the compiled job (the
    date, the policy and the households are its data): after a household changes and after a
    local setting, the same question gets the new answer."""
    hids = [w.household(w.doc(wages=wages)) for wages in (1500, 2100, 2550, 2850)]
    analyst = w.tokens["analyst"]
    ask = {"p": {"jurisdiction": YUNNAN}, "r": REFORM, "asOf": AS_OF}

    def total() -> tuple[float, float, float]:
        (t,) = api.ok(SIMULATE, ask, analyst)["simulateReform"]["totals"]
        return t["eligibleBaseline"], t["eligibleReform"], t["monthlyCostChange"]

    assert total() == (2, 3, 750.0)
    # A household's income falls (2550 → 2100: per capita 850 → 700, under 800). Baseline
    # 300 + 100 + 100 yuan per member, reform (900) 400 + 200 + 200: 900 yuan a month more.
    w.change(hids[2], w.doc(wages=2100, seq=30))
    assert total() == (3, 3, 900.0)
    # The county sets its own standard, 780 (a local setting): the baseline falls to 280 + 80 +
    # 80 per member; the reform's override at the county still wins there.
    payload, errors = api.mutate(
        SET, set_input(YUNNAN, "dibao.standard.urban", 780), w.tokens["approver"]
    )
    assert errors == [] and payload["setting"]
    assert total() == (3, 3, 1080.0)
    # Another date, the same compiled job: before 2024 neither the setting nor the reform is in
    # force (the same three households under 800, no change).
    ask["asOf"] = "2023-12-31"
    assert total() == (3, 3, 0.0)
