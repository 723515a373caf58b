"""Demo data: example households and example standards to try doudi with (``doudi demo load``).

Everything here is invented. The households are fictitious people in counties of the five plugin
areas (Qiannan 522700, Yangquan 140300, Yunnan/Kunming 530100, Yongfu 450326, Yongning 640121);
their resident ID numbers are valid (check digit, birth date, and a region code
``python-stdnum`` accepts for that birth year). The standards are recorded as local settings
whose source text says, in Chinese and English, that they are example figures and not official
standards (:data:`EXAMPLE_SOURCE`).

Everything is written by the user :data:`DEMO_USER` (a province administrator at 000000, whose
scope is the whole country), created on first use. :func:`load_demo` is idempotent: a setting
that exists (same jurisdiction, path and date) and a household whose members are already stored
are skipped, so running it twice adds nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from stdnum.cn import ric

from core.access.roles import Role, User
from core.access.tokens import create_user, list_users
from core.cases.store import apply_transition, list_cases, open_case
from core.errors import DoudiError
from core.households.store import DuplicatePerson, create_household
from core.payments.store import run_payments
from core.policy.local_store import list_local_settings
from core.runtime import Runtime

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEMO_USER = "demo"
DEMO_ROLE = Role.PROVINCE_ADMIN
DEMO_JURISDICTION = "000000"
EXAMPLE_FROM = dt.date(2024, 1, 1)
EXAMPLE_SOURCE = (
    "示例数据，非官方标准 (example figure for demonstration, not an official standard; "
    "loaded by `doudi demo load`)"
)
DEMO_NOTE = "示例住户，虚构人物 (demo household: fictitious people, loaded by `doudi demo load`)"


class DemoUserMismatch(DoudiError):
    code = "DEMO_USER_MISMATCH"


@dataclass(frozen=True, slots=True)
class ExampleSetting:
    code: str
    path: str
    value: int | float


def _standards(code: str, urban: int, rural: int, tekun: int, limit: int) -> list[ExampleSetting]:
    # Urban first: Yunnan's rule (tekun >= 1.3 × urban dibao) is then checked on the tekun value.
    return [
        ExampleSetting(code, "dibao.standard.urban", urban),
        ExampleSetting(code, "dibao.standard.rural", rural),
        ExampleSetting(code, "tekun.standard.basic", tekun),
        ExampleSetting(code, "temporary.approval.township_limit", limit),
    ]


# Example monthly standards in yuan (invented, of a plausible size for 2024); every tekun
# standard is at least 1.3 × the urban dibao standard, as Yunnan requires (1.3 × 830 = 1079).
EXAMPLE_SETTINGS: tuple[ExampleSetting, ...] = (
    *_standards("522700", 770, 490, 1010, 1000),  # 黔南州
    *_standards("140300", 790, 590, 1030, 1500),  # 阳泉市
    *_standards("530100", 830, 560, 1080, 1000),  # 昆明市 (cities set Yunnan's standards)
    *_standards("450326", 810, 480, 1060, 1000),  # 永福县
    *_standards("640121", 780, 530, 1020, 2000),  # 永宁县
)


# -- example households ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Person:
    name: str
    relation: str
    birth: str  # YYYY-MM-DD
    sex: str  # "m" / "f"
    extra: Mapping[str, Any] = field(default_factory=dict)
    region: str | None = None  # the ID number's region code; default: the household's county


@dataclass(frozen=True, slots=True)
class _Home:
    county: str
    area: str
    income_class: str
    people: tuple[_Person, ...]
    income: tuple[tuple[str, float, int | None, bool], ...] = ()  # kind, amount, member, regular
    expenses: tuple[tuple[str, float, int | None], ...] = ()  # kind, amount, member index
    assets: tuple[tuple[str, float, str], ...] = ()


def _yongfu(birth: str) -> str:
    """Yongfu county was 452325 until 1997 and is 450326 since 1998 (GB/T 2260)."""
    return "452325" if int(birth[:4]) < 1998 else "450326"


P = _Person
NONE = {"labourCapacity": "none"}
PARTIAL = {"labourCapacity": "partial"}
SCHOOL = {"inSchool": True}
EMPLOYED = {"employed": True}

DEMO_HOUSEHOLDS: tuple[_Home, ...] = (
    # -- 黔南州 (Guizhou) -----------------------------------------------------------------------
    _Home(
        "522701", "urban", "stable",
        (
            P("王德明", "head", "1957-04-12", "m", {"seriousIllness": True, **NONE}),
            P("陈秀兰", "spouse", "1960-09-03", "f", PARTIAL),
        ),
        income=(("pension", 650, 0, True),),
        expenses=(("medical", 300, 0),),
    ),
    _Home(
        "522722", "rural", "irregular_with_labour",
        (
            P("覃志强", "head", "1982-06-18", "m", EMPLOYED),
            P("蒙丽芳", "spouse", "1985-02-27", "f"),
            P("覃小雨", "child", "2011-08-09", "f", SCHOOL),
            P("覃浩", "child", "2015-03-21", "m", SCHOOL),
        ),
        income=(("wages", 2400, 0, False), ("agriculture", 300, None, True)),
    ),
    _Home(
        "522732", "rural", "stable",
        (
            P(
                "潘妹", "head", "1941-11-05", "f",
                {"hasAbleSupporter": False, "selfCareFailed": ["bathing", "indoor_walking"],
                 **NONE},
            ),
        ),
        income=(("transfer", 150, 0, True),),
    ),
    # -- 阳泉市 (Shanxi) ------------------------------------------------------------------------
    _Home(
        "140302", "urban", "slow_change",
        (
            P("张志刚", "head", "1984-05-16", "m",
              {"disability": {"kind": "physical", "grade": 2}, **PARTIAL}),
            P("刘芳", "spouse", "1986-10-02", "f", EMPLOYED),
            P("张子涵", "child", "2012-01-19", "f", SCHOOL),
        ),
        income=(("wages", 1700, 1, True), ("transfer", 200, 0, True)),
    ),
    _Home(
        "140311", "rural", "stable",
        (
            P("李红梅", "head", "1987-03-08", "f"),
            P("李明轩", "child", "2014-07-22", "m", SCHOOL),
        ),
        income=(("agriculture", 450, None, True),),
    ),
    _Home(
        "140321", "rural", "irregular_with_labour",
        (
            P("郭建军", "head", "1983-12-01", "m", EMPLOYED),
            P("王艳", "spouse", "1988-04-14", "f"),
            P("郭佳琪", "child", "2016-09-30", "f", SCHOOL),
        ),
        income=(("wages", 3200, 0, False),),
    ),
    # -- 昆明市 (Yunnan) ------------------------------------------------------------------------
    _Home(
        "530102", "urban", "stable",
        (
            P("杨敏", "head", "1990-02-14", "f",
              {"disability": {"kind": "intellectual", "grade": 3}, **PARTIAL}),
        ),
        income=(("transfer", 300, 0, True),),
    ),
    _Home(
        "530103", "urban", "slow_change",
        (
            P("赵磊", "head", "1985-07-07", "m", EMPLOYED),
            P("周婷", "spouse", "1987-11-23", "f", {"seriousIllness": True, **NONE}),
            P("赵一诺", "child", "2013-05-05", "f", SCHOOL),
        ),
        income=(("wages", 2600, 0, True),),
        expenses=(("medical", 900, 1), ("education", 200, 2)),
    ),
    _Home(
        "530111", "urban", "irregular_with_labour",
        (P("孙浩", "head", "1992-03-30", "m", EMPLOYED),),
        income=(("wages", 3000, 0, False),),
        assets=(("deposit", 8000, "活期存款"),),
    ),
    # -- 永福县 (Guangxi) -----------------------------------------------------------------------
    _Home(
        "450326", "rural", "stable",
        (
            P("黄金福", "head", "1952-08-15", "m",
              {"disability": {"kind": "physical", "grade": 3}, **NONE}),
            P("莫桂英", "spouse", "1955-01-20", "f", PARTIAL),
        ),
        income=(("agriculture", 500, None, True), ("pension", 200, 0, True)),
    ),
    _Home(
        "450326", "rural", "irregular_with_labour",
        (
            P("陈志华", "head", "1979-10-10", "m", EMPLOYED),
            P("廖美玲", "spouse", "1981-06-06", "f"),
            P("陈佳怡", "child", "2005-04-18", "f", SCHOOL),
            P("陈俊杰", "child", "2009-12-12", "m", SCHOOL),
        ),
        income=(("wages", 2200, 0, False), ("agriculture", 400, None, True)),
        expenses=(("education", 600, 2),),
    ),
    _Home(
        "450326", "urban", "slow_change",
        (
            P("唐秀珍", "head", "1948-02-02", "f",
              {"seriousIllness": True, "majorIllnessMedicalAid": True, **NONE}),
        ),
        income=(("pension", 700, 0, True),),
        expenses=(("medical", 300, 0),),
    ),
    # -- 永宁县 (Ningxia) -----------------------------------------------------------------------
    _Home(
        "640121", "rural", "stable",
        (
            P("马有福", "head", "1963-03-17", "m", {"seriousIllness": True, **PARTIAL}),
            P("马桂花", "spouse", "1966-08-21", "f"),
        ),
        income=(("agriculture", 700, None, True),),
    ),
    _Home(
        "640121", "urban", "slow_change",
        (
            P("杨建华", "head", "1978-09-09", "m", EMPLOYED),
            P("丁晓燕", "spouse", "1980-12-25", "f",
              {"disability": {"kind": "visual", "grade": 1}, **NONE}),
            P("杨帆", "child", "2008-06-30", "m", SCHOOL),
        ),
        income=(("wages", 2500, 0, True),),
    ),
    _Home(
        "640121", "rural", "stable",
        (
            P("李凤英", "head", "1944-05-05", "f", {"hasAbleSupporter": False, **NONE}),
        ),
        income=(("transfer", 100, 0, True),),
    ),
)  # fmt: skip


def demo_id_number(region: str, birth: str, order: int, sex: str) -> str:
    """A valid resident ID number: region, birth date, a 3-digit order code whose last digit is
    odd for men and even for women, and the check digit."""
    seq = order * 10 + (1 if sex == "m" else 2)
    body = f"{region}{birth.replace('-', '')}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def household_documents() -> list[dict[str, Any]]:
    """The demo households as household JSON (``schema/household.schema.json``)."""
    docs: list[dict[str, Any]] = []
    order = 0
    for home in DEMO_HOUSEHOLDS:
        numbers: list[str] = []
        members: list[dict[str, Any]] = []
        for p in home.people:
            order += 1
            region = p.region or (_yongfu(p.birth) if home.county == "450326" else home.county)
            number = demo_id_number(region, p.birth, order, p.sex)
            numbers.append(number)
            members.append({"idNumber": number, "name": p.name, "relation": p.relation, **p.extra})
        docs.append(
            {
                "county": home.county,
                "area": home.area,
                "incomeClass": home.income_class,
                "propertyWithinLocalRules": True,
                "notes": DEMO_NOTE,
                "members": members,
                "income": [
                    {
                        "kind": kind,
                        "monthlyAmount": amount,
                        "member": None if who is None else numbers[who],
                        "regular": regular,
                    }
                    for kind, amount, who, regular in home.income
                ],
                "expenses": [
                    {
                        "kind": kind,
                        "monthlyAmount": amount,
                        "member": None if who is None else numbers[who],
                    }
                    for kind, amount, who in home.expenses
                ],
                "assets": [
                    {"kind": kind, "value": value, "description": text}
                    for kind, value, text in home.assets
                ],
            }
        )
    return docs


# -- officials and cases ------------------------------------------------------------------------

# Officials to sign in with (no password: `doudi users passwd NAME` sets one, so no password is
# ever known from the source). Yangquan's 城区 (140302) has the whole Shanxi chain: the village
# clerk accepts, the township investigates, reviews and publishes, the county verifies and
# confirms; 郊区 (140311) is the neighbouring county; the province administrator manages them.
DEMO_OFFICIALS: tuple[tuple[str, Role, str], ...] = (
    ("yq-clerk", Role.VILLAGE_CLERK, "140302"),
    ("yq-township", Role.TOWNSHIP_OFFICER, "140302"),
    ("yq-county", Role.COUNTY_APPROVER, "140302"),
    ("jq-township", Role.TOWNSHIP_OFFICER, "140311"),
    ("jq-county", Role.COUNTY_APPROVER, "140311"),
    ("sx-admin", Role.PROVINCE_ADMIN, "140000"),
    ("sx-auditor", Role.AUDITOR, "140000"),
)
DEMO_CASE_NOTE = "示例案件 (demo case, loaded by `doudi demo load`)"


@dataclass(frozen=True, slots=True)
class CaseResult:
    case_id: int | None
    county: str
    head: str
    state: str  # the state reached, or why nothing was done
    loaded: bool


def _officials(runtime: Runtime) -> tuple[dict[str, User], list[str]]:
    registry = runtime.provider.plugin_base.registry
    with runtime.sessions() as session:
        existing = {u.name: u for u in list_users(session)}
    made: list[str] = []
    out: dict[str, User] = {}
    for name, role, code in DEMO_OFFICIALS:
        if name in existing:
            out[name] = existing[name]
            continue
        with runtime.sessions() as session:
            out[name], _ = create_user(session, name, role, code, registry)
        made.append(name)
    return out, made


def _case_days(today: dt.date) -> dict[str, dt.date]:
    """The days of the demo cases' steps, counted back from today: the active case is
    confirmed on the 5th of last month (its benefit starts this month, so this month's run
    has its payment), the one in publicity started two days ago (so confirmation must wait)."""
    first = today.replace(day=1)
    last_month_5th = (first - dt.timedelta(days=1)).replace(day=5)
    return {
        "confirm": last_month_5th,
        "publicity": last_month_5th - dt.timedelta(days=8),
        "review": last_month_5th - dt.timedelta(days=9),
        "investigate": last_month_5th - dt.timedelta(days=10),
        "open": last_month_5th - dt.timedelta(days=12),
        "recent_open": today - dt.timedelta(days=6),
        "recent_investigate": today - dt.timedelta(days=4),
        "recent_review": today - dt.timedelta(days=3),
        "recent_publicity": today - dt.timedelta(days=2),
    }


def _demo_cases(
    runtime: Runtime,
    officials: dict[str, User],
    households: list[HouseholdResult],
    today: dt.date,
) -> tuple[CaseResult, ...]:
    """Two Shanxi dibao cases through the real chain (idempotent: a household that has a case
    is left alone): 张志刚 of 城区 (140302), confirmed by the county on the 5th of last month
    after the verification (in payment from this month; no payment account, so held); 李红梅
    of 郊区 (140311), in publicity since two days ago (confirmation must wait)."""
    policy = runtime.policy
    registry = policy.registry
    days = _case_days(today)
    by_head = {h.head: h for h in households}
    plans = (
        ("张志刚", "yq-clerk", "yq-township", "yq-county", False),
        ("李红梅", "jq-township", "jq-township", "jq-county", True),
    )
    out: list[CaseResult] = []
    for head, opener, township, county, recent in plans:
        found = by_head.get(head)
        if found is None or found.household_id is None:
            continue
        with runtime.sessions() as session:
            mine = [
                c
                for c in list_cases(
                    session, program="dibao", limit=1000, within=(found.county, registry)
                )
                if c.household_id == found.household_id
            ]
        if mine:
            out.append(CaseResult(mine[0].id, mine[0].county, head, mine[0].state.value, False))
            continue
        at = {k: days[f"recent_{k}" if recent else k] for k in ("open", "investigate", "review")}
        step = _Stepper(runtime, policy, today)
        case = step.open(officials[opener], at["open"], found.household_id)
        case = step(case, officials[township], "record_investigation", at["investigate"],
                    investigators=["王建国", "李淑芬"], findings=DEMO_CASE_NOTE)  # fmt: skip
        case = step(case, officials[township], "record_first_review", at["review"],
                    opinion="符合条件 (demo)")  # fmt: skip
        case = step(case, officials[township], "start_publicity",
                    days["recent_publicity" if recent else "publicity"])  # fmt: skip
        if not recent:
            case = step(case, officials[county], "record_verification", days["confirm"],
                        passed=True, notes="核对通过 (demo)")  # fmt: skip
            case = step(case, officials[county], "confirm_case", days["confirm"])
        out.append(CaseResult(case.id, case.county, head, case.state.value, True))
    return tuple(out)


class _Stepper:
    """Takes the demo cases' steps with the real rules (the same store functions as the API)."""

    def __init__(self, runtime: Runtime, policy: Any, today: dt.date) -> None:
        self.runtime, self.policy, self.today = runtime, policy, today

    def open(self, user: User, on: dt.date, household_id: int) -> Any:
        with self.runtime.sessions() as session:
            case, _ = open_case(
                session, self.policy, user, on, household_id=household_id, program="dibao",
                not_after=self.today,
            )  # fmt: skip
        return case

    def __call__(self, case: Any, user: User, action: str, on: dt.date, **inputs: Any) -> Any:
        with self.runtime.sessions() as session:
            case, _ = apply_transition(
                session, self.policy, case.id, case.version, action, user, on,
                not_after=self.today, **inputs,
            )  # fmt: skip
        return case


