"""Supervision (数字监督) on SQLite and PostgreSQL: each finding kind appears when the stored
cases show the problem and disappears when it is resolved through the case workflow.

Reviews and evaluated confirmations need a dibao standard, which no source document sets in
yuan: an EXAMPLE standard is added by a test layer, as in tests/test_cases.py.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy import event, select, update

import core.cases.store as store
from core.access.roles import User
from core.access.tokens import create_user
from core.cases.supervision import (
    DECEASED_ACTIVE,
    DIBAO_AND_TEKUN,
    DUPLICATE_DIBAO,
    NEAR_RELATIVE_WITHOUT_COUNTY_VISIT,
    SELF_CARE_REASSESSMENT_OVERDUE,
    SPOT_CHECK_FLOOR,
    SPOT_CHECK_MISSING,
    WILLING_NOT_PLACED,
    Finding,
    finding_to_json,
    supervision_findings,
)
from core.errors import PolicyDataError
from core.households.store import create_household, remove_member, update_household
from core.policy.jurisdictions import UnknownJurisdiction
from core.policy.loader import PolicyLoader
from core.policy.service import PolicyBase, build_policy_base
from core.storage.tables import CaseRow
from tests.support.households import household_doc, id_number
from tests.support.layers import doc, entry

YUNNAN, GUANGXI, GUIZHOU = "530102", "450326", "522701"
DAY0 = dt.date(2023, 9, 4)
AFTER = DAY0 + dt.timedelta(days=20)  # publicity over; confirmed in September 2023
TODAY = dt.date(2024, 6, 1)


@pytest.fixture(scope="module")
def pol(base: PolicyBase) -> PolicyBase:
    """Installed policy + EXAMPLE dibao/tekun standards (test values, not official figures)."""
    layers = []
    for code in ("530000", "450000"):
        data = doc(
            code,
            {
                "dibao.standard.urban": [entry(800, "2020-01-01")],
                "dibao.standard.rural": [entry(600, "2020-01-01")],
                "tekun.standard.basic": [entry(1040, "2020-01-01")],
            },
        )
        loader = PolicyLoader(base.registry, base.catalog, {"fixture": [code]})
        layer, issues = loader.validate("fixture", "inline.yaml", data)
        if issues:
            raise PolicyDataError(issues)
        assert layer is not None
        layers.append(layer)
    return build_policy_base(extra_layers=layers)


class World:
    def __init__(self, db: Any, pol: PolicyBase, registry: Any) -> None:
        self.db, self.pol, self.registry = db, pol, registry
        self.staff: dict[tuple[str, str], User] = {}
        for county in (YUNNAN, GUANGXI):
            for role in ("village_clerk", "township_officer", "county_approver"):
                with db.sessions() as s:
                    u, _ = create_user(s, f"{role}-{county}", role, county, registry)
                self.staff[county, role] = u
            with db.sessions() as s:
                u, _ = create_user(s, f"relative-{county}", "township_officer", county, registry)
            self.staff[county, "relative"] = u

    def officer(self, county: str) -> User:
        return self.staff[county, "township_officer"]

    def approver(self, county: str) -> User:
        return self.staff[county, "county_approver"]

    def household(self, county: str, *people: tuple[int, str, str]) -> int:
        # Elderly people with no able supporter and no income: eligible for dibao and tekun alike,
        # so that confirmation (which always evaluates) goes through for either program.
        members = [(P(county, seq), name, rel) for seq, name, rel in people]
        document = household_doc(county, *members, propertyWithinLocalRules=True)
        for m in document["members"]:
            m["hasAbleSupporter"] = False
        clerk = self.staff[county, "village_clerk"]
        with self.db.sessions() as s:
            h = create_household(s, clerk, document, self.registry, today=TODAY)
        return h.id

    def open(self, household_id: int, county: str, program: str = "dibao", **kw: Any) -> int:
        with self.db.sessions() as s:
            case, _ = store.open_case(
                s, self.pol, self.officer(county), DAY0, household_id=household_id,
                program=program, **kw,
            )  # fmt: skip
        return case.id

    def step(self, case_id: int, action: str, actor: User, on: dt.date = DAY0, **kw: Any) -> Any:
        with self.db.sessions() as s:
            version = store.get_case(s, case_id).version
            case, _ = store.apply_transition(s, self.pol, case_id, version, action, actor, on, **kw)
        return case

    def to_publicity(self, case_id: int, county: str, program: str = "dibao") -> Any:
        o = self.officer(county)
        self.step(case_id, "record_investigation", o, investigators=["甲", "乙"])
        if program == "tekun":
            case = self.step(case_id, "record_self_care", o, failed_indicators=4)
            if (case.data.get("selfCareCheck") or {}).get("selected"):
                self.step(case_id, "record_self_care", self.approver(county), failed_indicators=4)
        case = self.step(case_id, "record_first_review", o)
        if program == "tekun" and case.data["spotCheck"]["selected"]:
            self.step(case_id, "record_spot_check", self.approver(county), upheld=True)
        return self.step(case_id, "start_publicity", o)

    def active(self, household_id: int, county: str, program: str = "dibao") -> int:
        cid = self.open(household_id, county, program)
        self.to_publicity(cid, county, program)
        level = self.pol.resolve(county, AFTER).value(f"{program}.approval.confirming_level")
        confirmer = self.officer(county) if level == "township" else self.approver(county)
        case = self.step(cid, "confirm_case", confirmer, AFTER)  # always evaluated
        assert case.state.value == "active"
        return cid

    def findings(self, code: str, as_of: dt.date, kind: str | None = None) -> list[Finding]:
        with self.db.sessions() as s:
            found = supervision_findings(s, self.registry, code, as_of)
        return [f for f in found if kind is None or f.kind == kind]

    def set_data(self, case_id: int, **changes: Any) -> None:
        """Edit a case's data behind the workflow (an import, a manual database edit)."""
        with self.db.sessions() as s, s.begin():
            data = dict(s.scalar(select(CaseRow.data).where(CaseRow.id == case_id)))
            for k, v in changes.items():
                if v is None:
                    data.pop(k, None)
                else:
                    data[k] = v
            s.execute(update(CaseRow).where(CaseRow.id == case_id).values(data=data))


