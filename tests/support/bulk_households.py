"""Generated households and county policies for the bulk engine's differential test and
benchmarks: seeded, reproducible, over every county of the five provinces' plugins.

The households are built as :class:`core.households.model.Household` values directly (the traced
engine's input) and turned into stored documents with ``household_to_json`` (the bulk engine's
input), so both paths decide the same facts. Every edge the rules have is hit often: ties at
half a fen (odd net income over an even number of members), members dead before and after the
date (with income and spending), households where nobody is alive, single-person candidates of
every condition (several in one household), minors and the aged for tekun, property not assessed
or over the rules, and in the policy: standards not set, deductions allowed or not, single-person
enrolment on, off or not set, multiples not set, the amount method banded or not set.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

from stdnum.cn import ric

from core.households.model import (
    RELAPSE_MONITORING,
    Area,
    Disability,
    DisabilityKind,
    ExpenseKind,
    Household,
    IncomeClass,
    IncomeItem,
    IncomeKind,
    LabourCapacity,
    Member,
    Relation,
    RigidExpense,
    SchoolLevel,
)
from core.plugin.types import Document, Source
from core.policy.catalog import (
    INCOME_DEDUCTIONS,
    INCOME_EXCLUSIONS,
    SCHOOL_LEVELS_IN_SCHOOL,
    SINGLE_PERSON_CONDITIONS,
    SINGLE_PERSON_REQUIREMENTS,
)
from core.policy.jurisdictions import JurisdictionRegistry, Level
from core.policy.model import DatedValue, Layer, LayerKind, LayerRef
from core.policy.resolution import PolicyIndex
from core.policy.service import PolicyBase

PROVINCE_PLUGINS = ("522700", "140300", "530000", "450326", "640121")
_SOURCE = Source(Document(id="generated", title="generated test policy (not a real document)"))
_RELATIONS = (Relation.SPOUSE, Relation.CHILD, Relation.PARENT, Relation.SIBLING, Relation.OTHER)


def plugin_counties(registry: JurisdictionRegistry) -> list[str]:
    """Every county under the five province plugins' jurisdictions."""
    out: list[str] = []
    for code in PROVINCE_PLUGINS:
        j = registry.get(code)
        if j.level is Level.COUNTY:
            out.append(j.code)
        else:
            out.extend(
                c.code
                for c in registry.all()
                if c.level is Level.COUNTY and registry.is_within(c.code, j.code)
            )
    return sorted(set(out))


