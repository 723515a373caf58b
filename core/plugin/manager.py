"""Find, load and call plugins: the built-in national layer and every ``doudi.plugins`` entry point.

Build a manager with :func:`build_plugin_manager` (nothing is loaded at import time). Disable
plugins by name with ``DOUDI_DISABLE_PLUGINS=guizhou,shanxi``. Every error names the plugin at
fault. The rest of the code calls the typed methods of :class:`DoudiPluginManager`, never
``pm.hook.*`` directly.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from importlib import metadata
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

from core.errors import PluginLoadError
from core.plugin import hookspecs
from core.plugin.types import (
    Campaign,
    Constraint,
    Coverage,
    Decision,
    HolidayTable,
    PolicyFile,
    Program,
)

if TYPE_CHECKING:
    from core.households.model import Household
    from core.policy.resolution import ResolvedPolicy
    from core.reports.tables import ReportTable

ENTRY_POINT_GROUP = "doudi.plugins"
DISABLE_ENV = "DOUDI_DISABLE_PLUGINS"
NATIONAL = "national"
# Origins the core uses for its own layers: no entry point may take these names.
RESERVED_NAMES = frozenset({NATIONAL, "local"})
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """What is known about a loaded plugin, for ``doudi plugins list`` and the API."""

    name: str
    module: str
    distribution: str | None
    version: str | None
    builtin: bool  # part of the core (the national layer), not an entry point


class DoudiPluginManager:
    """A pluggy manager with one typed, validated method per hook."""

    def __init__(self, pm: pluggy.PluginManager, infos: list[PluginInfo]) -> None:
        self._pm = pm
        self._infos = infos
        self._cache: dict[str, list[tuple[str, Any]]] = {}

    @property
    def plugins(self) -> list[PluginInfo]:
        return list(self._infos)

    def plugin_object(self, name: str) -> object | None:
        """The object (usually a module) registered as plugin ``name``."""
        return self._pm.get_plugin(name)

    def jurisdictions(self) -> list[tuple[str, Coverage]]:
        return self._collect("doudi_jurisdictions", Coverage)

    def policy_files(self) -> list[tuple[str, PolicyFile]]:
        return self._collect("doudi_policy_files", PolicyFile)

    def programs(self) -> list[tuple[str, Program]]:
        found = self._collect("doudi_programs", Program)
        seen: dict[str, str] = {}
        for plugin, program in found:
            if program.id in seen:
                raise PluginLoadError(
                    plugin,
                    f"program '{program.id}' is already added by plugin '{seen[program.id]}'",
                )
            seen[program.id] = plugin
            for spec in program.parameters:
                if not spec.path.startswith(f"programs.{program.id}."):
                    raise PluginLoadError(
                        plugin,
                        f"program '{program.id}' declares parameter '{spec.path}'; a program's "
                        f"parameters must start with 'programs.{program.id}.'",
                    )
        return found

    def constraints(self) -> list[tuple[str, Constraint]]:
        found = self._collect("doudi_constraints", Constraint)
        seen: dict[str, str] = {}
        for plugin, rule in found:
            if rule.id in seen:
                raise PluginLoadError(
                    plugin, f"constraint '{rule.id}' is already declared by '{seen[rule.id]}'"
                )
            seen[rule.id] = plugin
        return found

    def holiday_tables(self) -> list[tuple[str, HolidayTable]]:
        """Holiday schedules from plugins, checked: dates within the year, no day both off and
        worked, one table per year across plugins."""
        found = self._collect("doudi_holiday_tables", HolidayTable)
        seen: dict[int, str] = {}
        for plugin, table in found:
            if table.year in seen:
                raise PluginLoadError(
                    plugin,
                    f"a holiday table for {table.year} is already given by '{seen[table.year]}'",
                )
            seen[table.year] = plugin
            stray = sorted(d for d in table.holidays | table.workdays if d.year != table.year)
            if stray:
                raise PluginLoadError(
                    plugin,
                    f"holiday table {table.year}: {stray[0].isoformat()} is not in {table.year}",
                )
            both = sorted(table.holidays & table.workdays)
            if both:
                raise PluginLoadError(
                    plugin,
                    f"holiday table {table.year}: {both[0].isoformat()} is both a holiday and a "
                    "make-up working day",
                )
        return found

    def campaigns(self) -> list[tuple[str, Campaign]]:
        """Campaigns from plugins, checked: unique ids, phases in order with end >= start."""
        found = self._collect("doudi_campaigns", Campaign)
        seen: dict[str, str] = {}
        for plugin, campaign in found:
            if campaign.id in seen:
                raise PluginLoadError(
                    plugin, f"campaign '{campaign.id}' is already declared by '{seen[campaign.id]}'"
                )
            seen[campaign.id] = plugin
            previous_end = None
            for phase in campaign.phases:
                if phase.end is not None and phase.end < phase.start:
                    raise PluginLoadError(
                        plugin,
                        f"campaign '{campaign.id}': phase '{phase.name}' ends before it starts",
                    )
                if previous_end is not None and phase.start <= previous_end:
                    raise PluginLoadError(
                        plugin,
                        f"campaign '{campaign.id}': phase '{phase.name}' overlaps the one before",
                    )
                previous_end = phase.end or dt.date.max
        return found

    def report_tables(self) -> list[tuple[str, ReportTable]]:
        """Statistics tables from plugins, checked: unique ids, a sound definition (sections,
        unique line keys, each line counted or saying why it cannot be)."""
        from core.reports.tables import ReportTable  # on first use: most commands need no table

        found = self._collect("doudi_report_tables", ReportTable)
        seen: dict[str, str] = {}
        for plugin, table in found:
            if table.id in seen:
                raise PluginLoadError(
                    plugin, f"report table '{table.id}' is already declared by '{seen[table.id]}'"
                )
            seen[table.id] = plugin
            problems = table.problems()
            if problems:
                raise PluginLoadError(plugin, f"report table '{table.id}': {'; '.join(problems)}")
        return found

    def evaluate_program(
        self, program_id: str, household: Household, policy: ResolvedPolicy, as_of: dt.date
    ) -> tuple[str, Decision] | None:
        """Ask the plugins to decide a plugin program (``doudi_evaluate_program``, firstresult).

        Returns the name of the plugin that answered and its decision, or None when no plugin
        answers for ``program_id``. A plugin that raises, or returns something other than a
        :class:`Decision` for this program, is named in the :class:`PluginLoadError`.
        """
        for name in self._evaluators():
            result = self.ask(name, program_id, household, policy, as_of)
            if result is not None:
                return name, result
        return None

    def _evaluators(self) -> list[str]:
        """The plugins implementing ``doudi_evaluate_program``, in the order pluggy itself calls
        a firstresult hook in."""
        caller = self._pm.hook.doudi_evaluate_program
        return [impl.plugin_name for impl in reversed(caller.get_hookimpls())]

    def ask(
        self,
        plugin: str,
        program_id: str,
        household: Household,
        policy: ResolvedPolicy,
        as_of: dt.date,
    ) -> Decision | None:
        """Plugin ``plugin``'s own answer to ``doudi_evaluate_program`` (None: not its program,
        or it implements no evaluator), checked as :meth:`evaluate_program` checks it."""
        kwargs: dict[str, Any] = {
            "program_id": program_id,
            "household": household,
            "policy": policy,
            "as_of": as_of,
        }
        caller = self._pm.hook.doudi_evaluate_program
        impl = next((i for i in caller.get_hookimpls() if i.plugin_name == plugin), None)
        if impl is None:
            return None
        try:
            result = impl.function(*(kwargs[a] for a in impl.argnames))
        except Exception as exc:  # a plugin bug must name the plugin, whatever it is
            raise PluginLoadError(
                plugin,
                f"doudi_evaluate_program({program_id!r}) raised {type(exc).__name__}: {exc}",
            ) from exc
        if result is None:
            return None
        if not isinstance(result, Decision):
            raise PluginLoadError(
                plugin,
                f"doudi_evaluate_program() returned a {type(result).__name__}; "
                "expected Decision (from core.plugin.api) or None",
            )
        if result.program != program_id:
            raise PluginLoadError(
                plugin,
                f"doudi_evaluate_program({program_id!r}) returned a decision for "
                f"program {result.program!r}",
            )
        return result

    def data_kinds(self) -> list[tuple[str, Any]]:
        """Department data kinds plugins add (``doudi_data_kinds``), with their plugin."""
        from core.exchange.kinds import DataKind

        return [(n, replace(k, plugin=n)) for n, k in self._collect("doudi_data_kinds", DataKind)]

    def verification_adapters(self) -> list[tuple[str, Any]]:
        """Verification adapters plugins add (``doudi_verification_adapters``)."""
        return self._collect("doudi_verification_adapters", object)

    def low_income_categories(self) -> list[tuple[str, Any]]:
        """Low-income categories plugins add (``doudi_low_income_categories``)."""
        from core.lowincome.model import Category

        return [
            (n, replace(c, plugin=n))
            for n, c in self._collect("doudi_low_income_categories", Category)
        ]

    def _collect(self, hook_name: str, kind: type[T]) -> list[tuple[str, T]]:
        if hook_name in self._cache:
            return self._cache[hook_name]
        caller = getattr(self._pm.hook, hook_name)
        out: list[tuple[str, T]] = []
        # The order pluggy itself calls hooks in (last registered first).
        for impl in reversed(caller.get_hookimpls()):
            name = impl.plugin_name
            try:
                result = impl.function()
            except Exception as exc:  # a plugin bug must name the plugin, whatever it is
                raise PluginLoadError(
                    name, f"{hook_name}() raised {type(exc).__name__}: {exc}"
                ) from exc
            if result is None:
                continue
            try:
                items = list(result)
            except TypeError:
                raise PluginLoadError(
                    name,
                    f"{hook_name}() must return an iterable of {kind.__name__}, "
                    f"got {type(result).__name__}",
                ) from None
            for item in items:
                if not isinstance(item, kind):
                    raise PluginLoadError(
                        name,
                        f"{hook_name}() returned a {type(item).__name__}; "
                        f"expected {kind.__name__} (from core.plugin.api)",
                    )
                out.append((name, item))
        self._cache[hook_name] = out
        return out


def disabled_from_env(environ: Mapping[str, str] | None = None) -> set[str]:
    raw = (environ if environ is not None else os.environ).get(DISABLE_ENV, "")
    return {part.strip() for part in raw.split(",") if part.strip()}


def build_plugin_manager(
    *,
    disabled: Iterable[str] | None = None,
    extra: Mapping[str, object] | None = None,
    use_entry_points: bool = True,
    instead: Mapping[str, object] | None = None,
) -> DoudiPluginManager:
    """Load the national layer, every ``doudi.plugins`` entry point, and ``extra`` plugins.

    ``disabled`` defaults to the names in ``$DOUDI_DISABLE_PLUGINS``. ``extra`` maps names to
    plugin objects (modules or instances) registered after the entry points (used by tests).
    ``instead`` maps names to plugin objects loaded in place of the entry points of the same
    name (``doudi plugins check PATH`` checks a working copy of an installed plugin).
    """
    from core.policy import national

    off = disabled_from_env() if disabled is None else set(disabled)
    if NATIONAL in off:
        raise PluginLoadError(
            NATIONAL, "the national layer is part of the core and cannot be disabled"
        )
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    infos: list[PluginInfo] = []
    _register(pm, national, NATIONAL)
    infos.append(PluginInfo(NATIONAL, national.__name__, "doudi", _version("doudi"), True))

    available: set[str] = set()
    if use_entry_points:
        sources: dict[str, metadata.EntryPoint] = {}
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            available.add(ep.name)
            if ep.name in sources:
                if sources[ep.name].value == ep.value:
                    continue  # the same distribution seen twice on sys.path
                raise PluginLoadError(
                    ep.name,
                    f"two distributions register this name: {_dist(sources[ep.name])} "
                    f"({sources[ep.name].value}) and {_dist(ep)} ({ep.value})",
                )
            sources[ep.name] = ep
        for name, ep in sources.items():
            if name in off or name in (instead or {}):
                continue
            _check_name(name)
            try:
                plugin = ep.load()
            except Exception as exc:  # any import failure must name the plugin
                raise PluginLoadError(
                    name,
                    f"could not load entry point '{ep.value}' from {_dist(ep)}: "
                    f"{type(exc).__name__}: {exc}",
                ) from exc
            _register(pm, plugin, name)
            dist = ep.dist.name if ep.dist is not None else None
            version = ep.dist.version if ep.dist is not None else None
            infos.append(PluginInfo(name, _module_name(plugin), dist, version, False))
    for name, plugin in [*(instead or {}).items(), *(extra or {}).items()]:
        available.add(name)
        if name in off:
            continue
        _check_name(name)
        _register(pm, plugin, name)
        infos.append(PluginInfo(name, _module_name(plugin), None, None, False))

    unknown = off - available
    if unknown:
        raise PluginLoadError(
            ", ".join(sorted(unknown)),
            f"{DISABLE_ENV} names no installed plugin; installed: {', '.join(sorted(available))}",
        )
    return DoudiPluginManager(pm, infos)


def _register(pm: pluggy.PluginManager, plugin: object, name: str) -> None:
    if pm.has_plugin(name):
        raise PluginLoadError(name, "a plugin with this name is already registered")
    try:
        pm.register(plugin, name=name)
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        pm.unregister(name=name) if pm.has_plugin(name) else None
        raise PluginLoadError(name, f"invalid hook implementation: {exc}") from exc


def _check_name(name: str) -> None:
    if not _NAME_RE.match(name):
        raise PluginLoadError(name, "plugin names must be lower-case letters, digits and '_'")
    if name in RESERVED_NAMES:
        raise PluginLoadError(name, f"'{name}' is reserved for the core's own layers")


def _dist(ep: metadata.EntryPoint) -> str:
    return f"distribution '{ep.dist.name}'" if ep.dist is not None else "an unknown distribution"


def _module_name(plugin: object) -> str:
    if isinstance(plugin, ModuleType):
        return plugin.__name__
    return f"{type(plugin).__module__}.{type(plugin).__qualname__}"


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None
