"""``doudi payments``: monthly runs, results, lists, alerts and the bank's batch file.

Every command acts as a user (``--token`` or ``$DOUDI_TOKEN``) on the configured database; the
policy is the plugins' plus the database's local settings. Refusals are one
``doudi: error:`` line and exit 1; nothing is written.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from core.cli.database import acting_user, open_database
from core.cli.output import (
    DATE,
    as_of_or_today,
    emit_json,
    json_option,
    table,
    token_option,
    truncate,
)
from core.policy.service import today

STATUSES = ("pending", "held", "paid", "failed", "returned", "unclaimed")
RESULTS = ("paid", "failed", "returned", "unclaimed")


def _id(text: str) -> int:
    from core.payments.rules import PaymentNotFound

    if text.isascii() and text.isdigit() and len(text) < 19:
        return int(text)
    raise PaymentNotFound(f"no payment with id {text!r}")


def _yuan(fen: int) -> str:
    from core.payments.rules import fen_to_yuan

    return fen_to_yuan(fen)


def _payment_json(p: Any) -> dict[str, Any]:
    return {
        "id": p.id,
        "version": p.version,
        "caseId": p.case_id,
        "householdId": p.household_id,
        "program": p.program,
        "county": p.county,
        "month": p.month,
        "amount": _yuan(p.amount_fen),
        "amountFrom": p.document.get("amountFrom"),
        "dueDate": p.due_date.isoformat() if p.due_date else None,
        "notSet": list(p.not_set),
        "status": p.status,
        "attempt": p.attempt,
        "repayBy": p.repay_by.isoformat() if p.repay_by else None,
        "holdReason": p.hold_reason,
        "payee": {
            "name": p.payee.name,
            "idNumber": p.payee.id_number,
            "bank": p.payee.bank,
            "accountNumber": p.payee.account_number,
        },
        "results": [
            {
                "seq": r.seq,
                "attempt": r.attempt,
                "status": r.status,
                "on": r.on.isoformat(),
                "note": r.note,
                "repayBy": r.repay_by.isoformat() if r.repay_by else None,
                "recordedBy": r.user_name,
            }
            for r in p.results
        ],
    }


def _due(p: Any) -> str:
    if p.due_date is not None:
        return str(p.due_date.isoformat())
    return "not set" if p.not_set else "-"


@click.group()
def payments() -> None:
    """Monthly payments (发放) of dibao and tekun: run a month, record the bank's results,
    list, alerts, and the bank's batch file (一卡通)."""


@payments.command("run")
@click.argument("code")
@click.argument("month")
@click.option(
    "--on", "on", type=DATE, default=None, help="The run date (YYYY-MM-DD); default: today."
)
@token_option
@json_option
def payments_run(
    code: str, month: str, on: dt.date | None, token: str | None, as_json: bool
) -> None:
    """Create MONTH's (YYYY-MM) payments of every payable dibao and tekun case at CODE and
    under it (county approvers and above). Running a month again creates nothing new."""
    from core.payments.store import run_payments

    day = on or today()
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        report = run_payments(session, runtime.policy, user, code, month, day)
    if as_json:
        emit_json(
            {
                "jurisdiction": report.jurisdiction,
                "month": report.month,
                "on": report.on.isoformat(),
                "created": report.created,
                "alreadyThere": report.already_there,
                "held": report.held,
                "createdTotal": _yuan(report.created_fen),
                "released": report.released,
                "skipped": dict(report.skipped),
                "notSet": [{"county": c, "path": p} for c, p in report.not_set],
                "policy": {c: list(t) for c, t in report.policy.items()},
            }
        )
        return
    click.echo(
        f"{report.month} at {report.jurisdiction}: {report.created} payment"
        f"{'s' if report.created != 1 else ''} created ({_yuan(report.created_fen)} yuan, "
        f"{report.held} held), {report.already_there} already there"
    )
    if report.released:
        click.echo(
            f"released: {report.released} held payment{'s' if report.released != 1 else ''} "
            "now paid to the new head or account holder"
        )
    if report.skipped:
        click.echo(
            "passed over: "
            + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in report.skipped.items())
        )
    for county, path in report.not_set:
        click.echo(f"doudi: warning: {path} is not set for {county}: no due date", err=True)


