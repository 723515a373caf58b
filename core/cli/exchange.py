"""``doudi exchange``: department data (部门数据) and comparisons (比对) — the kinds of data,
importing a batch (dry run by default), the batches, running a comparison, the findings (疑点)
and their tasks, resolving one, and supervision of open and overdue findings.

Every command but ``kinds`` and ``template`` acts as a user (``--token`` or ``$DOUDI_TOKEN``).
Department data is personal data: every read of records is logged (``data_access_log``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from core.cli.database import acting_user, open_database
from core.cli.output import DATE, emit_json, json_option, table, token_option, truncate
from core.policy.service import today


def _kinds() -> Any:
    from core.exchange.installed import data_kinds

    return data_kinds()


def _int(text: str, what: str) -> int:
    from core.exchange.store import NotFound

    if text.isascii() and text.isdigit() and len(text) < 19:
        return int(text)
    raise NotFound(f"no {what} {text!r}")


@click.group()
def exchange() -> None:
    """Department data and comparisons (比对): data kinds, batches, comparison runs, findings
    (疑点) and their tasks, supervision."""


@exchange.command("kinds")
@json_option
def exchange_kinds(as_json: bool) -> None:
    """The data kinds: departments, columns, and what a match means for each program."""
    from core.exchange.kinds import DEPARTMENTS
    from core.exchange.rules import meaning_json

    catalog = _kinds()
    if as_json:
        emit_json(
            [
                {
                    "id": k.id,
                    "title": k.title,
                    "titleZh": k.title_zh,
                    "departments": [{"code": d, "name": DEPARTMENTS[d]} for d in k.departments],
                    "mode": k.mode,
                    "columns": ["身份证号", "姓名", *(f.header for f in k.fields)],
                    "required": ["身份证号", "姓名", *(f.header for f in k.fields if f.required)],
                    "meanings": [meaning_json(k, m) for m in k.meanings],
                    "note": k.note,
                    "plugin": k.plugin or None,
                }
                for k in catalog.kinds.values()
            ]
        )
        return
    rows = []
    for k in catalog.kinds.values():
        for m in k.meanings:
            rows.append(
                [
                    k.id,
                    k.title_zh,
                    "/".join(DEPARTMENTS[d] for d in k.departments),
                    m.program,
                    m.severity,
                    m.action,
                    truncate(m.summary_zh, 24),
                    "not set" if m.not_set else "",
                ]
            )
    click.echo(
        table(
            ["kind", "数据", "departments", "program", "severity", "action", "meaning", "rule"],
            rows,
        )
    )


@exchange.command("template")
@click.argument("kind")
@click.option("-o", "--out", default=None, help="File to write (.xlsx or .csv).")
def exchange_template(kind: str, out: str | None) -> None:
    """Write the column template of data KIND (its Chinese headers)."""
    from core.exchange.records import template_rows
    from core.registers.writers import csv_bytes, xlsx_bytes

    spec = _kinds().get(kind)
    path = Path(out or f"{spec.id}-template.xlsx")
    rows = template_rows(spec)
    path.write_bytes(csv_bytes(rows) if path.suffix == ".csv" else xlsx_bytes(rows, title=kind))
    click.echo(f"wrote {path}")


@exchange.command("import")
@click.argument("kind")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--department", required=True, help="Who sent it (code or name, e.g. 公安).")
@click.option("--jurisdiction", "code", required=True, help="Where it applies (GB/T 2260).")
@click.option("--batch-date", type=DATE, required=True, help="The date of the department's data.")
@click.option("--commit", is_flag=True, help="Store it. Without it: a dry run.")
@click.option("--encoding", default=None, help="Force the CSV encoding (default: UTF-8 or GBK).")
@token_option
@json_option
def exchange_import(
    kind: str,
    file: str,
    department: str,
    code: str,
    batch_date: dt.date,
    commit: bool,
    encoding: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Import a department's FILE (.csv, .xlsx or .parquet) of data KIND: validated row by row
    (nothing imported while a row is wrong); a dry run unless --commit."""
    from core.exchange.store import import_batch

    content = Path(file).read_bytes()
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        report = import_batch(
            session,
            user,
            _kinds(),
            runtime.policy.registry,
            runtime.settings.data_dir,
            kind=kind,
            department=department,
            jurisdiction=code,
            batch_date=batch_date,
            file_name=Path(file).name,
            content=content,
            today=today(),
            commit=commit,
            encoding=encoding,
        )
    if as_json:
        emit_json(
            {
                "committed": report.committed,
                "batchId": report.batch.id if report.batch else None,
                "kind": report.kind,
                "department": report.department,
                "jurisdiction": report.jurisdiction,
                "batchDate": report.batch_date.isoformat(),
                "file": report.file_name,
                "sha256": report.file_hash,
                "records": report.records,
                "notes": list(report.notes),
            }
        )
        return
    what = (
        f"imported as batch {report.batch.id}"
        if report.batch
        else "dry run (nothing written; --commit to import)"
    )
    click.echo(
        f"{report.file_name}: {report.records} {report.kind} record(s) from "
        f"{report.department} for {report.jurisdiction} ({report.batch_date}): {what}"
    )
    for note in report.notes:
        click.echo(f"  note: {note}")


