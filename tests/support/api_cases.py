"""Cases through GraphQL, as a client drives them: officials made on demand, households
created, the case mutations written from their arguments' GraphQL types, and a :class:`Flow`
that keeps one case's version and checks that a refused step changes nothing."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from core.access.tokens import create_user
from tests.support.api import Api
from tests.support.api_households import set_input
from tests.support.households import household_doc, id_number

URBAN = "dibao.standard.urban"
DAY0 = dt.date(2023, 9, 4)
AFTER = DAY0 + dt.timedelta(days=20)  # publicity over everywhere


def d(day: dt.date, n: int = 0) -> str:
    return (day + dt.timedelta(days=n)).isoformat()


ERRORS = "userErrors { field message code }"
CASE = """id version program state householdId openedOn benefitFrom amount exitReason
    spotCheckSelected data county { code }"""
HISTORY = """query($id: ID!) { caseHistory(id: $id) {
    seq action at on userId who role jurisdiction fromState toState inputs reasons
    policy { path value isSet layer { code origin kind } source { title quote } }
    hash prevHash } }"""
GET = f"query($id: ID!) {{ case(id: $id) {{ {CASE} household {{ id members {{ idNumber }} }} }} }}"
CREATE = f"""mutation($input: HouseholdInput!) {{
    createHousehold(input: $input) {{ household {{ id version }} {ERRORS} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: HouseholdInput!) {{
    updateHousehold(id: $id, input: $input) {{ household {{ id version }} {ERRORS} }} }}"""
SET = f"""mutation($input: SetLocalParameterInput!) {{
    setLocalParameter(input: $input) {{ setting {{ id }} {ERRORS} }} }}"""

# GraphQL types of the mutations' arguments (per mutation where they differ).
ARG_TYPES = {
    "householdId": "ID!",
    "program": "String!",
    "nearRelatives": "[NearRelativeInput!]",
    "amount": "Float",
    "kind": "String",
    "id": "ID!",
    "expectedVersion": "Int!",
    "on": "Date",
    "investigators": "[String!]!",
    "findings": "String",
    "passed": "Boolean!",
    "notes": "String",
    "opinion": "String",
    "reason": "String!",
    "reasons": "[String!]",
    "evaluate": "Boolean",
    "monthlyAmount": "Float",
    "upheld": "Boolean!",
    "phaseOutMonths": "Int",
    "outcome": "String",
    "cause": "String",
    "causeMember": "String",
    "selfReported": "Boolean",
    "months": "Int!",
    "idNumber": "String!",
    "dateOfDeath": "Date",
}
OVERRIDES = {
    ("exitCase", "reason"): "ExitReason!",
    ("rejectCase", "reasons"): "[String!]!",
}


def mutation(name: str, args: dict[str, Any]) -> str:
    types = {a: OVERRIDES.get((name, a), ARG_TYPES[a]) for a in args}
    params = ", ".join(f"${a}: {t}" for a, t in types.items())
    passed = ", ".join(f"{a}: ${a}" for a in types)
    return f"mutation({params}) {{ {name}({passed}) {{ case {{ {CASE} }} {ERRORS} }} }}"


class World:
    """The app over a runtime, with officials (id and token) made on demand."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.n = itertools.count(1)

    def user(self, role: str, code: str) -> tuple[int, str]:
        rt = self.api.runtime
        assert rt is not None
        with rt.sessions() as s:
            u, token = create_user(
                s, f"{role}@{code}#{next(self.n)}", role, code, rt.policy.registry
            )
        return u.id, token

    def token(self, role: str, code: str) -> str:
        return self.user(role, code)[1]

    def standard(self, county: str, value: int = 800) -> None:
        approver = self.token("county_approver", county)
        _, errors = self.api.mutate(SET, set_input(county, URBAN, value, "2023-01-01"), approver)
        assert errors == [], errors

    def household(self, county: str, token: str, *seqs: int, wages: float = 1000) -> str:
        payload, errors = self.api.mutate(
            CREATE, {"input": household(county, *seqs, wages=wages)}, token
        )
        assert errors == [], errors
        return str(payload["household"]["id"])

    def call(self, name: str, token: str | None, **args: Any) -> tuple[dict | None, list]:
        payload, errors = self.api.mutate(mutation(name, args), args, token)
        return payload["case"], errors

    def submit(self, token: str, hid: str, program: str = "dibao", **kw: Any) -> Flow:
        case, errors = self.call(
            "submitApplication", token, householdId=hid, program=program, on=d(DAY0), **kw
        )
        assert errors == [] and case is not None, errors
        assert (case["state"], case["version"]) == ("accepted", 1)
        return Flow(self, case)

    def history(self, cid: str, token: str) -> list[dict[str, Any]]:
        return self.api.ok(HISTORY, {"id": cid}, token)["caseHistory"]


def household(county: str, *seqs: int, wages: float = 1000) -> dict[str, Any]:
    seqs = seqs or (1, 2)
    relations = ["head", "spouse", "child", "child"]
    members = [(id_number(county, s), f"成员{s}", relations[i]) for i, s in enumerate(seqs)]
    return household_doc(
        county,
        *members,
        income=[{"kind": "wages", "monthlyAmount": wages, "member": members[0][0]}],
        propertyWithinLocalRules=True,
    )


class Flow:
    """One case driven through the API, keeping its version."""

    def __init__(self, world: World, case: dict[str, Any]) -> None:
        self.world = world
        self.case = case

    @property
    def id(self) -> str:
        return str(self.case["id"])

    def __call__(self, name: str, token: str, **args: Any) -> dict[str, Any]:
        case, errors = self.world.call(
            name, token, id=self.id, expectedVersion=self.case["version"], **args
        )
        assert errors == [] and case is not None, (name, errors)
        assert case["version"] == self.case["version"] + 1
        self.case = case
        return case

    def refused(self, name: str, token: str | None, **args: Any) -> list[dict[str, Any]]:
        """The userErrors of a step that must fail; the case is unchanged afterwards."""
        args.setdefault("expectedVersion", self.case["version"])
        case, errors = self.world.call(name, token, id=self.id, **args)
        assert case is None and errors, (name, errors)
        admin = self.world.token("county_approver", self.case["county"]["code"])
        now = self.world.api.ok(GET, {"id": self.id}, admin)["case"]
        assert {k: v for k, v in now.items() if k != "household"} == self.case
        assert len(self.world.history(self.id, admin)) == self.case["version"]
        return errors

    def refused_code(self, name: str, token: str | None, **args: Any) -> str:
        [error] = self.refused(name, token, **args)
        return error["code"]

    def to_publicity(self, officer: str, on: dt.date = DAY0) -> None:
        self("recordInvestigation", officer, investigators=["甲", "乙"], on=d(on, 1))
        self("recordFirstReview", officer, opinion="符合条件", on=d(on, 2))
        case = self("startPublicity", officer, on=d(on, 3))
        assert case["state"] == "in_publicity" and case["data"]["publicity"]["days"] == 7


def assert_chain(events: list[dict[str, Any]], version: int) -> None:
    assert [e["seq"] for e in events] == list(range(1, version + 1))
    assert events[0]["prevHash"] == "" and events[0]["fromState"] is None
    for prev, e in itertools.pairwise(events):
        assert e["prevHash"] == prev["hash"] and e["fromState"] == prev["toState"]


def traced(event: dict[str, Any], path: str) -> dict[str, Any]:
    return next(p for p in event["policy"] if p["path"] == path)
