"""The merged policy of all loaded plugins: what the API and the CLI ask.

:func:`build_policy_base` loads and validates everything once; :func:`get_policy_base` keeps one
per process (built on first use, never at import). A :class:`PolicyBase` is immutable: when
plugins or local settings change, build a new one (its ``version`` changes with it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from threading import Lock
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from core.errors import InvalidInput, PluginLoadError, UnknownJurisdiction
from core.plugin.manager import DoudiPluginManager, PluginInfo, build_plugin_manager
from core.plugin.programs import NO_PLUGIN_PROGRAMS, PluginPrograms
from core.plugin.types import Campaign, HolidayTable, ParameterSpec, Program
from core.policy.catalog import CORE_PARAMETERS, Catalog
from core.policy.constraints import (
    ConstraintCheck,
    PluginConstraint,
    Violation,
    check_constraints,
    violations,
)
from core.policy.jurisdictions import Jurisdiction, JurisdictionRegistry, load_registry
from core.policy.loader import PolicyLoader, SourceFile
from core.policy.model import Layer
from core.policy.resolution import (
    ComparisonRow,
    HistoryEntry,
    PolicyIndex,
    ResolvedParameter,
    ResolvedPolicy,
    compare,
    history,
    resolve,
)

if TYPE_CHECKING:
    from core.reports.tables import ReportTable

CHINA_TZ = ZoneInfo("Asia/Shanghai")
MAX_COMPARE = 20
_CACHE_SIZE = 512


def today() -> dt.date:
    """Today's date in China, the default 'as of' of the API and the CLI."""
    return dt.datetime.now(CHINA_TZ).date()


@dataclass(frozen=True, slots=True)
class PluginSummary:
    info: PluginInfo
    jurisdictions: tuple[Jurisdiction, ...]
    files: tuple[str, ...]
    programs: tuple[Program, ...]
    constraints: tuple[str, ...]
    report_tables: tuple[str, ...] = ()


