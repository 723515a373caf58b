"""Working days through GraphQL: workCalendar(s), workingDay, workingDays, addWorkingDays and the
importHolidayTable mutation, over HTTP against the app — policy-only (chinese-calendar and the
plugins' tables) and over a runtime on SQLite and PostgreSQL (imported tables).

The 2027 table is a TEST FIXTURE (tests/test_workdays.py), not the real notice.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from graphql import parse
from sqlalchemy import func, select

from core.api.schema import MAX_COST, estimated_cost, schema
from core.plugin.manager import build_plugin_manager
from core.policy.service import PolicyBase, build_policy_base
from core.storage.tables import HolidayTableAuditRow, HolidayTableRow
from tests.support.api import Api, codes, open_test_runtime
from tests.support.holidays import TABLE_2027, TITLE_2027, Holidays2027Plugin

ERRORS = "userErrors { field message code }"
YEAR = """year covered origin source sourceUrl sourceDate holidays { from to days name }
    workdays { date name } amendedBy importedAt imports"""
ADD = """query($s: Date!, $n: Int!) { addWorkingDays(start: $s, days: $n) {
    date provisional uncoveredYears } }"""
IMPORT = f"""mutation($input: HolidayTableInput!, $force: Boolean) {{
    importHolidayTable(input: $input, force: $force) {{
    table {{ {YEAR} }} replaced warnings {ERRORS} }} }}"""


def holiday_input(data: dict[str, Any]) -> dict[str, Any]:
    """A file-shaped table as the mutation's input (ranges as from/to, single days as from)."""
    holidays = []
    for item in data["holidays"]:
        if isinstance(item, str):
            holidays.append({"from": item})
        elif "date" in item:
            holidays.append({"from": item["date"], "name": item.get("name")})
        else:
            holidays.append(dict(item))
    workdays = [{"date": w} if isinstance(w, str) else dict(w) for w in data["workdays"]]
    return {"input": {**data, "holidays": holidays, "workdays": workdays}}


@pytest.fixture
def public(base: PolicyBase) -> Iterator[Api]:
    a = Api(base=base)
    yield a
    a.close()


@pytest.fixture
def any_api(migrated_db_url: str, tmp_path: Path, base: PolicyBase) -> Iterator[Api]:
    rt = open_test_runtime(migrated_db_url, tmp_path, base)
    a = Api(rt)
    yield a
    a.close()
    rt.close()


def stored_counts(api: Api) -> tuple[int, int]:
    assert api.runtime is not None
    with api.runtime.sessions() as s:
        return (
            int(s.scalar(select(func.count()).select_from(HolidayTableRow)) or 0),
            int(s.scalar(select(func.count()).select_from(HolidayTableAuditRow)) or 0),
        )


def test_the_national_day_week_and_an_uncovered_year(public: Api) -> None:
    data = public.ok(
        """{ a: addWorkingDays(start: "2026-09-28", days: 10) { date provisional uncoveredYears }
             b: addWorkingDays(start: "2026-12-20", days: 10) { date provisional uncoveredYears }
             c: addWorkingDays(start: "2026-10-03", days: 0) { date provisional }
             n: workingDays(from: "2026-09-30", to: "2026-10-10") {
                from to workingDays provisional uncoveredYears }
             m: workingDays(from: "2026-12-01", to: "2027-01-31") { provisional uncoveredYears }
             s: workingDay(date: "2026-10-10") { date working kind name provisional }
             h: workingDay(date: "2026-10-05") { working kind name }
             u: workingDay(date: "2027-01-01") { working kind name provisional }
             v: workingDay(date: "2027-01-04") { working kind name provisional }
             y: workCalendar(year: 2026) { YEAR }
             z: workCalendar(year: 2027) { covered origin source holidays { from } }
             uncoveredWorkCalendarYears(ahead: 2) }""".replace("YEAR", YEAR)
    )
    assert data["a"] == {"date": "2026-10-16", "provisional": False, "uncoveredYears": []}
    # 2027-01-01 (元旦, a Friday) is a day off by law even without the notice.
    assert data["b"] == {"date": "2027-01-04", "provisional": True, "uncoveredYears": [2027]}
    assert data["c"] == {"date": "2026-10-08", "provisional": False}
    assert data["n"] == {
        "from": "2026-09-30",
        "to": "2026-10-10",
        "workingDays": 3,
        "provisional": False,
        "uncoveredYears": [],
    }
    assert data["m"] == {"provisional": True, "uncoveredYears": [2027]}
    assert data["s"] == {
        "date": "2026-10-10",
        "working": True,
        "kind": "make_up_workday",
        "name": "国庆节",
        "provisional": False,
    }
    assert data["h"] == {"working": False, "kind": "holiday", "name": "国庆节"}
    assert data["u"] == {"working": False, "kind": "holiday", "name": "元旦", "provisional": True}
    assert data["v"] == {"working": True, "kind": "workday", "name": None, "provisional": True}
    y = data["y"]
    assert (y["covered"], y["origin"], y["source"]) == (
        True,
        "chinese-calendar",
        "chinese-calendar 1.11.0",
    )
    assert {"from": "2026-10-01", "to": "2026-10-07", "days": 7, "name": "国庆节"} in y["holidays"]
    assert {"from": "2026-02-15", "to": "2026-02-23", "days": 9, "name": "春节"} in y["holidays"]
    assert [w["date"] for w in y["workdays"]] == [
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ]
    assert data["z"] == {"covered": False, "origin": None, "source": None, "holidays": []}
    assert 2027 in data["uncoveredWorkCalendarYears"]


