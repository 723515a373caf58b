"""GraphQL: department data and comparisons (比对), findings (疑点) and their tasks (wired into
:mod:`core.api.schema`). Department data is personal data: every query needs a role that may
see it in the jurisdiction, and every read of records is logged by the store
(:mod:`core.exchange.store`). Mutations answer expected failures as ``userErrors``; a batch's
bad rows come back one per row and column (``第 12 行 身份证号``, ``INVALID_FILE``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.scalars import JSON

from core.api.common import Info, UserError, database_id, file_errors, user_errors
from core.api.registers import decode_file
from core.errors import DoudiError, InvalidInput
from core.exchange import store
from core.exchange.installed import data_kinds, low_income_categories
from core.exchange.kinds import DEPARTMENTS
from core.exchange.rules import meaning_json
from core.policy.service import today


def _id(raw: str, what: str) -> int:
    found = database_id(raw)
    if found is None:
        raise store.NotFound(f"no {what} {raw!r}")
    return found


@strawberry.type(description="A department data kind: its columns and what a match means.")
class DataKindType:
    id: str
    title: str
    title_zh: str
    departments: list[str]
    mode: str = strawberry.field(description="events (every batch adds) or state (newest only).")
    columns: list[str]
    required: list[str]
    meanings: JSON = strawberry.field(
        description="Per program: rule, severity, action, level, sources, notSet."
    )


@strawberry.type(description="A department batch and its provenance.")
class DepartmentBatch:
    id: strawberry.ID
    kind: str
    department: str
    jurisdiction: str
    batch_date: dt.date
    file_name: str
    sha256: str
    records: int
    imported_by: int
    at: dt.datetime
    current: bool

    @classmethod
    def of(cls, b: store.BatchRecord, current: bool) -> DepartmentBatch:
        return cls(
            id=strawberry.ID(str(b.id)),
            kind=b.kind,
            department=DEPARTMENTS.get(b.department, b.department),
            jurisdiction=b.jurisdiction,
            batch_date=b.batch_date,
            file_name=b.file_name,
            sha256=b.file_hash,
            records=b.records,
            imported_by=b.user_id,
            at=b.at,
            current=current,
        )


@strawberry.type(description="The work a finding opens: who verifies it, by when, the outcome.")
class FindingTask:
    id: strawberry.ID
    status: str
    level: str
    version: int
    opened_on: dt.date
    due: dt.date | None
    overdue: bool
    deadline: JSON = strawberry.field(description="How the due date was found, or why none.")
    outcome: JSON | None


@strawberry.type(
    description="A finding (疑点): a department record of a person, for a case or a "
    "register entry, under a rule."
)
class Finding:
    id: strawberry.ID
    rule: str
    kind: str
    severity: str
    status: str
    county: str
    case_id: strawberry.ID | None
    person_id: strawberry.ID | None
    household_id: strawberry.ID | None
    id_number: str
    name: str
    batch_id: strawberry.ID
    run_id: strawberry.ID
    record: JSON
    meaning: JSON = strawberry.field(description="The rule: program, action, sources, notSet.")
    task: FindingTask

    @classmethod
    def of(cls, f: store.FindingRecord, as_of: dt.date) -> Finding:
        def sid(v: int | None) -> strawberry.ID | None:
            return None if v is None else strawberry.ID(str(v))

        return cls(
            id=strawberry.ID(str(f.id)),
            rule=f.rule,
            kind=f.kind,
            severity=f.severity,
            status=f.status,
            county=f.county,
            case_id=sid(f.case_id),
            person_id=sid(f.person_id),
            household_id=sid(f.household_id),
            id_number=f.id_number,
            name=f.name,
            batch_id=strawberry.ID(str(f.batch_id)),
            run_id=strawberry.ID(str(f.run_id)),
            record=JSON(f.document.get("record")),
            meaning=JSON(f.document.get("meaning")),
            task=FindingTask(
                id=strawberry.ID(str(f.task_id)),
                status=f.task_status,
                level=f.task_level,
                version=f.task_version,
                opened_on=f.opened_on,
                due=f.due_date,
                overdue=f.overdue(as_of),
                deadline=JSON(f.task_document.get("deadline")),
                outcome=None
                if f.task_document.get("outcome") is None
                else JSON(f.task_document["outcome"]),
            ),
        )


@strawberry.type(description="A comparison run's counts.")
class ComparisonRun:
    id: strawberry.ID
    jurisdiction: str
    as_of: dt.date
    batches: list[strawberry.ID]
    recipients: int
    matches: int
    raised: int
    known: int = strawberry.field(description="Matches raised before (never twice).")
    by_rule: JSON


@strawberry.type(description="Open and overdue findings (数字监督).")
class FindingSupervision:
    jurisdiction: str
    as_of: dt.date
    open: int
    overdue: int
    no_due_date: int
    by_kind: JSON
    overdue_findings: list[Finding]


@strawberry.type(description="The batch, or userErrors (nothing written).")
class DepartmentBatchPayload:
    batch: DepartmentBatch | None
    committed: bool
    records: int
    notes: list[str]
    user_errors: list[UserError]


@strawberry.type(description="The run, or userErrors (nothing written).")
class ComparisonPayload:
    run: ComparisonRun | None
    user_errors: list[UserError]


@strawberry.type(description="The finding after its task was closed, or userErrors.")
class FindingPayload:
    finding: Finding | None
    user_errors: list[UserError]


@strawberry.type
class ExchangeQuery:
    @strawberry.field(description="The department data kinds (core and plugins).")
    def data_kinds(self) -> list[DataKindType]:
        return [
            DataKindType(
                id=k.id,
                title=k.title,
                title_zh=k.title_zh,
                departments=[DEPARTMENTS[d] for d in k.departments],
                mode=k.mode,
                columns=["身份证号", "姓名", *(f.header for f in k.fields)],
                required=["身份证号", "姓名", *(f.header for f in k.fields if f.required)],
                meanings=JSON([meaning_json(k, m) for m in k.meanings]),
            )
            for k in data_kinds().kinds.values()
        ]

    @strawberry.field(description="Batches concerning a jurisdiction, with their provenance.")
    async def department_batches(
        self, info: Info, jurisdiction: str, kind: str | None = None
    ) -> list[DepartmentBatch]:
        context = info.context
        context.mark_private()
        user = await context.user()
        registry = context.base.registry
        found = await context.in_session(
            lambda s: store.list_batches(s, user, registry, jurisdiction, kind=kind)
        )
        current = {b.id for b in store.current_batches(found, data_kinds())}
        return [DepartmentBatch.of(b, b.id in current) for b in found]

    @strawberry.field(description="Findings at a jurisdiction and under it, newest first (logged).")
    async def findings(
        self,
        info: Info,
        jurisdiction: str,
        status: str | None = None,
        overdue: bool = False,
        case_id: strawberry.ID | None = None,
        as_of: dt.date | None = None,
    ) -> list[Finding]:
        context = info.context
        context.mark_private()
        user = await context.user()
        registry = context.base.registry
        day = as_of or today()
        cid = None if case_id is None else _id(case_id, "case")
        found = await context.in_session(
            lambda s: store.list_findings(
                s,
                user,
                registry,
                jurisdiction,
                status=status,
                overdue_on=day if overdue else None,
                case_id=cid,
            )
        )
        return [Finding.of(f, day) for f in found]

    @strawberry.field(description="One finding (logged).")
    async def finding(self, info: Info, id: strawberry.ID) -> Finding:
        context = info.context
        context.mark_private()
        user = await context.user()
        registry = context.base.registry
        fid = _id(id, "finding")
        f = await context.in_session(lambda s: store.get_finding(s, user, registry, fid))
        return Finding.of(f, today())

    @strawberry.field(description="Open and overdue findings by kind (数字监督).")
    async def finding_supervision(
        self, info: Info, jurisdiction: str, as_of: dt.date | None = None
    ) -> FindingSupervision:
        context = info.context
        context.mark_private()
        user = await context.user()
        registry = context.base.registry
        day = as_of or today()
        r = await context.in_session(
            lambda s: store.supervision(s, user, registry, jurisdiction, day)
        )
        return FindingSupervision(
            jurisdiction=r.jurisdiction,
            as_of=r.as_of,
            open=r.open,
            overdue=r.overdue,
            no_due_date=r.no_due_date,
            by_kind=JSON({k: dict(v) for k, v in r.by_kind.items()}),
            overdue_findings=[Finding.of(f, day) for f in r.overdue_tasks],
        )


@strawberry.type
class ExchangeMutation:
    @strawberry.mutation(
        description="Import a department batch (CSV, XLSX or Parquet as base64): a dry run "
        "unless commit; every bad row and column at once as userErrors."
    )
    async def import_department_batch(
        self,
        info: Info,
        kind: str,
        department: str,
        jurisdiction: str,
        batch_date: dt.date,
        file_name: str,
        content_base64: str,
        commit: bool = False,
        encoding: str | None = None,
    ) -> DepartmentBatchPayload:
        context = info.context
        context.mark_private()
        registry = context.base.registry
        try:
            runtime = context.require_runtime()
            user = await context.user()
            content = decode_file(content_base64)
            r = await context.in_session(
                lambda s: store.import_batch(
                    s,
                    user,
                    data_kinds(),
                    registry,
                    runtime.settings.data_dir,
                    kind=kind,
                    department=department,
                    jurisdiction=jurisdiction,
                    batch_date=batch_date,
                    file_name=file_name,
                    content=content,
                    today=today(),
                    commit=commit,
                    encoding=encoding,
                )
            )
        except DoudiError as exc:
            return DepartmentBatchPayload(
                batch=None,
                committed=False,
                records=0,
                notes=[],
                user_errors=file_errors(exc, info=info),
            )
        return DepartmentBatchPayload(
            batch=DepartmentBatch.of(r.batch, True) if r.batch else None,
            committed=r.committed,
            records=r.records,
            notes=list(r.notes),
            user_errors=[],
        )

    @strawberry.mutation(
        description="Compare the department data concerning a jurisdiction with everyone in "
        "payment and on the low-income register there; new findings and their tasks."
    )
    async def run_comparison(
        self,
        info: Info,
        jurisdiction: str,
        as_of: dt.date | None = None,
        batch_ids: list[strawberry.ID] | None = None,
    ) -> ComparisonPayload:
        context = info.context
        context.mark_private()
        base = context.base
        try:
            runtime = context.require_runtime()
            user = await context.user()
            ids = None if batch_ids is None else [_id(b, "batch") for b in batch_ids]
            day = as_of or today()
            if day > today():
                raise InvalidInput(f"asOf: {day.isoformat()} is in the future")
            r = await context.in_session(
                lambda s: store.run_comparison(
                    s,
                    user,
                    base,
                    runtime.work_calendar(base),
                    data_kinds(),
                    runtime.settings.data_dir,
                    jurisdiction,
                    day,
                    batch_ids=ids,
                    known_categories=low_income_categories(),
                )
            )
        except DoudiError as exc:
            return ComparisonPayload(
                run=None, user_errors=user_errors(exc, "jurisdiction", info=info)
            )
        return ComparisonPayload(
            run=ComparisonRun(
                id=strawberry.ID(str(r.run_id)),
                jurisdiction=r.jurisdiction,
                as_of=r.as_of,
                batches=[strawberry.ID(str(b)) for b in r.batches],
                recipients=r.recipients,
                matches=r.matches,
                raised=r.raised,
                known=r.known,
                by_rule=JSON(dict(r.by_rule)),
            ),
            user_errors=[],
        )

    @strawberry.mutation(
        description="Close a finding's task: case_step (with action and inputs: record_death, "
        "record_review, ...), household_updated, tag, exit_register, reassessed, or dismissed "
        "(with reasons)."
    )
    async def resolve_finding(
        self,
        info: Info,
        id: strawberry.ID,
        outcome: str,
        on: dt.date | None = None,
        action: str | None = None,
        inputs: JSON | None = None,
        reasons: str = "",
        tag: str | None = None,
        case_version: int | None = None,
        expected_version: int | None = None,
    ) -> FindingPayload:
        context = info.context
        context.mark_private()
        base = context.base
        try:
            user = await context.user()
            fid = _id(id, "finding")
            day = on or today()
            values: dict[str, Any] = dict(inputs) if isinstance(inputs, dict) else {}
            f = await context.in_session(
                lambda s: store.resolve_finding(
                    s,
                    user,
                    base,
                    fid,
                    outcome,
                    day,
                    reasons=reasons,
                    action=action,
                    inputs=values,
                    case_version=case_version,
                    expected_version=expected_version,
                    tag=tag,
                    not_after=today(),
                )
            )
        except DoudiError as exc:
            return FindingPayload(finding=None, user_errors=user_errors(exc, "id", info=info))
        context.loaders.clear()
        return FindingPayload(finding=Finding.of(f, today()), user_errors=[])


LIST_SIZES: dict[tuple[str, str], int] = {
    ("Query", "findings"): 200,
    ("Query", "dataKinds"): 50,
    ("Query", "departmentBatches"): 500,
    ("FindingSupervision", "overdueFindings"): 100,
}
