"""The policy over GraphQL: jurisdictions, the merged policy and its parameters (with who set
them and their sources), rules and their checks, comparisons, the catalog, programs and plugins
(the field names are a contract with frontends). Policy answers are public and cacheable.

Types wrap the core's frozen dataclasses: cheap scalar fields are copied, anything that needs
more work (overrides, history, children ...) is a resolver and runs only when asked for.

Which fields an object shows and what they hold (empty strings as ``null``, ``effectiveUntil``
inclusive ...) is decided once, by the ``*_fields`` functions of :mod:`core.policy.serialize`, which
the CLI's ``--json`` uses too; the types here are built from them with :func:`_build`.
:class:`TraceEntry` is a parameter as a decision, a case step or a payment run used it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

import strawberry
from strawberry.scalars import JSON

from core.api.common import Info
from core.plugin import hookspecs as core_hookspecs
from core.policy import constraints as core_constraints
from core.policy import jurisdictions as core_jurisdictions
from core.policy import model as core_model
from core.policy import resolution as core_resolution
from core.policy import serialize
from core.policy.constraints import CheckStatus, ViolationKind
from core.policy.jurisdictions import NATIONAL_CODE, Level
from core.policy.model import LayerKind
from core.policy.service import MAX_COMPARE, PluginSummary, today

# How many items a policy list may hold, for the cost estimate (core.api.limits): upper bounds
# of the data with room to grow (70 catalog paths, at most 37 children, 3 ancestors, 5 layers in
# a chain, 3 history entries, 6 plugins today).
PARAMETERS_ESTIMATE = 100
LIST_SIZES: dict[tuple[str, str], int] = {
    ("Query", "comparePolicies"): PARAMETERS_ESTIMATE,
    ("Query", "parameterCatalog"): PARAMETERS_ESTIMATE,
    ("Policy", "parameters"): PARAMETERS_ESTIMATE,
    ("ComparisonRow", "cells"): MAX_COMPARE,
    ("Query", "jurisdictions"): 40,
    ("Jurisdiction", "children"): 40,
    ("Plugin", "jurisdictions"): 40,
    ("Jurisdiction", "ancestors"): 4,
    ("ParameterValue", "overrides"): 5,
    ("ParameterValue", "history"): 10,
}

strawberry.enum(Level, name="Level", description="Administrative level of a jurisdiction.")
strawberry.enum(
    LayerKind,
    name="LayerKind",
    description="Where a value comes from: the national baseline, a plugin's data, or a local "
    "setting entered by an official.",
)
strawberry.enum(
    ViolationKind,
    name="ViolationKind",
    description="CONSTRAINT: a plugin's floor/ceiling rule is broken. LATER_GENERAL_RULE: a "
    "local value is kept although a less specific layer set another value later.",
)
strawberry.enum(
    CheckStatus,
    name="CheckStatus",
    description="Outcome of a rule: NOT_CHECKED when a value it needs is not set.",
)

T = TypeVar("T")


def _graphql(x: Any) -> Any:
    """A canonical field value with the core objects in it as GraphQL types."""
    if isinstance(x, list | tuple):
        return [_graphql(v) for v in x]
    to_type = _TYPES.get(type(x))
    return x if to_type is None else to_type(x)


def _build(cls: type[T], fields: serialize.Fields, **extra: Any) -> T:
    """An instance of ``cls`` from canonical fields (and ``extra`` ones, such as private ones)."""
    return cls(**{k: _graphql(v) for k, v in fields.items()}, **extra)


# -- jurisdictions --------------------------------------------------------------------------------


@strawberry.type(description="A jurisdiction by GB/T 2260 code; 000000 is the national level.")
class Jurisdiction:
    code: str
    name: str
    level: Level
    since: int | None = strawberry.field(description="First year the code was in use, when known.")
    parent_code: strawberry.Private[str | None]

    @classmethod
    def of(cls, j: core_jurisdictions.Jurisdiction) -> Jurisdiction:
        return cls(**serialize.jurisdiction_fields(j))

    @strawberry.field(description="The enclosing jurisdiction (null at the national level).")
    def parent(self, info: Info) -> Jurisdiction | None:
        if self.parent_code is None:
            return None
        return Jurisdiction.of(info.context.base.jurisdiction(self.parent_code))

    @strawberry.field(description="Enclosing jurisdictions, parent first, ending at national.")
    def ancestors(self, info: Info) -> list[Jurisdiction]:
        return [Jurisdiction.of(j) for j in info.context.base.registry.ancestors(self.code)]

    @strawberry.field(description="Jurisdictions directly under this one, by code.")
    def children(self, info: Info) -> list[Jurisdiction]:
        return [Jurisdiction.of(j) for j in info.context.base.registry.children(self.code)]


# -- sources and layers ---------------------------------------------------------------------------


@strawberry.type(description="Where a value comes from: a document, its section and its words.")
class Source:
    document_id: str
    title: str
    number: str | None
    issuer: str | None
    date: dt.date | None
    section: str | None
    quote: str | None
    url: str | None
    note: str | None = strawberry.field(description="A note on this value's citation.")
    document_note: str | None = strawberry.field(
        description="A note on the document (e.g. how reliable its citation is)."
    )

    @classmethod
    def of(cls, s: core_hookspecs.Source) -> Source:
        return cls(**serialize.source_fields(s))


@strawberry.type(description="Who set a value: a jurisdiction and the plugin or setting behind it.")
class Layer:
    code: str = strawberry.field(description="The jurisdiction's code.")
    name: str = strawberry.field(description="The jurisdiction's name.")
    level: Level
    origin: str = strawberry.field(description="national, the plugin's name, or local.")
    kind: LayerKind
    file: str | None = strawberry.field(description="The data file the value was read from.")

    @classmethod
    def of(cls, ref: core_model.LayerRef) -> Layer:
        return cls(**serialize.layer_fields(ref))


@strawberry.type(description="One dated, sourced value of one parameter in one layer.")
class PolicyValue:
    value: JSON | None
    layer: Layer
    effective_from: dt.date
    effective_until: dt.date | None = strawberry.field(
        description="Last day in effect (inclusive); null while open-ended."
    )
    source: Source

    @classmethod
    def of(cls, v: core_model.DatedValue) -> PolicyValue:
        return _build(cls, serialize.dated_value_fields(v))


# -- resolved parameters --------------------------------------------------------------------------


@strawberry.type(description="A stretch of time during which a parameter kept the same value.")
class HistoryEntry:
    effective_from: dt.date
    effective_until: dt.date | None = strawberry.field(
        description="Last day (inclusive); null for the stretch still in effect."
    )
    value: JSON | None
    is_set: bool
    layer: Layer | None
    source: Source | None

    @classmethod
    def of(cls, e: core_resolution.HistoryEntry) -> HistoryEntry:
        return _build(cls, serialize.history_entry_fields(e))


@strawberry.type(
    description="The value of one parameter at a jurisdiction on a date, with who set it. "
    "A parameter no layer sets has isSet false and value null (never 0)."
)
class ParameterValue:
    path: str
    type: str
    unit: str
    description: str
    label_zh: str | None
    value: JSON | None
    is_set: bool
    layer: Layer | None
    effective_from: dt.date | None
    effective_until: dt.date | None = strawberry.field(
        description="Last day the value is in effect (inclusive); null while open-ended."
    )
    source: Source | None
    applied: bool = strawberry.field(
        description="Whether doudi acts on this parameter; false: recorded and shown, not yet "
        "applied by doudi (notAppliedNote says why)."
    )
    not_applied_note: str | None = strawberry.field(
        description='"recorded, not yet applied by doudi: …" where applied is false.'
    )
    resolved: strawberry.Private[core_resolution.ResolvedParameter]
    jurisdiction_code: strawberry.Private[str]

    @classmethod
    def of(cls, p: core_resolution.ResolvedParameter, code: str) -> ParameterValue:
        spec = serialize.spec_fields(p.spec)
        return _build(
            cls,
            serialize.winner_fields(p.winner),
            path=spec["path"],
            type=spec["type"],
            unit=spec["unit"],
            description=spec["description"],
            label_zh=spec["label_zh"],
            applied=spec["applied"],
            not_applied_note=spec["not_applied_note"],
            resolved=p,
            jurisdiction_code=code,
        )

    @strawberry.field(
        description="Less specific values also in effect on the date, which this one overrides "
        "(most specific first)."
    )
    def overrides(self) -> list[PolicyValue]:
        return [PolicyValue.of(v) for v in self.resolved.overrides]

    @strawberry.field(
        description="Every change of this parameter at the jurisdiction, oldest first."
    )
    def history(self, info: Info) -> list[HistoryEntry]:
        entries = info.context.base.history(self.jurisdiction_code, self.path)
        return [HistoryEntry.of(e) for e in entries]


# -- rules, checks, violations --------------------------------------------------------------------


@strawberry.type(
    description="A plugin's floor or ceiling rule: path must be >= / <= multiple × bound."
)
class Rule:
    id: str
    description: str
    kind: str = strawberry.field(description="floor or ceiling.")
    path: str
    bound_path: str | None
    bound_value: float | None
    multiple: float | None
    multiple_path: str | None
    scope: str = strawberry.field(description="Code of the jurisdiction where the rule applies.")
    effective_from: dt.date | None
    effective_until: dt.date | None
    plugin: str
    source: Source | None
    tags: list[str]

    @classmethod
    def of(cls, pc: core_constraints.PluginConstraint) -> Rule:
        return _build(cls, serialize.plugin_constraint_fields(pc))


@strawberry.type(description="The outcome of one rule at a jurisdiction on a date.")
class ConstraintCheck:
    rule: Rule
    status: CheckStatus
    message: str
    bound: float | None
    value: PolicyValue | None = strawberry.field(description="The value the rule checks.")
    bound_value: PolicyValue | None = strawberry.field(
        description="The value the bound was computed from (when boundPath is set)."
    )
    multiple_value: PolicyValue | None = strawberry.field(
        description="The value the multiple was read from (when multiplePath is set)."
    )

    @classmethod
    def of(cls, c: core_constraints.ConstraintCheck) -> ConstraintCheck:
        return _build(cls, serialize.constraint_check_fields(c))


@strawberry.type(
    description="A broken rule or a conflict in time: value is what applies, other what it "
    "conflicts with (the bound's value, or the later less specific value)."
)
class Violation:
    kind: ViolationKind
    path: str
    message: str
    value: PolicyValue
    other: PolicyValue | None
    rule: Rule | None

    @classmethod
    def of(cls, v: core_constraints.Violation) -> Violation:
        return _build(cls, serialize.violation_fields(v))


# -- the merged policy ----------------------------------------------------------------------------


@strawberry.type(description="The merged policy at one jurisdiction on one date.")
class Policy:
    jurisdiction: Jurisdiction
    as_of: dt.date

    @strawberry.field(description="One parameter by catalog path.")
    def parameter(self, info: Info, path: str) -> ParameterValue:
        p = info.context.base.parameter(self.jurisdiction.code, path, self.as_of)
        return ParameterValue.of(p, self.jurisdiction.code)

    @strawberry.field(
        description="Every catalog parameter, or those under prefix, in catalog order."
    )
    def parameters(self, info: Info, prefix: str | None = None) -> list[ParameterValue]:
        code = self.jurisdiction.code
        return [
            ParameterValue.of(p, code)
            for p in info.context.base.parameters(code, self.as_of, prefix)
        ]

    @strawberry.field(description="Broken rules and conflicts in time.")
    def violations(self, info: Info) -> list[Violation]:
        found = info.context.base.violations(self.jurisdiction.code, self.as_of)
        return [Violation.of(v) for v in found]

    @strawberry.field(description="Every rule that applies here on this date, with its outcome.")
    def constraints(self, info: Info) -> list[ConstraintCheck]:
        checks = info.context.base.checks(self.jurisdiction.code, self.as_of)
        return [ConstraintCheck.of(c) for c in checks]


@strawberry.type(description="One jurisdiction's value in a comparison row.")
class ComparisonCell:
    jurisdiction: Jurisdiction
    value: JSON | None
    is_set: bool
    layer: Layer | None
    effective_from: dt.date | None
    effective_until: dt.date | None
    source: Source | None

    @classmethod
    def of(cls, j: Jurisdiction, p: core_resolution.ResolvedParameter) -> ComparisonCell:
        return _build(cls, serialize.cell_fields(p), jurisdiction=j)


@strawberry.type(description="One parameter side by side; differs when the cells disagree.")
class ComparisonRow:
    path: str
    unit: str
    label_zh: str | None
    differs: bool
    cells: list[ComparisonCell]

    @classmethod
    def of(
        cls,
        row: core_resolution.ComparisonRow,
        spec: core_hookspecs.ParameterSpec,
        columns: list[Jurisdiction],
    ) -> ComparisonRow:
        """``columns`` are the compared jurisdictions, in the order of the row's cells."""
        s = serialize.spec_fields(spec)
        return cls(
            path=row.path,
            unit=s["unit"],
            label_zh=s["label_zh"],
            differs=row.differs,
            cells=[ComparisonCell.of(j, c) for j, c in zip(columns, row.cells, strict=True)],
        )


