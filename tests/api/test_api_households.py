"""The GraphQL API over stored data: households, eligibility decisions, local settings, audit.

Every test runs the ASGI app over HTTP (httpx's ASGI transport) against ``create_app(runtime=)``
on a fresh database; the authorisation, duplicate-person and nothing-changes tests run on SQLite
and on a real PostgreSQL (``tests.support.db_backends``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLInputObjectType, is_non_null_type
from sqlalchemy import func, select
from stdnum.cn import ric

from core.api.schema import MAX_COST, estimated_cost, schema
from core.eligibility import decision_to_json, evaluate
from core.households.model import HOUSEHOLD_SCHEMA, household_to_json, parse_household
from core.policy.service import PolicyBase
from core.runtime import Runtime
from core.storage.tables import (
    DecisionRow,
    HouseholdRow,
    LocalSettingAuditRow,
    LocalSettingRow,
    MemberRow,
)
from tests.support.api import Api, codes, open_test_runtime
from tests.support.api_households import (
    ERRORS,
    GET,
    HOUSEHOLD,
    SET,
    SRC,
    UPDATE,
    set_input,
)
from tests.support.db_backends import SqliteTemplate
from tests.support.households import household_doc, id_number

YONGNING, YINCHUAN, NINGXIA = "640121", "640100", "640000"
WUHUA, KUNMING, YUNNAN = "530102", "530100", "530000"
URBAN, TEKUN = "dibao.standard.urban", "tekun.standard.basic"
Y1, Y2, Y3 = (id_number(YONGNING, n) for n in (1, 2, 3))
W1, W2, W3 = (id_number(WUHUA, n) for n in (1, 2, 3))

DECISION = """id recordedAt recordedBy program status eligible asOf mode membersCovered
    perCapitaIncome standard standardPath monthlyAmount nextReview approvalLevel reasons missing
    county { code }
    income { livingMembers totalIncome perCapita income { kind counted } deductions { applied } }
    trace { path value isSet layer { code name level origin kind } effectiveFrom
            source { title number section quote } }
    json"""
CREATE = f"""mutation($input: HouseholdInput!) {{
    createHousehold(input: $input) {{ household {{ {HOUSEHOLD} }} {ERRORS} }} }}"""
REMOVE = f"""mutation($id: ID!, $n: String!, $v: Int) {{
    removeMember(householdId: $id, idNumber: $n, expectedVersion: $v) {{
        household {{ {HOUSEHOLD} }} {ERRORS} }} }}"""
EVALUATE = f"""mutation($id: ID!, $p: String!, $d: Date, $r: TemporaryRequestInput) {{
    evaluateEligibility(householdId: $id, program: $p, asOf: $d, request: $r) {{
        decision {{ {DECISION} }} {ERRORS} }} }}"""
PREVIEW = f"""query($h: HouseholdInput!, $p: String!, $d: Date) {{
    previewEligibility(household: $h, program: $p, asOf: $d) {{
        decision {{ {DECISION} }} {ERRORS} }} }}"""
DECISIONS = f"query($id: ID!) {{ decisions(householdId: $id) {{ {DECISION} }} }}"
LIST = """query($j: String!, $first: Int, $after: String) {
    households(jurisdiction: $j, first: $first, after: $after) {
        edges { cursor node { id county { code } members { idNumber } } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
SETTINGS = """query($j: String!) {
    localSettings(jurisdiction: $j) { jurisdiction { code } path value }
    auditLog(jurisdiction: $j) { user path oldValue newValue } }"""
POLICY = """{ policyVersion policy(jurisdiction: "530102", asOf: "2024-06-01") {
    parameter(path: "dibao.standard.urban") { value isSet layer { code kind } } } }"""


@pytest.fixture
def api(sqlite_template: SqliteTemplate, tmp_path: Path, base: PolicyBase) -> Iterator[Api]:
    """The app over a fresh SQLite runtime."""
    rt = open_test_runtime(sqlite_template.clone(tmp_path / "api.sqlite3"), tmp_path, base)
    a = Api(rt)
    yield a
    a.close()
    rt.close()


@pytest.fixture
def any_api(migrated_db_url: str, tmp_path: Path, base: PolicyBase) -> Iterator[Api]:
    """The app over a fresh runtime on SQLite and on PostgreSQL."""
    rt = open_test_runtime(migrated_db_url, tmp_path, base)
    a = Api(rt)
    yield a
    a.close()
    rt.close()


def snapshot(rt: Runtime) -> dict[str, Any]:
    """Everything stored that a mutation could change."""
    with rt.sessions() as s:
        return {
            "households": [
                (h.id, h.version, json.dumps(h.document, sort_keys=True))
                for h in s.scalars(select(HouseholdRow).order_by(HouseholdRow.id))
            ],
            "members": [
                (m.household_id, m.id_number, m.active, m.removed_at)
                for m in s.scalars(select(MemberRow).order_by(MemberRow.id))
            ],
            "decisions": s.scalar(select(func.count()).select_from(DecisionRow)),
            "settings": s.scalar(select(func.count()).select_from(LocalSettingRow)),
            "audit": s.scalar(select(func.count()).select_from(LocalSettingAuditRow)),
        }


def wuhua_household(*members: tuple[str, str, str], wages: float = 1000) -> dict[str, Any]:
    members = members or ((W1, "张三", "head"), (W2, "李四", "spouse"))
    return household_doc(
        WUHUA,
        *members,
        income=[{"kind": "wages", "monthlyAmount": wages, "member": members[0][0]}],
        propertyWithinLocalRules=True,
    )


# -- who may do what (SQLite and PostgreSQL) ------------------------------------------------------


def test_authorisation_per_role_and_jurisdiction(any_api: Api) -> None:
    a = any_api
    clerk = a.token("village_clerk", YONGNING)
    auditor = a.token("auditor", NINGXIA)
    township = a.token("township_officer", YONGNING)
    approver = a.token("county_approver", YONGNING)
    admin = a.token("province_admin", NINGXIA)
    yongning = household_doc(YONGNING, (Y1, "马一", "head"))
    wuhua = household_doc(WUHUA, (W1, "张三", "head"))

    # A village clerk creates households in their county, not elsewhere.
    payload, errors = a.mutate(CREATE, {"input": yongning}, clerk)
    assert errors == []
    created = payload["household"]
    assert created["county"] == {"code": YONGNING, "name": "永宁县", "level": "COUNTY"}
    assert created["version"] == 1
    hid = created["id"]
    before = snapshot(a.runtime)  # type: ignore[arg-type]
    payload, errors = a.mutate(CREATE, {"input": wuhua}, clerk)
    assert payload["household"] is None
    assert codes(errors) == ["FORBIDDEN"]
    assert "530102" in errors[0]["message"] and "640121" in errors[0]["message"]

    # The auditor reads but may not change anything.
    assert a.ok(GET, {"id": hid}, auditor)["household"]["id"] == hid
    for query, variables in [
        (CREATE, {"input": household_doc(YONGNING, (Y2, "马二", "head"))}),
        (UPDATE, {"id": hid, "input": yongning}),
        (REMOVE, {"id": hid, "n": Y1}),
        (EVALUATE, {"id": hid, "p": "dibao"}),
        (SET, set_input(YONGNING, URBAN, 900)),
    ]:
        _, errors = a.mutate(query, variables, auditor)
        assert codes(errors) == ["FORBIDDEN"], (query, errors)

    # No token, or a token that is not valid: UNAUTHENTICATED, for mutations and queries.
    for token in (None, "not-a-token"):
        _, errors = a.mutate(CREATE, {"input": yongning}, token)
        assert codes(errors) == ["UNAUTHENTICATED"]
        _, errors = a.mutate(SET, set_input(YONGNING, URBAN, 900), token)
        assert codes(errors) == ["UNAUTHENTICATED"]
        data, errors = a.gql(GET, {"id": hid}, token)
        assert data is None and codes(errors) == ["UNAUTHENTICATED"]
        _, errors = a.gql(SETTINGS, {"j": YONGNING}, token)
        assert set(codes(errors)) == {"UNAUTHENTICATED"}

    # Reading is scoped to the jurisdiction too.
    other = a.token("village_clerk", WUHUA)
    data, errors = a.gql(GET, {"id": hid}, other)
    assert data is None and codes(errors) == ["FORBIDDEN"]
    _, errors = a.gql(LIST, {"j": YONGNING}, other)
    assert codes(errors) == ["FORBIDDEN"]

    # Only county approvers and province administrators set local parameters.
    for token in (clerk, township):
        _, errors = a.mutate(SET, set_input(YONGNING, URBAN, 900), token)
        assert codes(errors) == ["FORBIDDEN"]
    assert snapshot(a.runtime) == before  # type: ignore[arg-type]
    _, errors = a.mutate(SET, set_input(WUHUA, URBAN, 900), approver)  # not their county
    assert codes(errors) == ["FORBIDDEN"]
    payload, errors = a.mutate(SET, set_input(YONGNING, URBAN, 900), approver)
    assert errors == [] and payload["setting"]["value"] == 900
    payload, errors = a.mutate(SET, set_input(YINCHUAN, URBAN, 880), admin)
    assert errors == [] and payload["parameter"]["layer"]["code"] == YINCHUAN
    # ... and every role reads them within its scope.
    data = a.ok(SETTINGS, {"j": NINGXIA}, auditor)
    assert {(s["jurisdiction"]["code"], s["value"]) for s in data["localSettings"]} == {
        (YONGNING, 900),
        (YINCHUAN, 880),
    }
    assert len(data["auditLog"]) == 2


def test_duplicate_person_across_households(any_api: Api) -> None:
    a = any_api
    clerk = a.token("village_clerk", WUHUA)
    first, errors = a.mutate(CREATE, {"input": wuhua_household()}, clerk)
    assert errors == []
    before = snapshot(a.runtime)  # type: ignore[arg-type]

    doc = household_doc(WUHUA, (W3, "王五", "head"), (W2, "李四", "spouse"))
    payload, errors = a.mutate(CREATE, {"input": doc}, clerk)
    assert payload["household"] is None
    assert [(e["field"], e["code"]) for e in errors] == [
        ("members[1].idNumber", "DUPLICATE_PERSON")
    ]
    assert W2 in errors[0]["message"]
    assert snapshot(a.runtime) == before  # type: ignore[arg-type]

    # Once removed from the first household, the person may join another.
    _, errors = a.mutate(REMOVE, {"id": first["household"]["id"], "n": W2}, clerk)
    assert errors == []
    payload, errors = a.mutate(CREATE, {"input": doc}, clerk)
    assert errors == [] and payload["household"]["members"][1]["idNumber"] == W2


def test_a_failed_mutation_changes_nothing(any_api: Api) -> None:
    a = any_api
    clerk = a.token("village_clerk", WUHUA)
    kunming = a.token("county_approver", KUNMING)
    wuhua = a.token("county_approver", WUHUA)
    one, _ = a.mutate(CREATE, {"input": wuhua_household()}, clerk)
    other = household_doc(WUHUA, (W3, "王五", "head"))
    two, _ = a.mutate(CREATE, {"input": other}, clerk)
    payload, errors = a.mutate(SET, set_input(KUNMING, URBAN, 800), kunming)
    assert errors == []
    version = a.ok("{ policyVersion }")["policyVersion"]
    before = snapshot(a.runtime)  # type: ignore[arg-type]
    hid = two["household"]["id"]

    failures = [
        # A valid change to household two, except that W1 is active in household one: the
        # name change and the new member are not written either.
        (
            UPDATE,
            {
                "id": hid,
                "input": household_doc(
                    WUHUA, (W3, "王五改", "head"), (W1, "张三", "spouse"), notes="changed"
                ),
            },
            "DUPLICATE_PERSON",
        ),
        (UPDATE, {"id": hid, "input": other, "v": 7}, "VERSION_CONFLICT"),
        (REMOVE, {"id": hid, "n": W3}, "INVALID_INPUT"),  # the head
        (EVALUATE, {"id": hid, "p": "no_such_program"}, "INVALID_INPUT"),
        (SET, set_input(WUHUA, TEKUN, 1000), "CONSTRAINT_VIOLATION"),
        (SET, set_input(WUHUA, "dibao.standard.urbn", 800), "UNKNOWN_PARAMETER"),
        (SET, set_input("999999", URBAN, 800), "UNKNOWN_JURISDICTION"),
        (SET, set_input(WUHUA, URBAN, "八百"), "INVALID_INPUT"),
    ]
    for query, variables, code in failures:
        payload, errors = a.mutate(query, variables, wuhua)
        assert codes(errors) == [code], (variables, errors)
        assert all(v is None for k, v in payload.items() if k != "userErrors")
        assert snapshot(a.runtime) == before, variables  # type: ignore[arg-type]
    assert a.ok("{ policyVersion }")["policyVersion"] == version
    assert one["household"]["version"] == 1


# -- households ----------------------------------------------------------------------------------


def test_create_read_update_and_remove_a_member(api: Api) -> None:
    clerk = api.token("village_clerk", WUHUA)
    doc = wuhua_household((W2, "李四", "spouse"), (W1, "张三", "head"))
    payload, errors = api.mutate(CREATE, {"input": doc}, clerk)
    assert errors == []
    h = payload["household"]
    assert h["area"] == "URBAN" and h["incomeClass"] == "STABLE"
    assert [m["relation"] for m in h["members"]] == ["HEAD", "SPOUSE"]  # head first
    head = h["members"][0]
    assert (head["birthDate"], head["sex"], head["age"]) == ("1990-01-01", "male", 34)
    assert h["income"] == [
        {"kind": "WAGES", "monthlyAmount": 1000.0, "member": W2, "regular": True}
    ]
    assert h["document"]["members"][0]["idNumber"] == W2  # the stored JSON, as given
    assert h["propertyWithinLocalRules"] is True and h["notes"] is None
    assert api.ok(GET, {"id": h["id"]}, clerk)["household"] == h

    doc["members"].append({"idNumber": W3, "name": "张小三", "relation": "child"})
    payload, errors = api.mutate(UPDATE, {"id": h["id"], "input": doc, "v": 1}, clerk)
    assert errors == []
    assert payload["household"]["version"] == 2
    assert len(payload["household"]["members"]) == 3

    payload, errors = api.mutate(REMOVE, {"id": h["id"], "n": W2, "v": 2}, clerk)
    assert errors == []
    changed = payload["household"]
    assert changed["version"] == 3
    assert [m["idNumber"] for m in changed["members"]] == [W1, W3]
    removed = [m for m in changed["memberHistory"] if not m["active"]]
    assert [m["idNumber"] for m in removed] == [W2] and removed[0]["removedAt"]


def test_invalid_id_number_has_its_field_path(api: Api) -> None:
    clerk = api.token("village_clerk", WUHUA)
    bad = W2[:-1] + ("0" if W2[-1] != "0" else "1")  # wrong check digit
    doc = wuhua_household((W1, "张三", "head"), (bad, "李四", "spouse"))
    doc["members"].append({"idNumber": "123", "name": "某", "relation": "child"})
    doc["area"] = "suburban"
    payload, errors = api.mutate(CREATE, {"input": doc}, clerk)
    assert payload["household"] is None
    assert {(e["field"], e["code"]) for e in errors} == {("area", "INVALID_INPUT")}
    doc["area"] = "urban"
    payload, errors = api.mutate(CREATE, {"input": doc}, clerk)
    assert [(e["field"], e["code"]) for e in errors] == [
        ("members[1].idNumber", "INVALID_ID_NUMBER"),
        ("members[2].idNumber", "INVALID_ID_NUMBER"),
    ]
    assert "check digit" in errors[0]["message"]
    assert snapshot(api.runtime)["households"] == []  # type: ignore[arg-type]


def test_not_found(api: Api) -> None:
    clerk = api.token("village_clerk", WUHUA)
    doc = wuhua_household()
    for missing in ("999", "abc", "-1"):
        data, errors = api.gql(GET, {"id": missing}, clerk)
        assert data is None and codes(errors) == ["NOT_FOUND"]
        _, errors = api.mutate(UPDATE, {"id": missing, "input": doc}, clerk)
        assert [(e["field"], e["code"]) for e in errors] == [("id", "NOT_FOUND")]
        _, errors = api.mutate(EVALUATE, {"id": missing, "p": "dibao"}, clerk)
        assert [(e["field"], e["code"]) for e in errors] == [("householdId", "NOT_FOUND")]
        _, errors = api.gql(DECISIONS, {"id": missing}, clerk)
        assert codes(errors) == ["NOT_FOUND"]
    payload, _ = api.mutate(CREATE, {"input": doc}, clerk)
    hid = payload["household"]["id"]
    _, errors = api.mutate(REMOVE, {"id": hid, "n": W3}, clerk)
    assert [(e["field"], e["code"]) for e in errors] == [("idNumber", "NOT_FOUND")]
    _, errors = api.mutate(REMOVE, {"id": "999", "n": W2}, clerk)
    assert [(e["field"], e["code"]) for e in errors] == [("householdId", "NOT_FOUND")]


def test_version_conflict(api: Api) -> None:
    clerk = api.token("village_clerk", WUHUA)
    doc = wuhua_household()
    payload, _ = api.mutate(CREATE, {"input": doc}, clerk)
    hid = payload["household"]["id"]
    doc["notes"] = "first change"
    _, errors = api.mutate(UPDATE, {"id": hid, "input": doc, "v": 1}, clerk)
    assert errors == []
    before = snapshot(api.runtime)  # type: ignore[arg-type]
    doc["notes"] = "made on stale data"
    _, errors = api.mutate(UPDATE, {"id": hid, "input": doc, "v": 1}, clerk)
    assert [(e["field"], e["code"]) for e in errors] == [("expectedVersion", "VERSION_CONFLICT")]
    _, errors = api.mutate(REMOVE, {"id": hid, "n": W2, "v": 1}, clerk)
    assert codes(errors) == ["VERSION_CONFLICT"]
    assert snapshot(api.runtime) == before  # type: ignore[arg-type]


def test_households_are_a_relay_connection(api: Api) -> None:
    clerk = api.token("village_clerk", YONGNING)
    admin = api.token("province_admin", NINGXIA)
    ids = []
    for n in range(1, 26):
        doc = household_doc(YONGNING, (id_number(YONGNING, n), f"户主{n}", "head"))
        payload, errors = api.mutate(CREATE, {"input": doc}, clerk)
        assert errors == []
        ids.append(payload["household"]["id"])
    api.mutate(CREATE, {"input": household_doc(WUHUA, (W1, "张三", "head"))}, admin)  # refused

    page = api.ok(LIST, {"j": YINCHUAN}, admin)["households"]  # the default page: 20
    assert [e["node"]["id"] for e in page["edges"]] == ids[:20]
    assert page["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": page["edges"][0]["cursor"],
        "endCursor": page["edges"][-1]["cursor"],
    }
    rest = api.ok(LIST, {"j": YINCHUAN, "after": page["pageInfo"]["endCursor"]}, admin)
    rest = rest["households"]
    assert [e["node"]["id"] for e in rest["edges"]] == ids[20:]
    assert rest["pageInfo"]["hasNextPage"] is False and rest["pageInfo"]["hasPreviousPage"]
    small = api.ok(LIST, {"j": YONGNING, "first": 7}, clerk)["households"]
    assert len(small["edges"]) == 7
    assert small["edges"][0]["node"]["county"] == {"code": YONGNING}
    for variables in ({"j": YONGNING, "first": 101}, {"j": YONGNING, "after": "garbage"}):
        _, errors = api.gql(LIST, variables, clerk)
        assert codes(errors) == ["INVALID_INPUT"]
    _, errors = api.gql(LIST, {"j": "999999"}, clerk)
    assert codes(errors) == ["UNKNOWN_JURISDICTION"]


def full_household() -> dict[str, Any]:
    """A household using every field of the JSON format (nulls included)."""
    child = id_number(YONGNING, 7, "20120301")
    return {
        "county": YONGNING,
        "area": "rural",
        "incomeClass": "slow_change",
        "propertyWithinLocalRules": True,
        "notes": "测试用示例家庭",
        "members": [
            {
                "idNumber": Y1,
                "name": "马一",
                "relation": "head",
                "disability": {"kind": "physical", "grade": 2},
                "seriousIllness": False,
                "majorIllnessMedicalAid": False,
                "labourCapacity": "partial",
                "inSchool": False,
                "employed": False,
                "dateOfDeath": None,
                "selfCareFailed": ["bathing"],
                "hasAbleSupporter": True,
                "tags": [],
            },
            {"idNumber": child, "name": "马小", "relation": "child", "inSchool": True},
            {
                "idNumber": Y2,
                "name": "马老",
                "relation": "parent",
                "disability": None,
                "dateOfDeath": "2023-01-05",
            },
        ],
        "income": [
            {"kind": "agriculture", "monthlyAmount": 600, "member": Y1, "regular": False},
            {"kind": "transfer", "monthlyAmount": 100.5, "member": None},
        ],
        "expenses": [{"kind": "medical", "monthlyAmount": 200, "member": Y1}],
        "assets": [{"kind": "house", "value": 50000, "description": "自住房"}],
    }


def test_a_cli_json_file_is_a_household_input_as_is(api: Api, tmp_path: Path) -> None:
    path = tmp_path / "household.json"
    path.write_text(json.dumps(full_household(), ensure_ascii=False, indent=2), encoding="utf-8")
    data = json.loads(path.read_text(encoding="utf-8"))
    registry = api.runtime.policy.registry  # type: ignore[union-attr]
    expected = household_to_json(parse_household(data, registry, dt.date(2024, 6, 1)))

    clerk = api.token("village_clerk", YONGNING)
    payload, errors = api.mutate(CREATE, {"input": data}, clerk)
    assert errors == []
    h = payload["household"]
    assert h["document"] == expected
    assert h["members"][0]["labourCapacity"] == "PARTIAL"
    assert h["assets"] == [{"kind": "HOUSE", "value": 50000.0, "description": "自住房"}]
    payload, errors = api.mutate(UPDATE, {"id": h["id"], "input": h["document"]}, clerk)
    assert errors == [] and payload["household"]["document"] == expected  # round trip
    preview = api.ok(PREVIEW, {"h": data, "p": "dibao", "d": "2024-06-01"})
    assert preview["previewEligibility"]["userErrors"] == []


def test_household_input_mirrors_the_json_schema() -> None:
    gql_schema = schema._schema

    def check(node: dict[str, Any], type_name: str) -> None:
        t = gql_schema.get_type(type_name)
        assert isinstance(t, GraphQLInputObjectType)
        assert set(t.fields) == set(node["properties"]), type_name
        required = {n for n, f in t.fields.items() if is_non_null_type(f.type)}
        assert required == set(node.get("required", ())), type_name

    props = HOUSEHOLD_SCHEMA["properties"]
    check(HOUSEHOLD_SCHEMA, "HouseholdInput")
    check(props["members"]["items"], "MemberInput")
    check(props["members"]["items"]["properties"]["disability"], "DisabilityInput")
    check(props["income"]["items"], "IncomeItemInput")
    check(props["expenses"]["items"], "ExpenseInput")
    check(props["assets"]["items"], "AssetInput")


# -- local settings ------------------------------------------------------------------------------


def test_yunnan_rejects_a_low_tekun_standard(api: Api) -> None:
    kunming = api.token("county_approver", KUNMING)
    wuhua = api.token("county_approver", WUHUA)
    payload, errors = api.mutate(SET, set_input(KUNMING, URBAN, 800), kunming)
    assert errors == []
    assert payload["setting"] == {
        "id": payload["setting"]["id"],
        "jurisdiction": {"code": KUNMING},
        "path": URBAN,
        "value": 800,
        "effectiveFrom": "2024-01-01",
        "until": None,
        "source": SRC,
        "setBy": payload["setting"]["setBy"],
    }
    assert payload["auditEntry"] == {
        "user": payload["setting"]["setBy"],
        "role": "county_approver",
        "path": URBAN,
        "oldValue": None,
        "oldOrigin": None,
        "newValue": 800,
        "source": SRC,
        "jurisdiction": {"code": KUNMING},
    }
    assert payload["parameter"] == {
        "path": URBAN,
        "value": 800,
        "isSet": True,
        "layer": {"code": KUNMING, "kind": "LOCAL", "origin": "local"},
        "source": {"title": SRC},
    }
    before = snapshot(api.runtime)  # type: ignore[arg-type]
    version = api.ok("{ policyVersion }")["policyVersion"]

    payload, errors = api.mutate(SET, set_input(WUHUA, TEKUN, 1000), wuhua)  # < 1.3 × 800
    assert payload["setting"] is None and payload["parameter"] is None
    assert [(e["field"], e["code"]) for e in errors] == [("value", "CONSTRAINT_VIOLATION")]
    assert "1040" in errors[0]["message"]
    assert snapshot(api.runtime) == before  # type: ignore[arg-type]
    assert api.ok("{ policyVersion }")["policyVersion"] == version
    data = api.ok(SETTINGS, {"j": KUNMING}, kunming)
    assert [(s["path"], s["value"]) for s in data["localSettings"]] == [(URBAN, 800)]
    assert [(e["path"], e["oldValue"], e["newValue"]) for e in data["auditLog"]] == [
        (URBAN, None, 800)
    ]

    payload, errors = api.mutate(SET, set_input(WUHUA, TEKUN, 1040), wuhua)  # exactly 1.3 ×
    assert errors == []
    assert payload["auditEntry"]["oldOrigin"] is None


def test_set_local_parameter_field_errors(api: Api) -> None:
    approver = api.token("county_approver", WUHUA)
    cases = [
        ({"path": "dibao.standard.urbn"}, "path", "UNKNOWN_PARAMETER"),
        ({"jurisdiction": "999999"}, "jurisdiction", "UNKNOWN_JURISDICTION"),
        ({"value": -1}, "value", "INVALID_INPUT"),
        ({"until": "2023-12-31"}, "until", "INVALID_INPUT"),
        ({"source": "  "}, "source", "INVALID_INPUT"),
    ]
    for change, field, code in cases:
        variables = set_input(WUHUA, URBAN, 800)
        variables["input"].update(change)
        _, errors = api.mutate(SET, variables, approver)
        assert [(e["field"], e["code"]) for e in errors] == [(field, code)], change
    assert snapshot(api.runtime)["settings"] == 0  # type: ignore[arg-type]


# -- eligibility ---------------------------------------------------------------------------------


def test_evaluate_stores_a_decision_citing_the_local_standard(api: Api) -> None:
    kunming = api.token("county_approver", KUNMING)
    clerk = api.token("village_clerk", WUHUA)
    auditor = api.token("auditor", YUNNAN)
    api.mutate(SET, set_input(KUNMING, URBAN, 800), kunming)
    payload, _ = api.mutate(CREATE, {"input": wuhua_household()}, clerk)
    hid = payload["household"]["id"]

    payload, errors = api.mutate(EVALUATE, {"id": hid, "p": "dibao", "d": "2024-06-01"}, clerk)
    assert errors == []
    d = payload["decision"]
    assert d["id"] and d["recordedAt"] and d["recordedBy"].startswith("village_clerk@")
    assert (d["status"], d["eligible"], d["mode"]) == ("ELIGIBLE", True, "WHOLE_HOUSEHOLD")
    assert (d["perCapitaIncome"], d["standard"], d["monthlyAmount"]) == (500.0, 800.0, 600.0)
    assert d["standardPath"] == URBAN and d["county"] == {"code": WUHUA}
    assert d["membersCovered"] == [W1, W2]
    assert d["income"]["livingMembers"] == 2 and d["income"]["perCapita"] == 500.0
    [standard] = [t for t in d["trace"] if t["path"] == URBAN]
    assert standard["value"] == 800 and standard["isSet"] is True
    assert standard["layer"] == {
        "code": KUNMING,
        "name": "昆明市",
        "level": "PREFECTURE",
        "origin": "local",
        "kind": "LOCAL",
    }
    assert standard["source"]["title"] == SRC and standard["effectiveFrom"] == "2024-01-01"
    assert d["json"]["trace"][0]["layer"]["kind"] == "local"

    # the clerk reads what was stored; the auditor too, its ID numbers masked
    assert api.ok(DECISIONS, {"id": hid}, clerk)["decisions"] == [d]
    [stored] = api.ok(DECISIONS, {"id": hid}, auditor)["decisions"]
    masked = [n[:6] + "********" + n[-4:] for n in (W1, W2)]
    assert stored["membersCovered"] == stored["json"]["membersCovered"] == masked
    assert W1 not in str(stored) and W2 not in str(stored)
    with_numbers = ("membersCovered", "json", "members", "income")
    assert {k: v for k, v in stored.items() if k not in with_numbers} == {
        k: v for k, v in d.items() if k not in with_numbers
    }

    # The same household previewed without a token: the same decision, nothing stored.
    before = snapshot(api.runtime)  # type: ignore[arg-type]
    for _ in range(2):
        preview = api.ok(PREVIEW, {"h": wuhua_household(), "p": "dibao", "d": "2024-06-01"})
        p = preview["previewEligibility"]
        assert p["userErrors"] == []
        assert p["decision"]["json"] == d["json"]
        assert p["decision"]["id"] is None and p["decision"]["recordedBy"] is None
        stored_only = ("id", "recordedAt", "recordedBy")
        assert {k: v for k, v in p["decision"].items() if k not in stored_only} == {
            k: v for k, v in d.items() if k not in stored_only
        }
    assert snapshot(api.runtime) == before  # type: ignore[arg-type]
    assert len(api.app.state.response_cache) == 0 and len(api.app.state.result_cache) == 0

    # And the preview equals the engine's own answer on the same data.
    policy = api.runtime.policy  # type: ignore[union-attr]
    h = parse_household(wuhua_household(), policy.registry, dt.date(2024, 6, 1))
    day = dt.date(2024, 6, 1)
    assert decision_to_json(evaluate(h, "dibao", policy.resolve(WUHUA, day), day)) == d["json"]


def test_a_standard_that_is_not_set_surfaces_in_the_decision(api: Api) -> None:
    clerk = api.token("village_clerk", WUHUA)
    payload, _ = api.mutate(CREATE, {"input": wuhua_household()}, clerk)
    hid = payload["household"]["id"]
    message = "cannot decide: `dibao.standard.urban` is not set for 530102 on 2023-06-01"
    payload, errors = api.mutate(EVALUATE, {"id": hid, "p": "dibao", "d": "2023-06-01"}, clerk)
    assert errors == []
    d = payload["decision"]
    assert (d["status"], d["eligible"], d["monthlyAmount"]) == ("CANNOT_DECIDE", None, None)
    assert d["reasons"][0] == message and d["missing"] == [URBAN]
    [standard] = [t for t in d["trace"] if t["path"] == URBAN]
    assert standard["isSet"] is False and standard["value"] is None and standard["layer"] is None
    preview = api.ok(PREVIEW, {"h": wuhua_household(), "p": "dibao", "d": "2023-06-01"})
    assert preview["previewEligibility"]["decision"]["reasons"][0] == message


def test_eligibility_input_errors(api: Api) -> None:
    clerk = api.token("village_clerk", WUHUA)
    payload, _ = api.mutate(CREATE, {"input": wuhua_household()}, clerk)
    hid = payload["household"]["id"]
    _, errors = api.mutate(EVALUATE, {"id": hid, "p": "lottery"}, clerk)
    assert [(e["field"], e["code"]) for e in errors] == [("program", "INVALID_INPUT")]
    _, errors = api.mutate(EVALUATE, {"id": hid, "p": "temporary"}, clerk)
    assert [(e["field"], e["code"]) for e in errors] == [("request", "INVALID_INPUT")]
    bad = {"kind": "flood", "amount": 500}
    _, errors = api.mutate(EVALUATE, {"id": hid, "p": "temporary", "r": bad}, clerk)
    assert [(e["field"], e["code"]) for e in errors] == [("request", "INVALID_INPUT")]
    request = {"kind": "emergency", "amount": 500}
    payload, errors = api.mutate(
        EVALUATE, {"id": hid, "p": "temporary", "d": "2024-06-01", "r": request}, clerk
    )
    assert errors == [] and payload["decision"]["program"] == "temporary"
    assert snapshot(api.runtime)["decisions"] == 1  # type: ignore[arg-type]

    doc = wuhua_household()
    doc["members"][1]["idNumber"] = "530102199001010020"
    preview = api.ok(PREVIEW, {"h": doc, "p": "dibao"})["previewEligibility"]
    assert preview["decision"] is None
    assert [(e["field"], e["code"]) for e in preview["userErrors"]] == [
        ("members[1].idNumber", "INVALID_ID_NUMBER")
    ]


# -- caching -------------------------------------------------------------------------------------


def test_authenticated_and_private_answers_are_never_cached(api: Api) -> None:
    responses = api.app.state.response_cache
    results = api.app.state.result_cache
    kunming = api.token("county_approver", KUNMING)

    public = api.ok(POLICY)
    assert public["policy"]["parameter"] == {"value": None, "isSet": False, "layer": None}
    assert (len(responses), len(results)) == (1, 1)
    assert api.ok(POLICY) == public and responses.hits == 1  # public: cached

    # The same query with a token (valid or not) is neither served from nor stored in a cache.
    hits = (responses.hits, results.hits)
    for token in (kunming, "not-a-token"):
        assert api.ok(POLICY, token=token) == public
        assert api.ok("{ policyVersion }", token=token)
    assert (responses.hits, results.hits) == hits
    assert (len(responses), len(results)) == (1, 1)

    # Stored data is never cached, whoever asks.
    api.ok(SETTINGS, {"j": KUNMING}, kunming)
    api.gql(SETTINGS, {"j": KUNMING})  # UNAUTHENTICATED
    assert (len(responses), len(results)) == (1, 1)

    # A local setting shows at once in the next public query: the policy version changes.
    _, errors = api.mutate(SET, set_input(KUNMING, URBAN, 800), kunming)
    assert errors == []
    after = api.ok(POLICY)
    assert after["policyVersion"] != public["policyVersion"]
    assert after["policy"]["parameter"] == {
        "value": 800,
        "isSet": True,
        "layer": {"code": KUNMING, "kind": "LOCAL"},
    }
    assert api.ok(POLICY) == after


def test_a_policy_only_app_has_no_database(base: PolicyBase) -> None:
    a = Api(base=base)
    try:
        payload, errors = a.mutate(CREATE, {"input": wuhua_household()}, "some-token")
        assert payload["household"] is None and codes(errors) == ["DATABASE_UNAVAILABLE"]
        _, errors = a.mutate(EVALUATE, {"id": "1", "p": "dibao"}, None)
        assert codes(errors) == ["DATABASE_UNAVAILABLE"]
        data, errors = a.gql(GET, {"id": "1"})
        assert data is None and codes(errors) == ["DATABASE_UNAVAILABLE"]
        # The policy and previews need no database.
        preview = a.ok(PREVIEW, {"h": wuhua_household(), "p": "dibao", "d": "2023-06-01"})
        assert preview["previewEligibility"]["decision"]["status"] == "CANNOT_DECIDE"
        assert a.ok(POLICY)["policyVersion"] == base.version
    finally:
        a.close()


def test_without_arguments_the_configured_database_is_opened_on_first_use(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, base: PolicyBase
) -> None:
    import core.api.app as app_module

    monkeypatch.setattr(app_module, "get_policy_base", lambda: base)
    monkeypatch.setenv("DOUDI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DOUDI_DATABASE_URL", raising=False)
    a = Api()
    try:
        assert not (tmp_path / "data").exists()  # nothing before the first request
        assert a.ok("{ policyVersion }")
        assert (tmp_path / "data" / "doudi.sqlite3").is_file()
        a.runtime = a.app.state.backend.runtime()
        clerk = a.token("village_clerk", WUHUA)
        _, errors = a.mutate(CREATE, {"input": wuhua_household()}, clerk)
        assert errors == []
    finally:
        a.close()
        if a.runtime is not None:
            a.runtime.close()


def test_a_database_that_cannot_be_opened_is_a_503(
    monkeypatch: pytest.MonkeyPatch, base: PolicyBase
) -> None:
    import core.api.app as app_module

    monkeypatch.setattr(app_module, "get_policy_base", lambda: base)
    monkeypatch.setenv("DOUDI_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:9/none")
    a = Api()
    try:
        for _ in range(2):  # the second is answered from the remembered failure
            r = a.post({"query": "{ policyVersion }"})
            assert r.status_code == 503
            assert codes(r.json()["errors"]) == ["DATABASE_UNAVAILABLE"]
    finally:
        a.close()


# -- limits --------------------------------------------------------------------------------------


def test_the_new_lists_count_in_the_cost_limit(api: Api) -> None:
    from graphql import parse

    admin = api.token("province_admin", NINGXIA)
    reasonable = f"""{{ households(jurisdiction: "640000", first: 100) {{
        edges {{ cursor node {{ {HOUSEHOLD} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"""
    [cost] = estimated_cost(schema._schema, parse(reasonable)).values()
    assert cost <= MAX_COST
    api.ok(reasonable, token=admin)
    greedy = """{ households(jurisdiction: "640000") { edges { node {
        county { children { children { code name } } } } } } }"""
    [cost] = estimated_cost(schema._schema, parse(greedy)).values()
    assert cost > MAX_COST
    _, errors = api.gql(greedy, token=admin)
    assert codes(errors) == ["QUERY_TOO_COMPLEX"]
    _, errors = api.gql(
        DECISIONS.replace("decisions(", "decisions(first: 1000, "), {"id": "1"}, admin
    )
    assert codes(errors) == ["INVALID_INPUT"]


# -- the payment account (一卡通) -----------------------------------------------------------------

ACCOUNT_FIELDS = "paymentAccount { holderIdNumber holderName bank accountNumber }"


def test_payment_account_is_part_of_the_household(api: Api) -> None:
    clerk = api.token("village_clerk", WUHUA)
    doc = wuhua_household()
    doc["paymentAccount"] = {
        "holderIdNumber": W2,
        "holderName": "李四",
        "bank": "示例银行",
        "accountNumber": "12345",
    }
    create = f"""mutation($input: HouseholdInput!) {{ createHousehold(input: $input) {{
        household {{ id version {ACCOUNT_FIELDS} }} {ERRORS} }} }}"""
    payload, errors = api.mutate(create, {"input": doc}, clerk)
    assert payload["household"] is None
    assert [(e["field"], e["code"]) for e in errors] == [
        ("paymentAccount.accountNumber", "INVALID_INPUT")
    ]
    doc["paymentAccount"]["accountNumber"] = "6228480012345678"
    payload, errors = api.mutate(create, {"input": doc}, clerk)
    assert errors == []
    h = payload["household"]
    assert h["paymentAccount"] == doc["paymentAccount"]
    # the holder cannot be removed until another member's account is recorded
    _, errors = api.mutate(REMOVE, {"id": h["id"], "n": W2, "v": 1}, clerk)
    assert [(e["field"], e["code"]) for e in errors] == [("idNumber", "INVALID_INPUT")]
    assert "payment account" in errors[0]["message"]
    doc["paymentAccount"].update(holderIdNumber=W1, holderName="张三")
    payload, errors = api.mutate(UPDATE, {"id": h["id"], "input": doc, "v": 1}, clerk)
    assert errors == [] and payload["household"]["version"] == 2
    payload, errors = api.mutate(REMOVE, {"id": h["id"], "n": W2, "v": 2}, clerk)
    assert errors == []
    got = api.ok(f"query($id: ID!) {{ household(id: $id) {{ {ACCOUNT_FIELDS} }} }}",
                 {"id": h["id"]}, clerk)["household"]  # fmt: skip
    assert got["paymentAccount"]["holderIdNumber"] == W1


def test_id_numbers_in_another_script_are_refused_and_new_districts_accepted(api: Api) -> None:
    # GB 11643: the digits 0-9 and X. Written in Arabic-Indic digits a number used to pass (its
    # check character X being ASCII) and be stored as written, escaping DUPLICATE_PERSON.
    clerk = api.token("village_clerk", WUHUA)
    arabic = "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in "11010119900101004X")
    doc = wuhua_household((W1, "张三", "head"), (arabic, "李四", "spouse"))
    payload, errors = api.mutate(CREATE, {"input": doc}, clerk)
    assert payload["household"] is None
    assert [(e["field"], e["code"]) for e in errors] == [
        ("members[1].idNumber", "INVALID_ID_NUMBER")
    ]
    assert "digits 0-9" in errors[0]["message"]
    # a resident of 杭州市临平区 (330113, created in 2021)
    body = "33011319900101123"
    linping = body + ric.calc_check_digit(body + "0")
    payload, errors = api.mutate(CREATE, {"input": wuhua_household((W1, "张三", "head"),
                                                                   (linping, "王五", "spouse"))},
                                 clerk)  # fmt: skip
    assert errors == [] and payload["household"]["members"][1]["idNumber"] == linping


def test_a_preview_names_the_rule_and_condition_of_each_deduction(api: Api) -> None:
    # 审核确认办法 art. 13(一): wages are counted net of the necessary employment cost
    # (扣除必要的就业成本), in every province.
    doc = wuhua_household((W1, "张三", "head"), (W2, "李四", "spouse"))
    doc["income"] = [{"kind": "wages", "monthlyAmount": 1000, "member": W1}]
    doc["expenses"] = [{"kind": "employment_cost", "monthlyAmount": 100, "member": W1}]
    query = PREVIEW.replace("json", "json grounds { applies subject rule condition layer "
                            "source { quote } }")  # fmt: skip
    got = api.ok(query, {"h": doc, "p": "dibao", "d": "2024-06-01"})["previewEligibility"]
    (g,) = got["decision"]["grounds"]
    assert (g["applies"], g["rule"], g["layer"]) == (
        "deduction",
        "dibao.income.deductions",
        "000000",
    )
    assert "扣除必要的就业成本" in g["source"]["quote"]