def test_bad_arguments_are_typed_errors(public: Api) -> None:
    for query, code in [
        ('{ addWorkingDays(start: "2026-01-01", days: -1) { date } }', "INVALID_INPUT"),
        ('{ addWorkingDays(start: "2026-02-30", days: 1) { date } }', "GRAPHQL_VALIDATION_FAILED"),
        ('{ workingDays(from: "2026-02-01", to: "2026-01-01") { workingDays } }', "INVALID_INPUT"),
        ("{ workCalendars(fromYear: 1900, toYear: 2100) { year } }", "INVALID_INPUT"),
        ("{ workCalendar(year: 0) { year } }", "INVALID_INPUT"),
    ]:
        data, errors = public.gql(query)
        assert codes(errors) == [code], (query, errors)
        assert data is None or set(data.values()) == {None}
    _, errors = public.gql(ADD, {"s": "2026-13-01", "n": 1})
    assert codes(errors) == ["BAD_USER_INPUT"]


def test_work_calendars_lists_years_and_is_within_the_cost_limit(public: Api) -> None:
    query = f"{{ workCalendars {{ {YEAR} }} }}"
    data = public.ok(query)["workCalendars"]
    assert data[0]["year"] == 2004 and data[-1]["year"] >= 2028
    assert [y["covered"] for y in data if y["year"] in (2026, 2027)] == [True, False]
    [cost] = estimated_cost(schema._schema, parse(query)).values()
    assert cost < MAX_COST
    two = public.ok("{ workCalendars(fromYear: 2026, toYear: 2027) { year covered } }")
    assert two["workCalendars"] == [
        {"year": 2026, "covered": True},
        {"year": 2027, "covered": False},
    ]


def test_a_plugin_table_in_the_policy_only_app() -> None:
    base = build_policy_base(build_plugin_manager(extra={"holidays_2027": Holidays2027Plugin()}))
    api = Api(base=base)
    try:
        data = api.ok(
            '{ addWorkingDays(start: "2026-12-20", days: 10) { date provisional uncoveredYears }'
            " workCalendar(year: 2027) { covered origin source holidays { from to name } } }"
        )
    finally:
        api.close()
    assert data["addWorkingDays"] == {
        "date": "2027-01-04",
        "provisional": False,
        "uncoveredYears": [],
    }
    cal = data["workCalendar"]
    assert cal["covered"] and cal["origin"] == "holidays_2027"
    assert "plugin test fixture" in cal["source"]
    assert {"from": "2027-02-05", "to": "2027-02-13", "name": None} in cal["holidays"]