@pytest.fixture
def world(db, pol, registry) -> World:
    return World(db, pol, registry)


def P(county: str, seq: int) -> str:
    return id_number(county, seq, birth="19400101")


# -- duplicate_dibao -----------------------------------------------------------------------------


def test_same_person_in_two_dibao_cases_in_different_counties(world):
    a = world.household(YUNNAN, (1, "张三", "head"), (2, "李四", "spouse"))
    case_a = world.active(a, YUNNAN)  # covers 张三 and 李四
    with world.db.sessions() as s:
        assert store.get_case(s, case_a).data["membersCovered"] == [P(YUNNAN, 1), P(YUNNAN, 2)]
        # 李四 moves to Guangxi and applies there; the Yunnan case is not reviewed
        remove_member(s, world.staff[YUNNAN, "village_clerk"], a, P(YUNNAN, 2), world.registry)
    b = world.household(GUANGXI, (2, "李四", "head"))
    # the same person: Guangxi household with the Yunnan ID number
    with world.db.sessions() as s:
        doc_b = household_doc(
            GUANGXI, (P(YUNNAN, 2), "李四", "head"), propertyWithinLocalRules=True
        )
        update_household(
            s, world.staff[GUANGXI, "village_clerk"], b, doc_b, world.registry, today=TODAY
        )
    case_b = world.active(b, GUANGXI)  # covers the household's members

    for code, where in (
        (YUNNAN, YUNNAN),
        (GUANGXI, GUANGXI),
        ("450000", GUANGXI),
        ("000000", YUNNAN),
    ):
        found = world.findings(code, AFTER, DUPLICATE_DIBAO)
        assert len(found) == 1, (code, found)
        f = found[0]
        assert f.case_ids == (case_a, case_b)
        assert f.person_id_number == P(YUNNAN, 2)
        assert f.jurisdiction == where
        assert "李四" in f.message and f.detail["name"] == "李四"
        assert {c["county"] for c in f.detail["cases"]} == {YUNNAN, GUANGXI}
    assert world.findings(GUIZHOU, AFTER) == []
    assert world.findings("520000", AFTER) == []

    # the Yunnan review re-evaluates the household: only 张三 is covered now
    world.step(case_a, "record_review", world.officer(YUNNAN), AFTER + dt.timedelta(days=30))
    assert world.findings(YUNNAN, AFTER, DUPLICATE_DIBAO) == []
    assert world.findings(GUANGXI, AFTER, DUPLICATE_DIBAO) == []


