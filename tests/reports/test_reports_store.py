"""Guangxi's monthly statistics from a real database (SQLite and PostgreSQL): cases built
through the state machine (``core.cases.store``) in August and September 2023; each month counts
only its own events, at the county and above it, within the user's jurisdiction."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

import core.cases.store as store
from core.access.roles import Forbidden, User
from core.access.tokens import create_user
from core.households.store import create_household
from core.plugin.api import (
    Count,
    Coverage,
    Document,
    MonthFacts,
    ReportTable,
    Source,
    TableRow,
    TableSection,
    hookimpl,
)
from core.plugin.manager import build_plugin_manager
from core.policy.service import build_policy_base
from core.reports.store import monthly_statistics
from tests.support.households import household_doc, id_number
from tests.support.standards import with_example_standards

D = dt.date
YONGFU, YANGSHUO, GUILIN, GUANGXI = "450326", "450321", "450300", "450000"
AUG, SEP, OCT = D(2023, 8, 1), D(2023, 9, 1), D(2023, 10, 1)


@pytest.fixture(scope="module")
def base(base):
    """With example standards (not official figures): confirmation evaluates eligibility."""
    return with_example_standards(base)


class World:
    def __init__(self, db: Any, base: Any, registry: Any) -> None:
        self.db, self.base, self.registry = db, base, registry
        self.seq = itertools.count(1)
        self.users: dict[tuple[str, str], User] = {}

    def user(self, role: str, code: str = YONGFU) -> User:
        key = (role, code)
        if key not in self.users:
            with self.db.sessions() as s:
                self.users[key], _ = create_user(s, f"{role}@{code}", role, code, self.registry)
        return self.users[key]

    def household(self, county: str, size: int, area: str = "urban") -> tuple[int, list[str]]:
        ids = [id_number(county, next(self.seq)) for _ in range(size)]
        relations = ["head", "spouse", "child", "child", "child"][:size]
        doc = household_doc(
            county,
            *[(i, f"人{n}", r) for n, (i, r) in enumerate(zip(ids, relations, strict=True))],
            propertyWithinLocalRules=True,
            area=area,
        )
        with self.db.sessions() as s:
            h = create_household(
                s, self.user("village_clerk", county), doc, self.registry, today=D(2023, 7, 1)
            )
        return h.id, ids

    def open(self, hid: int, on: dt.date, county: str = YONGFU, **kw: Any) -> int:
        with self.db.sessions() as s:
            case, _ = store.open_case(
                s, self.base, self.user("township_officer", county), on, household_id=hid, **kw
            )
        return case.id

    def step(self, cid: int, action: str, actor: User, on: dt.date, **kw: Any) -> None:
        with self.db.sessions() as s:
            version = store.get_case(s, cid).version
            store.apply_transition(s, self.base, cid, version, action, actor, on, **kw)

    def dibao(self, hid: int, opened: dt.date, confirmed: dt.date, county: str = YONGFU) -> int:
        officer = self.user("township_officer", county)
        cid = self.open(hid, opened, county, program="dibao")
        self.step(cid, "record_investigation", officer, opened, investigators=["甲", "乙"])
        self.step(cid, "record_first_review", officer, opened + dt.timedelta(days=1))
        self.step(cid, "start_publicity", officer, opened + dt.timedelta(days=2))
        level = self.base.resolve(county, confirmed).value("dibao.approval.confirming_level")
        confirmer = officer if level == "township" else self.user("county_approver", county)
        self.step(cid, "confirm_case", confirmer, confirmed)
        return cid

    def tekun(self, opened: dt.date, confirmed: dt.date) -> int:
        old, nephew = (
            id_number(YONGFU, next(self.seq), "19400101"),
            id_number(YONGFU, next(self.seq)),
        )
        doc = {
            "county": YONGFU, "area": "rural", "incomeClass": "stable",
            "propertyWithinLocalRules": True,
            "members": [
                {"idNumber": old, "name": "老人", "relation": "head", "hasAbleSupporter": False,
                 "labourCapacity": "none"},
                {"idNumber": nephew, "name": "侄子", "relation": "other"},
            ],
        }  # fmt: skip
        with self.db.sessions() as s:
            hid = create_household(
                s, self.user("village_clerk"), doc, self.registry, today=D(2023, 7, 1)
            ).id
        officer, approver = self.user("township_officer"), self.user("county_approver")
        cid = self.open(hid, opened, program="tekun")
        self.step(cid, "record_investigation", officer, opened, investigators=["甲", "乙"])
        self.step(cid, "record_self_care", approver, opened, failed_indicators=5)
        self.step(cid, "record_first_review", officer, opened)
        with self.db.sessions() as s:
            if store.get_case(s, cid).data["spotCheck"]["selected"]:
                self.step(cid, "record_spot_check", approver, opened, upheld=True)
        self.step(cid, "start_publicity", officer, opened)
        self.step(cid, "confirm_case", approver, confirmed)
        return cid

    def stats(self, month: dt.date, code: str = YONGFU, user: User | None = None):
        with self.db.sessions() as s:
            return monthly_statistics(
                s, self.base, user or self.user("auditor", GUANGXI), code, month
            )


@pytest.fixture
def world(db, base, registry) -> World:
    w = World(db, base, registry)
    officer, approver = w.user("township_officer"), w.user("county_approver")
    # August: an urban household of 3 and a rural one of 2 confirmed
    urban, urban_ids = w.household(YONGFU, 3)
    w.urban_case = w.dibao(urban, D(2023, 8, 1), D(2023, 8, 25))
    rural, _ = w.household(YONGFU, 2, area="rural")
    w.dibao(rural, D(2023, 8, 2), D(2023, 8, 28))
    # opened in August, confirmed in September: counts in September only
    late, _ = w.household(YONGFU, 1)
    w.dibao(late, D(2023, 8, 20), D(2023, 9, 20))
    # a covered member of the August urban case dies in September: August still counts 3
    w.step(w.urban_case, "record_death", w.user("village_clerk"), D(2023, 9, 5),
           id_number=urban_ids[2])  # fmt: skip
    # temporary: assisted first in August (paperwork by the county in September) ...
    t1, _ = w.household(YONGFU, 1)
    c1 = w.open(t1, D(2023, 8, 9), program="temporary", amount="1500", kind="emergency")
    w.step(c1, "assist_first", officer, D(2023, 8, 10))
    w.step(c1, "record_paperwork", approver, D(2023, 9, 1))
    # ... and granted directly in September
    t2, _ = w.household(YONGFU, 2)
    c2 = w.open(t2, D(2023, 8, 30), program="temporary", amount="500", kind="emergency")
    w.step(c2, "confirm_case", officer, D(2023, 9, 3))
    # a near relative of staff applies in August (filed, 备案); a pending case is verified:
    # a verification before the decision is not one of a beneficiary
    nr, _ = w.household(YONGFU, 2)
    c3 = w.open(
        nr, D(2023, 8, 5), program="dibao",
        near_relatives=[{"userId": w.user("village_clerk").id, "relation": "parent"}],
    )  # fmt: skip
    w.step(c3, "record_verification", approver, D(2023, 8, 6), passed=True)
    # tekun: an old person alone, confirmed by the county in August and placed in care; visited,
    # verified and visited at home in September
    w.tekun_case = tk = w.tekun(D(2023, 8, 1), D(2023, 8, 24))
    w.step(tk, "record_care_placement", officer, D(2023, 8, 28), mode="centralised",
           institution="永福县社会福利中心")  # fmt: skip
    w.step(tk, "record_care_visit", officer, D(2023, 9, 6), kind="visit")  # not dispersed
    w.step(tk, "record_care_visit", officer, D(2023, 9, 7), kind="carer_assessment")
    w.step(tk, "record_verification", approver, D(2023, 9, 8), passed=True)
    w.step(tk, "record_home_visit", officer, D(2023, 9, 9), investigators=["甲", "乙"])
    # another, cared for at home (分散供养), visited in September
    tk2 = w.tekun(D(2023, 8, 2), D(2023, 8, 27))
    w.step(tk2, "record_care_placement", officer, D(2023, 8, 29), mode="dispersed")
    w.step(tk2, "record_care_visit", officer, D(2023, 9, 12), kind="visit")
    # the August urban case (2 covered since the death) verified and visited in September
    w.step(w.urban_case, "record_verification", approver, D(2023, 9, 8), passed=True)
    w.step(w.urban_case, "record_home_visit", officer, D(2023, 9, 9), investigators=["甲", "乙"])
    # another county of Guilin: never in Yongfu's table
    other, _ = w.household(YANGSHUO, 4)
    w.dibao(other, D(2023, 8, 3), D(2023, 8, 26), county=YANGSHUO)
    return w


def values(stats) -> dict[str, int | None]:
    return {r.key: r.value for r in stats.rows}


def test_each_month_counts_only_what_happened_in_it(world):
    aug, sep, oct_ = (values(world.stats(m)) for m in (AUG, SEP, OCT))
    assert (aug["new_urban_dibao"], aug["new_rural_dibao"]) == (3, 2)
    assert (sep["new_urban_dibao"], sep["new_rural_dibao"]) == (1, 0)
    assert (aug["temporary_given"], sep["temporary_given"]) == (1, 1)
    assert (aug["near_relative_filings"], sep["near_relative_filings"]) == (1, 0)
    # the township visited every application confirmed: dibao 3 + 2, tekun 1 + 1 (August)
    assert (aug["township_visits_new"], sep["township_visits_new"]) == (7, 1)
    assert (aug["tekun_placed_in_care"], sep["tekun_placed_in_care"]) == (1, 0)
    assert (aug["tekun_dispersed_visited"], sep["tekun_dispersed_visited"]) == (0, 1)
    # periodic verification and home visits in payment (not the verification before the
    # decision in August): tekun 1 + the urban case's 2 still covered
    assert (aug["verifications"], sep["verifications"]) == (0, 3)
    assert (aug["home_visits"], sep["home_visits"]) == (0, 3)
    assert aug["tags_total"] == 0 and aug["online_applications"] is None
    assert all(v in (0, None) for v in oct_.values())


def test_the_table_at_the_prefecture_and_province_includes_every_county_under_it(world):
    for code in (GUILIN, GUANGXI):
        aug = values(world.stats(AUG, code))
        assert aug["new_urban_dibao"] == 3 + 4, code
    yangshuo = values(world.stats(AUG, YANGSHUO))
    assert yangshuo["new_urban_dibao"] == 4 and yangshuo["temporary_given"] == 0


def test_the_due_date_comes_from_the_policy(world):
    aug = world.stats(AUG)
    assert aug.month == "2023-08" and (aug.start, aug.end) == (AUG, D(2023, 8, 31))
    assert aug.due is not None and aug.due.due == D(2023, 9, 4) and aug.due.period == "2023-08"
    assert aug.due.parameter.path == "reports.monthly_statistics_due_day"
    assert aug.jurisdiction_name == "永福县"
    # before the plan, and above the county that sets it: no deadline (the figures still come)
    assert world.stats(D(2023, 6, 1)).due is None
    assert world.stats(AUG, GUILIN).due is None


def test_only_within_the_users_jurisdiction(world):
    outsider = world.user("county_approver", YANGSHUO)
    with pytest.raises(Forbidden):
        world.stats(AUG, YONGFU, outsider)
    assert values(world.stats(AUG, YANGSHUO, outsider))["new_urban_dibao"] == 4
    township = world.user("township_officer", YONGFU)
    with pytest.raises(Forbidden):
        world.stats(AUG, GUILIN, township)


class _CountyTable:
    """Another plugin's table at Yongfu: applications opened in the month, from any event."""

    @hookimpl
    def doudi_jurisdictions(self):
        return [Coverage(YONGFU)]

    @hookimpl
    def doudi_report_tables(self):
        def opened(m: MonthFacts) -> Count:
            return m.cases_where(
                m.cases, lambda c: m.first_in_month(c, lambda e: e.action == "open")
            )

        return [
            ReportTable(
                "county.applications", YONGFU, "Applications", "受理申请统计表",
                (TableSection("all", "All", "全部"),),
                (TableRow("opened", "all", "Applications opened", "受理申请", "件", count=opened),),
                Source(Document("county-test", "测试用示例文件(非政策文件)")),
            )
        ]  # fmt: skip


def test_another_plugins_table_is_read_from_the_same_store(world):
    """No core change: the nearest table is served, facts read from every event (events=())."""
    base = build_policy_base(build_plugin_manager(extra={"county": _CountyTable()}))
    auditor = world.user("auditor", GUANGXI)
    with world.db.sessions() as s:
        aug = monthly_statistics(s, base, auditor, YONGFU, AUG)
        sep = monthly_statistics(s, base, auditor, YONGFU, SEP)
        guangxi = monthly_statistics(
            s, base, auditor, YONGFU, AUG, "guangxi.yongfu_monthly_statistics"
        )
    assert (aug.table, aug.title_zh, aug.due) == ("county.applications", "受理申请统计表", None)
    # August: 3 dibao + 2 temporary + 1 near relative + 2 tekun opened; September: none
    assert (aug.row("opened").value, sep.row("opened").value) == (8, 0)
    assert guangxi.row("new_urban_dibao").value == 3
