"""The ``doudi`` command line: ask the merged policy, check plugin data, export schemas, serve,
manage the database, users and local settings, preview eligibility and load demo data.

Human-readable tables by default, ``--json`` for machines. Every expected error (unknown
jurisdiction or path, bad date, invalid data, unknown command) ends with a non-zero exit and one
line on stderr starting ``doudi: error:`` (policy data and household file errors add one line per
issue); usage errors exit 2, domain errors exit 1.

Storage: the database is the one :mod:`core.settings` configures (``DOUDI_DATA_DIR``,
``DOUDI_DATABASE_URL``). ``serve``, ``db upgrade``, ``users add`` and ``demo load`` create and
migrate it; the policy reads (get, show, compare, explain, violations, eligibility preview)
include its local settings when it exists and never create it (on a fresh machine they answer
from the plugins alone). Commands that act as a user take ``--token`` or ``$DOUDI_TOKEN``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.exceptions import NoArgsIsHelpError

from core.errors import DataIssue, DoudiError, InvalidInput, PolicyDataError
from core.plugin.hookspecs import PolicyFile
from core.plugin.manager import (
    ENTRY_POINT_GROUP,
    build_plugin_manager,
)
from core.policy import serialize
from core.policy.jurisdictions import NATIONAL_CODE, Jurisdiction, load_registry
from core.policy.loader import PolicyLoader, SourceFile, parse_text
from core.policy.model import DatedValue, Layer, LayerKind, LayerRef
from core.policy.resolution import ResolvedParameter
from core.policy.schema import dumps_schema
from core.policy.service import (
    PolicyBase,
    build_policy_base,
    catalog_with_programs,
    get_policy_base,
    today,
)
from core.settings import DATABASE_URL_ENV, SQLITE_FILE, Settings, load_settings

if TYPE_CHECKING:  # the storage modules are imported when a command needs them (startup time)
    from core.access.auth import User
    from core.eligibility import Decision
    from core.policy.local_settings import LocalSetting
    from core.runtime import Runtime

F = TypeVar("F", bound=Callable[..., Any])
TOKEN_ENV = "DOUDI_TOKEN"

POLICY_SUFFIXES = (".yaml", ".yml", ".json")
MAX_CELL = 48  # display columns of a value or source cell in a table (``--json`` is never cut)

# ----------------------------------------------------------------------------------------------
# Error handling: one line on stderr, no traceback
# ----------------------------------------------------------------------------------------------


def _error(message: str) -> None:
    click.echo(f"doudi: error: {message}", err=True)


def _usage_message(exc: click.UsageError) -> str:
    message = " ".join(exc.format_message().split("\n")).strip()
    if exc.ctx is not None:
        message = f"{message.rstrip('.')} (see '{exc.ctx.command_path} --help')"
    return message


def _domain_message(exc: DoudiError) -> str:
    """What the user reads for a domain error: refusals say what kind they are, and a rejected
    local setting names each broken rule on one line."""
    if exc.code == "CONSTRAINT_VIOLATION":
        problems = getattr(exc, "problems", ())
        if problems:
            rules = "; ".join(f"rule {p.rule_id} {p.message}" for p in problems)
            return f"rejected, nothing written: the value would break {rules}"
    if exc.code == "FORBIDDEN":
        return f"forbidden: {exc.message}"
    if exc.code == "UNAUTHENTICATED":
        return f"not authenticated: {exc.message}"
    return exc.message


class DoudiGroup(click.Group):
    """The top-level group: turns every expected error into ``doudi: error: ...`` and an exit."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        sys.exit(self._run(args, prog_name, complete_var, **extra))

    def _run(
        self,
        args: Sequence[str] | None,
        prog_name: str | None,
        complete_var: str | None,
        **extra: Any,
    ) -> int:
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except NoArgsIsHelpError as exc:
            exc.show()
            return exc.exit_code
        except click.UsageError as exc:
            _error(_usage_message(exc))
            return exc.exit_code
        except click.ClickException as exc:
            _error(exc.format_message())
            return exc.exit_code
        except click.Abort:
            _error("aborted")
            return 1
        except DoudiError as exc:
            _error(_domain_message(exc))
            return 1
        except BrokenPipeError:
            return 1
        except OSError as exc:
            what = f"{exc.strerror}: {exc.filename}" if exc.filename and exc.strerror else exc
            _error(str(what))
            return 1
        return rv if isinstance(rv, int) else 0


# ----------------------------------------------------------------------------------------------
# Options, dates and output helpers
# ----------------------------------------------------------------------------------------------


