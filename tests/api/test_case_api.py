"""Cases in payment through GraphQL, on SQLite and PostgreSQL: the amount history, a death
re-evaluated, the head and account change (refused, then accepted once the household is
updated), periodic verification, home visits and tekun care; refusals write nothing.

No source document sets a standard in yuan: EXAMPLE standards (dibao 800, tekun 1040
yuan/month) are set as a county approver's local settings, as in tests/test_api_cases.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.policy.service import PolicyBase
from tests.support.api import Api, open_test_runtime
from tests.support.api_cases import (
    AFTER,
    ARG_TYPES,
    DAY0,
    ERRORS,
    GET,
    OVERRIDES,
    UPDATE,
    World,
    assert_chain,
    d,
    traced,
)
from tests.support.api_households import SET, set_input
from tests.support.db_backends import SqliteTemplate
from tests.support.households import household_doc, id_number

YUNNAN, NINGXIA = "530102", "640121"
CASE = """id version program state amount amounts { from amount } data"""
TYPES = {
    **ARG_TYPES,
    "mode": "String!",
    "institution": "String",
    "note": "String",
    "failedIndicators": "Int!",
    "willing": "Boolean!",
    "reportedBy": "String!",
}
TYPES_BY_MUTATION = {**OVERRIDES, ("recordCareVisit", "kind"): "String!"}
HOUSEHOLD = """query($id: ID!) { household(id: $id) { id version
    paymentAccount { holderIdNumber holderName bank accountNumber } } }"""
ACCOUNT = "6228480012345678"


def mutation(name: str, args: dict[str, Any]) -> str:
    types = {a: TYPES_BY_MUTATION.get((name, a), TYPES[a]) for a in args}
    params = ", ".join(f"${a}: {t}" for a, t in types.items())
    passed = ", ".join(f"{a}: ${a}" for a in types)
    return f"mutation({params}) {{ {name}({passed}) {{ case {{ {CASE} }} {ERRORS} }} }}"


class Flow:
    """One case driven through the API with the fields this module reads."""

    def __init__(self, world: World, case: dict[str, Any], admin: str) -> None:
        self.world, self.case, self.admin = world, case, admin

    @property
    def id(self) -> str:
        return str(self.case["id"])

    def call(self, name: str, token: str, **args: Any) -> tuple[Any, list[dict[str, Any]]]:
        args = {"id": self.id, "expectedVersion": self.case["version"], **args}
        payload, errors = self.world.api.mutate(mutation(name, args), args, token)
        return payload["case"], errors

    def __call__(self, name: str, token: str, **args: Any) -> dict[str, Any]:
        case, errors = self.call(name, token, **args)
        assert errors == [] and case is not None, (name, errors)
        assert case["version"] == self.case["version"] + 1
        self.case = case
        return case

    def refused(self, name: str, token: str, **args: Any) -> tuple[str, str | None]:
        """(code, field) of a step that must fail; the case and its history are unchanged."""
        case, errors = self.call(name, token, **args)
        assert case is None and len(errors) == 1, (name, errors)
        now = self.world.api.ok(GET, {"id": self.id}, self.admin)["case"]
        assert (now["version"], now["data"]) == (self.case["version"], self.case["data"])
        assert len(self.world.history(self.id, self.admin)) == self.case["version"]
        return errors[0]["code"], errors[0]["field"]


def members(county: str, *people: tuple[int, str, str], **extra: Any) -> list[dict[str, Any]]:
    out = [{"idNumber": id_number(county, n), "name": name, "relation": rel}
           for n, name, rel in people]  # fmt: skip
    for m in out:
        m.update(extra.get(m["name"], {}))
    return out


def family_doc(county: str, *, head: str = "甲", holder: str | None = "甲", dead=None) -> dict:
    """甲 (earning 1500), 乙 and 丙 of ``county``; ``head`` is the head, ``holder`` holds the
    payment account, ``dead`` maps names to dates of death."""
    names = {"甲": 1, "乙": 2, "丙": 3}
    people = [(n, name, "head" if name == head else "other") for name, n in names.items()]
    extra = {name: {"dateOfDeath": day} for name, day in (dead or {}).items()}
    doc = household_doc(
        county,
        income=[{"kind": "wages", "monthlyAmount": 1500, "member": id_number(county, 1)}],
        propertyWithinLocalRules=True,
    )
    doc["members"] = members(county, *people, **extra)
    if holder is not None:
        doc["paymentAccount"] = {
            "holderIdNumber": id_number(county, names[holder]),
            "holderName": holder,
            "bank": "农村信用合作社(示例)",
            "accountNumber": ACCOUNT,
        }
    return doc


@pytest.fixture
def any_world(migrated_db_url: str, tmp_path: Path, base: PolicyBase) -> Iterator[World]:
    rt = open_test_runtime(migrated_db_url, tmp_path, base)
    a = Api(rt)
    yield World(a)
    a.close()
    rt.close()


@pytest.fixture
def world(sqlite_template: SqliteTemplate, tmp_path: Path, base: PolicyBase) -> Iterator[World]:
    rt = open_test_runtime(sqlite_template.clone(tmp_path / "cases.sqlite3"), tmp_path, base)
    a = Api(rt)
    yield World(a)
    a.close()
    rt.close()


def create(w: World, token: str, doc: dict[str, Any]) -> str:
    q = f"""mutation($input: HouseholdInput!) {{
        createHousehold(input: $input) {{ household {{ id }} {ERRORS} }} }}"""
    payload, errors = w.api.mutate(q, {"input": doc}, token)
    assert errors == [], errors
    return str(payload["household"]["id"])


def submit(w: World, token: str, hid: str, admin: str, program: str = "dibao") -> Flow:
    payload, errors = w.api.mutate(
        mutation("submitApplication", {"householdId": 0, "program": 0, "on": 0}),
        {"householdId": hid, "program": program, "on": d(DAY0)},
        token,
    )
    assert errors == [], errors
    return Flow(w, payload["case"], admin)


# -- a death, then the head and account change ------------------------------------------------


def test_death_recomputed_then_head_change_refused_then_accepted(any_world: World) -> None:
    w = any_world
    w.standard(YUNNAN)
    clerk, officer = w.token("village_clerk", YUNNAN), w.token("township_officer", YUNNAN)
    admin = w.token("county_approver", YUNNAN)
    hid = create(w, clerk, family_doc(YUNNAN))
    account = w.api.ok(HOUSEHOLD, {"id": hid}, clerk)["household"]["paymentAccount"]
    assert account == {
        "holderIdNumber": id_number(YUNNAN, 1),
        "holderName": "甲",
        "bank": "农村信用合作社(示例)",
        "accountNumber": ACCOUNT,
    }
    f = submit(w, clerk, hid, admin)
    f("recordInvestigation", officer, investigators=["甲", "乙"], on=d(DAY0, 1))
    f("recordFirstReview", officer, on=d(DAY0, 2))
    f("startPublicity", officer, on=d(DAY0, 3))
    case = f("confirmCase", officer, on=d(AFTER))
    assert case["amounts"] == [{"from": "2023-10-01", "amount": 900.0}]  # (800 - 500) × 3

    assert f.refused("recordHeadChange", officer, on="2024-03-01") == ("INVALID_TRANSITION", None)
    case = f("recordDeath", clerk, idNumber=id_number(YUNNAN, 2), on="2024-03-05")
    # two left with 1500: 750 per capita, (800 - 750) × 2 = 100 from April
    assert (case["amount"], case["data"]["adjustFrom"]) == (100.0, "2024-04-01")
    assert case["amounts"][-1] == {"from": "2024-04-01", "amount": 100.0}
    assert case["data"]["recheckBy"] == "2024-06-05"
    case = f("recordDeath", clerk, idNumber=id_number(YUNNAN, 1), on="2024-04-05")
    # the earner and head died: 丙 alone, no income, 800 from May; a new head and account
    assert case["amounts"][-1] == {"from": "2024-05-01", "amount": 800.0}
    assert case["data"]["headChangeRequired"] is True and "headChangeDue" not in case["data"]

    assert f.refused("recordHeadChange", officer, on="2024-04-10") == ("HEAD_NOT_CHANGED", None)
    dead = {"甲": "2024-04-05", "乙": "2024-03-05"}
    _, errors = w.api.mutate(
        UPDATE, {"id": hid, "input": family_doc(YUNNAN, head="丙", dead=dead)}, clerk
    )
    assert errors == []
    code = f.refused("recordHeadChange", officer, on="2024-04-10")  # the dead head's account
    assert code == ("PAYMENT_ACCOUNT_REQUIRED", None)
    assert f.refused("recordHeadChange", clerk, on="2024-04-10") == ("WRONG_LEVEL", None)
    _, errors = w.api.mutate(
        UPDATE, {"id": hid, "input": family_doc(YUNNAN, head="丙", holder="丙", dead=dead)}, clerk
    )
    assert errors == []
    case = f("recordHeadChange", officer, on="2024-04-10")
    assert case["state"] == "active" and case["data"]["headChangeRequired"] is False
    assert case["data"]["headChange"] == {
        "on": "2024-04-10",
        "headIdNumber": id_number(YUNNAN, 3),
        "accountHolderIdNumber": id_number(YUNNAN, 3),
    }
    events = w.history(f.id, admin)
    assert_chain(events, case["version"])
    assert [e["action"] for e in events[-3:]] == [
        "record_death",
        "record_death",
        "record_head_change",
    ]
    assert events[-2]["inputs"]["recomputed"] == {"status": "eligible", "amount": "800.00"}
    assert traced(events[-2], "dibao.standard.urban")["value"] == 800


# -- periodic checks in payment ------------------------------------------------------------------


def test_periodic_verification_and_home_visits(any_world: World) -> None:
    w = any_world
    w.standard(YUNNAN)
    clerk, officer = w.token("village_clerk", YUNNAN), w.token("township_officer", YUNNAN)
    approver = w.token("county_approver", YUNNAN)
    f = submit(w, clerk, create(w, clerk, family_doc(YUNNAN)), approver)
    f("recordInvestigation", officer, investigators=["甲", "乙"], on=d(DAY0, 1))
    f("recordFirstReview", officer, on=d(DAY0, 2))
    f("startPublicity", officer, on=d(DAY0, 3))
    code = f.refused("recordHomeVisit", officer, investigators=["甲", "乙"], on=d(DAY0, 4))
    assert code == ("INVALID_TRANSITION", None)
    f("confirmCase", officer, on=d(AFTER))
    assert f.refused("recordVerification", officer, passed=True) == ("WRONG_LEVEL", None)
    case = f("recordVerification", approver, passed=True, notes="核对无异常", on="2024-03-05")
    assert case["data"]["lastPeriodicVerification"] == {"on": "2024-03-05", "passed": True}
    assert "verification" not in case["data"]  # Yunnan requires none before confirmation
    code = f.refused("recordHomeVisit", officer, investigators=["甲"], on="2024-03-06")
    assert code == ("TOO_FEW_INVESTIGATORS", "investigators")
    assert f.refused("recordHomeVisit", clerk, investigators=["甲", "乙"]) == ("WRONG_LEVEL", None)
    code = f.refused("recordHomeVisit", officer, investigators=["甲", "乙"], on="2024-03-01")
    assert code == ("INVALID_INPUT", "on")  # before the case's last step
    case = f("recordHomeVisit", officer, investigators=["甲", "乙"], findings="无变化",
             on="2024-03-06")  # fmt: skip
    assert case["data"]["lastHomeVisit"] == {"on": "2024-03-06", "investigators": ["乙", "甲"]}
    assert f.refused("recordCareVisit", officer, kind="visit") == ("INVALID_TRANSITION", None)
    events = w.history(f.id, approver)
    assert [e["action"] for e in events[-2:]] == ["record_verification", "record_home_visit"]
    assert events[-1]["inputs"] == {"investigators": ["乙", "甲"], "findings": "无变化"}


def test_tekun_care_placement_and_visits(world: World) -> None:
    w = world
    approver = w.token("county_approver", NINGXIA)
    for path, value in (("dibao.standard.urban", 800), ("tekun.standard.basic", 1040)):
        _, errors = w.api.mutate(SET, set_input(NINGXIA, path, value, "2023-01-01"), approver)
        assert errors == [], errors
    clerk, officer = w.token("village_clerk", NINGXIA), w.token("township_officer", NINGXIA)
    doc = household_doc(
        NINGXIA, (id_number(NINGXIA, 1, "19400101"), "老人", "head"), propertyWithinLocalRules=True
    )
    doc["members"][0].update(hasAbleSupporter=False, labourCapacity="none")
    f = submit(w, clerk, create(w, clerk, doc), approver, program="tekun")
    f("recordInvestigation", officer, investigators=["甲", "乙"], on=d(DAY0, 1))
    case = f("recordSelfCare", officer, failedIndicators=5, on=d(DAY0, 1))
    # Yongning 004 二(三)8: the county checks at least 30% of the township's assessments (and the
    # first of a month always): its own assessment concludes
    assert case["data"]["selfCareCheck"]["selected"] is True
    assert "selfCareCheck" in case["data"] and case["data"]["selfCare"]["preliminary"] is True
    f("recordSelfCare", approver, failedIndicators=5, on=d(DAY0, 1))
    case = f("recordFirstReview", officer, on=d(DAY0, 2))
    if case["data"]["spotCheck"]["selected"]:
        f("recordSpotCheck", approver, upheld=True, on=d(DAY0, 2))
    f("startPublicity", officer, on=d(DAY0, 3))
    case = f("confirmCase", approver, on=d(AFTER))
    assert case["amounts"] == [{"from": "2023-10-01", "amount": 1040.0}]
    # Yongning 004 二(三)6: 「确保有集中供养意愿,生活不能自理的特困人员全部实现集中供养」
    case = f("recordCareWish", officer, willing=True, on=d(AFTER, 1))
    assert case["data"]["careWish"]["mustPlace"] is True  # 5 of 6 indicators failed
    # 特困人员认定办法 art. 23: the county reassesses a reported change
    case = f("reportSelfCareChange", officer, reportedBy="照料服务人", on=d(AFTER, 1))
    assert case["data"]["selfCareChange"]["withinWorkingDays"] == 10

    assert f.refused("recordCarePlacement", officer, mode="home") == ("INVALID_INPUT", "mode")
    code = f.refused("recordCarePlacement", officer, mode="centralised")
    assert code == ("INVALID_INPUT", "institution")
    case = f("recordCarePlacement", officer, mode="centralised", institution="永宁县敬老院(示例)",
             on="2024-01-10")  # fmt: skip
    assert case["data"]["care"] == {
        "mode": "centralised",
        "on": "2024-01-10",
        "institution": "永宁县敬老院(示例)",
    }
    assert f.refused("recordCareVisit", officer, kind="call") == ("INVALID_INPUT", "kind")
    assert f.refused("recordCareVisit", clerk, kind="visit") == ("WRONG_LEVEL", None)
    case = f("recordCareVisit", officer, kind="visit", note="生活正常", on="2024-02-01")
    assert case["data"]["lastCareVisit"] == {"on": "2024-02-01"}
    case = f("recordCareVisit", approver, kind="carer_assessment", on="2024-02-02")
    assert case["data"]["lastCareAssessment"] == {"on": "2024-02-02"}
    events = w.history(f.id, approver)
    assert_chain(events, case["version"])
    assert events[-1]["role"] == "county_approver"
