"""Reports from the database: a plugin's statistics table from case events and households.

The table and its counting rules are the plugin's (``doudi_report_tables``, a
:class:`core.reports.tables.ReportTable`); computing it is pure
(:func:`core.reports.rules.compute_table`). This module reads what the lines count from, in one
read-only transaction:

1. the cases at the jurisdiction (or under it) with an event the table counts (its ``events``;
   any event when it names none) dated (``on``) in the month — the date is read from the hashed
   event document, on SQLite and PostgreSQL alike;
2. those cases, with their household's ``area`` (urban / rural);
3. every event of those cases (the coverage of a case right after an event is reconstructed
   from the events after it, see :meth:`core.reports.tables.MonthFacts.persons`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from core.access.roles import Action, User, authorize
from core.policy.jurisdictions import JurisdictionRegistry
from core.policy.resolution import PolicySource
from core.reports.rules import (
    MonthlyStatistics,
    compute_table,
    month_end,
    statistics_due,
)
from core.reports.tables import CaseFacts, EventFact, PersonEvent, PersonFacts, ReportTable
from core.storage.engine import reading
from core.storage.scope import within
from core.storage.tables import (
    CaseEventRow,
    CaseRow,
    FindingRow,
    HouseholdRow,
    LowIncomeEventRow,
    LowIncomePersonRow,
)

_CHUNK = 500  # case ids per IN (...) list


def in_scope(code: str, registry: JurisdictionRegistry) -> ColumnElement[bool]:
    """Cases at jurisdiction ``code`` and under it."""
    return within(CaseRow, code, registry)


def _on() -> ColumnElement[str]:
    on: ColumnElement[str] = CaseEventRow.document["on"].as_string()
    return on


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


class TablePolicySource(PolicySource, Protocol):
    """What the statistics need of a policy base: the store's, and the plugins' tables."""

    def report_table(self, code: str, table_id: str | None = None) -> tuple[str, ReportTable]: ...


def case_facts(
    session: Session,
    registry: JurisdictionRegistry,
    code: str,
    month: dt.date,
    events: Sequence[str] = (),
) -> list[CaseFacts]:
    """The cases at ``code`` (and under it) with an event among ``events`` (any event if empty)
    dated in ``month``, each with all its events (oldest first) and its household's area. No
    access check: see :func:`monthly_statistics`."""
    start, end = month.replace(day=1), month_end(month)
    conditions = [in_scope(code, registry), _on() >= start.isoformat(), _on() <= end.isoformat()]
    if events:
        conditions.append(CaseEventRow.action.in_(events))
    with reading(session):
        ids = list(
            session.scalars(
                select(CaseEventRow.case_id)
                .join(CaseRow, CaseRow.id == CaseEventRow.case_id)
                .where(*conditions)
                .distinct()
                .order_by(CaseEventRow.case_id)
            )
        )
        cases: dict[int, dict[str, Any]] = {}
        by_case: dict[int, list[EventFact]] = {i: [] for i in ids}
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
                by_case[cid].append(
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
            events=tuple(by_case[cid]),
        )
        for cid, c in cases.items()
    ]


# The warning mark a finding on a case puts on its person (Yongfu 003 附件: 低保标记, 特困标记).
CASE_MARKS = {"dibao": "低保标记", "tekun": "特困标记"}


def people_facts(
    session: Session, registry: JurisdictionRegistry, code: str, month: dt.date
) -> list[PersonFacts]:
    """The low-income register at ``code`` (and under it) with its entries' events up to the end
    of ``month``, and the people a comparison raised findings on in the month (a ``marked``
    event: the case's program mark, or the marks the register entry's flag recorded)."""
    start, end = month.replace(day=1), month_end(month)
    people: dict[str, dict[str, Any]] = {}
    with reading(session):
        rows = session.execute(
            select(
                LowIncomePersonRow.id,
                LowIncomePersonRow.id_number,
                LowIncomePersonRow.county,
                LowIncomePersonRow.document,
            ).where(
                within(LowIncomePersonRow, code, registry),
                LowIncomePersonRow.recognised_on <= end,
            )
        ).all()
        by_id = {r.id: r for r in rows}
        for r in rows:
            people[r.id_number] = {
                "county": r.county,
                "categories": tuple(r.document.get("categories", ())),
                "events": [],
            }
        ids = sorted(by_id)
        for chunk in _chunks(ids):
            for pid, action, on, doc in session.execute(
                select(
                    LowIncomeEventRow.person_id,
                    LowIncomeEventRow.action,
                    LowIncomeEventRow.on_date,
                    LowIncomeEventRow.document,
                )
                .where(LowIncomeEventRow.person_id.in_(chunk), LowIncomeEventRow.on_date <= end)
                .order_by(LowIncomeEventRow.person_id, LowIncomeEventRow.on_date,
                          LowIncomeEventRow.id)
            ):  # fmt: skip
                detail = dict(doc or {})
                if action == "flagged":
                    action, detail = "marked", {"marks": list(detail.get("marks", ()))}
                people[by_id[pid].id_number]["events"].append(PersonEvent(action, on, detail))
        found = session.execute(
            select(FindingRow.id_number, FindingRow.county, FindingRow.document)
            .where(
                within(FindingRow, code, registry),
                FindingRow.case_id.is_not(None),
                FindingRow.document["asOf"].as_string() >= start.isoformat(),
                FindingRow.document["asOf"].as_string() <= end.isoformat(),
            )
            .order_by(FindingRow.id)
        ).all()
    for number, county, doc in found:
        mark = CASE_MARKS.get(doc.get("program", ""))
        if mark is None:
            continue
        p = people.setdefault(number, {"county": county, "categories": (), "events": []})
        p["events"].append(
            PersonEvent("marked", dt.date.fromisoformat(doc["asOf"]), {"marks": [mark]})
        )
    return [
        PersonFacts(
            number,
            p["county"],
            p["categories"],
            tuple(sorted(p["events"], key=lambda e: e.on)),
        )
        for number, p in people.items()
    ]


def monthly_statistics(
    session: Session,
    policies: TablePolicySource,
    user: User,
    code: str,
    month: dt.date,
    table_id: str | None = None,
) -> MonthlyStatistics:
    """The statistics table kept at jurisdiction ``code`` (a plugin's, see
    :meth:`core.policy.service.PolicyBase.report_table`) for the month of ``month``, that
    month's events only, with the report's due date where the policy sets one.

    ``user`` must be allowed to read decisions at ``code`` (``UNAUTHENTICATED`` /
    ``FORBIDDEN`` otherwise, before anything is read); INVALID_INPUT when no table is kept there.
    """
    registry = policies.registry
    authorize(user, Action.READ_DECISIONS, code, registry)
    j = registry.get(code)
    _, table = policies.report_table(j.code, table_id)
    facts = case_facts(session, registry, j.code, month, table.events)
    due = None
    if table.due_report is not None:
        due = statistics_due(lambda d: policies.resolve(j.code, d), month, table.due_report)
    people = people_facts(session, registry, j.code, month)
    return compute_table(table, j.code, j.name, month, facts, due, people)


__all__ = [
    "CASE_MARKS",
    "TablePolicySource",
    "case_facts",
    "in_scope",
    "monthly_statistics",
    "people_facts",
]
