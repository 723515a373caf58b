"""Households and their members (pure): the model, its JSON format and its validation.

One format everywhere: the CLI's input file, the GraphQL ``HouseholdInput`` and what the
database stores are the same camelCase JSON, published as ``schema/household.schema.json``.
:func:`parse_household` turns that JSON into a :class:`Household`, reporting every problem at
once as :class:`FieldError` s located by path (``members[1].idNumber``).

Money is :class:`~decimal.Decimal` yuan per month. A member's birth date and sex come from the
resident ID number (GB 11643: ASCII digits, check character, a birth date from
:data:`EARLIEST_BIRTH_DATE` to today, a GB/T 2260 region code; see :func:`validate_id_number`).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from stdnum import numdb
from stdnum.cn import ric

from core.errors import DoudiError, InvalidInput, UnknownJurisdiction
from core.policy.catalog import INCOME_EXCLUSIONS
from core.policy.jurisdictions import JurisdictionRegistry, Level, region_codes
from core.validation import (
    FIRST_DATE,
    MAX_HOUSEHOLD_ITEMS,
    MAX_HOUSEHOLD_MEMBERS,
    MAX_NAME,
    MAX_NOTE,
    MAX_SHORT_TEXT,
    check_count,
    check_name,
    check_text,
)


class Area(StrEnum):
    URBAN = "urban"  # 城市
    RURAL = "rural"  # 农村


class Relation(StrEnum):
    HEAD = "head"  # 户主
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    SIBLING = "sibling"
    GRANDPARENT = "grandparent"
    GRANDCHILD = "grandchild"
    CHILD_IN_LAW = "child_in_law"
    OTHER = "other"


class LabourCapacity(StrEnum):
    FULL = "full"
    PARTIAL = "partial"  # 部分丧失劳动能力
    NONE = "none"  # 完全丧失劳动能力


class DisabilityKind(StrEnum):
    PHYSICAL = "physical"  # 肢体
    VISUAL = "visual"  # 视力
    HEARING = "hearing"  # 听力
    SPEECH = "speech"  # 言语
    INTELLECTUAL = "intellectual"  # 智力
    MENTAL = "mental"  # 精神
    MULTIPLE = "multiple"  # 多重


class IncomeClass(StrEnum):
    """How the household's income behaves; sets its re-check interval."""

    STABLE = "stable"  # 常年收入无变化
    SLOW_CHANGE = "slow_change"  # 短期内收入变化不大
    IRREGULAR_WITH_LABOUR = "irregular_with_labour"  # 收入不固定且有劳动能力


class ExpenseKind(StrEnum):
    """Rigid spending (刚性支出) a province may deduct (``dibao.income.deductions``)."""

    MEDICAL = "medical"
    DISABILITY_REHABILITATION = "disability_rehabilitation"
    EDUCATION = "education"
    EMPLOYMENT_COST = "employment_cost"


class SchoolLevel(StrEnum):
    """Where a member studies (在读), for the rules that name a level of schooling."""

    NONE = "none"  # not in school
    PRESCHOOL = "preschool"  # 学前
    COMPULSORY = "compulsory"  # 义务教育
    HIGH_SCHOOL = "high_school"  # 普通高中
    SECONDARY_VOCATIONAL = "secondary_vocational"  # 中等职业学校
    HIGHER_EDUCATION = "higher_education"  # 高校 (专科、本科、研究生)


# Household tags the rules read.
RELAPSE_MONITORING = "relapse_monitoring"  # 防止返贫监测对象
HOUSEHOLD_TAGS = (RELAPSE_MONITORING,)


class IncomeKind(StrEnum):
    WAGES = "wages"
    AGRICULTURE = "agriculture"
    BUSINESS = "business"
    PROPERTY = "property"
    PENSION = "pension"
    TRANSFER = "transfer"  # 转移性收入, e.g. support from relatives
    OTHER = "other"


class AssetKind(StrEnum):
    DEPOSIT = "deposit"
    SECURITIES = "securities"
    VEHICLE = "vehicle"
    HOUSE = "house"
    BUSINESS = "business"
    OTHER = "other"


# The six indicators of self-care (特困人员认定办法): eating, dressing, getting in and out of bed,
# toileting, walking indoors, bathing.
SELF_CARE_INDICATORS = (
    "eating",
    "dressing",
    "bed_transfer",
    "toileting",
    "indoor_walking",
    "bathing",
)


