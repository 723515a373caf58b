"""The conformance suite: what every doudi plugin must pass before it ships.

The same checks run in a plugin's own CI (``pytest --doudi-plugin NAME``,
:mod:`core.plugin.testing`) and from ``doudi plugins check PATH``. Each problem is a
:class:`~core.errors.DataIssue` naming the plugin, the file (a policy or case file, or the hook
that returned the object, e.g. ``doudi_programs()``) and the JSON path inside it:

- ``loads`` — the plugin loads through its ``doudi.plugins`` entry point (or from the folder
  given) and its hooks are valid;
- ``data`` — its policy files validate against the schema and the catalog (with the parameters
  programs declare), and its hooks return what the contract allows;
- ``quotes`` — every quote (of a value, program, constraint, campaign, report table or decision
  case) appears verbatim, up to white space, in the ``source.txt`` the plugin ships;
- ``coverage`` — every jurisdiction it speaks for exists, and every value, program, rule,
  campaign, table and case lies within them;
- ``programs`` — every program it adds has an evaluator, and the decisions carry a complete
  trace: every parameter the evaluator read is listed, with the value the policy holds;
- ``others`` — it answers nothing for programs it does not add (the core's, other plugins');
- ``constraints`` — the rules it declares hold on its own data, on every date its values change;
- one check per decision case (``cases/*.yaml``, :mod:`core.plugin.cases`).
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import re
import sys
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from core.errors import DataIssue, DoudiError, PluginLoadError, PolicyDataError
from core.plugin.cases import (
    CASES_FOLDER,
    CaseFile,
    case_households,
    json_path,
    read_case_files,
    run_case,
)
from core.plugin.manager import ENTRY_POINT_GROUP, DoudiPluginManager, build_plugin_manager
from core.plugin.types import Document, PolicyFile, Source

if TYPE_CHECKING:
    from core.households.model import Household
    from core.policy.jurisdictions import JurisdictionRegistry
    from core.policy.resolution import ResolvedPolicy
    from core.policy.service import PolicyBase

SOURCE_TEXT = "source.txt"
CORE_PROGRAMS = ("dibao", "low_income", "tekun", "temporary")
# A program id no plugin may answer for: the suite asks every plugin about it.
PROBE_PROGRAM = "doudi_conformance_probe"


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    title: str
    run: Callable[[PluginUnderTest], list[DataIssue]]


def squash(text: str) -> str:
    """Text without white space: quotes are compared this way (line breaks and spaces in the
    published text vary between copies; every other character must match)."""
    return re.sub(r"\s+", "", text)


def _today() -> dt.date:
    from core.policy.service import today

    return today()


class _Recording(dict[str, Any]):
    """The parameters of a resolved policy, remembering every path an evaluator reads."""

    def __init__(self, parameters: dict[str, Any]) -> None:
        super().__init__(parameters)
        self.read: list[str] = []

    def __getitem__(self, key: str) -> Any:
        self.read.append(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.append(key)
        return super().get(key, default)


class PluginUnderTest:
    """One plugin, loaded with every other installed plugin, and what the checks share."""

    def __init__(
        self,
        name: str,
        manager: DoudiPluginManager | None,
        load_issues: Iterable[DataIssue] = (),
        origin: str = "",
    ) -> None:
        self.name = name
        self.manager = manager
        self.load_issues = list(load_issues)
        self.origin = origin  # how it was loaded, for messages

    # -- loading ---------------------------------------------------------------------------------

    @classmethod
    def installed(cls, name: str) -> PluginUnderTest:
        """The plugin registered under ``name`` in the ``doudi.plugins`` entry-point group,
        loaded as the platform loads it (every installed plugin enabled)."""
        found = [ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
        where = f"entry point '{name}'"
        if not found:
            names = sorted({ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)})
            issue = DataIssue(
                name,
                "pyproject.toml",
                '$.project["entry-points"]["doudi.plugins"]',
                f"no entry point named '{name}' in group '{ENTRY_POINT_GROUP}' is installed "
                f"(installed: {', '.join(names) or 'none'}); is the distribution installed?",
            )
            return cls(name, None, [issue], where)
        where = f"entry point '{name} = {found[0].value}'"
        return cls._build(name, lambda: build_plugin_manager(disabled=()), where)

    @classmethod
    def at_path(cls, path: Path) -> PluginUnderTest | None:
        """The plugin whose package is at ``path`` (a plugin package folder, or a distribution
        folder with a pyproject.toml naming its ``doudi.plugins`` entry point); None when
        ``path`` holds data files only."""
        located = _locate(path)
        if located is None:
            return None
        name, module_name, package_dir = located
        installed = {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
        ep = installed.get(name)
        if ep is not None and _same_package(ep.value.split(":")[0], package_dir):
            return cls.installed(name)
        try:
            module = _import_from(module_name, package_dir)
        except DoudiError as exc:
            issue = DataIssue(name, f"{package_dir.name}/__init__.py", "$", exc.message)
            return cls(name, None, [issue], str(package_dir))
        return cls._build(
            name,
            lambda: build_plugin_manager(disabled=(), instead={name: module}),
            f"{package_dir}",
        )

    @classmethod
    def _build(
        cls, name: str, build: Callable[[], DoudiPluginManager], where: str
    ) -> PluginUnderTest:
        try:
            manager = build()
        except PluginLoadError as exc:
            culprit = exc.plugin if exc.plugin != name else name
            note = "" if culprit == name else f" (another installed plugin, '{culprit}')"
            issue = DataIssue(name, "hooks", "$", f"does not load{note}: {exc.message}")
            return cls(name, None, [issue], where)
        if name not in {p.name for p in manager.plugins}:
            issue = DataIssue(name, "hooks", "$", f"{where} is not loaded (disabled?)")
            return cls(name, None, [issue], where)
        return cls(name, manager, [], where)

    # -- what the checks share -------------------------------------------------------------------

    @cached_property
    def plugin(self) -> object | None:
        return None if self.manager is None else self.manager.plugin_object(self.name)

    @cached_property
    def package(self) -> str | None:
        """The package the plugin's files ship in (its module if a package, else its parent)."""
        obj = self.plugin
        if obj is None:
            return None
        module = obj if isinstance(obj, ModuleType) else sys.modules.get(type(obj).__module__)
        if module is None:
            return None
        if hasattr(module, "__path__"):
            return module.__name__
        return module.__name__.rpartition(".")[0] or None

    def folder(self, name: str) -> Traversable | None:
        if self.package is None:
            return None
        entry = resources.files(self.package) / name
        return entry if entry.is_dir() else None

    @cached_property
    def source_text(self) -> str | None:
        if self.package is None:
            return None
        entry = resources.files(self.package) / SOURCE_TEXT
        if not entry.is_file():
            return None
        return squash(entry.read_text(encoding="utf-8"))

    @cached_property
    def registry(self) -> JurisdictionRegistry:
        from core.policy.jurisdictions import load_registry

        return load_registry()

    @cached_property
    def base(self) -> PolicyBase | str:
        """The merged policy with the plugin loaded, or why it cannot be built."""
        from core.policy.service import build_policy_base

        if self.manager is None:
            return "the plugin does not load (see the 'loads' check)"
        try:
            return build_policy_base(self.manager, registry=self.registry)
        except PolicyDataError as exc:
            ours = [i for i in exc.issues if i.plugin == self.name]
            if ours:
                return f"its data does not load (see the 'data' and 'coverage' checks): {ours[0]}"
            return f"the installed policy does not load: {exc.issues[0]}"
        except PluginLoadError as exc:
            return f"the merged policy does not build: {exc.message}"

    def own(self, hook: str) -> list[Any]:
        """What the plugin itself returns from a collecting hook, in order (empty if it fails;
        the 'data' check reports the failure)."""
        if self.manager is None:
            return []
        try:
            found = getattr(self.manager, hook)()
        except PluginLoadError:
            return []
        return [item for plugin, item in found if plugin == self.name]

    @cached_property
    def policy_files(self) -> list[tuple[PolicyFile, Any, str | None]]:
        """(file, parsed data or None, why it could not be read) of each policy file."""
        from core.policy.loader import parse_text

        out: list[tuple[PolicyFile, Any, str | None]] = []
        for f in self.own("policy_files"):
            try:
                data = parse_text(f.resource.read_text(encoding="utf-8"), f.display_name)
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                out.append((f, None, str(exc)))
                continue
            out.append((f, data, None))
        return out

    @cached_property
    def documents(self) -> dict[str, Document]:
        """The documents the plugin's policy files declare, by id."""
        out: dict[str, Document] = {}
        for _, data, _ in self.policy_files:
            docs = data.get("documents") if isinstance(data, dict) else None
            for doc_id, raw in (docs or {}).items() if isinstance(docs, dict) else ():
                if isinstance(raw, dict) and isinstance(raw.get("title"), str):
                    out[str(doc_id)] = Document(id=str(doc_id), title=raw["title"])
        return out

    @cached_property
    def cases(self) -> list[CaseFile]:
        return read_case_files(self.name, self.folder(CASES_FOLDER))

    @cached_property
    def coverage(self) -> list[str]:
        codes: list[str] = []
        for cov in self.own("jurisdictions"):
            if cov.code in self.registry:
                codes.append(self.registry.get(cov.code).code)
        return codes

    def covered(self, code: str) -> bool:
        return code in self.registry and any(
            self.registry.is_within(code, c) for c in self.coverage
        )

    def issue(self, file: str, path: str, message: str) -> DataIssue:
        return DataIssue(self.name, file, path, message)

    def cannot_run(self, why: str) -> list[DataIssue]:
        return [self.issue("hooks", "$", f"cannot run: {why}")]