class DateType(click.ParamType):
    """A calendar date written strictly as YYYY-MM-DD."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dt.date):
            return value
        text = str(value)
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            self.fail(f"'{text}' is not a date; use YYYY-MM-DD (e.g. 2021-06-01)", param, ctx)
        try:
            return dt.date.fromisoformat(text)
        except ValueError as exc:
            self.fail(f"'{text}' is not a valid date ({exc})", param, ctx)


DATE = DateType()


def as_of_option(f: F) -> F:
    return click.option(
        "--as-of",
        "as_of",
        type=DATE,
        default=None,
        help="The date the policy is asked for (YYYY-MM-DD); default: today in China.",
    )(f)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON (UTF-8).")(f)


def _as_of(value: dt.date | None) -> dt.date:
    return value if value is not None else today()


def _base() -> PolicyBase:
    return get_policy_base()


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: CJK wide and full-width characters count twice."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def truncate(text: str, limit: int = MAX_CELL) -> str:
    """Cut ``text`` to at most ``limit`` display columns, ending with '…' if cut."""
    if display_width(text) <= limit:
        return text
    out, used = [], 0
    for ch in text:
        w = display_width(ch)
        if used + w > limit - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Columns aligned by display width (so Chinese text lines up), two spaces apart."""
    body = [list(r) for r in rows]
    widths = [display_width(h) for h in headers]
    for row in body:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], display_width(c))
    lines = []
    for row in [list(headers), ["-" * w for w in widths], *body]:
        cells = [pad(c, widths[i]) for i, c in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def fmt_value(value: Any, is_set: bool = True) -> str:
    if not is_set:
        return "not set"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) if value else "(none)"
    return str(value)


def fmt_place(j: Jurisdiction) -> str:
    return f"{j.code} {j.name}"


LOCAL_SETTING = "local setting"


def is_local(ref: LayerRef | None) -> bool:
    return ref is not None and ref.kind is LayerKind.LOCAL


def fmt_layer(ref: LayerRef | None) -> str:
    if ref is None:
        return "-"
    local = f"; {LOCAL_SETTING}" if is_local(ref) else ""
    return f"{fmt_place(ref.jurisdiction)} ({ref.jurisdiction.level.value}{local})"


def fmt_layer_long(ref: LayerRef) -> str:
    j = ref.jurisdiction
    if is_local(ref):
        return f"{fmt_place(j)} ({j.level.value}; {LOCAL_SETTING})"
    return f"{fmt_place(j)} ({j.level.value}; {ref.kind.value} '{ref.origin}', {ref.file})"


def fmt_cite(v: DatedValue | None) -> str:
    if v is None:
        return "-"
    d = v.source.document
    return f"{d.number or d.title} {v.source.section}".strip()


def fmt_date(d: dt.date | None, open_text: str = "-") -> str:
    return open_text if d is None else d.isoformat()


def fmt_unit(unit: str) -> str:
    return "" if unit in ("bool", "enum", "list") else unit


# ----------------------------------------------------------------------------------------------
# Storage: the configured database, the policy with its local settings, the acting user
# ----------------------------------------------------------------------------------------------


def _redact(url: str) -> str:
    """The database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _sqlite_file(settings: Settings) -> Path | None:
    """The SQLite file the settings point at (None: another database, or SQLite in memory)."""
    if not settings.is_sqlite:
        return None
    if not os.environ.get(DATABASE_URL_ENV, "").strip():
        return settings.data_dir / SQLITE_FILE
    from sqlalchemy.engine import make_url

    database = make_url(settings.database_url).database or ""
    if database.startswith("file:"):
        database = database[len("file:") :].partition("?")[0]
    if database in ("", ":memory:"):
        return None
    return Path(database).expanduser()


def _database_exists(settings: Settings) -> bool:
    """True when there is a database to read: an SQLite file that is there, or a server URL
    (``DOUDI_DATABASE_URL``). Checking creates nothing."""
    if not settings.is_sqlite:
        return True
    found = _sqlite_file(settings)
    return found is not None and found.is_file()


def _database_place(settings: Settings) -> str:
    found = _sqlite_file(settings)
    return str(found) if found is not None else _redact(settings.database_url)


@contextmanager
def _runtime(*, create: bool, policy: bool = False) -> Iterator[Runtime]:
    """The configured database, opened. ``create``: create and migrate it if needed (else it
    must exist and be up to date). ``policy``: with the installed plugins' policy loaded first."""
    from core.runtime import DatabaseUnavailable, open_runtime

    settings = load_settings()
    if not create and not _database_exists(settings):
        raise DatabaseUnavailable(
            f"no database yet at {_database_place(settings)}: create it with `doudi db upgrade` "
            "(or `doudi users add`)"
        )
    plugin_base = _base() if policy else None
    runtime = open_runtime(settings, migrate=create, plugin_base=plugin_base)
    try:
        yield runtime
    finally:
        runtime.close()


