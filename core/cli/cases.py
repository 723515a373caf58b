"""``doudi cases``: the case workflow from the command line, with the API's rules.

Every command acts as the user of ``--token`` / ``$DOUDI_TOKEN`` on the configured database.
Steps go through :func:`core.cases.store.apply_transition` like the GraphQL mutations: who may
act, the version read (``--expected-version``), the date (``--on``: not in the future, not before
the case's last step) and the step's own rules are checked, and a refused step writes nothing.
A refusal is one line ``doudi: error: CODE: message`` (exit 1), with the code the API gives in
``userErrors`` (WRONG_LEVEL, VERSION_CONFLICT, ...).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from core.cases.actions import OPEN, Input, Kind, snake
from core.cases.model import PROGRAMS, CaseState
from core.cli.database import acting_user, open_database
from core.cli.output import (
    DATE,
    emit_json,
    fmt_place,
    indent_lines,
    json_option,
    table,
    token_option,
    truncate,
)
from core.errors import DoudiError, InvalidInput
from core.policy.jurisdictions import load_registry
from core.policy.service import today

if TYPE_CHECKING:
    from core.cases.actions import ActionSpec

STATES = tuple(s.value for s in CaseState)


@contextmanager
def _coded() -> Iterator[None]:
    """A refusal as ``CODE: message`` (the code the API shows), exit 1."""
    try:
        yield
    except DoudiError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None


# -- the inputs of each action, from its spec (core.cases.actions) -------------------------------


def parse_inputs(action: str, pairs: Sequence[str]) -> dict[str, Any]:
    """``key=value`` pairs as the keyword inputs of ``action``, checked by its spec as the API
    checks its arguments (INVALID_INPUT naming the key for an unknown key, a value of the wrong
    kind or a missing required input)."""
    from core.cases.actions import SPECS

    spec = SPECS[action]
    given: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"--input {pair!r}: write key=value")
        i = spec.input(key)
        if i is None:
            raise spec.unknown(snake(key))
        value = i.from_text(raw)
        if isinstance(value, list):  # repeat the key for more names or records
            given.setdefault(i.name, []).extend(value)
            continue
        if i.name in given:
            raise InvalidInput(f"{key}: given twice")
        given[i.name] = value
    return spec.prepare(given)


def spec_json(spec: ActionSpec) -> dict[str, Any]:
    """An action's spec as ``doudi cases actions --json`` prints it."""
    inputs: dict[str, Any] = {}
    for i in spec.inputs:
        entry: dict[str, Any] = {
            "kind": i.kind.value,
            "required": i.required,
            "description": i.description,
        }
        if i.choices:
            entry["choices"] = list(i.choices)
        if i.record is not None:
            entry["fields"] = {f.key: f.kind.value for f in i.record.fields}
        if i.programs:
            entry["programs"] = list(i.programs)
        if i.deprecated:
            entry["deprecated"] = i.deprecated
        inputs[i.key] = entry
    return {
        "mutation": spec.graphql_name,
        "description": spec.description,
        "roles": [r.value for r in spec.roles],
        "byLevel": spec.by_level,
        "states": {p: [s.value for s in states] for p, states in spec.states.items()},
        "readsHousehold": spec.household,
        "inputs": inputs,
        "errors": dict(spec.errors),
    }


def _who(spec: ActionSpec) -> str:
    roles = " or ".join(r.value for r in spec.roles)
    return f"{roles}, at the level the policy names" if spec.by_level else roles


_SHORT_ROLES = {
    "village_clerk": "village",
    "township_officer": "township",
    "county_approver": "county",
}


def _short_who(spec: ActionSpec) -> str:
    roles = "/".join(_SHORT_ROLES.get(r.value, r.value) for r in spec.roles)
    return f"{roles} (policy's level)" if spec.by_level else roles