@exchange.command("batches")
@click.argument("code")
@click.option("--kind", default=None)
@token_option
@json_option
def exchange_batches(code: str, kind: str | None, token: str | None, as_json: bool) -> None:
    """The batches concerning CODE (at it, under it or above it), with their provenance."""
    from core.exchange.store import current_batches, list_batches

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        batches = list_batches(session, user, runtime.policy.registry, code, kind=kind)
    current = {b.id for b in current_batches(batches, _kinds())}
    if as_json:
        emit_json(
            [
                {
                    "id": b.id,
                    "kind": b.kind,
                    "department": b.department,
                    "jurisdiction": b.jurisdiction,
                    "batchDate": b.batch_date.isoformat(),
                    "file": b.file_name,
                    "sha256": b.file_hash,
                    "records": b.records,
                    "importedBy": b.user_id,
                    "at": b.at.isoformat(),
                    "current": b.id in current,
                }
                for b in batches
            ]
        )
        return
    rows = [
        [
            str(b.id),
            b.kind,
            b.department,
            b.jurisdiction,
            b.batch_date.isoformat(),
            str(b.records),
            b.file_hash[:12],
            "current" if b.id in current else "replaced",
        ]
        for b in batches
    ]
    click.echo(
        table(["id", "kind", "department", "at", "date", "records", "sha256", "status"], rows)
    )


@exchange.command("show-batch")
@click.argument("batch_id")
@click.option("--id-number", default=None, help="Only this person's records.")
@click.option("--limit", type=int, default=20, show_default=True)
@token_option
@json_option
def exchange_show_batch(
    batch_id: str, id_number: str | None, limit: int, token: str | None, as_json: bool
) -> None:
    """A batch's records (logged as a read of personal data)."""
    from core.exchange.store import read_batch

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        batch, rows = read_batch(
            session,
            user,
            runtime.policy.registry,
            runtime.settings.data_dir,
            _int(batch_id, "batch"),
            id_number=id_number,
            limit=limit,
        )
    if as_json:
        emit_json({"batch": batch.id, "kind": batch.kind, "records": rows})
        return
    click.echo(f"batch {batch.id}: {batch.kind} from {batch.department}, {batch.records} records")
    for r in rows:
        click.echo(f"  {r['name']} {r['idNumber']}: {json.dumps(r['record'], ensure_ascii=False)}")


