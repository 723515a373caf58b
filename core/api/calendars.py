"""Calendars over GraphQL (``calendar(jurisdiction, from, to)``) and as an iCalendar feed
(``GET /calendar/{code}.ics``), wired into :mod:`core.api.schema` by inheritance of
:class:`CalendarQuery` and into :mod:`core.api.app` by :func:`ics_endpoint`.

A calendar holds case data (deadlines and reviews of cases), so both need a token whose user may
read households at the jurisdiction, and nothing is ever cached. The entries are assembled by
:mod:`core.calendars.feed` from the schedules store (case deadlines and reviews), the payments
store (failed payments awaiting repayment) and the merged policy (payment days, report deadlines,
campaigns); :func:`core.calendars.feed_store.load_calendar` does the reading, in one session,
for the API, the feed and the CLI. The database work runs in a worker thread
(:meth:`core.api.context.Context.in_session`), as for every stored read, never on the event loop.

The feed (:func:`ics_endpoint`): calendar apps subscribe by URL and cannot send headers, so the
token is taken from ``Authorization: Bearer …`` or, failing that, ``?token=…``. Answers: 200
``text/calendar; charset=utf-8``; 401 without a valid token; 404 for an unknown code; 403 for a
jurisdiction outside the user's; 400 for a bad ``from``/``to`` (YYYY-MM-DD; at most 400 days);
503 while the database cannot be reached. Default window: 30 days back to 365 days ahead of
today in China. ``Cache-Control: private, no-store`` on every answer.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated

import strawberry
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from core.access.roles import (
    CALENDAR,
    FULL,
    Action,
    Forbidden,
    Unauthenticated,
    authorize,
    bearer_token,
)
from core.access.tokens import authenticate, issue_token
from core.api.common import Info, UserError, user_errors
from core.api.context import Context
from core.api.policy import Jurisdiction, Source, TraceEntry
from core.calendars import feed
from core.calendars.feed import window
from core.calendars.feed_store import load_calendar
from core.eligibility.json import trace_to_json
from core.errors import DoudiError, InvalidInput, UnknownJurisdiction
from core.policy.service import PolicyBase, today
from core.runtime import DatabaseUnavailable, Runtime

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

logger = logging.getLogger("doudi.api")

# For core.api.schema.LIST_SIZES (the cost estimate of the lists added here): a county's year
# (a few hundred cases' deadlines and reviews, twelve payment days, the reports, campaigns).
LIST_SIZES: dict[tuple[str, str], int] = {
    ("Calendar", "entries"): 500,
    ("CalendarEntry", "uncoveredYears"): 2,
    ("CalendarEntry", "caseIds"): 10,
    ("CalendarEntry", "places"): 10,
}

FEED_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the URL may carry the token
}
ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"

From = Annotated[
    dt.date | None,
    strawberry.argument(
        name="from", description="First day (inclusive); default: 30 days before today in China."
    ),
]
To = Annotated[
    dt.date | None,
    strawberry.argument(
        description="Last day (inclusive; at most 400 days after from); default: 365 days after "
        "today in China."
    ),
]


# -- GraphQL types -------------------------------------------------------------------------------


@strawberry.type(
    name="CalendarEntry",
    description="One item of an official's calendar: a case's deadline or review, a payment "
    "day, failed payments to pay again, a report deadline or a campaign phase — with the "
    "policy parameter (layer and source) its date comes from.",
)
class CalendarEntryType:
    uid: str = strawberry.field(
        description="Stable: the same item has the same uid in every fetch (the .ics UID)."
    )
    kind: str = strawberry.field(
        description="case_deadline, review, payment_day, repayment, report_deadline or "
        "campaign_phase."
    )
    subkind: str = strawberry.field(
        description="The deadline, review or report kind (time_limit, dibao_review, "
        "monthly_statistics ...), or the campaign phase's name."
    )
    title: str = strawberry.field(description="English; says (provisional) and (overdue).")
    title_zh: str = strawberry.field(description="Chinese; says （暂定） and （已逾期）.")
    start: dt.date = strawberry.field(description="The (first) day.")
    end: dt.date | None = strawberry.field(
        description="The last day, inclusive; null for a one-day item."
    )
    all_day: bool
    provisional: bool = strawberry.field(
        description="The date counts working days in a year without a published holiday "
        "schedule (uncoveredYears): it may still move."
    )
    uncovered_years: list[int]
    overdue: bool = strawberry.field(description="Not done by its due date (as of today).")
    case_id: strawberry.ID | None = strawberry.field(description="The case, for a case's item.")
    case_ids: list[strawberry.ID] = strawberry.field(
        description="repayment: the cases whose payments failed."
    )
    program: str | None
    period: str | None = strawberry.field(
        description="The month (YYYY-MM) a report or a payment is for."
    )
    places: list[str] = strawberry.field(
        description="The counties a policy item applies to, when not every county under its "
        "jurisdiction."
    )
    clipped: bool = strawberry.field(
        description="An ongoing item (no end date) shown up to the window's end only."
    )
    note: str
    parameter: TraceEntry | None = strawberry.field(
        description="The policy value the date comes from (null for a campaign phase)."
    )
    source: Source | None = strawberry.field(description="The document behind the item.")
    jurisdiction_code: strawberry.Private[str]

    @strawberry.field(description="Where the item applies (a case's county, or the smallest "
                      "jurisdiction holding the counties a rule applies to).")  # fmt: skip
    def jurisdiction(self, info: Info) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(self.jurisdiction_code))

    @classmethod
    def of(cls, e: feed.CalendarEntry) -> CalendarEntryType:
        return cls(
            uid=e.uid,
            kind=e.kind,
            subkind=e.subkind,
            title=e.title,
            title_zh=e.title_zh,
            start=e.start,
            end=e.end,
            all_day=e.all_day,
            provisional=e.provisional,
            uncovered_years=list(e.uncovered_years),
            overdue=e.overdue,
            case_id=None if e.case_id is None else strawberry.ID(str(e.case_id)),
            case_ids=[strawberry.ID(str(c)) for c in e.case_ids],
            program=e.program,
            period=e.period,
            places=list(e.places),
            clipped=e.clipped,
            note=e.note,
            parameter=None
            if e.parameter is None
            else TraceEntry.from_json(trace_to_json(e.parameter)),
            source=None if e.source is None else Source.of(e.source),
            jurisdiction_code=e.jurisdiction,
        )


@strawberry.type(
    name="Calendar",
    description="An official's calendar for a jurisdiction (and everything under it) between "
    "two days, entries by date; the same as the iCalendar feed at feedPath.",
)
class CalendarType:
    jurisdiction: Jurisdiction
    start: dt.date = strawberry.field(name="from")
    end: dt.date = strawberry.field(name="to")
    as_of: dt.date = strawberry.field(description="Overdue is as of this day (today in China).")
    entries: list[CalendarEntryType]
    feed_path: str = strawberry.field(
        description="The iCalendar feed of this window: GET it with 'Authorization: Bearer "
        "<token>', or subscribe with ?token=<token> added (calendar apps send no headers)."
    )

    @classmethod
    def of(cls, c: feed.Calendar) -> CalendarType:
        code = c.jurisdiction.code
        return cls(
            jurisdiction=Jurisdiction.of(c.jurisdiction),
            start=c.start,
            end=c.end,
            as_of=c.as_of,
            entries=[CalendarEntryType.of(e) for e in c.entries],
            feed_path=f"/calendar/{code}.ics?from={c.start.isoformat()}&to={c.end.isoformat()}",
        )


# -- resolvers -----------------------------------------------------------------------------------


async def calendar(
    context: Context, jurisdiction: str, start: dt.date | None, end: dt.date | None
) -> CalendarType:
    context.mark_private()
    base = context.base
    runtime = context.require_runtime()
    user = await context.user()
    now = today()
    s, e = window(start, end, now)

    def work(session: Session) -> feed.Calendar:
        return load_calendar(
            session, base, runtime.work_calendar(base), user, jurisdiction, s, e, now
        )

    return CalendarType.of(await context.in_session(work))


@strawberry.type
class CalendarQuery:
    @strawberry.field(
        description="What is due at a jurisdiction and under it between two days (inclusive, "
        "at most 400; default 30 days back to 365 ahead): open case deadlines and due reviews "
        "(provisional ones marked, overdue ones flagged), payment days, failed payments to pay "
        "again, report deadlines and campaign phases, by date — each with the parameter and "
        "source behind it. Token required; within your jurisdiction."
    )
    async def calendar(
        self, info: Info, jurisdiction: str, from_: From = None, to: To = None
    ) -> CalendarType:
        return await calendar(info.context, jurisdiction, from_, to)


@strawberry.type
class CalendarMutation:
    @strawberry.mutation(
        description="A new calendar token for yourself (token required): it opens only your "
        "calendar feeds, /calendar/{code}.ics?token=..., so a subscription URL kept by a "
        "calendar app cannot act on cases or payments. Shown once; `doudi users revoke NAME "
        "--calendar` revokes them."
    )
    async def create_calendar_token(self, info: Info) -> CalendarTokenPayload:
        context = info.context
        context.mark_private()
        try:
            user = await context.user()
            token = await context.in_session(lambda s: issue_token(s, user.name, CALENDAR))
        except DoudiError as exc:
            return CalendarTokenPayload(token=None, user_errors=user_errors(exc, info=info))
        return CalendarTokenPayload(token=token, user_errors=[])


@strawberry.type(description="A calendar token (shown once), or userErrors.")
class CalendarTokenPayload:
    token: str | None
    user_errors: list[UserError]


# -- the iCalendar feed --------------------------------------------------------------------------

_STATUS = (
    (Unauthenticated, 401),
    (UnknownJurisdiction, 404),
    (Forbidden, 403),
    (InvalidInput, 400),
    (DatabaseUnavailable, 503),
)


def _error_response(exc: DoudiError) -> Response:
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)
    headers = dict(FEED_HEADERS)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="doudi"'
    return PlainTextResponse(f"{exc.message}\n", status_code=status, headers=headers)


def _token(request: Request) -> tuple[str | None, tuple[str, ...]]:
    """The request's token and the scopes it may have: a header may carry any token; a URL
    (``?token=``, what calendar apps store and pass around) only a calendar token."""
    header = request.headers.get("authorization")
    if header:
        return bearer_token(header), (FULL, CALENDAR)
    return request.query_params.get("token") or None, (CALENDAR,)


def ics_endpoint(
    policy: Callable[[], PolicyBase], runtime: Callable[[], Runtime | None]
) -> Callable[[Request], Awaitable[Response]]:
    """The handler of ``GET /calendar/{code}.ics`` for an app whose policy and runtime come
    from ``policy()`` and ``runtime()`` (either may raise DATABASE_UNAVAILABLE)."""

    async def endpoint(request: Request) -> Response:
        try:
            base, rt = policy(), runtime()
        except DoudiError as exc:  # the plugins or the database cannot be loaded
            logger.error("cannot serve a calendar (%s): %s", exc.code, exc.message)
            return _error_response(DatabaseUnavailable(exc.message))
        try:
            if rt is None:
                raise DatabaseUnavailable(
                    "this server has no database: calendars are not available (start it with "
                    "`doudi serve`)"
                )
            context = Context(base=base, request=request, runtime=rt)
            context.mark_private()
            token, scopes = _token(request)
            # 401 first: nothing is said to an unknown caller
            user = await context.in_session(lambda s: authenticate(s, token, scopes=scopes))
            where = base.jurisdiction(request.path_params["code"])  # 404
            authorize(user, Action.READ_HOUSEHOLDS, where.code, base.registry)  # 403
            now = today()
            s, e = window(  # 400
                feed.parse_day(request.query_params.get("from"), "from"),
                feed.parse_day(request.query_params.get("to"), "to"),
                now,
            )
            stamp = dt.datetime.now(dt.UTC)

            def work(session: Session) -> bytes:
                cal = load_calendar(
                    session, base, rt.work_calendar(base), user, where.code, s, e, now
                )
                return feed.render_ics(cal, stamp)

            body = await context.in_session(work)
        except DoudiError as exc:
            return _error_response(exc)
        headers = {
            **FEED_HEADERS,
            "Content-Disposition": f'attachment; filename="{feed.feed_filename(where.code)}"',
        }
        return Response(body, media_type=ICS_MEDIA_TYPE, headers=headers)

    return endpoint


__all__ = [
    "LIST_SIZES",
    "CalendarEntryType",
    "CalendarMutation",
    "CalendarQuery",
    "CalendarType",
    "calendar",
    "ics_endpoint",
]