# -- catalog, programs, plugins -------------------------------------------------------------------


@strawberry.type(description="A catalog parameter: path, type, unit and meaning.")
class CatalogEntry:
    path: str
    type: str = strawberry.field(description="integer, number, boolean, enum or list.")
    unit: str
    description: str
    label_zh: str | None
    choices: list[str]
    minimum: float | None
    maximum: float | None
    applied: bool = strawberry.field(
        description="Whether doudi acts on this parameter; false: values are recorded and shown, "
        "not yet applied by doudi (notAppliedNote says why)."
    )
    not_applied_note: str | None = strawberry.field(
        description='"recorded, not yet applied by doudi: …" where applied is false.'
    )

    @classmethod
    def of(cls, s: core_hookspecs.ParameterSpec) -> CatalogEntry:
        return cls(**serialize.spec_fields(s))


@strawberry.type(description="An assistance program a plugin adds to the core ones.")
class Program:
    id: str
    name: str
    name_zh: str
    description: str | None
    plugin: str
    parameters: list[CatalogEntry]
    source: Source | None
    scope_code: strawberry.Private[str]

    @classmethod
    def of(cls, plugin: str, p: core_hookspecs.Program) -> Program:
        fields = serialize.program_fields(p)
        scope = fields.pop("scope")
        return _build(cls, fields, plugin=plugin, scope_code=scope)

    @strawberry.field(description="The jurisdiction where the program exists.")
    def scope(self, info: Info) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(self.scope_code))