def test_import_through_the_api(any_api: Api) -> None:
    a = any_api
    before = a.ok(ADD, {"s": "2026-12-20", "n": 10})["addWorkingDays"]
    assert before == {"date": "2027-01-04", "provisional": True, "uncoveredYears": [2027]}
    # Across 1-3 October 2027 (Friday 10-01 off by law): 09-30, 10-04, 10-05.
    october = a.ok(ADD, {"s": "2027-09-29", "n": 3})["addWorkingDays"]
    assert october == {"date": "2027-10-05", "provisional": True, "uncoveredYears": [2027]}

    variables = holiday_input(TABLE_2027)
    payload, errors = a.mutate(IMPORT, variables, None)
    assert codes(errors) == ["UNAUTHENTICATED"] and payload["table"] is None
    approver = a.token("county_approver", "530102")
    payload, errors = a.mutate(IMPORT, variables, approver)
    assert codes(errors) == ["FORBIDDEN"]
    # A province's administrator may not change the national calendar.
    guangxi = a.token("province_admin", "450000")
    payload, errors = a.mutate(IMPORT, {**variables, "force": True}, guangxi)
    assert codes(errors) == ["FORBIDDEN"] and payload["table"] is None
    assert "applies to the whole country" in errors[0]["message"]
    assert stored_counts(a) == (0, 0)

    bad = copy.deepcopy(variables)
    bad["input"]["workdays"][0] = {"date": "2027-02-08"}
    bad["input"]["holidays"][2] = {"from": "2027-04-05", "to": "2027-04-03"}
    bad["input"]["source"]["url"] = "not a url"
    admin = a.token("province_admin", "000000")
    payload, errors = a.mutate(IMPORT, bad, admin)
    assert [(e["field"], e["code"]) for e in errors] == [
        ("input.source.url", "INVALID_HOLIDAY_TABLE"),
        ("input.holidays[2].to", "INVALID_HOLIDAY_TABLE"),
        ("input.workdays[0].date", "INVALID_HOLIDAY_TABLE"),
    ]
    assert "2027-02-08 is a Monday" in errors[2]["message"]
    assert stored_counts(a) == (0, 0)

    # A 2026 table (chinese-calendar's year) with 8 weekday days off: refused unless confirmed.
    y2026 = copy.deepcopy(variables)
    y2026["input"].update(
        year=2026,
        holidays=[
            {"from": "2026-01-01", "to": "2026-01-03"},
            {"from": "2026-10-01", "to": "2026-10-08"},
        ],
        workdays=[],
    )
    payload, errors = a.mutate(IMPORT, y2026, admin)
    assert payload["table"] is None
    assert [(e["field"], e["code"]) for e in errors] == [
        ("input.year", "CONFIRMATION_REQUIRED"),
        ("input", "CONFIRMATION_REQUIRED"),
    ]
    assert "replaces chinese-calendar's data for 2026" in errors[0]["message"]
    assert "is 8; since 2025 there are 13" in errors[1]["message"]
    assert all("force: true" in e["message"] for e in errors)
    payload, errors = a.mutate(IMPORT, {**y2026, "force": False}, admin)
    assert codes(errors) == ["CONFIRMATION_REQUIRED"] * 2
    assert stored_counts(a) == (0, 0)

    payload, errors = a.mutate(IMPORT, variables, admin)
    assert errors == [] and payload["replaced"] is False and payload["warnings"] == []
    table = payload["table"]
    assert (table["covered"], table["origin"], table["imports"]) == (True, "imported", 1)
    assert table["source"] == f"{TITLE_2027} ({TABLE_2027['source']['number']})"
    assert table["sourceUrl"] == "https://www.gov.cn/test-fixture"
    assert table["sourceDate"] == "2026-11-20"
    assert {"from": "2027-02-05", "to": "2027-02-13", "days": 9, "name": "春节"} in table[
        "holidays"
    ]
    assert {"date": "2027-01-31", "name": "春节"} in table["workdays"]

    # The same public query (no token, same body) now answers from the imported table: the
    # earlier answer was not cached.
    after = a.ok(ADD, {"s": "2026-12-20", "n": 10})["addWorkingDays"]
    assert after == {"date": "2027-01-04", "provisional": False, "uncoveredYears": []}

    fixed = copy.deepcopy(variables)
    fixed["input"]["holidays"][0]["to"] = "2027-01-04"
    fixed["input"]["workdays"].append({"date": "2027-01-09", "name": "元旦"})
    national = a.token("province_admin", "000000")
    payload, errors = a.mutate(IMPORT, fixed, national)
    assert errors == [] and payload["replaced"] is True and payload["table"]["imports"] == 2
    assert a.ok(ADD, {"s": "2026-12-20", "n": 10})["addWorkingDays"]["date"] == "2027-01-05"
    assert stored_counts(a) == (1, 2)
    day = a.ok('{ workingDay(date: "2027-01-09") { working kind name provisional } }')
    assert day["workingDay"] == {
        "working": True,
        "kind": "make_up_workday",
        "name": "元旦",
        "provisional": False,
    }

    # Confirmed, the 2026 table goes in, its reasons as warnings.
    payload, errors = a.mutate(IMPORT, {**y2026, "force": True}, admin)
    assert errors == [] and payload["table"]["origin"] == "imported"
    assert "$.year: this table replaces chinese-calendar's data for 2026" in payload["warnings"]
    assert any("is 8; since 2025 there are 13" in w for w in payload["warnings"])
    assert stored_counts(a) == (2, 3)