@dataclass(frozen=True, slots=True)
class Disability:
    kind: DisabilityKind
    grade: int  # 1 (most severe) to 4


@dataclass(frozen=True, slots=True)
class Member:
    id_number: str
    name: str
    relation: Relation
    birth_date: dt.date
    sex: str  # "male" / "female", from the ID number
    disability: Disability | None = None
    serious_illness: bool = False  # 重病 / 重特大疾病
    major_illness_medical_aid: bool = False  # receives 重特大疾病医疗救助
    labour_capacity: LabourCapacity = LabourCapacity.FULL
    in_school: bool = False
    employed: bool = False
    date_of_death: dt.date | None = None
    self_care_failed: tuple[str, ...] = ()  # indicators of SELF_CARE_INDICATORS not met
    has_able_supporter: bool = True  # a legal supporter able to support them exists
    tags: tuple[str, ...] = ()  # e.g. "retrenched_1960s_worker", "clergy_living_apart"
    school_level: SchoolLevel | None = None  # None: not recorded (see in_school)
    depends_on_family_support: bool | None = None  # 靠家庭供养; None: not recorded
    living_apart_since: dt.date | None = None  # clergy: at a religious site since (脱离家庭)

    def age_on(self, day: dt.date) -> int:
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))

    def alive_on(self, day: dt.date) -> bool:
        return self.date_of_death is None or self.date_of_death > day


@dataclass(frozen=True, slots=True)
class IncomeItem:
    kind: IncomeKind
    monthly_amount: Decimal
    member: str | None = None  # ID number of the earner; None for household income
    regular: bool = True
    # An income the rules do not count, as the investigators found it (INCOME_EXCLUSIONS:
    # 优待抚恤金, 基础养老金 ...); whether it is left out depends on the program's policy.
    excluded_as: str | None = None


@dataclass(frozen=True, slots=True)
class RigidExpense:
    kind: ExpenseKind
    monthly_amount: Decimal
    member: str | None = None


@dataclass(frozen=True, slots=True)
class Asset:
    kind: AssetKind
    value: Decimal
    description: str = ""


@dataclass(frozen=True, slots=True)
class PaymentAccount:
    """The bank account benefits are paid into (一卡通), held by a member of the household."""

    holder_id_number: str
    holder_name: str
    bank: str
    account_number: str  # digits only