@strawberry.type(description="A loaded plugin (the national layer is the built-in one).")
class Plugin:
    name: str
    module: str
    distribution: str | None
    version: str | None
    builtin: bool
    jurisdictions: list[Jurisdiction]
    files: list[str]
    programs: list[Program]
    constraints: list[str] = strawberry.field(description="Ids of the plugin's rules.")

    @classmethod
    def of(cls, s: PluginSummary) -> Plugin:
        fields = serialize.plugin_fields(s)
        programs = [Program.of(s.info.name, p) for p in fields.pop("programs")]
        return _build(cls, fields, programs=programs)


# -- traces ---------------------------------------------------------------------------------------


def source_from_json(s: dict[str, Any] | None) -> Source | None:
    """A source as the JSON of a trace or a decision's ground gives it."""
    if s is None:
        return None
    date = s.get("date")
    return Source(
        document_id=s.get("document") or "",
        title=s.get("title") or "",
        number=s.get("number") or None,
        issuer=s.get("issuer") or None,
        date=dt.date.fromisoformat(date) if date else None,
        section=s.get("section") or None,
        quote=s.get("quote") or None,
        url=s.get("url") or None,
        note=s.get("note") or None,
        document_note=s.get("documentNote") or None,
    )


def _layer_from_json(layer: dict[str, Any] | None) -> Layer | None:
    if layer is None:
        return None
    return Layer(
        code=layer["code"],
        name=layer["name"],
        level=Level(layer["level"]),
        origin=layer["origin"],
        kind=LayerKind(layer["kind"]),
        file=None,
    )


