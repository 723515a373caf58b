"""``doudi plugins new``: a separate, installable plugin distribution to start from.

It writes a distribution that installs with ``pip install`` and passes its own tests and the
conformance suite out of the box: a ``pyproject.toml`` with the ``doudi.plugins`` entry point
(and ``doudi_plugins`` for the conformance suite), a package with an example ``source.txt``, a
policy file with one sourced value, a program with its parameter and evaluator, two decision
cases, a test file and a README. Everything is an example for the team to replace, and says so.
The templates ship inside doudi's wheel (``core/plugin/templates/``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path

from core.errors import InvalidInput
from core.plugin.manager import ENTRY_POINT_GROUP, RESERVED_NAMES
from core.policy.jurisdictions import NATIONAL_CODE, JurisdictionRegistry, Level

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
TEMPLATES = "templates"


@dataclass(frozen=True, slots=True)
class Scaffold:
    """What ``doudi plugins new`` wrote: the distribution's folder and its files."""

    root: Path
    files: tuple[Path, ...]
    values: Mapping[str, str]


def _id_number(county: str, birth: str, seq: int) -> str:
    from stdnum.cn import ric

    stem = f"{county}{birth}{seq:03d}"
    return stem + ric.calc_check_digit(stem + "0")


def _county_under(registry: JurisdictionRegistry, code: str) -> str:
    j = registry.get(code)
    while j.level is not Level.COUNTY:
        children = registry.children(j.code)
        if not children:
            raise InvalidInput(f"{j.code} {j.name} has no county under it to place examples in")
        j = children[0]
    return j.code


def values_for(
    name: str, covers: str, registry: JurisdictionRegistry, today: dt.date
) -> dict[str, str]:
    """The template values: names, the jurisdiction, dates and example ID numbers."""
    if not _NAME_RE.match(name):
        raise InvalidInput(
            f"plugin name '{name}': use lower-case letters, digits and '_', starting with a letter"
        )
    if name in RESERVED_NAMES:
        raise InvalidInput(f"plugin name '{name}' is reserved for the core's own layers")
    installed = {ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    if name in installed:
        raise InvalidInput(f"a plugin named '{name}' is already installed; choose another name")
    j = registry.get(covers)
    if j.code == NATIONAL_CODE:
        raise InvalidInput("the national layer is the core's: a plugin covers a province or below")
    package = name if name.startswith("doudi_") else f"doudi_{name}"
    county = _county_under(registry, j.code)
    try:
        version = metadata.version("doudi")
    except metadata.PackageNotFoundError:
        version = "0.1"
    return {
        "name": name,
        "package": package,
        "dist": package.replace("_", "-"),
        "code": j.code,
        "place": j.name,
        "county": county,
        "program": f"{name}_example_allowance",
        "tag": f"{name}_example",
        "document": f"{name}-example",
        "date": today.isoformat(),
        "day_before": (today - dt.timedelta(days=1)).isoformat(),
        "id_head": _id_number(county, "19700101", 11),
        "id_spouse": _id_number(county, "19720202", 22),
        "doudi_version": version,
    }


def _targets(values: Mapping[str, str]) -> dict[str, str]:
    """Template path (under templates/) → path in the distribution."""
    pkg = f"src/{values['package']}"
    return {
        "pyproject.toml.tmpl": "pyproject.toml",
        "README.md.tmpl": "README.md",
        "package/__init__.py.tmpl": f"{pkg}/__init__.py",
        "package/source.txt.tmpl": f"{pkg}/source.txt",
        "package/policy/policy.yaml.tmpl": f"{pkg}/policy/{values['code']}-{values['name']}.yaml",
        "package/cases/eligible.yaml.tmpl": f"{pkg}/cases/eligible.yaml",
        "package/cases/ineligible.yaml.tmpl": f"{pkg}/cases/ineligible.yaml",
        "tests/test_plugin.py.tmpl": f"tests/test_{values['name']}.py",
    }


def render(template: str, values: Mapping[str, str], where: str = "template") -> str:
    def fill(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in values:
            raise KeyError(f"{where}: no value for {{{{{key}}}}}")
        return values[key]

    return _PLACEHOLDER.sub(fill, template)


def _template(path: str) -> Traversable:
    entry = resources.files(__package__ or "core.plugin") / TEMPLATES
    for part in path.split("/"):
        entry = entry / part
    return entry


def write_plugin(
    name: str,
    covers: str,
    out: Path | None,
    registry: JurisdictionRegistry,
    today: dt.date,
) -> Scaffold:
    """Write the distribution for plugin ``name`` covering ``covers`` into ``out`` (default:
    ``./<distribution name>``), which must not exist or be empty; nothing is written when a
    value is refused."""
    values = values_for(name, covers, registry, today)
    root = (out if out is not None else Path.cwd() / values["dist"]).resolve()
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise InvalidInput(f"{root} exists and is not an empty folder; give --out a new folder")
    rendered = {
        target: render(_template(src).read_text(encoding="utf-8"), values, src)
        for src, target in _targets(values).items()
    }
    written: list[Path] = []
    for target, text in rendered.items():
        path = root / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return Scaffold(root, tuple(written), values)


__all__ = ["Scaffold", "render", "values_for", "write_plugin"]