def _demo_payments(runtime: Runtime, officials: dict[str, User], today: dt.date) -> int:
    """This month's payments at 城区 (idempotent): the demo households have no payment account,
    so each is held until one is recorded."""
    with runtime.sessions() as session:
        report = run_payments(
            session, runtime.policy, officials["yq-county"], "140302", today.strftime("%Y-%m"),
            today,
        )  # fmt: skip
    return int(getattr(report, "created", 0))


# -- loading ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SettingResult:
    setting: ExampleSetting
    loaded: bool  # False: a setting of that path at that jurisdiction from that date existed


@dataclass(frozen=True, slots=True)
class HouseholdResult:
    county: str
    area: str
    head: str
    members: int
    household_id: int | None  # None when skipped
    loaded: bool  # False: its members are already stored (loaded before)


@dataclass(frozen=True, slots=True)
class DemoReport:
    user: User
    user_created: bool
    token: str | None  # the demo user's first token, when it was created now (shown once)
    settings: tuple[SettingResult, ...]
    households: tuple[HouseholdResult, ...]
    officials: tuple[tuple[str, Role, str], ...] = ()
    officials_created: tuple[str, ...] = ()
    cases: tuple[CaseResult, ...] = ()
    payments_created: int = 0


def _demo_user(runtime: Runtime) -> tuple[User, bool, str | None]:
    registry = runtime.provider.plugin_base.registry
    with runtime.sessions() as session:
        found = next((u for u in list_users(session) if u.name == DEMO_USER), None)
        if found is None:
            user, token = create_user(session, DEMO_USER, DEMO_ROLE, DEMO_JURISDICTION, registry)
            return user, True, token
    if found.role is not DEMO_ROLE or found.jurisdiction != DEMO_JURISDICTION:
        raise DemoUserMismatch(
            f"a user named '{DEMO_USER}' exists as {found.role.value} at {found.jurisdiction}; "
            f"the demo data is written as {DEMO_ROLE.value} at {DEMO_JURISDICTION}"
        )
    return found, False, None


