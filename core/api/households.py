"""Households over GraphQL: ``household``, ``households`` (a Relay connection),
``householdSearch`` (by a member's name or ID number), ``createHousehold``, ``updateHousehold``
and ``removeMember``; a household's ``cases``.

Resident ID numbers are shown in full only to the staff who handle cases
(:func:`core.access.roles.may_see_id_numbers`); auditors and province administrators get them
masked everywhere in a household (members, member history, income and expense items, payment
account, the stored document) and in search results. The masking happens here, on the server:
a client never receives what its user may not see.

Everything here reads or writes stored data: a token is needed and nothing is cached (see
:mod:`core.api.common`). The rules (validation, duplicate persons, versions, who may write
where) are those of :mod:`core.households.model` and :mod:`core.households.store`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types.base import get_object_definition
from strawberry.types.lazy_type import LazyType
from strawberry.utils.str_converters import to_camel_case

from core.access.roles import User, id_numbers_for, may_see_id_numbers
from core.api.common import Info, PageInfo, UserError, database_id, user_errors
from core.api.context import Context
from core.api.policy import Jurisdiction
from core.errors import DoudiError, InvalidInput
from core.households import model as core_model
from core.households import store
from core.households.model import (
    Area,
    AssetKind,
    DisabilityKind,
    ExpenseKind,
    IncomeClass,
    IncomeKind,
    LabourCapacity,
    Relation,
)
from core.households.store import DEFAULT_PAGE, MAX_PAGE, HouseholdRecord, MemberRecord
from core.policy import serialize
from core.policy.jurisdictions import JurisdictionRegistry
from core.policy.service import today

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.api.cases import CaseType

# Case → household → cases would be an import cycle between the two modules: the cases of a
# household are typed lazily (strawberry resolves the name when the schema is built).
_CASE_TYPE: LazyType[Any, Any] = LazyType("CaseType", "core.api.cases")
SEARCH_PAGE = 20
CASES_ESTIMATE = 10  # cases of one household (one open per program; closed ones stay)

# For core.api.schema.LIST_SIZES (the cost estimate of the lists added here).
LIST_SIZES: dict[tuple[str, str], int] = {
    ("HouseholdConnection", "edges"): MAX_PAGE,
    ("Household", "cases"): CASES_ESTIMATE,
    ("Query", "householdSearch"): store.MAX_SEARCH,
    ("HouseholdSummary", "members"): 20,
}


def household_id(raw: str) -> int:
    """The database id of a household ID (NOT_FOUND for anything that cannot be one)."""
    hid = database_id(raw)
    if hid is None:
        raise store.NotFound(f"no household with id {raw!r}")
    return hid


strawberry.enum(Area, name="Area", description="Urban (城市) or rural (农村).")
strawberry.enum(
    IncomeClass,
    name="IncomeClass",
    description="How the household's income behaves; sets its re-check interval.",
)
strawberry.enum(Relation, name="Relation", description="Relation to the head of household.")
strawberry.enum(LabourCapacity, name="LabourCapacity")
strawberry.enum(DisabilityKind, name="DisabilityKind")
strawberry.enum(IncomeKind, name="IncomeKind")
strawberry.enum(
    ExpenseKind,
    name="ExpenseKind",
    description="Rigid spending (刚性支出) a province may deduct (dibao.income.deductions).",
)
strawberry.enum(AssetKind, name="AssetKind")


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


_ID_NUMBER = (
    "Resident ID number: in full for village clerks, township officers and county approvers, "
    "masked (first 6 and last 4 characters) for auditors and province administrators."
)
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
    school_level: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="none, preschool, compulsory (义务教育), high_school (普通高中), "
        "secondary_vocational (中等职业学校) or higher_education (高校); sets inSchool.",
    )
    depends_on_family_support: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="Lives on the family's support (靠家庭供养); null: not recorded.",
    )
    living_apart_since: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Clergy: living at a religious site apart from the family since (ISO date).",
    )
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
    excluded_as: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="An income the rules may leave out: preferential_pension (优待抚恤金), "
        "family_planning_award, scholarship, heroism_award, assistance (社会救助款物), "
        "basic_pension_base (基础养老金), elderly_allowance (高龄津贴), social_insurance, "
        "local_exclusion; counted or not as the program's policy says.",
    )


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
    tags: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="relapse_monitoring: monitored for relapse into poverty (防止返贫监测对象).",
    )
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
    id_number: str = strawberry.field(description=_ID_NUMBER)
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
    school_level: str | None = strawberry.field(
        description="Where the member studies (null: not recorded)."
    )
    depends_on_family_support: bool | None = strawberry.field(
        description="靠家庭供养 (null: not recorded)."
    )
    living_apart_since: dt.date | None
    model: strawberry.Private[core_model.Member]

    @classmethod
    def of(cls, m: core_model.Member, show: Callable[[str], str]) -> Member:
        return cls(
            id_number=show(m.id_number),
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
            school_level=None if m.school_level is None else m.school_level.value,
            depends_on_family_support=m.depends_on_family_support,
            living_apart_since=m.living_apart_since,
            model=m,
        )

    @strawberry.field(description="Age in whole years on a date (default: today in China).")
    def age(self, as_of: dt.date | None = None) -> int:
        return self.model.age_on(as_of or today())


@strawberry.type(description="An income item, in yuan per month.")
class IncomeItem:
    kind: IncomeKind
    monthly_amount: float
    member: str | None = strawberry.field(
        description="ID number of the earner (null: household), masked as the members' are."
    )
    regular: bool
    excluded_as: str | None = strawberry.field(
        description="An income the rules may leave out, as the investigators found it."
    )


@strawberry.type(description="A rigid expense, in yuan per month.")
class RigidExpense:
    kind: ExpenseKind
    monthly_amount: float
    member: str | None = strawberry.field(
        description="ID number of the member concerned, masked as the members' are."
    )


@strawberry.type(description="An asset, its value in yuan.")
class Asset:
    kind: AssetKind
    value: float
    description: str | None


@strawberry.type(description="The bank account benefits are paid into (一卡通), held by a member.")
class PaymentAccount:
    holder_id_number: str = strawberry.field(description=_ID_NUMBER)
    holder_name: str
    bank: str
    account_number: str

    @classmethod
    def of(cls, a: core_model.PaymentAccount, show: Callable[[str], str]) -> PaymentAccount:
        return cls(
            holder_id_number=show(a.holder_id_number),
            holder_name=a.holder_name,
            bank=a.bank,
            account_number=a.account_number,
        )


@strawberry.type(description="A person who is or was a member, with when they joined and left.")
class MemberHistoryEntry:
    id_number: str = strawberry.field(description=_ID_NUMBER)
    name: str
    relation: str
    active: bool
    added_at: dt.datetime
    removed_at: dt.datetime | None

    @classmethod
    def of(cls, m: MemberRecord, show: Callable[[str], str]) -> MemberHistoryEntry:
        return cls(
            id_number=show(m.id_number),
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
    tags: list[str] = strawberry.field(
        description="relapse_monitoring: monitored for relapse into poverty (防止返贫监测对象)."
    )
    payment_account: PaymentAccount | None = strawberry.field(
        description="The account benefits are paid into (一卡通), if recorded."
    )
    document: JSON = strawberry.field(
        description="The stored household JSON (schema/household.schema.json), its ID numbers "
        "masked as the members' are; valid as HouseholdInput when idNumbersMasked is false."
    )
    id_numbers_masked: bool = strawberry.field(
        description="Whether the resident ID numbers here are masked (first 6 and last 4 "
        "characters): they are for auditors and province administrators, in full for the staff "
        "who handle cases (village clerks, township officers, county approvers)."
    )
    created_at: dt.datetime
    updated_at: dt.datetime
    member_history: list[MemberHistoryEntry] = strawberry.field(
        description="Everyone who is or was a member, active first."
    )
    county_code: strawberry.Private[str]

    @classmethod
    def of(cls, record: HouseholdRecord, registry: JurisdictionRegistry, user: User) -> Household:
        """The household as ``user`` is shown it: resident ID numbers in full or masked
        (:func:`core.access.roles.id_numbers_for`), everywhere they appear in it."""
        h = record.household(registry)
        members = sorted(h.members, key=lambda m: m.relation is not Relation.HEAD)
        show = id_numbers_for(user)

        def shown(number: str | None) -> str | None:
            return None if number is None else show(number)

        return cls(
            id=strawberry.ID(str(record.id)),
            version=record.version,
            area=h.area,
            income_class=h.income_class,
            members=[Member.of(m, show) for m in members],
            income=[
                IncomeItem(
                    kind=x.kind,
                    monthly_amount=float(x.monthly_amount),
                    member=shown(x.member),
                    regular=x.regular,
                    excluded_as=x.excluded_as,
                )
                for x in h.income
            ],
            expenses=[
                RigidExpense(
                    kind=x.kind, monthly_amount=float(x.monthly_amount), member=shown(x.member)
                )
                for x in h.expenses
            ],
            assets=[
                Asset(kind=x.kind, value=float(x.value), description=serialize.opt(x.description))
                for x in h.assets
            ],
            property_within_local_rules=h.property_within_local_rules,
            notes=serialize.opt(h.notes),
            tags=list(h.tags),
            payment_account=None
            if h.payment_account is None
            else PaymentAccount.of(h.payment_account, show),
            document=JSON(core_model.with_id_numbers(record.document, show)),
            id_numbers_masked=not may_see_id_numbers(user),
            created_at=record.created_at,
            updated_at=record.updated_at,
            member_history=[MemberHistoryEntry.of(m, show) for m in record.members],
            county_code=record.county,
        )

    @strawberry.field(description="The county where the household is registered.")
    def county(self, info: Info) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(self.county_code))

    @strawberry.field(
        description="The household's cases (token required; those within your jurisdiction), "
        "oldest first."
    )
    async def cases(
        self, info: Info
    ) -> list[Annotated[CaseType, strawberry.lazy("core.api.cases")]]:
        found = await info.context.loaders.cases_of_household.load(int(self.id))
        of = _CASE_TYPE.resolve_type().of
        return [of(c) for c in found]


@strawberry.type(description="One household in a list, with its cursor.")
class HouseholdEdge:
    cursor: str
    node: Household


@strawberry.type(description="A page of households, oldest first (Relay connection).")
class HouseholdConnection:
    edges: list[HouseholdEdge]
    page_info: PageInfo


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


@strawberry.type(description="A member in a search result (ID number masked unless you may see it)")
class MemberSummary:
    name: str
    relation: str
    id_number: str = strawberry.field(description=_ID_NUMBER)
    id_number_masked: bool
    matches: bool = strawberry.field(description="Whether this member matched the search.")


@strawberry.type(description="A household found by householdSearch.")
class HouseholdSummary:
    id: strawberry.ID
    version: int
    area: str
    head_name: str | None
    members: list[MemberSummary] = strawberry.field(description="Active members, head first.")
    updated_at: dt.datetime
    county_code: strawberry.Private[str]

    @strawberry.field(description="The household's county.")
    def county(self, info: Info) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(self.county_code))

    @classmethod
    def of(cls, r: HouseholdRecord, user: User, text: str) -> HouseholdSummary:
        show = id_numbers_for(user)
        masked = not may_see_id_numbers(user)
        words = text.strip()
        number = words.replace(" ", "").upper()
        active = sorted((m for m in r.members if m.active), key=lambda m: m.relation != "head")
        head = next((m.name for m in active if m.relation == "head"), None)
        return cls(
            id=strawberry.ID(str(r.id)),
            version=r.version,
            area=str(r.document.get("area", "")),
            head_name=head,
            members=[
                MemberSummary(
                    name=m.name,
                    relation=m.relation,
                    id_number=show(m.id_number),
                    id_number_masked=masked,
                    matches=words in m.name
                    or (len(number) >= 6 and m.id_number.startswith(number)),
                )
                for m in active
            ],
            updated_at=r.updated_at,
            county_code=r.county,
        )


# -- reads and writes ----------------------------------------------------------------------------


def _household_field(exc: DoudiError, id_field: str) -> str | None:
    if isinstance(exc, store.NotFound):
        return "idNumber" if "is not a member" in exc.message else id_field
    if isinstance(exc, store.VersionConflict):
        return "expectedVersion"
    if isinstance(exc, InvalidInput) and (
        "head of household" in exc.message or "payment account" in exc.message
    ):
        return "idNumber"  # removeMember: neither the head nor the account holder
    return None


async def _write_household(
    context: Context,
    id_field: str,
    work: Callable[[Session, User, JurisdictionRegistry], HouseholdRecord],
) -> tuple[Household | None, list[UserError]]:
    """Run a household write for the request's user; (household, []) or (None, userErrors)."""
    context.mark_private()
    registry = context.base.registry
    try:
        user = await context.user()
        record = await context.in_session(lambda s: work(s, user, registry))
    except DoudiError as exc:
        return None, user_errors(exc, _household_field(exc, id_field))
    context.loaders.clear()
    return Household.of(record, registry, user), []