def _inputs_usage(spec: ActionSpec) -> str:
    if not spec.opens:
        return spec.usage
    options = []
    for i in spec.inputs:
        if i.name in _OPEN_ARGUMENTS:
            continue
        value = i.usage.partition("=")[2].removesuffix(" (repeatable)")
        options.append(f"[{_flag(i)} {value}]")
    return "(doudi cases open) HOUSEHOLD_ID PROGRAM " + " ".join(options)


def _where(spec: ActionSpec) -> str:
    if spec.opens:
        return "a stored household (the case starts accepted)"
    groups: dict[tuple[CaseState, ...], list[str]] = {}
    for program, states in spec.states.items():
        groups.setdefault(tuple(states), []).append(program)
    return "; ".join(
        f"{', '.join(programs)}: {', '.join(s.value for s in states)}"
        for states, programs in groups.items()
    )


def markdown() -> str:
    """The reference of every case action (``docs/case-actions.md``), from the specs."""
    from core.cases.actions import CASE_ACTIONS, COMMON_ERRORS

    out = [
        "# Case actions",
        "",
        "<!-- Generated from core/cases/actions.py by `doudi cases actions --markdown`; "
        "a test keeps it current. -->",
        "",
        "Every action of the case workflow, as the GraphQL mutation and the command line take "
        "it (`doudi cases open` for the first, `doudi cases act ID ACTION --expected-version N "
        "--input key=value ...` for the others). Each step on a stored case also takes `id`, "
        "`expectedVersion` and `on` (the day of the step: not in the future, not before the "
        "case's last step); a refusal is a `userError` with its code (`doudi: error: CODE: "
        "message` on the command line) and writes nothing.",
        "",
        "| Action | Mutation | Who | Programs and states | Inputs |",
        "|---|---|---|---|---|",
    ]
    for spec in CASE_ACTIONS:
        inputs = ", ".join(f"`{i.key}`" if i.required else f"[`{i.key}`]" for i in spec.inputs)
        out.append(
            f"| `{spec.name}` | `{spec.graphql_name}` | {_who(spec)} | {_where(spec)} | "
            f"{inputs or '-'} |"
        )
    for spec in CASE_ACTIONS:
        out += ["", f"## `{spec.name}` (`{spec.graphql_name}`)", "", spec.description, ""]
        out.append(f"- Who: {_who(spec)}.")
        out.append(f"- Where: {_where(spec)}.")
        if spec.household:
            out.append("- Reads the stored household (evaluated again or checked).")
        if spec.inputs:
            out += ["", "| Input | Type | Required | Description |", "|---|---|---|---|"]
            for i in spec.inputs:
                kind = i.kind.value + (f" ({' / '.join(i.choices)})" if i.choices else "")
                if i.record is not None:
                    kind += " of " + ", ".join(f"{f.key}: {f.kind.value}" for f in i.record.fields)
                note = f" Deprecated: {i.deprecated}." if i.deprecated else ""
                if i.programs:
                    note += f" Only for {' and '.join(i.programs)}."
                required = "yes" if i.required else "no"
                out.append(f"| `{i.key}` | {kind} | {required} | {i.description}{note} |")
        errors = {**({} if spec.opens else COMMON_ERRORS), **spec.errors}
        if errors:
            pointed = ", ".join(f"{code} → `{field}`" for code, field in errors.items())
            out += ["", f"Refusals pointing at an input: {pointed}."]
    return "\n".join(out) + "\n"


# -- output --------------------------------------------------------------------------------------


