"""The low-income register in the database: recognition, tags, warning marks, monitoring flags,
re-assessments and exits, each an event (``low_income_events``) in the same transaction.

Who: township officers and above record (``write_low_income``); every role reads within its
jurisdiction. One active entry per ID number (a partial unique index). Functions whose name ends
in ``_in`` work inside the caller's write transaction (used by comparisons and findings).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.access.roles import Action, User, authorize, require
from core.errors import DoudiError, InvalidInput
from core.households.model import validate_id_number
from core.lowincome import model as li
from core.policy.jurisdictions import JurisdictionRegistry
from core.storage.engine import reading, write_unit
from core.storage.scope import within
from core.storage.tables import LowIncomeEventRow, LowIncomePersonRow, MemberRow, utcnow
from core.validation import MAX_SHORT_TEXT, check_count, check_name, check_text


class NotOnRegister(DoudiError):
    code = "NOT_FOUND"


class AlreadyOnRegister(DoudiError):
    code = "DUPLICATE_PERSON"


class VersionConflict(DoudiError):
    code = "VERSION_CONFLICT"


def _entry(row: LowIncomePersonRow) -> li.Entry:
    return li.Entry(
        id=row.id,
        id_number=row.id_number,
        name=row.name,
        county=row.county,
        status=row.status,
        recognised_on=row.recognised_on,
        next_assessment=row.next_assessment,
        flagged=row.flagged,
        version=row.version,
        document=dict(row.document),
    )


def _event(
    session: Session,
    row: LowIncomePersonRow,
    action: str,
    on: dt.date,
    user: User | None,
    note: str | None = None,
    **document: Any,
) -> None:
    session.add(
        LowIncomeEventRow(
            person_id=row.id,
            county=row.county,
            action=action,
            on_date=on,
            user_id=user.id if user else None,
            at=utcnow(),
            document=document,
            note=note,
        )
    )


def _load(session: Session, person_id: int) -> LowIncomePersonRow:
    # As it is now, locked (the session may hold an older copy: expire_on_commit is off).
    row = session.get(LowIncomePersonRow, person_id, populate_existing=True, with_for_update=True)
    if row is None:
        raise NotOnRegister(f"no low-income register entry {person_id}")
    return row


def _changed(row: LowIncomePersonRow, document: dict[str, Any], expected: int | None) -> None:
    if expected is not None and row.version != expected:
        raise VersionConflict(
            f"register entry {row.id} has changed since it was read (version {expected}, now "
            f"{row.version})"
        )
    row.document = document
    row.version += 1
    row.updated_at = utcnow()


def recognise(
    session: Session,
    user: User | None,
    registry: JurisdictionRegistry,
    known: Mapping[str, li.Category],
    *,
    id_number: str,
    name: str,
    county: str,
    categories: Sequence[str],
    on: dt.date,
    decision: str,
    decision_number: str = "",
    tags: Sequence[str] = (),
) -> li.Entry:
    """Record a recognition (认定): the person, their categories, the date and the decision
    (source document) it rests on."""
    user = authorize(user, Action.WRITE_LOW_INCOME, county, registry)
    number, why = validate_id_number(id_number, on)
    if number is None:
        raise InvalidInput(f"idNumber: {why}")
    check_name(name, "name")
    check_count(categories, "categories")
    check_count(tags, "tags")
    cats = li.check_categories(categories, known)
    if not decision.strip():
        raise InvalidInput("decision: the recognition decision (认定决定) it rests on")
    check_text(decision, "decision", MAX_SHORT_TEXT, multiline=False)
    check_text(decision_number, "decisionNumber", MAX_SHORT_TEXT, multiline=False)
    for t in tags:
        li.check_tag(t)
    prefecture, province = registry.prefecture_and_province(registry.get(county).code)
    assert province is not None
    try:
        with write_unit(session):
            household_id = session.scalar(
                select(MemberRow.household_id).where(
                    MemberRow.id_number == number, MemberRow.active
                )
            )
            row = LowIncomePersonRow(
                id_number=number,
                name=name.strip(),
                household_id=household_id,
                county=registry.get(county).code,
                prefecture=prefecture,
                province=province,
                status="active",
                recognised_on=on,
                next_assessment=li.next_assessment(on),
                flagged=False,
                version=1,
                created_at=utcnow(),
                updated_at=utcnow(),
                document={
                    "categories": cats,
                    "tags": {t: {"on": on.isoformat(), "by": user.id} for t in tags},
                    "marks": [],
                    "flags": [],
                    "source": {"decision": decision.strip(), "number": decision_number.strip()},
                },
            )
            session.add(row)
            session.flush()
            _event(session, row, "recognised", on, user, categories=cats, decision=decision)
            for t in tags:
                _event(session, row, "tagged", on, user, tag=t)
            return _entry(row)
    except IntegrityError:
        raise AlreadyOnRegister(
            "idNumber: the person is already on the low-income register (one active entry)"
        ) from None


def tag_in(
    session: Session,
    row: LowIncomePersonRow,
    user: User | None,
    tag: str,
    on: dt.date,
    source: Mapping[str, Any] | None = None,
) -> bool:
    """Set ``tag`` (False: it was set already)."""
    li.check_tag(tag)
    doc = dict(row.document)
    tags = dict(doc.get("tags", {}))
    if tag in tags:
        return False
    tags[tag] = {"on": on.isoformat(), "by": user.id if user else None, **(source or {})}
    doc["tags"] = tags
    _changed(row, doc, None)
    _event(session, row, "tagged", on, user, tag=tag, **(source or {}))
    return True


def flag_in(
    session: Session,
    row: LowIncomePersonRow,
    on: dt.date,
    reason: str,
    known: Mapping[str, li.Category],
    *,
    finding_id: int | None = None,
    user: User | None = None,
) -> None:
    """Flag for re-assessment (动态监测) and put the warning marks of the person's groups."""
    doc = dict(row.document)
    flags = [*doc.get("flags", ()), {"on": on.isoformat(), "reason": reason, "finding": finding_id}]
    marks = li.mark_for(doc.get("categories", ()), known)
    doc["flags"] = flags
    doc["marks"] = [
        *doc.get("marks", ()),
        *({"on": on.isoformat(), "mark": m, "finding": finding_id} for m in marks),
    ]
    row.flagged = True
    _changed(row, doc, None)
    _event(session, row, "flagged", on, user, reason=reason, finding=finding_id, marks=marks)


