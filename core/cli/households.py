"""``doudi households``: the household register from the command line — the template, imports
(dry run by default), exports, rosters (花名册) and publicity lists (公示名单), and single
households (add, show, list, add a member, remove one, record the payment account).

Every command but ``template`` acts as a user (``--token`` or ``$DOUDI_TOKEN``). A refused or
invalid import writes nothing and lists every problem, one line each, in the file's terms
("第 12 行 身份证号: 校验码不符 ...").
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from core.cli.database import acting_user, open_database
from core.cli.output import emit_json, json_option, table, token_option, truncate
from core.policy.service import today

FORMAT = click.Choice(["xlsx", "csv"])


def _write(data: bytes, out: str | None, default_name: str) -> None:
    path = Path(out or default_name)
    if str(path) == "-":
        sys.stdout.buffer.write(data)
        return
    path.write_bytes(data)
    click.echo(f"wrote {path} ({len(data)} bytes)")


def _fmt_from(out: str | None, fmt: str | None) -> str:
    if fmt:
        return fmt
    if out and out.lower().endswith(".csv"):
        return "csv"
    return "xlsx"


def _household_json(record: Any) -> dict[str, Any]:
    return {
        "id": record.id,
        "county": record.county,
        "version": record.version,
        "household": record.document,
        "members": [
            {
                "idNumber": m.id_number,
                "name": m.name,
                "relation": m.relation,
                "active": m.active,
                "addedAt": m.added_at.isoformat(),
                "removedAt": m.removed_at.isoformat() if m.removed_at else None,
            }
            for m in record.members
        ],
    }


def _id(text: str) -> int:
    from core.households.store import NotFound

    if text.isascii() and text.isdigit() and len(text) < 19:
        return int(text)
    raise NotFound(f"no household with id {text!r}")


@click.group()
def households() -> None:
    """Households and their members: the register template, imports and exports, rosters and
    publicity lists, and single households (add, show, list, members, payment account)."""


@households.command("template")
@click.option("-o", "--out", default=None, help="File to write (default 家庭成员花名册模板.xlsx).")
@click.option("--format", "fmt", type=FORMAT, default=None, help="xlsx (default) or csv.")
def households_template(out: str | None, fmt: str | None) -> None:
    """Write the household register template (Chinese headers, one row per member)."""
    from core.registers.store import template

    fmt = _fmt_from(out, fmt)
    _write(template(fmt), out, f"家庭成员花名册模板.{fmt}")


@households.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--commit", is_flag=True, help="Write (all or nothing). Without it: a dry run.")
@click.option("--encoding", default=None, help="Force the CSV encoding (default: UTF-8 or GBK).")
@token_option
@json_option
def households_import(
    file: str, commit: bool, encoding: str | None, token: str | None, as_json: bool
) -> None:
    """Import households from FILE (.xlsx or .csv, the template's columns): a dry run that
    lists what would change unless --commit; every bad row and column is reported at once and
    nothing is written. Re-importing the same file changes nothing."""
    from core.registers.store import import_register

    content = Path(file).read_bytes()
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        report = import_register(
            session,
            user,
            Path(file).name,
            content,
            runtime.policy.registry,
            today(),
            commit=commit,
            encoding=encoding,
        )
    if as_json:
        emit_json(
            {
                "file": report.file_name,
                "sha256": report.file_hash,
                "committed": report.committed,
                "importId": report.import_id,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "members": report.members,
                "householdIds": list(report.household_ids),
                "households": [
                    {
                        "key": i.key,
                        "action": i.action,
                        "lines": list(i.lines),
                        "householdId": i.household_id,
                        "changes": list(i.changes),
                    }
                    for i in report.items
                ],
                "notes": list(report.notes),
            }
        )
        return
    verb = "imported" if report.committed else "dry run (nothing written; --commit to import)"
    click.echo(
        f"{report.file_name}: {verb}: {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged household(s); {report.members} member(s)"
    )
    for note in report.notes:
        click.echo(f"  note: {note}")
    for item in report.items:
        if item.action == "update":
            click.echo(
                f"  户编号 {item.key} → household {item.household_id}: "
                + truncate("; ".join(item.changes), 120)
            )


@households.command("export")
@click.argument("code")
@click.option("-o", "--out", default=None, help="File to write (.xlsx or .csv; '-' for stdout).")
@click.option("--format", "fmt", type=FORMAT, default=None)
@token_option
def households_export(code: str, out: str | None, fmt: str | None, token: str | None) -> None:
    """Export the households at CODE and under it in the template's columns (imports back
    unchanged); the file ends with who exported it and when."""
    from core.registers.store import export_register

    fmt = _fmt_from(out, fmt)
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        data = export_register(session, user, code, runtime.policy.registry, fmt)
    _write(data, out, f"households-{code}.{fmt}")


@households.command("roster")
@click.argument("code")
@click.argument("program", type=click.Choice(["dibao", "tekun", "low_income"]))
@click.option("--department", default=None, help="Who receives it (e.g. 医保, 住建).")
@click.option("-o", "--out", default=None, help="File to write (.xlsx or .csv; '-' for stdout).")
@click.option("--format", "fmt", type=FORMAT, default=None)
@token_option
def households_roster(
    code: str,
    program: str,
    department: str | None,
    out: str | None,
    fmt: str | None,
    token: str | None,
) -> None:
    """The roster (花名册) of PROGRAM's people at CODE for another department (county approvers
    and above): full ID numbers, logged."""
    from core.registers.store import roster

    fmt = _fmt_from(out, fmt)
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        data = roster(
            session, user, code, program, runtime.policy.registry, department=department, fmt=fmt
        )
    _write(data, out, f"roster-{program}-{code}.{fmt}")


@households.command("publicity")
@click.argument("code")
@click.argument("program", type=click.Choice(["dibao", "tekun"]))
@click.option("-o", "--out", default=None, help="File to write (.xlsx or .csv; '-' for stdout).")
@click.option("--format", "fmt", type=FORMAT, default=None)
@token_option
def households_publicity(
    code: str, program: str, out: str | None, fmt: str | None, token: str | None
) -> None:
    """The publicity list (公示名单) of PROGRAM at CODE: applicant, household size, amount, ID
    numbers masked (最低生活保障审核确认办法 art. 24)."""
    from core.registers.store import publicity_list

    fmt = _fmt_from(out, fmt)
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        data = publicity_list(session, user, code, program, runtime.policy.registry, fmt=fmt)
    _write(data, out, f"publicity-{program}-{code}.{fmt}")


@households.command("show")
@click.argument("household_id")
@token_option
@json_option
def households_show(household_id: str, token: str | None, as_json: bool) -> None:
    """One household: its document, members (with history) and version."""
    from core.households.store import get_household

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        record = get_household(session, user, _id(household_id), runtime.policy.registry)
    if as_json:
        emit_json(_household_json(record))
        return
    doc = record.document
    click.echo(
        f"household {record.id} in {record.county} (version {record.version}): "
        f"{doc['area']}, {doc['incomeClass']}"
    )
    rows = [
        [m.name, m.id_number, m.relation, "active" if m.active else "removed"]
        for m in record.members
    ]
    click.echo(table(["name", "ID number", "relation", "status"], rows))
    account = doc.get("paymentAccount")
    click.echo(
        f"payment account: {account['holderName']} {account['bank']} {account['accountNumber']}"
        if account
        else "payment account: none recorded"
    )


@households.command("list")
@click.argument("code")
@click.option("--first", type=int, default=20, show_default=True)
@click.option("--after", default=None, help="Cursor from the previous page.")
@token_option
@json_option
def households_list(
    code: str, first: int, after: str | None, token: str | None, as_json: bool
) -> None:
    """Households at CODE and under it, oldest first, a page at a time."""
    from core.households.store import list_households

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        page = list_households(
            session, user, code, runtime.policy.registry, first=first, after=after
        )
    if as_json:
        emit_json(
            {
                "items": [_household_json(r) for r in page.items],
                "endCursor": page.end_cursor,
                "hasNextPage": page.has_next_page,
            }
        )
        return
    rows = []
    for r in page.items:
        head = next((m for m in r.document["members"] if m["relation"] == "head"), None)
        rows.append(
            [
                str(r.id),
                r.county,
                head["name"] if head else "",
                str(sum(1 for m in r.members if m.active)),
                str(r.version),
            ]
        )
    click.echo(table(["id", "county", "head", "members", "version"], rows))
    if page.has_next_page:
        click.echo(f"more: --after {page.end_cursor}")


def _load_json(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        from core.errors import InvalidInput

        raise InvalidInput(f"{path}: not JSON: {exc}") from None


@households.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@token_option
@json_option
def households_add(file: str, token: str | None, as_json: bool) -> None:
    """Create a household from FILE (household JSON, schema/household.schema.json)."""
    from core.households.store import create_household

    data = _load_json(file)
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        record = create_household(session, user, data, runtime.policy.registry, today=today())
    if as_json:
        emit_json(_household_json(record))
        return
    click.echo(f"household {record.id} created in {record.county} (version {record.version})")


def _change(household_id: str, token: str | None, expected: int | None, change: Any) -> Any:
    from core.households.store import get_household, update_household

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        registry = runtime.policy.registry
        record = get_household(session, user, _id(household_id), registry)
        doc = json.loads(json.dumps(record.document))
        change(doc)
        return update_household(
            session,
            user,
            record.id,
            doc,
            registry,
            expected_version=expected if expected is not None else record.version,
            today=today(),
        )


@households.command("add-member")
@click.argument("household_id")
@click.option("--id-number", required=True)
@click.option("--name", required=True)
@click.option("--relation", required=True, help="spouse, child, parent, sibling, ...")
@click.option("--expected-version", type=int, default=None)
@token_option
def households_add_member(
    household_id: str,
    id_number: str,
    name: str,
    relation: str,
    expected_version: int | None,
    token: str | None,
) -> None:
    """Add a member to household HOUSEHOLD_ID (refused if they are active in another)."""

    def change(doc: dict[str, Any]) -> None:
        doc["members"].append({"idNumber": id_number, "name": name, "relation": relation})

    record = _change(household_id, token, expected_version, change)
    click.echo(f"household {record.id}: {name} added (version {record.version})")


@households.command("remove-member")
@click.argument("household_id")
@click.argument("id_number")
@click.option("--expected-version", type=int, default=None)
@token_option
def households_remove_member(
    household_id: str, id_number: str, expected_version: int | None, token: str | None
) -> None:
    """Remove a member (kept as history; never the head nor the account holder)."""
    from core.households.store import remove_member

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        record = remove_member(
            session,
            user,
            _id(household_id),
            id_number,
            runtime.policy.registry,
            expected_version=expected_version,
        )
    click.echo(f"household {record.id}: member removed (version {record.version})")


@households.command("set-account")
@click.argument("household_id")
@click.option("--holder", "holder", required=True, help="ID number of the holder (a member).")
@click.option("--bank", required=True)
@click.option("--account", "account", required=True, help="8 to 30 digits.")
@click.option("--expected-version", type=int, default=None)
@token_option
def households_set_account(
    household_id: str,
    holder: str,
    bank: str,
    account: str,
    expected_version: int | None,
    token: str | None,
) -> None:
    """Record the household's payment account (一卡通), held by a member."""
    from stdnum.cn import ric

    def change(doc: dict[str, Any]) -> None:
        number = ric.compact(holder)
        member = next((m for m in doc["members"] if m["idNumber"] == number), None)
        doc["paymentAccount"] = {
            "holderIdNumber": number,
            "holderName": member["name"] if member else "",
            "bank": bank,
            "accountNumber": account,
        }

    record = _change(household_id, token, expected_version, change)
    click.echo(f"household {record.id}: payment account recorded (version {record.version})")


@households.command("example")
@click.argument("code")
@click.option("--households", "count", type=int, default=1000, show_default=True)
@click.option("-o", "--out", default=None, help="File to write (.xlsx or .csv).")
@click.option("--format", "fmt", type=FORMAT, default=None)
@click.option("--seed", type=int, default=1, show_default=True)
def households_example(code: str, count: int, out: str | None, fmt: str | None, seed: int) -> None:
    """Write an example register of COUNT households in county CODE, filled in as the template
    asks (names marked 示例, generated ID numbers: for trying imports, never real data)."""
    from core.registers.examples import example_rows
    from core.registers.store import FORMATS
    from core.registers.writers import csv_bytes, xlsx_bytes

    fmt = _fmt_from(out, fmt)
    assert fmt in FORMATS
    rows = example_rows(code, count, seed=seed)
    data = xlsx_bytes(rows, title="家庭成员花名册") if fmt == "xlsx" else csv_bytes(rows)
    _write(data, out, f"example-register-{code}.{fmt}")