def test_two_dibao_cases_of_one_person_and_exit(world):
    # The workflow refuses a second open case (DUPLICATE_CASE) and a person active in two
    # households (DUPLICATE_PERSON); duplicates still arrive through imports and direct edits.
    first = world.active(world.household(YUNNAN, (1, "王五", "head")), YUNNAN)
    second = world.active(world.household(YUNNAN, (2, "王六", "head")), YUNNAN)
    world.set_data(second, membersCovered=[P(YUNNAN, 1)])  # an imported record
    found = world.findings(YUNNAN, AFTER, DUPLICATE_DIBAO)
    assert [(f.case_ids, f.person_id_number) for f in found] == [((first, second), P(YUNNAN, 1))]
    world.step(
        second, "exit_case", world.officer(YUNNAN), AFTER,
        reason="found_ineligible", reasons=["enrolled twice"],
    )  # fmt: skip
    assert world.findings(YUNNAN, AFTER) == []


# -- dibao_and_tekun -----------------------------------------------------------------------------


def test_dibao_and_tekun_at_once(world):
    h = world.household(YUNNAN, (1, "赵六", "head"))
    dibao = world.active(h, YUNNAN)
    tekun = world.active(h, YUNNAN, "tekun")
    found = world.findings("530000", AFTER)
    assert [(f.kind, f.case_ids, f.person_id_number) for f in found] == [
        (DIBAO_AND_TEKUN, (dibao, tekun), P(YUNNAN, 1))
    ]
    assert [c["program"] for c in found[0].detail["cases"]] == ["dibao", "tekun"]
    world.step(
        dibao, "exit_case", world.officer(YUNNAN), AFTER,
        reason="found_ineligible", reasons=["supported as tekun"],
    )  # fmt: skip
    assert world.findings("530000", AFTER) == []


# -- deceased_active -----------------------------------------------------------------------------


def test_the_dead_still_covered_until_the_death_is_recorded(world):
    h = world.household(YUNNAN, (1, "孙七", "head"), (2, "周八", "spouse"))
    cid = world.active(h, YUNNAN)  # no membersCovered: the household's members are covered
    died = dt.date(2023, 10, 15)
    with world.db.sessions() as s:
        document = household_doc(
            YUNNAN, (P(YUNNAN, 1), "孙七", "head"), (P(YUNNAN, 2), "周八", "spouse")
        )
        document["members"][1]["dateOfDeath"] = died.isoformat()
        update_household(
            s, world.staff[YUNNAN, "village_clerk"], h, document, world.registry, today=TODAY
        )

    assert world.findings(YUNNAN, died) == []  # not before as_of yet
    found = world.findings(YUNNAN, died + dt.timedelta(days=1))
    assert [(f.kind, f.case_ids, f.person_id_number) for f in found] == [
        (DECEASED_ACTIVE, (cid,), P(YUNNAN, 2))
    ]
    assert found[0].detail["dateOfDeath"] == "2023-10-15"
    assert found[0].detail["source"] == f"household {h}"

    world.step(
        cid, "record_death", world.officer(YUNNAN), dt.date(2023, 10, 20), id_number=P(YUNNAN, 2)
    )
    assert world.findings(YUNNAN, dt.date(2023, 12, 1)) == []