def _policy() -> PolicyBase:
    """The merged policy the read commands answer from: the plugins plus the local settings of
    the configured database when it exists. A read never creates a database: on a fresh machine
    this is the plugins' policy alone."""
    if not _database_exists(load_settings()):
        return _base()
    with _runtime(create=False, policy=True) as runtime:
        return runtime.policy


def token_option(f: F) -> F:
    return click.option(
        "--token",
        envvar=TOKEN_ENV,
        default=None,
        metavar="TOKEN",
        help=f"Your token (printed by `doudi users add`); default: ${TOKEN_ENV}.",
    )(f)


def _acting_user(session: Any, token: str | None) -> User:
    from core.access.auth import Unauthenticated, authenticate

    if token is None or not token.strip():
        raise Unauthenticated(
            f"this command acts as a user: pass --token TOKEN or set {TOKEN_ENV} "
            "(`doudi users add` prints a token)"
        )
    return authenticate(session, token.strip())


def parse_value(text: str) -> Any:
    """A value given on the command line: JSON when it parses (800, 1.5, true, "county",
    ["medical"]), otherwise the plain text."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"'{text}' is not a usable value")
    return value


# ----------------------------------------------------------------------------------------------
# The command tree
# ----------------------------------------------------------------------------------------------


@click.group(
    cls=DoudiGroup,
    name="doudi",
    context_settings={"help_option_names": ["-h", "--help"]},
)
def cli() -> None:
    """兜底 doudi: Chinese social assistance policy, as data.

    Ask what applies where and when (policy), browse jurisdictions and plugins, validate a
    plugin's data before shipping it, export the schemas, and serve the GraphQL API. With a
    database ($DOUDI_DATA_DIR or $DOUDI_DATABASE_URL): add users, record local settings, preview
    a household's eligibility and load demo data.
    """


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port."
)
def serve(host: str, port: int) -> None:
    """Serve the GraphQL API with uvicorn (one worker).

    Uses the configured database, creating and migrating it if needed: on a fresh machine an
    SQLite file in the data directory ($DOUDI_DATA_DIR, or the per-user default);
    $DOUDI_DATABASE_URL selects PostgreSQL.
    """
    base = _base()  # load and validate everything first: a data error is one clear message
    import uvicorn

    from core.api.app import create_app
    from core.runtime import open_runtime
    from core.storage.engine import current_revision

    settings = load_settings()
    runtime = open_runtime(settings, migrate=True, plugin_base=base)
    try:
        app = create_app(runtime=runtime)
        click.echo(f"doudi: data directory {settings.data_dir}", err=True)
        click.echo(
            f"doudi: database {_redact(settings.database_url)} "
            f"(migration {current_revision(runtime.engine)})",
            err=True,
        )
        click.echo(
            f"doudi: {len(base.plugins)} plugins, {len(base.index.layers)} layers, "
            f"policy version {base.version}; serving http://{host}:{port}/graphql",
            err=True,
        )
        uvicorn.run(app, host=host, port=port, workers=1, log_config=_log_config())
    finally:
        runtime.close()


_TOKEN_IN_URL = re.compile(r"((?:^|[?&])token=)[^&\s]+")


class RedactTokens(logging.Filter):
    """Hide ``?token=`` in access-log lines: calendar apps subscribe to ``/calendar/CODE.ics``
    with the token in the URL, and a log must never hold a usable credential."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_URL.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args
            )
        elif isinstance(record.msg, str):
            record.msg = _TOKEN_IN_URL.sub(r"\1***", record.msg)
        return True


def _log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with :class:`RedactTokens` on the access log."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": f"{__name__}.RedactTokens"}
    config["handlers"]["access"].setdefault("filters", []).append("redact_tokens")
    return config


# -- db ----------------------------------------------------------------------------------------


@cli.group()
def db() -> None:
    """The database: where it is, create and migrate it."""


def _database_error(settings: Settings, exc: Exception) -> DoudiError:
    from core.runtime import DatabaseUnavailable

    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [""])[0]
    return DatabaseUnavailable(
        f"cannot use the database {_redact(settings.database_url)}: {type(orig).__name__}: {first}"
    )


