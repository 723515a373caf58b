"""Verification (核对) in the database: request a household's verification through an adapter,
store the report on the case, and take the case step that ``VERIFICATION_REQUIRED`` waits for.

The report is the record: the step (``record_verification``, through the cases store with all
its checks: the county approver, the case's state and version) is taken with ``passed`` = the
report's verdict and notes naming the report (number, adapter, warnings); the report is then
stored with the event it produced. A manual report (the platform's paper report, with its
number) takes the same path. Periodic re-verification (Guangxi's 6 months,
``dibao.verification.interval_months``) is the same request on a case in payment
(:func:`verify_due`).

Reading department data for a report is logged (``data_access_log``).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access.roles import Action, User, authorize, require
from core.cases.store import apply_transition, get_case
from core.eligibility import add_months
from core.errors import DoudiError, InvalidInput
from core.exchange.kinds import Catalog
from core.exchange.store import (
    BatchRecord,
    batch_record,
    batches_concerning,
    current_batches,
)
from core.households.model import validate_id_number
from core.policy.jurisdictions import JurisdictionRegistry
from core.policy.resolution import PolicySource
from core.registers.store import log_access
from core.storage.engine import reading, write_unit
from core.storage.scope import within
from core.storage.tables import (
    CaseRow,
    DepartmentBatchRow,
    MemberRow,
    VerificationReportRow,
    utcnow,
)
from core.validation import MAX_SHORT_TEXT, check_count, check_name, check_text
from core.verification.adapters import (
    DepartmentDataAdapter,
    Person,
    Report,
    Request,
    VerificationAdapter,
    report_to_json,
)

P_INTERVAL = "dibao.verification.interval_months"
IN_PAYMENT = ("active", "phasing_out")


class NotFound(DoudiError):
    code = "NOT_FOUND"


@dataclass(frozen=True, slots=True)
class VerificationRecord:
    id: int
    number: str
    source: str  # platform / manual
    adapter: str
    household_id: int
    case_id: int | None
    county: str
    on: dt.date
    passed: bool
    user_id: int
    at: dt.datetime
    document: Mapping[str, Any]


def _record(row: VerificationReportRow) -> VerificationRecord:
    return VerificationRecord(
        row.id,
        row.number,
        row.source,
        row.adapter,
        row.household_id,
        row.case_id,
        row.county,
        row.on_date,
        row.passed,
        row.user_id,
        row.at,
        dict(row.document),
    )


def _lookup(
    batches: Sequence[BatchRecord], data_dir: Path
) -> Any:  # core.verification.adapters.Lookup
    def lookup(
        numbers: Sequence[str], kinds: Sequence[str]
    ) -> dict[tuple[str, str], list[tuple[int, dt.date, dict[str, Any]]]]:
        out: dict[tuple[str, str], list[tuple[int, dt.date, dict[str, Any]]]] = {}
        wanted = pa.array(list(numbers), type=pa.string())
        for b in batches:
            if b.kind not in kinds:
                continue
            table = pq.read_table(
                data_dir / b.storage,
                columns=["id_number", "kind", "record"],
                filters=[("id_number", "in", list(numbers))],
            )
            table = table.filter(pc.is_in(table["id_number"], value_set=wanted))
            for r in table.to_pylist():
                out.setdefault((r["id_number"], r["kind"]), []).append(
                    (b.id, b.batch_date, json.loads(r["record"]))
                )
        return out

    return lookup


def _kinds_for(catalog: Catalog, program: str) -> tuple[str, ...]:
    """The kinds that say something about the program (tags only concern the register)."""
    return tuple(
        k.id
        for k in catalog.kinds.values()
        if (m := k.meaning(program)) is not None and m.action != "tag"
    )


def _report_number(request: Request) -> str:
    return f"HD{request.on:%Y%m%d}-{request.county}-{request.household_id}-{secrets.token_hex(3)}"


def request_verification(
    session: Session,
    user: User | None,
    policies: PolicySource,
    catalog: Catalog,
    data_dir: Path,
    case_id: int,
    on: dt.date,
    *,
    supporters: Sequence[tuple[str, str, str]] = (),
    adapter: str = DepartmentDataAdapter.name,
    adapters: Mapping[str, VerificationAdapter] | None = None,
    expected_version: int | None = None,
    not_after: dt.date | None = None,
) -> tuple[VerificationRecord, Report]:
    """Verify the case's household (its active members and ``supporters``: (ID number, name,
    relation)) through ``adapter``; store the report and take the case step."""
    registry = policies.registry
    user = require(user, Action.REQUEST_VERIFICATION)
    case = get_case(session, case_id)
    authorize(user, Action.REQUEST_VERIFICATION, case.county, registry)
    if case.program not in ("dibao", "tekun"):
        raise InvalidInput(f"a {case.program} case is not verified (核对) by the platform")
    people: list[Person] = []
    with reading(session):
        members = session.execute(
            select(MemberRow.id_number, MemberRow.name, MemberRow.relation).where(
                MemberRow.household_id == case.household_id, MemberRow.active
            )
        ).all()
        rows = session.scalars(
            select(DepartmentBatchRow).where(batches_concerning(registry, case.county))
        ).all()
        batches = current_batches([batch_record(r) for r in rows], catalog)
    people.extend(Person(n, name, "member", rel) for n, name, rel in members)
    check_count(supporters, "supporters")
    for number, name, relation in supporters:
        check_name(name, "supporter name")
        check_text(relation, "supporter relation", MAX_SHORT_TEXT, multiline=False)
        valid, why = validate_id_number(number, on)
        if valid is None:
            raise InvalidInput(f"supporter {name}: idNumber: {why}")
        people.append(Person(valid, name, "supporter", relation))
    kinds = _kinds_for(catalog, case.program)
    request = Request(
        case.household_id,
        case.county,
        case.program,
        on,
        "periodic" if case.state.value in IN_PAYMENT else "application",
        tuple(people),
        kinds,
    )
    chosen: VerificationAdapter
    if adapter == DepartmentDataAdapter.name:
        dates: dict[str, dt.date] = {}
        for b in batches:
            dates[b.kind] = max(dates.get(b.kind, b.batch_date), b.batch_date)
        chosen = DepartmentDataAdapter(catalog, _lookup(batches, data_dir), dates, _report_number)
    else:
        found = (adapters or {}).get(adapter)
        if found is None:
            raise InvalidInput(
                f"adapter: unknown {adapter!r}; one of "
                + ", ".join([DepartmentDataAdapter.name, *(adapters or {})])
            )
        chosen = found
    report = chosen.verify(request)
    log_access(
        session,
        user,
        "verification",
        case.county,
        sum(k.found for p in report.people for k in p.kinds),
        {"case": case.id, "adapter": report.adapter, "number": report.number},
    )
    record = _store(
        session,
        user,
        policies,
        case_id,
        on,
        source="platform",
        adapter=report.adapter,
        number=report.number,
        passed=report.passed,
        document=report_to_json(report),
        notes="; ".join(report.warnings) or "no warning",
        expected_version=expected_version,
        not_after=not_after,
    )
    return record, report


def record_manual_report(
    session: Session,
    user: User | None,
    policies: PolicySource,
    case_id: int,
    on: dt.date,
    *,
    number: str,
    passed: bool,
    notes: str = "",
    expected_version: int | None = None,
    not_after: dt.date | None = None,
) -> VerificationRecord:
    """A verification report made outside doudi (the platform's paper report, its number)."""
    user = require(user, Action.REQUEST_VERIFICATION)
    if not number.strip():
        raise InvalidInput("number: the report's number (核对报告编号)")
    check_text(number, "number", MAX_SHORT_TEXT, multiline=False)
    check_text(notes, "notes")
    return _store(
        session,
        user,
        policies,
        case_id,
        on,
        source="manual",
        adapter="manual",
        number=number.strip(),
        passed=passed,
        document={"notes": notes, "number": number.strip(), "passed": passed},
        notes=notes,
        expected_version=expected_version,
        not_after=not_after,
    )


def _store(
    session: Session,
    user: User,
    policies: PolicySource,
    case_id: int,
    on: dt.date,
    *,
    source: str,
    adapter: str,
    number: str,
    passed: bool,
    document: dict[str, Any],
    notes: str,
    expected_version: int | None,
    not_after: dt.date | None,
) -> VerificationRecord:
    case = get_case(session, case_id)
    authorize(user, Action.REQUEST_VERIFICATION, case.county, policies.registry)
    text = f"核对报告 {number} ({adapter}): {notes}"[:2000]
    _case, event = apply_transition(
        session,
        policies,
        case_id,
        expected_version if expected_version is not None else case.version,
        "record_verification",
        user,
        on,
        not_after=not_after,
        passed=passed,
        notes=text,
    )
    prefecture, province = policies.registry.prefecture_and_province(case.county)
    assert province is not None
    with write_unit(session):
        row = VerificationReportRow(
            number=number[:100],
            source=source,
            adapter=adapter[:100],
            household_id=case.household_id,
            case_id=case.id,
            county=case.county,
            prefecture=prefecture,
            province=province,
            on_date=on,
            passed=passed,
            user_id=user.id,
            at=utcnow(),
            document={**document, "event": {"seq": event.seq, "hash": event.hash}},
        )
        session.add(row)
        session.flush()
        return _record(row)


def list_reports(
    session: Session,
    user: User | None,
    registry: JurisdictionRegistry,
    *,
    case_id: int | None = None,
    household_id: int | None = None,
) -> list[VerificationRecord]:
    require(user, Action.READ_DEPARTMENT_DATA)
    q = select(VerificationReportRow).order_by(VerificationReportRow.id)
    if case_id is not None:
        q = q.where(VerificationReportRow.case_id == case_id)
    if household_id is not None:
        q = q.where(VerificationReportRow.household_id == household_id)
    with reading(session):
        out = [_record(r) for r in session.scalars(q)]
    for r in out:
        authorize(user, Action.READ_DEPARTMENT_DATA, r.county, registry)
    if out:
        assert user is not None
        log_access(session, user, "read_verification", out[0].county, len(out),
                   {"case": case_id, "household": household_id})  # fmt: skip
    return out


def get_report(
    session: Session, user: User | None, registry: JurisdictionRegistry, report_id: int
) -> VerificationRecord:
    require(user, Action.READ_DEPARTMENT_DATA)
    with reading(session):
        row = session.get(VerificationReportRow, report_id)
        if row is None:
            raise NotFound(f"no verification report {report_id}")
        record = _record(row)
    user = authorize(user, Action.READ_DEPARTMENT_DATA, record.county, registry)
    log_access(session, user, "read_verification", record.county, 1, {"report": report_id})
    return record


@dataclass(frozen=True, slots=True)
class DueVerification:
    case_id: int
    county: str
    last: dt.date | None
    due: dt.date
    interval_months: int


def due_verifications(
    session: Session,
    user: User | None,
    policies: PolicySource,
    jurisdiction: str,
    as_of: dt.date,
) -> list[DueVerification]:
    """Cases in payment at ``jurisdiction`` whose periodic verification is due by ``as_of``
    (``dibao.verification.interval_months`` after the last one, or after the decision)."""
    registry = policies.registry
    authorize(user, Action.READ_HOUSEHOLDS, jurisdiction, registry)
    with reading(session):
        cases = session.execute(
            select(CaseRow.id, CaseRow.county, CaseRow.data).where(
                within(CaseRow, jurisdiction, registry),
                CaseRow.state.in_(IN_PAYMENT),
                CaseRow.program.in_(("dibao", "tekun")),
            )
        ).all()
    out = []
    months_by_county: dict[str, int | None] = {}
    for cid, county, data in cases:
        if county not in months_by_county:
            value = policies.resolve(county, as_of).get(P_INTERVAL).value
            months_by_county[county] = int(value) if value is not None else None
        months = months_by_county[county]
        if months is None:
            continue
        marks = [
            (data.get("lastPeriodicVerification") or {}).get("on"),
            (data.get("verification") or {}).get("on"),
            (data.get("decision") or {}).get("on"),
        ]
        dates = [dt.date.fromisoformat(m) for m in marks if m]
        last = max(dates) if dates else None
        due = add_months(last, months) if last else as_of
        if due <= as_of:
            out.append(DueVerification(cid, county, last, due, months))
    return out


def verify_due(
    session: Session,
    user: User | None,
    policies: PolicySource,
    catalog: Catalog,
    data_dir: Path,
    jurisdiction: str,
    on: dt.date,
    *,
    not_after: dt.date | None = None,
) -> list[tuple[DueVerification, VerificationRecord | None, str | None]]:
    """Run the periodic verification of every case due at ``jurisdiction`` (each its own
    step: one refused case does not stop the others; its error is returned)."""
    out: list[tuple[DueVerification, VerificationRecord | None, str | None]] = []
    for due in due_verifications(session, user, policies, jurisdiction, on):
        try:
            record, _ = request_verification(
                session, user, policies, catalog, data_dir, due.case_id, on, not_after=not_after
            )
            out.append((due, record, None))
        except DoudiError as exc:
            out.append((due, None, f"{exc.code}: {exc.message}"))
    return out


__all__ = [
    "DueVerification",
    "NotFound",
    "VerificationRecord",
    "due_verifications",
    "get_report",
    "list_reports",
    "record_manual_report",
    "request_verification",
    "verify_due",
]
