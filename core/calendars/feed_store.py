"""The stored side of calendars: one read, in one session, of everything a jurisdiction's calendar
holds for a user — the cases' open deadlines and due reviews (:mod:`core.calendars.schedules_store`)
and the failed payments awaiting repayment (:mod:`core.payments.store`) — assembled by
:func:`core.calendars.feed.build_calendar`. The GraphQL ``calendar`` query, the ``.ics`` feed and
``doudi calendar`` all read through :func:`load_calendar`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from core.access.roles import Action, User, authorize
from core.calendars import feed
from core.calendars.workdays import WorkCalendar
from core.errors import InvalidInput
from core.policy.service import PolicyBase

MAX_ENTRIES = 10_000  # a calendar holding more is refused: ask for less (INVALID_INPUT)
REPAYMENT_PAGE = 500


def _repayments(session: Session, base: PolicyBase, user: User, code: str) -> list[feed.Repayment]:
    """Failed payments awaiting repayment at ``code`` and under it (none when the user may not
    read payments)."""
    from core.payments import store as payments_store

    if not user.may(Action.READ_PAYMENTS):
        return []
    out: list[feed.Repayment] = []
    after: int | None = None
    while True:
        page, more = payments_store.list_payments(
            session, user, code, base.registry, status="failed", first=REPAYMENT_PAGE,
            after_id=after,
        )  # fmt: skip
        for p in page:
            failed = [r.on for r in p.results if r.status == "failed"]
            if p.repay_by is not None and failed:
                out.append(
                    feed.Repayment(p.id, p.case_id, p.county, p.month, max(failed), p.repay_by)
                )
        if not more or not page:
            return out
        after = page[-1].id


def load_calendar(
    session: Session,
    base: PolicyBase,
    calendar: WorkCalendar,
    user: User,
    code: str,
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
) -> feed.Calendar:
    """The calendar of ``code`` for [start, end] as ``user`` sees it on ``as_of``.

    Checks, in order: the code (UNKNOWN_JURISDICTION), the user's right to read households
    there (FORBIDDEN), the window (INVALID_INPUT); then reads the cases' open deadlines and due
    reviews in bulk (more than :data:`MAX_ENTRIES`: INVALID_INPUT), and the failed payments
    awaiting repayment.
    """
    from core.calendars import schedules_store

    registry = base.registry
    where = registry.get(code)
    authorize(user, Action.READ_HOUSEHOLDS, where.code, registry)
    feed.check_window(start, end)
    due = schedules_store.calendar_items(
        session, base, calendar, user, where.code, start, end, as_of
    )
    n = len(due.deadlines) + len(due.reviews)
    if n > MAX_ENTRIES:
        raise InvalidInput(
            f"the calendar of {where.code} {where.name} from {start.isoformat()} to "
            f"{end.isoformat()} holds {n} case items, more than {MAX_ENTRIES}: ask for a smaller "
            "jurisdiction or a shorter window"
        )
    return feed.build_calendar(
        base,
        where.code,
        start,
        end,
        as_of=as_of,
        deadlines=due.deadlines,
        reviews=due.reviews,
        case_counties=due.counties,
        repayments=_repayments(session, base, user, where.code),
    )
