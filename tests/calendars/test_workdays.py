"""Chinese working days (core.calendars.workdays): chinese-calendar's data, holiday tables for
later years, the provisional answer for a year without one, plugin tables, and the arithmetic
against a day-by-day count.

The 2027 table (tests.support.holidays) is a TEST FIXTURE shaped like a State Council notice;
the 2027 notice is not published (today is 2026-11-23) and none of its dates is an official
figure.
"""

from __future__ import annotations

import datetime as dt
import random

import chinese_calendar
import pytest
from chinese_calendar import constants as cc_data

from core.calendars.workdays import (
    CHINESE_CALENDAR_SOURCE,
    PROVISIONAL_HORIZON_YEARS,
    DayChange,
    DueDate,
    WorkCalendar,
    default_calendar,
    holiday_periods,
    statutory_days,
    statutory_fixed_days,
)
from core.plugin.hookspecs import Document, HolidayTable, Source
from core.plugin.manager import build_plugin_manager
from core.policy.service import build_policy_base
from core.runtime import policy_calendar
from tests.support.holidays import (
    NUMBER_2027,
    TITLE_2027,
    Holidays2027Plugin,
    table_2027,
)
from tests.support.holidays import day_span as _days

D = dt.date
ONE = dt.timedelta(days=1)


def naive_add(cal: WorkCalendar, start: dt.date, n: int) -> dt.date:
    day = start
    if n == 0:
        while not cal.is_working_day(day):
            day += ONE
        return day
    k = 0
    while k < n:
        day += ONE
        k += cal.is_working_day(day)
    return day


def naive_between(cal: WorkCalendar, start: dt.date, end: dt.date) -> int:
    if end < start:
        return -naive_between(cal, end, start)
    return sum(
        cal.is_working_day(start + dt.timedelta(days=i)) for i in range(1, (end - start).days + 1)
    )


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


# -- chinese-calendar's years ----------------------------------------------------------------


def test_every_covered_day_agrees_with_chinese_calendar(cal: WorkCalendar) -> None:
    day = D(2004, 1, 1)
    checked = 0
    while day <= D(2026, 12, 31):
        assert cal.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += ONE
        checked += 1
    assert checked == 8401
    assert cal.covered_years() == tuple(range(2004, 2027))
    assert not cal.covers(2027) and not cal.covers(2003)
    assert cal.table_source(2026) == CHINESE_CALENDAR_SOURCE == "chinese-calendar 1.11.0"
    assert cal.table_source(2027) == ""


def test_national_day_2026(cal: WorkCalendar) -> None:
    # chinese-calendar's own data for the 2026 notice: 10-01..10-07 off, 09-20 (Sun) and
    # 10-10 (Sat) worked; 10-08 is an ordinary Thursday in 2026.
    off = _days("2026-10-01", "2026-10-07")
    assert all(cc_data.holidays.get(d) == "National Day" for d in off)
    assert cc_data.workdays.get(D(2026, 9, 20)) == "National Day"
    assert cc_data.workdays.get(D(2026, 10, 10)) == "National Day"
    assert not any(cal.is_working_day(d) for d in off)
    assert cal.is_working_day(D(2026, 9, 20)) and D(2026, 9, 20).weekday() == 6
    assert cal.is_working_day(D(2026, 10, 10)) and D(2026, 10, 10).weekday() == 5
    assert cal.is_working_day(D(2026, 10, 8)) == chinese_calendar.is_workday(D(2026, 10, 8))
    assert not cal.is_working_day(D(2026, 10, 11))  # an ordinary Sunday
    # 10 working days after Monday 2026-09-28: 09-29, 09-30, 10-08, 10-09, 10-10 (Sat),
    # 10-12 .. 10-16.
    due = cal.add_working_days(D(2026, 9, 28), 10)
    assert due == DueDate(D(2026, 10, 16), False, ())
    assert cal.add_working_days(D(2026, 9, 30), 1).date == D(2026, 10, 8)
    assert cal.add_working_days(D(2026, 10, 9), 1).date == D(2026, 10, 10)  # make-up Saturday
    # 3 working days in (09-30, 10-10]: 10-08, 10-09, 10-10.
    assert cal.working_days_between(D(2026, 9, 30), D(2026, 10, 10)) == 3
    # Without the holidays it would be 8 (Mon-Fri) — the week really is skipped.
    assert naive_between(WorkCalendar(), D(2026, 9, 30), D(2026, 10, 10)) == 3


