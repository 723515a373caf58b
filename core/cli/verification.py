"""``doudi verification``: verification (核对) of a case's household — through an adapter
(the built-in one answers from imported department data), a manual report with its number, the
reports of a case, and the periodic re-verification of cases in payment that is due.

Every command acts as a user (``--token`` or ``$DOUDI_TOKEN``); requests are for county
approvers (who record the verification on the case)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from core.cli.database import acting_user, open_database
from core.cli.output import DATE, emit_json, json_option, table, token_option
from core.policy.service import today


def _int(text: str, what: str) -> int:
    from core.verification.store import NotFound

    if text.isascii() and text.isdigit() and len(text) < 19:
        return int(text)
    raise NotFound(f"no {what} {text!r}")


def _supporter(text: str) -> tuple[str, str, str]:
    from core.errors import InvalidInput

    parts = text.split(":")
    if len(parts) != 3:
        raise InvalidInput(f"--supporter {text!r}: give ID:NAME:RELATION")
    return parts[0].strip(), parts[1].strip(), parts[2].strip()


def _record_json(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "number": r.number,
        "source": r.source,
        "adapter": r.adapter,
        "caseId": r.case_id,
        "householdId": r.household_id,
        "county": r.county,
        "on": r.on.isoformat(),
        "passed": r.passed,
        "report": r.document,
    }


@click.group()
def verification() -> None:
    """Verification (核对) of a household's economic status: request it through an adapter,
    record a manual report, list reports, run the periodic re-verification that is due."""


@verification.command("request")
@click.argument("case_id")
@click.option("--supporter", "supporters", multiple=True, help="ID:NAME:RELATION (repeatable).")
@click.option("--adapter", default="department_data", show_default=True)
@click.option("--on", "on", type=DATE, default=None, help="Date of the step (default today).")
@click.option("--expected-version", type=int, default=None)
@token_option
@json_option
def verification_request(
    case_id: str,
    supporters: tuple[str, ...],
    adapter: str,
    on: dt.date | None,
    expected_version: int | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Verify the household of CASE_ID (members and legal supporters) and record the report
    on the case (record_verification: what confirmation waits for)."""
    from core.exchange.installed import data_kinds, verification_adapters
    from core.verification.store import request_verification

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        record, report = request_verification(
            session,
            user,
            runtime.policy,
            data_kinds(),
            runtime.settings.data_dir,
            _int(case_id, "case"),
            on or today(),
            supporters=[_supporter(s) for s in supporters],
            adapter=adapter,
            adapters=verification_adapters(),
            expected_version=expected_version,
            not_after=today(),
        )
    if as_json:
        emit_json(_record_json(record))
        return
    verdict = "PASSED" if record.passed else "DID NOT PASS"
    click.echo(f"report {record.number} (id {record.id}) on case {record.case_id}: {verdict}")
    for w in report.warnings:
        click.echo(f"  warning: {w}")
    for n in report.notes:
        click.echo(f"  note: {n}")
    rows = [
        [p.name, p.role, k.kind, str(k.found), ",".join(map(str, k.batches)) or "-"]
        for p in report.people
        for k in p.kinds
        if k.found
    ]
    if rows:
        click.echo(table(["person", "role", "kind", "records", "batches"], rows))


@verification.command("manual")
@click.argument("case_id")
@click.option("--number", required=True, help="The report's number (核对报告编号).")
@click.option("--passed/--failed", required=True)
@click.option("--notes", default="")
@click.option("--on", "on", type=DATE, default=None)
@click.option("--expected-version", type=int, default=None)
@token_option
def verification_manual(
    case_id: str,
    number: str,
    passed: bool,
    notes: str,
    on: dt.date | None,
    expected_version: int | None,
    token: str | None,
) -> None:
    """Record a verification report made outside doudi (its number, passed or not)."""
    from core.verification.store import record_manual_report

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        record = record_manual_report(
            session,
            user,
            runtime.policy,
            _int(case_id, "case"),
            on or today(),
            number=number,
            passed=passed,
            notes=notes,
            expected_version=expected_version,
            not_after=today(),
        )
    click.echo(f"manual report {record.number} recorded on case {record.case_id}")


@verification.command("reports")
@click.argument("case_id")
@token_option
@json_option
def verification_reports(case_id: str, token: str | None, as_json: bool) -> None:
    """The verification reports of CASE_ID (logged as a read of personal data)."""
    from core.verification.store import list_reports

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        records = list_reports(
            session, user, runtime.policy.registry, case_id=_int(case_id, "case")
        )
    if as_json:
        emit_json([_record_json(r) for r in records])
        return
    rows = [
        [str(r.id), r.number, r.source, r.on.isoformat(), "passed" if r.passed else "not passed"]
        for r in records
    ]
    click.echo(table(["id", "number", "source", "on", "result"], rows))


@verification.command("due")
@click.argument("code")
@click.option("--as-of", type=DATE, default=None)
@click.option("--run", is_flag=True, help="Verify each due case now (county approvers).")
@token_option
@json_option
def verification_due(
    code: str, as_of: dt.date | None, run: bool, token: str | None, as_json: bool
) -> None:
    """Cases in payment at CODE whose periodic verification is due (dibao.verification.
    interval_months, Guangxi 6 months); --run verifies them through the same path."""
    from core.exchange.installed import data_kinds
    from core.verification.store import due_verifications, verify_due

    day = as_of or today()
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        if run:
            results = verify_due(
                session,
                user,
                runtime.policy,
                data_kinds(),
                runtime.settings.data_dir,
                code,
                day,
                not_after=today(),
            )
        else:
            results = [(d, None, None) for d in due_verifications(
                session, user, runtime.policy, code, day)]  # fmt: skip
    if as_json:
        emit_json(
            [
                {
                    "caseId": d.case_id,
                    "county": d.county,
                    "last": d.last.isoformat() if d.last else None,
                    "due": d.due.isoformat(),
                    "intervalMonths": d.interval_months,
                    "report": r.number if r else None,
                    "passed": r.passed if r else None,
                    "error": e,
                }
                for d, r, e in results
            ]
        )
        return
    rows = [
        [
            str(d.case_id),
            d.county,
            d.last.isoformat() if d.last else "-",
            d.due.isoformat(),
            (r.number + (" passed" if r.passed else " NOT passed")) if r else (e or ""),
        ]
        for d, r, e in results
    ]
    click.echo(table(["case", "county", "last", "due", "result"], rows))
