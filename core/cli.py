"""The ``doudi`` command line: ask the merged policy, check plugin data, export schemas, serve.

Human-readable tables by default, ``--json`` for machines. Every expected error (unknown
jurisdiction or path, bad date, invalid data, unknown command) ends with a non-zero exit and one
line on stderr starting ``doudi: error:`` (policy data errors add one line per issue); usage
errors exit 2, domain errors exit 1.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import click
from click.exceptions import NoArgsIsHelpError

from core import serialize
from core.errors import DataIssue, DoudiError, InvalidInput, PolicyDataError
from core.hookspecs import PolicyFile
from core.jurisdictions import NATIONAL_CODE, Jurisdiction, load_registry
from core.plugin_manager import (
    ENTRY_POINT_GROUP,
    build_plugin_manager,
)
from core.policy_loader import PolicyLoader, SourceFile, parse_text
from core.policy_model import DatedValue, Layer, LayerRef
from core.policy_schema import dumps_schema
from core.policy_service import (
    PolicyBase,
    build_policy_base,
    catalog_with_programs,
    get_policy_base,
    today,
)
from core.resolution import ResolvedParameter

F = TypeVar("F", bound=Callable[..., Any])

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
            _error(exc.message)
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
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else "(none)"
    return str(value)


def fmt_place(j: Jurisdiction) -> str:
    return f"{j.code} {j.name}"


def fmt_layer(ref: LayerRef | None) -> str:
    if ref is None:
        return "-"
    return f"{fmt_place(ref.jurisdiction)} ({ref.jurisdiction.level.value})"


def fmt_layer_long(ref: LayerRef) -> str:
    j = ref.jurisdiction
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
    plugin's data before shipping it, export the schemas, and serve the GraphQL API.
    """


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port."
)
def serve(host: str, port: int) -> None:
    """Serve the GraphQL API with uvicorn (one worker)."""
    base = _base()  # load and validate everything first: a data error is one clear message
    import uvicorn

    from core.api.app import create_app

    app = create_app(base=base)
    click.echo(
        f"doudi: {len(base.plugins)} plugins, {len(base.index.layers)} layers, "
        f"policy version {base.version}; serving http://{host}:{port}/graphql",
        err=True,
    )
    uvicorn.run(app, host=host, port=port, workers=1)


# -- policy ------------------------------------------------------------------------------------


@cli.group()
def policy() -> None:
    """Ask the merged policy: values, sources, comparisons, conflicts."""


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
    if w.source.note:
        lines.append(f"  note:   {w.source.note}")
    return lines


@policy.command("get")
@click.argument("code")
@click.argument("path")
@as_of_option
@json_option
def policy_get(code: str, path: str, as_of: dt.date | None, as_json: bool) -> None:
    """The value of PATH at jurisdiction CODE, with its layer, dates and source."""
    base, day = _base(), _as_of(as_of)
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
    base, day = _base(), _as_of(as_of)
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
    base, day = _base(), _as_of(as_of)
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
    body = [
        [
            "*" if r.differs else "",
            r.path,
            *(truncate(fmt_value(c.value, c.is_set)) for c in r.cells),
        ]
        for r in rows
    ]
    click.echo(f"as of {day}; * = values differ ({sum(r.differs for r in rows)} of {len(rows)})")
    click.echo(table(headers, body))


@policy.command("explain")
@click.argument("code")
@click.argument("path")
@as_of_option
@json_option
def policy_explain(code: str, path: str, as_of: dt.date | None, as_json: bool) -> None:
    """Why PATH has its value at CODE: winner, what it overrides, history, violations."""
    base, day = _base(), _as_of(as_of)
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
    base, day = _base(), _as_of(as_of)
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
    from core.household import dumps_household_schema

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


def main() -> None:
    """Console entry point (``doudi``)."""
    cli.main(prog_name="doudi")


if __name__ == "__main__":
    main()
