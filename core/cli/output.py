"""What every command shares: one-line errors, dates, options, tables and JSON output."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.exceptions import NoArgsIsHelpError

from core.errors import DoudiError, InvalidInput
from core.policy.jurisdictions import Jurisdiction
from core.policy.model import DatedValue, LayerKind, LayerRef
from core.policy.service import (
    PolicyBase,
    get_policy_base,
    today,
)
from core.validation.dates import FIRST_DATE, LAST_DATE

if TYPE_CHECKING:  # the storage modules are imported when a command needs them (startup time)
    pass

F = TypeVar("F", bound=Callable[..., Any])


TOKEN_ENV = "DOUDI_TOKEN"


MAX_CELL = 48  # display columns of a value or source cell in a table (``--json`` is never cut)


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

    def main(
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


class DateType(click.ParamType[dt.date, Any]):
    """A calendar date written strictly as YYYY-MM-DD, between 1900-01-01 and 2199-12-31 (the
    dates doudi accepts anywhere: :mod:`core.validation.dates`)."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dt.date):
            return value
        text = str(value)
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            self.fail(f"'{text}' is not a date; use YYYY-MM-DD (e.g. 2021-06-01)", param, ctx)
        try:
            day = dt.date.fromisoformat(text)
        except ValueError as exc:
            self.fail(f"'{text}' is not a valid date ({exc})", param, ctx)
        if not FIRST_DATE <= day <= LAST_DATE:
            self.fail(
                f"'{text}' is outside the dates doudi accepts ({FIRST_DATE.isoformat()} to "
                f"{LAST_DATE.isoformat()})",
                param,
                ctx,
            )
        return day


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


def as_of_or_today(value: dt.date | None) -> dt.date:
    return value if value is not None else today()


def plugin_policy() -> PolicyBase:
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


def token_option(f: F) -> F:
    return click.option(
        "--token",
        envvar=TOKEN_ENV,
        default=None,
        metavar="TOKEN",
        help=f"Your token (printed by `doudi users add`); default: ${TOKEN_ENV}.",
    )(f)


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


def indent_lines(text: str, by: str = "  ") -> str:
    return "\n".join(by + line for line in text.splitlines())
