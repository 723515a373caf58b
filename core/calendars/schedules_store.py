"""Deadlines and review schedules of stored cases: the cases (and their households' income
class) of a jurisdiction read in bulk, planned by :class:`core.calendars.schedules.Planner`.

Reading is one query per call, streamed (``yield_per``): the case columns the planner needs and
the household's ``incomeClass`` taken out of its JSON document by the database (``->>`` on
PostgreSQL, ``json_extract`` on SQLite), never the whole household. Only the states that can
have what is asked are read: cases in payment for reviews; for open deadlines the cases not yet
decided, those assisted first (temporary), those in payment (deaths) and those rejected within
:data:`REJECTED_LOOKBACK_DAYS` of the window (the refusal notice).

Every function checks the user's right to read households at the jurisdiction (or the case's
county) first (UNAUTHENTICATED, FORBIDDEN).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

from core.access.roles import Action, User, authorize
from core.calendars import windows
from core.calendars.schedules import (
    Deadline,
    Item,
    Planner,
    ReviewDue,
    ScheduleRow,
    case_row,
    schedule_row,
)
from core.calendars.workdays import WorkCalendar
from core.cases import Case, CaseState
from core.cases.store import cases_within, read_case
from core.policy.jurisdictions import JurisdictionRegistry
from core.policy.service import PolicyBase
from core.storage.engine import reading
from core.storage.tables import CaseRow, HouseholdRow

S = CaseState
IN_PAYMENT = (S.ACTIVE.value, S.PHASING_OUT.value)
OPEN_DEADLINE_STATES = (
    S.ACCEPTED.value,
    S.INVESTIGATED.value,
    S.FIRST_REVIEWED.value,
    S.IN_PUBLICITY.value,
    S.ASSISTED.value,
    *IN_PAYMENT,
)
# A refusal notice is due a few working days after the rejection: rejected cases decided this
# long before a window cannot have it due in the window (far more than any notice period).
REJECTED_LOOKBACK_DAYS = 120
MAX_WINDOW_DAYS = 3 * 366  # dueReviews / calendar windows: at most about three years
READ_BATCH = 2000


@dataclass(frozen=True, slots=True)
class CaseRef:
    """Where a planned item's case is: its county, program, state and household."""

    county: str
    program: str
    state: str
    household_id: int


@dataclass(frozen=True, slots=True)
class CalendarItems:
    """The open deadlines and due reviews of a jurisdiction's cases for a calendar window, with
    each case's county (``counties``: case id → county code)."""

    deadlines: tuple[Deadline, ...]
    reviews: tuple[ReviewDue, ...]
    counties: dict[int, str]


def check_window(start: dt.date, end: dt.date) -> None:
    """INVALID_INPUT unless ``from`` and ``to`` are at most MAX_WINDOW_DAYS apart and within
    :data:`core.calendars.windows.FIRST_DAY` .. :data:`core.calendars.windows.LAST_DAY`."""
    windows.check_window(start, end, MAX_WINDOW_DAYS + 1, "a schedule window")


# -- reading -----------------------------------------------------------------------------------


def _query(code: str, registry: JurisdictionRegistry) -> Select[Any]:
    income_class = HouseholdRow.document["incomeClass"].as_string()
    return (
        select(
            CaseRow.id,
            CaseRow.county,
            CaseRow.program,
            CaseRow.state,
            CaseRow.household_id,
            CaseRow.data,
            income_class,
        )
        .join(HouseholdRow, HouseholdRow.id == CaseRow.household_id)
        .where(cases_within(code, registry))
        .order_by(CaseRow.id)
    )


def read_rows(
    session: Session,
    registry: JurisdictionRegistry,
    code: str,
    *,
    states: Sequence[str] | None = None,
    programs: Sequence[str] | None = None,
    rejected_since: dt.date | None = None,
) -> tuple[list[ScheduleRow], dict[int, CaseRef]]:
    """The planner's rows of the cases at ``code`` and under it (in ``states``, of
    ``programs``; and, with ``rejected_since``, the cases rejected on or after that day), with
    each case's :class:`CaseRef`. No access check: callers check first."""
    q = _query(code, registry)
    wanted: list[ColumnElement[bool]] = []
    if states is not None:
        wanted.append(CaseRow.state.in_(list(states)))
    if rejected_since is not None:
        decided_on = CaseRow.data[("decision", "on")].as_string()
        wanted.append(
            and_(CaseRow.state == S.REJECTED.value, decided_on >= rejected_since.isoformat())
        )
    if wanted:
        q = q.where(or_(*wanted))
    if programs is not None:
        q = q.where(CaseRow.program.in_(list(programs)))
    rows: list[ScheduleRow] = []
    refs: dict[int, CaseRef] = {}
    with reading(session):
        result = session.execute(q.execution_options(yield_per=READ_BATCH))
        for cid, county, program, state, hid, data, income_class in result:
            rows.append(schedule_row(cid, county, program, state, data or {}, income_class))
            refs[cid] = CaseRef(county, program, state, hid)
    return rows, refs