def date_of(value: str | None) -> dt.date | None:
    """An ISO date of a JSON document, or None."""
    return dt.date.fromisoformat(value) if value else None


@strawberry.type(
    description="A parameter a decision used: its value (or not set), the layer that set it "
    "(kind LOCAL for a local setting) and its source."
)
class TraceEntry:
    path: str
    value: JSON | None
    is_set: bool
    layer: Layer | None
    effective_from: dt.date | None
    effective_until: dt.date | None = strawberry.field(
        description="Last day in effect (inclusive); null while open-ended."
    )
    source: Source | None

    @classmethod
    def from_json(cls, t: dict[str, Any]) -> TraceEntry:
        return cls(
            path=t["path"],
            value=t.get("value"),
            is_set=t["isSet"],
            layer=_layer_from_json(t.get("layer")),
            effective_from=date_of(t.get("effectiveFrom")),
            effective_until=date_of(t.get("effectiveUntil")),
            source=source_from_json(t.get("source")),
        )


# -- root fields ----------------------------------------------------------------------------------


@strawberry.type
class PolicyQuery:
    @strawberry.field(
        description="The merged policy at a jurisdiction (GB/T 2260 code, or 000000 / national) "
        "on a date (default: today in China)."
    )
    def policy(self, info: Info, jurisdiction: str, as_of: dt.date | None = None) -> Policy:
        j = info.context.base.jurisdiction(jurisdiction)
        return Policy(jurisdiction=Jurisdiction.of(j), as_of=as_of or today())

    @strawberry.field(
        description="Parameters side by side across jurisdictions (at most 20), on a date "
        "(default: today in China): the given paths, those under prefix, or every path."
    )
    def compare_policies(
        self,
        info: Info,
        jurisdictions: list[str],
        as_of: dt.date | None = None,
        paths: list[str] | None = None,
        prefix: str | None = None,
    ) -> list[ComparisonRow]:
        base = info.context.base
        day = as_of or today()
        # The codes as given: compare itself normalises them and keeps each jurisdiction once.
        rows = base.compare(jurisdictions, day, paths, prefix)
        # Only to label the cells, in compare's order (the strict zip in ComparisonRow.of fails
        # loudly should the two ever disagree).
        columns = dict.fromkeys(base.jurisdiction(c) for c in jurisdictions)
        js = [Jurisdiction.of(j) for j in columns]
        return [ComparisonRow.of(row, base.catalog[row.path], js) for row in rows]

    @strawberry.field(description="A jurisdiction by GB/T 2260 code (000000 or national: China).")
    def jurisdiction(self, info: Info, code: str) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(code))

    @strawberry.field(
        description="The jurisdictions directly under parent (default: the provinces)."
    )
    def jurisdictions(self, info: Info, parent: str | None = None) -> list[Jurisdiction]:
        children = info.context.base.registry.children(parent or NATIONAL_CODE)
        return [Jurisdiction.of(j) for j in children]

    @strawberry.field(description="Every loaded plugin, the built-in national layer first.")
    def plugins(self, info: Info) -> list[Plugin]:
        return [Plugin.of(s) for s in info.context.base.plugins]

    @strawberry.field(description="Every assistance program added by a plugin.")
    def programs(self, info: Info) -> list[Program]:
        return [Program.of(plugin, p) for plugin, p in info.context.base.programs]

    @strawberry.field(description="One program by id.")
    def program(self, info: Info, id: str) -> Program:
        plugin, p = info.context.base.program(id)
        return Program.of(plugin, p)

    @strawberry.field(description="The parameter catalog, or the paths under prefix.")
    def parameter_catalog(self, info: Info, prefix: str | None = None) -> list[CatalogEntry]:
        catalog = info.context.base.catalog
        return [CatalogEntry.of(catalog[p]) for p in catalog.paths(prefix)]

    @strawberry.field(
        description="Changes whenever any value, rule, plugin or local setting changes (for "
        "client caches)."
    )
    def policy_version(self, info: Info) -> str:
        return info.context.base.version


_TYPES: dict[type, Any] = {
    core_jurisdictions.Jurisdiction: Jurisdiction.of,
    core_model.LayerRef: Layer.of,
    core_hookspecs.Source: Source.of,
    core_model.DatedValue: PolicyValue.of,
    core_constraints.PluginConstraint: Rule.of,
    core_hookspecs.ParameterSpec: CatalogEntry.of,
}

__all__ = [
    "LIST_SIZES",
    "CatalogEntry",
    "ComparisonCell",
    "ComparisonRow",
    "ConstraintCheck",
    "HistoryEntry",
    "Jurisdiction",
    "Layer",
    "ParameterValue",
    "Plugin",
    "Policy",
    "PolicyQuery",
    "PolicyValue",
    "Program",
    "Rule",
    "Source",
    "TraceEntry",
    "Violation",
    "date_of",
    "source_from_json",
]