@dataclass
class PolicyBase:
    registry: JurisdictionRegistry
    catalog: Catalog
    index: PolicyIndex
    rules: tuple[PluginConstraint, ...]
    programs: tuple[tuple[str, Program], ...]
    plugins: tuple[PluginSummary, ...]
    # Plugin calendars: holiday schedules for years chinese-calendar lacks, and campaigns.
    holiday_tables: tuple[tuple[str, HolidayTable], ...] = ()
    campaigns: tuple[tuple[str, Campaign], ...] = ()
    # Plugins' statistics tables (doudi_report_tables), each kept at its jurisdiction and under it.
    report_tables: tuple[tuple[str, ReportTable], ...] = ()
    # The plugin programs and who decides them, for the eligibility engine (``evaluate(...,
    # plugin_programs=base.plugin_programs)``): the one plugin manager this base was built with.
    plugin_programs: PluginPrograms = NO_PLUGIN_PROGRAMS
    _cache: OrderedDict[tuple[str, dt.date], ResolvedPolicy] = field(
        default_factory=OrderedDict, repr=False
    )
    _lock: Lock = field(default_factory=Lock, repr=False)

    @cached_property
    def version(self) -> str:
        """Changes whenever any value, rule or plugin changes (for response caches)."""
        h = hashlib.sha256()
        for layer in self.index.layers:
            h.update(repr((layer.ref.jurisdiction.code, layer.ref.origin, layer.values)).encode())
        h.update(repr([r.rule for r in self.rules]).encode())
        h.update(repr([(p.info.name, p.info.version) for p in self.plugins]).encode())
        h.update(repr(self.holiday_tables).encode())
        h.update(repr(self.campaigns).encode())
        h.update(repr([(p, t.id) for p, t in self.report_tables]).encode())
        return h.hexdigest()[:16]

    def with_layers(self, layers: Iterable[Layer], *, drop_origin: str | None = None) -> PolicyBase:
        """A new PolicyBase with ``layers`` added, without the layers of ``drop_origin`` if given
        (plugins, rules and programs unchanged)."""
        kept = [
            lay for lay in self.index.layers if drop_origin is None or lay.ref.origin != drop_origin
        ]
        return replace(
            self, index=PolicyIndex([*kept, *layers]), _cache=OrderedDict(), _lock=Lock()
        )

    # -- questions -------------------------------------------------------------------------------

    def jurisdiction(self, code: str) -> Jurisdiction:
        return self.registry.get(code)

    def resolve(self, code: str, as_of: dt.date) -> ResolvedPolicy:
        """Every catalog path at ``code`` on ``as_of`` (memoised: a PolicyBase never changes)."""
        key = (code, as_of)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        policy = resolve(self.index, self.registry, self.catalog, code, as_of)
        with self._lock:
            self._cache[key] = policy
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return policy

    def parameter(self, code: str, path: str, as_of: dt.date) -> ResolvedParameter:
        spec = self.catalog.spec(path)
        return self.resolve(code, as_of).parameters[spec.path]

    def parameters(
        self, code: str, as_of: dt.date, prefix: str | None = None
    ) -> list[ResolvedParameter]:
        policy = self.resolve(code, as_of)
        return [policy.parameters[p] for p in self.catalog.paths(prefix)]

    def history(self, code: str, path: str) -> list[HistoryEntry]:
        return history(self.index, self.registry, self.catalog.spec(path), code)

    def checks(self, code: str, as_of: dt.date) -> list[ConstraintCheck]:
        return check_constraints(self.resolve(code, as_of), self.rules)

    def violations(self, code: str, as_of: dt.date) -> list[Violation]:
        policy = self.resolve(code, as_of)
        return violations(policy, check_constraints(policy, self.rules))

    def all_violations(self, as_of: dt.date) -> list[tuple[Jurisdiction, Violation]]:
        """Violations at every jurisdiction that has a layer of its own, each reported once
        (at the most general jurisdiction where it shows)."""
        out: list[tuple[Jurisdiction, Violation]] = []
        seen: set[tuple[str, int, int]] = set()
        codes = sorted(self.index.codes(), key=lambda c: self.registry.get(c).depth)
        for code in codes:
            j = self.registry.get(code)
            for v in self.violations(code, as_of):
                key = (v.path, id(v.value), id(v.other))
                if key not in seen:
                    seen.add(key)
                    out.append((j, v))
        return out

    def compare(
        self,
        codes: Sequence[str],
        as_of: dt.date,
        paths: Iterable[str] | None = None,
        prefix: str | None = None,
    ) -> list[ComparisonRow]:
        """Rows for ``paths`` (default: every path, or those under ``prefix``) across the
        distinct jurisdictions in ``codes`` (aliases such as ``national`` count once)."""
        distinct = list(dict.fromkeys(self.registry.get(c).code for c in codes))
        if not distinct:
            raise InvalidInput("give at least one jurisdiction to compare")
        if len(distinct) > MAX_COMPARE:
            raise InvalidInput(f"compare at most {MAX_COMPARE} jurisdictions at once")
        if paths is not None:
            wanted = list(dict.fromkeys(self.catalog.spec(p).path for p in paths))
            if prefix:
                under = set(self.catalog.paths(prefix))
                wanted = [p for p in wanted if p in under]
        else:
            wanted = self.catalog.paths(prefix)
        policies = [self.resolve(c, as_of) for c in distinct]
        return compare(policies, wanted)

    def program(self, program_id: str) -> tuple[str, Program]:
        for plugin, program in self.programs:
            if program.id == program_id:
                return plugin, program
        raise InvalidInput(f"unknown program '{program_id}'")

    def report_table(self, code: str, table_id: str | None = None) -> tuple[str, ReportTable]:
        """``(plugin, table)``: the statistics table kept at ``code`` (declared there or above
        it; the one declared nearest wins), or the table ``table_id`` if it is kept there.
        INVALID_INPUT when none is kept there, or when two are and ``table_id`` is not given."""
        j = self.registry.get(code)
        depth = {c.code: i for i, c in enumerate(self.registry.chain(j.code))}
        kept = [(p, t) for p, t in self.report_tables if t.jurisdiction in depth]
        if table_id is not None:
            kept = [(p, t) for p, t in kept if t.id == table_id]
        if not kept:
            what = "no statistics table" if table_id is None else f"no table '{table_id}'"
            known = ", ".join(f"{t.id} ({t.jurisdiction})" for _, t in self.report_tables)
            raise InvalidInput(
                f"{what} is kept at {j.code} {j.name}; plugins declare tables with "
                f"doudi_report_tables (installed: {known or 'none'})"
            )
        kept.sort(key=lambda pt: depth[pt[1].jurisdiction])
        if (
            table_id is None
            and len(kept) > 1
            and (depth[kept[0][1].jurisdiction] == depth[kept[1][1].jurisdiction])
        ):
            names = ", ".join(t.id for _, t in kept)
            raise InvalidInput(f"several statistics tables are kept at {j.code}: {names}")
        return kept[0]


