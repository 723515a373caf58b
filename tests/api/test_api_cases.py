"""Cases through GraphQL: one story per province from application to exit, following that
province's chain from its merged policy; recusal, wrong level, forbidden; optimistic
concurrency (VERSION_CONFLICT, and several officials at once on SQLite and PostgreSQL with a
consistent audit chain after); the query-cost limits of the new lists.

No source document sets a dibao standard in yuan: each story sets an EXAMPLE standard (800
yuan/month, urban) as a county approver's local setting (setLocalParameter), as in
tests/test_api_households.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from graphql import parse

import core.cases.store as store
from core.api.schema import MAX_COST, estimated_cost, schema
from core.policy.service import PolicyBase
from core.storage.tables import CaseRow
from tests.support.api import Api, codes, open_test_runtime
from tests.support.api_cases import (
    AFTER,
    CASE,
    DAY0,
    GET,
    HISTORY,
    UPDATE,
    URBAN,
    World,
    assert_chain,
    d,
    household,
    mutation,
    traced,
)
from tests.support.db_backends import SqliteTemplate
from tests.support.households import id_number

YUNNAN, SHANXI, GUANGXI, NINGXIA, GUIZHOU = "530102", "140302", "450326", "640121", "522701"
LIST = """query($j: String!, $p: String, $s: String, $first: Int, $after: String) {
    cases(jurisdiction: $j, program: $p, state: $s, first: $first, after: $after) {
        edges { cursor node { id state county { code } } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


@pytest.fixture
def world(sqlite_template: SqliteTemplate, tmp_path: Path, base: PolicyBase) -> Iterator[World]:
    rt = open_test_runtime(sqlite_template.clone(tmp_path / "cases.sqlite3"), tmp_path, base)
    a = Api(rt)
    yield World(a)
    a.close()
    rt.close()


@pytest.fixture
def any_world(migrated_db_url: str, tmp_path: Path, base: PolicyBase) -> Iterator[World]:
    rt = open_test_runtime(migrated_db_url, tmp_path, base)
    a = Api(rt)
    yield World(a)
    a.close()
    rt.close()


# -- one story per province ----------------------------------------------------------------------


def test_yunnan_township_confirms_and_phase_out_at_most_12_months(world: World) -> None:
    w = world
    w.standard(YUNNAN)
    clerk, officer = w.token("village_clerk", YUNNAN), w.token("township_officer", YUNNAN)
    approver = w.token("county_approver", YUNNAN)
    hid = w.household(YUNNAN, clerk)
    f = w.submit(clerk, hid)
    [e] = f.refused("recordInvestigation", officer, investigators=["甲"], on=d(DAY0, 1))
    assert (e["code"], e["field"]) == ("TOO_FEW_INVESTIGATORS", "investigators")
    assert f.refused_code("recordInvestigation", clerk, investigators=["甲", "乙"]) == "WRONG_LEVEL"
    [e] = f.refused("recordInvestigation", officer, investigators=["甲", "乙"], on="2099-01-01")
    assert (e["code"], e["field"]) == ("INVALID_INPUT", "on")
    [e] = f.refused("recordInvestigation", officer, investigators=["甲", "乙"], on=d(DAY0, -1))
    assert (e["code"], e["field"]) == ("INVALID_INPUT", "on")  # before the application
    f.to_publicity(officer)
    # an objection during publicity reopens the investigation
    case = f("recordObjection", clerk, reason="有车辆未申报", on=d(DAY0, 4))
    assert case["state"] == "accepted" and "publicity" not in case["data"]
    assert f.refused_code("confirmCase", officer, on=d(AFTER)) == "INVALID_TRANSITION"
    f.to_publicity(officer, DAY0 + dt.timedelta(days=4))
    assert f.refused_code("confirmCase", officer, on=d(DAY0, 9)) == "PUBLICITY_NOT_OVER"
    assert f.refused_code("confirmCase", approver, on=d(AFTER)) == "WRONG_LEVEL"  # township
    case = f("confirmCase", officer, on=d(AFTER))
    assert (case["state"], case["benefitFrom"], case["amount"]) == ("active", "2023-10-01", 600.0)
    assert case["spotCheckSelected"] is False  # Yunnan sets no county spot-check ratio
    # still below the standard: no phase-out (Yunnan 002 二(一): 「对因家庭成员就业创业导致收入超过
    # 低保标准的家庭」)
    [e] = f.refused("startPhaseOut", officer, months=12, on="2024-03-05")
    assert e["code"] == "PHASE_OUT_NOT_ALLOWED" and "still eligible" in e["message"]
    working = household(YUNNAN, wages=3000)
    head = working["members"][0]["idNumber"]
    _, errors = w.api.mutate(UPDATE, {"id": hid, "input": working}, clerk)
    assert errors == []
    [e] = f.refused("startPhaseOut", officer, months=12, on="2024-03-05")
    assert e["code"] == "PHASE_OUT_NOT_ALLOWED" and "就业创业" in e["message"]  # no cause given
    [e] = f.refused("startPhaseOut", officer, months=12, cause="employment",
                    causeMember=id_number(YUNNAN, 999), on="2024-03-05")  # fmt: skip
    assert (e["code"], e["field"]) == ("NOT_FOUND", "causeMember")
    [e] = f.refused(
        "startPhaseOut", officer, months=13, cause="employment", causeMember=head, on="2024-03-05"
    )
    assert (e["code"], e["field"]) == ("PHASE_OUT_TOO_LONG", "months")
    case = f("startPhaseOut", officer, months=12, cause="employment", causeMember=head,
             on="2024-03-05")  # fmt: skip
    assert case["data"]["phaseOut"]["rule"]["causeMember"] == head
    assert case["state"] == "phasing_out" and case["data"]["phaseOut"]["lastMonth"] == "2025-03"
    [e] = f.refused("exitCase", officer, reason="INCOME_OVER_STANDARD", on="2024-06-01")
    assert (e["code"], e["field"]) == ("PHASE_OUT_NOT_OVER", "reason")
    case = f("exitCase", officer, reason="INCOME_OVER_STANDARD", on="2025-03-20")
    assert (case["state"], case["exitReason"]) == ("exited", "INCOME_OVER_STANDARD")

    events = w.history(f.id, approver)
    assert_chain(events, case["version"])
    assert [e["action"] for e in events][:2] == ["open", "record_investigation"]
    confirm = next(e for e in events if e["action"] == "confirm_case")
    assert (confirm["who"].startswith("township_officer@"), confirm["role"]) == (
        True,
        "township_officer",
    )
    assert confirm["jurisdiction"] == YUNNAN and confirm["fromState"] == "in_publicity"
    level = traced(confirm, "dibao.approval.confirming_level")
    assert level["value"] == "township" and level["layer"]["origin"] == "yunnan"
    assert level["source"]["quote"]
    standard = traced(confirm, URBAN)
    assert standard["value"] == 800 and standard["layer"]["kind"] == "LOCAL"
    assert confirm["inputs"]["decision"] == {"status": "eligible", "amount": "600.00"}
    po = traced(events[-2], "dibao.phase_out.max_months")
    assert (po["value"], po["layer"]["origin"]) == (12, "yunnan")


def test_shanxi_county_confirms_only_after_verification(world: World) -> None:
    w = world
    w.standard(SHANXI)
    clerk, officer = w.token("village_clerk", SHANXI), w.token("township_officer", SHANXI)
    approver = w.token("county_approver", SHANXI)
    f = w.submit(clerk, w.household(SHANXI, clerk))
    f.to_publicity(officer)
    assert f.refused_code("confirmCase", officer, on=d(AFTER)) == "WRONG_LEVEL"  # county here
    assert f.refused_code("confirmCase", approver, on=d(AFTER)) == "VERIFICATION_REQUIRED"
    assert f.refused_code("recordVerification", officer, passed=True, on=d(AFTER)) == "WRONG_LEVEL"
    case = f("recordVerification", approver, passed=False, notes="存款超标", on=d(AFTER))
    assert case["state"] == "in_publicity"
    assert f.refused_code("confirmCase", approver, on=d(AFTER)) == "VERIFICATION_REQUIRED"
    f("recordVerification", approver, passed=True, on=d(AFTER))
    case = f("confirmCase", approver, on=d(AFTER))
    assert case["state"] == "active" and case["spotCheckSelected"] is None
    [e] = f.refused("exitCase", approver, reason="FOUND_INELIGIBLE", on="2024-05-01")
    assert (e["code"], e["field"]) == ("REASONS_REQUIRED", "reasons")
    case = f("exitCase", approver, reason="FOUND_INELIGIBLE", reasons=["隐瞒收入"], on="2024-05-01")
    assert (case["state"], case["exitReason"]) == ("exited", "FOUND_INELIGIBLE")
    events = w.history(f.id, approver)
    assert_chain(events, case["version"])
    confirm = next(e for e in events if e["action"] == "confirm_case")
    verify = traced(confirm, "dibao.verification.required_before_approval")
    assert (verify["value"], verify["layer"]["origin"]) == (True, "shanxi")
    assert events[-1]["reasons"][-1] == "隐瞒收入"

    # a rejection: at the confirming level, with reasons
    g = w.submit(clerk, w.household(SHANXI, clerk, 3, 4))
    g.to_publicity(officer)
    assert g.refused_code("rejectCase", officer, reasons=["收入超标"], on=d(AFTER)) == "WRONG_LEVEL"
    [e] = g.refused("rejectCase", approver, reasons=[" "], on=d(AFTER))
    assert (e["code"], e["field"]) == ("REASONS_REQUIRED", "reasons")
    assert g("rejectCase", approver, reasons=["收入超标"], on=d(AFTER))["state"] == "rejected"
    assert g.refused_code("confirmCase", approver, on=d(AFTER)) == "INVALID_TRANSITION"


def test_guangxi_county_checks_at_least_half_of_each_months_confirmations(world: World) -> None:
    # Yongfu 003 二(三): 「对乡镇每月新审核认定的低保对象进行50%以上的线上核查」: at least
    # ⌈0.5 × n⌉ of the n township confirmations of the month, at every moment.
    w = world
    w.standard(GUANGXI)
    clerk, officer = w.token("village_clerk", GUANGXI), w.token("township_officer", GUANGXI)
    approver = w.token("county_approver", GUANGXI)
    flows = []
    for n in range(6):
        f = w.submit(clerk, w.household(GUANGXI, clerk, 2 * n + 1, 2 * n + 2))
        f.to_publicity(officer)
        case = f("confirmCase", officer, on=d(AFTER))  # the township confirms in Guangxi
        assert case["state"] == "active" and case["data"]["spotCheck"]["ratio"] == 0.5
        flows.append(f)
        selected_so_far = sum(1 for g in flows if g.case["spotCheckSelected"])
        assert selected_so_far >= -(-len(flows) // 2)
        assert case["data"]["spotCheck"]["required"] == -(-len(flows) // 2)
    selected = [f for f in flows if f.case["spotCheckSelected"]]
    assert selected[0] is flows[0]  # the first of the month keeps the minimum
    f = selected[0]
    assert f.refused_code("recordSpotCheck", officer, upheld=True, on=d(AFTER)) == "WRONG_LEVEL"
    [e] = f.refused("recordSpotCheck", approver, upheld=False, on=d(AFTER))
    assert (e["code"], e["field"]) == ("REASONS_REQUIRED", "reasons")
    case = f("recordSpotCheck", approver, upheld=True, on=d(AFTER, 5))
    assert case["data"]["spotCheck"]["done"] is True and case["state"] == "active"
    assert f.refused_code("recordSpotCheck", approver, upheld=True) == "INVALID_TRANSITION"
    events = w.history(f.id, approver)
    confirm = next(e for e in events if e["action"] == "confirm_case")
    ratio = traced(confirm, "dibao.approval.county_spot_check_ratio")
    assert (ratio["value"], ratio["layer"]["origin"]) == (0.5, "guangxi")

    # deaths: the head first (adjusted, head change), then the last member (exit)
    head, spouse = f.case["data"]["membersCovered"]
    case = f("recordDeath", clerk, idNumber=head, on="2024-03-05")
    assert case["state"] == "active" and case["data"]["headChangeRequired"] is True
    assert case["data"]["adjustFrom"] == "2024-04-01"
    case = f("recordDeath", clerk, idNumber=spouse, on="2024-04-05")
    assert (case["state"], case["exitReason"]) == ("exited", "DEATH")
    assert_chain(w.history(f.id, approver), case["version"])


def test_ningxia_phase_out_up_to_18_months_then_exit_when_income_is_stable(world: World) -> None:
    w = world
    w.standard(NINGXIA)
    clerk, officer = w.token("village_clerk", NINGXIA), w.token("township_officer", NINGXIA)
    approver = w.token("county_approver", NINGXIA)
    hid = w.household(NINGXIA, clerk)
    f = w.submit(clerk, hid)
    f.to_publicity(officer)
    assert f.refused_code("confirmCase", officer, on=d(AFTER)) == "WRONG_LEVEL"
    f("confirmCase", approver, on=d(AFTER))
    # income rises above the standard; the review phases out, within Ningxia's 18 months
    _, errors = w.api.mutate(UPDATE, {"id": hid, "input": household(NINGXIA, wages=3000)}, clerk)
    assert errors == []
    # Yongning 004 二(一)2: 「低保对象家庭人均收入超过当地低保标准的,经主动报告后,可给予最多18个月
    # 的渐退期」: the official chooses; never an exit by default
    [e] = f.refused("recordReview", approver, on="2024-03-05")
    assert (e["code"], e["field"]) == ("CHOICE_REQUIRED", "outcome")
    head = household(NINGXIA, wages=3000)["members"][0]["idNumber"]
    cause = {"cause": "employment", "causeMember": head}
    [e] = f.refused("recordReview", approver, phaseOutMonths=18, on="2024-03-05", **cause)
    assert e["code"] == "PHASE_OUT_NOT_ALLOWED" and "经主动报告后" in e["message"]
    [e] = f.refused("recordReview", approver, phaseOutMonths=19, selfReported=True,
                    on="2024-03-05", **cause)  # fmt: skip
    assert (e["code"], e["field"]) == ("PHASE_OUT_TOO_LONG", "phaseOutMonths")
    case = f("recordReview", approver, outcome="phase_out", phaseOutMonths=18,
             selfReported=True, on="2024-03-05", **cause)  # fmt: skip
    assert case["state"] == "phasing_out"
    phase = dict(case["data"]["phaseOut"])
    assert phase.pop("rule")["selfReported"] is True
    assert phase == {
        "decidedOn": "2024-03-05",
        "months": 18,
        "from": "2024-04-01",
        "lastMonth": "2025-09",
        "noticeRequired": True,  # Yongning: 以正式文书的形式告知
    }
    assert f.refused_code("exitCase", approver, reason="INCOME_OVER_STANDARD", on="2024-06-01") == (
        "PHASE_OUT_NOT_OVER"
    )
    case = f("recordIncomeStable", approver, on="2024-06-10")
    assert (case["state"], case["exitReason"]) == ("exited", "INCOME_OVER_STANDARD")
    assert case["data"]["exit"]["lastMonth"] == "2024-06"
    events = w.history(f.id, approver)
    assert_chain(events, case["version"])
    review = events[-2]
    assert review["inputs"]["outcome"] == "phase_out" and review["inputs"]["months"] == 18
    assert traced(review, "dibao.phase_out.max_months")["layer"]["origin"] == "ningxia"
    stable = traced(events[-1], "dibao.phase_out.exit_next_month_when_stable")
    assert stable["value"] is True


def test_guizhou_annual_review_lowers_then_exits(world: World) -> None:
    w = world
    w.standard(GUIZHOU)
    clerk, officer = w.token("village_clerk", GUIZHOU), w.token("township_officer", GUIZHOU)
    approver = w.token("county_approver", GUIZHOU)
    hid = w.household(GUIZHOU, clerk)
    f = w.submit(clerk, hid)
    f.to_publicity(officer)
    case = f("confirmCase", approver, on=d(AFTER))
    assert case["amount"] == 600.0
    case = f("recordReview", approver, on="2024-09-10")  # a year on, nothing changed
    assert case["state"] == "active" and case["amount"] == 600.0
    w.api.mutate(UPDATE, {"id": hid, "input": household(GUIZHOU, wages=1200)}, clerk)
    assert f.refused_code("recordReview", officer, on="2025-09-10") == "WRONG_LEVEL"
    case = f("recordReview", approver, on="2025-09-10")
    assert (case["state"], case["amount"]) == ("active", 400.0)
    assert case["data"]["amountFrom"] == "2025-10-01"
    w.api.mutate(UPDATE, {"id": hid, "input": household(GUIZHOU, wages=2000)}, clerk)
    # Over the standard where a phase-out is allowed (审核确认办法 art. 33; 民发〔2022〕83号
    # 一(三)): never an exit by default; the official chooses, and an exit says why.
    [e] = f.refused("recordReview", approver, on="2026-09-10")
    assert (e["code"], e["field"]) == ("CHOICE_REQUIRED", "outcome")
    [e] = f.refused("recordReview", approver, outcome="exit", on="2026-09-10")
    assert (e["code"], e["field"]) == ("REASONS_REQUIRED", "reasons")
    case = f("recordReview", approver, outcome="exit", reasons=["本人申请退出"], on="2026-09-10")
    assert (case["state"], case["exitReason"]) == ("exited", "INCOME_OVER_STANDARD")
    assert case["data"]["exit"]["rule"]["rule"] == "dibao.phase_out.allowed"
    events = w.history(f.id, approver)
    assert_chain(events, case["version"])
    outcomes = [e["inputs"]["outcome"] for e in events if e["action"] == "record_review"]
    assert outcomes == ["continue", "lower", "exit"]
    assert traced(events[-1], URBAN)["layer"]["code"] == GUIZHOU


# -- who may act ---------------------------------------------------------------------------------


def test_recusal_and_the_county_visit_of_a_near_relative_case(world: World) -> None:
    w = world
    w.standard(YUNNAN)
    clerk, officer = w.token("village_clerk", YUNNAN), w.token("township_officer", YUNNAN)
    approver = w.token("county_approver", YUNNAN)
    relative_id, relative = w.user("township_officer", YUNNAN)
    hid = w.household(YUNNAN, clerk)
    near = [{"userId": str(relative_id), "relation": "parent"}]
    case, errors = w.call(
        "submitApplication", relative, householdId=hid, program="dibao", nearRelatives=near
    )
    assert case is None and codes(errors) == ["RECUSAL_REQUIRED"]
    f = w.submit(clerk, hid, nearRelatives=near)
    assert f.case["data"]["filed"] is True  # registered separately (备案)
    assert (
        f.refused_code("recordInvestigation", relative, investigators=["甲", "乙"])
        == "RECUSAL_REQUIRED"
    )
    f.to_publicity(officer)
    assert f.refused_code("confirmCase", relative, on=d(AFTER)) == "RECUSAL_REQUIRED"
    assert f.refused_code("confirmCase", officer, on=d(AFTER)) == "COUNTY_VISIT_REQUIRED"

    g = w.submit(clerk, w.household(YUNNAN, clerk, 3, 4), nearRelatives=near)
    g("recordInvestigation", officer, investigators=["甲", "乙"], on=d(DAY0, 1))
    case = g("recordInvestigation", approver, investigators=["丙", "丁"], on=d(DAY0, 1))
    assert case["data"]["countyHomeVisit"] is True and case["state"] == "investigated"
    g("recordFirstReview", officer, on=d(DAY0, 2))
    g("startPublicity", officer, on=d(DAY0, 3))
    assert g("confirmCase", officer, on=d(AFTER))["state"] == "active"


def test_forbidden_unauthenticated_not_found_and_reads(world: World) -> None:
    w = world
    clerk, officer = w.token("village_clerk", YUNNAN), w.token("township_officer", YUNNAN)
    auditor = w.token("auditor", "530000")
    elsewhere = w.token("township_officer", SHANXI)
    f = w.submit(clerk, w.household(YUNNAN, clerk))
    for token in (auditor, elsewhere, w.token("province_admin", "530000")):
        code = f.refused_code("recordInvestigation", token, investigators=["甲", "乙"])
        assert code == "FORBIDDEN"
    assert (
        f.refused_code("recordInvestigation", None, investigators=["甲", "乙"]) == "UNAUTHENTICATED"
    )
    [e] = f.refused("recordFirstReview", officer, expectedVersion=7)
    assert (e["code"], e["field"]) == ("VERSION_CONFLICT", "expectedVersion")
    for bad in ("999", "abc"):
        case, errors = w.call("startPublicity", officer, id=bad, expectedVersion=1)
        assert case is None and [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", "id")]
    case, errors = w.call("submitApplication", clerk, householdId="999", program="dibao")
    assert [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", "householdId")]
    hid = f.case["householdId"]
    case, errors = w.call("submitApplication", clerk, householdId=hid, program="welfare")
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_INPUT", "program")]
    case, errors = w.call("submitApplication", elsewhere, householdId=hid, program="dibao")
    assert codes(errors) == ["FORBIDDEN"]

    # reads: a token and the jurisdiction
    got = w.api.ok(GET, {"id": f.id}, auditor)["case"]
    assert got["household"]["id"] == hid and got["county"] == {"code": YUNNAN}
    _, errors = w.api.gql(GET, {"id": f.id}, elsewhere)
    assert codes(errors) == ["FORBIDDEN"]
    _, errors = w.api.gql(GET, {"id": f.id})
    assert codes(errors) == ["UNAUTHENTICATED"]
    _, errors = w.api.gql(HISTORY, {"id": "12345"}, auditor)
    assert codes(errors) == ["NOT_FOUND"]
    [event] = w.history(f.id, auditor)
    assert (event["action"], event["toState"], event["role"]) == (
        "open",
        "accepted",
        "village_clerk",
    )

    # the list: scope, filters and pages
    for n in range(2, 5):
        w.submit(clerk, w.household(YUNNAN, clerk, 2 * n + 1, 2 * n + 2))
    f("recordInvestigation", officer, investigators=["甲", "乙"], on=d(DAY0, 1))
    page = w.api.ok(LIST, {"j": "530000", "first": 3}, auditor)["cases"]
    assert len(page["edges"]) == 3 and page["pageInfo"]["hasNextPage"] is True
    rest = w.api.ok(LIST, {"j": "530100", "after": page["pageInfo"]["endCursor"]}, auditor)
    assert [e["node"]["id"] for e in rest["cases"]["edges"]] == ["4"]
    assert rest["cases"]["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": rest["cases"]["edges"][0]["cursor"],
        "endCursor": rest["cases"]["edges"][0]["cursor"],
    }
    investigated = w.api.ok(LIST, {"j": YUNNAN, "s": "investigated", "p": "dibao"}, officer)
    assert [e["node"]["id"] for e in investigated["cases"]["edges"]] == [f.id]
    assert w.api.ok(LIST, {"j": YUNNAN, "p": "tekun"}, officer)["cases"]["edges"] == []
    for variables in ({"j": SHANXI}, {"j": YUNNAN, "s": "asleep"}, {"j": YUNNAN, "first": 101}):
        _, errors = w.api.gql(LIST, variables, officer)
        assert codes(errors) == (["FORBIDDEN"] if variables["j"] == SHANXI else ["INVALID_INPUT"])
    # nothing about cases is ever cached
    assert len(w.api.app.state.response_cache) == 0 and len(w.api.app.state.result_cache) == 0


# -- concurrency ---------------------------------------------------------------------------------


def test_two_officials_with_the_same_version_one_gets_a_conflict(world: World) -> None:
    w = world
    clerk = w.token("village_clerk", YUNNAN)
    a, b = w.token("township_officer", YUNNAN), w.token("township_officer", YUNNAN)
    f = w.submit(clerk, w.household(YUNNAN, clerk))
    case, errors = w.call(
        "recordInvestigation", a, id=f.id, expectedVersion=1, investigators=["甲", "乙"]
    )
    assert errors == [] and case["version"] == 2
    case, errors = w.call(
        "recordInvestigation", b, id=f.id, expectedVersion=1, investigators=["丙", "丁"]
    )
    assert case is None and [(e["code"], e["field"]) for e in errors] == [
        ("VERSION_CONFLICT", "expectedVersion")
    ]
    events = w.history(f.id, a)
    assert len(events) == 2 and events[1]["inputs"]["investigators"] == ["乙", "甲"]


def test_several_officials_at_once_exactly_one_wins_per_version(any_world: World) -> None:
    """Four officers act on each of three cases at once, over several rounds (all requests of a
    round in flight together through the ASGI app): per case and round exactly one wins, the
    others get VERSION_CONFLICT, and each case's history is a complete, consistent chain."""
    w = any_world
    clerk = w.token("village_clerk", YUNNAN)
    officers = [w.token("township_officer", YUNNAN) for _ in range(4)]
    flows = [w.submit(clerk, w.household(YUNNAN, clerk, 2 * n + 1, 2 * n + 2)) for n in range(3)]
    query = mutation(
        "recordInvestigation", {"id": 0, "expectedVersion": 0, "investigators": 0, "on": 0}
    )
    rounds = 4

    async def post(token: str, variables: dict[str, Any]) -> dict[str, Any]:
        r = await w.api._client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert "errors" not in body, body
        return body["data"]["recordInvestigation"]

    async def one_round(version: int) -> list[tuple[int, int, dict[str, Any]]]:
        jobs = [
            (c, o, {"id": f.id, "expectedVersion": version, "on": d(DAY0, 1),
                    "investigators": [f"officer{o}", f"round{version}"]})
            for c, f in enumerate(flows)
            for o in range(len(officers))
        ]  # fmt: skip
        results = await asyncio.gather(*(post(officers[o], v) for _, o, v in jobs))
        return [(c, o, r) for (c, o, _), r in zip(jobs, results, strict=True)]

    for version in range(1, rounds + 1):
        results = w.api._runner.run(one_round(version))
        for c, f in enumerate(flows):
            mine = [(o, r) for cc, o, r in results if cc == c]
            wins = [(o, r) for o, r in mine if r["userErrors"] == []]
            assert len(wins) == 1, mine
            [(winner, won)] = wins
            assert won["case"]["version"] == version + 1
            conflicts = [r["userErrors"] for o, r in mine if o != winner]
            assert all(codes(e) == ["VERSION_CONFLICT"] for e in conflicts), conflicts
            f.case = won["case"]
            f.winners = [*getattr(f, "winners", []), winner]  # type: ignore[attr-defined]

    for f in flows:
        events = w.history(f.id, clerk)
        assert_chain(events, rounds + 1)
        assert [e["inputs"]["investigators"] for e in events[1:]] == [
            sorted([f"officer{o}", f"round{v}"])
            for v, o in enumerate(f.winners, start=1)  # type: ignore[attr-defined]
        ]
    rt = w.api.runtime
    assert rt is not None
    with rt.sessions() as s:
        assert store.verify_audit_chain(s) == []
        for f in flows:
            assert store.get_case(s, int(f.id)).version == rounds + 1


# -- limits and supervision ----------------------------------------------------------------------


def test_the_case_lists_are_within_the_cost_limit() -> None:
    big = f"""query {{ cases(jurisdiction: "530000", first: 100) {{ edges {{ cursor node {{
        {CASE} household {{ id members {{ idNumber name }} }} }} }} pageInfo {{ endCursor }} }}
        caseHistory(id: "1") {{ seq who inputs reasons policy {{ path value layer {{ code }}
            source {{ title quote }} }} hash prevHash }}
        supervisionFindings(jurisdiction: "530000") {{ kind message caseIds personIdNumber }} }}"""
    [cost] = estimated_cost(schema._schema, parse(big)).values()
    assert 10_000 < cost < MAX_COST


def test_supervision_findings_need_a_token_and_report_double_enrolment(world: World) -> None:
    w = world
    w.standard(YUNNAN)
    clerk, officer = w.token("village_clerk", YUNNAN), w.token("township_officer", YUNNAN)
    auditor = w.token("auditor", "530000")
    hid = w.household(YUNNAN, clerk)
    f = w.submit(clerk, hid)
    f.to_publicity(officer)
    f("confirmCase", officer, on=d(AFTER))
    _, errors = w.call("submitApplication", clerk, householdId=hid, program="dibao")
    assert codes(errors) == ["DUPLICATE_CASE"]  # refused now; enrolled twice in older data:
    rt = w.api.runtime
    assert rt is not None
    with rt.sessions() as s, s.begin():
        row = s.get(CaseRow, int(f.id))
        columns = {c.key: getattr(row, c.key) for c in CaseRow.__table__.columns if c.key != "id"}
        twin = CaseRow(**columns)
        s.add(twin)
        s.flush()
        ids = [f.id, str(twin.id)]
    query = """query($j: String!, $d: Date) { supervisionFindings(jurisdiction: $j, asOf: $d) {
        kind message jurisdiction caseIds personIdNumber detail } }"""
    _, errors = w.api.gql(query, {"j": YUNNAN})
    assert codes(errors) == ["UNAUTHENTICATED"]
    findings = w.api.ok(query, {"j": "530000", "d": "2024-01-01"}, auditor)["supervisionFindings"]
    assert any(set(ids) <= set(f["caseIds"]) for f in findings), findings
    _, errors = w.api.gql(query, {"j": SHANXI}, auditor)
    assert codes(errors) == ["FORBIDDEN"]


# -- review findings: deaths, amounts, evaluation, who is told what, duplicates -------------------


def test_a_death_is_of_a_member_of_the_stored_household(world: World) -> None:
    w = world
    w.standard(YUNNAN)
    clerk, officer = w.token("village_clerk", YUNNAN), w.token("township_officer", YUNNAN)
    hid = w.household(YUNNAN, clerk)
    f = w.submit(clerk, hid)
    f.to_publicity(officer)
    f("confirmCase", officer, on=d(AFTER))
    head, spouse = f.case["data"]["membersCovered"]
    for stranger in (id_number(YUNNAN, 40), "110101199001011234", "garbage"):
        [e] = f.refused("recordDeath", clerk, idNumber=stranger, on="2024-03-05")
        assert (e["code"], e["field"]) == ("NOT_FOUND", "idNumber")
    case = f("recordDeath", clerk, idNumber=f" {spouse.lower()}", on="2024-03-05")
    assert case["state"] == "active" and "headChangeRequired" not in case["data"]
    assert case["data"]["deaths"] == [
        {
            "on": "2024-03-05",
            "recordedOn": "2024-03-05",
            "idNumber": spouse,
            "head": False,
            "covered": True,
        }
    ]
    assert f.refused_code("recordDeath", clerk, idNumber=spouse) == "INVALID_TRANSITION"
    case = f("recordDeath", clerk, idNumber=head, on="2024-04-05")  # the head, per the household
    assert (case["state"], case["exitReason"]) == ("exited", "DEATH")
    assert case["data"]["deaths"][-1]["head"] is True


def test_confirmation_always_evaluates_and_amounts_are_bounded(world: World) -> None:
    w = world
    w.standard(YUNNAN)
    clerk, officer = w.token("village_clerk", YUNNAN), w.token("township_officer", YUNNAN)
    hid = w.household(YUNNAN, clerk)
    for amount in (1e27, 1e308, 1e-9, -5, 0, 10_000_000.01):
        case, errors = w.call(
            "submitApplication", clerk, householdId=hid, program="temporary", amount=amount
        )
        assert [(e["code"], e["field"]) for e in errors] == [("INVALID_INPUT", "amount")], amount
    f = w.submit(clerk, hid)
    f.to_publicity(officer)
    [e] = f.refused("confirmCase", officer, evaluate=False, on=d(AFTER))
    assert (e["code"], e["field"]) == ("INVALID_INPUT", "evaluate")
    for amount in (1e30, 1e308, -5, 1e-9):
        [e] = f.refused("confirmCase", officer, monthlyAmount=amount, reasons=["x"], on=d(AFTER))
        assert (e["code"], e["field"]) == ("INVALID_INPUT", "monthlyAmount"), amount
    [e] = f.refused("confirmCase", officer, monthlyAmount=600.01, reasons=["x"], on=d(AFTER))
    assert (e["code"], e["field"]) == ("AMOUNT_TOO_HIGH", "monthlyAmount")  # the engine: 600
    [e] = f.refused("confirmCase", officer, monthlyAmount=500, on=d(AFTER))
    assert (e["code"], e["field"]) == ("REASONS_REQUIRED", "reasons")
    case = f("confirmCase", officer, monthlyAmount=500, reasons=["部分赡养"], on=d(AFTER))
    assert case["amount"] == 500.0 and len(case["data"]["membersCovered"]) == 2

    rich = w.submit(clerk, w.household(YUNNAN, clerk, 5, 6, wages=100000))
    rich.to_publicity(officer)
    for args in ({}, {"monthlyAmount": 100, "reasons": ["x"]}, {"evaluate": True}):
        assert rich.refused_code("confirmCase", officer, on=d(AFTER), **args) == "NOT_ELIGIBLE"


def test_an_outsider_learns_nothing_about_a_case(world: World) -> None:
    w = world
    clerk = w.token("village_clerk", YUNNAN)
    outsiders = [w.token("township_officer", SHANXI), w.token("auditor", YUNNAN)]
    f = w.submit(clerk, w.household(YUNNAN, clerk))
    for token in outsiders:
        for args in (
            {"on": "2020-01-01"},  # before the case's last step
            {"expectedVersion": 7},  # not the case's version
            {},
        ):
            [e] = f.refused("recordFirstReview", token, **args)
            assert e["code"] == "FORBIDDEN", (args, e)
        assert f.refused_code("confirmCase", token, on=d(AFTER)) == "FORBIDDEN"


def test_a_second_open_application_is_a_duplicate(world: World) -> None:
    w = world
    clerk, officer = w.token("village_clerk", YUNNAN), w.token("township_officer", YUNNAN)
    hid = w.household(YUNNAN, clerk)
    f = w.submit(clerk, hid)
    case, errors = w.call("submitApplication", officer, householdId=hid, program="dibao")
    assert case is None and [(e["code"], e["field"]) for e in errors] == [
        ("DUPLICATE_CASE", "program")
    ]
    w.submit(clerk, hid, program="tekun")  # another program
    f("recordInvestigation", officer, investigators=["甲", "乙"], on=d(DAY0, 1))
    f(
        "rejectCase", officer, reasons=["撤回"], on=d(DAY0, 2)
    )  # the township decides here  # closed: may apply again
    w.submit(clerk, hid)


def test_a_death_reported_late_counts_from_the_day_of_death(world: World) -> None:
    w = world
    w.standard(YUNNAN)
    clerk, officer = w.token("village_clerk", YUNNAN), w.token("township_officer", YUNNAN)
    hid = w.household(YUNNAN, clerk)
    f = w.submit(clerk, hid)
    f.to_publicity(officer)
    f("confirmCase", officer, on=d(AFTER))
    _head, spouse = f.case["data"]["membersCovered"]
    [e] = f.refused(
        "recordDeath", clerk, idNumber=spouse, dateOfDeath="2024-03-06", on="2024-03-05"
    )
    assert (e["code"], e["field"]) == ("INVALID_INPUT", "dateOfDeath")
    case = f("recordDeath", clerk, idNumber=spouse, dateOfDeath="2024-01-10", on="2024-03-05")
    assert case["state"] == "active"
    assert case["data"]["deaths"][-1]["on"] == "2024-01-10"
    assert case["data"]["deaths"][-1]["recordedOn"] == "2024-03-05"
    # the amount changes from the month after the death; February and March are to be checked
    assert case["data"]["adjustFrom"] == "2024-02-01"
    assert case["data"]["overpaidFrom"] == "2024-02-01"
    # the head alone earns above the standard: paid unchanged until the re-check, which counts
    # from the death (dibao.death.recheck_within_months: 3)
    assert case["data"]["recheckBy"] == "2024-04-10"


def test_a_near_relative_outside_the_catalog_vocabulary_is_refused(world: World) -> None:
    w = world
    clerk = w.token("village_clerk", SHANXI)
    hid = w.household(SHANXI, clerk)
    for word in ("Parent", "父母", "friend"):
        case, errors = w.call(
            "submitApplication",
            clerk,
            householdId=hid,
            program="dibao",
            on=d(DAY0),
            nearRelatives=[{"userId": 1, "relation": word}],
        )
        assert case is None
        assert [(e["code"], e["field"]) for e in errors] == [("INVALID_INPUT", "nearRelatives")]


def test_text_with_a_nul_character_is_refused_before_anything_runs(world: World) -> None:
    """PostgreSQL keeps no U+0000 in text or JSONB: refused up front, on both backends."""
    w = world
    clerk, officer = w.token("village_clerk", YUNNAN), w.token("township_officer", YUNNAN)
    hid = w.household(YUNNAN, clerk)
    f = w.submit(clerk, hid)
    mutation = """mutation($id: ID!, $v: Int!, $names: [String!]!) {
        recordInvestigation(id: $id, expectedVersion: $v, investigators: $names) {
        case { version } userErrors { code } } }"""
    variables = {"id": f.id, "v": 1, "names": ["甲\u0000", "乙"]}
    response = w.api._runner.run(
        w.api._client.post(
            "/graphql",
            json={"query": mutation, "variables": variables},
            headers={"Authorization": f"Bearer {officer}"},
        )
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert len(w.history(f.id, officer)) == 1  # nothing written


def test_a_token_revoked_or_expired_between_two_steps_is_refused_at_once(
    any_world: World,
) -> None:
    """A step checks its token in the same worker thread and session as the step itself
    (core.api.context.Context.as_user): nothing of the token is kept between requests, so the
    next step after a revocation, an expiry or a deactivation is UNAUTHENTICATED and writes
    nothing; and the token is checked before the inputs (an outsider learns nothing of them)."""
    from core.access.tokens import deactivate_user, issue_token, revoke_tokens
    from core.storage.tables import TokenRow, UserRow, utcnow

    w = any_world
    rt = w.api.runtime
    assert rt is not None
    w.standard(SHANXI)
    clerk = w.token("village_clerk", SHANXI)
    f = w.submit(clerk, w.household(SHANXI, clerk))
    officer_id, officer = w.user("township_officer", SHANXI)
    f("recordInvestigation", officer, investigators=["甲", "乙"], on=d(DAY0, 1))
    with rt.sessions() as s, s.begin():
        name = s.get(UserRow, officer_id).name
    with rt.sessions() as s:
        revoke_tokens(s, name)
    assert f.refused_code("recordFirstReview", officer, on=d(DAY0, 2)) == "UNAUTHENTICATED"
    # a bad input from a caller without a valid token: still UNAUTHENTICATED, not the input
    bell = "符合\a条件"  # a control character: refused, but only to whoever may act
    assert f.refused_code("recordFirstReview", officer, opinion=bell) == "UNAUTHENTICATED"

    with rt.sessions() as s:
        script = issue_token(s, name, expires_in=dt.timedelta(hours=1))
    assert f.refused_code("recordFirstReview", script, opinion=bell) == "CONTROL_CHARACTER"
    f("recordFirstReview", script, on=d(DAY0, 2))
    with rt.sessions() as s, s.begin():  # the hour has passed
        s.query(TokenRow).filter(TokenRow.user_id == officer_id).update(
            {"expires_at": utcnow() - dt.timedelta(seconds=1)}
        )
    assert f.refused_code("startPublicity", script, on=d(DAY0, 3)) == "UNAUTHENTICATED"

    with rt.sessions() as s:
        fresh = issue_token(s, name)
    f("startPublicity", fresh, on=d(DAY0, 3))
    with rt.sessions() as s:
        deactivate_user(s, name)
    approver = w.token("county_approver", SHANXI)
    assert f.refused_code("recordVerification", fresh, passed=True, on=d(AFTER)) == (
        "UNAUTHENTICATED"
    )
    f("recordVerification", approver, passed=True, on=d(AFTER))
