"""Reports from the database: Guangxi's monthly statistics table from case events and households.

The counting rules are in :func:`core.reports.rules.compute_monthly_statistics` (pure); this module
reads what they need, in one read-only transaction:

1. the cases at the jurisdiction (or under it) with an event of interest dated (``on``) in the
   month — the date is read from the hashed event document, on SQLite and PostgreSQL alike;
2. those cases, with their household's ``area`` (urban / rural);
3. every event of those cases (the coverage of a case right after an event is reconstructed
   from the events after it, see ``core.reports.rules._Covered``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from core.access.roles import Action, User, authorize
from core.cases.store import PolicySource
from core.policy.jurisdictions import JurisdictionRegistry
from core.reports.rules import (
    CaseFacts,
    EventFact,
    MonthlyStatistics,
    compute_monthly_statistics,
    month_end,
    statistics_due,
)
from core.storage.engine import reading
from core.storage.scope import within
from core.storage.tables import CaseEventRow, CaseRow, HouseholdRow

# Events that put a case in the month's table (the others are read for coverage only).
COUNTED_ACTIONS = (
    "open",
    "confirm_case",
    "assist_first",
    "record_care_placement",
    "record_care_visit",
    "record_verification",
    "record_home_visit",
)
_CHUNK = 500  # case ids per IN (...) list


def in_scope(code: str, registry: JurisdictionRegistry) -> ColumnElement[bool]:
    """Cases at jurisdiction ``code`` and under it."""
    return within(CaseRow, code, registry)


def _on() -> ColumnElement[str]:
    return CaseEventRow.document["on"].as_string()


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def case_facts(
    session: Session, registry: JurisdictionRegistry, code: str, month: dt.date
) -> list[CaseFacts]:
    """The cases at ``code`` (and under it) with a counted event in ``month``, each with all its
    events (oldest first) and its household's area. No access check: see
    :func:`monthly_statistics`."""
    start, end = month.replace(day=1), month_end(month)
    with reading(session):
        ids = list(
            session.scalars(
                select(CaseEventRow.case_id)
                .join(CaseRow, CaseRow.id == CaseEventRow.case_id)
                .where(
                    in_scope(code, registry),
                    CaseEventRow.action.in_(COUNTED_ACTIONS),
                    _on() >= start.isoformat(),
                    _on() <= end.isoformat(),
                )
                .distinct()
                .order_by(CaseEventRow.case_id)
            )
        )
        cases: dict[int, dict[str, Any]] = {}
        events: dict[int, list[EventFact]] = {i: [] for i in ids}
        for chunk in _chunks(ids):
            rows = session.execute(
                select(
                    CaseRow.id,
                    CaseRow.program,
                    CaseRow.county,
                    CaseRow.data,
                    HouseholdRow.document["area"].as_string(),
                )
                .join(HouseholdRow, HouseholdRow.id == CaseRow.household_id)
                .where(CaseRow.id.in_(chunk))
            )
            for cid, program, county, data, area in rows:
                cases[cid] = {
                    "program": program,
                    "county": county,
                    "data": dict(data or {}),
                    "area": area,
                }
            for cid, seq, action, from_state, to_state, on, role, inputs in session.execute(
                select(
                    CaseEventRow.case_id,
                    CaseEventRow.seq,
                    CaseEventRow.action,
                    CaseEventRow.from_state,
                    CaseEventRow.to_state,
                    _on(),
                    CaseEventRow.document[("actor", "role")].as_string(),
                    CaseEventRow.document["inputs"],
                )
                .where(CaseEventRow.case_id.in_(chunk))
                .order_by(CaseEventRow.case_id, CaseEventRow.seq)
            ):
                events[cid].append(
                    EventFact(
                        seq=seq,
                        action=action,
                        on=dt.date.fromisoformat(on),
                        from_state=from_state,
                        to_state=to_state,
                        role=role or "",
                        inputs=dict(inputs or {}),
                    )
                )
    return [
        CaseFacts(
            id=cid,
            program=c["program"],
            county=c["county"],
            area=c["area"],
            data=c["data"],
            events=tuple(events[cid]),
        )
        for cid, c in cases.items()
    ]


def monthly_statistics(
    session: Session, policies: PolicySource, user: User, code: str, month: dt.date
) -> MonthlyStatistics:
    """Guangxi's statistics table for jurisdiction ``code`` and the month of ``month``, that
    month's events only, with the report's due date where the policy sets one.

    ``user`` must be allowed to read decisions at ``code`` (``UNAUTHENTICATED`` /
    ``FORBIDDEN`` otherwise, before anything is read).
    """
    registry = policies.registry
    authorize(user, Action.READ_DECISIONS, code, registry)
    j = registry.get(code)
    facts = case_facts(session, registry, j.code, month)
    due = statistics_due(lambda d: policies.resolve(j.code, d), month)
    return compute_monthly_statistics(j.code, j.name, month, facts, due)


__all__ = ["COUNTED_ACTIONS", "case_facts", "in_scope", "monthly_statistics"]