# -- locating a plugin on disk ---------------------------------------------------------------------


def _locate(path: Path) -> tuple[str, str, Path] | None:
    """(plugin name, module name, package folder) of the plugin at ``path``."""
    path = path.resolve()
    if path.is_file():
        return None
    pyproject = path / "pyproject.toml"
    if pyproject.is_file():
        try:
            meta = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise DoudiError(f"{pyproject}: {exc}") from None
        eps = meta.get("project", {}).get("entry-points", {}).get(ENTRY_POINT_GROUP, {})
        if len(eps) != 1:
            raise DoudiError(
                f"{pyproject}: name exactly one plugin under "
                f'[project.entry-points."{ENTRY_POINT_GROUP}"] (found {len(eps)})'
            )
        ((name, value),) = eps.items()
        module_name = str(value).split(":")[0].strip()
        parts = module_name.split(".")
        for root in (path / "src", path):
            candidate = root.joinpath(*parts)
            if (candidate / "__init__.py").is_file():
                return str(name), module_name, candidate
        raise DoudiError(f"{pyproject}: no package '{module_name}' under {path} or {path / 'src'}")
    if (path / "__init__.py").is_file():
        installed = metadata.entry_points(group=ENTRY_POINT_GROUP)
        for ep in installed:
            if _same_package(ep.value.split(":")[0], path):
                return ep.name, ep.value.split(":")[0], path
        return path.name, path.name, path
    return None


