"""``doudi plugins``: the installed plugins, and checks of a plugin's data before it ships."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import click

from core.errors import DataIssue, DoudiError, InvalidInput, PolicyDataError
from core.plugin.hookspecs import PolicyFile
from core.plugin.manager import (
    ENTRY_POINT_GROUP,
    build_plugin_manager,
)
from core.policy import serialize
from core.policy.jurisdictions import load_registry
from core.policy.loader import PolicyLoader, SourceFile, parse_text
from core.policy.model import Layer
from core.policy.service import (
    PolicyBase,
    build_policy_base,
    catalog_with_programs,
)

if TYPE_CHECKING:  # the storage modules are imported when a command needs them (startup time)
    pass

from core.cli.output import (
    DATE,
    as_of_or_today,
    emit_json,
    fmt_place,
    json_option,
    plugin_policy,
    table,
)

POLICY_SUFFIXES = (".yaml", ".yml", ".json")


@click.group()
def plugins() -> None:
    """Installed plugins, and checking a plugin's data before shipping it."""


@plugins.command("list")
@json_option
def plugins_list(as_json: bool) -> None:
    """Every loaded plugin: version, jurisdictions, files, programs, constraints."""
    summaries = plugin_policy().plugins
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
    day = as_of_or_today(as_of)
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
