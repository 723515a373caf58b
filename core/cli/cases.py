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
import inspect
import json
import re
import typing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from functools import cache
from typing import Any

import click

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

PROGRAMS = ("dibao", "tekun", "temporary")
STATES = (
    "accepted",
    "investigated",
    "first_reviewed",
    "in_publicity",
    "active",
    "phasing_out",
    "exited",
    "rejected",
    "assisted",
    "granted",
)
# Inputs of a step that the command line does not take: the store reads the stored household.
STORED_INPUTS = frozenset({"household"})


@contextmanager
def _coded() -> Iterator[None]:
    """A refusal as ``CODE: message`` (the code the API shows), exit 1."""
    try:
        yield
    except DoudiError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None


def _snake(name: str) -> str:
    """``recordInvestigation`` / ``monthlyAmount`` (the API's names) → snake_case."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name.strip()).lower().replace("-", "_")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


# -- the inputs of each step, read from its signature --------------------------------------------


@cache
def action_inputs(action: str) -> dict[str, tuple[str, bool]]:
    """The inputs ``action`` takes on the command line: name → (kind, required), kind one of
    "list" (repeat the key, or give a JSON list), "bool", "int", "amount", "text"."""
    from core.cases import ACTIONS

    fn = ACTIONS[action]
    hints = typing.get_type_hints(fn)
    out: dict[str, tuple[str, bool]] = {}
    for p in inspect.signature(fn).parameters.values():
        if p.kind is not inspect.Parameter.KEYWORD_ONLY or p.name in STORED_INPUTS:
            continue
        out[p.name] = (_kind(hints[p.name]), p.default is inspect.Parameter.empty)
    return out


def _kind(hint: Any) -> str:
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (Sequence, list, tuple):
        return "list"
    if hint is bool:
        return "bool"
    if Decimal in args:
        return "amount"
    if hint is int or int in args:
        return "int"
    return "text"


def _usage(action: str) -> str:
    parts = []
    for name, (kind, required) in action_inputs(action).items():
        shown = "TEXT (repeatable)" if kind == "list" else kind.upper()
        text = f"{_camel(name)}={shown}"
        parts.append(text if required else f"[{text}]")
    return " ".join(parts) or "(no inputs)"


def parse_inputs(action: str, pairs: Sequence[str]) -> dict[str, Any]:
    """``key=value`` pairs as the keyword inputs of ``action`` (INVALID_INPUT naming the key
    for an unknown key, a value of the wrong kind or a missing required input)."""
    spec = action_inputs(action)
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        name = _snake(key)
        if not sep or not key.strip():
            raise InvalidInput(f"--input {pair!r}: write key=value")
        if name not in spec:
            allowed = ", ".join(_camel(n) for n in spec) or "none"
            raise InvalidInput(f"{key}: {action} takes no such input (it takes: {allowed})")
        kind = spec[name][0]
        if kind == "list":
            out.setdefault(name, []).extend(_list(key, raw))
            continue
        if name in out:
            raise InvalidInput(f"{key}: given twice")
        out[name] = _scalar(key, kind, raw)
    missing = [_camel(n) for n, (_, required) in spec.items() if required and n not in out]
    if missing:
        raise InvalidInput(
            f"{missing[0]}: {action} needs --input {missing[0]}=... (inputs: {_usage(action)})"
        )
    return out


def _list(key: str, raw: str) -> list[str]:
    if raw.strip().startswith("["):
        try:
            value = json.loads(raw)
        except ValueError:
            raise InvalidInput(f"{key}: not a JSON list: {raw!r}") from None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidInput(f"{key}: a JSON list of texts, not {raw!r}")
        return value
    return [raw]


def _scalar(key: str, kind: str, raw: str) -> Any:
    if kind == "bool":
        word = raw.strip().lower()
        if word in ("true", "yes", "1"):
            return True
        if word in ("false", "no", "0"):
            return False
        raise InvalidInput(f"{key}: true or false, not {raw!r}")
    if kind == "int":
        if not re.fullmatch(r"[+-]?\d{1,9}", raw.strip()):
            raise InvalidInput(f"{key}: a whole number, not {raw!r}")
        return int(raw)
    return raw  # amounts are checked by the step itself (finite, positive, to the fen)


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
@json_option
def cases_actions(as_json: bool) -> None:
    """The steps `doudi cases act` takes, with their inputs."""
    from core.cases import ACTIONS

    if as_json:
        emit_json(
            {
                name: {
                    _camel(k): {"kind": kind, "required": req}
                    for k, (kind, req) in action_inputs(name).items()
                }
                for name in ACTIONS
            }
        )
        return
    rows = [[name, _usage(name)] for name in ACTIONS]
    click.echo(table(["ACTION", "INPUTS (--input key=value)"], rows))


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
    help="An input of the step (repeatable; see `doudi cases actions`), e.g. "
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
    from core.cases import ACTIONS, case_to_json
    from core.cases.store import apply_transition

    name = _snake(action)
    with _coded():
        if name not in ACTIONS:
            raise InvalidInput(
                f"unknown case action '{action}'; one of {', '.join(ACTIONS)} "
                "(`doudi cases open` opens a case)"
            )
        inputs = parse_inputs(name, pairs)

    def work(runtime: Any, session: Any, user: Any) -> Any:
        now = today()
        return apply_transition(
            session, runtime.policy, _case_id(case_id), expected_version, name, user,
            on or now, not_after=now, **inputs,
        )  # fmt: skip

    case, event = _run(work, policy=True, token=token)
    if as_json:
        emit_json(case_to_json(case))
        return
    click.echo(f"{name}: {event.from_state} → {event.to_state}")
    for r in event.document.get("reasons") or []:
        click.echo(f"  - {r}")
    click.echo("\n".join(_case_lines(case)))


@cases.command("open")
@click.argument("household_id", type=int)
@click.argument("program", type=click.Choice(PROGRAMS))
@click.option("--on", "on", type=DATE, default=None, help="Day of acceptance; default today.")
@click.option(
    "--near-relative",
    "near_relatives",
    multiple=True,
    metavar="USER_ID=RELATION",
    help="A staff member the applicant is a near relative of (repeatable), e.g. 12=parent.",
)
@click.option("--amount", default=None, help="temporary: the amount asked (yuan, once).")
@click.option(
    "--kind",
    type=click.Choice(("emergency", "expenditure")),
    default=None,
    help="temporary: emergency (急难型, default) or expenditure (支出型).",
)
@token_option
@json_option
def cases_open(
    household_id: int,
    program: str,
    on: dt.date | None,
    near_relatives: tuple[str, ...],
    amount: str | None,
    kind: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Accept an application (受理, submitApplication) of stored household HOUSEHOLD_ID for
    PROGRAM; village clerks and township officers."""
    from core.cases import case_to_json
    from core.cases.store import open_case

    inputs: dict[str, Any] = {}
    with _coded():
        relatives = []
        for pair in near_relatives:
            uid, sep, relation = pair.partition("=")
            if not sep or not uid.strip().isdigit() or not relation.strip():
                raise InvalidInput(f"nearRelatives: write USER_ID=RELATION, not {pair!r}")
            relatives.append({"userId": int(uid), "relation": relation.strip()})
        if relatives:
            inputs["near_relatives"] = relatives
        if program == "temporary":
            inputs["amount"] = amount
            inputs["kind"] = kind or "emergency"
        elif amount is not None or kind is not None:
            raise InvalidInput("amount and kind are for temporary assistance only")

    def work(runtime: Any, session: Any, user: Any) -> Any:
        now = today()
        return open_case(
            session, runtime.policy, user, on or now, household_id=household_id,
            program=program, not_after=now, **inputs,
        )  # fmt: skip

    case, event = _run(work, policy=True, token=token)
    if as_json:
        emit_json(case_to_json(case))
        return
    for r in event.document.get("reasons") or []:
        click.echo(f"  - {r}")
    click.echo("\n".join(_case_lines(case)))


__all__ = ["action_inputs", "cases", "parse_inputs"]