async def create_household(context: Context, data: HouseholdInput) -> CreateHouseholdPayload:
    doc = data.to_json()
    household, errors = await _write_household(
        context, "input", lambda s, user, reg: store.create_household(s, user, doc, reg)
    )
    return CreateHouseholdPayload(household=household, user_errors=errors)


async def update_household(
    context: Context, id: str, data: HouseholdInput, expected_version: int | None
) -> UpdateHouseholdPayload:
    doc = data.to_json()

    def work(s: Session, user: User, reg: JurisdictionRegistry) -> HouseholdRecord:
        return store.update_household(
            s, user, household_id(id), doc, reg, expected_version=expected_version
        )

    household, errors = await _write_household(context, "id", work)
    return UpdateHouseholdPayload(household=household, user_errors=errors)


async def remove_member(
    context: Context, id: str, id_number: str, expected_version: int | None
) -> RemoveMemberPayload:
    def work(s: Session, user: User, reg: JurisdictionRegistry) -> HouseholdRecord:
        hid = household_id(id)
        return store.remove_member(s, user, hid, id_number, reg, expected_version=expected_version)

    household, errors = await _write_household(context, "householdId", work)
    return RemoveMemberPayload(household=household, user_errors=errors)


async def get_household(context: Context, id: str) -> Household:
    context.mark_private()
    registry = context.base.registry
    user = await context.user()
    record = await context.in_session(
        lambda s: store.get_household(s, user, household_id(id), registry)
    )
    return Household.of(record, registry, user)


