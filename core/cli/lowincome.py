"""``doudi lowincome``: the low-income register (低收入人口) — recognise a person, tag, flag a
changed fact, re-assess (annual or after a flag), exit, show and list (by category, tag,
flagged, due for re-assessment). The roster goes through ``doudi households roster CODE
low_income``.

Every command acts as a user (``--token`` or ``$DOUDI_TOKEN``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from core.cli.database import acting_user, open_database
from core.cli.output import DATE, emit_json, json_option, table, token_option
from core.policy.service import today


def _int(text: str) -> int:
    from core.lowincome.store import NotOnRegister

    if text.isascii() and text.isdigit() and len(text) < 19:
        return int(text)
    raise NotOnRegister(f"no low-income register entry {text!r}")


def _entry_json(e: Any) -> dict[str, Any]:
    return {
        "id": e.id,
        "idNumber": e.id_number,
        "name": e.name,
        "county": e.county,
        "status": e.status,
        "recognisedOn": e.recognised_on.isoformat(),
        "nextAssessment": e.next_assessment.isoformat() if e.next_assessment else None,
        "flagged": e.flagged,
        "version": e.version,
        **e.document,
    }


def _echo(e: Any) -> None:
    tags = ", ".join(e.tags) or "-"
    click.echo(
        f"entry {e.id}: {e.name} {e.id_number} ({e.county}) {e.status}; categories "
        f"{', '.join(e.categories)}; tags {tags}; next re-assessment "
        f"{e.next_assessment or '-'}" + ("; FLAGGED" if e.flagged else "")
    )


@click.group()
def lowincome() -> None:
    """The low-income register (低收入人口): recognition, tags, monitoring flags,
    re-assessment, exits."""


@lowincome.command("categories")
def lowincome_categories() -> None:
    """The recognition categories (core and plugins) and the tags."""
    from core.exchange.installed import low_income_categories
    from core.lowincome.model import TAGS

    rows = [
        [c.id, c.title_zh, c.mark or "-", c.plugin or "core", c.source]
        for c in low_income_categories().values()
    ]
    click.echo(table(["category", "类别", "warning mark", "from", "source"], rows))
    click.echo("tags: " + ", ".join(TAGS))


@lowincome.command("recognise")
@click.option("--id-number", required=True)
@click.option("--name", required=True)
@click.option("--county", required=True)
@click.option("--category", "categories", multiple=True, required=True)
@click.option("--decision", required=True, help="The recognition decision (认定决定).")
@click.option("--number", default="", help="The decision's number.")
@click.option("--tag", "tags", multiple=True)
@click.option("--on", "on", type=DATE, default=None)
@token_option
@json_option
def lowincome_recognise(
    id_number: str,
    name: str,
    county: str,
    categories: tuple[str, ...],
    decision: str,
    number: str,
    tags: tuple[str, ...],
    on: dt.date | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Record a person's low-income recognition (categories, decision, date, tags)."""
    from core.exchange.installed import low_income_categories
    from core.lowincome.store import recognise

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        e = recognise(
            session,
            user,
            runtime.policy.registry,
            low_income_categories(),
            id_number=id_number,
            name=name,
            county=county,
            categories=categories,
            on=on or today(),
            decision=decision,
            decision_number=number,
            tags=tags,
        )
    emit_json(_entry_json(e)) if as_json else _echo(e)


@lowincome.command("show")
@click.argument("entry_id")
@token_option
@json_option
def lowincome_show(entry_id: str, token: str | None, as_json: bool) -> None:
    """One register entry with its history."""
    from core.lowincome.store import get_entry

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        e, events = get_entry(session, user, runtime.policy.registry, _int(entry_id))
    if as_json:
        emit_json({**_entry_json(e), "events": events})
        return
    _echo(e)
    for ev in events:
        click.echo(f"  {ev['on']} {ev['action']}")


@lowincome.command("list")
@click.argument("code")
@click.option("--category", default=None)
@click.option("--tag", default=None)
@click.option("--flagged", is_flag=True, help="Only those flagged for re-assessment.")
@click.option("--due", "due_by", type=DATE, default=None, help="Re-assessment due by this date.")
@token_option
@json_option
def lowincome_list(
    code: str,
    category: str | None,
    tag: str | None,
    flagged: bool,
    due_by: dt.date | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Active register entries at CODE and under it."""
    from core.lowincome.store import list_entries

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        entries = list_entries(
            session,
            user,
            runtime.policy.registry,
            code,
            category=category,
            tag_=tag,
            flagged=True if flagged else None,
            due_by=due_by,
        )
    if as_json:
        emit_json([_entry_json(e) for e in entries])
        return
    rows = [
        [
            str(e.id),
            e.name,
            e.county,
            ",".join(e.categories),
            ",".join(e.tags) or "-",
            str(e.next_assessment or "-"),
            "yes" if e.flagged else "",
        ]
        for e in entries
    ]
    click.echo(table(["id", "name", "county", "categories", "tags", "next", "flagged"], rows))


@lowincome.command("tag")
@click.argument("entry_id")
@click.argument("tag")
@click.option("--on", "on", type=DATE, default=None)
@token_option
def lowincome_tag(entry_id: str, tag: str, on: dt.date | None, token: str | None) -> None:
    """Set one of the six tags (标记) on a register entry."""
    from core.lowincome.store import tag as set_tag

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        e = set_tag(session, user, runtime.policy.registry, _int(entry_id), tag, on or today())
    _echo(e)


@lowincome.command("flag")
@click.argument("entry_id")
@click.option("--reason", required=True, help="What changed.")
@click.option("--on", "on", type=DATE, default=None)
@token_option
def lowincome_flag(entry_id: str, reason: str, on: dt.date | None, token: str | None) -> None:
    """Flag a register entry for re-assessment because a fact changed (动态监测)."""
    from core.exchange.installed import low_income_categories
    from core.lowincome.store import flag

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        e = flag(session, user, runtime.policy.registry, low_income_categories(),
                 _int(entry_id), on or today(), reason)  # fmt: skip
    _echo(e)


@lowincome.command("reassess")
@click.argument("entry_id")
@click.option("--category", "categories", multiple=True, help="The categories now (default: kept).")
@click.option("--home-visit", is_flag=True, help="The re-assessment included a home visit.")
@click.option("--note", default="")
@click.option("--on", "on", type=DATE, default=None)
@token_option
def lowincome_reassess(
    entry_id: str,
    categories: tuple[str, ...],
    home_visit: bool,
    note: str,
    on: dt.date | None,
    token: str | None,
) -> None:
    """Record a re-assessment: clears the flag, the next one is due a year later."""
    from core.exchange.installed import low_income_categories
    from core.lowincome.store import reassess

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        e = reassess(
            session,
            user,
            runtime.policy.registry,
            low_income_categories(),
            _int(entry_id),
            on or today(),
            categories=list(categories) or None,
            home_visit=home_visit,
            note=note,
        )
    _echo(e)


@lowincome.command("exit")
@click.argument("entry_id")
@click.option("--reason", required=True)
@click.option("--on", "on", type=DATE, default=None)
@token_option
def lowincome_exit(entry_id: str, reason: str, on: dt.date | None, token: str | None) -> None:
    """Take a person off the register, with the reason."""
    from core.lowincome.store import exit_register

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        e = exit_register(session, user, runtime.policy.registry, _int(entry_id),
                          on or today(), reason)  # fmt: skip
    _echo(e)
