"""Issue 11: a bounded fuzzing run against the app. hypothesis-graphql writes queries and mutations
from the schema (valid ones, and in NEGATIVE mode invalid ones), with dates and JSON values from
hypothesis (the ends of the calendar, NaN-free floats of every size, any text); each is sent over
HTTP without a token, as a county approver and as a province administrator. No answer may be a
5xx, and no error may be INTERNAL_SERVER_ERROR. Derandomised, so a failure is reproducible; about
half a minute on SQLite."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from graphql import print_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, nodes

from core.api.schema import schema
from core.policy.service import PolicyBase
from tests.support.api import Api, open_test_runtime
from tests.support.db_backends import SqliteTemplate
from tests.support.households import household_doc, id_number

WUHUA = "530102"
SDL = print_schema(schema._schema)

_dates = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)) | st.dates(
    min_value=dt.date(2020, 1, 1), max_value=dt.date(2026, 12, 31)
)
SCALARS = {
    "Date": _dates.map(lambda d: nodes.String(d.isoformat())),
    "JSON": st.one_of(
        st.integers(-(10**12), 10**12).map(nodes.Int),
        st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
        st.text(max_size=30).map(nodes.String),
    ),
}


@pytest.fixture(scope="module")
def world(sqlite_template: SqliteTemplate, tmp_path_factory: Any, base: PolicyBase) -> Iterator[
    tuple[Api, list[str | None]]
]:  # fmt: skip
    tmp = tmp_path_factory.mktemp("fuzz")
    rt = open_test_runtime(sqlite_template.clone(Path(tmp) / "fuzz.sqlite3"), Path(tmp), base)
    api = Api(rt)
    approver = api.token("county_approver", WUHUA)
    admin = api.token("province_admin", "530000")
    doc = household_doc(WUHUA, (id_number(WUHUA, 1), "张三", "head"), propertyWithinLocalRules=True)
    api.post(
        {"query": "mutation($i: HouseholdInput!) { createHousehold(input: $i) { userErrors "
                  "{ code } } }", "variables": {"i": doc}},
        approver,
    )  # fmt: skip
    yield api, [None, approver, admin]
    api.close()
    rt.close()


def _check(api: Api, query: str, token: str | None) -> None:
    r = api.post({"query": query}, token)
    assert r.status_code < 500, (query, r.status_code, r.text[:500])
    body = r.json()
    found = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
    internal = [c for c in found if c == "INTERNAL_SERVER_ERROR"]
    assert internal == [], (query, internal)


_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                           HealthCheck.filter_too_much, HealthCheck.data_too_large],
)  # fmt: skip


@pytest.mark.parametrize("mode", [Mode.POSITIVE, Mode.NEGATIVE])
def test_generated_queries_never_fail_on_the_server(world, mode):
    api, tokens = world

    @_SETTINGS
    @given(
        query=from_schema(SDL, custom_scalars=SCALARS, mode=mode, allow_x00=False),
        who=st.sampled_from(tokens),
    )
    def run(query: str, who: str | None) -> None:
        _check(api, query, who)

    run()