def county_layers(
    base: PolicyBase, counties: list[str], seed: int, start: dt.date = dt.date(2020, 1, 1)
) -> list[Layer]:
    """A local layer per county with generated values (some left to the plugins and the
    national layer, some explicitly not set from ``start``)."""
    rng = random.Random(seed)
    layers = []
    for code in counties:
        j = base.registry.get(code)
        ref = LayerRef(j, "local", LayerKind.LOCAL, "generated")
        values: dict[str, Any] = {}
        for area in ("urban", "rural"):
            r = rng.random()
            if r < 0.9:
                values[f"dibao.standard.{area}"] = rng.randrange(30000, 120000) / 100
            elif r < 0.95:
                values[f"dibao.standard.{area}"] = None  # explicitly not set
        r = rng.random()
        if r < 0.45:
            values["dibao.income.deductions"] = rng.sample(
                list(INCOME_DEDUCTIONS), rng.randrange(0, len(INCOME_DEDUCTIONS) + 1)
            )
        elif r < 0.55:
            values["dibao.income.deductions"] = None
        r = rng.random()
        if r < 0.6:
            values["dibao.single_person.enabled"] = True
        elif r < 0.75:
            values["dibao.single_person.enabled"] = False
        elif r < 0.85:
            values["dibao.single_person.enabled"] = None
        if rng.random() < 0.6:
            values["dibao.single_person.conditions"] = rng.sample(
                list(SINGLE_PERSON_CONDITIONS), rng.randrange(0, len(SINGLE_PERSON_CONDITIONS) + 1)
            )
        r = rng.random()
        if r < 0.5:
            values["low_income.marginal_multiple"] = rng.choice([1.3, 1.5, 2.0, 1.25])
        elif r < 0.65:
            values["low_income.marginal_multiple"] = None
        r = rng.random()
        if r < 0.5:
            values["low_income.income_multiple_max"] = rng.choice([2.0, 1.5, 2.5])
        elif r < 0.6:
            values["low_income.income_multiple_max"] = None
        r = rng.random()
        if r < 0.4:
            values["low_income.dibao_counts_as_low_income"] = rng.random() < 0.5
        r = rng.random()
        if r < 0.85:
            values["tekun.standard.basic"] = rng.randrange(50000, 180000) / 100
        elif r < 0.92:
            values["tekun.standard.basic"] = None
        r = rng.random()
        if r < 0.5:
            values["tekun.minor_age_limit"] = rng.choice([16, 18])
        elif r < 0.6:
            values["tekun.minor_age_limit"] = None
        r = rng.random()
        if r < 0.35:
            values["dibao.income.deductions_scope"] = "low_income_with_hardship_member"
        elif r < 0.45:
            values["dibao.income.deductions_scope"] = "all_households"
        if rng.random() < 0.5:
            values["dibao.income.excluded"] = rng.sample(
                list(INCOME_EXCLUSIONS), rng.randrange(0, len(INCOME_EXCLUSIONS) + 1)
            )
        if rng.random() < 0.5:
            values["tekun.income.excluded"] = rng.sample(
                list(INCOME_EXCLUSIONS), rng.randrange(0, len(INCOME_EXCLUSIONS) + 1)
            )
        if rng.random() < 0.4:
            values["dibao.single_person.additional_requirements"] = rng.sample(
                list(SINGLE_PERSON_REQUIREMENTS),
                rng.randrange(0, len(SINGLE_PERSON_REQUIREMENTS) + 1),
            )
        r = rng.random()
        if r < 0.4:
            values["tekun.minor_continuation_age"] = rng.choice([18, 20])
        elif r < 0.5:
            values["tekun.minor_continuation_age"] = None
        if rng.random() < 0.4:
            values["tekun.minor_continuation_in_school"] = rng.sample(
                list(SCHOOL_LEVELS_IN_SCHOOL), rng.randrange(0, len(SCHOOL_LEVELS_IN_SCHOOL) + 1)
            )
        r = rng.random()
        if r < 0.8:
            values["dibao.benefit.method"] = "gap"
        elif r < 0.9:
            values["dibao.benefit.method"] = "banded"
        else:
            values["dibao.benefit.method"] = None
        dated = tuple(
            DatedValue(path, value, start, None, _SOURCE, ref) for path, value in values.items()
        )
        layers.append(Layer(ref, dated, "generated for tests"))
    return layers


# National values the differential test removes, so that "not set" is reached (a county's layer
# can end its own value, never a national one).
NATIONAL_GAPS = (
    "low_income.marginal_multiple",
    "tekun.minor_age_limit",
    "dibao.benefit.method",
    "dibao.single_person.enabled",
)


def without_national(base: PolicyBase, paths: tuple[str, ...] = NATIONAL_GAPS) -> PolicyBase:
    """``base`` with the national layer's values of ``paths`` removed."""
    layers = [
        replace(lay, values=tuple(v for v in lay.values if v.path not in paths))
        if lay.ref.kind is LayerKind.NATIONAL
        else lay
        for lay in base.index.layers
    ]
    return PolicyBase(
        base.registry,
        base.catalog,
        PolicyIndex(layers),
        base.rules,
        base.programs,
        base.plugins,
        base.holiday_tables,
        base.campaigns,
    )


def _id_number(rng: random.Random, region: str, birth: dt.date) -> str:
    body = f"{region}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return body + ric.calc_check_digit(body + "0")


def _excluded(rng: random.Random) -> str | None:
    return rng.choice(INCOME_EXCLUSIONS) if rng.random() < 0.15 else None


def _amount(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low, high)) / 100


