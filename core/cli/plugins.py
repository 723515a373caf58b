"""``doudi plugins``: the installed plugins; writing a new one; checking one before it ships."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from core.cli.output import (
    DATE,
    as_of_or_today,
    emit_json,
    fmt_place,
    json_option,
    plugin_policy,
    table,
)
from core.errors import DataIssue, DoudiError, InvalidInput, PolicyDataError
from core.plugin.manager import build_plugin_manager
from core.plugin.types import PolicyFile
from core.policy import serialize
from core.policy.jurisdictions import Jurisdiction, load_registry
from core.policy.loader import PolicyLoader, SourceFile, parse_text
from core.policy.model import Layer
from core.policy.service import (
    PolicyBase,
    build_policy_base,
    catalog_with_programs,
    today,
)

if TYPE_CHECKING:
    from core.plugin.conformance import PluginUnderTest

POLICY_SUFFIXES = (".yaml", ".yml", ".json")


@click.group()
def plugins() -> None:
    """Installed plugins, and checking a plugin's data before shipping it.

    Write a new plugin with 'doudi plugins new', check one with 'doudi plugins check'; the
    author's guide is docs/plugins.md.
    """


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


# -- new ------------------------------------------------------------------------------------------


@plugins.command("new")
@click.argument("name")
@click.option(
    "--covers",
    required=True,
    metavar="CODE",
    help="The jurisdiction the plugin speaks for (GB/T 2260 code, a province or below).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The folder to write (new or empty); default: ./doudi-NAME.",
)
def plugins_new(name: str, covers: str, out: Path | None) -> None:
    """Write a new plugin distribution NAME covering CODE, ready to install and test.

    It holds a pyproject.toml with the doudi.plugins entry point, an example source.txt, a
    policy file with one sourced value, a program with its evaluator, two decision cases, a
    test file and a README: 'pip install' it and its tests and the conformance suite pass. Every
    value in it is an example to replace with your documents.
    """
    from core.plugin.scaffold import write_plugin

    made = write_plugin(name, covers, out, load_registry(), today())
    where = f"{made.values['code']} {made.values['place']}"
    click.echo(f"wrote plugin '{name}' ({where}) in {made.root}:")
    for f in made.files:
        click.echo(f"  {f.relative_to(made.root)}")
    click.echo(
        "next: replace the example text, values and cases with your documents, then\n"
        f"  pip install '{made.root}[test]' && (cd '{made.root}' && pytest)\n"
        f"  doudi plugins check '{made.root}'"
    )


# -- check ----------------------------------------------------------------------------------------


def _policy_files(path: Path) -> tuple[str, list[Path], Path]:
    """The plugin name (its folder's name), the policy files to check at ``path``, and the
    plugin's folder (where its source.txt belongs)."""
    path = path.resolve()
    if path.is_file():
        folder = path.parent.parent if path.parent.name == "policy" else path.parent
        return folder.name, [path], folder
    if (path / "policy").is_dir():
        name, where, folder = path.name, path / "policy", path
    elif path.name == "policy":
        name, where, folder = path.parent.name, path, path.parent
    else:
        name, where, folder = path.name, path, path
    files = sorted(p for p in where.iterdir() if p.is_file() and p.suffix in POLICY_SUFFIXES)
    if not files:
        raise InvalidInput(f"no policy files (*.yaml, *.yml, *.json) in {where}")
    return name, files, folder


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


def _file_quotes(name: str, files: Sequence[Path], folder: Path) -> list[DataIssue]:
    """Every quote of ``files`` checked against ``folder``/source.txt (as the conformance suite
    checks a plugin's)."""
    from core.plugin.cases import json_path
    from core.plugin.conformance import SOURCE_TEXT, squash

    text_file = folder / SOURCE_TEXT
    if not text_file.is_file():
        return [
            DataIssue(
                name,
                SOURCE_TEXT,
                "$",
                f"missing: ship the text of the documents as {text_file} so that every quote "
                "can be checked",
            )
        ]
    text = squash(text_file.read_text(encoding="utf-8"))
    issues: list[DataIssue] = []
    for f in files:
        try:
            data = parse_text(f.read_text(encoding="utf-8"), f.name)
        except (OSError, UnicodeDecodeError, ValueError):
            continue  # the loader reports it
        params = data.get("parameters") if isinstance(data, dict) else None
        for path, entries in params.items() if isinstance(params, dict) else ():
            for i, entry in enumerate(entries if isinstance(entries, list) else ()):
                src = entry.get("source") if isinstance(entry, dict) else None
                quote = src.get("quote") if isinstance(src, dict) else None
                if isinstance(quote, str) and squash(quote) and squash(quote) not in text:
                    issues.append(
                        DataIssue(
                            name,
                            f.name,
                            json_path(["parameters", path, i, "source", "quote"]),
                            f"not found verbatim in {SOURCE_TEXT}: {quote!r}",
                        )
                    )
    return issues


def _with_layers(name: str, layers: Sequence[Layer]) -> PolicyBase:
    """The installed policy with plugin ``name``'s data replaced by ``layers`` (its rules and
    programs, and every other plugin, stay loaded)."""
    return build_policy_base(build_plugin_manager()).with_layers(layers, drop_origin=name)


def _warnings(base: PolicyBase, places: Iterable[Jurisdiction], day: dt.date) -> list[str]:
    """Violations at ``places`` on ``day`` in ``base`` (each once)."""
    out: list[str] = []
    for j in places:
        for v in base.violations(j.code, day):
            line = f"{fmt_place(j)}: [{v.kind.value}] {v.message}"
            if line not in out:
                out.append(line)
    return out


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _fail(name: str, issues: Sequence[DataIssue], where: str) -> DoudiError:
    _print_issues(issues)
    return DoudiError(f"plugin '{name}': {_plural(len(issues), 'problem')} in {where}")


@plugins.command("check")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--covers",
    multiple=True,
    metavar="CODE",
    help="For data files only: a jurisdiction the plugin declares (repeatable); default: each "
    "file's own. A plugin package declares its own (doudi_jurisdictions).",
)
@click.option(
    "--as-of",
    "as_of",
    type=DATE,
    default=None,
    help="Date to check the new data against the installed policy; default: today.",
)
def plugins_check(path: Path, covers: tuple[str, ...], as_of: dt.date | None) -> None:
    """Check a plugin before it ships: a plugin package or distribution folder, or its data
    (a file, or a folder of policy files).

    A package or distribution (a folder with __init__.py, or with a pyproject.toml naming its
    doudi.plugins entry point) runs the conformance suite: it loads; its data validates; every
    quote appears verbatim in its source.txt; every jurisdiction is covered; every program has
    an evaluator whose decisions carry a complete trace; it answers nothing for others'
    programs; its rules hold on its own data; and every decision case in cases/ gives the
    expected answer. Data files are validated, their quotes checked against the source.txt of
    their plugin folder. Every problem is printed as 'plugin: file: JSON path: message' (exit
    1). Valid data is then merged into the installed policy and any violation at its
    jurisdictions is printed as a warning (exit 0).
    """
    from core.plugin.conformance import PluginUnderTest

    day = as_of_or_today(as_of)
    subject = PluginUnderTest.at_path(path)
    if subject is not None:
        if covers:
            raise click.UsageError(
                "--covers is for data files: a plugin package declares its jurisdictions"
            )
        _check_plugin(subject, day)
        return
    _check_data(path, covers, day)