def load_demo(runtime: Runtime, *, today: dt.date | None = None) -> DemoReport:
    """Load the example standards and households into ``runtime``'s database (idempotent).

    Each setting and each household is its own unit of work: if one fails, those before it
    stay, and running again completes the rest."""
    user, created, token = _demo_user(runtime)
    registry = runtime.provider.plugin_base.registry

    with runtime.sessions() as session:
        existing = {
            (s.jurisdiction, s.path, s.effective_from)
            for s in list_local_settings(session, user, DEMO_JURISDICTION, registry)
        }
    settings: list[SettingResult] = []
    for s in EXAMPLE_SETTINGS:
        if (s.code, s.path, EXAMPLE_FROM) in existing:
            settings.append(SettingResult(s, False))
            continue
        with runtime.sessions() as session:
            runtime.provider.set_local_parameter(
                session, user, s.code, s.path, s.value, EXAMPLE_FROM, None, EXAMPLE_SOURCE
            )
        settings.append(SettingResult(s, True))

    households: list[HouseholdResult] = []
    for doc in household_documents():
        head = next(m["name"] for m in doc["members"] if m["relation"] == "head")
        common = (doc["county"], doc["area"], head, len(doc["members"]))
        try:
            with runtime.sessions() as session:
                record = create_household(session, user, doc, registry, today=today)
        except DuplicatePerson:
            households.append(HouseholdResult(*common, None, False))
            continue
        households.append(HouseholdResult(*common, record.id, True))
    if not households_known(households):
        households = _stored_households(runtime, user, households)
    day = today or dt.datetime.now(SHANGHAI).date()
    officials, made = _officials(runtime)
    cases = _demo_cases(runtime, officials, households, day)
    paid = _demo_payments(runtime, officials, day)
    return DemoReport(
        user, created, token, tuple(settings), tuple(households), DEMO_OFFICIALS, tuple(made),
        cases, paid,
    )  # fmt: skip