@dataclass(frozen=True, slots=True)
class Household:
    county: str  # GB/T 2260 county-level code where the household is registered
    area: Area
    income_class: IncomeClass
    members: tuple[Member, ...]
    income: tuple[IncomeItem, ...] = ()
    expenses: tuple[RigidExpense, ...] = ()
    assets: tuple[Asset, ...] = ()
    # The investigators' finding on property against local rules (None: not yet assessed).
    property_within_local_rules: bool | None = None
    notes: str = ""
    payment_account: PaymentAccount | None = None
    tags: tuple[str, ...] = ()  # HOUSEHOLD_TAGS, e.g. "relapse_monitoring" (防止返贫监测对象)

    @property
    def head(self) -> Member:
        return next(m for m in self.members if m.relation is Relation.HEAD)

    def living_members(self, day: dt.date) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.alive_on(day))

    def member(self, id_number: str) -> Member:
        return next(m for m in self.members if m.id_number == id_number)


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one input field; ``code`` is stable for programs (INVALID_ID_NUMBER...)."""

    field: str
    message: str
    code: str = "INVALID_INPUT"


class InvalidHousehold(DoudiError):
    code = "INVALID_HOUSEHOLD"

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__(
            f"{len(errors)} problem(s) in the household: "
            + "; ".join(f"{e.field}: {e.message}" for e in errors)
        )


# -- the JSON format -------------------------------------------------------------------------------

# Caps that no real household reaches: they turn a typo (or 1e30) into an error, never into a
# number the arithmetic cannot hold.
MAX_MONTHLY_AMOUNT = 10_000_000  # yuan per month
MAX_ASSET_VALUE = 10**12  # yuan
ACCOUNT_NUMBER_PATTERN = "^[0-9]{8,30}$"  # bank card / account numbers: 8 to 30 digits
_MONEY = {
    "type": "number",
    "minimum": 0,
    "maximum": MAX_MONTHLY_AMOUNT,
    "description": "yuan per month",
}
_BOOL = {"type": "boolean"}


def _enum(e: type[StrEnum], description: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"enum": [m.value for m in e]}
    if description:
        out["description"] = description
    return out


HOUSEHOLD_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:doudi:schema:household:1",
    "title": "doudi household",
    "description": "A household applying for or receiving assistance: the CLI's input file, the "
    "GraphQL HouseholdInput and the stored record share this format.",
    "type": "object",
    "required": ["county", "area", "incomeClass", "members"],
    "additionalProperties": False,
    "properties": {
        "county": {
            "type": "string",
            "pattern": "^[0-9]{6}$",
            "description": "GB/T 2260 county-level code of the household's registration",
        },
        "area": _enum(Area, "urban (城市) or rural (农村) dibao standard applies"),
        "incomeClass": _enum(IncomeClass, "sets the re-check interval"),
        "propertyWithinLocalRules": {
            "type": ["boolean", "null"],
            "description": "investigators' finding on property against local rules",
        },
        "notes": {"type": "string"},
        "tags": {
            "type": "array",
            "items": {"enum": list(HOUSEHOLD_TAGS)},
            "uniqueItems": True,
            "description": "relapse_monitoring: a household monitored for relapse into poverty "
            "(防止返贫监测对象)",
        },
        "paymentAccount": {
            "type": ["object", "null"],
            "description": "the bank account benefits are paid into (一卡通); its holder must be "
            "a member of the household",
            "required": ["holderIdNumber", "holderName", "bank", "accountNumber"],
            "additionalProperties": False,
            "properties": {
                "holderIdNumber": {
                    "type": "string",
                    "description": "resident ID number of the holder (a member)",
                },
                "holderName": {"type": "string", "minLength": 1},
                "bank": {"type": "string", "minLength": 1},
                "accountNumber": {
                    "type": "string",
                    "pattern": ACCOUNT_NUMBER_PATTERN,
                    "description": "8 to 30 digits, no spaces or dashes",
                },
            },
        },
        "members": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["idNumber", "name", "relation"],
                "additionalProperties": False,
                "properties": {
                    "idNumber": {
                        "type": "string",
                        "description": "18-character resident ID number (公民身份号码)",
                    },
                    "name": {"type": "string", "minLength": 1},
                    "relation": _enum(Relation, "relation to the head of household"),
                    "disability": {
                        "type": ["object", "null"],
                        "required": ["kind", "grade"],
                        "additionalProperties": False,
                        "properties": {
                            "kind": _enum(DisabilityKind),
                            "grade": {"type": "integer", "minimum": 1, "maximum": 4},
                        },
                    },
                    "seriousIllness": _BOOL,
                    "majorIllnessMedicalAid": _BOOL,
                    "labourCapacity": _enum(LabourCapacity),
                    "inSchool": _BOOL,
                    "schoolLevel": {
                        **_enum(SchoolLevel, "where the member studies; sets inSchool"),
                    },
                    "dependsOnFamilySupport": {
                        "type": ["boolean", "null"],
                        "description": "lives on the family's support (靠家庭供养); null: not "
                        "recorded",
                    },
                    "livingApartSince": {
                        "type": ["string", "null"],
                        "format": "date",
                        "description": "clergy: living at a religious site apart from the family "
                        "since this day (脱离家庭、在宗教场所居住)",
                    },
                    "employed": _BOOL,
                    "dateOfDeath": {"type": ["string", "null"], "format": "date"},
                    "selfCareFailed": {
                        "type": "array",
                        "items": {"enum": list(SELF_CARE_INDICATORS)},
                        "uniqueItems": True,
                    },
                    "hasAbleSupporter": _BOOL,
                    "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
                },
            },
        },
        "income": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["kind", "monthlyAmount"],
                "additionalProperties": False,
                "properties": {
                    "kind": _enum(IncomeKind),
                    "monthlyAmount": _MONEY,
                    "member": {"type": ["string", "null"]},
                    "regular": _BOOL,
                    "excludedAs": {
                        "enum": [*INCOME_EXCLUSIONS, None],
                        "description": "an income the rules may leave out (优待抚恤金, "
                        "基础养老金, 高龄津贴 ...): counted or not as the program's policy says",
                    },
                },
            },
        },
        "expenses": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["kind", "monthlyAmount"],
                "additionalProperties": False,
                "properties": {
                    "kind": _enum(ExpenseKind),
                    "monthlyAmount": _MONEY,
                    "member": {"type": ["string", "null"]},
                },
            },
        },
        "assets": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["kind", "value"],
                "additionalProperties": False,
                "properties": {
                    "kind": _enum(AssetKind),
                    "value": {
                        "type": "number",
                        "minimum": 0,
                        "maximum": MAX_ASSET_VALUE,
                        "description": "yuan",
                    },
                    "description": {"type": "string"},
                },
            },
        },
    },
}

_VALIDATOR = Draft202012Validator(HOUSEHOLD_SCHEMA, format_checker=FormatChecker())
# The same schema in jsonschema-rs (Rust, the same draft, formats checked): a few microseconds
# to say whether a document is valid, where jsonschema takes a third of a millisecond (a
# register of a county is thousands of documents). Only its "valid" is taken: an invalid
# document is described by jsonschema, every error at its path in the words users know.
_FAST = jsonschema_rs.validator_for(HOUSEHOLD_SCHEMA, validate_formats=True)
_JSON_SCALARS = (str, int, float, bool, type(None))


def _plain_json(value: Any) -> bool:
    """Whether ``value`` is made of JSON's own types only (dict with str keys, list, str, int,
    float, bool, None; no subclass, no Decimal, no tuple), where both validators read the same
    document. jsonschema-rs reads a Decimal or a tuple as JSON would write it, jsonschema does not
    (a Decimal is no integer to it, a tuple no array): those go to jsonschema alone."""
    stack = [value]
    while stack:
        v = stack.pop()
        t = type(v)
        if t is dict:
            if not all(type(k) is str for k in v):
                return False
            stack.extend(v.values())
        elif t is list:
            stack.extend(v)
        elif t not in _JSON_SCALARS:
            return False
    return True


def _schema_errors(data: Any) -> list[ValidationError]:
    """Every schema error of ``data``, by path (none for a valid document, found fast)."""
    if _plain_json(data):
        try:
            if _FAST.is_valid(data):
                return []
        except ValueError:  # a string jsonschema-rs cannot encode (a lone surrogate): below
            pass
    return sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))


def dumps_household_schema() -> str:
    """The published household JSON Schema (``schema/household.schema.json``)."""
    return json.dumps(HOUSEHOLD_SCHEMA, ensure_ascii=False, indent=2) + "\n"


def _schema_message(e: ValidationError) -> str:
    """The validator's message, in plain words where it would only quote a pattern."""
    if e.validator == "pattern" and list(e.absolute_path) == ["paymentAccount", "accountNumber"]:
        return f"{e.instance!r} is not an account number: 8 to 30 digits, no spaces or dashes"
    return str(e.message)