@db.command("upgrade")
@json_option
def db_upgrade(as_json: bool) -> None:
    """Create the configured database if needed and migrate it to the newest schema."""
    from sqlalchemy.exc import SQLAlchemyError

    from core.storage.engine import current_revision, make_engine, upgrade

    settings = load_settings()
    existed = _database_exists(settings)
    engine = make_engine(settings.database_url)
    try:
        before = current_revision(engine) if existed else None
        upgrade(engine)
        after = current_revision(engine)
    except SQLAlchemyError as exc:
        raise _database_error(settings, exc) from None
    finally:
        engine.dispose()
    if as_json:
        emit_json(
            {
                "database": _redact(settings.database_url),
                "data_dir": str(settings.data_dir),
                "previous_revision": before,
                "revision": after,
            }
        )
        return
    what = "already at" if before == after else f"migrated from {before or 'empty'} to"
    click.echo(f"database {_redact(settings.database_url)}: {what} {after} (newest)")


@db.command("current")
@json_option
def db_current(as_json: bool) -> None:
    """The migration the database is at and the newest this doudi has (creates nothing)."""
    from sqlalchemy.exc import SQLAlchemyError

    from core.storage.engine import current_revision, head_revision, make_engine

    settings = load_settings()
    head = head_revision()
    exists = _database_exists(settings)
    current: str | None = None
    if exists:
        engine = make_engine(settings.database_url)
        try:
            current = current_revision(engine)
        except SQLAlchemyError as exc:
            raise _database_error(settings, exc) from None
        finally:
            engine.dispose()
    if not exists:
        status = "no database yet: `doudi db upgrade` creates it"
    elif current == head:
        status = "up to date"
    else:
        status = "behind: run `doudi db upgrade`"
    if as_json:
        emit_json(
            {
                "database": _redact(settings.database_url),
                "data_dir": str(settings.data_dir),
                "exists": exists,
                "current": current,
                "head": head,
                "up_to_date": exists and current == head,
            }
        )
        return
    click.echo(f"database: {_redact(settings.database_url)}")
    click.echo(f"data dir: {settings.data_dir}")
    click.echo(f"current:  {current or 'none'}")
    click.echo(f"head:     {head}")
    click.echo(f"status:   {status}")


# -- users -------------------------------------------------------------------------------------

ROLES = ("village_clerk", "township_officer", "county_approver", "province_admin", "auditor")


@cli.group()
def users() -> None:
    """Officials who may use the database: a role, a jurisdiction and bearer tokens."""


def _user_json(user: User) -> dict[str, Any]:
    j = load_registry().get(user.jurisdiction)
    return {
        "name": user.name,
        "role": user.role.value,
        "jurisdiction": j.code,
        "jurisdiction_name": j.name,
    }


def _show_token(token: str) -> None:
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
    from core.access.auth import create_user

    registry = load_registry()
    registry.get(code)  # an unknown code fails before the database is touched
    with _runtime(create=True) as runtime, runtime.sessions() as session:
        user, token = create_user(session, name, role, code, registry)
    if as_json:
        emit_json({"token": token, **_user_json(user)})
        return
    j = registry.get(user.jurisdiction)
    click.echo(f"added user {user.name}: {user.role.value} at {fmt_place(j)}")
    _show_token(token)


@users.command("list")
@json_option
def users_list(as_json: bool) -> None:
    """Active users with their role and jurisdiction (never their tokens)."""
    from core.access.auth import list_users

    found: list[User] = []
    if _database_exists(load_settings()):
        with _runtime(create=False) as runtime, runtime.sessions() as session:
            found = list_users(session)
    if as_json:
        emit_json([_user_json(u) for u in found])
        return
    if not found:
        click.echo("no users yet (`doudi users add NAME --role ROLE --jurisdiction CODE`)")
        return
    rows = [
        [u["name"], u["role"], f"{u['jurisdiction']} {u['jurisdiction_name']}"]
        for u in (_user_json(x) for x in found)
    ]
    click.echo(table(["NAME", "ROLE", "JURISDICTION"], rows))


@users.command("token")
@click.argument("name")
@click.option(
    "--calendar",
    "calendar_only",
    is_flag=True,
    help="A token that opens only the user's calendar feeds (/calendar/CODE.ics?token=...): "
    "the one to give a calendar app.",
)
@json_option
def users_token(name: str, calendar_only: bool, as_json: bool) -> None:
    """Issue a new token for user NAME (their other tokens stay valid)."""
    from core.access.auth import CALENDAR, FULL, issue_token

    scope = CALENDAR if calendar_only else FULL
    with _runtime(create=False) as runtime, runtime.sessions() as session:
        token = issue_token(session, name, scope)
    if as_json:
        emit_json({"name": name, "token": token, "scope": scope})
        return
    click.echo(f"new {'calendar ' if calendar_only else ''}token for {name}")
    _show_token(token)
    if calendar_only:
        click.echo("subscribe to: http://HOST:PORT/calendar/CODE.ics?token=<this token>")