def test_a_death_recorded_on_one_case_flags_the_other(world):
    h = world.household(YUNNAN, (1, "吴九", "head"), (2, "郑十", "spouse"))
    dibao = world.active(h, YUNNAN)
    other = world.household(YUNNAN, (3, "冯一", "head"))
    tekun = world.active(other, YUNNAN, "tekun")
    # the tekun case recorded the death of 冯一 ... but the person is also in the dibao case
    world.set_data(dibao, membersCovered=[P(YUNNAN, 1), P(YUNNAN, 2), P(YUNNAN, 3)])
    world.step(
        tekun, "record_death", world.officer(YUNNAN), dt.date(2023, 11, 2), id_number=P(YUNNAN, 3)
    )
    found = world.findings(YUNNAN, dt.date(2023, 12, 1), DECEASED_ACTIVE)
    assert [(f.case_ids, f.person_id_number) for f in found] == [((dibao,), P(YUNNAN, 3))]
    # the step wrote the death into its household too: that is where it is found
    assert found[0].detail["source"] == f"household {other}"


def test_a_death_only_a_case_knows_still_flags_the_other(world):
    """Deaths recorded before record_death wrote them into the household (or a case's data
    imported as it was) are read from the case."""
    h = world.household(YUNNAN, (1, "吴九", "head"), (2, "郑十", "spouse"))
    dibao = world.active(h, YUNNAN)
    other = world.household(YUNNAN, (3, "冯一", "head"))
    tekun = world.active(other, YUNNAN, "tekun")
    world.set_data(dibao, membersCovered=[P(YUNNAN, 1), P(YUNNAN, 2), P(YUNNAN, 3)])
    world.set_data(tekun, deaths=[{"on": "2023-11-02", "idNumber": P(YUNNAN, 3)}])
    found = world.findings(YUNNAN, dt.date(2023, 12, 1), DECEASED_ACTIVE)
    # the tekun case too: its data carries the death, but it never took the exit step
    assert sorted((f.case_ids, f.person_id_number) for f in found) == [
        ((dibao,), P(YUNNAN, 3)),
        ((tekun,), P(YUNNAN, 3)),
    ]
    assert {f.detail["source"] for f in found} == {f"case {tekun}"}


# -- near_relative_without_county_visit ----------------------------------------------------------


def test_filed_near_relative_case_without_the_county_visit(world):
    relative = world.staff[YUNNAN, "relative"]
    h = world.household(YUNNAN, (1, "陈二", "head"))
    cid = world.open(h, YUNNAN, near_relatives=[{"userId": relative.id, "relation": "parent"}])
    case = world.to_publicity(cid, YUNNAN)
    assert case.data["filed"] is True and "countyHomeVisit" not in case.data
    ends = dt.date.fromisoformat(case.data["publicity"]["ends"])

    assert world.findings(YUNNAN, ends - dt.timedelta(days=1)) == []  # publicity still running
    found = world.findings(YUNNAN, ends)
    assert [(f.kind, f.case_ids) for f in found] == [(NEAR_RELATIVE_WITHOUT_COUNTY_VISIT, (cid,))]
    assert found[0].detail["stage"] == "awaiting_confirmation"
    assert found[0].person_id_number is None

    # an objection reopens the investigation and the county visits: resolved
    o, a = world.officer(YUNNAN), world.approver(YUNNAN)
    world.step(cid, "record_objection", o, ends, reason="县级未入户")
    world.step(cid, "record_investigation", a, ends, investigators=["县甲", "县乙"])
    assert world.findings(YUNNAN, ends) == []
    world.step(cid, "record_first_review", o, ends)
    world.step(cid, "start_publicity", o, ends)
    world.step(cid, "confirm_case", o, ends + dt.timedelta(days=10))
    assert world.findings(YUNNAN, TODAY, NEAR_RELATIVE_WITHOUT_COUNTY_VISIT) == []

    # a confirmed case whose record lacks the visit (edited behind the workflow) is flagged
    world.set_data(cid, countyHomeVisit=None)
    found = world.findings(YUNNAN, TODAY, NEAR_RELATIVE_WITHOUT_COUNTY_VISIT)
    assert [(f.case_ids, f.detail["stage"]) for f in found] == [((cid,), "confirmed")]
    world.step(
        cid, "exit_case", o, TODAY, reason="found_ineligible", reasons=["confirmed unlawfully"]
    )
    assert world.findings(YUNNAN, TODAY) == []


