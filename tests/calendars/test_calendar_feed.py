"""The calendar, pure: entries from case deadlines, reviews, payment days, report deadlines and
campaigns, and the iCalendar text — parsed back with ``icalendar`` and two independent parsers
(``vobject``, and ``ical``, a strict RFC 5545 reader), CRLF line endings, 75-octet folding,
required properties and unique UIDs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import icalendar
import pytest

from core.calendars import feed
from core.calendars.schedules import case_deadlines, next_reviews
from core.calendars.workdays import default_calendar
from core.cases import CaseState
from core.cases.model import Case
from core.errors import InvalidInput, UnknownJurisdiction
from core.policy.service import PolicyBase
from tests.support.ics import validate_ics

D = dt.date
YONGFU, QIANNAN, DUYUN, YANGQUAN = "450326", "522700", "522701", "140300"
STAMP = dt.datetime(2026, 5, 6, 7, 8, 9, tzinfo=dt.UTC)


# -- helpers -----------------------------------------------------------------------------------


def kinds(entries: Iterable[feed.CalendarEntry]) -> set[str]:
    return {e.kind for e in entries}


def case(cid: int, county: str, program: str, state: str, **data: Any) -> Case:
    return Case(cid, 100 + cid, program, county, CaseState(state), 1, data)


# -- windows -----------------------------------------------------------------------------------


def test_window_checks() -> None:
    feed.check_window(D(2024, 1, 1), D(2024, 1, 1))
    feed.check_window(D(2024, 1, 1), D(2024, 1, 1) + dt.timedelta(days=feed.MAX_WINDOW_DAYS - 1))
    with pytest.raises(InvalidInput, match="before from"):
        feed.check_window(D(2024, 2, 1), D(2024, 1, 1))
    with pytest.raises(InvalidInput, match="at most 400 days"):
        feed.check_window(D(2024, 1, 1), D(2025, 2, 5))
    with pytest.raises(InvalidInput, match="outside the dates doudi accepts") as e:
        feed.check_window(D(9999, 12, 1), D(9999, 12, 31))
    assert e.value.code == "DATE_OUT_OF_RANGE"
    start, end = feed.default_window(D(2026, 3, 1))
    assert (start, end) == (D(2026, 1, 30), D(2027, 3, 1))
    feed.check_window(start, end)
    assert feed.parse_day(None, "from") is None and feed.parse_day(" ", "to") is None
    assert feed.parse_day("2024-02-29", "from") == D(2024, 2, 29)
    for bad in ("2024-02-30", "20240201", "2024-2-1", "yesterday", "2024-02-01T00:00"):
        with pytest.raises(InvalidInput):
            feed.parse_day(bad, "from")


# -- policy items ------------------------------------------------------------------------------


def test_guangxi_county_campaign_phases_and_statistics(base: PolicyBase) -> None:
    cal = feed.build_calendar(base, YONGFU, D(2023, 7, 1), D(2023, 12, 31), as_of=D(2023, 7, 1))
    phases = [e for e in cal.entries if e.kind == feed.CAMPAIGN_PHASE]
    assert [(e.subkind, e.start, e.end) for e in phases] == [
        ("mobilise", D(2023, 7, 4), D(2023, 7, 14)),
        ("investigate", D(2023, 7, 15), D(2023, 8, 14)),
        ("rectify", D(2023, 8, 15), D(2023, 9, 14)),
        ("consolidate", D(2023, 9, 15), D(2023, 12, 31)),  # ongoing: clipped at the window
    ]
    assert [e.clipped for e in phases] == [False, False, False, True]
    assert "（持续推进）" in phases[-1].title_zh and "2023-12-31" in phases[-1].note
    assert phases[0].title_zh.endswith("动员部署阶段") and phases[0].source is not None
    stats = [e for e in cal.entries if e.kind == feed.REPORT_DEADLINE]
    # The rule starts 2023-07-04: July's table is the first, due by 4 August.
    assert [(e.period, e.start) for e in stats] == [
        ("2023-07", D(2023, 8, 4)),
        ("2023-08", D(2023, 9, 4)),
        ("2023-09", D(2023, 10, 4)),
        ("2023-10", D(2023, 11, 4)),
        ("2023-11", D(2023, 12, 4)),
    ]
    assert {e.subkind for e in stats} == {"monthly_statistics"}
    first = stats[0]
    assert first.parameter is not None
    assert first.parameter.path == "reports.monthly_statistics_due_day"
    assert first.parameter.value == 4 and first.parameter.jurisdiction_code == YONGFU
    assert first.jurisdiction == YONGFU and first.jurisdiction_name == "永福县"
    assert kinds(cal.entries) == {feed.CAMPAIGN_PHASE, feed.REPORT_DEADLINE}  # no payment day
    # Sorted by date, the uids unique.
    assert [e.start for e in cal.entries] == sorted(e.start for e in cal.entries)
    assert len({e.uid for e in cal.entries}) == len(cal.entries)


def test_campaign_shows_above_and_under_never_beside(base: PolicyBase) -> None:
    window = (D(2023, 7, 1), D(2023, 7, 31))
    for code in ("450326", "450300", "450000", "000000"):
        cal = feed.build_calendar(base, code, *window, as_of=window[0])
        assert [e.subkind for e in cal.entries if e.kind == feed.CAMPAIGN_PHASE] == [
            "mobilise",
            "investigate",
        ], code
    for code in ("450327", "450100", "522700"):  # a neighbour, another prefecture, Guizhou
        cal = feed.build_calendar(base, code, *window, as_of=window[0])
        assert feed.CAMPAIGN_PHASE not in kinds(cal.entries), code


def test_guizhou_payment_day_by_the_20th(base: PolicyBase) -> None:
    cal = feed.build_calendar(base, DUYUN, D(2024, 1, 10), D(2024, 4, 19), as_of=D(2024, 1, 10))
    pays = [e for e in cal.entries if e.kind == feed.PAYMENT_DAY]
    assert [(e.start, e.period) for e in pays] == [
        (D(2024, 1, 20), "2024-01"),
        (D(2024, 2, 20), "2024-02"),
        (D(2024, 3, 20), "2024-03"),
    ]  # April's 20th is after the window
    p = pays[0]
    assert p.parameter is not None and p.parameter.path == "payments.monthly_due_day"
    assert p.parameter.value == 20 and p.parameter.jurisdiction_code == QIANNAN
    assert p.source is not None and "20日前完成发放" in p.source.quote
    assert p.jurisdiction == DUYUN and p.places == ()
    # Guangxi sets no payment day: none is invented.
    other = feed.build_calendar(base, YONGFU, D(2024, 1, 1), D(2024, 3, 31), as_of=D(2024, 1, 1))
    assert feed.PAYMENT_DAY not in kinds(other.entries)


def test_one_entry_per_rule_for_many_counties(base: PolicyBase) -> None:
    window = (D(2024, 3, 1), D(2024, 3, 31))
    qiannan = feed.build_calendar(base, QIANNAN, *window, as_of=window[0])
    pays = [e for e in qiannan.entries if e.kind == feed.PAYMENT_DAY]
    assert len(pays) == 1 and pays[0].jurisdiction == QIANNAN and pays[0].places == ()
    province = feed.build_calendar(base, "520000", *window, as_of=window[0])
    [p] = [e for e in province.entries if e.kind == feed.PAYMENT_DAY]
    assert p.jurisdiction == QIANNAN  # the smallest jurisdiction holding the counties
    # Yangquan's village and township reports: one of each for the prefecture.
    yq = feed.build_calendar(base, YANGQUAN, *window, as_of=window[0])
    reports = [(e.subkind, e.start) for e in yq.entries if e.kind == feed.REPORT_DEADLINE]
    assert reports == [("village_monthly", D(2024, 3, 20)), ("township_to_county", D(2024, 3, 31))]


def test_policy_groups_split_counties_with_their_own_rule(
    base: PolicyBase, make_layer: Any
) -> None:
    # A county of Qiannan pays by the 15th from 2024 (a test fixture, not a real rule).
    layer = make_layer(
        {
            "jurisdiction": "522702",
            "documents": {"fx": {"title": "测试用示例文件(非政策文件)", "note": "test fixture"}},
            "parameters": {
                "payments.monthly_due_day": [
                    {
                        "from": "2024-01-01",
                        "value": 15,
                        "source": {"document": "fx", "section": "1", "quote": "测试"},
                    }
                ]
            },
        },
        covers=["522700"],
    )
    b = base.with_layers([layer])
    cal = feed.build_calendar(b, QIANNAN, D(2024, 3, 1), D(2024, 3, 31), as_of=D(2024, 3, 1))
    pays = sorted((e for e in cal.entries if e.kind == feed.PAYMENT_DAY), key=lambda e: e.start)
    assert [(e.start, e.jurisdiction) for e in pays] == [
        (D(2024, 3, 15), "522702"),
        (D(2024, 3, 20), QIANNAN),
    ]
    rest = pays[1]
    assert "522702" not in rest.places and len(rest.places) >= 10  # the other counties, named
    assert len({e.uid for e in pays}) == 2


def test_unknown_jurisdiction(base: PolicyBase) -> None:
    with pytest.raises(UnknownJurisdiction):
        feed.build_calendar(base, "999999", D(2024, 1, 1), D(2024, 1, 2), as_of=D(2024, 1, 1))


# -- case items --------------------------------------------------------------------------------


def test_case_deadlines_provisional_in_2027(base: PolicyBase) -> None:
    calendar = default_calendar(base.holiday_tables)
    assert not calendar.covers(2027)  # the test means nothing once 2027 is published
    c = case(7, YONGFU, "dibao", "accepted", openedOn="2027-01-05")
    as_of = D(2027, 1, 6)
    deadlines = case_deadlines(c, base.resolve, calendar, as_of)
    cal = feed.build_calendar(
        base,
        YONGFU,
        D(2027, 1, 1),
        D(2027, 3, 31),
        as_of=as_of,
        deadlines=deadlines,
        case_counties={7: YONGFU},
    )
    mine = [e for e in cal.entries if e.case_id == 7]
    assert mine and all(e.kind == feed.CASE_DEADLINE for e in mine)
    limit = next(e for e in mine if e.subkind == "time_limit")
    assert limit.provisional and limit.uncovered_years == (2027,)
    assert limit.title_zh.endswith("（暂定）") and limit.title.endswith("(provisional)")
    assert "（低保，案件7）" in limit.title_zh
    # Guangxi confirms at the township: 20 working days (2027: weekdays, provisionally).
    assert limit.parameter is not None
    assert limit.parameter.path == "dibao.approval.time_limit_delegated_working_days"
    assert limit.start == calendar.add_working_days(D(2027, 1, 5), 20).date
    assert limit.uid == "case-7-deadline-time_limit-2027-01-05@doudi"
    assert not limit.overdue and limit.jurisdiction == YONGFU
    ics = feed.render_ics(cal, STAMP)
    parsed = validate_ics(ics)
    [event] = [e for e in parsed.walk("VEVENT") if str(e["UID"]) == limit.uid]
    assert str(event["STATUS"]) == "TENTATIVE"
    assert str(event["SUMMARY"]).endswith("（暂定）")
    assert "2027" in str(event["DESCRIPTION"]) and "暂定" in str(event["DESCRIPTION"])
    cats = event["CATEGORIES"]
    words = [str(c) for c in (cats.cats if hasattr(cats, "cats") else cats)]
    assert "暂定" in words and "办理时限" in words


def test_overdue_done_and_out_of_window(base: PolicyBase) -> None:
    calendar = default_calendar(base.holiday_tables)
    c = case(
        3,
        YONGFU,
        "dibao",
        "investigated",
        openedOn="2024-03-01",
        investigations=[{"on": "2024-03-04", "investigators": ["甲", "乙"]}],
    )
    as_of = D(2024, 6, 1)
    deadlines = case_deadlines(c, base.resolve, calendar, as_of)
    cal = feed.build_calendar(
        base, YONGFU, D(2024, 3, 1), D(2024, 6, 30), as_of=as_of,
        deadlines=deadlines, case_counties={3: YONGFU},
    )  # fmt: skip
    mine = {e.subkind: e for e in cal.entries if e.case_id == 3}
    assert "investigation_start" not in mine  # done: not in the calendar
    limit = mine["time_limit"]
    assert limit.overdue and limit.title_zh.endswith("（已逾期）") and not limit.provisional
    narrow = feed.build_calendar(
        base, YONGFU, D(2024, 5, 1), D(2024, 5, 31), as_of=as_of,
        deadlines=deadlines, case_counties={3: YONGFU},
    )  # fmt: skip
    assert all(e.case_id != 3 for e in narrow.entries)
    with pytest.raises(InvalidInput, match="county"):
        feed.build_calendar(
            base, YONGFU, D(2024, 3, 1), D(2024, 6, 30), as_of=as_of, deadlines=deadlines
        )


def test_reviews_of_a_guizhou_case(base: PolicyBase) -> None:
    c = case(
        9,
        DUYUN,
        "tekun",
        "active",
        openedOn="2024-01-02",
        decision={"on": "2024-02-01"},
        care={"on": "2024-02-01", "mode": "dispersed"},
    )
    as_of = D(2024, 2, 10)
    reviews = next_reviews(c, None, base.resolve, as_of)
    cal = feed.build_calendar(
        base, DUYUN, D(2024, 2, 1), D(2025, 2, 28), as_of=as_of,
        reviews=reviews, case_counties={9: DUYUN},
    )  # fmt: skip
    mine = {e.subkind: e for e in cal.entries if e.case_id == 9}
    care = mine["care_assessment"]  # Guizhou: the carer assessed monthly
    assert care.kind == feed.REVIEW and care.start == D(2024, 3, 1)
    assert (
        care.parameter is not None
        and care.parameter.path == "tekun.care_assessment.interval_months"
    )
    assert mine["tekun_review"].start == D(2025, 2, 1)
    assert care.uid == "case-9-review-care_assessment-2024-02-01@doudi"
    pays = [e for e in cal.entries if e.kind == feed.PAYMENT_DAY]
    assert len(pays) == 13 and (pays[0].start, pays[-1].start) == (D(2024, 2, 20), D(2025, 2, 20))
    validate_ics(feed.render_ics(cal, STAMP))


def test_repayments_grouped_by_county_and_month(base: PolicyBase) -> None:
    items = [
        feed.Repayment(11, 1, DUYUN, "2024-03", D(2024, 3, 21), D(2024, 3, 31)),
        feed.Repayment(12, 2, DUYUN, "2024-03", D(2024, 3, 22), D(2024, 3, 31)),
        # February's payment reported failed in March: paid again by the end of March.
        feed.Repayment(13, 3, DUYUN, "2024-02", D(2024, 3, 2), D(2024, 3, 31)),
        feed.Repayment(14, 4, DUYUN, "2024-05", D(2024, 5, 21), D(2024, 5, 31)),  # after
    ]
    cal = feed.build_calendar(
        base, DUYUN, D(2024, 3, 1), D(2024, 4, 30), as_of=D(2024, 3, 25), repayments=items
    )
    reps = [e for e in cal.entries if e.kind == feed.REPAYMENT]
    assert sorted((e.period, e.case_ids) for e in reps) == [("2024-02", (3,)), ("2024-03", (1, 2))]
    march = next(e for e in reps if e.period == "2024-03")
    assert march.start == D(2024, 3, 31) and "2笔" in march.title_zh
    assert march.parameter is not None and march.parameter.path == "payments.failed_repay_by"
    assert march.parameter.value == "month_end"


# -- iCalendar ---------------------------------------------------------------------------------


def test_ics_of_a_guangxi_county(base: PolicyBase) -> None:
    cal = feed.build_calendar(base, YONGFU, D(2023, 6, 1), D(2024, 6, 30), as_of=D(2023, 6, 1))
    ics = feed.render_ics(cal, STAMP)
    parsed = validate_ics(ics)
    assert str(parsed["X-WR-CALNAME"]) == "兜底 永福县 (450326)"
    events = {str(e["UID"]): e for e in parsed.walk("VEVENT")}
    assert len(events) == len(cal.entries)
    mob = events["campaign-guangxi.yongfu_2023_precision-mobilise@doudi"]
    assert mob.decoded("DTSTART") == D(2023, 7, 4)
    assert mob.decoded("DTEND") == D(2023, 7, 15)  # exclusive: the day after the 14th
    assert str(mob["STATUS"]) == "CONFIRMED"
    ongoing = events["campaign-guangxi.yongfu_2023_precision-consolidate@doudi"]
    assert ongoing.decoded("DTEND") == D(2024, 7, 1)  # clipped at the window's end (30 June)
    assert "持续推进" in str(ongoing["SUMMARY"]) and "Ongoing" in str(ongoing["DESCRIPTION"])
    stats = events["report-monthly_statistics-2023-07-450326@doudi"]
    assert stats.decoded("DTSTART") == D(2023, 8, 4) and stats.decoded("DTEND") == D(2023, 8, 5)
    text = str(stats["DESCRIPTION"])
    assert "reports.monthly_statistics_due_day = 4" in text and "4日前" in text
    assert stats.decoded("DTSTAMP") == STAMP
    # The same calendar fetched again is the same text (stable UIDs, stable order).
    assert feed.render_ics(cal, STAMP) == ics


def test_ics_empty_calendar_is_valid(base: PolicyBase) -> None:
    cal = feed.build_calendar(base, "110101", D(2024, 1, 1), D(2024, 1, 31), as_of=D(2024, 1, 1))
    assert cal.entries == ()
    parsed = validate_ics(feed.render_ics(cal, STAMP))
    assert list(parsed.walk("VEVENT")) == []


def test_render_needs_an_aware_stamp(base: PolicyBase) -> None:
    cal = feed.build_calendar(base, YONGFU, D(2024, 1, 1), D(2024, 1, 31), as_of=D(2024, 1, 1))
    with pytest.raises(ValueError, match="aware"):
        feed.render_ics(cal, dt.datetime(2024, 1, 1))
    shanghai = dt.timezone(dt.timedelta(hours=8))
    parsed = icalendar.Calendar.from_ical(
        feed.render_ics(cal, dt.datetime(2024, 1, 1, 8, 0, tzinfo=shanghai))
    )
    for e in parsed.walk("VEVENT"):
        assert e.decoded("DTSTAMP") == dt.datetime(2024, 1, 1, 0, 0, tzinfo=dt.UTC)


def test_json_form(base: PolicyBase) -> None:
    cal = feed.build_calendar(base, DUYUN, D(2024, 1, 1), D(2024, 1, 31), as_of=D(2024, 1, 1))
    doc = feed.calendar_to_json(cal)
    assert doc["jurisdiction"] == DUYUN and doc["from"] == "2024-01-01"
    [entry] = doc["entries"]
    assert entry["kind"] == "payment_day" and entry["start"] == "2024-01-20"
    assert entry["parameter"]["value"] == 20 and entry["source"]["section"] == "二"