@users.command("revoke")
@click.argument("name")
@click.option("--calendar", "calendar_only", is_flag=True, help="Revoke only the calendar tokens.")
def users_revoke(name: str, calendar_only: bool) -> None:
    """Revoke every token of user NAME (or only their calendar tokens)."""
    from core.access.auth import CALENDAR, revoke_tokens

    with _runtime(create=False) as runtime, runtime.sessions() as session:
        n = revoke_tokens(session, name, CALENDAR if calendar_only else None)
    what = "calendar token" if calendar_only else "token"
    click.echo(f"revoked {n} {what}{'s' if n != 1 else ''} of {name}")


# -- policy ------------------------------------------------------------------------------------


@cli.group()
def policy() -> None:
    """Ask the merged policy (values, sources, comparisons, conflicts); record local settings."""


def _describe(p: ResolvedParameter, where: Jurisdiction, as_of: dt.date) -> list[str]:
    unit = fmt_unit(p.spec.unit)
    label = f"  {p.spec.label_zh}" if p.spec.label_zh else ""
    if not p.is_set:
        chain = " → ".join(j.code for j in _base().registry.chain(where.code))
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
    return lines


@policy.command("get")
@click.argument("code")
@click.argument("path")
@as_of_option
@json_option
def policy_get(code: str, path: str, as_of: dt.date | None, as_json: bool) -> None:
    """The value of PATH at jurisdiction CODE, with its layer, dates and source."""
    base, day = _policy(), _as_of(as_of)
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
    base, day = _policy(), _as_of(as_of)
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
    base, day = _policy(), _as_of(as_of)
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
    base, day = _policy(), _as_of(as_of)
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
        click.echo(_indent(table(["VALUE", "LAYER", "FROM", "SOURCE"], rows)))
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
        click.echo(_indent(table(["FROM", "UNTIL", "VALUE", "LAYER", "SOURCE"], rows)))
    else:
        click.echo(f"History at {fmt_place(where)}: never set")
    click.echo("")
    if found:
        click.echo(f"Violations on {day}:")
        for v in found:
            click.echo(f"  - [{v.kind.value}] {v.message}")
    else:
        click.echo(f"Violations on {day}: none")


def _indent(text: str, by: str = "  ") -> str:
    return "\n".join(by + line for line in text.splitlines())


