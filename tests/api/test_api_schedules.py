"""caseDeadlines, caseReviews and dueReviews over GraphQL, on SQLite and PostgreSQL: cases
taken through the state machine by the cases store in the app's runtime; access as for
``case(id)``; dueReviews a Relay connection (cursors, totals, overdue flags); bad input as
typed errors (INVALID_INPUT, NOT_FOUND, FORBIDDEN, UNAUTHENTICATED), never a 500; the cost
estimate of the new lists.

Confirmation runs against the EXAMPLE standards of ``tests.cases.test_cases.with_example_standards``
(test values, not official)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from graphql import parse

from core.api import schedules as api_schedules
from core.api import schema as schema_module
from core.api.schema import MAX_COST, estimated_cost, schema
from tests.support.api import Api, codes, open_test_runtime
from tests.support.schedules import SHANXI, YUNNAN, World
from tests.support.standards import with_example_standards

D = dt.date
TRACE = "path value isSet effectiveFrom layer { code origin kind } source { title section quote }"
DEADLINES = f"""query($id: ID!, $asOf: Date) {{ caseDeadlines(id: $id, asOf: $asOf) {{
    caseId kind program title titleZh startedOn dueDate unit amount provisional uncoveredYears
    done doneOn overdue late note parameter {{ {TRACE} }} conditions {{ path value }} }} }}"""
REVIEW = f"""caseId householdId program state kind title titleZh dueDate basis basisDate unit
    interval overdue note county {{ code name }} parameter {{ {TRACE} }}"""
CASE_REVIEWS = f"""query($id: ID!, $asOf: Date) {{
    caseReviews(id: $id, asOf: $asOf) {{ {REVIEW} }} }}"""
DUE = f"""query($j: String!, $from: Date!, $to: Date!, $asOf: Date, $program: String,
    $first: Int, $after: String) {{
    dueReviews(jurisdiction: $j, from: $from, to: $to, asOf: $asOf, program: $program,
               first: $first, after: $after) {{
        totalCount overdueCount
        edges {{ cursor node {{ {REVIEW} }} }}
        pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}"""


@pytest.fixture(scope="module")
def policy(base):
    return with_example_standards(base)


class _Db:
    """What tests.calendars.test_schedules_store.World needs of a database: its sessions."""

    def __init__(self, sessions) -> None:
        self.sessions = sessions


@pytest.fixture
def env(migrated_db_url: str, tmp_path: Path, policy) -> Iterator[tuple[Api, World]]:
    rt = open_test_runtime(migrated_db_url, tmp_path, policy)
    api = Api(rt)
    try:
        yield api, World(_Db(rt.sessions), rt.policy)
    finally:
        api.close()
        rt.close()


def token(api: Api, role: str, code: str) -> str:
    return api.token(role, code)


def test_case_deadlines(env):
    api, world = env
    cid = world.active(SHANXI, "irregular_with_labour", D(2026, 9, 25))
    late = world.open(SHANXI, "stable", D(2026, 12, 21))  # its time limit runs into 2027
    approver = token(api, "county_approver", SHANXI)
    data = api.ok(DEADLINES, {"id": str(cid), "asOf": "2026-10-09"}, approver)
    found = {d["kind"]: d for d in data["caseDeadlines"]}
    inv = found["investigation_start"]
    assert (inv["startedOn"], inv["dueDate"], inv["done"], inv["doneOn"]) == (
        "2026-09-25", "2026-09-30", True, "2026-09-27",
    )  # fmt: skip
    assert inv["parameter"]["path"] == "dibao.investigation.start_within_working_days"
    assert inv["parameter"]["layer"]["origin"] == "national" and inv["parameter"]["isSet"]
    assert inv["parameter"]["source"]["section"] == "第十五条"
    assert found["verification_start"]["late"] is True
    assert found["county_review"]["conditions"][0] == {
        "path": "dibao.approval.confirming_level",
        "value": "county",
    }
    assert not any(d["overdue"] for d in found.values())
    data = api.ok(DEADLINES, {"id": str(late), "asOf": "2027-02-20"}, approver)
    found = {d["kind"]: d for d in data["caseDeadlines"]}
    limit = found["time_limit"]
    assert limit["provisional"] is True and limit["uncoveredYears"] == [2027]
    assert limit["overdue"] is True and limit["done"] is False
    assert found["investigation_start"]["provisional"] is False


def test_case_deadlines_access_and_bad_ids(env):
    api, world = env
    cid = world.active(SHANXI, "stable", D(2024, 3, 1))
    _, errors = api.gql(DEADLINES, {"id": str(cid)}, token(api, "county_approver", YUNNAN))
    assert codes(errors) == ["FORBIDDEN"]
    _, errors = api.gql(DEADLINES, {"id": str(cid)})
    assert codes(errors) == ["UNAUTHENTICATED"]
    mine = token(api, "township_officer", SHANXI)
    for bad in ("abc", str(cid + 1000), "-1"):
        _, errors = api.gql(DEADLINES, {"id": bad}, mine)
        assert codes(errors) == ["NOT_FOUND"], bad
    _, errors = api.gql(CASE_REVIEWS, {"id": "x1"}, mine)
    assert codes(errors) == ["NOT_FOUND"]
    data = api.ok(CASE_REVIEWS, {"id": str(cid), "asOf": "2025-04-01"}, mine)
    [review] = data["caseReviews"]
    assert review["kind"] == "dibao_review" and review["dueDate"] == "2025-03-13"
    assert review["overdue"] is True and review["county"]["code"] == SHANXI
    assert review["state"] == "active" and review["interval"] == 12
    assert review["parameter"]["layer"]["origin"] == "shanxi"


def test_due_reviews_pages(env):
    api, world = env
    irregular = [world.active(SHANXI, "irregular_with_labour", D(2024, 3, d)) for d in (1, 4, 5)]
    slow = world.active("140321", "slow_change", D(2024, 1, 2))  # due 07-14
    world.active(SHANXI, "stable", D(2024, 3, 1))  # due 2025
    auditor = token(api, "auditor", "140300")
    variables = {"j": "140300", "from": "2024-07-01", "to": "2024-07-31", "asOf": "2024-07-10"}
    seen, after, pages = [], None, 0
    while True:
        data = api.ok(DUE, {**variables, "first": 2, "after": after}, auditor)["dueReviews"]
        assert data["totalCount"] == 4 and data["overdueCount"] == 3
        seen += [e["node"] for e in data["edges"]]
        pages += 1
        assert data["pageInfo"]["hasPreviousPage"] == (after is not None)
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert pages == 2
    assert [(int(n["caseId"]), n["dueDate"], n["overdue"]) for n in seen] == [
        (irregular[0], "2024-06-13", True),
        (irregular[1], "2024-06-16", True),
        (irregular[2], "2024-06-17", True),
        (slow, "2024-07-14", False),
    ]
    assert seen[3]["county"] == {"code": "140321", "name": "平定县"}
    assert seen[0]["basis"] == "decision 2024-03-13" and seen[0]["householdId"]
    assert seen[0]["parameter"]["source"]["quote"].startswith("对收入来源不固定")
    # tekun only: none here
    only = api.ok(DUE, {**variables, "program": "tekun"}, auditor)["dueReviews"]
    assert only["totalCount"] == 0 and only["edges"] == []


def test_due_reviews_bad_input(env):
    api, _ = env
    auditor = token(api, "auditor", "140300")
    base = {"j": "140300", "from": "2024-07-01", "to": "2024-07-31"}
    cases = [
        ({"to": "2024-06-01"}, "INVALID_INPUT"),
        ({"to": "2030-07-31"}, "INVALID_INPUT"),
        ({"first": 0}, "INVALID_INPUT"),
        ({"first": 201}, "INVALID_INPUT"),
        ({"program": "temporary"}, "INVALID_INPUT"),
        ({"after": "bm90LWEtY3Vyc29y"}, "INVALID_INPUT"),
        ({"j": "999999"}, "UNKNOWN_JURISDICTION"),
        ({"j": "530000"}, "FORBIDDEN"),
        ({"from": "2024-13-01"}, "BAD_USER_INPUT"),
    ]
    for change, code in cases:
        data, errors = api.gql(DUE, {**base, **change}, auditor)
        assert codes(errors) == [code], (change, errors)
        assert data is None or data.get("dueReviews") is None
    _, errors = api.gql(DUE, base)
    assert codes(errors) == ["UNAUTHENTICATED"]


def test_the_lists_count_in_the_cost_limit(monkeypatch):
    for key, size in api_schedules.LIST_SIZES.items():
        monkeypatch.setitem(schema_module.LIST_SIZES, key, size)
    for query in (DEADLINES, CASE_REVIEWS, DUE):
        [cost] = estimated_cost(schema._schema, parse(query)).values()
        assert cost <= MAX_COST, (query, cost)
    assert api_schedules.LIST_SIZES[("DueReviewConnection", "edges")] == 200