def test_spring_festival_2026(cal: WorkCalendar) -> None:
    off = _days("2026-02-15", "2026-02-23")
    assert all(cc_data.holidays.get(d) == "Spring Festival" for d in off)
    assert not any(cal.is_working_day(d) for d in off)
    assert cal.is_working_day(D(2026, 2, 14)) and cal.is_working_day(D(2026, 2, 28))  # Saturdays
    # From Thursday 02-12: 02-13 (Fri), 02-14 (make-up Sat), then 02-24 (Tue).
    assert cal.add_working_days(D(2026, 2, 12), 3).date == D(2026, 2, 24)
    # n == 0: the day itself if working, else the next working day.
    assert cal.add_working_days(D(2026, 2, 16), 0).date == D(2026, 2, 24)
    assert cal.add_working_days(D(2026, 2, 14), 0).date == D(2026, 2, 14)
    assert cal.add_working_days(D(2026, 2, 13), 0).date == D(2026, 2, 13)
    # The 30-working-day time limit from acceptance on 2026-02-02 (with the festival).
    due = cal.add_working_days(D(2026, 2, 2), 30)
    assert due.date == naive_add(cal, D(2026, 2, 2), 30) == D(2026, 3, 20)
    assert not due.provisional


# -- years without a table ---------------------------------------------------------------------


def test_a_deadline_into_2027_is_provisional_and_names_the_year(cal: WorkCalendar) -> None:
    due = cal.add_working_days(D(2026, 12, 20), 10)
    # 12-21..12-25, 12-28..12-31 (9); Friday 2027-01-01 is 元旦, a day off by law whatever the
    # notice says, so Monday 01-04 — still provisional (the notice may move more days).
    assert due == DueDate(D(2027, 1, 4), True, (2027,))
    assert cal.add_working_days(D(2026, 12, 30), 1) == DueDate(D(2026, 12, 31), False, ())
    # Starting on 12-31 the first day walked is in 2027.
    assert cal.add_working_days(D(2026, 12, 31), 1) == DueDate(D(2027, 1, 4), True, (2027,))
    # Over two uncovered years both are named.
    far = cal.add_working_days(D(2026, 12, 1), 400)
    assert far.provisional and far.uncovered_years == (2027, 2028)
    # Before the first year chinese-calendar knows.
    old = cal.add_working_days(D(2003, 12, 1), 5)
    assert old.provisional and old.uncovered_years == (2003,)
    assert cal.uncovered_between(D(2026, 12, 1), D(2027, 1, 31)) == (2027,)
    assert cal.uncovered_between(D(2026, 12, 1), D(2026, 12, 31)) == ()