@policy.command("violations")
@click.argument("code")
@click.option("--checks", "with_checks", is_flag=True, help="Also list every rule checked.")
@as_of_option
@json_option
def policy_violations(code: str, with_checks: bool, as_of: dt.date | None, as_json: bool) -> None:
    """Broken rules and conflicts in time in the policy that applies at CODE."""
    base, day = _policy(), _as_of(as_of)
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
    catalog = _base().catalog
    specs = [catalog[p] for p in catalog.paths(prefix)]
    if as_json:
        emit_json([serialize.spec(s) for s in specs])
        return
    rows = []
    for s in specs:
        kind = s.type + (f" ({'|'.join(s.choices)})" if s.type == "enum" else "")
        rows.append([s.path, kind, fmt_unit(s.unit), s.label_zh or s.description])
    click.echo(table(["PATH", "TYPE", "UNIT", "LABEL"], rows))


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
    from core.policy.local_settings import audit_log

    parsed = parse_value(value)
    with _runtime(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = _acting_user(session, token)
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
    spec = _base().catalog.spec(setting.path)
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
    from core.policy.local_settings import list_local_settings

    with _runtime(create=False) as runtime, runtime.sessions() as session:
        user = _acting_user(session, token)
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
    from core.policy.local_settings import audit_log

    with _runtime(create=False) as runtime, runtime.sessions() as session:
        user = _acting_user(session, token)
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


# -- jurisdictions -----------------------------------------------------------------------------


@cli.command()
@click.argument("code", required=False)
@click.option("--chain", is_flag=True, help="Show CODE and its ancestors instead of its children.")
@json_option
def jurisdictions(code: str | None, chain: bool, as_json: bool) -> None:
    """Children of CODE (default: the provinces), or with --chain, CODE's chain of ancestors."""
    registry = load_registry()
    if chain:
        if code is None:
            raise click.UsageError("--chain needs a jurisdiction CODE")
        found = list(registry.chain(code))
        title = f"{fmt_place(found[0])} and its ancestors"
    else:
        parent = registry.get(code or NATIONAL_CODE)
        found = registry.children(parent.code)
        title = f"{len(found)} under {fmt_place(parent)}"
    if as_json:
        emit_json([serialize.jurisdiction(j) for j in found])
        return
    click.echo(title)
    if found:
        rows = [[j.code, j.name, j.level.value, str(len(registry.children(j.code)))] for j in found]
        click.echo(table(["CODE", "NAME", "LEVEL", "CHILDREN"], rows))


# -- plugins -----------------------------------------------------------------------------------


@cli.group()
def plugins() -> None:
    """Installed plugins, and checking a plugin's data before shipping it."""


@plugins.command("list")
@json_option
def plugins_list(as_json: bool) -> None:
    """Every loaded plugin: version, jurisdictions, files, programs, constraints."""
    summaries = _base().plugins
    if as_json:
        emit_json([serialize.plugin(s) for s in summaries])
        return
    rows = [
        [
            s.info.name,
            s.info.version or "-",
            s.info.distribution or "-",
            "yes" if s.info.builtin else "no",
            ", ".join(fmt_place(j) for j in s.jurisdictions) or "-",
            str(len(s.files)),
            ", ".join(p.id for p in s.programs) or "-",
            str(len(s.constraints)),
        ]
        for s in summaries
    ]
    headers = ["NAME", "VERSION", "DISTRIBUTION", "BUILT-IN", "JURISDICTIONS", "FILES"]
    click.echo(table([*headers, "PROGRAMS", "CONSTRAINTS"], rows))


def _policy_files(path: Path) -> tuple[str, list[Path]]:
    """The plugin name (its folder's name) and the policy files to check at ``path``."""
    path = path.resolve()
    if path.is_file():
        folder = path.parent.parent if path.parent.name == "policy" else path.parent
        return folder.name, [path]
    if (path / "policy").is_dir():
        name, where = path.name, path / "policy"
    else:
        name, where = (path.parent.name if path.name == "policy" else path.name), path
    files = sorted(p for p in where.iterdir() if p.is_file() and p.suffix in POLICY_SUFFIXES)
    if not files:
        raise InvalidInput(f"no policy files (*.yaml, *.yml, *.json) in {where}")
    return name, files


def _installed_plugin_names() -> set[str]:
    return {ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}


def _file_jurisdictions(files: Sequence[Path]) -> list[str]:
    """The jurisdiction each file names (when it can be read): the default coverage."""
    registry = load_registry()
    found: list[str] = []
    for f in files:
        try:
            data = parse_text(f.read_text(encoding="utf-8"), f.name)
        except (OSError, UnicodeDecodeError, ValueError):
            continue  # the loader reports it
        code = data.get("jurisdiction") if isinstance(data, dict) else None
        if isinstance(code, str) and code in registry:
            found.append(registry.get(code).code)
    return found


def _with_layers(name: str, layers: Sequence[Layer]) -> PolicyBase:
    """The installed policy with plugin ``name``'s data replaced by ``layers`` (its rules and
    programs, and every other plugin, stay loaded)."""
    return build_policy_base(build_plugin_manager()).with_layers(layers, drop_origin=name)


@plugins.command("check")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--covers",
    multiple=True,
    metavar="CODE",
    help="A jurisdiction the plugin declares (repeatable); default: each file's own.",
)
@click.option(
    "--as-of",
    "as_of",
    type=DATE,
    default=None,
    help="Date to check the new data against the installed policy; default: today.",
)
def plugins_check(path: Path, covers: tuple[str, ...], as_of: dt.date | None) -> None:
    """Validate a plugin's policy data (a file, a plugin folder or its policy/ folder).

    Every problem is printed as 'plugin: file: JSON path: message' (exit 1). Valid data is
    then merged into the installed policy and any violation at its jurisdictions is printed as
    a warning (exit 0).
    """
    registry = load_registry()
    name, files = _policy_files(path)
    coverage = [registry.get(c).code for c in covers] or _file_jurisdictions(files)
    manager = build_plugin_manager()
    catalog = catalog_with_programs(manager.programs())
    loader = PolicyLoader(registry, catalog, {name: coverage})
    try:
        layers = loader.load(SourceFile(name, PolicyFile(f)) for f in files)
    except PolicyDataError as exc:
        _print_issues(exc.issues)
        n = len(exc.issues)
        raise DoudiError(
            f"plugin '{name}': {n} problem{'s' if n != 1 else ''} in {len(files)} "
            f"file{'s' if len(files) != 1 else ''}"
        ) from None
    n_values = sum(len(layer.values) for layer in layers)
    places = sorted({layer.ref.jurisdiction for layer in layers}, key=lambda j: j.code)
    day = _as_of(as_of)
    warnings: list[str] = []
    try:
        merged = _with_layers(name, layers)
        for j in places:
            for v in merged.violations(j.code, day):
                line = f"{fmt_place(j)}: [{v.kind.value}] {v.message}"
                if line not in warnings:
                    warnings.append(line)
    except DoudiError as exc:
        warnings.append(f"could not check against the installed policy: {exc.message}")
    click.echo(
        f"ok: plugin '{name}': {len(files)} file{'s' if len(files) != 1 else ''}, "
        f"{n_values} values ({', '.join(fmt_place(j) for j in places)}); "
        f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''} against the installed "
        f"policy on {day}"
    )
    for w in warnings:
        click.echo(f"doudi: warning: {w}", err=True)