def build_policy_base(
    manager: DoudiPluginManager | None = None,
    extra_layers: Iterable[Layer] = (),
    registry: JurisdictionRegistry | None = None,
) -> PolicyBase:
    """Load and validate every plugin's coverage, programs, rules and data into a PolicyBase."""
    manager = manager or build_plugin_manager()
    registry = registry or load_registry()

    coverage: dict[str, list[str]] = {}
    covered: dict[str, list[Jurisdiction]] = {}
    for plugin, cov in manager.jurisdictions():
        try:
            j = registry.get(cov.code)
        except UnknownJurisdiction as exc:
            raise PluginLoadError(plugin, f"doudi_jurisdictions(): {exc.message}") from None
        coverage.setdefault(plugin, []).append(j.code)
        covered.setdefault(plugin, []).append(j)

    programs: list[tuple[str, Program]] = []
    for plugin, program in manager.programs():
        try:
            scope = registry.get(program.scope).code
        except UnknownJurisdiction as exc:
            raise PluginLoadError(plugin, f"program '{program.id}': {exc.message}") from None
        programs.append((plugin, replace(program, scope=scope)))
    catalog = catalog_with_programs(programs)

    rules: list[PluginConstraint] = []
    for plugin, rule in manager.constraints():
        for path in (rule.path, rule.bound_path, rule.multiple_path):
            if path is None:
                continue
            if path not in catalog:
                raise PluginLoadError(
                    plugin, f"constraint '{rule.id}': {catalog.unknown_message(path)}"
                )
            if catalog[path].type not in ("integer", "number"):
                raise PluginLoadError(
                    plugin,
                    f"constraint '{rule.id}': '{path}' is {catalog[path].type}; "
                    "floor and ceiling rules need numeric parameters",
                )
        if rule.bound_path is None and rule.bound_value is None:
            raise PluginLoadError(plugin, f"constraint '{rule.id}' needs bound_path or bound_value")
        try:
            scope = registry.get(rule.scope).code
        except UnknownJurisdiction as exc:
            raise PluginLoadError(plugin, f"constraint '{rule.id}': {exc.message}") from None
        rules.append(PluginConstraint(plugin, replace(rule, scope=scope)))

    files = [SourceFile(plugin, f) for plugin, f in manager.policy_files()]
    loader = PolicyLoader(registry, catalog, coverage)
    layers = loader.load(files)
    index = PolicyIndex([*layers, *extra_layers])

    summaries = tuple(
        PluginSummary(
            info,
            tuple(covered.get(info.name, ())),
            tuple(sf.file.display_name for sf in files if sf.plugin == info.name),
            tuple(p for name, p in programs if name == info.name),
            tuple(r.rule.id for r in rules if r.plugin == info.name),
            tuple(t.id for name, t in manager.report_tables() if name == info.name),
        )
        for info in manager.plugins
    )
    campaigns: list[tuple[str, Campaign]] = []
    for plugin, campaign in manager.campaigns():
        try:
            where = registry.get(campaign.jurisdiction)
        except UnknownJurisdiction as exc:
            raise PluginLoadError(plugin, f"campaign '{campaign.id}': {exc.message}") from None
        own = coverage.get(plugin, [])
        if not any(registry.is_within(where.code, code) for code in own):
            raise PluginLoadError(
                plugin,
                f"campaign '{campaign.id}' runs in {where.code} {where.name}, which the plugin "
                "does not cover (doudi_jurisdictions)",
            )
        campaigns.append((plugin, replace(campaign, jurisdiction=where.code)))

    tables: list[tuple[str, ReportTable]] = []
    for plugin, table in manager.report_tables():
        try:
            where = registry.get(table.jurisdiction)
        except UnknownJurisdiction as exc:
            raise PluginLoadError(plugin, f"report table '{table.id}': {exc.message}") from None
        if not any(registry.is_within(where.code, code) for code in coverage.get(plugin, [])):
            raise PluginLoadError(
                plugin,
                f"report table '{table.id}' is kept at {where.code} {where.name}, which the "
                "plugin does not cover (doudi_jurisdictions)",
            )
        tables.append((plugin, replace(table, jurisdiction=where.code)))

    return PolicyBase(
        registry,
        catalog,
        index,
        tuple(rules),
        tuple(programs),
        summaries,
        tuple(manager.holiday_tables()),
        tuple(campaigns),
        tuple(tables),
        PluginPrograms.of(programs, manager.evaluate_program),
    )


def catalog_with_programs(programs: Sequence[tuple[str, Program]]) -> Catalog:
    """The core catalog plus the parameters plugins' programs declare (checked for clashes)."""
    specs: dict[str, ParameterSpec] = {s.path: s for s in CORE_PARAMETERS}
    for plugin, program in programs:
        for spec in program.parameters:
            known = specs.get(spec.path)
            if known is not None and (known.type, known.unit) != (spec.type, spec.unit):
                raise PluginLoadError(
                    plugin,
                    f"program '{program.id}' redeclares '{spec.path}' as {spec.type} "
                    f"[{spec.unit}]; the catalog has {known.type} [{known.unit}]",
                )
            specs.setdefault(spec.path, spec)
    return Catalog(specs.values())


_base: PolicyBase | None = None
_base_lock = Lock()


def get_policy_base() -> PolicyBase:
    """The process-wide PolicyBase, built on first use."""
    global _base
    with _base_lock:
        if _base is None:
            _base = build_policy_base()
        return _base