# -- spot_check_missing --------------------------------------------------------------------------


def test_spot_check_not_done_by_the_end_of_the_next_month(world):
    """Guangxi: the county re-checks at least half of each month's township confirmations
    (Yongfu 003 二(三): 「对乡镇每月新审核认定的低保对象进行50%以上的线上核查」)."""
    cases = []
    for seq in range(1, 9):
        h = world.household(GUANGXI, (seq, f"覃{seq}", "head"))
        cid = world.active(h, GUANGXI)
        with world.db.sessions() as s:
            cases.append(store.get_case(s, cid))
    selected = [c.id for c in cases if c.data["spotCheck"]["selected"]]
    assert 4 <= len(selected) <= len(cases)  # ⌈0.5 × 8⌉ = 4 at least
    assert all(c.data["decision"]["on"] == AFTER.isoformat() for c in cases)
    with world.db.sessions() as s:
        (tally,) = store.spot_check_tallies(s, county=GUANGXI, month="2023-09")
    assert (tally.pool, tally.decisions, tally.selected) == (
        "dibao_township_confirmation",
        8,
        len(selected),
    )

    assert world.findings(GUANGXI, dt.date(2023, 10, 31)) == []  # deadline: end of October
    found = world.findings(GUANGXI, dt.date(2023, 11, 1))
    missing = [f for f in found if f.kind == SPOT_CHECK_MISSING]
    assert [f.case_ids for f in missing] == [(cid,) for cid in selected]
    assert missing[0].detail["due"] == "2023-10-31" and missing[0].detail["ratio"] == 0.5
    # and the county-month is below its minimum: 0 of at least 4 checked
    (floor,) = [f for f in found if f.kind == SPOT_CHECK_FLOOR]
    assert floor.jurisdiction == GUANGXI and floor.detail["required"] == 4
    assert (floor.detail["checked"], floor.detail["decisions"]) == (0, 8)
    assert world.findings(YUNNAN, dt.date(2023, 11, 1)) == []

    for cid in selected[:3]:
        world.step(cid, "record_spot_check", world.approver(GUANGXI), dt.date(2023, 11, 5),
                   upheld=True)  # fmt: skip
    after = world.findings(GUANGXI, dt.date(2023, 11, 6))
    assert [f.case_ids for f in after if f.kind == SPOT_CHECK_MISSING] == [
        (cid,) for cid in selected[3:]
    ]
    (floor,) = [f for f in after if f.kind == SPOT_CHECK_FLOOR]
    assert floor.detail["checked"] == 3  # still one short of four
    world.step(selected[3], "record_spot_check", world.approver(GUANGXI), dt.date(2023, 11, 7),
               upheld=True)  # fmt: skip
    assert not [f for f in world.findings(GUANGXI, dt.date(2023, 11, 8)) if f.kind ==
                SPOT_CHECK_FLOOR]  # fmt: skip


def test_tekun_file_selected_for_the_spot_check_waits_too_long(world):
    for seq in range(1, 12):
        h = world.household(YUNNAN, (seq, f"何{seq}", "head"))
        cid = world.open(h, YUNNAN, "tekun")
        o = world.officer(YUNNAN)
        world.step(cid, "record_investigation", o, investigators=["甲", "乙"])
        world.step(cid, "record_self_care", o, failed_indicators=4)
        case = world.step(cid, "record_first_review", o)
        if case.data["spotCheck"]["selected"]:
            break
    else:
        pytest.fail("no tekun file selected at 30%")
    assert world.findings(YUNNAN, dt.date(2023, 10, 31)) == []
    found = world.findings(YUNNAN, dt.date(2023, 11, 1))
    assert [(f.kind, f.case_ids) for f in found] == [
        (SPOT_CHECK_MISSING, (cid,)),
        (SPOT_CHECK_FLOOR, ()),  # ⌈0.3 × n⌉ files of the month, none checked
    ]
    world.step(cid, "record_spot_check", world.approver(YUNNAN), dt.date(2023, 11, 2), upheld=True)
    assert world.findings(YUNNAN, dt.date(2023, 11, 3)) == []


# -- the function itself -------------------------------------------------------------------------


