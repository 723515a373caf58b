"""GraphQL types over the core's policy objects (the field names are a contract with frontends).

Types wrap the core's frozen dataclasses: cheap scalar fields are copied, anything that needs
more work (overrides, history, children ...) is a resolver and runs only when asked for.

Which fields an object shows and what they hold (empty strings as ``null``, ``effectiveUntil``
inclusive ...) is decided once, by the ``*_fields`` functions of :mod:`core.policy.serialize`, which
the CLI's ``--json`` uses too; the types here are built from them with :func:`_build`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, TypeVar

import strawberry
from strawberry.scalars import JSON
from strawberry.types.base import get_object_definition
from strawberry.utils.str_converters import to_camel_case

from core.api.context import Context
from core.households import model as core_household
from core.households.store import DecisionRecord, HouseholdRecord, MemberRecord
from core.plugin import hookspecs as core_hookspecs
from core.policy import constraints as core_constraints
from core.policy import jurisdictions as core_jurisdictions
from core.policy import local_settings as core_local
from core.policy import model as core_model
from core.policy import resolution as core_resolution
from core.policy import serialize
from core.policy.service import PluginSummary, today

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


# -- households -----------------------------------------------------------------------------------

Area = strawberry.enum(
    core_household.Area, name="Area", description="Urban (城市) or rural (农村)."
)
IncomeClass = strawberry.enum(
    core_household.IncomeClass,
    name="IncomeClass",
    description="How the household's income behaves; sets its re-check interval.",
)
Relation = strawberry.enum(
    core_household.Relation, name="Relation", description="Relation to the head of household."
)
LabourCapacity = strawberry.enum(core_household.LabourCapacity, name="LabourCapacity")
DisabilityKind = strawberry.enum(core_household.DisabilityKind, name="DisabilityKind")
IncomeKind = strawberry.enum(core_household.IncomeKind, name="IncomeKind")
ExpenseKind = strawberry.enum(
    core_household.ExpenseKind,
    name="ExpenseKind",
    description="Rigid spending (刚性支出) a province may deduct (dibao.income.deductions).",
)
AssetKind = strawberry.enum(core_household.AssetKind, name="AssetKind")


def input_json(value: Any) -> Any:
    """An input object as the household JSON format: camelCase keys, fields not given left out
    (an explicit null is kept, for the JSON Schema to judge, as in a file)."""
    if isinstance(value, list):
        return [input_json(v) for v in value]
    definition = get_object_definition(type(value))
    if definition is None:
        return value
    out: dict[str, Any] = {}
    for f in definition.fields:
        v = getattr(value, f.python_name)
        if v is not strawberry.UNSET:
            out[f.graphql_name or to_camel_case(f.python_name)] = input_json(v)
    return out


_INPUT_NOTE = (
    " Field names, nesting and values are those of the household JSON format "
    "(schema/household.schema.json): a file for `doudi eligibility preview` can be sent as is."
)


@strawberry.input(description="A disability: kind and grade 1 (most severe) to 4.")
class DisabilityInput:
    kind: str = strawberry.field(
        description="physical, visual, hearing, speech, intellectual, mental or multiple."
    )
    grade: int


@strawberry.input(description="A member of a household." + _INPUT_NOTE)
class MemberInput:
    id_number: str = strawberry.field(description="18-character resident ID number (公民身份号码).")
    name: str
    relation: str = strawberry.field(
        description="head, spouse, child, parent, sibling, grandparent, grandchild, child_in_law "
        "or other."
    )
    disability: DisabilityInput | None = strawberry.UNSET
    serious_illness: bool | None = strawberry.field(
        default=strawberry.UNSET, description="重病 / 重特大疾病 (default false)."
    )
    major_illness_medical_aid: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Receives 重特大疾病医疗救助 (default false)."
    )
    labour_capacity: str | None = strawberry.field(
        default=strawberry.UNSET, description="full (default), partial or none."
    )
    in_school: bool | None = strawberry.UNSET
    employed: bool | None = strawberry.UNSET
    date_of_death: str | None = strawberry.field(
        default=strawberry.UNSET, description="ISO date (YYYY-MM-DD)."
    )
    self_care_failed: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Self-care indicators not met: eating, dressing, bed_transfer, toileting, "
        "indoor_walking, bathing.",
    )
    has_able_supporter: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="A legal supporter able to support them exists (default true).",
    )
    tags: list[str] | None = strawberry.UNSET


@strawberry.input(description="An income item, in yuan per month." + _INPUT_NOTE)
class IncomeItemInput:
    kind: str = strawberry.field(
        description="wages, agriculture, business, property, pension, transfer or other."
    )
    monthly_amount: float
    member: str | None = strawberry.field(
        default=strawberry.UNSET, description="ID number of the earner; null: the household's."
    )
    regular: bool | None = strawberry.UNSET


@strawberry.input(description="A rigid expense, in yuan per month." + _INPUT_NOTE)
class ExpenseInput:
    kind: str = strawberry.field(
        description="medical, disability_rehabilitation, education or employment_cost."
    )
    monthly_amount: float
    member: str | None = strawberry.UNSET


@strawberry.input(description="An asset, its value in yuan." + _INPUT_NOTE)
class AssetInput:
    kind: str = strawberry.field(
        description="deposit, securities, vehicle, house, business or other."
    )
    value: float
    description: str | None = strawberry.UNSET


@strawberry.input(
    description="The bank account benefits are paid into (一卡通); the holder must be a member "
    "of the household." + _INPUT_NOTE
)
class PaymentAccountInput:
    holder_id_number: str = strawberry.field(description="The holder's resident ID number.")
    holder_name: str = strawberry.field(description="As the member's name.")
    bank: str
    account_number: str = strawberry.field(description="8 to 30 digits, no spaces or dashes.")


@strawberry.input(
    description="A household: the same format as the CLI's input file and the stored record."
    + _INPUT_NOTE
    + " Values are checked by that schema, so a wrong one is a userError with its field path."
)
class HouseholdInput:
    county: str = strawberry.field(description="GB/T 2260 county-level code.")
    area: str = strawberry.field(description="urban or rural.")
    income_class: str = strawberry.field(
        description="stable, slow_change or irregular_with_labour."
    )
    members: list[MemberInput]
    property_within_local_rules: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="The investigators' finding on property against local rules (null: not "
        "yet assessed).",
    )
    notes: str | None = strawberry.UNSET
    income: list[IncomeItemInput] | None = strawberry.UNSET
    expenses: list[ExpenseInput] | None = strawberry.UNSET
    assets: list[AssetInput] | None = strawberry.UNSET
    payment_account: PaymentAccountInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="The account benefits are paid into (一卡通); changed after the head or "
        "the holder died (then recordHeadChange).",
    )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = input_json(self)
        return out


@strawberry.type(description="A disability: kind and grade 1 (most severe) to 4.")
class Disability:
    kind: DisabilityKind
    grade: int


@strawberry.type(
    description="An active member; birth date and sex come from the resident ID number."
)
class Member:
    id_number: str
    name: str
    relation: Relation
    birth_date: dt.date
    sex: str = strawberry.field(description="male or female (from the ID number).")
    disability: Disability | None
    serious_illness: bool
    major_illness_medical_aid: bool
    labour_capacity: LabourCapacity
    in_school: bool
    employed: bool
    date_of_death: dt.date | None
    self_care_failed: list[str]
    has_able_supporter: bool
    tags: list[str]
    model: strawberry.Private[core_household.Member]

    @classmethod
    def of(cls, m: core_household.Member) -> Member:
        return cls(
            id_number=m.id_number,
            name=m.name,
            relation=m.relation,
            birth_date=m.birth_date,
            sex=m.sex,
            disability=Disability(kind=m.disability.kind, grade=m.disability.grade)
            if m.disability
            else None,
            serious_illness=m.serious_illness,
            major_illness_medical_aid=m.major_illness_medical_aid,
            labour_capacity=m.labour_capacity,
            in_school=m.in_school,
            employed=m.employed,
            date_of_death=m.date_of_death,
            self_care_failed=list(m.self_care_failed),
            has_able_supporter=m.has_able_supporter,
            tags=list(m.tags),
            model=m,
        )

    @strawberry.field(description="Age in whole years on a date (default: today in China).")
    def age(self, as_of: dt.date | None = None) -> int:
        return self.model.age_on(as_of or today())


@strawberry.type(description="An income item, in yuan per month.")
class IncomeItem:
    kind: IncomeKind
    monthly_amount: float
    member: str | None = strawberry.field(description="ID number of the earner (null: household).")
    regular: bool


@strawberry.type(description="A rigid expense, in yuan per month.")
class RigidExpense:
    kind: ExpenseKind
    monthly_amount: float
    member: str | None


@strawberry.type(description="An asset, its value in yuan.")
class Asset:
    kind: AssetKind
    value: float
    description: str | None


@strawberry.type(description="The bank account benefits are paid into (一卡通), held by a member.")
class PaymentAccount:
    holder_id_number: str
    holder_name: str
    bank: str
    account_number: str

    @classmethod
    def of(cls, a: core_household.PaymentAccount) -> PaymentAccount:
        return cls(
            holder_id_number=a.holder_id_number,
            holder_name=a.holder_name,
            bank=a.bank,
            account_number=a.account_number,
        )


@strawberry.type(description="A person who is or was a member, with when they joined and left.")
class MemberHistoryEntry:
    id_number: str
    name: str
    relation: str
    active: bool
    added_at: dt.datetime
    removed_at: dt.datetime | None

    @classmethod
    def of(cls, m: MemberRecord) -> MemberHistoryEntry:
        return cls(
            id_number=m.id_number,
            name=m.name,
            relation=m.relation,
            active=m.active,
            added_at=m.added_at,
            removed_at=m.removed_at,
        )


@strawberry.type(description="A stored household. Money is yuan (per month for income).")
class Household:
    id: strawberry.ID
    version: int = strawberry.field(
        description="Increases with every change; pass it as expectedVersion to refuse a "
        "change made on stale data."
    )
    area: Area
    income_class: IncomeClass
    members: list[Member] = strawberry.field(description="The active members, head first.")
    income: list[IncomeItem]
    expenses: list[RigidExpense]
    assets: list[Asset]
    property_within_local_rules: bool | None
    notes: str | None
    payment_account: PaymentAccount | None = strawberry.field(
        description="The account benefits are paid into (一卡通), if recorded."
    )
    document: JSON = strawberry.field(
        description="The stored household JSON (schema/household.schema.json); valid as "
        "HouseholdInput."
    )
    created_at: dt.datetime
    updated_at: dt.datetime
    member_history: list[MemberHistoryEntry] = strawberry.field(
        description="Everyone who is or was a member, active first."
    )
    county_code: strawberry.Private[str]

    @classmethod
    def of(
        cls, record: HouseholdRecord, registry: core_jurisdictions.JurisdictionRegistry
    ) -> Household:
        h = record.household(registry)
        members = sorted(h.members, key=lambda m: m.relation is not core_household.Relation.HEAD)
        return cls(
            id=strawberry.ID(str(record.id)),
            version=record.version,
            area=h.area,
            income_class=h.income_class,
            members=[Member.of(m) for m in members],
            income=[
                IncomeItem(
                    kind=x.kind,
                    monthly_amount=float(x.monthly_amount),
                    member=x.member,
                    regular=x.regular,
                )
                for x in h.income
            ],
            expenses=[
                RigidExpense(kind=x.kind, monthly_amount=float(x.monthly_amount), member=x.member)
                for x in h.expenses
            ],
            assets=[
                Asset(kind=x.kind, value=float(x.value), description=serialize.opt(x.description))
                for x in h.assets
            ],
            property_within_local_rules=h.property_within_local_rules,
            notes=serialize.opt(h.notes),
            payment_account=None
            if h.payment_account is None
            else PaymentAccount.of(h.payment_account),
            document=record.document,
            created_at=record.created_at,
            updated_at=record.updated_at,
            member_history=[MemberHistoryEntry.of(m) for m in record.members],
            county_code=record.county,
        )

    @strawberry.field(description="The county where the household is registered.")
    def county(self, info: Info) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(self.county_code))


@strawberry.type(description="One household in a list, with its cursor.")
class HouseholdEdge:
    cursor: str
    node: Household


@strawberry.type(description="Where a page of a list stands (Relay).")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool = strawberry.field(
        description="True when the page was asked for after a cursor."
    )
    start_cursor: str | None
    end_cursor: str | None = strawberry.field(description="Pass as after for the next page.")


@strawberry.type(description="A page of households, oldest first (Relay connection).")
class HouseholdConnection:
    edges: list[HouseholdEdge]
    page_info: PageInfo


# -- eligibility decisions -------------------------------------------------------------------------


@strawberry.enum(description="CANNOT_DECIDE: a parameter or a fact the decision needs is missing.")
class DecisionStatus(StrEnum):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    CANNOT_DECIDE = "cannot_decide"


@strawberry.enum(description="Whether the whole household or single members are covered.")
class DecisionMode(StrEnum):
    WHOLE_HOUSEHOLD = "whole_household"
    SINGLE_PERSON = "single_person"


@strawberry.type(description="An income item as the per-capita computation saw it.")
class IncomeLine:
    kind: str
    member: str | None
    monthly_amount: float
    regular: bool
    counted: bool
    why: str | None = strawberry.field(description="Why it was not counted.")


@strawberry.type(description="A rigid expense as the per-capita computation saw it.")
class DeductionLine:
    kind: str
    member: str | None
    monthly_amount: float
    applied: bool
    why: str | None = strawberry.field(description="Why it was not deducted.")


@strawberry.type(
    description="How per-capita income was computed: max(0, totalIncome - totalDeductions) / "
    "livingMembers, in yuan per month."
)
class IncomeBreakdown:
    living_members: int
    income: list[IncomeLine]
    total_income: float
    allowed_deductions: list[str] = strawberry.field(
        description="The kinds dibao.income.deductions allows (empty: none)."
    )
    deductions: list[DeductionLine]
    total_deductions: float
    net_income: float
    per_capita: float

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> IncomeBreakdown:
        return cls(
            living_members=d["livingMembers"],
            income=[
                IncomeLine(
                    kind=x["kind"],
                    member=x.get("member"),
                    monthly_amount=x["monthlyAmount"],
                    regular=x.get("regular", True),
                    counted=x["counted"],
                    why=serialize.opt(x.get("why") or ""),
                )
                for x in d.get("income", ())
            ],
            total_income=d["totalIncome"],
            allowed_deductions=list(d.get("allowedDeductions", ())),
            deductions=[
                DeductionLine(
                    kind=x["kind"],
                    member=x.get("member"),
                    monthly_amount=x["monthlyAmount"],
                    applied=x["applied"],
                    why=serialize.opt(x.get("why") or ""),
                )
                for x in d.get("deductions", ())
            ],
            total_deductions=d["totalDeductions"],
            net_income=d["netIncome"],
            per_capita=d["perCapita"],
        )


@strawberry.type(description="What a decision found for one member.")
class MemberFinding:
    id_number: str
    name: str
    qualifies: bool | None = strawberry.field(description="Null when it cannot be decided.")
    conditions: list[str]
    own_income: float | None
    amount: float | None
    self_care: str | None = strawberry.field(
        description="tekun: self_care, partial_loss or full_loss."
    )
    reasons: list[str]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> MemberFinding:
        return cls(
            id_number=d["idNumber"],
            name=d["name"],
            qualifies=d.get("qualifies"),
            conditions=list(d.get("conditions", ())),
            own_income=d.get("ownIncome"),
            amount=d.get("amount"),
            self_care=d.get("selfCare"),
            reasons=list(d.get("reasons", ())),
        )


def _source_from_json(s: dict[str, Any] | None) -> Source | None:
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
        level=core_jurisdictions.Level(layer["level"]),
        origin=layer["origin"],
        kind=core_model.LayerKind(layer["kind"]),
        file=None,
    )


def _date(value: str | None) -> dt.date | None:
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
            effective_from=_date(t.get("effectiveFrom")),
            effective_until=_date(t.get("effectiveUntil")),
            source=_source_from_json(t.get("source")),
        )


@strawberry.type(
    description="An eligibility decision for one household, program and date: eligible or not, "
    "how much, why, and every parameter used (trace). Money is yuan, rounded to the fen."
)
class Decision:
    id: strawberry.ID | None = strawberry.field(description="Null for a preview (not stored).")
    recorded_at: dt.datetime | None
    recorded_by: str | None = strawberry.field(description="The user who recorded it.")
    program: str
    status: DecisionStatus
    eligible: bool | None
    as_of: dt.date
    mode: DecisionMode | None
    members_covered: list[str] = strawberry.field(description="ID numbers.")
    category: str | None = strawberry.field(
        description="low_income: dibao_household, marginal or low_income_band."
    )
    per_capita_income: float | None
    income: IncomeBreakdown | None
    standard: float | None
    standard_path: str | None
    monthly_amount: float | None
    one_off_amount: float | None
    next_review: dt.date | None
    review_path: str | None
    approval_level: str | None = strawberry.field(description="township or county.")
    members: list[MemberFinding]
    reasons: list[str] = strawberry.field(description="In plain words, the deciding one first.")
    missing: list[str] = strawberry.field(description="Parameters not set that were needed.")
    trace: list[TraceEntry]
    plugin: str | None = strawberry.field(description="The plugin that decided (its programs).")
    json: JSON = strawberry.field(
        description="The decision as JSON (what is stored, and what `--json` prints)."
    )
    county_code: strawberry.Private[str]

    @classmethod
    def from_json(cls, d: dict[str, Any], record: DecisionRecord | None = None) -> Decision:
        income = d.get("income")
        return cls(
            id=strawberry.ID(str(record.id)) if record is not None else None,
            recorded_at=record.created_at if record is not None else None,
            recorded_by=record.user if record is not None else None,
            program=d["program"],
            status=DecisionStatus(d["status"]),
            eligible=d.get("eligible"),
            as_of=dt.date.fromisoformat(d["asOf"]),
            mode=DecisionMode(d["mode"]) if d.get("mode") else None,
            members_covered=list(d.get("membersCovered", ())),
            category=d.get("category"),
            per_capita_income=d.get("perCapitaIncome"),
            income=IncomeBreakdown.from_json(income) if income else None,
            standard=d.get("standard"),
            standard_path=d.get("standardPath"),
            monthly_amount=d.get("monthlyAmount"),
            one_off_amount=d.get("oneOffAmount"),
            next_review=_date(d.get("nextReview")),
            review_path=d.get("reviewPath"),
            approval_level=d.get("approvalLevel"),
            members=[MemberFinding.from_json(m) for m in d.get("members", ())],
            reasons=list(d.get("reasons", ())),
            missing=list(d.get("missing", ())),
            trace=[TraceEntry.from_json(t) for t in d.get("trace", ())],
            plugin=d.get("plugin"),
            json=d,
            county_code=d["county"],
        )

    @strawberry.field(description="The household's county.")
    def county(self, info: Info) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(self.county_code))


@strawberry.input(description="A request for temporary assistance (临时救助).")
class TemporaryRequestInput:
    kind: str = strawberry.field(description="emergency or expenditure.")
    amount: float = strawberry.field(description="The one-off amount asked for, in yuan (> 0).")
    description: str = ""
    major_hardship: bool = strawberry.field(
        default=False, description="Reported as major hardship (重大困难)."
    )


# -- local settings -------------------------------------------------------------------------------


@strawberry.input(description="A value an official sets for a catalog path at a jurisdiction.")
class SetLocalParameterInput:
    jurisdiction: str = strawberry.field(description="GB/T 2260 code.")
    path: str = strawberry.field(description="A catalog path, e.g. dibao.standard.urban.")
    value: JSON = strawberry.field(description="A value of the parameter's type.")
    effective_from: dt.date
    until: dt.date | None = strawberry.field(
        default=None, description="Last day in effect (inclusive); null: until replaced."
    )
    source: str = strawberry.field(
        description="The document setting the value (title, number, date), in your words."
    )


@strawberry.type(description="A value set by an official for their jurisdiction (a local layer).")
class LocalSetting:
    id: strawberry.ID
    path: str
    value: JSON
    effective_from: dt.date
    until: dt.date | None = strawberry.field(
        description="Last day in effect (inclusive); null: until the next setting."
    )
    source: str = strawberry.field(description="The source as the official cited it.")
    set_by: str = strawberry.field(description="The user who last set it.")
    updated_at: dt.datetime
    jurisdiction_code: strawberry.Private[str]

    @classmethod
    def of(cls, s: core_local.LocalSetting) -> LocalSetting:
        return cls(
            id=strawberry.ID(str(s.id)),
            path=s.path,
            value=s.value,
            effective_from=s.effective_from,
            until=s.until,
            source=s.source_text,
            set_by=s.set_by,
            updated_at=s.updated_at,
            jurisdiction_code=s.jurisdiction,
        )

    @strawberry.field
    def jurisdiction(self, info: Info) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(self.jurisdiction_code))


@strawberry.type(description="Who set which local value when, and what it replaced.")
class AuditEntry:
    id: strawberry.ID
    at: dt.datetime
    user: str
    role: str
    setting_id: strawberry.ID
    path: str
    effective_from: dt.date
    until: dt.date | None
    old_value: JSON | None = strawberry.field(
        description="What the merged policy said there on effectiveFrom (null: not set)."
    )
    old_origin: str | None = strawberry.field(
        description="Who set the old value: local, a plugin's name or national."
    )
    new_value: JSON
    source: str
    jurisdiction_code: strawberry.Private[str]

    @classmethod
    def of(cls, e: core_local.AuditEntry) -> AuditEntry:
        return cls(
            id=strawberry.ID(str(e.id)),
            at=e.at,
            user=e.user,
            role=e.role,
            setting_id=strawberry.ID(str(e.setting_id)),
            path=e.path,
            effective_from=e.effective_from,
            until=e.until,
            old_value=e.old_value,
            old_origin=e.old_origin,
            new_value=e.new_value,
            source=e.source_text,
            jurisdiction_code=e.jurisdiction,
        )

    @strawberry.field
    def jurisdiction(self, info: Info) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(self.jurisdiction_code))


# -- mutation payloads ----------------------------------------------------------------------------


@strawberry.type(
    description="An expected failure: the input field at fault (a path in the input object, "
    "such as members[1].idNumber, or an argument's name; null when not tied to one), a "
    "message to act on and a stable code (INVALID_ID_NUMBER, DUPLICATE_PERSON, NOT_FOUND, "
    "FORBIDDEN, UNAUTHENTICATED, VERSION_CONFLICT, CONSTRAINT_VIOLATION, INVALID_INPUT, "
    "UNKNOWN_PARAMETER, UNKNOWN_JURISDICTION, DATABASE_UNAVAILABLE)."
)
class UserError:
    field: str | None
    message: str
    code: str


@strawberry.type(description="The household as stored, or userErrors (nothing changed).")
class CreateHouseholdPayload:
    household: Household | None
    user_errors: list[UserError]


@strawberry.type(description="The household as stored, or userErrors (nothing changed).")
class UpdateHouseholdPayload:
    household: Household | None
    user_errors: list[UserError]


@strawberry.type(description="The household as stored, or userErrors (nothing changed).")
class RemoveMemberPayload:
    household: Household | None
    user_errors: list[UserError]


@strawberry.type(
    description="The setting, its audit entry (old and new value) and the parameter as the "
    "merged policy now resolves it at the jurisdiction on effectiveFrom; or userErrors "
    "(nothing written)."
)
class SetLocalParameterPayload:
    setting: LocalSetting | None
    audit_entry: AuditEntry | None
    parameter: ParameterValue | None
    user_errors: list[UserError]


@strawberry.type(description="The stored decision, or userErrors (nothing stored).")
class EvaluateEligibilityPayload:
    decision: Decision | None
    user_errors: list[UserError]


@strawberry.type(description="The decision (never stored), or userErrors.")
class PreviewEligibilityPayload:
    decision: Decision | None
    user_errors: list[UserError]


_TYPES: dict[type, Any] = {
    core_jurisdictions.Jurisdiction: Jurisdiction.of,
    core_model.LayerRef: Layer.of,
    core_hookspecs.Source: Source.of,
    core_model.DatedValue: PolicyValue.of,
    core_constraints.PluginConstraint: Rule.of,
    core_hookspecs.ParameterSpec: CatalogEntry.of,
}