def by_id_number_in(session: Session, numbers: Sequence[str]) -> dict[str, LowIncomePersonRow]:
    out: dict[str, LowIncomePersonRow] = {}
    for i in range(0, len(numbers), 500):
        for row in session.scalars(
            select(LowIncomePersonRow).where(
                LowIncomePersonRow.id_number.in_(numbers[i : i + 500]),
                LowIncomePersonRow.status == "active",
            )
        ):
            out[row.id_number] = row
    return out


def tag(
    session: Session,
    user: User | None,
    registry: JurisdictionRegistry,
    person_id: int,
    tag_: str,
    on: dt.date,
    *,
    expected_version: int | None = None,
) -> li.Entry:
    user = require(user, Action.WRITE_LOW_INCOME)
    with write_unit(session):
        row = _load(session, person_id)
        authorize(user, Action.WRITE_LOW_INCOME, row.county, registry)
        if expected_version is not None and row.version != expected_version:
            raise VersionConflict(f"register entry {row.id} has changed since it was read")
        if not tag_in(session, row, user, tag_, on):
            raise InvalidInput(f"tag: {tag_} is set already")
        return _entry(row)


def flag(
    session: Session,
    user: User | None,
    registry: JurisdictionRegistry,
    known: Mapping[str, li.Category],
    person_id: int,
    on: dt.date,
    reason: str,
) -> li.Entry:
    """A changed fact reported by an official flags the person for re-assessment."""
    user = require(user, Action.WRITE_LOW_INCOME)
    if not reason.strip():
        raise InvalidInput("reason: what changed")
    check_text(reason, "reason")
    with write_unit(session):
        row = _load(session, person_id)
        authorize(user, Action.WRITE_LOW_INCOME, row.county, registry)
        flag_in(session, row, on, reason.strip(), known, user=user)
        return _entry(row)


def reassess(
    session: Session,
    user: User | None,
    registry: JurisdictionRegistry,
    known: Mapping[str, li.Category],
    person_id: int,
    on: dt.date,
    *,
    categories: Sequence[str] | None = None,
    home_visit: bool = False,
    note: str = "",
    expected_version: int | None = None,
) -> li.Entry:
    """A re-assessment (annual, or after a flag): categories confirmed or changed, the flag
    cleared, the next one due a year later."""
    user = require(user, Action.WRITE_LOW_INCOME)
    check_text(note, "note")
    if categories is not None:
        check_count(categories, "categories")
    with write_unit(session):
        row = _load(session, person_id)
        authorize(user, Action.WRITE_LOW_INCOME, row.county, registry)
        reassess_in(
            session,
            row,
            user,
            on,
            categories=categories,
            known=known,
            home_visit=home_visit,
            note=note,
            expected_version=expected_version,
        )
        return _entry(row)


