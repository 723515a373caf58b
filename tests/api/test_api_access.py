"""Signing in, administering users, the steps open on a case and the household search, through
GraphQL: typed userErrors on the field at fault, who asks checked first, nothing cached.

Standards in yuan are EXAMPLE values set as local settings (no document sets one), as in
tests/api/test_api_cases.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

from core.access.accounts import set_password
from core.access.signin import MAX_FAILURES
from core.cases import ACTIONS
from core.policy.service import PolicyBase
from tests.support.api import Api, open_test_runtime
from tests.support.api_cases import AFTER, DAY0, World, d
from tests.support.db_backends import SqliteTemplate

PW = "an example password"
ERRORS = "userErrors { field message code }"
SIGN_IN = f"""mutation($n: String!, $p: String!) {{ signIn(name: $n, password: $p) {{
    token expiresAt me {{ name role permissions jurisdiction {{ code }} }} {ERRORS} }} }}"""
ME = "{ me { name role permissions sessionExpiresAt jurisdiction { code name } } }"
SIGN_OUT = f"mutation {{ signOut {{ signedOut {ERRORS} }} }}"
ACCOUNTS = """query($j: String!) { userAccounts(jurisdiction: $j) { name role active hasPassword
    failedSignIns lockedUntil validTokens jurisdiction { code }
    tokens { id kind scope valid expiresAt } } }"""
CREATE_USER = f"""mutation($input: CreateUserInput!) {{ createUser(input: $input) {{
    token account {{ name role hasPassword }} {ERRORS} }} }}"""
RESET = f"""mutation($n: String!, $p: String!) {{ resetPassword(name: $n, password: $p) {{
    account {{ name lockedUntil failedSignIns }} {ERRORS} }} }}"""
ACTIVE = f"""mutation($n: String!, $a: Boolean!) {{ setUserActive(name: $n, active: $a) {{
    account {{ name active }} {ERRORS} }} }}"""
ISSUE = f"""mutation($n: String!, $s: String!) {{ issueToken(name: $n, scope: $s) {{
    token apiToken {{ id kind scope }} {ERRORS} }} }}"""
REVOKE = f"""mutation($n: String!, $t: ID) {{ revokeTokens(name: $n, tokenId: $t) {{
    revoked {ERRORS} }} }}"""
ACTIONS_Q = """query($id: ID!, $on: Date) { caseActions(id: $id, on: $on) {
    on case { id state version } actions { action mutation open code message waitUntil } } }"""
SEARCH = """query($j: String!, $t: String!) { householdSearch(jurisdiction: $j, text: $t) {
    id headName county { code } members { name idNumber idNumberMasked matches } } }"""
HOUSEHOLD_FIELDS = """id idNumbersMasked document members { idNumber name }
    memberHistory { idNumber } income { member } expenses { member }
    paymentAccount { holderIdNumber holderName accountNumber }"""
HOUSEHOLD = f"query($id: ID!) {{ household(id: $id) {{ {HOUSEHOLD_FIELDS} }} }}"
HOUSEHOLDS = f"""query($j: String!) {{ households(jurisdiction: $j) {{
    edges {{ node {{ {HOUSEHOLD_FIELDS} }} }} }} }}"""
CASE_HOUSEHOLD = f"query($id: ID!) {{ case(id: $id) {{ household {{ {HOUSEHOLD_FIELDS} }} }} }}"
EVALUATE = f"""mutation($h: ID!) {{ evaluateEligibility(householdId: $h, program: "dibao",
    asOf: "{d(DAY0)}") {{ decision {{ status }} {ERRORS} }} }}"""
DECISIONS = """query($h: ID!) { decisions(householdId: $h) { membersCovered members { idNumber }
    income { income { member } } json } }"""


SHANXI = "140302"


@pytest.fixture
def world(sqlite_template: SqliteTemplate, tmp_path: Path, base: PolicyBase) -> Iterator[World]:
    rt = open_test_runtime(sqlite_template.clone(tmp_path / "access.sqlite3"), tmp_path, base)
    a = Api(rt)
    yield World(a)
    a.close()
    rt.close()


def named_user(w: World, name: str, role: str, code: str, password: str | None = PW) -> str:
    from core.access.tokens import create_user

    rt = w.api.runtime
    with rt.sessions() as s:
        _, token = create_user(s, name, role, code, rt.policy.registry)
        if password is not None:
            set_password(s, name, password, dt.datetime.now(dt.UTC))
    return token


def sign_in(w: World, name: str, password: str) -> dict:
    payload, _ = w.api.mutate(SIGN_IN, {"n": name, "p": password}, None)
    return payload


def test_sign_in_me_and_sign_out(world: World) -> None:
    w = world
    named_user(w, "li", "township_officer", SHANXI)
    bad = sign_in(w, "li", "not the password")
    assert bad["token"] is None
    assert [(e["field"], e["code"]) for e in bad["userErrors"]] == [("password", "SIGN_IN_FAILED")]
    unknown = sign_in(w, "nobody", PW)
    assert unknown["userErrors"][0]["message"] == bad["userErrors"][0]["message"]

    ok = sign_in(w, "li", PW)
    assert ok["userErrors"] == [] and ok["token"] and ok["expiresAt"]
    assert ok["me"]["role"] == "township_officer" and "act_on_cases" in ok["me"]["permissions"]
    me = w.api.ok(ME, token=ok["token"])["me"]
    assert (me["name"], me["jurisdiction"]["code"]) == ("li", SHANXI)
    assert me["sessionExpiresAt"] == ok["expiresAt"]
    assert "see_id_numbers" in me["permissions"] and "manage_users" not in me["permissions"]
    # The console shows the steps of knowing the people by these names (a township resolves
    # findings; only a county runs comparisons).
    assert {"read_department_data", "resolve_findings"} <= set(me["permissions"])
    assert "run_comparisons" not in me["permissions"]
    payload, errors = w.api.mutate(SIGN_OUT, {}, ok["token"])
    assert errors == [] and payload == {"signedOut": True, "userErrors": []}
    _, errors = w.api.gql(ME, token=ok["token"])
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_lockout_through_the_api(world: World) -> None:
    w = world
    named_user(w, "li", "township_officer", SHANXI)
    for _ in range(MAX_FAILURES - 1):
        assert sign_in(w, "li", "wrong wrong")["userErrors"][0]["code"] == "SIGN_IN_FAILED"
    [e] = sign_in(w, "li", "wrong wrong")["userErrors"]
    assert (e["field"], e["code"]) == ("name", "ACCOUNT_LOCKED") and "15 minutes" in e["message"]
    [e] = sign_in(w, "li", PW)["userErrors"]  # the right password does not open it now
    assert e["code"] == "ACCOUNT_LOCKED"
    admin = named_user(w, "sx", "province_admin", "140000")
    payload, errors = w.api.mutate(RESET, {"n": "li", "p": "a fresh password"}, admin)
    assert errors == [] and payload["account"]["lockedUntil"] is None
    assert sign_in(w, "li", "a fresh password")["token"]


def test_administration_within_jurisdiction(world: World) -> None:
    w = world
    admin = named_user(w, "sx", "province_admin", "140000")
    clerk = named_user(w, "clerk", "village_clerk", SHANXI)
    yunnan = named_user(w, "yn", "province_admin", "530000")

    # who asks comes first
    _, errors = w.api.gql(ACCOUNTS, {"j": "140000"}, clerk)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    _, errors = w.api.gql(ACCOUNTS, {"j": "140000"}, yunnan)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    payload, _ = w.api.mutate(RESET, {"n": "clerk", "p": "whatever 12345"}, yunnan)
    assert payload["userErrors"][0]["code"] == "FORBIDDEN"

    new = {"name": "zhang", "role": "county_approver", "jurisdiction": SHANXI, "password": PW}
    payload, errors = w.api.mutate(CREATE_USER, {"input": new}, admin)
    assert errors == [] and payload["token"] and payload["account"]["hasPassword"] is True
    payload, _ = w.api.mutate(CREATE_USER, {"input": new}, admin)
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [("name", "INVALID_INPUT")]
    bad = {**new, "name": "wang", "password": "short"}
    payload, _ = w.api.mutate(CREATE_USER, {"input": bad}, admin)
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        ("password", "WEAK_PASSWORD")
    ]
    bad = {**new, "name": "wang", "jurisdiction": "999999"}
    payload, _ = w.api.mutate(CREATE_USER, {"input": bad}, admin)
    assert payload["userErrors"][0]["field"] == "jurisdiction"
    bad = {**new, "name": "wang", "role": "village_clerk", "jurisdiction": "140000"}
    payload, _ = w.api.mutate(CREATE_USER, {"input": bad}, admin)
    assert payload["userErrors"][0]["field"] == "jurisdiction"  # a clerk works at a county

    accounts = w.api.ok(ACCOUNTS, {"j": "140000"}, admin)["userAccounts"]
    assert {a["name"] for a in accounts} == {"sx", "clerk", "zhang"}
    zhang = next(a for a in accounts if a["name"] == "zhang")
    assert zhang["validTokens"] == 1 and zhang["tokens"][0]["kind"] == "script"

    payload, errors = w.api.mutate(ISSUE, {"n": "zhang", "s": "calendar"}, admin)
    assert errors == [] and payload["apiToken"]["scope"] == "calendar"
    payload, _ = w.api.mutate(ISSUE, {"n": "zhang", "s": "everything"}, admin)
    assert payload["userErrors"][0]["field"] == "scope"
    tid = w.api.ok(ACCOUNTS, {"j": SHANXI}, admin)["userAccounts"][1]["tokens"][0]["id"]
    payload, _ = w.api.mutate(REVOKE, {"n": "zhang", "t": tid}, admin)
    assert payload == {"revoked": 1, "userErrors": []}
    payload, _ = w.api.mutate(ACTIVE, {"n": "zhang", "a": False}, admin)
    assert payload["account"]["active"] is False
    assert sign_in(w, "zhang", PW)["userErrors"][0]["code"] == "SIGN_IN_FAILED"


EXPIRING = f"""mutation($n: String!, $h: Int) {{ issueToken(name: $n, expiresInHours: $h) {{
    token apiToken {{ id kind expiresAt valid }} {ERRORS} }} }}"""


def test_a_script_token_issued_with_an_expiry_is_refused_after_it(world: World) -> None:
    """Issue 11: 「Tokens for scripts may carry an expiry; expired tokens are refused like
    revoked ones」 — over GraphQL too (issueToken's expiresInHours), beside the sessions' own
    expiry: authentication honours both."""
    from sqlalchemy import update

    from core.storage.tables import TokenRow

    w = world
    admin = named_user(w, "sx", "province_admin", "140000")
    named_user(w, "script", "township_officer", SHANXI, password=None)
    before = dt.datetime.now(dt.UTC)
    payload, errors = w.api.mutate(EXPIRING, {"n": "script", "h": 90 * 24}, admin)
    assert errors == [] and payload["userErrors"] == []
    issued = payload["apiToken"]
    assert issued["kind"] == "script" and issued["valid"] is True
    expires = dt.datetime.fromisoformat(issued["expiresAt"])
    assert abs(expires - before - dt.timedelta(days=90)) < dt.timedelta(minutes=5)
    token = payload["token"]
    assert w.api.ok(ME, token=token)["me"]["sessionExpiresAt"] == issued["expiresAt"]
    never, _ = w.api.mutate(EXPIRING, {"n": "script", "h": None}, admin)
    assert never["apiToken"]["expiresAt"] is None
    for bad in (0, 24 * 3650 + 1, -5):
        refused, _ = w.api.mutate(EXPIRING, {"n": "script", "h": bad}, admin)
        assert refused["token"] is None
        assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
            ("expiresInHours", "INVALID_INPUT")
        ]
    # the day after it expires, the token is refused like a revoked one; a session as well
    session = sign_in(w, "sx", PW)["token"]
    rt = w.api.runtime
    with rt.sessions() as s, s.begin():  # type: ignore[union-attr]
        s.execute(
            update(TokenRow)
            .where(TokenRow.expires_at.is_not(None))
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    for expired in (token, session):
        _, errors = w.api.gql(ME, token=expired)
        assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "expired" in errors[0]["message"]
    assert w.api.ok(ME, token=never["token"])["me"]["name"] == "script"  # no expiry: still works
    accounts = w.api.ok(ACCOUNTS, {"j": SHANXI}, admin)["userAccounts"]
    script = next(a for a in accounts if a["name"] == "script")
    assert script["validTokens"] == 2  # the first token (no expiry) and the one without expiry


def test_user_accounts_read_the_tokens_of_all_users_in_one_batch(world: World) -> None:
    w = world
    admin = named_user(w, "sx", "province_admin", "140000")
    engine = w.api.runtime.engine  # type: ignore[union-attr]
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "local_settings_revision" not in statement and not statement.startswith("BEGIN"):
            statements.append(statement)

    def listed() -> tuple[list[dict], int]:
        statements.clear()
        found = w.api.ok(ACCOUNTS, {"j": "140000"}, admin)["userAccounts"]
        return found, len(statements)

    for n in range(2):
        named_user(w, f"few{n}", "township_officer", SHANXI, password=None)
    event.listen(engine, "before_cursor_execute", count)
    try:
        few, few_statements = listed()
        for n in range(10):
            named_user(w, f"many{n}", "township_officer", SHANXI, password=None)
        many, many_statements = listed()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert (len(few), len(many)) == (3, 13)
    assert few_statements == many_statements, statements
    assert all(len(a["tokens"]) == 1 and a["tokens"][0]["kind"] == "script" for a in many)


def test_case_actions_follow_the_machine(world: World) -> None:
    w = world
    w.standard(SHANXI)
    clerk, officer = w.token("village_clerk", SHANXI), w.token("township_officer", SHANXI)
    approver = w.token("county_approver", SHANXI)
    f = w.submit(clerk, w.household(SHANXI, clerk))

    def open_steps(token: str, on: str) -> dict[str, dict]:
        got = w.api.ok(ACTIONS_Q, {"id": f.id, "on": on}, token)["caseActions"]
        assert len(got["actions"]) == len(ACTIONS)
        return {a["action"]: a for a in got["actions"]}

    steps = open_steps(officer, d(DAY0, 1))
    assert steps["record_investigation"]["open"] is True
    assert steps["record_investigation"]["mutation"] == "recordInvestigation"
    assert steps["confirm_case"]["code"] == "INVALID_TRANSITION"
    assert open_steps(clerk, d(DAY0, 1))["record_investigation"]["code"] == "WRONG_LEVEL"
    # a day before the case's last step is refused for every step
    early = open_steps(officer, d(DAY0, -1))
    assert {a["code"] for a in early.values()} == {"INVALID_INPUT"}

    f.to_publicity(officer)
    # Shanxi: publicity runs 7 days, the county confirms, after verification
    steps = open_steps(approver, d(DAY0, 4))
    assert steps["confirm_case"]["code"] == "PUBLICITY_NOT_OVER"
    assert steps["confirm_case"]["waitUntil"] == d(DAY0, 10)
    assert steps["record_verification"]["open"] is True
    steps = open_steps(approver, d(AFTER))
    assert steps["confirm_case"]["code"] == "VERIFICATION_REQUIRED"
    assert steps["reject_case"]["open"] is True
    assert open_steps(officer, d(AFTER))["confirm_case"]["code"] == "WRONG_LEVEL"
    f("recordVerification", approver, passed=True, on=d(AFTER))
    assert open_steps(approver, d(AFTER))["confirm_case"]["open"] is True
    # nothing was written by asking
    assert (
        w.api.ok(ACTIONS_Q, {"id": f.id}, approver)["caseActions"]["case"]["version"]
        == (f.case["version"])
    )

    # an official of another county learns nothing about the case
    other = w.token("county_approver", "140303")
    _, errors = w.api.gql(ACTIONS_Q, {"id": f.id}, other)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    _, errors = w.api.gql(ACTIONS_Q, {"id": f.id, "on": "2199-01-01"}, approver)
    assert errors[0]["extensions"]["code"] == "INVALID_INPUT"  # in the future
    _, errors = w.api.gql(ACTIONS_Q, {"id": f.id, "on": "2999-01-01"}, approver)
    assert errors[0]["extensions"]["code"] == "DATE_OUT_OF_RANGE"  # no date doudi accepts


def test_household_search_masks_id_numbers_for_auditors(world: World) -> None:
    w = world
    clerk = w.token("village_clerk", SHANXI)
    hid = w.household(SHANXI, clerk, 7, 8)
    auditor = w.token("auditor", "140300")
    found = w.api.ok(SEARCH, {"j": SHANXI, "t": "成员7"}, clerk)["householdSearch"]
    assert [h["id"] for h in found] == [hid]
    head = found[0]["members"][0]
    assert head["matches"] is True and head["idNumberMasked"] is False
    number = head["idNumber"]
    assert len(number) == 18 and "*" not in number
    masked = w.api.ok(SEARCH, {"j": "140300", "t": number[:10]}, auditor)["householdSearch"]
    m = masked[0]["members"][0]
    assert m["idNumber"] == number[:6] + "********" + number[-4:] and m["idNumberMasked"]
    assert w.api.ok(SEARCH, {"j": SHANXI, "t": "没有这个人"}, clerk)["householdSearch"] == []
    _, errors = w.api.gql(SEARCH, {"j": "530102", "t": "成员7"}, clerk)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    _, errors = w.api.gql(SEARCH, {"j": SHANXI, "t": " "}, clerk)
    assert errors[0]["extensions"]["code"] == "INVALID_INPUT"


def _numbers(found: object) -> set[str]:
    """Every value under an ID-number key (idNumber, member, holderIdNumber, membersCovered)
    anywhere in ``found``."""
    out: set[str] = set()
    if isinstance(found, dict):
        for k, v in found.items():
            if k in ("idNumber", "member", "holderIdNumber") and isinstance(v, str):
                out.add(v)
            elif k == "membersCovered":
                out.update(v)
            else:
                out |= _numbers(v)
    elif isinstance(found, list):
        for v in found:
            out |= _numbers(v)
    return out


def test_households_show_id_numbers_in_full_only_to_the_staff_who_handle_cases(
    world: World,
) -> None:
    w = world
    w.standard(SHANXI)
    clerk = w.token("village_clerk", SHANXI)
    hid = w.household(SHANXI, clerk, 3, 4)
    doc = w.api.ok(HOUSEHOLD, {"id": hid}, clerk)["household"]["document"]
    head, spouse = (m["idNumber"] for m in doc["members"])
    account = {"holderIdNumber": spouse, "holderName": "成员4", "bank": "中国农业银行",
               "accountNumber": "6228480012345678"}  # fmt: skip
    update = """mutation($id: ID!, $input: HouseholdInput!) { updateHousehold(id: $id,
        input: $input) { household { id } userErrors { field code } } }"""
    payload, _ = w.api.mutate(update, {"id": hid, "input": {**doc, "paymentAccount": account}},
                              clerk)  # fmt: skip
    assert payload["userErrors"] == []
    assert w.api.mutate(EVALUATE, {"h": hid}, clerk)[0]["userErrors"] == []
    f = w.submit(clerk, hid)
    full = {head, spouse}
    masked = {n[:6] + "********" + n[-4:] for n in full}

    def seen(token: str) -> list[object]:
        return [
            w.api.ok(HOUSEHOLD, {"id": hid}, token)["household"],
            w.api.ok(HOUSEHOLDS, {"j": SHANXI}, token)["households"]["edges"],
            w.api.ok(CASE_HOUSEHOLD, {"id": f.id}, token)["case"]["household"],
            w.api.ok(DECISIONS, {"h": hid}, token)["decisions"],
        ]

    for token in (clerk, w.token("township_officer", SHANXI), w.token("county_approver", SHANXI)):
        views = seen(token)
        assert views[0]["idNumbersMasked"] is False
        assert all(_numbers(v) == full for v in views), views
    readers = [
        ("auditor", "140300", "FORBIDDEN"),
        ("province_admin", "140000", "INVALID_ID_NUMBER"),
    ]
    for role, code, refusal in readers:
        token = w.token(role, code)
        views = seen(token)
        assert views[0]["idNumbersMasked"] is True
        # in every field and in the stored documents (household and decision JSON) alike
        assert all(_numbers(v) == masked for v in views), views
        assert not any(n in str(views) for n in full)
        # a masked document is no household to write back (an auditor writes none): refused,
        # nothing changed
        shown = views[0]["document"]
        payload, _ = w.api.mutate(update, {"id": hid, "input": shown}, token)
        assert payload["household"] is None
        assert refusal in {e["code"] for e in payload["userErrors"]}
    assert w.api.ok(HOUSEHOLD, {"id": hid}, clerk)["household"]["document"]["members"] == doc[
        "members"
    ]


@pytest.mark.parametrize("query", [ME, ACCOUNTS])
def test_needs_a_token(world: World, query: str) -> None:
    _, errors = world.api.gql(query, {"j": "140000"})
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