@payments.command("result")
@click.argument("payment_id", metavar="ID")
@click.argument("status", type=click.Choice(RESULTS))
@click.option("--on", "on", type=DATE, default=None, help="The day reported; default: today.")
@click.option("--note", default=None, help="What the bank said.")
@click.option(
    "--expected-version", type=int, default=None, help="Refuse if the payment changed since."
)
@token_option
@json_option
def payments_result(
    payment_id: str,
    status: str,
    on: dt.date | None,
    note: str | None,
    expected_version: int | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Record what the bank reported for payment ID: paid, failed (paid again by the repay
    date), returned or unclaimed (township officers and above)."""
    from core.payments.store import record_payment_result

    pid = _id(payment_id)
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        p = record_payment_result(
            session, runtime.policy, user, pid, status, on or today(), note, expected_version
        )
    if as_json:
        emit_json(_payment_json(p))
        return
    repay = f", to be paid again by {p.repay_by.isoformat()}" if p.repay_by else ""
    click.echo(
        f"payment {p.id} ({p.month}, case {p.case_id}): {p.status}, attempt {p.attempt}{repay}"
    )


@payments.command("list")
@click.argument("code")
@click.option("--month", default=None, help="Only this month (YYYY-MM).")
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only this status.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100000))
@token_option
@json_option
def payments_list(
    code: str,
    month: str | None,
    status: str | None,
    limit: int,
    token: str | None,
    as_json: bool,
) -> None:
    """Payments at CODE and under it, oldest first."""
    from core.payments.store import list_payments
    from core.policy.jurisdictions import load_registry

    with open_database(create=False) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        found, more = list_payments(
            session, user, code, load_registry(), month=month, status=status, first=limit
        )
    if as_json:
        emit_json([_payment_json(p) for p in found])
        return
    click.echo(
        f"{len(found)} payment{'s' if len(found) != 1 else ''}" + (" (more)" if more else "")
    )
    if found:
        rows = [
            [
                str(p.id),
                p.month,
                str(p.case_id),
                p.program,
                p.county,
                _yuan(p.amount_fen),
                _due(p),
                p.status,
                truncate(p.payee.name or "-", 20),
            ]
            for p in found
        ]
        click.echo(
            table(
                ["ID", "MONTH", "CASE", "PROGRAM", "COUNTY", "YUAN", "DUE", "STATUS", "PAYEE"], rows
            )
        )


@payments.command("summary")
@click.argument("code")
@click.argument("month")
@token_option
@json_option
def payments_summary(code: str, month: str, token: str | None, as_json: bool) -> None:
    """MONTH's payments at CODE and under it: count and total by status, and the runs."""
    from core.payments.store import run_summary
    from core.policy.jurisdictions import load_registry

    with open_database(create=False) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        s = run_summary(session, user, code, month, load_registry())
    if as_json:
        emit_json(
            {
                "jurisdiction": s.jurisdiction,
                "month": s.month,
                "count": s.count,
                "total": _yuan(s.total_fen),
                "byStatus": [
                    {"status": x.status, "count": x.count, "total": _yuan(x.total_fen)}
                    for x in s.by_status
                ],
                "runs": [
                    {
                        "id": r.id,
                        "jurisdiction": r.jurisdiction,
                        "at": r.at.isoformat(),
                        "by": r.user_name,
                        "created": r.created,
                        "alreadyThere": r.existing,
                    }
                    for r in s.runs
                ],
            }
        )
        return
    click.echo(f"{s.month} at {s.jurisdiction}: {s.count} payments, {_yuan(s.total_fen)} yuan")
    if s.by_status:
        click.echo(
            table(
                ["STATUS", "COUNT", "YUAN"],
                [[x.status, str(x.count), _yuan(x.total_fen)] for x in s.by_status],
            )
        )


@payments.command("alerts")
@click.argument("code")
@click.option(
    "--as-of", "as_of", type=DATE, default=None, help="The day judged on; default: today."
)
@token_option
@json_option
def payments_alerts(code: str, as_of: dt.date | None, token: str | None, as_json: bool) -> None:
    """Alerts at CODE and under it: unclaimed money (reminder, investigation), failed payments
    not paid again in time, dead account holders not replaced in time — each with the parameter
    and source behind it. Exit 0 whatever is found."""
    from core.eligibility.json import trace_to_json
    from core.payments.rules import cite
    from core.payments.store import payment_alerts

    day = as_of_or_today(as_of)
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        report = payment_alerts(session, runtime.policy, user, code, day)
    if as_json:
        emit_json(
            {
                "asOf": day.isoformat(),
                "alerts": [
                    {
                        "kind": a.kind.value,
                        "county": a.county,
                        "caseId": a.case_id,
                        "paymentIds": list(a.payment_ids),
                        "months": list(a.months),
                        "message": a.message,
                        "due": a.due.isoformat() if a.due else None,
                        "parameter": trace_to_json(a.parameter),
                    }
                    for a in report.alerts
                ],
                "notSet": [{"county": c, "path": p} for c, p in report.not_set],
            }
        )
        return
    n = len(report.alerts)
    click.echo(f"{n} alert{'s' if n != 1 else ''} at {code} on {day.isoformat()}")
    if report.alerts:
        rows = [
            [a.kind.value, a.county, str(a.case_id), ", ".join(a.months), a.message]
            for a in report.alerts
        ]
        click.echo(table(["KIND", "COUNTY", "CASE", "MONTHS", "ALERT"], rows))
        sources = {cite(a.parameter): a.parameter for a in report.alerts}
        for text, t in sources.items():
            quote = f" “{t.source.quote}”" if t.source is not None and t.source.quote else ""
            click.echo(f"  {text}{quote}")
    for county, path in report.not_set:
        click.echo(f"doudi: warning: {path} is not set for {county}: not checked there", err=True)


@payments.command("export")
@click.argument("code")
@click.argument("month")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write the CSV to this file (default: standard output).",
)
@token_option
def payments_export(code: str, month: str, output: Path | None, token: str | None) -> None:
    """The bank's batch file (一卡通) for MONTH at CODE and under it: CSV, UTF-8 with a byte-order
    mark, Chinese headers (序号, 户主/账户姓名, 身份证号, 开户银行, 账号, 金额(元), 月份, 项目,
    案件编号); pending payments and failed ones awaiting repayment, never held ones."""
    from core.payments.store import bank_csv, payments_to_pay
    from core.policy.jurisdictions import load_registry

    with open_database(create=False) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        found = payments_to_pay(session, user, code, month, load_registry())
    data = bank_csv(found).encode("utf-8")
    if output is None:
        click.echo(data, nl=False)  # bytes: written as they are (BOM included)
    else:
        output.write_bytes(data)
        click.echo(f"wrote {len(found)} payment{'s' if len(found) != 1 else ''} to {output}")
    missing = sum(1 for p in found if not p.payee.account_number)
    if missing:
        click.echo(
            f"doudi: warning: {missing} payment{'s' if missing != 1 else ''} without a bank "
            "account (no paymentAccount recorded for the household)",
            err=True,
        )
