"""Issue 11's reproducers at the GraphQL door, on SQLite and PostgreSQL: every bad input is a typed
error (a userError or a GraphQL error with ``extensions.code``), never a 500 nor
INTERNAL_SERVER_ERROR, and nothing is written.

"A county approver can set a yuan standard to NaN, Infinity or 1e308 ... `calendar(from:
"9999-12-01")`, the .ics feed with that `from` (HTTP 500), `setLocalParameter(until:
"9999-12-31")`, `evaluateEligibility(asOf: "9999-12-31")` ... crash; writes accept year 0001 ...
Malformed bodies answer HTTP 500: invalid UTF-8, a JSON body that is not an object, JSON nested
thousands deep ... a 10 MB note, a 1 MB name, a 10,000-member household, 100,000 income items,
names made only of spaces or invisible characters ... Validation before authorization in
`importHolidayTable`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from core.policy.service import PolicyBase
from core.storage.tables import HouseholdRow, LocalSettingRow
from core.validation import MAX_BODY_BYTES
from tests.support.api import Api, codes, open_test_runtime
from tests.support.api_households import ERRORS, HOUSEHOLD, SET, set_input
from tests.support.households import household_doc, id_number

WUHUA = "530102"
URBAN = "dibao.standard.urban"
W1, W2 = id_number(WUHUA, 1), id_number(WUHUA, 2)
CREATE = f"""mutation($input: HouseholdInput!) {{
    createHousehold(input: $input) {{ household {{ {HOUSEHOLD} }} {ERRORS} }} }}"""
EVALUATE = f"""mutation($id: ID!, $d: Date) {{
    evaluateEligibility(householdId: $id, program: "dibao", asOf: $d) {{
        decision {{ eligible }} {ERRORS} }} }}"""
CALENDAR = """query($f: Date) { calendar(jurisdiction: "530102", from: $f) { from to } }"""


@pytest.fixture
def api(migrated_db_url: str, tmp_path: Path, base: PolicyBase) -> Iterator[Api]:
    rt = open_test_runtime(migrated_db_url, tmp_path, base)
    a = Api(rt)
    yield a
    a.close()
    rt.close()


def raw(api: Api, body: bytes, token: str | None = None, content_type: str = "application/json"):
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return api._runner.run(api._client.post("/graphql", content=body, headers=headers))


def graphql_error(response: Any) -> dict[str, Any]:
    """The one GraphQL-shaped error of a refused request."""
    body = response.json()
    assert body["data"] is None and len(body["errors"]) == 1, body
    return body["errors"][0]


def all_codes(data: dict[str, Any] | None, errors: list[dict[str, Any]]) -> list[str]:
    """The codes of a request's GraphQL errors, or else of its payload's userErrors (a typed
    refusal either way)."""
    if errors:
        return codes(errors)
    [payload] = (data or {}).values()
    return codes(payload["userErrors"])


def count(api: Api, model: Any) -> int:
    assert api.runtime is not None
    with api.runtime.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


# -- non-finite numbers --------------------------------------------------------------------------


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_a_request_body_are_not_json(api, literal):
    token = api.token("county_approver", WUHUA)
    body = json.dumps({"query": SET, "variables": set_input(WUHUA, URBAN, 0)})
    body = body.replace('"value": 0', f'"value": {literal}')
    assert literal in body
    r = raw(api, body.encode(), token)
    assert r.status_code == 400
    error = graphql_error(r)
    assert error["extensions"]["code"] == "NOT_A_FINITE_NUMBER"
    assert count(api, LocalSettingRow) == 0


def test_an_absurd_standard_is_a_typed_user_error(api):
    token = api.token("county_approver", WUHUA)
    payload, errors = api.mutate(SET, set_input(WUHUA, URBAN, 1e308), token)
    assert codes(errors) == ["NUMBER_OUT_OF_RANGE"] and payload["setting"] is None
    assert count(api, LocalSettingRow) == 0


# -- dates at the ends of the calendar -----------------------------------------------------------


def test_calendar_from_9999_is_a_typed_error(api):
    token = api.token("county_approver", WUHUA)
    data, errors = api.gql(CALENDAR, {"f": "9999-12-01"}, token)
    assert data is None and codes(errors) == ["DATE_OUT_OF_RANGE"], errors
    assert "9999-12-01" in errors[0]["message"]
    # written inline in the query, the same
    data, errors = api.gql(
        '{ calendar(jurisdiction: "530102", from: "0001-01-01") { from to } }', None, token
    )
    assert codes(errors) == ["DATE_OUT_OF_RANGE"], errors


def test_the_ics_feed_from_9999_is_a_typed_400(api):
    token = api.token("county_approver", WUHUA)
    r = api._runner.run(
        api._client.get(
            f"/calendar/{WUHUA}.ics",
            params={"from": "9999-12-01"},
            headers={"Authorization": f"Bearer {token}"},
        )
    )
    assert r.status_code == 400, r.text
    assert "9999-12-01" in r.text and "1900-01-01 to 2199-12-31" in r.text


def test_set_local_parameter_until_9999_is_a_typed_error(api):
    token = api.token("county_approver", WUHUA)
    variables = set_input(WUHUA, URBAN, 780)
    variables["input"]["until"] = "9999-12-31"
    data, errors = api.gql(SET, variables, token)
    assert all_codes(data, errors) == ["DATE_OUT_OF_RANGE"], (data, errors)
    assert count(api, LocalSettingRow) == 0


def _household(api: Api, token: str) -> str:
    doc = household_doc(WUHUA, (W1, "张三", "head"), propertyWithinLocalRules=True)
    payload, errors = api.mutate(CREATE, {"input": doc}, token)
    assert errors == []
    return str(payload["household"]["id"])


def test_evaluate_eligibility_as_of_9999_is_a_typed_error(api):
    token = api.token("county_approver", WUHUA)
    hid = _household(api, token)
    data, errors = api.gql(EVALUATE, {"id": hid, "d": "9999-12-31"}, token)
    assert all_codes(data, errors) == ["DATE_OUT_OF_RANGE"], (data, errors)


def test_a_case_dated_0001_is_refused(api):
    token = api.token("township_officer", WUHUA)
    hid = _household(api, api.token("village_clerk", WUHUA))
    submit = f"""mutation($h: ID!, $on: Date) {{
        submitApplication(householdId: $h, program: "dibao", on: $on) {{
            case {{ id }} {ERRORS} }} }}"""
    data, errors = api.gql(submit, {"h": hid, "on": "0001-01-01"}, token)
    assert all_codes(data, errors) == ["DATE_OUT_OF_RANGE"], (data, errors)
    # the household may still apply (no DUPLICATE_CASE from a case dated 0001)
    payload, errors = api.mutate(submit, {"h": hid, "on": "2024-01-05"}, token)
    assert errors == [] and payload["case"] is not None


# -- malformed bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"query": "{ policyVersion }", "x": "\xff\xfe"}', "BAD_REQUEST"),  # invalid UTF-8
        (b"[1, 2, 3]", "BAD_REQUEST"),
        (b'"{ policyVersion }"', "BAD_REQUEST"),
        (b"42", "BAD_REQUEST"),
        (b"null", "BAD_REQUEST"),
        (b"[" * 100_000 + b"]" * 100_000, "BAD_REQUEST"),
        (b'{"query": "{ policyVersion }", "variables": ' + b"[" * 5000 + b"]" * 5000 + b"}",
         "BAD_REQUEST"),
        (b"{not json", "BAD_REQUEST"),
    ],
)  # fmt: skip
def test_malformed_bodies_are_400_with_a_graphql_shaped_error(api, body, code):
    r = raw(api, body)
    assert r.status_code == 400, r.text
    error = graphql_error(r)
    assert error["extensions"]["code"] == code and error["message"]


def test_a_body_over_the_limit_is_refused_before_it_is_read(api):
    r = raw(api, b'{"query": "' + b"x" * (MAX_BODY_BYTES + 1) + b'"}')
    assert r.status_code == 413
    assert graphql_error(r)["extensions"]["code"] == "BODY_TOO_LARGE"


# -- sizes and blank names -----------------------------------------------------------------------


def _doc(**extra: Any) -> dict[str, Any]:
    return household_doc(WUHUA, (W1, "张三", "head"), propertyWithinLocalRules=True, **extra)


def test_a_ten_megabyte_note_is_refused_at_the_door(api):
    token = api.token("village_clerk", WUHUA)
    body = json.dumps({"query": CREATE, "variables": {"input": _doc(notes="记" * 3_500_000)}})
    r = raw(api, body.encode(), token)
    assert r.status_code == 413 and graphql_error(r)["extensions"]["code"] == "BODY_TOO_LARGE"
    assert count(api, HouseholdRow) == 0


def test_a_long_note_and_a_long_name_are_typed_errors(api):
    token = api.token("village_clerk", WUHUA)
    _, errors = api.mutate(CREATE, {"input": _doc(notes="记" * 2001)}, token)
    assert codes(errors) == ["TEXT_TOO_LONG"] and errors[0]["field"] == "notes", errors
    doc = household_doc(WUHUA, (W1, "张" * 100_000, "head"), propertyWithinLocalRules=True)
    _payload, errors = api.mutate(CREATE, {"input": doc}, token)
    assert codes(errors) == ["TEXT_TOO_LONG"] and errors[0]["field"] == "members[0].name"
    assert count(api, HouseholdRow) == 0


@pytest.mark.parametrize("name", ["   ", "\u3000\u3000", "\u200b", "\u200d\u200c\ufeff", ""])
def test_names_made_only_of_spaces_or_invisible_characters_are_typed_errors(api, name):
    token = api.token("village_clerk", WUHUA)
    doc = household_doc(WUHUA, (W1, name, "head"), propertyWithinLocalRules=True)
    _payload, errors = api.mutate(CREATE, {"input": doc}, token)
    assert codes(errors) == ["BLANK_TEXT"], errors
    assert errors[0]["field"] == "members[0].name"
    assert count(api, HouseholdRow) == 0


def test_ten_thousand_members_and_100000_income_items_are_typed_errors(api):
    token = api.token("village_clerk", WUHUA)
    members = [(W1, "张三", "head")] + [
        (id_number(WUHUA, n % 999 + 1, f"19{50 + n // 999:02d}0101"), f"成员{n}", "child")
        for n in range(1, 10_000)
    ]
    _, errors = api.mutate(
        CREATE, {"input": household_doc(WUHUA, *members, propertyWithinLocalRules=True)}, token
    )
    assert codes(errors) == ["TOO_MANY_ITEMS"] and errors[0]["field"] == "members", errors
    income = [{"kind": "wages", "monthlyAmount": 1, "member": W1}] * 100_000
    body = json.dumps({"query": CREATE, "variables": {"input": _doc(income=income)}})
    r = raw(api, body.encode(), token)  # 100,000 items do not fit in a request
    assert r.status_code == 413 and graphql_error(r)["extensions"]["code"] == "BODY_TOO_LARGE"
    income = [{"kind": "wages", "monthlyAmount": 1, "member": W1}] * 201
    _payload, errors = api.mutate(CREATE, {"input": _doc(income=income)}, token)
    assert codes(errors) == ["TOO_MANY_ITEMS"] and errors[0]["field"] == "income", errors
    assert count(api, HouseholdRow) == 0


# -- who asks first ------------------------------------------------------------------------------

IMPORT = f"""mutation($input: HolidayTableInput!) {{
    importHolidayTable(input: $input) {{ {ERRORS} }} }}"""


@pytest.mark.parametrize("who", [None, "village_clerk"])
def test_import_holiday_table_checks_who_asks_before_validating(api, who):
    """An unauthorised caller learns nothing of the input's validity: the same answer for a
    valid table and for nonsense."""
    token = None if who is None else api.token(who, WUHUA)
    nonsense = {"year": 1, "source": {"title": "", "number": "", "date": "2027-01-01", "url": ""},
                "holidays": [], "workdays": []}  # fmt: skip
    data, errors = api.gql(IMPORT, {"input": nonsense}, token)
    expected = "UNAUTHENTICATED" if who is None else "FORBIDDEN"
    assert all_codes(data, errors) == [expected], (data, errors)


def _value_for(type_: Any, depth: int = 0) -> Any:
    """A value of GraphQL input type ``type_`` that is well typed and means nothing."""
    from graphql import (
        GraphQLEnumType,
        GraphQLInputObjectType,
        GraphQLList,
        GraphQLNonNull,
        GraphQLScalarType,
    )

    if isinstance(type_, GraphQLNonNull):
        return _value_for(type_.of_type, depth)
    if isinstance(type_, GraphQLList):
        return [_value_for(type_.of_type, depth + 1)]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        return {
            name: _value_for(field.type, depth + 1)
            for name, field in type_.fields.items()
            if isinstance(field.type, GraphQLNonNull) or depth == 0
        }
    assert isinstance(type_, GraphQLScalarType)
    return {"Int": 1, "Float": 1.5, "Boolean": True, "Date": "2024-01-01", "ID": "1",
            "JSON": {"x": 1}}.get(type_.name, "x")  # fmt: skip


def test_every_mutation_checks_who_asks_before_validating(api):
    """ "Check who asks first, everywhere": every mutation, called without a token on well-typed
    nonsense, answers UNAUTHENTICATED (as a GraphQL error or a userError), never a validation
    result. signIn is how a token is had: it answers SIGN_IN_FAILED, the same for every wrong
    name or password (nothing about which was wrong)."""
    from core.api.schema import schema

    mutation = schema._schema.mutation_type
    assert mutation is not None
    wrong: dict[str, list[str]] = {}
    for name, field in mutation.fields.items():
        args = {a: _value_for(f.type) for a, f in field.args.items()}
        params = ", ".join(f"${a}: {f.type}" for a, f in field.args.items())
        call = ", ".join(f"{a}: ${a}" for a in field.args)
        head = f"mutation({params})" if params else "mutation"
        selection = "{ userErrors { code } }" if "userErrors" in field.type.of_type.fields else (
            "{ __typename }")  # fmt: skip
        query = f"{head} {{ {name}{f'({call})' if call else ''} {selection} }}"
        data, errors = api.gql(query, args)
        found = codes(errors) if errors else codes((data or {})[name].get("userErrors", []))
        expected = ["SIGN_IN_FAILED"] if name == "signIn" else ["UNAUTHENTICATED"]
        if found != expected:
            wrong[name] = found
    assert wrong == {}


def test_case_step_inputs_have_limits(api):
    officer = api.token("township_officer", WUHUA)
    hid = _household(api, api.token("village_clerk", WUHUA))
    submit = f"""mutation($h: ID!) {{ submitApplication(householdId: $h, program: "dibao",
        on: "2024-01-05") {{ case {{ id version }} {ERRORS} }} }}"""
    case, errors = api.mutate(submit, {"h": hid}, officer)
    assert errors == []
    investigate = f"""mutation($id: ID!, $v: Int!, $who: [String!]!, $f: String) {{
        recordInvestigation(id: $id, expectedVersion: $v, on: "2024-01-06", investigators: $who,
            findings: $f) {{ case {{ version }} {ERRORS} }} }}"""
    args = {"id": case["case"]["id"], "v": case["case"]["version"], "who": ["甲", "乙"]}
    _, errors = api.mutate(investigate, {**args, "f": "查" * 2001}, officer)
    assert codes(errors) == ["TEXT_TOO_LONG"], errors
    _, errors = api.mutate(investigate, {**args, "who": ["甲"] * 101}, officer)
    assert codes(errors) == ["TOO_MANY_ITEMS"], errors
    _, errors = api.mutate(investigate, {**args, "f": "ok\x07"}, officer)
    assert codes(errors) == ["CONTROL_CHARACTER"], errors
    payload, errors = api.mutate(investigate, {**args, "f": "家中无劳动力\n收入不稳定"}, officer)
    assert errors == [] and payload["case"]["version"] == 2


def test_a_temporary_request_of_1e308_is_a_typed_error(api):
    token = api.token("county_approver", WUHUA)
    hid = _household(api, token)
    evaluate = f"""mutation($id: ID!, $r: TemporaryRequestInput) {{
        evaluateEligibility(householdId: $id, program: "temporary", request: $r) {{
            decision {{ eligible }} {ERRORS} }} }}"""
    _, errors = api.mutate(evaluate, {"id": hid, "r": {"kind": "emergency", "amount": 1e308}},
                           token)  # fmt: skip
    assert codes(errors) == ["NUMBER_OUT_OF_RANGE"], errors