def test_queries_do_not_grow_with_the_number_of_cases(world):
    def statements(code: str) -> int:
        seen: list[str] = []

        def listen(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(world.db.engine, "before_cursor_execute", listen)
        try:
            world.findings(code, TODAY)
        finally:
            event.remove(world.db.engine, "before_cursor_execute", listen)
        return len(seen)

    h = world.household(YUNNAN, (1, "一", "head"))
    world.active(h, YUNNAN)
    few = statements(YUNNAN)
    for seq in range(2, 8):
        h = world.household(YUNNAN, (seq, f"人{seq}", "head"), (seq + 50, f"家{seq}", "spouse"))
        world.active(h, YUNNAN)
    assert statements(YUNNAN) == few


def test_unknown_jurisdiction_and_json(world):
    with pytest.raises(UnknownJurisdiction), world.db.sessions() as s:
        supervision_findings(s, world.registry, "999999", TODAY)
    f = Finding(DUPLICATE_DIBAO, "m", YUNNAN, (1, 2), "x", {"a": 1})
    assert finding_to_json(f) == {
        "kind": DUPLICATE_DIBAO,
        "message": "m",
        "jurisdiction": YUNNAN,
        "caseIds": [1, 2],
        "personIdNumber": "x",
        "detail": {"a": 1},
    }
    assert Finding("k", "m", YUNNAN, ()).detail == {}


def test_concurrent_confirmations_in_a_county_month_are_all_counted(world):
    """Township officers confirm at once in Yongfu (ratio 0.5): every decision is counted and
    the month keeps ⌈0.5 × n⌉ selected."""
    cases = [
        world.to_publicity(world.open(world.household(GUANGXI, (seq, f"覃{seq}", "head")),
                                      GUANGXI), GUANGXI).id
        for seq in range(1, 7)
    ]  # fmt: skip
    errors: list[BaseException] = []

    def confirm(cid: int) -> None:
        try:
            world.step(cid, "confirm_case", world.officer(GUANGXI), AFTER)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=confirm, args=(cid,)) for cid in cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with world.db.sessions() as s:
        (tally,) = store.spot_check_tallies(s, county=GUANGXI, month=AFTER.isoformat()[:7])
        picked = [store.get_case(s, cid).data["spotCheck"] for cid in cases]
    assert tally.decisions == 6 and tally.selected >= 3
    assert sum(1 for p in picked if p["selected"]) == tally.selected
    assert sorted(p["position"] for p in picked) == [1, 2, 3, 4, 5, 6]


def test_willing_not_placed_and_self_care_reassessment_overdue(world):
    """Yunnan 002 二(二) 「确保有集中供养意愿的特困人员100%入住供养服务机构」; 特困人员认定办法
    art. 23 「应当自接到报告之日起10个工作日内组织复核评估」."""
    h = world.household(YUNNAN, (1, "何一", "head"))
    cid = world.active(h, YUNNAN, "tekun")
    o, a = world.officer(YUNNAN), world.approver(YUNNAN)
    world.step(cid, "record_care_wish", o, dt.date(2023, 11, 1), willing=True)
    world.step(cid, "report_self_care_change", o, dt.date(2023, 11, 1), reported_by="本人")
    found = world.findings(YUNNAN, dt.date(2023, 11, 15))
    assert [f.kind for f in found] == [WILLING_NOT_PLACED]
    # 10 working days after Wed 2023-11-01: Wed 2023-11-15; overdue from the 16th
    found = world.findings(YUNNAN, dt.date(2023, 11, 16))
    assert [f.kind for f in found] == [WILLING_NOT_PLACED, SELF_CARE_REASSESSMENT_OVERDUE]
    assert found[1].detail["due"] == "2023-11-15" and found[1].detail["provisional"] is False
    world.step(cid, "record_self_care", a, dt.date(2023, 11, 17), failed_indicators=5)
    world.step(cid, "record_care_placement", o, dt.date(2023, 11, 20), mode="centralised",
               institution="五华区敬老院")  # fmt: skip
    assert world.findings(YUNNAN, dt.date(2023, 11, 21)) == []