@exchange.command("compare")
@click.argument("code")
@click.option("--as-of", type=DATE, default=None, help="The comparison date (default today).")
@click.option("--batch", "batches", multiple=True, help="Only these batch ids (default: current).")
@token_option
@json_option
def exchange_compare(
    code: str, as_of: dt.date | None, batches: tuple[str, ...], token: str | None, as_json: bool
) -> None:
    """Compare the department data concerning CODE with everyone in payment and on the
    low-income register there; raise the new findings (疑点) and open their tasks."""
    from core.exchange.installed import low_income_categories
    from core.exchange.store import run_comparison

    day = as_of or today()
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        report = run_comparison(
            session,
            user,
            runtime.policy,
            runtime.work_calendar(),
            _kinds(),
            runtime.settings.data_dir,
            code,
            day,
            batch_ids=[_int(b, "batch") for b in batches] or None,
            known_categories=low_income_categories(),
        )
    if as_json:
        emit_json(
            {
                "runId": report.run_id,
                "jurisdiction": report.jurisdiction,
                "asOf": report.as_of.isoformat(),
                "batches": list(report.batches),
                "recipients": report.recipients,
                "matches": report.matches,
                "raised": report.raised,
                "known": report.known,
                "byRule": dict(report.by_rule),
                "seconds": {k: round(v, 3) for k, v in report.seconds.items()},
            }
        )
        return
    click.echo(
        f"comparison {report.run_id} at {report.jurisdiction} on {report.as_of}: "
        f"{report.recipients} people × {len(report.batches)} batch(es): {report.matches} "
        f"match(es), {report.raised} new finding(s), {report.known} raised before"
    )
    for rule, n in sorted(report.by_rule.items()):
        click.echo(f"  {rule}: {n}")


def _finding_json(f: Any, as_of: dt.date) -> dict[str, Any]:
    return {
        "id": f.id,
        "rule": f.rule,
        "kind": f.kind,
        "severity": f.severity,
        "status": f.status,
        "county": f.county,
        "caseId": f.case_id,
        "personId": f.person_id,
        "householdId": f.household_id,
        "idNumber": f.id_number,
        "name": f.name,
        "runId": f.run_id,
        "batchId": f.batch_id,
        "record": f.document.get("record"),
        "meaning": f.document.get("meaning"),
        "task": {
            "id": f.task_id,
            "status": f.task_status,
            "level": f.task_level,
            "version": f.task_version,
            "openedOn": f.opened_on.isoformat(),
            "due": f.due_date.isoformat() if f.due_date else None,
            "overdue": f.overdue(as_of),
            **f.task_document,
        },
    }


@exchange.command("findings")
@click.argument("code")
@click.option("--status", type=click.Choice(["open", "resolved", "dismissed"]), default=None)
@click.option("--overdue", is_flag=True, help="Only open tasks past their due date.")
@click.option("--case", "case_id", default=None)
@click.option("--kind", default=None)
@click.option("--as-of", type=DATE, default=None)
@token_option
@json_option
def exchange_findings(
    code: str,
    status: str | None,
    overdue: bool,
    case_id: str | None,
    kind: str | None,
    as_of: dt.date | None,
    token: str | None,
    as_json: bool,
) -> None:
    """The findings at CODE and under it, newest first (logged as a read of personal data)."""
    from core.exchange.store import list_findings

    day = as_of or today()
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        found = list_findings(
            session,
            user,
            runtime.policy.registry,
            code,
            status=status,
            overdue_on=day if overdue else None,
            case_id=_int(case_id, "case") if case_id else None,
            kind=kind,
        )
    if as_json:
        emit_json([_finding_json(f, day) for f in found])
        return
    rows = [
        [
            str(f.id),
            f.rule,
            f.severity,
            f"case {f.case_id}" if f.case_id else f"register {f.person_id}",
            f.name,
            f.status,
            f.task_level,
            (f.due_date.isoformat() if f.due_date else "not set")
            + (" OVERDUE" if f.overdue(day) else ""),
        ]
        for f in found
    ]
    click.echo(table(["id", "rule", "severity", "subject", "name", "status", "level", "due"], rows))


