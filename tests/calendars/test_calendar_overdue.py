"""Open overdue case work due before a calendar's window is not lost from sight: it shows on
the day the calendar is asked for (within the window), saying when it was due."""

from __future__ import annotations

import datetime as dt

from core.calendars.feed import CASE_DEADLINE, build_calendar
from core.calendars.schedules import case_deadlines
from core.calendars.workdays import default_calendar
from core.policy.service import PolicyBase
from tests.support.cases import make_case

D = dt.date
YONGFU = "450326"


def test_overdue_deadlines_before_the_window_show_on_today(base: PolicyBase) -> None:
    calendar = default_calendar(base.holiday_tables)
    case = make_case(YONGFU, openedOn=D(2026, 9, 1))  # accepted, never investigated
    as_of = D(2026, 11, 15)
    items = case_deadlines(case, base.resolve, calendar, as_of, history=base)
    overdue = [d for d in items if d.overdue and d.due_date is not None]
    assert overdue, items  # the investigation start and the time limit are long past
    cal = build_calendar(
        base,
        YONGFU,
        D(2026, 11, 1),
        D(2026, 11, 30),
        as_of=as_of,
        deadlines=items,
        case_counties={case.id: YONGFU},
    )
    shown = {e.subkind: e for e in cal.entries if e.kind == CASE_DEADLINE}
    for d in overdue:
        e = shown[d.kind]
        assert e.start == as_of and e.overdue
        assert f"due {d.due_date.isoformat()}, overdue" in e.note  # type: ignore[union-attr]
        assert "已逾期" in e.title_zh
    # a window that does not hold today shows only what falls due in it
    later = build_calendar(
        base,
        YONGFU,
        D(2026, 12, 1),
        D(2026, 12, 31),
        as_of=as_of,
        deadlines=items,
        case_counties={case.id: YONGFU},
    )
    assert all(e.start >= D(2026, 12, 1) for e in later.entries if e.kind == CASE_DEADLINE)
