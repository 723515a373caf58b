"""Lists that show, for each item, something stored elsewhere (a case's household and events, a
household's cases, a payment's case and household) read it through the request's DataLoaders:
the number of SQL statements a query runs does not depend on the length of the list. Counted
with a ``before_cursor_execute`` listener on the engine, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from core.access.roles import Role
from core.access.tokens import create_user
from core.cases import store as cases_store
from core.households.store import create_household
from core.payments.store import run_payments
from core.policy.service import PolicyBase
from core.runtime import Runtime
from core.storage.tables import CaseRow
from tests.support.api import Api, open_test_runtime
from tests.support.households import household_doc, id_number

YUNNAN = "530102"
DAY = dt.date(2023, 9, 4)
N = 40  # cases, households and payments stored; the lists ask for 5 and for all of them

CASES = """query($first: Int) { cases(jurisdiction: "530102", first: $first) { edges { node {
    id state household { id version members { name } county { code } }
    events { seq action toState who } } } } }"""
HOUSEHOLDS = """query($first: Int) { households(jurisdiction: "530102", first: $first) {
    edges { node { id cases { id program state householdId } } } } }"""
PAYMENTS = """query($first: Int) { payments(jurisdiction: "530102", first: $first) {
    edges { node { id caseId case { id state household { id } } household { id } } } } }"""


class Counted:
    """The app over a runtime with ``N`` households, each with a dibao case (opened and
    investigated: two events) paid for 2024-01; counts the SQL statements of each request."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        registry = rt.policy.registry
        with rt.sessions() as s:
            self.clerk, _ = create_user(s, "clerk", "village_clerk", YUNNAN, registry)
        with rt.sessions() as s:
            self.officer, self.token = create_user(
                s, "officer", Role.TOWNSHIP_OFFICER.value, YUNNAN, registry
            )
        with rt.sessions() as s:
            approver, _ = create_user(s, "approver", "county_approver", YUNNAN, registry)
        for n in range(N):
            head = id_number(YUNNAN, 2 * n)
            doc = household_doc(
                YUNNAN,
                (head, f"户主{n}", "head"),
                (id_number(YUNNAN, 2 * n + 1), f"配偶{n}", "spouse"),
            )
            with rt.sessions() as s:
                hid = create_household(s, self.clerk, doc, registry, today=DAY).id
            with rt.sessions() as s:
                case, _ = cases_store.open_case(
                    s, rt.policy, self.clerk, DAY, household_id=hid, program="dibao"
                )
            with rt.sessions() as s:
                cases_store.apply_transition(
                    s, rt.policy, case.id, 1, "record_investigation", self.officer, DAY,
                    investigators=["甲", "乙"],
                )  # fmt: skip
        # In payment from 2024-01 (as if confirmed): the monthly run pays each of them.
        with rt.sessions() as s, s.begin():
            for row in s.scalars(select(CaseRow)):
                row.state = "active"
                row.data = {
                    **row.data,
                    "benefitFrom": "2024-01-01",
                    "amount": "300.00",
                    "amounts": [{"from": "2024-01-01", "amount": "300.00"}],
                }
        with rt.sessions() as s:
            report = run_payments(s, rt.policy, approver, YUNNAN, "2024-01", dt.date(2024, 1, 5))
        assert report.created == N
        self.api = Api(rt)
        self.statements: list[str] = []
        event.listen(rt.engine, "before_cursor_execute", self._count)

    def _count(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # Not counted: the app's check for new local settings (core.policy.provider), made at
        # most once a second whatever the request, and the BEGIN that SQLite's unit opens for it.
        if "local_settings_revision" in statement:
            if self.statements and self.statements[-1].strip().upper() == "BEGIN":
                self.statements.pop()
            return
        self.statements.append(statement)

    def run(self, query: str, first: int) -> tuple[dict[str, Any], list[str]]:
        self.statements.clear()
        data = self.api.ok(query, {"first": first}, self.token)
        return data, list(self.statements)

    def close(self) -> None:
        event.remove(self.rt.engine, "before_cursor_execute", self._count)
        self.api.close()


@pytest.fixture
def counted(migrated_db_url: str, tmp_path: Path, base: PolicyBase) -> Iterator[Counted]:
    rt = open_test_runtime(migrated_db_url, tmp_path, base)
    c = Counted(rt)
    yield c
    c.close()
    rt.close()


def _statements(few: list[str], many: list[str]) -> str:
    return "\n".join(["first=5:", *few, "", f"first={N}:", *many])


@pytest.mark.parametrize(
    ("query", "root"), [(CASES, "cases"), (HOUSEHOLDS, "households"), (PAYMENTS, "payments")]
)
def test_nested_lists_run_as_many_statements_for_5_items_as_for_40(
    counted: Counted, query: str, root: str
) -> None:
    counted.run(query, 1)  # the first request of the app warms nothing the others skip
    few_data, few = counted.run(query, 5)
    many_data, many = counted.run(query, N)
    assert len(few_data[root]["edges"]) == 5 and len(many_data[root]["edges"]) == N
    assert len(few) == len(many), _statements(few, many)
    # the token, the page, then one batch per nested list (households: rows and members);
    # SQLite adds a BEGIN per unit of work, PostgreSQL begins implicitly
    reads = [s for s in many if not s.strip().upper().startswith("BEGIN")]
    assert len(reads) <= 6, _statements(few, many)
    print(f"\n{root}: {len(few)} statements for first=5, {len(many)} for first={N}")


def test_nested_lists_answer_what_the_single_reads_answer(counted: Counted) -> None:
    data, _ = counted.run(CASES, N)
    nodes = [e["node"] for e in data["cases"]["edges"]]
    for node in nodes:
        assert [e["action"] for e in node["events"]] == ["open", "record_investigation"]
        assert [e["seq"] for e in node["events"]] == [1, 2]
        assert len(node["household"]["members"]) == 2
    one = counted.api.ok(
        """query($id: ID!) { caseHistory(id: $id) { seq action toState who } }""",
        {"id": nodes[7]["id"]},
        counted.token,
    )
    assert one["caseHistory"] == nodes[7]["events"]
    households, _ = counted.run(HOUSEHOLDS, N)
    for edge in households["households"]["edges"]:
        [case] = edge["node"]["cases"]
        assert case["householdId"] == edge["node"]["id"] and case["state"] == "active"
    payments, _ = counted.run(PAYMENTS, N)
    for edge in payments["payments"]["edges"]:
        node = edge["node"]
        assert node["case"]["id"] == node["caseId"]
        assert node["case"]["household"]["id"] == node["household"]["id"]


def test_an_item_out_of_reach_is_refused_at_its_own_path(counted: Counted) -> None:
    """A household moved to another county (its case stays in Yunnan): the batch reads the
    others and refuses that one, FORBIDDEN at its own path (never a 500); as every field of
    the list is non-null, the refusal empties the answer, as reading it alone would."""
    from core.storage.tables import HouseholdRow

    rt = counted.rt
    with rt.sessions() as s, s.begin():
        row = s.scalars(select(HouseholdRow).order_by(HouseholdRow.id).offset(1).limit(1)).one()
        row.county, row.prefecture, row.province = "140302", "140300", "140000"
    # Households only: a batch of events still running in its worker thread when the refusal
    # ends the request would hold a connection past the end of the test.
    query = """{ cases(jurisdiction: "530102", first: 3) { edges { node {
        id household { id members { name } } } } } }"""
    body = counted.api.post({"query": query}, counted.token).json()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["path"] == ["cases", "edges", 1, "node", "household"]
    assert "140302" in error["message"]
    assert body["data"] is None