def _print_issues(issues: Iterable[DataIssue]) -> None:
    for issue in issues:
        click.echo(str(issue))


# -- eligibility -------------------------------------------------------------------------------


@cli.group()
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
    base = _policy()
    try:
        household = parse_household(data, base.registry, today())
    except InvalidHousehold as exc:
        n = len(exc.errors)
        raise DoudiError(
            f"{file}: {n} problem{'s' if n != 1 else ''} in the household:\n"
            + "\n".join(f"  - {e.field}: {e.message} [{e.code}]" for e in exc.errors)
        ) from None
    day = _as_of(as_of)
    request = None
    if request_kind is not None and amount is not None:
        request = TemporaryRequest(kind=request_kind, amount=amount)  # type: ignore[arg-type]
    decision = evaluate(
        household, program, base.resolve(household.county, day), day, request=request
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
        for item in inc.deductions_applied:
            lines.append(f"{'':15}- {_item(item)} (deducted)")
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
        lines.append(_indent(table(["PATH", "VALUE", "LAYER", "FROM", "SOURCE"], rows)))
    return lines


def _item(item: Any) -> str:
    who = f" of {item.member}" if getattr(item, "member", None) else ""
    return f"{item.kind.value} {_yuan(item.monthly_amount)}{who}"


# -- demo --------------------------------------------------------------------------------------


@cli.group()
def demo() -> None:
    """Example data to try doudi with (clearly marked as examples, not official figures)."""


@demo.command("load")
@json_option
def demo_load(as_json: bool) -> None:
    """Load example households (fictitious) and example standards into the database.

    Creates the database if needed, and a user 'demo' (province_admin at 000000) who writes
    the data. Every standard's source says it is an example, not an official standard. Running
    it again loads nothing twice.
    """
    from core.demo import EXAMPLE_FROM, EXAMPLE_SOURCE, load_demo

    with _runtime(create=True, policy=True) as runtime:
        report = load_demo(runtime)
    registry = load_registry()
    if as_json:
        emit_json(
            {
                "user": _user_json(report.user),
                "user_created": report.user_created,
                "token": report.token,
                "source_text": EXAMPLE_SOURCE,
                "settings": [
                    {
                        "jurisdiction": r.setting.code,
                        "path": r.setting.path,
                        "value": r.setting.value,
                        "effective_from": EXAMPLE_FROM.isoformat(),
                        "loaded": r.loaded,
                    }
                    for r in report.settings
                ],
                "households": [
                    {
                        "id": h.household_id,
                        "county": h.county,
                        "area": h.area,
                        "head": h.head,
                        "members": h.members,
                        "loaded": h.loaded,
                    }
                    for h in report.households
                ],
            }
        )
        return
    u = report.user
    status = "created" if report.user_created else "exists"
    click.echo(
        f"demo user: {u.name} ({u.role.value} at {fmt_place(registry.get(u.jurisdiction))}), "
        f"{status}"
    )
    if report.token is not None:
        _show_token(report.token)
    n_set = sum(r.loaded for r in report.settings)
    click.echo("")
    click.echo(
        f"example standards (local settings from {EXAMPLE_FROM}): {n_set} loaded, "
        f"{len(report.settings) - n_set} already there"
    )
    click.echo(f"  source of each: {EXAMPLE_SOURCE}")
    rows = [
        [
            fmt_place(registry.get(r.setting.code)),
            r.setting.path,
            fmt_value(r.setting.value),
            "loaded" if r.loaded else "already there",
        ]
        for r in report.settings
    ]
    click.echo(_indent(table(["JURISDICTION", "PATH", "VALUE", "STATUS"], rows)))
    n_hh = sum(h.loaded for h in report.households)
    click.echo("")
    click.echo(
        f"example households (fictitious people): {n_hh} loaded, "
        f"{len(report.households) - n_hh} already there"
    )
    rows = [
        [
            "-" if h.household_id is None else str(h.household_id),
            fmt_place(registry.get(h.county)),
            h.area,
            h.head,
            str(h.members),
            "loaded" if h.loaded else "already there",
        ]
        for h in report.households
    ]
    click.echo(_indent(table(["ID", "COUNTY", "AREA", "HEAD", "MEMBERS", "STATUS"], rows)))


# -- audit and supervision ---------------------------------------------------------------------


@cli.group()
def audit() -> None:
    """The tamper-evident audit trail of cases."""


@audit.command("verify")
@json_option
def audit_verify(as_json: bool) -> None:
    """Recompute the hash chain of every case event in the database. Exit 0 when intact; exit 1
    listing each tampered, missing or orphaned event on stdout, one per line."""
    from sqlalchemy import func, select

    from core.cases.store import verify_audit_chain
    from core.storage.engine import reading
    from core.storage.models import CaseEventRow, CaseRow

    with _runtime(create=False) as runtime, runtime.sessions() as session:
        problems = verify_audit_chain(session)
        with reading(session):
            events = int(session.scalar(select(func.count()).select_from(CaseEventRow)) or 0)
            cases = int(session.scalar(select(func.count()).select_from(CaseRow)) or 0)
    if as_json:
        emit_json({"ok": not problems, "events": events, "cases": cases, "problems": problems})
    elif not problems:
        click.echo(
            f"ok: {events} event{'s' if events != 1 else ''} in {cases} "
            f"case{'s' if cases != 1 else ''}, chain intact"
        )
    else:
        for p in problems:
            click.echo(p)
    if problems:
        n = len(problems)
        raise DoudiError(
            f"the audit trail is broken: {n} problem{'s' if n != 1 else ''} found in {events} "
            f"event{'s' if events != 1 else ''} of {cases} case{'s' if cases != 1 else ''}"
        )


@cli.command()
@click.argument("code")
@click.option(
    "--as-of",
    "as_of",
    type=DATE,
    default=None,
    help="The date the findings are judged on (YYYY-MM-DD); default: today in China.",
)
@json_option
def supervise(code: str, as_of: dt.date | None, as_json: bool) -> None:
    """Supervision (数字监督) of the cases at CODE and under it: people in two dibao cases, in
    dibao and tekun at once, the dead still covered, near-relative cases without the county's
    visit, spot-checks not done. Exit 0 whatever is found."""
    from core.cases.supervision import finding_to_json, supervision_findings

    registry = load_registry()
    where = registry.get(code)
    day = _as_of(as_of)
    found = []
    if _database_exists(load_settings()):
        with _runtime(create=False) as runtime, runtime.sessions() as session:
            found = supervision_findings(session, registry, where.code, day)
    if as_json:
        emit_json([finding_to_json(f) for f in found])
        return
    click.echo(
        f"{len(found)} finding{'s' if len(found) != 1 else ''} at {fmt_place(where)} on "
        f"{day.isoformat()}"
    )
    if found:
        rows = [
            [
                f.kind,
                f.jurisdiction,
                ", ".join(str(i) for i in f.case_ids),
                f.person_id_number or "-",
                f.message,
            ]
            for f in found
        ]
        click.echo(table(["KIND", "COUNTY", "CASES", "PERSON", "FINDING"], rows))


# -- schema ------------------------------------------------------------------------------------


@cli.group()
def schema() -> None:
    """The schemas plugin authors and API clients build against."""


@schema.command("export")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("schema"),
    show_default=True,
    help="Folder to write the JSON Schemas and schema.graphql into.",
)
def schema_export(out: Path) -> None:
    """Write the JSON Schemas (policy layer, household) and the GraphQL SDL."""
    from core.api.schema import sdl
    from core.households.model import dumps_household_schema

    catalog = _base().catalog
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "policy-layer.schema.json": dumps_schema(catalog),
        "household.schema.json": dumps_household_schema(),
        "schema.graphql": sdl(),
    }
    for name, text in files.items():
        target = out / name
        target.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        click.echo(f"wrote {target}")


# Command groups in their own modules add themselves to ``cli`` when imported.
from core.commands import (  # noqa: E402, F401
    calendar,
    cases,
    holidays,
    payments,
    reports,
    schedules,
)


def main() -> None:
    """Console entry point (``doudi``)."""
    cli.main(prog_name="doudi")


if __name__ == "__main__":
    main()
