"""Registers in and out of the database: household imports (dry run, then all or nothing),
the register export, rosters (花名册) for other departments and publicity lists (公示名单).

Every function checks who asks first. An import writes through the households store
(:func:`core.households.store.import_households`): one transaction, every household's scope,
version and duplicate checks, and the import's provenance (``register_imports``) in the same
transaction. Every export is logged in ``data_access_log`` (who, when, what, how many rows) and
carries who exported it and when in its last lines. ID numbers never reach a log message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from core.access.roles import Action, Forbidden, User, authorize, in_scope, require
from core.errors import InvalidInput
from core.households.model import compact_id_number
from core.households.store import ImportResult, active_households_of, import_households
from core.policy.jurisdictions import JurisdictionRegistry
from core.registers import rosters
from core.registers.files import InvalidFile, read_sheet
from core.registers.template import COLUMNS as REGISTER_COLUMNS
from core.registers.template import REQUIRED, Plan, Planned, export_rows, plan_import
from core.registers.writers import csv_bytes, xlsx_bytes
from core.storage.engine import reading, write_unit
from core.storage.scope import within
from core.storage.tables import (
    CaseRow,
    DataAccessRow,
    HouseholdRow,
    LowIncomePersonRow,
    MemberRow,
    RegisterImportRow,
    utcnow,
)

FORMATS = ("xlsx", "csv")


@dataclass(frozen=True, slots=True)
class ImportReport:
    file_name: str
    file_hash: str
    committed: bool
    created: int
    updated: int
    unchanged: int
    members: int
    items: tuple[Planned, ...]
    household_ids: tuple[int, ...]  # created then updated, when committed
    notes: tuple[str, ...]
    import_id: int | None = None


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InvalidInput(f"format: one of {', '.join(FORMATS)}, not {fmt!r}")
    return fmt


def _sheet_bytes(rows: list[list[Any]], fmt: str, title: str, footer: Sequence[str]) -> bytes:
    return (
        xlsx_bytes(rows, title=title, footer=footer) if fmt == "xlsx" else csv_bytes(rows, footer)
    )


def template(fmt: str = "xlsx") -> bytes:
    """The household register template (no database, no token)."""
    from core.registers.template import template_rows

    return _sheet_bytes(template_rows(), _fmt(fmt), "家庭成员花名册", ())


def log_access(
    session: Session,
    user: User,
    action: str,
    jurisdiction: str,
    rows: int,
    document: dict[str, Any],
) -> None:
    """Append one entry to ``data_access_log`` (in the caller's transaction, or its own)."""
    stmt = insert(DataAccessRow).values(
        at=utcnow(),
        user_id=user.id,
        action=action,
        jurisdiction=jurisdiction,
        rows=rows,
        document=document,
    )
    if session.in_transaction():
        session.execute(stmt)
    else:
        with write_unit(session):
            session.execute(stmt)


def footer(user: User, at: dt.datetime, what: str) -> list[str]:
    """The lines every export ends with: what, who, when (China time)."""
    local = at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    return [
        f"# {what}",
        f"# 导出人: {user.name} ({user.role.value}, {user.jurisdiction})",
        f"# 导出时间: {local.strftime('%Y-%m-%d %H:%M')} (北京时间)",
    ]


# -- import ------------------------------------------------------------------------------------


def plan_register_import(
    session: Session,
    user: User | None,
    file_name: str,
    content: bytes,
    registry: JurisdictionRegistry,
    today: dt.date,
    *,
    encoding: str | None = None,
) -> Plan:
    """What importing the file would do; :class:`InvalidFile` with every problem otherwise."""
    user = require(user, Action.WRITE_HOUSEHOLDS)
    sheet = read_sheet(
        file_name,
        content,
        known=[c.header for c in REGISTER_COLUMNS],
        required=REQUIRED,
        encoding=encoding,
    )
    numbers: list[str] = []
    for row in sheet.rows:
        value = row.cells.get("身份证号")
        if isinstance(value, str):
            numbers.append(compact_id_number(value))
    stored = active_households_of(session, sorted(set(numbers)))

    def may_write(county: str) -> str | None:
        try:
            authorize(user, Action.WRITE_HOUSEHOLDS, county, registry)
        except Forbidden as exc:
            return exc.message
        except InvalidInput as exc:
            return exc.message
        return None

    try:
        plan, problems = plan_import(sheet, registry, today, stored, may_write=may_write)
    except Exception:
        raise
    if problems:
        raise InvalidFile(file_name, sorted(problems, key=lambda p: (p.row or 0, p.column or "")))
    return plan


def import_register(
    session: Session,
    user: User | None,
    file_name: str,
    content: bytes,
    registry: JurisdictionRegistry,
    today: dt.date,
    *,
    commit: bool = False,
    encoding: str | None = None,
) -> ImportReport:
    """Import a household register file: a dry run unless ``commit`` (then all or nothing)."""
    user = require(user, Action.WRITE_HOUSEHOLDS)
    plan = plan_register_import(
        session, user, file_name, content, registry, today, encoding=encoding
    )
    creates = [i for i in plan.items if i.action == "create"]
    updates = [i for i in plan.items if i.action == "update"]
    unchanged = plan.count("unchanged")
    report = ImportReport(
        file_name=plan.file_name,
        file_hash=plan.file_hash,
        committed=False,
        created=len(creates),
        updated=len(updates),
        unchanged=unchanged,
        members=plan.members,
        items=plan.items,
        household_ids=(),
        notes=plan.notes,
    )
    if not commit:
        return report
    import_id: list[int] = []

    def provenance(s: Session, result: ImportResult) -> None:
        row = RegisterImportRow(
            file_name=plan.file_name[:255],
            file_hash=plan.file_hash,
            jurisdiction=user.jurisdiction,
            created=len(result.created),
            updated=len(result.updated),
            unchanged=unchanged,
            user_id=user.id,
            at=utcnow(),
            document={
                "created": list(result.created),
                "updated": list(result.updated),
                "changes": {
                    str(i.household_id): list(i.changes) for i in updates if i.household_id
                },
                "lines": {
                    str(hid): list(item.lines)
                    for hid, item in zip(result.created, creates, strict=True)
                },
            },
        )
        s.add(row)
        s.flush()
        import_id.append(row.id)

    result = import_households(
        session,
        user,
        [i.household for i in creates],
        [(i.household_id or 0, i.version or 0, i.household) for i in updates],
        registry,
        also=provenance,
        source={"registerImport": plan.file_name[:255], "fileHash": plan.file_hash},
    )
    # the households the import created, by their file's 户编号 (import_households keeps the
    # order it was given), so each line of the report leads to its stored household
    made = {i.key: hid for i, hid in zip(creates, result.created, strict=True)}
    return replace(
        report,
        committed=True,
        items=tuple(
            replace(i, household_id=made[i.key]) if i.action == "create" else i
            for i in report.items
        ),
        household_ids=(*result.created, *result.updated),
        import_id=import_id[0] if import_id else None,
    )


# -- exports -----------------------------------------------------------------------------------


def export_register(
    session: Session,
    user: User | None,
    jurisdiction: str,
    registry: JurisdictionRegistry,
    fmt: str = "xlsx",
) -> bytes:
    """The stored households at ``jurisdiction`` and under it, in the template's columns (it
    imports back unchanged). Logged."""
    user = authorize(user, Action.READ_HOUSEHOLDS, jurisdiction, registry)
    fmt = _fmt(fmt)
    with reading(session):
        rows = session.execute(
            select(HouseholdRow.id, HouseholdRow.document)
            .where(within(HouseholdRow, jurisdiction, registry))
            .order_by(HouseholdRow.id)
        ).all()
    out = export_rows([(r.id, r.document) for r in rows])
    now = utcnow()
    log_access(
        session,
        user,
        "export_register",
        registry.get(jurisdiction).code,
        len(out) - 1,
        {"format": fmt, "households": len(rows)},
    )
    return _sheet_bytes(out, fmt, "家庭成员花名册", footer(user, now, "家庭成员花名册"))


def _roster_people(
    session: Session, jurisdiction: str, program: str, registry: JurisdictionRegistry
) -> list[rosters.RosterPerson]:
    people: list[rosters.RosterPerson] = []
    with reading(session):
        if program == "low_income":
            for p in session.scalars(
                select(LowIncomePersonRow)
                .where(
                    within(LowIncomePersonRow, jurisdiction, registry),
                    LowIncomePersonRow.status == "active",
                )
                .order_by(LowIncomePersonRow.county, LowIncomePersonRow.id)
            ):
                people.append(
                    rosters.RosterPerson(
                        county=p.county,
                        case_id=None,
                        household_id=p.household_id,
                        program="low_income",
                        id_number=p.id_number,
                        name=p.name,
                        relation=None,
                        head_name=None,
                        household_size=None,
                        covered=True,
                        area=None,
                        amount=None,
                        benefit_from=None,
                        categories=tuple(p.document.get("categories", ())),
                    )
                )
            return people
        cases = session.execute(
            select(CaseRow.id, CaseRow.household_id, CaseRow.county, CaseRow.data,
                   HouseholdRow.document)
            .join(HouseholdRow, HouseholdRow.id == CaseRow.household_id)
            .where(
                within(CaseRow, jurisdiction, registry),
                CaseRow.program == program,
                CaseRow.state.in_(("active", "phasing_out")),
            )
            .order_by(CaseRow.county, CaseRow.id)
        ).all()  # fmt: skip
        active = {
            (hid, number)
            for hid, number in session.execute(
                select(MemberRow.household_id, MemberRow.id_number).where(
                    MemberRow.household_id.in_({c.household_id for c in cases} or {0}),
                    MemberRow.active,
                )
            )
        }
    for c in cases:
        doc = c.document
        covered = set(c.data.get("membersCovered") or ())
        head = next((m for m in doc["members"] if m["relation"] == "head"), doc["members"][0])
        living = [m for m in doc["members"] if (c.household_id, m["idNumber"]) in active]
        for m in living:
            people.append(
                rosters.RosterPerson(
                    county=c.county,
                    case_id=c.id,
                    household_id=c.household_id,
                    program=program,
                    id_number=m["idNumber"],
                    name=m["name"],
                    relation=m["relation"],
                    head_name=head["name"],
                    household_size=len(living),
                    covered=m["idNumber"] in covered,
                    area=doc.get("area"),
                    amount=c.data.get("amount"),
                    benefit_from=c.data.get("benefitFrom"),
                    categories=(),
                )
            )
    return people


def roster(
    session: Session,
    user: User | None,
    jurisdiction: str,
    program: str,
    registry: JurisdictionRegistry,
    *,
    department: str | None = None,
    fmt: str = "xlsx",
) -> bytes:
    """The roster (花名册) of a program's people at ``jurisdiction`` and under it, for another
    department (医保, 住建 ...): every covered person with full ID number (the receiving
    department matches on it). ``program``: dibao, tekun or low_income. Logged."""
    user = authorize(user, Action.EXPORT_ROSTERS, jurisdiction, registry)
    fmt = _fmt(fmt)
    if program not in rosters.PROGRAM_WORDS:
        raise InvalidInput(f"program: one of {', '.join(rosters.PROGRAM_WORDS)}")
    people = _roster_people(session, jurisdiction, program, registry)
    rows = rosters.roster_rows(people, registry)
    now = utcnow()
    code = registry.get(jurisdiction).code
    log_access(
        session,
        user,
        "export_roster",
        code,
        len(rows) - 1,
        {"program": program, "department": department, "format": fmt},
    )
    what = f"{rosters.PROGRAM_WORDS[program]}花名册 {code}" + (
        f" 提供给 {department}" if department else ""
    )
    return _sheet_bytes(rows, fmt, "花名册", footer(user, now, what))


def publicity_list(
    session: Session,
    user: User | None,
    jurisdiction: str,
    program: str,
    registry: JurisdictionRegistry,
    *,
    fmt: str = "xlsx",
) -> bytes:
    """The publicity list (公示名单) of a program's households at ``jurisdiction``: only what
    :data:`core.registers.rosters.PUBLICITY_SOURCE` allows, ID numbers masked. Logged."""
    user = require(user, Action.READ_HOUSEHOLDS)
    if not (user.may(Action.EXPORT_ROSTERS) or user.role.value == "township_officer"):
        raise Forbidden(f"a {user.role.value} may not export publicity lists")
    if not in_scope(user, registry.get(jurisdiction).code, registry):
        authorize(user, Action.READ_HOUSEHOLDS, jurisdiction, registry)
    fmt = _fmt(fmt)
    if program not in ("dibao", "tekun"):
        raise InvalidInput("program: dibao or tekun")
    people = _roster_people(session, jurisdiction, program, registry)
    rows = rosters.publicity_rows(people, registry)
    now = utcnow()
    code = registry.get(jurisdiction).code
    log_access(
        session, user, "export_publicity", code, len(rows) - 1, {"program": program, "format": fmt}
    )
    what = f"{rosters.PROGRAM_WORDS[program]}公示名单 {code}"
    return _sheet_bytes(rows, fmt, "公示名单", footer(user, now, what))


__all__ = [
    "FORMATS",
    "ImportReport",
    "export_register",
    "footer",
    "import_register",
    "log_access",
    "plan_register_import",
    "publicity_list",
    "roster",
    "template",
]