def households_known(households: list[HouseholdResult]) -> bool:
    return all(h.household_id is not None for h in households)


def _stored_households(
    runtime: Runtime, user: User, households: list[HouseholdResult]
) -> list[HouseholdResult]:
    """The ids of demo households loaded by an earlier run (found by their head's name)."""
    from core.households.store import search_households

    registry = runtime.provider.plugin_base.registry
    out = []
    for h in households:
        if h.household_id is not None:
            out.append(h)
            continue
        with runtime.sessions() as session:
            found = search_households(session, user, h.county, registry, h.head, limit=5)
        match = next((r.id for r in found if r.document.get("notes") == DEMO_NOTE), None)
        out.append(HouseholdResult(h.county, h.area, h.head, h.members, match, False))
    return out


__all__ = [
    "DEMO_CASE_NOTE",
    "DEMO_HOUSEHOLDS",
    "DEMO_JURISDICTION",
    "DEMO_NOTE",
    "DEMO_OFFICIALS",
    "DEMO_ROLE",
    "DEMO_USER",
    "EXAMPLE_FROM",
    "EXAMPLE_SETTINGS",
    "EXAMPLE_SOURCE",
    "CaseResult",
    "DemoReport",
    "DemoUserMismatch",
    "ExampleSetting",
    "HouseholdResult",
    "SettingResult",
    "demo_id_number",
    "household_documents",
    "load_demo",
]