def _field(parts: Any) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "household"


# The earliest birth date an ID number may carry: the first date the platform accepts anywhere
# (core.validation.FIRST_DATE, issue 11's one rule for every date). Nobody born before 1900 is
# alive (the oldest person ever verified lived 122 years).
EARLIEST_BIRTH_DATE = FIRST_DATE
_ID_FORM = re.compile(r"[0-9]{17}[0-9X]")


def region_code_known(code: str, birth: dt.date) -> tuple[bool, str]:
    """Whether a resident born on ``birth`` may carry region ``code``, and if not why.

    A code in use in either table (the vendored GB/T 2260 table, python-stdnum's) is valid. A
    code no longer in use stays valid for people born up to the year it left use (inclusive:
    the tables are by year, and a number keeps its code for life after a change); a person born
    later cannot have been given it.
    """
    ours = region_codes().get(code)
    theirs = _stdnum_code_periods(code)
    if (ours is not None and ours.in_use) or None in theirs:
        return True, ""
    untils = [y for y in theirs if y is not None]
    if ours is not None and ours.until is not None:
        untils.append(ours.until)
    if ours is None and not theirs:
        return False, (
            f"region code {code} is not a GB/T 2260 code (in neither table doudi ships: "
            "yescallop/areacodes, python-stdnum)"
        )
    last = max(untils) if untils else None
    if last is not None and birth.year <= last:
        return True, ""
    name = ours.name if ours is not None else code
    return False, (
        f"region code {code} ({name}) was no longer in use from {last}: nobody born on "
        f"{birth.isoformat()} was given it"
    )