def generate_households(
    counties: list[str], n: int, seed: int, as_of: dt.date
) -> Iterator[Household]:
    """``n`` households spread over ``counties``, decided on ``as_of``."""
    rng = random.Random(seed)
    kinds = list(DisabilityKind)
    income_kinds = list(IncomeKind)
    expense_kinds = list(ExpenseKind)
    for _ in range(n):
        county = rng.choice(counties)
        size = rng.choices((1, 2, 3, 4, 5, 6), (18, 24, 22, 18, 12, 6))[0]
        members: list[Member] = []
        numbers: set[str] = set()
        all_dead = rng.random() < 0.004
        for k in range(size):
            age = rng.choice(
                (
                    rng.randrange(0, 18),
                    rng.randrange(18, 60),
                    rng.randrange(60, 96),
                    rng.choice((15, 16, 17, 18, 59, 60)),
                )
            )
            birth = dt.date(as_of.year - age, rng.randrange(1, 13), rng.randrange(1, 29))
            if rng.random() < 0.05:  # born on the day of the year: ages change exactly on as_of
                birth = dt.date(as_of.year - age, as_of.month, min(as_of.day, 28))
            if birth > as_of:
                birth = dt.date(birth.year - 1, birth.month, birth.day)
            number = _id_number(rng, county, birth)
            while number in numbers:
                number = _id_number(rng, county, birth)
            numbers.add(number)
            death = None
            if all_dead or rng.random() < 0.03:
                death = as_of - dt.timedelta(days=rng.randrange(-60, 400))
                if death > as_of and rng.random() < 0.5:
                    death = as_of  # dead on the day itself: not living
                if death < birth:
                    death = birth
            disability = None
            if rng.random() < 0.14:
                disability = Disability(rng.choice(kinds), rng.randrange(1, 5))
            tags: tuple[str, ...] = ()
            since = None
            if rng.random() < 0.03:
                tags = ("clergy_living_apart",)
                if rng.random() < 0.8:  # three years apart, included, falls around the date
                    since = as_of - dt.timedelta(
                        days=rng.choice((1094, 1095, 1096, 1097, 400, 2000))
                    )
                    since = max(since, birth)  # a household document refuses it earlier
            elif rng.random() < 0.01:
                tags = ("retrenched_1960s_worker",)
            level = rng.choice([None, None, *list(SchoolLevel)])
            in_school = level is not SchoolLevel.NONE if level is not None else rng.random() < 0.1
            members.append(
                Member(
                    id_number=number,
                    name=f"M{k}",
                    relation=Relation.HEAD if k == 0 else rng.choice(_RELATIONS),
                    birth_date=birth,
                    sex="male" if int(number[16]) % 2 else "female",
                    disability=disability,
                    serious_illness=rng.random() < 0.07,
                    major_illness_medical_aid=rng.random() < 0.5,
                    labour_capacity=rng.choice(list(LabourCapacity)),
                    in_school=in_school,
                    school_level=level,
                    employed=rng.random() < 0.4,
                    date_of_death=death,
                    self_care_failed=(),
                    has_able_supporter=rng.random() < 0.55,
                    tags=tags,
                    depends_on_family_support=rng.choice((True, False, None)),
                    living_apart_since=since,
                )
            )
        income: list[IncomeItem] = []
        wage_level = rng.choice((20000, 60000, 100000, 160000))
        for m in members:
            for _ in range(rng.choice((0, 0, 1, 1, 2))):
                income.append(
                    IncomeItem(
                        rng.choice(income_kinds),
                        _amount(rng, 1, wage_level),
                        m.id_number,
                        excluded_as=_excluded(rng),
                    )
                )
        for _ in range(rng.choice((0, 0, 0, 0, 1, 2))):
            income.append(
                IncomeItem(
                    rng.choice(income_kinds),
                    _amount(rng, 1, wage_level),
                    None,
                    excluded_as=_excluded(rng),
                )
            )
        expenses: list[RigidExpense] = []
        for _ in range(rng.choice((0, 0, 0, 1, 2, 3))):
            who = rng.choice([None, *[m.id_number for m in members]])
            expenses.append(RigidExpense(rng.choice(expense_kinds), _amount(rng, 1, 80000), who))
        prop: bool | None = rng.choices((True, None, False), (84, 8, 8))[0]
        yield Household(
            county=county,
            area=rng.choice((Area.URBAN, Area.RURAL)),
            income_class=rng.choice(list(IncomeClass)),
            members=tuple(members),
            income=tuple(income),
            expenses=tuple(expenses),
            property_within_local_rules=prop,
            tags=(RELAPSE_MONITORING,) if rng.random() < 0.1 else (),
        )