def test_uncovered_years_keep_the_days_off_fixed_by_law(cal: WorkCalendar) -> None:
    # 全国年节及纪念日放假办法 (2024 revision, from 2025): 1 January, 1-2 May, 1-3 October.
    assert statutory_fixed_days(2027) == {
        D(2027, 1, 1): "元旦",
        D(2027, 5, 1): "劳动节",
        D(2027, 5, 2): "劳动节",
        D(2027, 10, 1): "国庆节",
        D(2027, 10, 2): "国庆节",
        D(2027, 10, 3): "国庆节",
    }
    assert statutory_fixed_days(2024) == {}  # the earlier rule (劳动节 one day) is not applied
    # 2027-10-01 is a Friday (10-02, 10-03 the weekend): Wednesday 09-29 + 3 skips it.
    due = cal.add_working_days(D(2027, 9, 29), 3)
    assert due == DueDate(D(2027, 10, 5), True, (2027,))
    assert cal.working_days_between(D(2027, 9, 30), D(2027, 10, 4)) == 1
    # 2028: the weekdays among the 13 days of art. 2 (中秋 falls on 10-03 that year).
    assert cal.provisional_days_off(2028) == {
        D(2028, 1, 25): "农历除夕",
        D(2028, 1, 26): "春节",
        D(2028, 1, 27): "春节",
        D(2028, 1, 28): "春节",
        D(2028, 4, 4): "清明节",
        D(2028, 5, 1): "劳动节",
        D(2028, 5, 2): "劳动节",
        D(2028, 10, 2): "国庆节",
        D(2028, 10, 3): "中秋节、国庆节",
    }
    assert cal.add_working_days(D(2028, 9, 29), 1) == DueDate(D(2028, 10, 4), True, (2028,))
    assert cal.add_working_days(D(2028, 4, 30), 0).date == D(2028, 5, 3)
    assert cal.is_working_day(D(2028, 10, 4)) and cal.is_working_day(D(2027, 1, 4))
    # Up to PROVISIONAL_HORIZON_YEARS after the last covered year; beyond, Monday to Friday.
    last = cal.covered_years()[-1] + PROVISIONAL_HORIZON_YEARS
    assert last == 2036
    assert not cal.is_working_day(D(2036, 10, 1))  # a Wednesday
    assert cal.is_working_day(D(2037, 10, 1))  # a Thursday, beyond the horizon
    assert cal.provisional_days_off(2037) == {} and cal.provisional_days_off(2026) == {}
    assert not cal.covers(2027) and cal.uncovered_years(2027, 2037) == tuple(range(2027, 2038))
    # A covered year's own data wins: the fixture table for 2027 keeps 10-01..10-07 off.
    with_2027 = WorkCalendar([table_2027()])
    assert with_2027.provisional_days_off(2027) == {}
    # 09-30, then 10-08 (Fri) and the make-up Saturday 10-09.
    assert with_2027.add_working_days(D(2027, 9, 29), 3) == DueDate(D(2027, 10, 9), False, ())


def test_importing_2027_makes_it_final_and_moves_the_dates() -> None:
    without = WorkCalendar()
    with_2027 = WorkCalendar([table_2027()])
    assert with_2027.covers(2027)
    assert with_2027.table_source(2027) == f"{TITLE_2027} ({NUMBER_2027})"
    due = with_2027.add_working_days(D(2026, 12, 20), 10)
    assert due == DueDate(D(2027, 1, 4), False, ())  # 01-01..01-03 off
    # Across the fixture's Spring Festival: Sunday 01-31 worked, 02-05..02-13 off.
    # without the table only the law's days are off (除夕 Fri 02-05 … 初三 Mon 02-08)
    assert without.add_working_days(D(2027, 1, 28), 10).date == D(2027, 2, 15)
    assert with_2027.add_working_days(D(2027, 1, 28), 10) == DueDate(D(2027, 2, 18), False, ())
    assert with_2027.working_days_between(D(2027, 1, 28), D(2027, 2, 18)) == 10
    # 2028 is still provisional.
    late = with_2027.add_working_days(D(2027, 12, 20), 10)
    assert late.provisional and late.uncovered_years == (2028,)


def test_a_table_replaces_chinese_calendar_for_its_year_and_later_tables_win() -> None:
    doc = Document("fix-2026", "a corrected 2026 table (test fixture)")
    corrected = HolidayTable(
        2026, frozenset({D(2026, 1, 1), D(2026, 10, 8)}), frozenset(), Source(doc)
    )
    cal = WorkCalendar([corrected])
    assert not cal.is_working_day(D(2026, 10, 8))
    assert cal.is_working_day(D(2026, 10, 2))  # chinese-calendar's 2026 data is gone entirely
    assert not cal.is_working_day(D(2026, 10, 10))  # and with it the make-up Saturday
    assert cal.table_source(2026) == "a corrected 2026 table (test fixture)"
    again = HolidayTable(2026, frozenset({D(2026, 1, 1)}), frozenset(), Source(doc))
    assert WorkCalendar([corrected, again]).is_working_day(D(2026, 10, 8))  # the last one wins
    with pytest.raises(ValueError, match="not in the year"):
        WorkCalendar([HolidayTable(2026, frozenset({D(2027, 1, 1)}), frozenset(), Source(doc))])