def _check_plugin(subject: PluginUnderTest, day: dt.date) -> None:
    from core.plugin.conformance import run_all

    results = run_all(subject)
    issues = [i for found in results.values() for i in found]
    failed = [key for key, found in results.items() if found]
    if issues:
        raise _fail(subject.name, issues, ", ".join(failed))
    base = subject.base
    assert not isinstance(base, str)  # the checks above passed
    layers = [layer for layer in base.index.layers if layer.ref.origin == subject.name]
    places = sorted({layer.ref.jurisdiction for layer in layers}, key=lambda j: j.code)
    n_values = sum(len(layer.values) for layer in layers)
    n_cases = len(subject.cases)
    warnings = _warnings(base, places, day)
    click.echo(
        f"ok: plugin '{subject.name}': {_plural(len(layers), 'file')}, "
        f"{_plural(n_values, 'value')} ({', '.join(fmt_place(j) for j in places) or 'none'}); "
        f"{_plural(len(results) - n_cases, 'check')} and {_plural(n_cases, 'decision case')} "
        f"passed; {_plural(len(warnings), 'warning')} against the installed policy on {day}"
    )
    for w in warnings:
        click.echo(f"doudi: warning: {w}", err=True)


def _check_data(path: Path, covers: tuple[str, ...], day: dt.date) -> None:
    registry = load_registry()
    name, files, folder = _policy_files(path)
    coverage = [registry.get(c).code for c in covers] or _file_jurisdictions(files)
    manager = build_plugin_manager()
    catalog = catalog_with_programs(manager.programs())
    loader = PolicyLoader(registry, catalog, {name: coverage})
    where = _plural(len(files), "file")
    try:
        layers = loader.load(SourceFile(name, PolicyFile(f)) for f in files)
    except PolicyDataError as exc:
        raise _fail(name, [*exc.issues, *_file_quotes(name, files, folder)], where) from None
    quotes = _file_quotes(name, files, folder)
    if quotes:
        raise _fail(name, quotes, where)
    n_values = sum(len(layer.values) for layer in layers)
    places = sorted({layer.ref.jurisdiction for layer in layers}, key=lambda j: j.code)
    try:
        warnings = _warnings(_with_layers(name, layers), places, day)
    except DoudiError as exc:
        warnings = [f"could not check against the installed policy: {exc.message}"]
    click.echo(
        f"ok: plugin '{name}': {where}, "
        f"{n_values} values ({', '.join(fmt_place(j) for j in places)}); "
        f"{_plural(len(warnings), 'warning')} against the installed policy on {day}"
    )
    for w in warnings:
        click.echo(f"doudi: warning: {w}", err=True)


def _print_issues(issues: Iterable[DataIssue]) -> None:
    for issue in issues:
        click.echo(str(issue))