async def list_households(
    context: Context, jurisdiction: str, first: int, after: str | None
) -> HouseholdConnection:
    context.mark_private()
    registry = context.base.registry
    user = await context.user()
    page = await context.in_session(
        lambda s: store.list_households(s, user, jurisdiction, registry, first=first, after=after)
    )
    edges = [
        HouseholdEdge(cursor=r.cursor, node=Household.of(r, registry, user)) for r in page.items
    ]
    return HouseholdConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=page.end_cursor,
        ),
    )


async def search_households(
    context: Context, jurisdiction: str, text: str, first: int
) -> list[HouseholdSummary]:
    context.mark_private()
    registry = context.base.registry
    user = await context.user()
    found = await context.in_session(
        lambda s: store.search_households(s, user, jurisdiction, registry, text, limit=first)
    )
    return [HouseholdSummary.of(r, user, text) for r in found]


# -- root fields ----------------------------------------------------------------------------------


@strawberry.type
class HouseholdQuery:
    @strawberry.field(description="A stored household by id (token required).")
    async def household(self, info: Info, id: strawberry.ID) -> Household:
        return await get_household(info.context, id)

    @strawberry.field(
        description="The households at a jurisdiction and under it, oldest first, at most 100 "
        "a page (token required; within your jurisdiction)."
    )
    async def households(
        self,
        info: Info,
        jurisdiction: str,
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> HouseholdConnection:
        page = DEFAULT_PAGE if first is None else first
        return await list_households(info.context, jurisdiction, page, after)

    @strawberry.field(
        description="Households at a jurisdiction and under it with an active member whose name "
        "contains text or whose ID number starts with it (6 characters or more); most recently "
        "changed first, at most 50 (token required; within your jurisdiction)."
    )
    async def household_search(
        self, info: Info, jurisdiction: str, text: str, first: int | None = SEARCH_PAGE
    ) -> list[HouseholdSummary]:
        page = SEARCH_PAGE if first is None else first
        return await search_households(info.context, jurisdiction, text, page)


@strawberry.type
class HouseholdMutation:
    @strawberry.mutation(description="Store a new household in a county within your jurisdiction.")
    async def create_household(self, info: Info, input: HouseholdInput) -> CreateHouseholdPayload:
        return await create_household(info.context, input)

    @strawberry.mutation(
        description="Replace a household's data: members left out are marked removed, new ones "
        "added. expectedVersion (the version you read) refuses a change on stale data."
    )
    async def update_household(
        self,
        info: Info,
        id: strawberry.ID,
        input: HouseholdInput,
        expected_version: int | None = None,
    ) -> UpdateHouseholdPayload:
        return await update_household(info.context, id, input, expected_version)

    @strawberry.mutation(
        description="Mark a member removed (kept in memberHistory) with their own income and "
        "expense items. The head cannot be removed."
    )
    async def remove_member(
        self,
        info: Info,
        household_id: strawberry.ID,
        id_number: str,
        expected_version: int | None = None,
    ) -> RemoveMemberPayload:
        return await remove_member(info.context, household_id, id_number, expected_version)


__all__ = [
    "LIST_SIZES",
    "CreateHouseholdPayload",
    "Household",
    "HouseholdConnection",
    "HouseholdEdge",
    "HouseholdInput",
    "HouseholdMutation",
    "HouseholdQuery",
    "HouseholdSummary",
    "MemberSummary",
    "RemoveMemberPayload",
    "UpdateHouseholdPayload",
    "household_id",
    "input_json",
]