def _case_lines(case: Any) -> list[str]:
    from core.cases import case_to_json

    registry = load_registry()
    data = case_to_json(case)["data"]
    lines = [
        f"case {case.id}: {case.program} at {fmt_place(registry.get(case.county))}, "
        f"{case.state.value} (version {case.version})",
        f"  household:    {case.household_id}",
    ]

    def row(label: str, value: Any) -> None:
        if value not in (None, "", [], {}):
            lines.append(f"  {label + ':':<13} {value}")

    row("opened", data.get("openedOn"))
    row("benefit from", data.get("benefitFrom"))
    if data.get("amount") is not None:
        unit = "yuan, once" if case.program == "temporary" else "yuan/month"
        row("amount", f"{data['amount']} {unit}")
    row("amounts", "; ".join(f"from {a['from']}: {a['amount']}" for a in data.get("amounts", [])))
    exit_ = data.get("exit") or {}
    if exit_:
        row("exit", f"{exit_.get('reason')} on {exit_.get('on')} (last month {exit_['lastMonth']})")
    pending = []
    if data.get("headChangeRequired"):
        due = data.get("headChangeDue")
        pending.append("head and account change" + (f" (due {due})" if due else ""))
    if data.get("recheckBy"):
        pending.append(f"re-check by {data['recheckBy']}")
    if data.get("paperworkDue"):
        pending.append("paperwork after assistance first")
    spot = data.get("spotCheck") or {}
    if spot.get("selected") and not spot.get("done"):
        pending.append("county spot-check")
    row("pending", "; ".join(pending))
    lines.append("  data:")
    lines.append(indent_lines(json.dumps(data, ensure_ascii=False, indent=2), "    "))
    return lines


def _event_json(e: Any) -> dict[str, Any]:
    return {**e.document, "hash": e.hash, "prevHash": e.prev_hash}


def _run(work: Callable[[Any, Any, Any], Any], *, policy: bool, token: str | None) -> Any:
    """``work(runtime, session, user)`` on the configured database as the token's user
    (``policy``: with the merged policy loaded, for steps)."""
    with (
        _coded(),
        open_database(create=False, policy=policy) as runtime,
        runtime.sessions() as session,
    ):
        return work(runtime, session, acting_user(session, token))


def _case_id(raw: str) -> int:
    if raw.isascii() and raw.isdigit() and len(raw) < 19:
        return int(raw)
    raise InvalidInput(f"no case with id {raw!r}")


# -- commands ------------------------------------------------------------------------------------


@click.group()
def cases() -> None:
    """Cases (dibao, tekun, temporary): open, act, read (token: --token or $DOUDI_TOKEN).

    Each step checks who may act, the version you read (--expected-version), the date (--on:
    not in the future, not before the case's last step) and its own rules, as the API does;
    a refusal prints `doudi: error: CODE: message` and writes nothing.
    """


@cases.command("list")
@click.argument("code")
@click.option("--program", type=click.Choice(PROGRAMS), default=None)
@click.option("--state", type=click.Choice(STATES), default=None)
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@click.option("--after", "after", type=int, default=None, help="Only cases with a larger id.")
@token_option
@json_option
def cases_list(
    code: str,
    program: str | None,
    state: str | None,
    limit: int,
    after: int | None,
    token: str | None,
    as_json: bool,
) -> None:
    """The cases at CODE and under it, oldest first."""
    from core.access.roles import Action, authorize
    from core.cases import case_to_json
    from core.cases.store import list_cases

    registry = load_registry()

    def work(runtime: Any, session: Any, user: Any) -> Any:
        authorize(user, Action.READ_HOUSEHOLDS, code, registry)
        where = registry.get(code).code
        found = list_cases(
            session,
            program=program,
            state=state,
            limit=limit,
            within=(where, registry),
            after=after,
        )
        return where, found

    where, found = _run(work, policy=False, token=token)
    if as_json:
        emit_json([case_to_json(c) for c in found])
        return
    n = len(found)
    click.echo(f"{n} case{'s' if n != 1 else ''} at {fmt_place(registry.get(where))}")
    if found:
        rows = [
            [
                str(c.id),
                c.program,
                c.state.value,
                str(c.version),
                str(c.household_id),
                c.county,
                str(c.data.get("openedOn", "-")),
                str(c.data.get("amount", "-")),
            ]
            for c in found
        ]
        click.echo(
            table(
                ["ID", "PROGRAM", "STATE", "VERSION", "HOUSEHOLD", "COUNTY", "OPENED", "AMOUNT"],
                rows,
            )
        )