def _sorted(items: Iterable[Item]) -> list[Item]:
    return sorted(items, key=lambda i: (i[1], i[0], i[4].kind, i[3]))


# -- one case ----------------------------------------------------------------------------------


def case_deadlines(
    session: Session,
    base: PolicyBase,
    calendar: WorkCalendar,
    user: User | None,
    case_id: int,
    as_of: dt.date,
) -> list[Deadline]:
    """Every deadline of stored case ``case_id`` as of ``as_of`` (NOT_FOUND, UNAUTHENTICATED,
    FORBIDDEN as for reading the case)."""
    case = read_case(session, user, case_id, base.registry)
    planner = Planner.for_base(base, as_of, calendar)
    return [planner.deadline(i) for i in planner.deadlines(case_row(case))]


def case_reviews(
    session: Session, base: PolicyBase, user: User | None, case_id: int, as_of: dt.date
) -> tuple[Case, list[ReviewDue]]:
    """Stored case ``case_id`` and its next periodic checks, earliest first (none unless in
    payment)."""
    case = read_case(session, user, case_id, base.registry)
    with reading(session):
        doc = session.scalar(
            select(HouseholdRow.document["incomeClass"].as_string()).where(
                HouseholdRow.id == case.household_id
            )
        )
    planner = Planner.for_base(base, as_of)
    items = _sorted(planner.reviews(case_row(case, doc)))
    return case, [planner.review(i) for i in items]


# -- a jurisdiction ----------------------------------------------------------------------------


def due_reviews(
    session: Session,
    base: PolicyBase,
    user: User | None,
    code: str,
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
    *,
    program: str | None = None,
) -> tuple[list[Item], dict[int, CaseRef], Planner]:
    """The reviews of the cases in payment at ``code`` and under it due on or before ``end``:
    those due from ``start`` on, and the earlier ones (overdue, or due before the window
    starts), earliest first (then by case and kind). Returns the light items (materialise a page
    of them with ``planner.review``), the cases' refs and the planner."""
    registry = base.registry
    where = registry.get(code)
    authorize(user, Action.READ_HOUSEHOLDS, where.code, registry)
    check_window(start, end)
    programs = None if program is None else (program,)
    rows, refs = read_rows(session, registry, where.code, states=IN_PAYMENT, programs=programs)
    planner = Planner.for_base(base, as_of)
    items = planner.plan(rows, until=end, deadlines=False, reviews=True)
    return _sorted(items), refs, planner


def calendar_items(
    session: Session,
    base: PolicyBase,
    calendar: WorkCalendar,
    user: User | None,
    code: str,
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
) -> CalendarItems:
    """The open case deadlines and the due reviews of the cases at ``code`` and under it due
    in [start, end], and those due earlier and overdue on ``as_of``, for calendars."""
    registry = base.registry
    where = registry.get(code)
    authorize(user, Action.READ_HOUSEHOLDS, where.code, registry)
    check_window(start, end)
    rows, refs = read_rows(
        session,
        registry,
        where.code,
        states=OPEN_DEADLINE_STATES,
        rejected_since=start - dt.timedelta(days=REJECTED_LOOKBACK_DAYS),
    )
    planner = Planner.for_base(base, as_of, calendar)
    first, today_ord = start.toordinal(), as_of.toordinal()
    deadlines: list[Deadline] = []
    reviews: list[ReviewDue] = []
    for item in _sorted(planner.plan(rows, until=end)):
        # plan() gives open items only: one due before the window is kept if overdue by now
        if item[1] is None or (item[1] < first and item[1] >= today_ord):
            continue
        if item[4].category == "deadline":
            deadlines.append(planner.deadline(item))
        else:
            reviews.append(planner.review(item))
    counties = {cid: ref.county for cid, ref in refs.items()}
    return CalendarItems(tuple(deadlines), tuple(reviews), counties)


__all__ = [
    "IN_PAYMENT",
    "MAX_WINDOW_DAYS",
    "OPEN_DEADLINE_STATES",
    "REJECTED_LOOKBACK_DAYS",
    "CalendarItems",
    "CaseRef",
    "calendar_items",
    "case_deadlines",
    "case_reviews",
    "check_window",
    "due_reviews",
    "read_rows",
]
