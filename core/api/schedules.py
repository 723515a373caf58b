"""GraphQL: case deadlines and review schedules (wired into :mod:`core.api.schema` by
inheritance of :class:`ScheduleQuery` and :class:`ScheduleMutation`).

- ``caseDeadlines(id, asOf)``: every step's deadline of a case, done or not, each with its due
  date (``provisional`` when a working day counted lies in a year with no holiday table),
  ``overdue`` as of ``asOf`` and the parameter behind it (layer and source);
- ``caseReviews(id, asOf)``: the next periodic checks of a case in payment;
- ``dueReviews(jurisdiction, from, to, asOf, program, first, after)``: the checks due at a
  jurisdiction and under it by ``to``, those before ``from`` included (flagged ``overdue`` when
  past ``asOf``), earliest first, as a Relay connection of at most :data:`MAX_DUE_PAGE` a page.

Access as for ``case(id)`` (:mod:`core.api.cases`): a token, the right to read households at
the case's county or the jurisdiction (else UNAUTHENTICATED / FORBIDDEN, as GraphQL errors with
``extensions.code``); nothing is cached.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from bisect import bisect_right
from typing import TYPE_CHECKING, Annotated

import strawberry

from core.api.cases import case_id
from core.api.common import Info, PageInfo
from core.api.context import Context
from core.api.policy import Jurisdiction, TraceEntry
from core.calendars import schedules_store
from core.calendars.schedules import Deadline, Item, ReviewDue
from core.eligibility.json import trace_to_json
from core.errors import InvalidInput
from core.plugin.hookspecs import TraceEntry as CoreTraceEntry
from core.policy.service import today

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DEFAULT_DUE_PAGE = 50
MAX_DUE_PAGE = 200
REVIEW_PROGRAMS = ("dibao", "tekun")

# For core.api.schema.LIST_SIZES (the cost estimate of the lists added here).
LIST_SIZES: dict[tuple[str, str], int] = {
    ("Query", "caseDeadlines"): 20,
    ("Query", "caseReviews"): 12,
    ("CaseDeadline", "conditions"): 4,
    ("CaseDeadline", "uncoveredYears"): 4,
    ("DueReviewConnection", "edges"): MAX_DUE_PAGE,
}


def _trace(t: CoreTraceEntry) -> TraceEntry:
    return TraceEntry.from_json(trace_to_json(t))


@strawberry.type(
    name="CaseDeadline",
    description="One step's deadline for a case: when its clock started, when it is due (null "
    "when the policy sets no figure: the note says which parameter is not set), whether it is "
    "done, overdue (not done and past due on asOf) or was done late, and the parameter (layer "
    "and source) it comes from, read at the case's county on the day the clock started.",
)
class CaseDeadlineType:
    case_id: strawberry.ID
    kind: str = strawberry.field(
        description="investigation_start, verification_start, publicity_end, county_review, "
        "time_limit, refusal_notice, tekun_investigation, county_decision, paperwork, "
        "death_recheck, head_change or phase_out_notice."
    )
    program: str
    title: str
    title_zh: str
    started_on: dt.date = strawberry.field(description="The day the clock started.")
    due_date: dt.date | None
    unit: str = strawberry.field(
        description="working_days, days (calendar), months, month_end (by the end of the "
        "month that many months later) or same_day (due the day the clock started)."
    )
    amount: int | None = strawberry.field(description="The figure (null when not set).")
    provisional: bool = strawberry.field(
        description="A working day counted lies in a year with no holiday table yet: the State "
        "Council may still move days; the date is final once the year's table is known."
    )
    uncovered_years: list[int]
    done: bool
    done_on: dt.date | None
    overdue: bool
    late: bool = strawberry.field(description="Done after the due date.")
    note: str
    parameter: TraceEntry
    conditions: list[TraceEntry] = strawberry.field(
        description="Parameters that decided which rule applies (e.g. the confirming level)."
    )

    @classmethod
    def of(cls, d: Deadline) -> CaseDeadlineType:
        return cls(
            case_id=strawberry.ID(str(d.case_id)),
            kind=d.kind,
            program=d.program,
            title=d.title,
            title_zh=d.title_zh,
            started_on=d.started_on,
            due_date=d.due_date,
            unit=d.unit,
            amount=d.amount,
            provisional=d.provisional,
            uncovered_years=list(d.uncovered_years),
            done=d.done,
            done_on=d.done_on,
            overdue=d.overdue,
            late=d.late,
            note=d.note,
            parameter=_trace(d.parameter),
            conditions=[_trace(t) for t in d.conditions],
        )


@strawberry.type(
    name="ReviewDue",
    description="A periodic check due for a case in payment: its kind, due date, what the "
    "interval counts from (basis), overdue as of asOf, and the parameter (layer and source).",
)
class ReviewDueType:
    case_id: strawberry.ID
    household_id: strawberry.ID | None
    program: str
    state: str | None
    kind: str = strawberry.field(
        description="dibao_review, annual_review, periodic_verification, home_visit, "
        "tekun_review, care_assessment, death_recheck or phase_out_end."
    )
    title: str
    title_zh: str
    due_date: dt.date
    basis: str = strawberry.field(description='e.g. "last review 2026-03-02".')
    basis_date: dt.date
    unit: str = strawberry.field(description="months, year_end or month_end.")
    interval: int | None = strawberry.field(description="Months, for interval checks.")
    overdue: bool
    note: str
    parameter: TraceEntry
    county_code: strawberry.Private[str]

    @classmethod
    def of(cls, r: ReviewDue, ref: schedules_store.CaseRef | None, county: str) -> ReviewDueType:
        return cls(
            case_id=strawberry.ID(str(r.case_id)),
            household_id=None if ref is None else strawberry.ID(str(ref.household_id)),
            program=r.program,
            state=None if ref is None else ref.state,
            kind=r.kind,
            title=r.title,
            title_zh=r.title_zh,
            due_date=r.due_date,
            basis=r.basis,
            basis_date=r.basis_date,
            unit=r.unit,
            interval=r.interval,
            overdue=r.overdue,
            note=r.note,
            parameter=_trace(r.parameter),
            county_code=county,
        )

    @strawberry.field(description="The case's county.")
    def county(self, info: Info) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(self.county_code))


@strawberry.type(description="One due review in a list, with its cursor.")
class DueReviewEdge:
    cursor: str
    node: ReviewDueType


@strawberry.type(
    description="Due reviews, earliest first (then by case and kind): a Relay connection."
)
class DueReviewConnection:
    edges: list[DueReviewEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="All the reviews due by `to`.")
    overdue_count: int = strawberry.field(description="Of those, overdue on asOf.")


# -- cursors: the position in the sorted list (due day, case, kind, start) ----------------------

_Key = tuple[int, int, str, int]


def _key(item: Item) -> _Key:
    return (item[1] or 0, item[0], item[4].kind, item[3])


def encode_review_cursor(item: Item) -> str:
    due, cid, kind, start = _key(item)
    raw = f"review:{due}:{cid}:{kind}:{start}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_review_cursor(cursor: str) -> _Key:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        tag, due, cid, kind, start = raw.split(":")
        if tag == "review":
            return (int(due), int(cid), kind, int(start))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidInput(f"after: '{cursor}' is not a cursor from this list")


# -- resolvers -----------------------------------------------------------------------------------


async def case_deadlines(context: Context, id: str, as_of: dt.date | None) -> list[Deadline]:
    context.mark_private()
    base = context.base
    user = await context.user()
    runtime = context.require_runtime()
    day = as_of or today()
    cid = case_id(id)

    def work(s: Session) -> list[Deadline]:
        calendar = runtime.work_calendar(base)
        return schedules_store.case_deadlines(s, base, calendar, user, cid, day)

    return await context.in_session(work)


async def case_reviews(context: Context, id: str, as_of: dt.date | None) -> list[ReviewDueType]:
    context.mark_private()
    base = context.base
    user = await context.user()
    day = as_of or today()
    cid = case_id(id)

    case, reviews = await context.in_session(
        lambda s: schedules_store.case_reviews(s, base, user, cid, day)
    )
    ref = schedules_store.CaseRef(case.county, case.program, case.state.value, case.household_id)
    return [ReviewDueType.of(r, ref, case.county) for r in reviews]


async def due_reviews(
    context: Context,
    jurisdiction: str,
    start: dt.date,
    end: dt.date,
    as_of: dt.date | None,
    program: str | None,
    first: int,
    after: str | None,
) -> DueReviewConnection:
    context.mark_private()
    base = context.base
    user = await context.user()
    if not 1 <= first <= MAX_DUE_PAGE:
        raise InvalidInput(f"first must be between 1 and {MAX_DUE_PAGE}")
    if program is not None and program not in REVIEW_PROGRAMS:
        raise InvalidInput(f"program: one of {', '.join(REVIEW_PROGRAMS)}")
    position = None if after is None else decode_review_cursor(after)
    day = as_of or today()

    def work(s: Session) -> DueReviewConnection:
        items, refs, planner = schedules_store.due_reviews(
            s, base, user, jurisdiction, start, end, day, program=program
        )
        keys = [_key(i) for i in items]
        begin = 0 if position is None else bisect_right(keys, position)
        page = items[begin : begin + first]
        edges = []
        for item in page:
            ref = refs.get(item[0])
            county = ref.county if ref is not None else item[4].county
            node = ReviewDueType.of(planner.review(item), ref, county)
            edges.append(DueReviewEdge(cursor=encode_review_cursor(item), node=node))
        overdue = sum(1 for i in items if i[1] is not None and i[1] < planner.as_of_ord)
        return DueReviewConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=begin + first < len(items),
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=len(items),
            overdue_count=overdue,
        )

    return await context.in_session(work)


# -- root fields ---------------------------------------------------------------------------------


@strawberry.type
class ScheduleQuery:
    @strawberry.field(
        description="Every step's deadline of a case (token required; within your "
        "jurisdiction), done or not, as of asOf (default today in China)."
    )
    async def case_deadlines(
        self, info: Info, id: strawberry.ID, as_of: dt.date | None = None
    ) -> list[CaseDeadlineType]:
        found = await case_deadlines(info.context, id, as_of)
        return [CaseDeadlineType.of(d) for d in found]

    @strawberry.field(
        description="The next periodic checks of a case in payment (token required; within "
        "your jurisdiction), earliest first; overdue as of asOf (default today in China)."
    )
    async def case_reviews(
        self, info: Info, id: strawberry.ID, as_of: dt.date | None = None
    ) -> list[ReviewDueType]:
        return await case_reviews(info.context, id, as_of)

    @strawberry.field(
        description="The periodic checks due at a jurisdiction and under it by `to` (token "
        "required): those due from `from` on and the earlier ones, flagged overdue when past "
        "asOf (default today in China); earliest first, at most 200 a page; of one program "
        "(dibao, tekun) if given."
    )
    async def due_reviews(
        self,
        info: Info,
        jurisdiction: str,
        from_: Annotated[dt.date, strawberry.argument(name="from")],
        to: dt.date,
        as_of: dt.date | None = None,
        program: str | None = None,
        first: int | None = DEFAULT_DUE_PAGE,
        after: str | None = None,
    ) -> DueReviewConnection:
        page = DEFAULT_DUE_PAGE if first is None else first
        return await due_reviews(info.context, jurisdiction, from_, to, as_of, program, page, after)


@strawberry.type
class ScheduleMutation:
    pass


__all__ = [
    "LIST_SIZES",
    "MAX_DUE_PAGE",
    "CaseDeadlineType",
    "DueReviewConnection",
    "ReviewDueType",
    "ScheduleMutation",
    "ScheduleQuery",
    "decode_review_cursor",
    "encode_review_cursor",
]