@cases.command("show")
@click.argument("case_id", metavar="ID")
@token_option
@json_option
def cases_show(case_id: str, token: str | None, as_json: bool) -> None:
    """One case: its state, version (pass it as --expected-version), amounts and data."""
    from core.cases import case_to_json
    from core.cases.store import read_case

    registry = load_registry()

    def work(runtime: Any, session: Any, user: Any) -> Any:
        return read_case(session, user, _case_id(case_id), registry)

    case = _run(work, policy=False, token=token)
    if as_json:
        emit_json(case_to_json(case))
        return
    click.echo("\n".join(_case_lines(case)))


@cases.command("history")
@click.argument("case_id", metavar="ID")
@token_option
@json_option
def cases_history(case_id: str, token: str | None, as_json: bool) -> None:
    """A case's audit trail, oldest first: who did what, when, from which state to which."""
    from core.cases.store import list_events, read_case

    registry = load_registry()

    def work(runtime: Any, session: Any, user: Any) -> Any:
        case = read_case(session, user, _case_id(case_id), registry)
        return list_events(session, case.id)

    events = _run(work, policy=False, token=token)
    if as_json:
        emit_json([_event_json(e) for e in events])
        return
    rows = []
    for e in events:
        actor = e.document.get("actor") or {}
        rows.append(
            [
                str(e.seq),
                str(e.document.get("on", "")),
                e.action,
                f"{e.from_state or '-'} → {e.to_state}",
                f"{actor.get('name', '')} ({actor.get('role', '')})",
                truncate("; ".join(e.document.get("reasons") or []), 60),
            ]
        )
    click.echo(f"{len(events)} event{'s' if len(events) != 1 else ''} of case {case_id}")
    click.echo(table(["SEQ", "ON", "ACTION", "STATES", "WHO", "REASONS"], rows))


@cases.command("actions")
@click.argument("action", required=False)
@json_option
@click.option(
    "--markdown",
    "as_markdown",
    is_flag=True,
    help="The reference of every action in Markdown (docs/case-actions.md).",
)
def cases_actions(action: str | None, as_json: bool, as_markdown: bool) -> None:
    """The case actions with their inputs, who takes them and where (one: its whole spec)."""
    from core.cases.actions import CASE_ACTIONS

    if as_markdown:
        click.echo(markdown(), nl=False)
        return
    specs = list(CASE_ACTIONS)
    if action is not None:
        with _coded():
            specs = [_spec(action, opening=True)]
    if as_json:
        emit_json({spec.name: spec_json(spec) for spec in specs})
        return
    if action is None:
        rows = [[spec.name, _short_who(spec), _inputs_usage(spec)] for spec in specs]
        click.echo(table(["ACTION", "WHO", "INPUTS (--input key=value)"], rows))
        return
    spec = specs[0]
    click.echo(f"{spec.name} (GraphQL {spec.graphql_name})")
    click.echo(f"  {spec.description}")
    click.echo(f"  who:    {_who(spec)}")
    click.echo(f"  where:  {_where(spec)}")
    for i in spec.inputs:
        flag = "required" if i.required else "optional"
        click.echo(f"  --input {i.usage} ({flag}): {i.description}")
    if not spec.inputs:
        click.echo("  no inputs")


def _spec(action: str, *, opening: bool = False) -> ActionSpec:
    """The spec of ``action`` (its name or its mutation's, in any case style)."""
    from core.cases.actions import ACTIONS, CASE_ACTIONS

    wanted = snake(action)
    for spec in CASE_ACTIONS:
        if (opening or not spec.opens) and wanted in (spec.name, snake(spec.graphql_name)):
            return spec
    raise InvalidInput(
        f"unknown case action '{action}'; one of {', '.join(ACTIONS)} "
        "(`doudi cases open` opens a case)"
    )