@exchange.command("show")
@click.argument("finding_id")
@token_option
@json_option
def exchange_show(finding_id: str, token: str | None, as_json: bool) -> None:
    """One finding: the record, the rule and its source, the task and its due date."""
    from core.exchange.store import get_finding

    day = today()
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        f = get_finding(session, user, runtime.policy.registry, _int(finding_id, "finding"))
    data = _finding_json(f, day)
    if as_json:
        emit_json(data)
        return
    m = data["meaning"]
    click.echo(f"finding {f.id} ({f.severity}): {m['summaryZh']} — {m['summary']}")
    click.echo(
        f"  person:  {f.name} {f.id_number}, "
        + (f"case {f.case_id}" if f.case_id else f"register entry {f.person_id}")
    )
    click.echo(f"  record:  {json.dumps(data['record'], ensure_ascii=False)} (batch {f.batch_id})")
    click.echo(f"  action:  {m['action']} (verified by the {m['level']})")
    for s in m["sources"]:
        click.echo(f"  source:  {s['document']} {s['section']} “{s['quote']}”")
    if m.get("notSet"):
        click.echo(f"  not set: {m['notSet']}")
    deadline = data["task"].get("deadline", {})
    click.echo(
        f"  task:    {f.task_status} (version {f.task_version}), due "
        f"{data['task']['due'] or 'not set'}" + (" OVERDUE" if data["task"]["overdue"] else "")
    )
    if deadline.get("why"):
        click.echo(f"           {deadline['why']}")
    if "outcome" in data["task"]:
        click.echo(f"  outcome: {json.dumps(data['task']['outcome'], ensure_ascii=False)}")


@exchange.command("resolve")
@click.argument("finding_id")
@click.argument(
    "outcome",
    type=click.Choice(
        ["case_step", "household_updated", "tag", "exit_register", "reassessed", "dismissed"]
    ),
)
@click.option("--action", default=None, help="The case step (record_death, record_review ...).")
@click.option("--input", "inputs", multiple=True, help="A case-step input k=v (repeatable).")
@click.option("--case-version", type=int, default=None)
@click.option("--reasons", default="", help="What verification found (needed to dismiss).")
@click.option("--tag", default=None)
@click.option("--on", "on", type=DATE, default=None, help="Date of the step (default today).")
@token_option
@json_option
def exchange_resolve(
    finding_id: str,
    outcome: str,
    action: str | None,
    inputs: tuple[str, ...],
    case_version: int | None,
    reasons: str,
    tag: str | None,
    on: dt.date | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Close a finding's task: a case step (e.g. record_death), a register change, or a
    dismissal with the reasons verification found."""
    from core.errors import InvalidInput
    from core.exchange.store import resolve_finding

    values: dict[str, Any] = {}
    for pair in inputs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise InvalidInput(f"--input {pair!r}: give key=value")
        values[key.strip()] = value
    day = on or today()
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        f = resolve_finding(
            session,
            user,
            runtime.policy,
            _int(finding_id, "finding"),
            outcome,
            day,
            reasons=reasons,
            action=action,
            inputs=values,
            case_version=case_version,
            tag=tag,
            not_after=today(),
        )
    if as_json:
        emit_json(_finding_json(f, day))
        return
    detail = f.task_document.get("outcome", {})
    extra = f" (case {detail['caseId']} now {detail['caseState']})" if "caseId" in detail else ""
    click.echo(f"finding {f.id}: {f.status}, task done{extra}")


@exchange.command("supervise")
@click.argument("code")
@click.option("--as-of", type=DATE, default=None)
@token_option
@json_option
def exchange_supervise(code: str, as_of: dt.date | None, token: str | None, as_json: bool) -> None:
    """Open and overdue findings at CODE and under it, by kind (数字监督)."""
    from core.exchange.store import supervision

    day = as_of or today()
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        s = supervision(session, user, runtime.policy.registry, code, day)
    if as_json:
        emit_json(
            {
                "jurisdiction": s.jurisdiction,
                "asOf": s.as_of.isoformat(),
                "open": s.open,
                "overdue": s.overdue,
                "noDueDate": s.no_due_date,
                "byKind": {k: dict(v) for k, v in s.by_kind.items()},
                "overdueTasks": [_finding_json(f, day) for f in s.overdue_tasks],
            }
        )
        return
    click.echo(
        f"{s.jurisdiction} on {s.as_of}: {s.open} open finding(s), {s.overdue} overdue, "
        f"{s.no_due_date} without a due date"
    )
    rows = [[k, str(v["open"]), str(v["overdue"])] for k, v in sorted(s.by_kind.items())]
    if rows:
        click.echo(table(["kind", "open", "overdue"], rows))
    for f in s.overdue_tasks:
        click.echo(f"  OVERDUE finding {f.id} {f.rule}: {f.name}, due {f.due_date}, {f.task_level}")
