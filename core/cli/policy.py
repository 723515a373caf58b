"""``doudi policy``: the merged policy at a jurisdiction and date, compared and explained;
local settings."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import click

from core.policy import serialize
from core.policy.catalog import NOT_YET_APPLIED, RECORDED_NOT_APPLIED, applied, not_applied_note
from core.policy.jurisdictions import Jurisdiction, load_registry
from core.policy.resolution import ResolvedParameter

if TYPE_CHECKING:  # the storage modules are imported when a command needs them (startup time)
    from core.policy.local_settings import LocalSetting

from core.cli.database import acting_user, merged_policy, open_database
from core.cli.output import (
    DATE,
    LOCAL_SETTING,
    MAX_CELL,
    as_of_option,
    as_of_or_today,
    emit_json,
    fmt_cite,
    fmt_date,
    fmt_layer,
    fmt_layer_long,
    fmt_place,
    fmt_unit,
    fmt_value,
    indent_lines,
    is_local,
    json_option,
    parse_value,
    plugin_policy,
    table,
    token_option,
    truncate,
)


@click.group()
def policy() -> None:
    """Ask the merged policy (values, sources, comparisons, conflicts); record local settings."""


def _describe(p: ResolvedParameter, where: Jurisdiction, as_of: dt.date) -> list[str]:
    unit = fmt_unit(p.spec.unit)
    label = f"  {p.spec.label_zh}" if p.spec.label_zh else ""
    if not p.is_set:
        chain = " → ".join(j.code for j in plugin_policy().registry.chain(where.code))
        return [
            f"{p.path} = not set{label}",
            f"  at {fmt_place(where)} on {as_of}: no layer along {chain} sets it",
        ]
    w = p.winner
    assert w is not None
    doc = w.source.document
    until = "open-ended" if w.until is None else f"until {w.until}"
    lines = [
        f"{p.path} = {fmt_value(p.value)}{' ' + unit if unit else ''}{label}",
        f"  at:     {fmt_place(where)} on {as_of}",
        f"  layer:  {fmt_layer_long(w.layer)}",
        f"  from:   {w.start} ({until})",
        f"  source: {' '.join(x for x in (doc.number, doc.title) if x)}"
        + (f", {w.source.section}" if w.source.section else ""),
    ]
    if w.source.quote:
        lines.append(f"          “{w.source.quote}”")
    if is_local(w.layer):
        lines.append(f"  note:   {doc.note or LOCAL_SETTING}")
    elif w.source.note:
        lines.append(f"  note:   {w.source.note}")
    if not applied(p.path):
        lines.append(f"  doudi:  {not_applied_note(p.path)}")
    return lines


@policy.command("get")
@click.argument("code")
@click.argument("path")
@as_of_option
@json_option
def policy_get(code: str, path: str, as_of: dt.date | None, as_json: bool) -> None:
    """The value of PATH at jurisdiction CODE, with its layer, dates and source."""
    base, day = merged_policy(), as_of_or_today(as_of)
    p = base.parameter(code, path, day)
    if as_json:
        emit_json(serialize.parameter(p))
        return
    click.echo("\n".join(_describe(p, base.jurisdiction(code), day)))
    for o in p.overrides:
        click.echo(
            f"  overrides: {fmt_value(o.value)} from {fmt_layer(o.layer)}, {o.start}, {fmt_cite(o)}"
        )


@policy.command("show")
@click.argument("code")
@click.option("--prefix", default=None, help="Only paths under this prefix (e.g. dibao.review).")
@as_of_option
@json_option
def policy_show(code: str, prefix: str | None, as_of: dt.date | None, as_json: bool) -> None:
    """Every catalog path at CODE: value (or not set), layer, effective date, source."""
    base, day = merged_policy(), as_of_or_today(as_of)
    where = base.jurisdiction(code)
    params = base.parameters(code, day, prefix)
    if as_json:
        emit_json(
            {
                "jurisdiction": serialize.jurisdiction(where),
                "as_of": day.isoformat(),
                "parameters": [serialize.parameter(p) for p in params],
            }
        )
        return
    n_set = sum(p.is_set for p in params)
    click.echo(
        f"{fmt_place(where)} ({where.level.value}) on {day}: {n_set} of {len(params)} paths set"
    )
    rows = [
        [
            p.path,
            truncate(fmt_value(p.value, p.is_set)),
            fmt_unit(p.spec.unit),
            fmt_layer(p.layer),
            fmt_date(p.effective_from),
            truncate(fmt_cite(p.winner)),
        ]
        for p in params
    ]
    click.echo(table(["PATH", "VALUE", "UNIT", "LAYER", "FROM", "SOURCE"], rows))
    idle = [p for p in params if p.is_set and not applied(p.path)]
    if idle:
        click.echo(f"\n{RECORDED_NOT_APPLIED}:")
        for p in idle:
            click.echo(f"  {p.path}: {NOT_YET_APPLIED[p.path]}")


@policy.command("compare")
@click.argument("codes", nargs=-1, required=True)
@click.option("--prefix", default=None, help="Only paths under this prefix.")
@click.option("--path", "paths", multiple=True, help="A path to compare (repeatable).")
@click.option("--differs", "only_differs", is_flag=True, help="Only rows whose values differ.")
@as_of_option
@json_option
def policy_compare(
    codes: tuple[str, ...],
    prefix: str | None,
    paths: tuple[str, ...],
    only_differs: bool,
    as_of: dt.date | None,
    as_json: bool,
) -> None:
    """Compare jurisdictions side by side (rows marked * differ)."""
    base, day = merged_policy(), as_of_or_today(as_of)
    places: list[Jurisdiction] = []
    for c in codes:
        j = base.jurisdiction(c)
        if j not in places:
            places.append(j)
    keys = [j.code for j in places]
    rows = base.compare(keys, day, paths=list(paths) or None, prefix=prefix)
    if only_differs:
        rows = [r for r in rows if r.differs]
    if as_json:
        emit_json([serialize.comparison_row(r, keys) for r in rows])
        return
    headers = ["", "PATH", *(fmt_place(j) for j in places)]
    body = [["*" if r.differs else "", r.path, *(_compare_cell(c) for c in r.cells)] for r in rows]
    legend = f"as of {day}; * = values differ ({sum(r.differs for r in rows)} of {len(rows)})"
    if any(is_local(c.layer) for r in rows for c in r.cells):
        legend += f"; ({LOCAL_SETTING}) = recorded in doudi by an official, not plugin data"
    click.echo(legend)
    click.echo(table(headers, body))


def _compare_cell(p: ResolvedParameter) -> str:
    if not is_local(p.layer):
        return truncate(fmt_value(p.value, p.is_set))
    mark = f" ({LOCAL_SETTING})"
    return truncate(fmt_value(p.value, p.is_set), MAX_CELL - len(mark)) + mark


@policy.command("explain")
@click.argument("code")
@click.argument("path")
@as_of_option
@json_option
def policy_explain(code: str, path: str, as_of: dt.date | None, as_json: bool) -> None:
    """Why PATH has its value at CODE: winner, what it overrides, history, violations."""
    base, day = merged_policy(), as_of_or_today(as_of)
    where = base.jurisdiction(code)
    p = base.parameter(code, path, day)
    hist = base.history(code, p.path)
    found = [v for v in base.violations(code, day) if v.path == p.path]
    if as_json:
        emit_json(
            {
                "jurisdiction": serialize.jurisdiction(where),
                "as_of": day.isoformat(),
                "unit": p.spec.unit,
                **serialize.parameter(p),
                "history": [serialize.history_entry(e) for e in hist],
                "violations": [serialize.violation(v) for v in found],
            }
        )
        return
    click.echo("\n".join(_describe(p, where, day)))
    click.echo("")
    if p.overrides:
        click.echo("Overrides (values it wins over, most specific first):")
        rows = [
            [fmt_value(o.value), fmt_layer(o.layer), fmt_date(o.start), fmt_cite(o)]
            for o in p.overrides
        ]
        click.echo(indent_lines(table(["VALUE", "LAYER", "FROM", "SOURCE"], rows)))
    else:
        click.echo("Overrides: none (no less specific layer sets this path on that date)")
    click.echo("")
    if hist:
        click.echo(f"History at {fmt_place(where)}:")
        rows = [
            [
                fmt_date(e.start),
                fmt_date(e.until, "open"),
                truncate(fmt_value(e.value, e.is_set)),
                fmt_layer(None if e.winner is None else e.winner.layer),
                truncate(fmt_cite(e.winner)),
            ]
            for e in hist
        ]
        click.echo(indent_lines(table(["FROM", "UNTIL", "VALUE", "LAYER", "SOURCE"], rows)))
    else:
        click.echo(f"History at {fmt_place(where)}: never set")
    click.echo("")
    if found:
        click.echo(f"Violations on {day}:")
        for v in found:
            click.echo(f"  - [{v.kind.value}] {v.message}")
    else:
        click.echo(f"Violations on {day}: none")


@policy.command("violations")
@click.argument("code")
@click.option("--checks", "with_checks", is_flag=True, help="Also list every rule checked.")
@as_of_option
@json_option
def policy_violations(code: str, with_checks: bool, as_of: dt.date | None, as_json: bool) -> None:
    """Broken rules and conflicts in time in the policy that applies at CODE."""
    base, day = merged_policy(), as_of_or_today(as_of)
    where = base.jurisdiction(code)
    found = base.violations(code, day)
    checks = base.checks(code, day) if with_checks else []
    if as_json:
        out: dict[str, Any] = {
            "jurisdiction": serialize.jurisdiction(where),
            "as_of": day.isoformat(),
            "violations": [serialize.violation(v) for v in found],
        }
        if with_checks:
            out["checks"] = [serialize.constraint_check(c) for c in checks]
        emit_json(out)
        return
    n = len(found)
    click.echo(
        f"{n or 'no'} violation{'s' if n != 1 else ''} at {fmt_place(where)} on {day}"
        + (":" if n else "")
    )
    for v in found:
        click.echo(f"  - [{v.kind.value}] {v.message}")
    if with_checks:
        click.echo("")
        rows = [[c.status.value, c.rule.rule.id, c.rule.plugin, c.message] for c in checks]
        click.echo(
            table(["STATUS", "RULE", "PLUGIN", "MESSAGE"], rows) if rows else "no rules apply"
        )


@policy.command("catalog")
@click.option("--prefix", default=None, help="Only paths under this prefix.")
@json_option
def policy_catalog(prefix: str | None, as_json: bool) -> None:
    """Every parameter path: type, unit and meaning."""
    catalog = plugin_policy().catalog
    specs = [catalog[p] for p in catalog.paths(prefix)]
    if as_json:
        emit_json([serialize.spec(s) for s in specs])
        return
    rows = []
    for s in specs:
        kind = s.type + (f" ({'|'.join(s.choices)})" if s.type == "enum" else "")
        acts = "acts" if applied(s.path) else "recorded only"
        rows.append([s.path, kind, fmt_unit(s.unit), acts, s.label_zh or s.description])
    click.echo(table(["PATH", "TYPE", "UNIT", "DOUDI", "LABEL"], rows))
    idle = [s.path for s in specs if not applied(s.path)]
    if idle:
        click.echo(f"\nrecorded only = {RECORDED_NOT_APPLIED}:")
        for path in idle:
            click.echo(f"  {path}: {NOT_YET_APPLIED[path]}")


def _setting_json(setting: LocalSetting) -> dict[str, Any]:
    return {
        "id": setting.id,
        "jurisdiction": setting.jurisdiction,
        "path": setting.path,
        "value": setting.value,
        "effective_from": setting.effective_from.isoformat(),
        "effective_until": fmt_date(setting.until, "") or None,
        "source_text": setting.source_text,
        "set_by": setting.set_by,
        "updated_at": setting.updated_at.isoformat(),
    }


@policy.command("set")
@click.argument("code")
@click.argument("path")
@click.argument("value")
@click.option(
    "--from", "effective_from", type=DATE, required=True, help="First day in effect (YYYY-MM-DD)."
)
@click.option("--until", type=DATE, default=None, help="Last day in effect (default: open).")
@click.option(
    "--source",
    "source_text",
    required=True,
    help="The document that sets the value: issuer, title, number, date.",
)
@token_option
@json_option
def policy_set(
    code: str,
    path: str,
    value: str,
    effective_from: dt.date,
    until: dt.date | None,
    source_text: str,
    token: str | None,
    as_json: bool,
) -> None:
    """Record a local setting: VALUE for PATH at jurisdiction CODE, citing its source.

    VALUE is read as JSON when it parses (800, 1.5, true, '"county"', '["medical"]'), otherwise
    as plain text. It is checked against the catalog, your role and jurisdiction, and the
    plugins' rules (e.g. Yunnan: the tekun standard is at least 1.3 × the urban dibao standard);
    a rejected value writes nothing. Every accepted value is audited (who, when, before, after).
    """
    from core.policy.local_store import audit_log

    parsed = parse_value(value)
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        setting = runtime.provider.set_local_parameter(
            session, user, code, path, parsed, effective_from, until, source_text
        )
        registry = runtime.provider.plugin_base.registry
        entry = next(
            (
                e
                for e in audit_log(session, user, setting.jurisdiction, registry, limit=20)
                if e.setting_id == setting.id
            ),
            None,
        )
    spec = plugin_policy().catalog.spec(setting.path)
    before = None if entry is None else entry.old_value
    if as_json:
        emit_json(
            {
                **_setting_json(setting),
                "previous_value": before,
                "previous_origin": None if entry is None else entry.old_origin,
            }
        )
        return
    unit = fmt_unit(spec.unit)
    until_text = "open-ended" if setting.until is None else f"until {setting.until}"
    j = registry.get(setting.jurisdiction)
    click.echo(
        f"set {setting.path} = {fmt_value(setting.value)}{' ' + unit if unit else ''} at "
        f"{fmt_place(j)} from {setting.effective_from} ({until_text})"
    )
    click.echo(f"  source: {setting.source_text}")
    click.echo(f"  by:     {user.name} ({user.role.value} at {user.jurisdiction})")
    if entry is not None:
        origin = f" ({entry.old_origin})" if entry.old_origin else ""
        click.echo(f"  before: {fmt_value(entry.old_value, entry.old_value is not None)}{origin}")


@policy.command("local")
@click.argument("code")
@token_option
@json_option
def policy_local(code: str, token: str | None, as_json: bool) -> None:
    """Local settings recorded at CODE and under it (needs a token with CODE in scope)."""
    from core.policy.local_store import list_local_settings

    with open_database(create=False) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        found = list_local_settings(session, user, code, load_registry())
    if as_json:
        emit_json([_setting_json(x) for x in found])
        return
    where = load_registry().get(code)
    click.echo(f"{len(found)} local setting{'s' if len(found) != 1 else ''} at {fmt_place(where)}")
    if found:
        rows = [
            [
                x.jurisdiction,
                x.path,
                truncate(fmt_value(x.value)),
                x.effective_from.isoformat(),
                fmt_date(x.until, "open"),
                truncate(x.source_text),
                x.set_by,
            ]
            for x in found
        ]
        click.echo(table(["CODE", "PATH", "VALUE", "FROM", "UNTIL", "SOURCE", "SET BY"], rows))


@policy.command("audit")
@click.argument("code")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10000))
@token_option
@json_option
def policy_audit(code: str, limit: int, token: str | None, as_json: bool) -> None:
    """Who set which local value at CODE and under it, when, and what it replaced (newest first)."""
    from core.policy.local_store import audit_log

    with open_database(create=False) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        found = audit_log(session, user, code, load_registry(), limit=limit)
    if as_json:
        emit_json(
            [
                {
                    "id": e.id,
                    "at": e.at.isoformat(),
                    "user": e.user,
                    "role": e.role,
                    "setting_id": e.setting_id,
                    "jurisdiction": e.jurisdiction,
                    "path": e.path,
                    "effective_from": e.effective_from.isoformat(),
                    "effective_until": fmt_date(e.until, "") or None,
                    "old_value": e.old_value,
                    "old_origin": e.old_origin,
                    "new_value": e.new_value,
                    "source_text": e.source_text,
                }
                for e in found
            ]
        )
        return
    where = load_registry().get(code)
    click.echo(f"{len(found)} audit entr{'ies' if len(found) != 1 else 'y'} at {fmt_place(where)}")
    if found:
        rows = [
            [
                e.at.strftime("%Y-%m-%d %H:%M:%S"),
                f"{e.user} ({e.role})",
                e.jurisdiction,
                e.path,
                e.effective_from.isoformat(),
                truncate(fmt_value(e.old_value, e.old_value is not None), 24),
                truncate(fmt_value(e.new_value), 24),
            ]
            for e in found
        ]
        click.echo(table(["AT (UTC)", "USER", "CODE", "PATH", "FROM", "BEFORE", "AFTER"], rows))
