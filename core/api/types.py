"""GraphQL types over the core's policy objects (the field names are a contract with frontends).

Types wrap the core's frozen dataclasses: cheap scalar fields are copied, anything that needs
more work (overrides, history, children ...) is a resolver and runs only when asked for.
Empty strings in the data (a document without a number, say) are exposed as ``null``.
"""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.scalars import JSON

from core import constraints as core_constraints
from core import hookspecs as core_hookspecs
from core import jurisdictions as core_jurisdictions
from core import policy_model as core_model
from core import resolution as core_resolution
from core.api.context import Context
from core.plugin_manager import PluginInfo
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


def _opt(text: str) -> str | None:
    return text or None


# -- jurisdictions --------------------------------------------------------------------------------


@strawberry.type(description="A jurisdiction by GB/T 2260 code; 000000 is the national level.")
class Jurisdiction:
    code: str
    name: str
    level: Level
    parent_code: strawberry.Private[str | None]

    @classmethod
    def of(cls, j: core_jurisdictions.Jurisdiction) -> Jurisdiction:
        return cls(code=j.code, name=j.name, level=j.level, parent_code=j.parent_code)

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
        d = s.document
        return cls(
            document_id=d.id,
            title=d.title,
            number=_opt(d.number),
            issuer=_opt(d.issuer),
            date=d.date,
            section=_opt(s.section),
            quote=_opt(s.quote),
            url=_opt(d.url),
            note=_opt(s.note),
            document_note=_opt(d.note),
        )

    @classmethod
    def maybe(cls, s: core_hookspecs.Source | None) -> Source | None:
        return None if s is None else cls.of(s)


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
        j = ref.jurisdiction
        return cls(
            code=j.code,
            name=j.name,
            level=j.level,
            origin=ref.origin,
            kind=ref.kind,
            file=_opt(ref.file),
        )


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
        return cls(
            value=v.value,
            layer=Layer.of(v.layer),
            effective_from=v.start,
            effective_until=v.until,
            source=Source.of(v.source),
        )

    @classmethod
    def maybe(cls, v: core_model.DatedValue | None) -> PolicyValue | None:
        return None if v is None else cls.of(v)


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
        w = e.winner
        return cls(
            effective_from=e.start,
            effective_until=e.until,
            value=None if w is None else w.value,
            is_set=w is not None,
            layer=None if w is None else Layer.of(w.layer),
            source=None if w is None else Source.of(w.source),
        )


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
        spec, w = p.spec, p.winner
        return cls(
            path=spec.path,
            type=spec.type,
            unit=spec.unit,
            description=spec.description,
            label_zh=_opt(spec.label_zh),
            value=None if w is None else w.value,
            is_set=w is not None,
            layer=None if w is None else Layer.of(w.layer),
            effective_from=None if w is None else w.start,
            effective_until=None if w is None else w.until,
            source=None if w is None else Source.of(w.source),
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

    @classmethod
    def of(cls, pc: core_constraints.PluginConstraint) -> Rule:
        r = pc.rule
        return cls(
            id=r.id,
            description=r.description,
            kind=r.kind,
            path=r.path,
            bound_path=r.bound_path,
            bound_value=r.bound_value,
            multiple=r.multiple,
            multiple_path=r.multiple_path,
            scope=r.scope,
            effective_from=r.effective_from,
            effective_until=r.effective_until,
            plugin=pc.plugin,
            source=Source.maybe(r.source),
        )


@strawberry.type(description="The outcome of one rule at a jurisdiction on a date.")
class ConstraintCheck:
    rule: Rule
    status: CheckStatus
    message: str
    bound: float | None
    value: PolicyValue | None = strawberry.field(description="The value the rule checks.")

    @classmethod
    def of(cls, c: core_constraints.ConstraintCheck) -> ConstraintCheck:
        return cls(
            rule=Rule.of(c.rule),
            status=c.status,
            message=c.message,
            bound=c.bound,
            value=PolicyValue.maybe(c.value),
        )


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
        return cls(
            kind=v.kind,
            path=v.path,
            message=v.message,
            value=PolicyValue.of(v.value),
            other=PolicyValue.maybe(v.other),
            rule=None if v.rule is None else Rule.of(v.rule),
        )


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
        w = p.winner
        return cls(
            jurisdiction=j,
            value=None if w is None else w.value,
            is_set=w is not None,
            layer=None if w is None else Layer.of(w.layer),
            effective_from=None if w is None else w.start,
            effective_until=None if w is None else w.until,
            source=None if w is None else Source.of(w.source),
        )


@strawberry.type(description="One parameter side by side; differs when the cells disagree.")
class ComparisonRow:
    path: str
    unit: str
    label_zh: str | None
    differs: bool
    cells: list[ComparisonCell]


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
        return cls(
            path=s.path,
            type=s.type,
            unit=s.unit,
            description=s.description,
            label_zh=_opt(s.label_zh),
            choices=list(s.choices),
            minimum=s.minimum,
            maximum=s.maximum,
        )


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
        return cls(
            id=p.id,
            name=p.name,
            name_zh=p.name_zh,
            description=_opt(p.description),
            plugin=plugin,
            parameters=[CatalogEntry.of(s) for s in p.parameters],
            source=Source.maybe(p.source),
            scope_code=p.scope,
        )

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
        info: PluginInfo = s.info
        return cls(
            name=info.name,
            module=info.module,
            distribution=info.distribution,
            version=info.version,
            builtin=info.builtin,
            jurisdictions=[Jurisdiction.of(j) for j in s.jurisdictions],
            files=list(s.files),
            programs=[Program.of(info.name, p) for p in s.programs],
            constraints=list(s.constraints),
        )