def reassess_in(
    session: Session,
    row: LowIncomePersonRow,
    user: User | None,
    on: dt.date,
    *,
    categories: Sequence[str] | None = None,
    known: Mapping[str, li.Category] | None = None,
    home_visit: bool = True,
    note: str = "",
    finding_id: int | None = None,
    expected_version: int | None = None,
) -> None:
    """A re-assessment in the caller's transaction (see :func:`reassess`)."""
    if row.status != "active":
        raise InvalidInput(f"register entry {row.id} has exited")
    doc = dict(row.document)
    before = list(doc.get("categories", ()))
    if categories is not None:
        doc["categories"] = li.check_categories(categories, known or li.categories())
    was_flagged = row.flagged
    doc["assessments"] = [
        *doc.get("assessments", ()),
        {"on": on.isoformat(), "homeVisit": home_visit, "flagged": was_flagged,
         "finding": finding_id},
    ]  # fmt: skip
    row.flagged = False
    row.next_assessment = li.next_assessment(on)
    _changed(row, doc, expected_version)
    _event(
        session,
        row,
        "reassessed",
        on,
        user,
        note or None,
        before=before,
        categories=doc["categories"],
        homeVisit=home_visit,
        wasFlagged=was_flagged,
        finding=finding_id,
    )


def exit_register(
    session: Session,
    user: User | None,
    registry: JurisdictionRegistry,
    person_id: int,
    on: dt.date,
    reason: str,
    *,
    expected_version: int | None = None,
) -> li.Entry:
    user = require(user, Action.WRITE_LOW_INCOME)
    if not reason.strip():
        raise InvalidInput("reason: why the person leaves the register")
    check_text(reason, "reason")
    with write_unit(session):
        row = _load(session, person_id)
        authorize(user, Action.WRITE_LOW_INCOME, row.county, registry)
        exit_in(session, row, user, on, reason, expected_version)
        return _entry(row)


def exit_in(
    session: Session,
    row: LowIncomePersonRow,
    user: User | None,
    on: dt.date,
    reason: str,
    expected_version: int | None = None,
) -> None:
    if row.status != "active":
        raise InvalidInput(f"register entry {row.id} has exited already")
    doc = dict(row.document)
    doc["exit"] = {"on": on.isoformat(), "reason": reason.strip()}
    row.status = "exited"
    row.flagged = False
    row.next_assessment = None
    _changed(row, doc, expected_version)
    _event(session, row, "exited", on, user, reason=reason.strip())


def get_entry(
    session: Session, user: User | None, registry: JurisdictionRegistry, person_id: int
) -> tuple[li.Entry, list[dict[str, Any]]]:
    """The entry and its events, oldest first."""
    require(user, Action.READ_HOUSEHOLDS)
    with reading(session):
        row = _load(session, person_id)
        authorize(user, Action.READ_HOUSEHOLDS, row.county, registry)
        events = [
            {
                "action": e.action,
                "on": e.on_date.isoformat(),
                "by": e.user_id,
                "note": e.note,
                **e.document,
            }
            for e in session.scalars(
                select(LowIncomeEventRow)
                .where(LowIncomeEventRow.person_id == person_id)
                .order_by(LowIncomeEventRow.id)
            )
        ]
        return _entry(row), events


def list_entries(
    session: Session,
    user: User | None,
    registry: JurisdictionRegistry,
    jurisdiction: str,
    *,
    category: str | None = None,
    tag_: str | None = None,
    flagged: bool | None = None,
    due_by: dt.date | None = None,
    status: str = "active",
    limit: int = 1000,
) -> list[li.Entry]:
    authorize(user, Action.READ_HOUSEHOLDS, jurisdiction, registry)
    q = (
        select(LowIncomePersonRow)
        .where(within(LowIncomePersonRow, jurisdiction, registry))
        .order_by(LowIncomePersonRow.id)
    )
    if status:
        q = q.where(LowIncomePersonRow.status == status)
    if flagged is not None:
        q = q.where(LowIncomePersonRow.flagged == flagged)
    if due_by is not None:
        q = q.where(LowIncomePersonRow.next_assessment <= due_by)
    with reading(session):
        out = [_entry(r) for r in session.scalars(q)]
    if category:
        out = [e for e in out if category in e.categories]
    if tag_:
        out = [e for e in out if tag_ in e.tags]
    return out[:limit]


__all__ = [
    "AlreadyOnRegister",
    "NotOnRegister",
    "by_id_number_in",
    "exit_in",
    "exit_register",
    "flag",
    "flag_in",
    "get_entry",
    "list_entries",
    "reassess",
    "reassess_in",
    "recognise",
    "tag",
    "tag_in",
]