_STDNUM_SEGMENT = re.compile(r"^\[(\d{4})?-(\d{4})?\]")


# python-stdnum's table is read by walking a tree for each lookup (about a millisecond); a
# register of a county repeats a few codes thousands of times. The table ships with the package:
# it cannot change while the process runs.
@functools.lru_cache(maxsize=8192)
def _stdnum_code_periods(code: str) -> tuple[int | None, ...]:
    return tuple(_stdnum_periods(numdb.get("cn/loc").info(code)[-1][1]))


def _stdnum_periods(info: Mapping[str, Any]) -> list[int | None]:
    """The end year of each period python-stdnum gives a code (None: still in use); empty when
    it does not know the code."""
    county = info.get("county")
    if not county:
        return []
    out: list[int | None] = []
    for segment in str(county).split(","):
        m = _STDNUM_SEGMENT.match(segment.strip())
        out.append(int(m.group(2)) if m and m.group(2) else None)
    return out


def load_id_tables() -> None:
    """Read the region tables ID numbers are checked against now (python-stdnum's is parsed
    from its data file on first use: a quarter of a second), not on a user's first request."""
    region_codes()
    numdb.get("cn/loc")


def compact_id_number(raw: str) -> str:
    """``stdnum.cn.ric.compact`` (spaces around, fullwidth digits, a lower-case x normalised),
    at once for a number already written as 17 ASCII digits and a digit or X (the compact form
    of itself): stdnum's cleaning goes character by character through a table of look-alikes,
    and an import compacts every number several times."""
    if len(raw) == 18 and _ID_FORM.fullmatch(raw):
        return raw
    return str(ric.compact(raw))


def birth_date_of(number: str) -> dt.date:
    """The birth date of a compact ID number (characters 7–14, YYYYMMDD), as
    ``stdnum.cn.ric.get_birth_date`` reads it; ValueError when it is not a date."""
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def validate_id_number(raw: str, today: dt.date) -> tuple[str | None, str]:
    """(normalised ID number, "") or (None, why it is invalid).

    GB 11643: 17 ASCII digits and a check character (a digit or X), the birth date from
    :data:`EARLIEST_BIRTH_DATE` to ``today``, and a region code of GB/T 2260
    (:func:`region_code_known`). Spaces around, fullwidth digits (１２３) and a lower-case x are
    normalised (``stdnum.cn.ric.compact``); digits of other scripts (Arabic-Indic ١٢٣,
    Devanagari …) are refused, never stored as written, so one person has one number.

    Unlike ``stdnum.cn.ric.validate`` it does not require the region code to have existed in the
    birth year: the code records where the number was *issued* (most people born before 1984
    got their number years later, under the codes of that time), so that check would reject the
    real numbers of many older residents. A code abolished before the birth year is refused.
    """
    number = compact_id_number(raw)
    if not number.isascii():
        return None, (
            "must be written with the digits 0-9 (and X as the check character); "
            f"{raw!r} has other characters (digits of another script?)"
        )
    if len(number) != 18:
        return None, "must be 18 characters"
    if not _ID_FORM.fullmatch(number):
        return None, "must be 17 digits followed by a digit or X"
    if ric.calc_check_digit(number) != number[17]:
        return None, "check digit does not match (mistyped?)"
    try:
        birth = birth_date_of(number)
    except ValueError:
        return None, "birth date in the number is not a valid date"
    if birth > today:
        return None, "birth date in the number is in the future"
    if birth < EARLIEST_BIRTH_DATE:
        return None, (
            f"birth date in the number ({birth.isoformat()}) is before "
            f"{EARLIEST_BIRTH_DATE.isoformat()}: not a living resident's number"
        )
    ok, why = region_code_known(number[:6], birth)
    if not ok:
        return None, why
    return number, ""


