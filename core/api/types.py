"""GraphQL types over the core's policy objects (the field names are a contract with frontends).

Types wrap the core's frozen dataclasses: cheap scalar fields are copied, anything that needs
more work (overrides, history, children ...) is a resolver and runs only when asked for.

Which fields an object shows and what they hold (empty strings as ``null``, ``effectiveUntil``
inclusive ...) is decided once, by the ``*_fields`` functions of :mod:`core.serialize`, which
the CLI's ``--json`` uses too; the types here are built from them with :func:`_build`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

import strawberry
from strawberry.scalars import JSON

from core import constraints as core_constraints
from core import hookspecs as core_hookspecs
from core import jurisdictions as core_jurisdictions
from core import policy_model as core_model
from core import resolution as core_resolution
from core import serialize
from core.api.context import Context
from core.policy_service import PluginSummary

Info = strawberry.Info[Context, None]

Level = strawberry.enum(
    core_jurisdictions.Level,
    name="Level",
    description="Administrative level of a jurisdiction.",
)
LayerKind = strawberry.enum(
    core_model.LayerKind,
    name="LayerKind",
    description="Where a value comes from: the national baseline, a plugin's data, or a local "
    "setting entered by an official.",
)
ViolationKind = strawberry.enum(
    core_constraints.ViolationKind,
    name="ViolationKind",
    description="CONSTRAINT: a plugin's floor/ceiling rule is broken. LATER_GENERAL_RULE: a "
    "local value is kept although a less specific layer set another value later.",
)
CheckStatus = strawberry.enum(
    core_constraints.CheckStatus,
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


_TYPES: dict[type, Any] = {
    core_jurisdictions.Jurisdiction: Jurisdiction.of,
    core_model.LayerRef: Layer.of,
    core_hookspecs.Source: Source.of,
    core_model.DatedValue: PolicyValue.of,
    core_constraints.PluginConstraint: Rule.of,
    core_hookspecs.ParameterSpec: CatalogEntry.of,
}
