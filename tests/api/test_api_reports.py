"""Reports over GraphQL: reportDeadlines and campaigns (public policy, no token), the monthly
statistics table and its CSV (token, jurisdiction, the month's events only) on SQLite and
PostgreSQL, and the typed errors of bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import core.cases.store as store
from core.access.tokens import create_user
from core.households.store import create_household
from core.policy.service import PolicyBase, today
from core.reports.rules import month_key, previous_month
from tests.support.api import Api, codes, open_test_runtime
from tests.support.db_backends import SqliteTemplate
from tests.support.households import household_doc, id_number
from tests.support.standards import with_example_standards

D = dt.date
YONGFU, YANGSHUO, SHANXI_CITY = "450326", "450321", "140300"

DEADLINES = """query($j: String!, $from: Date!, $to: Date!) {
    reportDeadlines(jurisdiction: $j, from: $from, to: $to) {
        kind title titleZh period due jurisdiction { code name }
        parameter { path value isSet layer { code origin } source { title section quote } } } }"""
CAMPAIGNS = """query($j: String!, $from: Date, $to: Date) {
    campaigns(jurisdiction: $j, from: $from, to: $to) {
        id plugin title titleZh jurisdiction { code }
        phases { name nameZh start end } source { title date section quote } } }"""
STATS = """query($j: String!, $m: String) { monthlyStatistics(jurisdiction: $j, month: $m) {
    month from to title titleZh complete jurisdiction { code name }
    due { kind period due parameter { path value } }
    rows { key section sectionZh label labelZh unitZh value why note inTable } csv } }"""
CSV = """query($j: String!, $m: String) { monthlyStatisticsCsv(jurisdiction: $j, month: $m) }"""


@pytest.fixture(scope="module")
def example_base(base: PolicyBase) -> PolicyBase:
    return with_example_standards(base)


@pytest.fixture
def api(sqlite_template: SqliteTemplate, tmp_path: Path, base: PolicyBase) -> Iterator[Api]:

    rt = open_test_runtime(sqlite_template.clone(tmp_path / "api.sqlite3"), tmp_path, base)
    a = Api(rt)
    yield a
    a.close()
    rt.close()


@pytest.fixture
def any_api(migrated_db_url: str, tmp_path: Path, example_base: PolicyBase) -> Iterator[Api]:
    rt = open_test_runtime(migrated_db_url, tmp_path, example_base)
    a = Api(rt)
    yield a
    a.close()
    rt.close()


# -- public: deadlines and campaigns --------------------------------------------------------------


def test_report_deadlines_need_no_token_and_cite_their_source(api: Api) -> None:
    data = api.ok(DEADLINES, {"j": "140302", "from": "2024-02-01", "to": "2024-02-29"})
    rows = data["reportDeadlines"]
    assert [(r["kind"], r["period"], r["due"]) for r in rows] == [
        ("village_monthly", "2024-02", "2024-02-20"),
        ("township_to_county", "2024-02", "2024-02-29"),
    ]
    p = rows[0]["parameter"]
    assert p["path"] == "reports.village_monthly_due_day" and p["value"] == 20
    assert p["layer"] == {"code": SHANXI_CITY, "origin": "shanxi"}
    assert p["source"]["section"] == "二(四)" and "每月20日前" in p["source"]["quote"]
    assert rows[0]["jurisdiction"] == {"code": "140302", "name": "城区"}
    stats = api.ok(DEADLINES, {"j": YONGFU, "from": "2023-07-01", "to": "2023-09-30"})
    assert [(r["period"], r["due"]) for r in stats["reportDeadlines"]] == [
        ("2023-07", "2023-08-04"),
        ("2023-08", "2023-09-04"),
    ]


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"j": "140302", "from": "2024-03-01", "to": "2024-02-01"}, "INVALID_INPUT"),
        ({"j": "140302", "from": "2000-01-01", "to": "2024-02-01"}, "INVALID_INPUT"),
        ({"j": "999999", "from": "2024-01-01", "to": "2024-02-01"}, "UNKNOWN_JURISDICTION"),
        ({"j": "140302", "from": "2024-02-30", "to": "2024-03-01"}, "BAD_USER_INPUT"),
    ],
)
def test_report_deadlines_bad_input_is_a_typed_error(api: Api, variables, code) -> None:
    data, errors = api.gql(DEADLINES, variables)
    assert codes(errors) == [code] and data is None


def test_campaigns_at_yongfu_and_not_elsewhere(api: Api) -> None:
    [c] = api.ok(CAMPAIGNS, {"j": YONGFU})["campaigns"]
    assert c["id"] == "guangxi.yongfu_2023_precision" and c["plugin"] == "guangxi"
    assert c["jurisdiction"] == {"code": YONGFU}
    assert [(p["nameZh"], p["start"], p["end"]) for p in c["phases"]] == [
        ("动员部署阶段", "2023-07-04", "2023-07-14"),
        ("排查阶段", "2023-07-15", "2023-08-14"),
        ("全面整治阶段", "2023-08-15", "2023-09-14"),
        ("巩固成效阶段", "2023-09-15", None),
    ]
    assert c["source"]["section"] == "三" and c["source"]["date"] == "2023-07-04"
    window = api.ok(CAMPAIGNS, {"j": YONGFU, "from": "2023-09-01", "to": "2023-12-31"})
    [c] = window["campaigns"]
    assert [p["name"] for p in c["phases"]] == ["rectify", "consolidate"]
    assert api.ok(CAMPAIGNS, {"j": YONGFU, "to": "2023-07-03"})["campaigns"] == []
    assert api.ok(CAMPAIGNS, {"j": "450300"})["campaigns"] == []
    assert api.ok(CAMPAIGNS, {"j": YANGSHUO})["campaigns"] == []
    _, errors = api.gql(CAMPAIGNS, {"j": "450399"})
    assert codes(errors) == ["UNKNOWN_JURISDICTION"]


# -- the statistics table (token) -----------------------------------------------------------------


_USER_NUMBERS = itertools.count(1)  # id(object()) may repeat once the object is freed


def _user(api: Api, role: str, code: str = YONGFU):
    rt = api.runtime
    assert rt is not None
    with rt.sessions() as s:
        name = f"{role}@{code}#{next(_USER_NUMBERS)}"
        return create_user(s, name, role, code, rt.policy.registry)


def confirmed_dibao(api: Api, n: int, size: int, opened: dt.date, confirmed: dt.date) -> None:
    rt = api.runtime
    assert rt is not None
    policy = rt.policy
    clerk, _ = _user(api, "village_clerk")
    officer, _ = _user(api, "township_officer")
    members = [(id_number(YONGFU, n * 10 + i), f"人{i}", "head" if i == 0 else "child")
               for i in range(size)]  # fmt: skip
    with rt.sessions() as s:
        hid = create_household(
            s, clerk, household_doc(YONGFU, *members, propertyWithinLocalRules=True),
            policy.registry, today=D(2023, 7, 1),
        ).id  # fmt: skip
    with rt.sessions() as s:
        case, _ = store.open_case(s, policy, officer, opened, household_id=hid, program="dibao")
    steps: list[tuple[str, dt.date, dict[str, Any]]] = [
        ("record_investigation", opened, {"investigators": ["甲", "乙"]}),
        ("record_first_review", opened, {}),
        ("start_publicity", opened, {}),
        ("confirm_case", confirmed, {}),
    ]
    for version, (action, on, kw) in enumerate(steps, start=1):
        with rt.sessions() as s:
            store.apply_transition(s, policy, case.id, version, action, officer, on, **kw)


def test_monthly_statistics_count_the_month_only(any_api: Api) -> None:
    a = any_api
    confirmed_dibao(a, 1, 3, D(2023, 8, 1), D(2023, 8, 25))
    confirmed_dibao(a, 2, 2, D(2023, 8, 20), D(2023, 9, 12))
    _, token = _user(a, "auditor", "450000")
    aug = a.ok(STATS, {"j": YONGFU, "m": "2023-08"}, token)["monthlyStatistics"]
    sep = a.ok(STATS, {"j": YONGFU, "m": "2023-09"}, token)["monthlyStatistics"]
    assert (aug["month"], aug["from"], aug["to"], aug["complete"]) == (
        "2023-08", "2023-08-01", "2023-08-31", True,
    )  # fmt: skip
    assert aug["jurisdiction"] == {"code": YONGFU, "name": "永福县"}
    assert aug["due"]["due"] == "2023-09-04" and aug["due"]["period"] == "2023-08"
    assert aug["due"]["parameter"] == {"path": "reports.monthly_statistics_due_day", "value": 4}

    def value(table: dict, key: str) -> Any:
        return next(r["value"] for r in table["rows"] if r["key"] == key)

    assert (value(aug, "new_urban_dibao"), value(sep, "new_urban_dibao")) == (3, 2)
    assert (value(aug, "township_visits_new"), value(sep, "township_visits_new")) == (3, 2)
    tags = next(r for r in aug["rows"] if r["key"] == "tags_total")
    assert tags["value"] == 0 and tags["why"] is None and tags["unitZh"] == "人"
    meeting = next(r for r in aug["rows"] if r["key"] == "meeting")
    assert meeting["value"] is None and meeting["why"]
    lines = list(csv.reader(io.StringIO(aug["csv"])))
    assert lines[0] == ["项目", "item", "value", "note"]
    assert lines[3][:3] == ["报送截止", "due by", "2023-09-04"]
    assert [lines[5][0], lines[5][2]] == ["本乡镇当月底新纳入城镇低保对象(人)", "3"]
    text = a.ok(CSV, {"j": YONGFU, "m": "2023-08"}, token)["monthlyStatisticsCsv"]
    assert text == aug["csv"]


def test_monthly_statistics_default_to_the_previous_month(api: Api) -> None:
    _, token = _user(api, "county_approver")
    table = api.ok(STATS, {"j": YONGFU}, token)["monthlyStatistics"]
    assert table["month"] == month_key(previous_month(today())) and table["complete"] is True
    assert all(r["value"] in (0, None) for r in table["rows"])


def test_monthly_statistics_errors(api: Api) -> None:
    _, token = _user(api, "county_approver")
    _, yangshuo = _user(api, "county_approver", YANGSHUO)
    _, kunming = _user(api, "auditor", "530100")  # no plugin keeps a statistics table there
    cases = [
        ({"j": YONGFU, "m": "2023-08"}, None, "UNAUTHENTICATED"),
        ({"j": YONGFU, "m": "2023-08"}, yangshuo, "FORBIDDEN"),
        ({"j": "450300", "m": "2023-08"}, token, "FORBIDDEN"),
        ({"j": YONGFU, "m": "2023-13"}, token, "INVALID_INPUT"),
        ({"j": YONGFU, "m": "August"}, token, "INVALID_INPUT"),
        ({"j": YONGFU, "m": month_key(D(today().year + 1, 1, 1))}, token, "INVALID_INPUT"),
        ({"j": "999999", "m": "2023-08"}, token, "UNKNOWN_JURISDICTION"),
        ({"j": "530102", "m": "2023-08"}, kunming, "INVALID_INPUT"),
    ]
    for variables, who, code in cases:
        for query in (STATS, CSV):
            data, errors = api.gql(query, variables, who)
            assert codes(errors) == [code], (variables, errors)
            assert data is None