def _same_package(module_name: str, folder: Path) -> bool:
    try:
        spec = importlib.util.find_spec(module_name)
    except (ImportError, ValueError):
        return False
    if spec is None or spec.origin is None:
        return False
    return Path(spec.origin).resolve().parent == folder.resolve()


def _import_from(module_name: str, folder: Path) -> ModuleType:
    """Import the package in ``folder`` as ``module_name`` (its submodules and files with it)."""
    init = folder / "__init__.py"
    loaded = sys.modules.get(module_name)
    if loaded is not None:
        if getattr(loaded, "__file__", None) and Path(str(loaded.__file__)).resolve() == init:
            return loaded
        raise DoudiError(
            f"a different module named '{module_name}' is already imported from "
            f"{getattr(loaded, '__file__', '?')}"
        )
    spec = importlib.util.spec_from_file_location(
        module_name, init, submodule_search_locations=[str(folder)]
    )
    if spec is None or spec.loader is None:
        raise DoudiError(f"cannot import {init}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # any import failure must name the plugin's file
        del sys.modules[module_name]
        raise DoudiError(f"importing {init} raised {type(exc).__name__}: {exc}") from exc
    return module


# -- the checks ---------------------------------------------------------------------------------


def _loads(p: PluginUnderTest) -> list[DataIssue]:
    return list(p.load_issues)


_HOOKS = (
    ("jurisdictions", "doudi_jurisdictions"),
    ("policy_files", "doudi_policy_files"),
    ("programs", "doudi_programs"),
    ("constraints", "doudi_constraints"),
    ("holiday_tables", "doudi_holiday_tables"),
    ("campaigns", "doudi_campaigns"),
    ("report_tables", "doudi_report_tables"),
)


def _data(p: PluginUnderTest) -> list[DataIssue]:
    from core.policy.loader import PolicyLoader, SourceFile
    from core.policy.service import catalog_with_programs

    if p.manager is None:
        return p.cannot_run("the plugin does not load (see the 'loads' check)")
    issues: list[DataIssue] = []
    for method, hook in _HOOKS:
        try:
            getattr(p.manager, method)()
        except PluginLoadError as exc:
            issues.append(p.issue(f"{hook}()", "$", exc.message))
    if issues:
        return issues
    try:
        catalog = catalog_with_programs(p.manager.programs())
    except PluginLoadError as exc:
        return [p.issue("doudi_programs()", "$", exc.message)]
    # Coverage is the 'coverage' check's: here any province may be named.
    provinces = [j.code for j in p.registry.children("000000")]
    loader = PolicyLoader(p.registry, catalog, {p.name: provinces})
    try:
        loader.load(SourceFile(p.name, f) for f, _, _ in p.policy_files)
    except PolicyDataError as exc:
        issues.extend(exc.issues)
    if not p.policy_files:
        issues.append(p.issue("doudi_policy_files()", "$", "the plugin ships no policy file"))
    if isinstance(p.base, str) and not issues and not _coverage(p):
        issues.append(p.issue("hooks", "$", p.base))  # what no other check explains
    return issues


def quotes_of(p: PluginUnderTest) -> Iterator[tuple[str, str, str]]:
    """(file, JSON path, quote) of every quote the plugin makes."""
    for f, data, _ in p.policy_files:
        params = data.get("parameters") if isinstance(data, dict) else None
        if not isinstance(params, dict):
            continue
        for path, entries in params.items():
            for i, entry in enumerate(entries if isinstance(entries, list) else ()):
                src = entry.get("source") if isinstance(entry, dict) else None
                quote = src.get("quote") if isinstance(src, dict) else None
                if isinstance(quote, str):
                    where = json_path(["parameters", path, i, "source", "quote"])
                    yield f.display_name, where, quote

    def sourced(hook: str, items: list[Any]) -> Iterator[tuple[str, str, str]]:
        for i, item in enumerate(items):
            source: Source | None = getattr(item, "source", None)
            if source is not None:
                yield f"{hook}()", f"$[{i}].source.quote", source.quote

    yield from sourced("doudi_programs", p.own("programs"))
    yield from sourced("doudi_constraints", p.own("constraints"))
    yield from sourced("doudi_holiday_tables", p.own("holiday_tables"))
    campaigns = p.own("campaigns")
    yield from sourced("doudi_campaigns", campaigns)
    for i, c in enumerate(campaigns):
        for k, phase in enumerate(c.phases):
            if phase.name_zh:
                yield "doudi_campaigns()", f"$[{i}].phases[{k}].name_zh", phase.name_zh
    tables = p.own("report_tables")
    yield from sourced("doudi_report_tables", tables)
    for i, t in enumerate(tables):
        for k, section in enumerate(t.sections):
            yield "doudi_report_tables()", f"$[{i}].sections[{k}].title_zh", section.title_zh
        for k, row in enumerate(t.rows):
            # "…" joins words the table separates: each part is the table's own.
            for part in row.label_zh.split("…"):
                yield "doudi_report_tables()", f"$[{i}].rows[{k}].label_zh", part
    for case in p.cases:
        found = case.clause_quote()
        if found is not None:
            yield case.name, found[0], found[1]


def _quotes(p: PluginUnderTest) -> list[DataIssue]:
    if p.manager is None:
        return p.cannot_run("the plugin does not load (see the 'loads' check)")
    quotes = list(quotes_of(p))
    text = p.source_text
    if text is None:
        where = p.package or p.name
        return [
            p.issue(
                SOURCE_TEXT,
                "$",
                f"missing: the plugin must ship the text of its documents as {SOURCE_TEXT} in "
                f"its package ({where}) so that every quote can be checked",
            )
        ]
    issues: list[DataIssue] = []
    for file, where, quote in quotes:
        if not squash(quote):
            issues.append(p.issue(file, where, "empty: cite the document's own words"))
        elif squash(quote) not in text:
            issues.append(p.issue(file, where, f"not found verbatim in {SOURCE_TEXT}: {quote!r}"))
    return issues


def _coverage(p: PluginUnderTest) -> list[DataIssue]:
    if p.manager is None:
        return p.cannot_run("the plugin does not load (see the 'loads' check)")
    issues: list[DataIssue] = []
    own = p.own("jurisdictions")
    if not own:
        issues.append(
            p.issue("doudi_jurisdictions()", "$", "the plugin speaks for no jurisdiction")
        )
    for i, cov in enumerate(own):
        if cov.code not in p.registry:
            issues.append(
                p.issue("doudi_jurisdictions()", f"$[{i}].code", f"unknown code '{cov.code}'")
            )
    covered = ", ".join(p.coverage) or "nothing"

    def need(code: Any, file: str, where: str, what: str) -> None:
        if not isinstance(code, str):
            return
        if code not in p.registry:
            issues.append(p.issue(file, where, f"unknown jurisdiction '{code}'"))
        elif not p.covered(code):
            j = p.registry.get(code)
            issues.append(
                p.issue(
                    file,
                    where,
                    f"{what} {j.code} ({j.name}) is outside what the plugin covers ({covered}); "
                    "declare it in doudi_jurisdictions",
                )
            )

    for f, data, _ in p.policy_files:
        code = data.get("jurisdiction") if isinstance(data, dict) else None
        need(code, f.display_name, "$.jurisdiction", "the values' jurisdiction")
    for i, prog in enumerate(p.own("programs")):
        need(prog.scope, "doudi_programs()", f"$[{i}].scope", f"program '{prog.id}' exists in")
    for i, rule in enumerate(p.own("constraints")):
        need(rule.scope, "doudi_constraints()", f"$[{i}].scope", f"rule '{rule.id}' applies in")
    for i, c in enumerate(p.own("campaigns")):
        need(c.jurisdiction, "doudi_campaigns()", f"$[{i}].jurisdiction", "the campaign runs in")
    for i, t in enumerate(p.own("report_tables")):
        need(t.jurisdiction, "doudi_report_tables()", f"$[{i}].jurisdiction", "the table is in")
    for case in p.cases:
        household = case.data.get("household") if isinstance(case.data, dict) else None
        county = household.get("county") if isinstance(household, dict) else None
        need(county, case.name, "$.household.county", "the household lives in")
    return issues


def _probe_county(p: PluginUnderTest, under: str) -> str | None:
    """A county-level jurisdiction at or under ``under`` (the first by code)."""
    from core.policy.jurisdictions import Level

    if under not in p.registry:
        return None
    j = p.registry.get(under)
    while j.level not in (Level.COUNTY,):
        children = p.registry.children(j.code)
        if not children:
            return None
        j = children[0]
    return j.code


def _probe_household(county: str, as_of: dt.date) -> Household:
    """One adult, head of a household of one at ``county``: the plainest household there is."""
    from stdnum.cn import ric

    from core.households.model import Area, Household, IncomeClass, Member, Relation

    stem = f"{county}19600101001"
    number = stem + ric.calc_check_digit(stem + "0")
    head = Member(number, "示例", Relation.HEAD, dt.date(1960, 1, 1), "male")
    return Household(county, Area.URBAN, IncomeClass.STABLE, (head,), (), (), (), True)


def _recorded(policy: ResolvedPolicy) -> tuple[ResolvedPolicy, _Recording]:
    from core.policy.resolution import ResolvedPolicy

    recording = _Recording(policy.parameters)
    return ResolvedPolicy(policy.jurisdiction, policy.chain, policy.as_of, recording), recording


def _probes(p: PluginUnderTest, base: PolicyBase, program: Any) -> list[tuple[Household, dt.date]]:
    """Households and dates to ask about ``program``: a plain household in its scope today and
    on each date the plugin's values for it start, and every decision case's household."""
    from core.households.model import InvalidHousehold, parse_household

    dates = {_today()}
    prefix = f"programs.{program.id}."
    for layer in base.index.layers:
        if layer.ref.origin == p.name:
            dates |= {v.start for v in layer.values if v.path.startswith(prefix)}
    out: list[tuple[Household, dt.date]] = []
    county = _probe_county(p, program.scope)
    if county is not None:
        out.extend((_probe_household(county, d), d) for d in sorted(dates))
    for prog, raw, as_of in case_households(p.cases):
        day = _parse_day(as_of)
        if prog != program.id or day is None:
            continue
        try:
            out.append((parse_household(raw, base.registry, day), day))
        except InvalidHousehold:
            continue  # the case's own check reports it
    return out


def _parse_day(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def _programs(p: PluginUnderTest) -> list[DataIssue]:
    from core.policy.model import canonical

    base = p.base
    if isinstance(base, str):
        return p.cannot_run(base)
    assert p.manager is not None
    issues: list[DataIssue] = []
    programs = [prog for name, prog in base.programs if name == p.name]
    for i, program in enumerate(programs):
        where = f"$[{i}]"
        for household, day in _probes(p, base, program):
            policy, recording = _recorded(base.resolve(household.county, day))
            try:
                answer = p.manager.evaluate_program(program.id, household, policy, day)
            except PluginLoadError as exc:
                issues.append(p.issue("doudi_evaluate_program()", where, exc.message))
                break
            if answer is None:
                issues.append(
                    p.issue(
                        "doudi_programs()",
                        where,
                        f"program '{program.id}' has no evaluator: no plugin's "
                        "doudi_evaluate_program answers for it (asked about a household at "
                        f"{household.county} on {day})",
                    )
                )
                break
            who, decision = answer
            if who != p.name:
                issues.append(
                    p.issue(
                        "doudi_programs()",
                        where,
                        f"program '{program.id}' is decided by plugin '{who}', not by "
                        f"'{p.name}' which adds it",
                    )
                )
                break
            listed = {t.path: t for t in decision.trace}
            unlisted = sorted({path for path in recording.read if path not in listed})
            if unlisted:
                issues.append(
                    p.issue(
                        "doudi_evaluate_program()",
                        where,
                        f"program '{program.id}': the decision at {household.county} on {day} "
                        f"read {', '.join(unlisted)} but its trace does not list "
                        f"{'it' if len(unlisted) == 1 else 'them'} (trace_entry(param))",
                    )
                )
            for path, entry in listed.items():
                param = policy.parameters.get(path) if path in base.catalog else None
                if param is None:
                    issues.append(
                        p.issue(
                            "doudi_evaluate_program()",
                            where,
                            f"program '{program.id}': the trace lists '{path}', which is not a "
                            "parameter of the catalog",
                        )
                    )
                elif entry.is_set != param.is_set or (
                    param.is_set and canonical(_plain(entry.value)) != canonical(param.value)
                ):
                    issues.append(
                        p.issue(
                            "doudi_evaluate_program()",
                            where,
                            f"program '{program.id}': the trace says {path} = "
                            f"{entry.value!r}, the policy at {household.county} on {day} holds "
                            f"{param.value!r}",
                        )
                    )
            if issues:
                break
    return issues


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _others(p: PluginUnderTest) -> list[DataIssue]:
    base = p.base
    if isinstance(base, str):
        return p.cannot_run(base)
    assert p.manager is not None
    own = {prog.id for name, prog in base.programs if name == p.name}
    others = [*CORE_PROGRAMS, *(prog.id for name, prog in base.programs if name != p.name)]
    county = next((c for c in map(lambda c: _probe_county(p, c), p.coverage) if c), None)
    if county is None:
        return p.cannot_run("the plugin covers no county to ask about")
    day = _today()
    household = _probe_household(county, day)
    policy = base.resolve(county, day)
    issues: list[DataIssue] = []
    for program_id in [*others, PROBE_PROGRAM]:
        if program_id in own:
            continue
        try:
            answer = p.manager.ask(p.name, program_id, household, policy, day)
        except PluginLoadError as exc:
            issues.append(p.issue("doudi_evaluate_program()", "$", exc.message))
            continue
        if answer is not None:
            issues.append(
                p.issue(
                    "doudi_evaluate_program()",
                    "$",
                    f"answers for program '{program_id}', which the plugin does not add: return "
                    "None for every program that is not yours",
                )
            )
    return issues


def _constraints(p: PluginUnderTest) -> list[DataIssue]:
    from core.policy.constraints import CheckStatus, check_constraints

    base = p.base
    if isinstance(base, str):
        return p.cannot_run(base)
    own_layers = [layer for layer in base.index.layers if layer.ref.origin == p.name]
    places = {layer.ref.jurisdiction.code for layer in own_layers}
    starts = {v.start for layer in own_layers for v in layer.values}
    issues: list[DataIssue] = []
    rules = [r for r in base.rules if r.plugin == p.name]
    for i, pc in enumerate(rules):
        rule = pc.rule
        codes = sorted({rule.scope} | {c for c in places if p.registry.is_within(c, rule.scope)})
        days = {_today(), *starts}
        if rule.effective_from is not None:
            days.add(rule.effective_from)
        for code in codes:
            for day in sorted(days):  # the first date it fails at each place
                broken = [
                    c
                    for c in check_constraints(base.resolve(code, day), [pc])
                    if c.status is CheckStatus.VIOLATED
                ]
                if broken:
                    issues.append(
                        p.issue(
                            "doudi_constraints()",
                            f"$[{i}]",
                            f"rule '{rule.id}' does not hold on the plugin's own data at "
                            f"{code} on {day}: {broken[0].message}",
                        )
                    )
                    break
    return issues


CHECKS: tuple[Check, ...] = (
    Check("loads", "loads through its entry point", _loads),
    Check("data", "its data validates", _data),
    Check("quotes", "every quote is in its source text", _quotes),
    Check("coverage", "every jurisdiction is covered", _coverage),
    Check("programs", "its programs have evaluators and complete traces", _programs),
    Check("others", "it answers nothing for others' programs", _others),
    Check("constraints", "its rules hold on its own data", _constraints),
)


def run_check(p: PluginUnderTest, check: Check) -> list[DataIssue]:
    """One check's problems (a check that crashes is a problem too, never a pass)."""
    try:
        return check.run(p)
    except DoudiError as exc:
        return [p.issue("hooks", "$", f"{check.id}: {exc.message}")]


def check_case(p: PluginUnderTest, case: CaseFile) -> list[DataIssue]:
    base = p.base
    if isinstance(base, str):
        return [p.issue(case.name, "$", f"cannot run: {base}")]
    return list(run_case(case, base, p.documents).issues)


def run_all(p: PluginUnderTest) -> dict[str, list[DataIssue]]:
    """Every check and every decision case: id (or case file) → its problems."""
    out = {check.id: run_check(p, check) for check in CHECKS}
    for case in p.cases:
        out[case.name] = check_case(p, case)
    return out


__all__ = [
    "CHECKS",
    "PROBE_PROGRAM",
    "SOURCE_TEXT",
    "Check",
    "PluginUnderTest",
    "check_case",
    "quotes_of",
    "run_all",
    "run_check",
    "squash",
]
