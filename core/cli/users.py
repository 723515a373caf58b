"""``doudi users``: officials, their roles and jurisdictions, and their tokens."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

import click

from core.policy.jurisdictions import load_registry
from core.settings import load_settings

if TYPE_CHECKING:  # the storage modules are imported when a command needs them (startup time)
    from core.access.roles import User

from core.cli.database import database_exists, open_database
from core.cli.output import emit_json, fmt_place, json_option, table

ROLES = (
    "village_clerk",
    "township_officer",
    "county_approver",
    "province_admin",
    "auditor",
    "analyst",
)


@click.group()
def users() -> None:
    """Officials who may use the database: a role, a jurisdiction and bearer tokens."""


def user_json(user: User) -> dict[str, Any]:
    j = load_registry().get(user.jurisdiction)
    return {
        "name": user.name,
        "role": user.role.value,
        "jurisdiction": j.code,
        "jurisdiction_name": j.name,
    }


def show_token(token: str) -> None:
    click.echo("token (shown once; only its hash is stored, keep it secret):")
    click.echo(token)


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may do.")
@click.option(
    "--jurisdiction",
    "code",
    required=True,
    metavar="CODE",
    help="GB/T 2260 code: the user acts on it and everything under it.",
)
@json_option
def users_add(name: str, role: str, code: str, as_json: bool) -> None:
    """Add a user and print their first token (once: only its hash is stored)."""
    from core.access.tokens import create_user

    registry = load_registry()
    registry.get(code)  # an unknown code fails before the database is touched
    with open_database(create=True) as runtime, runtime.sessions() as session:
        user, token = create_user(session, name, role, code, registry)
    if as_json:
        emit_json({"token": token, **user_json(user)})
        return
    j = registry.get(user.jurisdiction)
    click.echo(f"added user {user.name}: {user.role.value} at {fmt_place(j)}")
    show_token(token)


@users.command("list")
@json_option
def users_list(as_json: bool) -> None:
    """Active users with their role and jurisdiction (never their tokens)."""
    from core.access.tokens import list_users

    found: list[User] = []
    if database_exists(load_settings()):
        with open_database(create=False) as runtime, runtime.sessions() as session:
            found = list_users(session)
    if as_json:
        emit_json([user_json(u) for u in found])
        return
    if not found:
        click.echo("no users yet (`doudi users add NAME --role ROLE --jurisdiction CODE`)")
        return
    rows = [
        [u["name"], u["role"], f"{u['jurisdiction']} {u['jurisdiction_name']}"]
        for u in (user_json(x) for x in found)
    ]
    click.echo(table(["NAME", "ROLE", "JURISDICTION"], rows))


class LifetimeType(click.ParamType[dt.timedelta, Any]):
    """How long a token lives: a number of days (90d) or hours (12h)."""

    name = "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dt.timedelta):
            return value
        m = re.fullmatch(r"(\d{1,5})([dh])", str(value).strip())
        if m is None:
            self.fail(f"'{value}' is not a duration; write 90d (days) or 12h (hours)", param, ctx)
        n = int(m.group(1))
        return dt.timedelta(days=n) if m.group(2) == "d" else dt.timedelta(hours=n)


LIFETIME = LifetimeType()


@users.command("token")
@click.argument("name")
@click.option(
    "--calendar",
    "calendar_only",
    is_flag=True,
    help="A token that opens only the user's calendar feeds (/calendar/CODE.ics?token=...): "
    "the one to give a calendar app.",
)
@click.option(
    "--expires",
    "expires_in",
    type=LIFETIME,
    default=None,
    help="The token stops working after this long: 90d (days) or 12h (hours), at most 3650d; "
    "default: until revoked.",
)
@json_option
def users_token(
    name: str, calendar_only: bool, expires_in: dt.timedelta | None, as_json: bool
) -> None:
    """Issue a new token for user NAME (their other tokens stay valid)."""
    from core.access.roles import CALENDAR, FULL
    from core.access.tokens import issue_token, lifetime_end

    scope = CALENDAR if calendar_only else FULL
    expires_at = lifetime_end(expires_in)
    with open_database(create=False) as runtime, runtime.sessions() as session:
        token = issue_token(session, name, scope, expires_in=expires_in)
    until = None if expires_at is None else expires_at.isoformat(timespec="seconds")
    if as_json:
        emit_json({"name": name, "token": token, "scope": scope, "expiresAt": until})
        return
    click.echo(f"new {'calendar ' if calendar_only else ''}token for {name}")
    if until is not None:
        click.echo(f"expires: {until} (refused after, like a revoked token)")
    show_token(token)
    if calendar_only:
        click.echo("subscribe to: http://HOST:PORT/calendar/CODE.ics?token=<this token>")


@users.command("revoke")
@click.argument("name")
@click.option("--calendar", "calendar_only", is_flag=True, help="Revoke only the calendar tokens.")
def users_revoke(name: str, calendar_only: bool) -> None:
    """Revoke every token of user NAME (or only their calendar tokens)."""
    from core.access.roles import CALENDAR
    from core.access.tokens import revoke_tokens

    with open_database(create=False) as runtime, runtime.sessions() as session:
        n = revoke_tokens(session, name, CALENDAR if calendar_only else None)
    what = "calendar token" if calendar_only else "token"
    click.echo(f"revoked {n} {what}{'s' if n != 1 else ''} of {name}")


@users.command("passwd")
@click.argument("name")
@click.option(
    "--password-stdin",
    "from_stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts) instead of "
    "asking twice.",
)
def users_passwd(name: str, from_stdin: bool) -> None:
    """Set the password user NAME signs in to the console with (unlocks the account and ends
    their sessions)."""
    import datetime as dt
    import sys

    from core.access.accounts import set_password
    from core.access.signin import MIN_PASSWORD_LENGTH

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            f"new password for {name} (at least {MIN_PASSWORD_LENGTH} characters)",
            hide_input=True,
            confirmation_prompt="repeat it",
        )
    with open_database(create=False) as runtime, runtime.sessions() as session:
        user = set_password(session, name, password, dt.datetime.now(dt.UTC))
    click.echo(f"password set for {user.name}; their sessions have ended")
