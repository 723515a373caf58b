"""Calendars through the API, on SQLite and PostgreSQL: the GraphQL ``calendar`` and the
iCalendar feed ``/calendar/{code}.ics`` — a Guangxi county (campaign phases, statistics by the
4th, a case's deadlines and due reviews), a Guizhou county (payment days by the 20th, a failed
payment to pay again, a carer assessment, a deadline in 2027 marked provisional and TENTATIVE),
and the refusals (401, 403, 404, 400; UNAUTHENTICATED, FORBIDDEN, UNKNOWN_JURISDICTION,
INVALID_INPUT).

The scene (tests/support/calendar_scene.py) opens cases through the case store (accepted cases)
or writes them straight into the tables in the shapes the case machine writes (cases in
payment).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import icalendar
import pytest

from core.policy.service import PolicyBase, today
from tests.support.api import Api, codes, open_test_runtime
from tests.support.calendar_scene import DUYUN, YONGFU, Scene
from tests.support.db_backends import SqliteTemplate
from tests.support.ics import validate_ics

D = dt.date
GUANGXI_WINDOW = (D(2023, 7, 1), D(2024, 6, 30))
GUIZHOU_WINDOW = (D(2026, 10, 1), D(2027, 3, 31))

QUERY = """query($j: String!, $from: Date, $to: Date) {
  calendar(jurisdiction: $j, from: $from, to: $to) {
    jurisdiction { code name } from to asOf feedPath
    entries {
      uid kind subkind title titleZh start end allDay provisional uncoveredYears overdue
      caseId caseIds program period places clipped note
      jurisdiction { code name }
      parameter { path value isSet layer { code origin } source { title section quote } }
      source { title number section quote }
    }
  }
}"""


def feed_get(api: Api, path: str, **headers: str) -> httpx.Response:
    return api._runner.run(api._client.get(path, headers=headers))


@pytest.fixture
def world(migrated_db_url: str, tmp_path: Path, base: PolicyBase) -> Iterator[tuple[Api, Scene]]:
    """The app over a fresh runtime on SQLite and on PostgreSQL, with the scene."""
    rt = open_test_runtime(migrated_db_url, tmp_path, base)
    api = Api(rt)
    yield api, Scene(rt, base)
    api.close()
    rt.close()


@pytest.fixture
def sqlite_world(
    sqlite_template: SqliteTemplate, tmp_path: Path, base: PolicyBase
) -> Iterator[tuple[Api, Scene]]:
    rt = open_test_runtime(sqlite_template.clone(tmp_path / "calendar.sqlite3"), tmp_path, base)
    api = Api(rt)
    yield api, Scene(rt, base)
    api.close()
    rt.close()


def entries_of(api: Api, token: str, code: str, window: tuple[dt.date, dt.date]) -> list[dict]:
    variables = {"j": code, "from": window[0].isoformat(), "to": window[1].isoformat()}
    return api.ok(QUERY, variables, token)["calendar"]["entries"]


# -- GraphQL -------------------------------------------------------------------------------------


def test_guangxi_county_calendar(world: tuple[Api, Scene]) -> None:
    api, scene = world
    variables = {"j": YONGFU, "from": "2023-07-01", "to": "2024-06-30"}
    cal = api.ok(QUERY, variables, scene.token("yongfu"))["calendar"]
    assert cal["jurisdiction"] == {"code": YONGFU, "name": "永福县"}
    assert (cal["from"], cal["to"], cal["asOf"]) == ("2023-07-01", "2024-06-30", str(today()))
    assert cal["feedPath"] == "/calendar/450326.ics?from=2023-07-01&to=2024-06-30"
    entries = cal["entries"]
    assert [e["start"] for e in entries] == sorted(e["start"] for e in entries)
    assert len({e["uid"] for e in entries}) == len(entries)

    phases = [
        (e["subkind"], e["start"], e["end"]) for e in entries if e["kind"] == "campaign_phase"
    ]
    assert phases == [
        ("mobilise", "2023-07-04", "2023-07-14"),
        ("investigate", "2023-07-15", "2023-08-14"),
        ("rectify", "2023-08-15", "2023-09-14"),
        ("consolidate", "2023-09-15", "2024-06-30"),
    ]
    ongoing = next(e for e in entries if e["subkind"] == "consolidate")
    assert ongoing["clipped"] and ongoing["source"]["section"] == "三"

    stats = [e for e in entries if e["kind"] == "report_deadline"]
    assert [(e["period"], e["start"]) for e in stats][:2] == [
        ("2023-07", "2023-08-04"),
        ("2023-08", "2023-09-04"),
    ]
    assert len(stats) == 11 and all(e["start"].endswith("-04") for e in stats)
    assert stats[0]["parameter"]["path"] == "reports.monthly_statistics_due_day"
    assert stats[0]["parameter"]["layer"] == {"code": YONGFU, "origin": "guangxi"}

    # The accepted case: its open deadlines, overdue today, each from its parameter.
    mine = {e["subkind"]: e for e in entries if e["caseId"] == str(scene.accepted)}
    assert {"investigation_start", "verification_start", "time_limit"} <= set(mine)
    limit = mine["time_limit"]
    assert limit["kind"] == "case_deadline" and limit["program"] == "dibao"
    assert limit["parameter"]["path"] == "dibao.approval.time_limit_delegated_working_days"
    assert limit["parameter"]["value"] == 20 and limit["start"] == "2023-08-07"
    assert limit["overdue"] and limit["titleZh"].endswith("（已逾期）")
    assert not limit["provisional"] and limit["jurisdiction"]["code"] == YONGFU
    assert limit["uid"] == f"case-{scene.accepted}-deadline-time_limit-2023-07-10@doudi"

    # The case in payment: its reviews due in the window (Guangxi: verification and home
    # visits every 6 months; the income class's re-check).
    reviews = {e["subkind"]: e for e in entries if e["caseId"] == str(scene.active)}
    assert {"dibao_review", "periodic_verification", "home_visit"} <= set(reviews)
    assert all(e["kind"] == "review" for e in reviews.values())
    assert reviews["dibao_review"]["start"] == "2023-11-25"
    assert reviews["dibao_review"]["parameter"]["path"] == (
        "dibao.review.interval_months.irregular_with_labour"
    )
    assert not any(e["kind"] == "payment_day" for e in entries)  # Guangxi sets none


def test_guizhou_county_calendar(world: tuple[Api, Scene]) -> None:
    api, scene = world
    pid = scene.failed_payment()
    entries = entries_of(api, scene.token("duyun"), DUYUN, GUIZHOU_WINDOW)
    pays = [(e["start"], e["period"]) for e in entries if e["kind"] == "payment_day"]
    assert pays == [
        ("2026-10-20", "2026-10"),
        ("2026-11-20", "2026-11"),
        ("2026-12-20", "2026-12"),
        ("2027-01-20", "2027-01"),
        ("2027-02-20", "2027-02"),
        ("2027-03-20", "2027-03"),
    ]
    pay = next(e for e in entries if e["kind"] == "payment_day")
    assert pay["parameter"]["value"] == 20 and pay["parameter"]["layer"]["code"] == "522700"
    assert "20日前完成发放" in pay["source"]["quote"]

    [repay] = [e for e in entries if e["kind"] == "repayment"]
    assert repay["start"] == "2026-10-31" and repay["caseIds"] == [str(scene.tekun)]
    assert repay["parameter"]["value"] == "month_end" and str(pid) in repay["note"]

    care = next(e for e in entries if e["caseId"] == str(scene.tekun))
    assert (care["subkind"], care["start"]) == ("care_assessment", "2026-10-10")
    assert care["parameter"]["path"] == "tekun.care_assessment.interval_months"

    mine = {e["subkind"]: e for e in entries if e["caseId"] == str(scene.provisional)}
    limit = mine["time_limit"]
    assert limit["start"].startswith("2027-01")
    assert limit["provisional"] and limit["uncoveredYears"] == [2027]
    assert limit["titleZh"].endswith("（暂定）") and "provisional" in limit["title"]
    assert limit["parameter"]["path"] == "dibao.approval.time_limit_working_days"
    assert limit["parameter"]["value"] == 30


def test_province_auditor_sees_the_county(world: tuple[Api, Scene]) -> None:
    api, scene = world
    entries = entries_of(api, scene.token("guangxi"), "450000", GUANGXI_WINDOW)
    assert {e["caseId"] for e in entries if e["caseId"]} == {
        str(scene.accepted),
        str(scene.active),
    }
    stats = [e for e in entries if e["kind"] == "report_deadline"]
    assert stats and all(e["jurisdiction"]["code"] == YONGFU for e in stats)
    assert any(e["kind"] == "campaign_phase" for e in entries)


def test_graphql_refusals(sqlite_world: tuple[Api, Scene]) -> None:
    api, scene = sqlite_world
    good = {"j": YONGFU, "from": "2024-01-01", "to": "2024-01-31"}
    data, errors = api.gql(QUERY, good)
    assert data is None and codes(errors) == ["UNAUTHENTICATED"]
    data, errors = api.gql(QUERY, good, "not-a-token")
    assert codes(errors) == ["UNAUTHENTICATED"]
    data, errors = api.gql(QUERY, good, scene.token("outsider"))
    assert codes(errors) == ["FORBIDDEN"] and "outside your jurisdiction" in errors[0]["message"]
    data, errors = api.gql(QUERY, {**good, "j": "999999"}, scene.token("yongfu"))
    assert codes(errors) == ["UNKNOWN_JURISDICTION"]
    for window, words in (
        (("2024-02-01", "2024-01-01"), "before from"),
        (("2024-01-01", "2025-02-05"), "at most 400 days"),
    ):
        variables = {"j": YONGFU, "from": window[0], "to": window[1]}
        data, errors = api.gql(QUERY, variables, scene.token("yongfu"))
        assert codes(errors) == ["INVALID_INPUT"] and words in errors[0]["message"]
    data, errors = api.gql(QUERY, {**good, "from": "2024-13-01"}, scene.token("yongfu"))
    assert errors and data is None  # not a Date: refused before execution


def test_graphql_default_window(sqlite_world: tuple[Api, Scene]) -> None:
    api, scene = sqlite_world
    cal = api.ok(QUERY, {"j": DUYUN}, scene.token("duyun"))["calendar"]
    now = today()
    assert cal["from"] == (now - dt.timedelta(days=30)).isoformat()
    assert cal["to"] == (now + dt.timedelta(days=365)).isoformat()
    pays = [e["start"] for e in cal["entries"] if e["kind"] == "payment_day"]
    days = (now - dt.timedelta(days=30) + dt.timedelta(days=n) for n in range(396))
    assert pays == [d.isoformat() for d in days if d.day == 20]  # the 20th of every month
    half = api.ok(QUERY, {"j": DUYUN, "from": "2026-01-01"}, scene.token("duyun"))["calendar"]
    assert (half["from"], half["to"]) == ("2026-01-01", "2027-01-31")


# -- the iCalendar feed --------------------------------------------------------------------------


def test_feed_of_a_guangxi_county(world: tuple[Api, Scene]) -> None:
    api, scene = world
    token = scene.token("yongfu")
    path = "/calendar/450326.ics?from=2023-07-01&to=2024-06-30"
    r = feed_get(api, path, Authorization=f"Bearer {token}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    assert r.headers["cache-control"] == "private, no-store"
    assert r.headers["content-disposition"] == 'attachment; filename="doudi-450326.ics"'
    cal = validate_ics(r.content)
    assert str(cal["X-WR-CALNAME"]) == "兜底 永福县 (450326)"
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    graphql = entries_of(api, token, YONGFU, GUANGXI_WINDOW)
    assert set(events) == {e["uid"] for e in graphql}  # the same items as GraphQL
    mob = events["campaign-guangxi.yongfu_2023_precision-mobilise@doudi"]
    assert (mob.decoded("DTSTART"), mob.decoded("DTEND")) == (D(2023, 7, 4), D(2023, 7, 15))
    stats = events["report-monthly_statistics-2023-07-450326@doudi"]
    assert stats.decoded("DTSTART") == D(2023, 8, 4)
    limit = events[f"case-{scene.accepted}-deadline-time_limit-2023-07-10@doudi"]
    text = str(limit["DESCRIPTION"])
    assert f"Case: {scene.accepted}" in text and "time_limit_delegated_working_days = 20" in text
    assert str(limit["STATUS"]) == "CONFIRMED" and str(limit["X-DOUDI-CASE-ID"]) == str(
        scene.accepted
    )
    # The token as a query parameter (calendar apps send no headers): the same calendar.
    again = feed_get(api, f"{path}&token={scene.calendar_token('yongfu')}")
    assert again.status_code == 200
    assert sorted(str(e["UID"]) for e in icalendar.Calendar.from_ical(again.content).walk(
        "VEVENT"
    )) == sorted(events)  # fmt: skip


def test_feed_of_a_guizhou_county_marks_2027_tentative(world: tuple[Api, Scene]) -> None:
    api, scene = world
    scene.failed_payment()
    token = scene.calendar_token("duyun")
    r = feed_get(api, f"/calendar/{DUYUN}.ics?from=2026-10-01&to=2027-03-31&token={token}")
    assert r.status_code == 200, r.text
    cal = validate_ics(r.content)
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    limit = events[f"case-{scene.provisional}-deadline-time_limit-2026-12-01@doudi"]
    assert str(limit["STATUS"]) == "TENTATIVE"
    assert str(limit["SUMMARY"]).endswith("（暂定）")
    assert limit.decoded("DTSTART").year == 2027
    assert "2027" in str(limit["DESCRIPTION"])
    days = sorted(
        e.decoded("DTSTART") for e in cal.walk("VEVENT") if str(e["X-DOUDI-KIND"]) == "payment_day"
    )
    assert days[0] == D(2026, 10, 20) and all(d.day == 20 for d in days) and len(days) == 6
    assert any(str(e["X-DOUDI-KIND"]) == "repayment" for e in cal.walk("VEVENT"))
    confirmed = [e for e in cal.walk("VEVENT") if str(e["STATUS"]) == "CONFIRMED"]
    assert confirmed  # only provisional items are tentative


def test_feed_default_window_and_stable_uids(sqlite_world: tuple[Api, Scene]) -> None:
    api, scene = sqlite_world
    auth = {"Authorization": f"Bearer {scene.token('duyun')}"}
    first = feed_get(api, f"/calendar/{DUYUN}.ics", **auth)
    second = feed_get(api, f"/calendar/{DUYUN}.ics", **auth)
    assert first.status_code == second.status_code == 200
    a, b = validate_ics(first.content), validate_ics(second.content)
    uids = [str(e["UID"]) for e in a.walk("VEVENT")]
    assert uids and uids == [str(e["UID"]) for e in b.walk("VEVENT")]
    now = today()
    lo, hi = now - dt.timedelta(days=30), now + dt.timedelta(days=365)
    for e in a.walk("VEVENT"):
        assert e.decoded("DTSTART") <= hi and e.decoded("DTEND") > lo


def test_feed_refusals(sqlite_world: tuple[Api, Scene]) -> None:
    api, scene = sqlite_world
    token = scene.token("yongfu")
    auth = {"Authorization": f"Bearer {token}"}

    def status(path: str, **headers: str) -> tuple[int, str]:
        r = feed_get(api, path, **headers)
        assert r.headers["cache-control"] == "private, no-store"
        assert r.headers["content-type"].startswith("text/plain")
        assert 0 < len(r.text) < 300 and "Traceback" not in r.text
        return r.status_code, r.text

    code, text = status("/calendar/450326.ics")
    assert code == 401 and "token" in text
    assert feed_get(api, "/calendar/450326.ics").headers["www-authenticate"].startswith("Bearer")
    assert status("/calendar/450326.ics?token=nope")[0] == 401
    assert status("/calendar/450326.ics", Authorization="Bearer nope")[0] == 401
    assert status("/calendar/450326.ics", Authorization="Basic abc")[0] == 401
    # Unknown code; outside the jurisdiction (a neighbour, the province above).
    assert status("/calendar/999999.ics", **auth)[0] == 404
    assert status("/calendar/450327.ics", **auth)[0] == 403
    assert status("/calendar/450000.ics", **auth)[0] == 403
    assert status(f"/calendar/450326.ics?token={scene.calendar_token('outsider')}")[0] == 403
    # a full token is refused in a URL (calendar apps keep and share feed URLs)
    code, text = status(f"/calendar/450326.ics?token={scene.token('yongfu')}")
    assert code == 401 and "calendar token" in text
    # A 401 says nothing about the code.
    assert status("/calendar/999999.ics")[0] == 401
    for query in (
        "from=2024-13-01",
        "from=yesterday",
        "to=2024-02-30",
        "from=2024-02-01&to=2024-01-01",
        "from=2024-01-01&to=2025-06-01",
        "from=0001-01-01&to=0001-01-02",
    ):
        code, text = status(f"/calendar/450326.ics?{query}", **auth)
        assert code == 400, (query, text)
    assert "before from" in status("/calendar/450326.ics?from=2024-02-01&to=2024-01-01", **auth)[1]


def test_feed_without_a_database(base: PolicyBase) -> None:
    api = Api(base=base)
    try:
        r = feed_get(api, "/calendar/450326.ics?token=x")
        assert r.status_code == 503 and "database" in r.text
        assert r.headers["cache-control"] == "private, no-store"
    finally:
        api.close()


def test_too_many_entries_is_refused(
    sqlite_world: tuple[Api, Scene], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, scene = sqlite_world
    # Yongfu's window holds 3 or more
    monkeypatch.setattr("core.calendars.feed_store.MAX_ENTRIES", 2)
    token = scene.token("yongfu")
    variables = {"j": YONGFU, "from": "2023-07-01", "to": "2024-06-30"}
    data, errors = api.gql(QUERY, variables, token)
    assert data is None and codes(errors) == ["INVALID_INPUT"]
    assert "more than 2" in errors[0]["message"]
    feed_token = scene.calendar_token("yongfu")
    r = feed_get(api, f"/calendar/{YONGFU}.ics?from=2023-07-01&to=2024-06-30&token={feed_token}")
    assert r.status_code == 400 and "shorter window" in r.text