def _money(raw: Any) -> Decimal:
    """Yuan to the fen. The schema has bounded the number already; anything else is a bug."""
    try:
        return Decimal(str(raw)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:  # pragma: no cover - the schema bounds it
        raise ValueError(f"not an amount of money: {raw!r}") from exc


def _size_limits(data: Mapping[str, Any]) -> list[FieldError]:
    """How many members and items (TOO_MANY_ITEMS), found before anything else reads the
    document (the limits are :mod:`core.validation`'s)."""
    errors: list[FieldError] = []

    def problem(field: str, check: Any) -> None:
        try:
            check()
        except InvalidInput as exc:
            errors.append(FieldError(field, exc.message.removeprefix(f"{field}: "), exc.code))

    for key, most in (("members", MAX_HOUSEHOLD_MEMBERS), *((k, MAX_HOUSEHOLD_ITEMS) for k in (
            "income", "expenses", "assets"))):  # fmt: skip
        items = data.get(key)
        if isinstance(items, list) and len(items) > most:
            problem(key, lambda items=items, key=key, most=most: check_count(items, key, most))
    return errors


def _text_limits(data: Mapping[str, Any]) -> list[FieldError]:
    """Text too long (TEXT_TOO_LONG), control characters in one-line text (CONTROL_CHARACTER),
    names made of spaces or invisible characters (BLANK_TEXT)."""
    errors: list[FieldError] = []

    def problem(field: str, check: Any) -> None:
        try:
            check()
        except InvalidInput as exc:
            errors.append(FieldError(field, exc.message.removeprefix(f"{field}: "), exc.code))

    members = data.get("members")
    for i, m in enumerate(members if isinstance(members, list) else ()):
        if isinstance(m, Mapping) and isinstance(m.get("name"), str):
            field = f"members[{i}].name"
            problem(field, lambda m=m, field=field: check_name(m["name"], field))
    account = data.get("paymentAccount")
    if isinstance(account, Mapping):
        for key, most in (("holderName", MAX_NAME), ("bank", MAX_SHORT_TEXT)):
            if isinstance(account.get(key), str):
                field = f"paymentAccount.{key}"
                problem(field, lambda key=key, field=field, most=most: check_name(
                    account[key], field, most))  # fmt: skip
    if isinstance(data.get("notes"), str):
        problem("notes", lambda: check_text(data["notes"], "notes", MAX_NOTE))
    assets = data.get("assets")
    for i, a in enumerate(assets if isinstance(assets, list) else ()):
        if isinstance(a, Mapping) and isinstance(a.get("description"), str):
            field = f"assets[{i}].description"
            problem(field, lambda a=a, field=field: check_text(
                a["description"], field, MAX_SHORT_TEXT))  # fmt: skip
    return errors


def parse_household(data: Any, registry: JurisdictionRegistry, today: dt.date) -> Household:
    """Validate household JSON and build the model; raises :class:`InvalidHousehold` listing
    every problem (sizes and text first, then schema, ID numbers, county, head of household,
    references)."""
    text: list[FieldError] = []
    if isinstance(data, Mapping):
        sizes = _size_limits(data)
        if sizes:
            raise InvalidHousehold(sizes)  # nothing more is read of a document this size
        text = _text_limits(data)
    said = {e.field for e in text}
    errors = text + [
        FieldError(_field(e.absolute_path), _schema_message(e), "INVALID_INPUT")
        for e in _schema_errors(data)
        if _field(e.absolute_path) not in said
    ]
    if errors or not isinstance(data, Mapping):
        raise InvalidHousehold(errors or [FieldError("household", "must be an object")])

    county = data["county"]
    try:
        j = registry.get(county)
        if j.level is not Level.COUNTY:
            errors.append(
                FieldError("county", f"{j.code} {j.name} is a {j.level.value}; give the county")
            )
    except UnknownJurisdiction as exc:
        errors.append(FieldError("county", exc.message, "UNKNOWN_JURISDICTION"))

    members: list[Member] = []
    seen: dict[str, int] = {}
    for i, m in enumerate(data["members"]):
        number, why = validate_id_number(m["idNumber"], today)
        if number is None:
            errors.append(FieldError(f"members[{i}].idNumber", why, "INVALID_ID_NUMBER"))
            continue
        if number in seen:
            errors.append(
                FieldError(
                    f"members[{i}].idNumber",
                    f"the same person is already members[{seen[number]}]",
                    "DUPLICATE_PERSON",
                )
            )
            continue
        seen[number] = i
        death = dt.date.fromisoformat(m["dateOfDeath"]) if m.get("dateOfDeath") else None
        birth = birth_date_of(number)
        if death is not None and death < birth:
            errors.append(FieldError(f"members[{i}].dateOfDeath", "is before the birth date"))
        if death is not None and death > today:
            errors.append(FieldError(f"members[{i}].dateOfDeath", "is in the future"))
        disability = m.get("disability")
        level = m.get("schoolLevel")
        school = SchoolLevel(level) if level is not None else None
        in_school = m.get("inSchool", False)
        if school is not None:
            if "inSchool" in m and in_school != (school is not SchoolLevel.NONE):
                errors.append(
                    FieldError(
                        f"members[{i}].inSchool",
                        f"is {str(in_school).lower()} but schoolLevel is {school.value}",
                    )
                )
            in_school = school is not SchoolLevel.NONE
        apart = m.get("livingApartSince")
        apart_since = dt.date.fromisoformat(apart) if apart else None
        if apart_since is not None and apart_since > today:
            errors.append(FieldError(f"members[{i}].livingApartSince", "is in the future"))
        if apart_since is not None and apart_since < birth:
            errors.append(FieldError(f"members[{i}].livingApartSince", "is before the birth date"))
        members.append(
            Member(
                id_number=number,
                name=m["name"],
                relation=Relation(m["relation"]),
                birth_date=birth,
                sex="male" if int(number[16]) % 2 else "female",
                disability=Disability(DisabilityKind(disability["kind"]), disability["grade"])
                if disability
                else None,
                serious_illness=m.get("seriousIllness", False),
                major_illness_medical_aid=m.get("majorIllnessMedicalAid", False),
                labour_capacity=LabourCapacity(m.get("labourCapacity", "full")),
                in_school=in_school,
                employed=m.get("employed", False),
                date_of_death=death,
                self_care_failed=tuple(m.get("selfCareFailed", ())),
                has_able_supporter=m.get("hasAbleSupporter", True),
                tags=tuple(m.get("tags", ())),
                school_level=school,
                depends_on_family_support=m.get("dependsOnFamilySupport"),
                living_apart_since=apart_since,
            )
        )
    heads = [i for i, m in enumerate(data["members"]) if m["relation"] == Relation.HEAD]
    if len(heads) != 1:
        errors.append(
            FieldError("members", f"exactly one member must be the head; found {len(heads)}")
        )

    def member_ref(path: str, ref: Any) -> str | None:
        if ref is None:
            return None
        number = compact_id_number(str(ref))
        if number not in seen:
            errors.append(FieldError(path, f"{ref} is not a member of this household", "NOT_FOUND"))
        return number

    income = tuple(
        IncomeItem(
            IncomeKind(x["kind"]),
            _money(x["monthlyAmount"]),
            member_ref(f"income[{i}].member", x.get("member")),
            x.get("regular", True),
            x.get("excludedAs"),
        )
        for i, x in enumerate(data.get("income", ()))
    )
    expenses = tuple(
        RigidExpense(
            ExpenseKind(x["kind"]),
            _money(x["monthlyAmount"]),
            member_ref(f"expenses[{i}].member", x.get("member")),
        )
        for i, x in enumerate(data.get("expenses", ()))
    )
    assets = tuple(
        Asset(AssetKind(x["kind"]), _money(x["value"]), x.get("description", ""))
        for x in data.get("assets", ())
    )
    account = None
    raw_account = data.get("paymentAccount")
    if raw_account is not None:
        holder = member_ref("paymentAccount.holderIdNumber", raw_account["holderIdNumber"])
        name = raw_account["holderName"].strip()
        if holder in seen:
            member_name = data["members"][seen[holder]]["name"]
            if name != member_name.strip():
                errors.append(
                    FieldError(
                        "paymentAccount.holderName",
                        f"{name!r} is not the name of the holder, member {member_name!r}",
                    )
                )
        number = raw_account["accountNumber"]
        # The schema's pattern lets a trailing newline through (Python's `$`): check again.
        if not (number.isascii() and number.isdigit() and 8 <= len(number) <= 30):
            errors.append(
                FieldError(
                    "paymentAccount.accountNumber",
                    f"{number!r} is not an account number: 8 to 30 digits, no spaces or dashes",
                )
            )
        account = PaymentAccount(
            holder_id_number=holder or "",
            holder_name=name,
            bank=raw_account["bank"].strip(),
            account_number=raw_account["accountNumber"],
        )
    if errors:
        raise InvalidHousehold(errors)
    return Household(
        county=county,
        area=Area(data["area"]),
        income_class=IncomeClass(data["incomeClass"]),
        members=tuple(members),
        income=income,
        expenses=expenses,
        assets=assets,
        property_within_local_rules=data.get("propertyWithinLocalRules"),
        notes=data.get("notes", ""),
        payment_account=account,
        tags=tuple(data.get("tags", ())),
    )


def payment_account_to_json(a: PaymentAccount) -> dict[str, str]:
    return {
        "holderIdNumber": a.holder_id_number,
        "holderName": a.holder_name,
        "bank": a.bank,
        "accountNumber": a.account_number,
    }


def with_id_numbers(document: Mapping[str, Any], show: Callable[[str], str]) -> dict[str, Any]:
    """A copy of household JSON ``document`` with every resident ID number in it as ``show``
    gives it: the members' ``idNumber``, the ``member`` of an income or expense item and the
    payment account's ``holderIdNumber`` (how a reader who may not see them in full is shown a
    stored household)."""
    out = copy.deepcopy(dict(document))

    def replace(item: Any, key: str) -> None:
        if isinstance(item, dict) and isinstance(item.get(key), str):
            item[key] = show(item[key])

    for m in out.get("members") or ():
        replace(m, "idNumber")
    for x in (*(out.get("income") or ()), *(out.get("expenses") or ())):
        replace(x, "member")
    replace(out.get("paymentAccount"), "holderIdNumber")
    return out


def household_to_json(h: Household) -> dict[str, Any]:
    """The JSON form of ``h`` (what :func:`parse_household` reads back); ``paymentAccount``
    only when the household has one."""
    out = _household_json(h)
    if h.payment_account is not None:
        out["paymentAccount"] = payment_account_to_json(h.payment_account)
    return out


def _household_json(h: Household) -> dict[str, Any]:
    return {
        "county": h.county,
        "area": h.area.value,
        "incomeClass": h.income_class.value,
        "propertyWithinLocalRules": h.property_within_local_rules,
        "notes": h.notes,
        **({"tags": list(h.tags)} if h.tags else {}),
        "members": [
            {
                "idNumber": m.id_number,
                "name": m.name,
                "relation": m.relation.value,
                "disability": {"kind": m.disability.kind.value, "grade": m.disability.grade}
                if m.disability
                else None,
                "seriousIllness": m.serious_illness,
                "majorIllnessMedicalAid": m.major_illness_medical_aid,
                "labourCapacity": m.labour_capacity.value,
                "inSchool": m.in_school,
                "employed": m.employed,
                "dateOfDeath": m.date_of_death.isoformat() if m.date_of_death else None,
                "selfCareFailed": list(m.self_care_failed),
                "hasAbleSupporter": m.has_able_supporter,
                "tags": list(m.tags),
                **({"schoolLevel": m.school_level.value} if m.school_level is not None else {}),
                **(
                    {"dependsOnFamilySupport": m.depends_on_family_support}
                    if m.depends_on_family_support is not None
                    else {}
                ),
                **(
                    {"livingApartSince": m.living_apart_since.isoformat()}
                    if m.living_apart_since is not None
                    else {}
                ),
            }
            for m in h.members
        ],
        "income": [
            {
                "kind": x.kind.value,
                "monthlyAmount": float(x.monthly_amount),
                "member": x.member,
                "regular": x.regular,
                **({"excludedAs": x.excluded_as} if x.excluded_as is not None else {}),
            }
            for x in h.income
        ],
        "expenses": [
            {"kind": x.kind.value, "monthlyAmount": float(x.monthly_amount), "member": x.member}
            for x in h.expenses
        ],
        "assets": [
            {"kind": x.kind.value, "value": float(x.value), "description": x.description}
            for x in h.assets
        ],
    }


__all__ = [
    "EARLIEST_BIRTH_DATE",
    "HOUSEHOLD_TAGS",
    "RELAPSE_MONITORING",
    "SELF_CARE_INDICATORS",
    "Area",
    "Asset",
    "AssetKind",
    "Disability",
    "DisabilityKind",
    "ExpenseKind",
    "FieldError",
    "Household",
    "IncomeClass",
    "IncomeItem",
    "IncomeKind",
    "InvalidHousehold",
    "LabourCapacity",
    "Member",
    "PaymentAccount",
    "Relation",
    "RigidExpense",
    "SchoolLevel",
    "dumps_household_schema",
    "household_to_json",
    "parse_household",
    "payment_account_to_json",
    "region_code_known",
    "validate_id_number",
    "with_id_numbers",
]