@cases.command("act")
@click.argument("case_id", metavar="ID")
@click.argument("action")
@click.option(
    "--expected-version",
    "expected_version",
    type=int,
    required=True,
    help="The version you read (`doudi cases show`): refused if the case changed since.",
)
@click.option("--on", "on", type=DATE, default=None, help="The day of the step; default today.")
@click.option(
    "--input",
    "pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="An input of the step (repeatable; see `doudi cases actions ACTION`), e.g. "
    "investigators=张三 investigators=李四, passed=true, reason=death.",
)
@token_option
@json_option
def cases_act(
    case_id: str,
    action: str,
    expected_version: int,
    on: dt.date | None,
    pairs: tuple[str, ...],
    token: str | None,
    as_json: bool,
) -> None:
    """Take step ACTION (e.g. record_investigation or recordInvestigation) on case ID."""
    from core.cases import case_to_json
    from core.cases.store import apply_transition

    with _coded():
        spec = _spec(action)
        inputs = parse_inputs(spec.name, pairs)

    def work(runtime: Any, session: Any, user: Any) -> Any:
        now = today()
        return apply_transition(
            session, runtime.policy, _case_id(case_id), expected_version, spec.name, user,
            on or now, not_after=now, **inputs,
        )  # fmt: skip

    case, event = _run(work, policy=True, token=token)
    if as_json:
        emit_json(case_to_json(case))
        return
    click.echo(f"{spec.name}: {event.from_state} → {event.to_state}")
    for r in event.document.get("reasons") or []:
        click.echo(f"  - {r}")
    click.echo("\n".join(_case_lines(case)))


# `doudi cases open HOUSEHOLD_ID PROGRAM [options]`: the options are the opening's other inputs.
_OPEN_ARGUMENTS = ("household_id", "program")


def _flag(i: Input) -> str:
    """``near_relatives`` → ``--near-relative`` (a repeatable option is named for one item)."""
    name = i.name[:-1] if i.kind in (Kind.LIST, Kind.RECORDS) and i.name.endswith("s") else i.name
    return "--" + name.replace("_", "-")


def _open_options(f: Callable[..., None]) -> Callable[..., None]:
    for i in reversed([i for i in OPEN.inputs if i.name not in _OPEN_ARGUMENTS]):
        repeatable = i.kind in (Kind.LIST, Kind.RECORDS)
        # BOOL, INT, AMOUNT as `cases act` writes them (click lists the choices itself)
        metavar = None if i.choices else i.usage.partition("=")[2].removesuffix(" (repeatable)")
        f = click.option(
            _flag(i),
            i.name,
            multiple=repeatable,
            type=click.Choice(i.choices) if i.choices else None,
            default=None,
            metavar=metavar,
            help=i.description + (" Repeatable." if repeatable else ""),
        )(f)
    return f


@cases.command("open")
@click.argument("household_id", type=int)
@click.argument("program", type=click.Choice(PROGRAMS))
@click.option("--on", "on", type=DATE, default=None, help="Day of acceptance; default today.")
@_open_options
@token_option
@json_option
def cases_open(
    household_id: int,
    program: str,
    on: dt.date | None,
    token: str | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Accept an application (受理, submitApplication) of stored household HOUSEHOLD_ID for
    PROGRAM; village clerks and township officers."""
    from core.cases import case_to_json
    from core.cases.store import open_case

    with _coded():
        given: dict[str, Any] = {"household_id": household_id, "program": program}
        for name, raw in options.items():
            i = OPEN.input(name)
            assert i is not None  # the options are the spec's inputs
            if isinstance(raw, tuple):
                items = [v for r in raw for v in i.from_text(r)]
                given[name] = items or None
            elif raw is not None:
                given[name] = i.from_text(raw)
        inputs = OPEN.prepare(given)

    def work(runtime: Any, session: Any, user: Any) -> Any:
        now = today()
        return open_case(
            session, runtime.policy, user, on or now, not_after=now, **inputs
        )  # fmt: skip

    case, event = _run(work, policy=True, token=token)
    if as_json:
        emit_json(case_to_json(case))
        return
    for r in event.document.get("reasons") or []:
        click.echo(f"  - {r}")
    click.echo("\n".join(_case_lines(case)))


__all__ = ["cases", "markdown", "parse_inputs", "spec_json"]