def test_a_notice_that_starts_the_new_year_holiday_in_december() -> None:
    # Like the 2019 notice (2018-12-29 worked, 12-30 and 12-31 off), for the 2027 fixture.
    changes = [
        DayChange(D(2026, 12, 26), True, "notice 2027"),
        DayChange(D(2026, 12, 31), False, "notice 2027"),
    ]
    cal = WorkCalendar([table_2027()], changes)
    assert cal.is_working_day(D(2026, 12, 26)) and not cal.is_working_day(D(2026, 12, 31))
    sched = cal.schedule(2026)
    assert sched is not None and sched.origin == "chinese-calendar"
    assert sched.amended_by == ("notice 2027",)
    assert D(2026, 12, 31) in sched.holidays and D(2026, 12, 26) in sched.workdays
    # 12-24 (Thu) + 3: 12-25, 12-26 (Sat, worked), 12-28.
    assert cal.add_working_days(D(2026, 12, 24), 3).date == D(2026, 12, 28)


def test_arithmetic_matches_a_day_by_day_count() -> None:
    rng = random.Random(20261123)
    # A table for 2029 but none for 2027-2028: uncovered years inside the known span.
    gap = HolidayTable(2029, frozenset({D(2029, 1, 1)}), frozenset(), Source(Document("g", "g")))
    # A notice's December change to an uncovered year (applied, the year stays provisional).
    loose = [DayChange(D(2028, 12, 29), False, "n"), DayChange(D(2028, 5, 1), True, "n")]
    calendars = (
        WorkCalendar(),
        WorkCalendar([table_2027()]),
        WorkCalendar([gap]),
        WorkCalendar([gap], loose),
    )
    for cal in calendars:
        for _ in range(3000):
            # 2001 .. 2045: before the covered span, inside, the horizon after it and beyond.
            start = D(2001, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 45))
            n = rng.randrange(0, 70) if rng.random() < 0.9 else rng.randrange(0, 800)
            due = cal.add_working_days(start, n)
            assert due.date == naive_add(cal, start, n), (start, n)
            walked_from = start if n == 0 else start + ONE
            years = range(walked_from.year, due.date.year + 1)
            assert due.uncovered_years == tuple(y for y in years if not cal.covers(y))
            assert due.provisional == bool(due.uncovered_years)
            end = start + dt.timedelta(days=rng.randrange(-90, 90))
            assert cal.working_days_between(start, end) == naive_between(cal, start, end)
        # Every day of the horizon agrees with the law's fixed days; beyond it, Monday-Friday.
        horizon = cal.covered_years()[-1] + PROVISIONAL_HORIZON_YEARS
        for year in range(2027, 2045):
            fixed = statutory_days(year) if year <= horizon else {}
            if cal.covers(year):
                continue
            for day in (D(year, 1, 1) + dt.timedelta(days=i) for i in range(365)):
                expected = day.weekday() < 5 and day not in fixed
                if day in (D(2028, 12, 29), D(2028, 5, 1)) and cal is calendars[3]:
                    expected = day == D(2028, 5, 1)
                assert cal.is_working_day(day) == expected, (cal, day)
    cal = WorkCalendar()
    # Large n is arithmetic, not a walk: the inverse of the count.
    due = cal.add_working_days(D(2010, 3, 1), 100_000)
    assert cal.working_days_between(D(2010, 3, 1), due.date) == 100_000
    assert cal.is_working_day(due.date)
    with pytest.raises(ValueError):
        cal.add_working_days(D(2026, 1, 1), -1)


