"""``doudi eligibility``: a traced decision for a household file."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from core.errors import DoudiError, InvalidInput
from core.policy.model import LayerKind
from core.policy.service import (
    PolicyBase,
    today,
)

if TYPE_CHECKING:  # the storage modules are imported when a command needs them (startup time)
    from core.eligibility import Decision

from core.cli.database import merged_policy
from core.cli.output import (
    LOCAL_SETTING,
    as_of_option,
    as_of_or_today,
    emit_json,
    fmt_date,
    fmt_place,
    fmt_value,
    indent_lines,
    json_option,
    table,
    truncate,
)


@click.group()
def eligibility() -> None:
    """Decide a household's eligibility for a program, with every rule traced to its source."""


def _amount(ctx: click.Context, param: click.Parameter, value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"'{value}' is not an amount in yuan", ctx, param) from None
    if not amount.is_finite() or amount <= 0:
        raise click.BadParameter(f"'{value}' must be more than 0 yuan", ctx, param)
    return amount


def _read_household(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InvalidInput(f"{file}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{file}: not JSON ({exc})") from None


@eligibility.command("preview")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--program",
    required=True,
    help="dibao, low_income, tekun, temporary, or a plugin's program (e.g. Guizhou's).",
)
@as_of_option
@click.option(
    "--request-kind",
    type=click.Choice(["emergency", "expenditure"]),
    default=None,
    help="Temporary assistance: the kind of hardship (with --amount).",
)
@click.option(
    "--amount",
    callback=_amount,
    default=None,
    metavar="YUAN",
    help="Temporary assistance: the one-off amount asked for.",
)
@json_option
def eligibility_preview(
    file: Path,
    program: str,
    as_of: dt.date | None,
    request_kind: str | None,
    amount: Decimal | None,
    as_json: bool,
) -> None:
    """Decide for the household in FILE (JSON, schema/household.schema.json); stores nothing.

    The policy is the installed plugins' plus the configured database's local settings (when
    the database exists). An invalid file lists every problem, one per line.
    """
    from core.eligibility import TemporaryRequest, decision_to_json, evaluate
    from core.households.model import InvalidHousehold, parse_household

    if (request_kind is None) != (amount is None):
        raise click.UsageError("give both --request-kind and --amount (temporary assistance)")
    if request_kind is not None and program != "temporary":
        raise click.UsageError("--request-kind and --amount are for --program temporary")
    data = _read_household(file)
    base = merged_policy()
    try:
        household = parse_household(data, base.registry, today())
    except InvalidHousehold as exc:
        n = len(exc.errors)
        raise DoudiError(
            f"{file}: {n} problem{'s' if n != 1 else ''} in the household:\n"
            + "\n".join(f"  - {e.field}: {e.message} [{e.code}]" for e in exc.errors)
        ) from None
    day = as_of_or_today(as_of)
    request = None
    if request_kind is not None and amount is not None:
        request = TemporaryRequest(kind=request_kind, amount=amount)  # type: ignore[arg-type]
    decision = evaluate(
        household,
        program,
        base.resolve(household.county, day),
        day,
        request=request,
        plugin_programs=base.plugin_programs,
    )
    if as_json:
        emit_json(decision_to_json(decision))
        return
    click.echo("\n".join(_decision_lines(decision, base)))


def _yuan(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _decision_lines(d: Decision, base: PolicyBase) -> list[str]:
    place = fmt_place(base.jurisdiction(d.county))
    lines = [f"{d.program} at {place} on {d.as_of}: {d.status.replace('_', ' ').upper()}"]

    def row(label: str, text: str) -> None:
        lines.append(f"  {label + ':':<13}{text}")

    if d.plugin:
        row("decided by", f"plugin '{d.plugin}'")
    if d.mode:
        covered = f" ({len(d.members_covered)} covered)" if d.members_covered else ""
        row("mode", d.mode.replace("_", " ") + covered)
    if d.category:
        row("category", d.category)
    inc = d.income
    if inc is not None:
        row(
            "income",
            f"{_yuan(inc.per_capita)} yuan/month per person = max(0, income "
            f"{_yuan(inc.total_income)} - deductions {_yuan(inc.total_deductions)}) / "
            f"{inc.living_members} living member{'s' if inc.living_members != 1 else ''}",
        )
        for item in inc.counted:
            lines.append(f"{'':15}+ {_item(item)}")
        for ex in inc.not_counted:
            lines.append(f"{'':15}  {_item(ex.item)}: not counted, {ex.why}")
        for deduction in inc.deductions_applied:
            lines.append(f"{'':15}- {_item(deduction)} (deducted)")
        for ex in inc.deductions_not_applied:
            lines.append(f"{'':15}  {_item(ex.item)}: {ex.why}")
        allowed = ", ".join(inc.allowed_deductions) or "none"
        lines.append(f"{'':15}deductions allowed here: {allowed}")
    elif d.per_capita_income is not None:
        row("income", f"{_yuan(d.per_capita_income)} yuan/month per person")
    if d.standard is not None:
        row("standard", f"{_yuan(d.standard)} yuan/month ({d.standard_path})")
    if d.monthly_amount is not None:
        row("amount", f"{_yuan(d.monthly_amount)} yuan/month")
    if d.one_off_amount is not None:
        row("amount", f"{_yuan(d.one_off_amount)} yuan, once")
    if d.approval_level:
        row("approved by", d.approval_level)
    if d.next_review is not None:
        row("next review", f"{d.next_review}" + (f" ({d.review_path})" if d.review_path else ""))
    if d.missing:
        row("not set", ", ".join(d.missing))
    lines.append("Reasons:")
    lines.extend(f"  - {r}" for r in d.reasons or ("(none given)",))
    if d.members:
        lines.append("Members:")
        for m in d.members:
            verdict = {True: "qualifies", False: "does not qualify", None: "cannot decide"}
            extra = [verdict[m.qualifies]]
            if m.conditions:
                extra.append(", ".join(m.conditions))
            if m.amount is not None:
                extra.append(f"{_yuan(m.amount)} yuan/month")
            lines.append(f"  - {m.name} ({m.id_number}): {'; '.join(extra)}")
            lines.extend(f"      {r}" for r in m.reasons)
    if d.trace:
        lines.append("Trace (every parameter used):")
        rows = []
        for t in d.trace:
            if t.is_set and t.jurisdiction_code is not None:
                local = f"; {LOCAL_SETTING}" if t.layer_kind == LayerKind.LOCAL.value else ""
                layer = (
                    f"{t.jurisdiction_code} {t.jurisdiction_name} ({t.jurisdiction_level}{local})"
                )
            else:
                layer = "-"
            source = "-"
            if t.source is not None:
                doc = t.source.document
                source = " ".join(x for x in (doc.number or doc.title, t.source.section) if x)
            rows.append(
                [
                    t.path,
                    truncate(fmt_value(t.value, t.is_set), 32),
                    layer,
                    fmt_date(t.effective_from),
                    truncate(source),
                ]
            )
        lines.append(indent_lines(table(["PATH", "VALUE", "LAYER", "FROM", "SOURCE"], rows)))
    return lines


def _item(item: Any) -> str:
    who = f" of {item.member}" if getattr(item, "member", None) else ""
    return f"{item.kind.value} {_yuan(item.monthly_amount)}{who}"