def test_the_lunar_festivals_are_days_off_in_years_without_a_schedule(cal: WorkCalendar) -> None:
    # 全国年节及纪念日放假办法 art. 2 (2024 revision): 「春节，放假4天（农历除夕、正月初一至初三）
    # 」, 「清明节，放假1天（农历清明当日）」, 「端午节，放假1天（农历端午当日）」, 「中秋节，放假1
    # 天（农历中秋当日）」. Only the make-up days (调休) wait for the State Council's notice.
    assert statutory_days(2027) == {
        D(2027, 1, 1): "元旦",
        D(2027, 2, 5): "农历除夕",
        D(2027, 2, 6): "春节",
        D(2027, 2, 7): "春节",
        D(2027, 2, 8): "春节",
        D(2027, 4, 5): "清明节",
        D(2027, 5, 1): "劳动节",
        D(2027, 5, 2): "劳动节",
        D(2027, 6, 9): "端午节",
        D(2027, 9, 15): "中秋节",
        D(2027, 10, 1): "国庆节",
        D(2027, 10, 2): "国庆节",
        D(2027, 10, 3): "国庆节",
    }
    for year in range(2027, 2036):
        days = statutory_days(year)
        # 13 days; 12 dates when 中秋 is 1-3 October (2028: 10-03, 2031: 10-01)
        assert sum(len(n.split("、")) for n in days.values()) == 13, year
    assert statutory_days(2031)[D(2031, 10, 1)] == "中秋节、国庆节"
    assert statutory_days(2024) == {}  # before the 2024 revision took effect
    # A due date over Spring Festival 2027 skips 除夕 to 初三 (Fri 02-05, Mon 02-08): provisional.
    due = cal.add_working_days(D(2027, 2, 4), 1)
    assert due == DueDate(D(2027, 2, 9), True, (2027,))
    # An imported 2027 table wins over the computed days (the fixture's 春节 runs 02-05..02-13,
    # 02-14 a Sunday): final, and later than the law's four days alone.
    with_2027 = WorkCalendar([table_2027()])
    assert with_2027.add_working_days(D(2027, 2, 4), 1) == DueDate(D(2027, 2, 15), False, ())


def test_the_computed_lunar_days_agree_with_chinese_calendar_where_it_knows_the_year() -> None:
    # An independent check of the library: chinese-calendar's tables of 2025 and 2026 (published
    # by the State Council) list every statutory day the library computes as a day off.
    for year in (2025, 2026):
        for day in statutory_days(year):
            assert not chinese_calendar.is_workday(day), day


def test_default_calendar_is_cached_for_the_same_tables() -> None:
    t = table_2027()
    assert default_calendar() is default_calendar(())
    assert default_calendar([t]) is default_calendar([t])
    assert default_calendar([t]) is not default_calendar()
    assert default_calendar([("plugin_x", t)]).schedule(2027).origin == "plugin_x"  # type: ignore[union-attr]


def test_holiday_periods_group_consecutive_days_by_name() -> None:
    days = [*_days("2026-10-01", "2026-10-03"), D(2026, 9, 27), D(2026, 9, 26)]
    names = {D(2026, 9, 26): "中秋", D(2026, 9, 27): "中秋"}
    assert holiday_periods(days, names) == [
        (D(2026, 9, 26), D(2026, 9, 27), "中秋"),
        (D(2026, 10, 1), D(2026, 10, 3), ""),
    ]


# -- a plugin's table --------------------------------------------------------------------------


def test_a_plugin_supplies_the_2027_table() -> None:
    base = build_policy_base(build_plugin_manager(extra={"holidays_2027": Holidays2027Plugin()}))
    assert [(origin, t.year) for origin, t in base.holiday_tables] == [("holidays_2027", 2027)]
    cal = policy_calendar(base)
    assert cal is default_calendar(base.holiday_tables)
    assert cal.covers(2027) and cal.schedule(2027).origin == "holidays_2027"  # type: ignore[union-attr]
    assert cal.table_source(2027).endswith(
        "(plugin test fixture) (国办发明电〔2026〕0号 (test fixture))"
    )
    assert cal.add_working_days(D(2026, 12, 20), 10) == DueDate(D(2027, 1, 4), False, ())
