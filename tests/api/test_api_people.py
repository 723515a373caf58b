"""Knowing the people through GraphQL, on SQLite and PostgreSQL: a register file as base64 (dry
run, commit, every bad row and column as userErrors), rosters out, a department batch, a
comparison, findings and their resolution through the case machine, verification and the
low-income register; refusals are typed."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.policy.service import PolicyBase
from core.registers.examples import example_rows
from core.registers.writers import csv_bytes
from tests.support.api import Api, open_test_runtime
from tests.support.households import id_number
from tests.support.payments import insert_case

YONGFU = "450326"
E = "userErrors { field message code }"
IMPORT = f"""mutation($f: String!, $c: String!, $commit: Boolean!) {{
  importHouseholdRegister(fileName: $f, contentBase64: $c, commit: $commit) {{
    result {{ committed created updated unchanged members
      households {{ key action householdId }} }}
    {E} }} }}"""
BATCH = f"""mutation($c: String!) {{
  importDepartmentBatch(kind: "deaths", department: "公安", jurisdiction: "450326",
    batchDate: "2025-04-10", fileName: "deaths.csv", contentBase64: $c, commit: true) {{
    batch {{ id kind department records sha256 current }} {E} }} }}"""
COMPARE = f"""mutation {{ runComparison(jurisdiction: "450326", asOf: "2025-04-14") {{
    run {{ id recipients matches raised known byRule }} {E} }} }}"""
FINDINGS = """query { findings(jurisdiction: "450326") { id rule severity caseId name record
    meaning task { status level due deadline } } }"""
RESOLVE = f"""mutation($id: ID!) {{ resolveFinding(id: $id, outcome: "case_step",
    action: "record_death", on: "2025-04-15") {{ finding {{ status task {{ status outcome }} }}
    {E} }} }}"""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@pytest.fixture
def api(migrated_db_url: str, tmp_path: Path, base: PolicyBase) -> Iterator[Api]:
    rt = open_test_runtime(migrated_db_url, tmp_path, base)
    a = Api(rt)
    yield a
    a.close()
    rt.close()


def test_register_import_and_exports(api: Api):
    county = api.token("county_approver", YONGFU)
    content = b64(csv_bytes(example_rows(YONGFU, 5)))
    dry = api.ok(IMPORT, {"f": "r.csv", "c": content, "commit": False}, county)
    assert dry["importHouseholdRegister"]["result"]["created"] == 5
    assert not dry["importHouseholdRegister"]["result"]["committed"]
    assert {h["householdId"] for h in dry["importHouseholdRegister"]["result"]["households"]} == {
        None
    }  # a dry run stores nothing
    done = api.ok(IMPORT, {"f": "r.csv", "c": content, "commit": True}, county)
    assert done["importHouseholdRegister"]["result"]["committed"]
    # each created household leads to the household stored for it
    for h in done["importHouseholdRegister"]["result"]["households"]:
        assert h["action"] == "create" and h["householdId"] is not None
        stored = api.ok(f'{{ household(id: "{h["householdId"]}") {{ id }} }}', None, county)
        assert stored["household"]["id"] == h["householdId"]
    again = api.ok(IMPORT, {"f": "r.csv", "c": content, "commit": True}, county)
    assert again["importHouseholdRegister"]["result"]["unchanged"] == 5

    rows = [list(r) for r in example_rows(YONGFU, 2)]
    rows[1][6] = rows[1][6][:-1] + ("0" if rows[1][6][-1] != "0" else "1")
    rows[2][6] = "4.50326E+17"
    bad = api.ok(IMPORT, {"f": "bad.csv", "c": b64(csv_bytes(rows)), "commit": True}, county)
    payload = bad["importHouseholdRegister"]
    assert payload["result"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        ("第 2 行 身份证号", "INVALID_FILE"),
        ("第 3 行 身份证号", "INVALID_FILE"),
    ]
    assert "校验码不符" in payload["userErrors"][0]["message"]
    not_b64 = api.ok(IMPORT, {"f": "x.csv", "c": "***", "commit": False}, county)
    assert not_b64["importHouseholdRegister"]["userErrors"][0]["code"] == "INVALID_INPUT"
    no_token = api.ok(IMPORT, {"f": "r.csv", "c": content, "commit": False})
    assert no_token["importHouseholdRegister"]["userErrors"][0]["code"] == "UNAUTHENTICATED"

    data = api.ok(
        "{ householdRegisterTemplate(format: CSV) { fileName contentType contentBase64 } }"
    )["householdRegisterTemplate"]
    assert base64.b64decode(data["contentBase64"]).decode("utf-8-sig").startswith("户编号")
    town = api.token("township_officer", YONGFU)
    _, errors = api.gql(
        '{ householdRoster(jurisdiction: "450326", program: "dibao") { fileName } }', None, town
    )
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


def test_batch_comparison_finding_verification_and_register(api: Api):
    assert api.runtime is not None
    reg = api.runtime.policy.registry
    spouse = id_number(YONGFU, 500, "19800101")
    cid = insert_case(
        api.runtime.engine,
        reg,
        YONGFU,
        1,
        members=[{"idNumber": spouse, "name": "配偶", "relation": "spouse"}],
    )
    county = api.token("county_approver", YONGFU)
    town = api.token("township_officer", YONGFU)
    deaths = csv_bytes([["身份证号", "姓名", "死亡日期"], [spouse, "配偶", "2025-04-02"]])
    batch = api.ok(BATCH, {"c": b64(deaths)}, county)["importDepartmentBatch"]
    assert batch["batch"]["records"] == 1 and batch["batch"]["department"] == "公安"
    assert (
        api.ok(BATCH, {"c": b64(deaths)}, county)["importDepartmentBatch"]["userErrors"][0]["code"]
        == "ALREADY_IMPORTED"
    )
    run = api.ok(COMPARE, None, county)["runComparison"]["run"]
    assert (run["matches"], run["raised"]) == (1, 1)
    [f] = api.ok(FINDINGS, None, town)["findings"]
    assert f["rule"] == "deaths.recipient_died" and f["caseId"] == str(cid)
    assert f["task"]["level"] == "township" and f["task"]["due"] == "2025-04-17"
    assert f["meaning"]["sources"][0]["section"] == "二(六)"
    clerk = api.token("village_clerk", YONGFU)
    _, errors = api.gql(FINDINGS, None, clerk)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    done = api.ok(RESOLVE, {"id": f["id"]}, town)["resolveFinding"]
    assert done["finding"]["status"] == "resolved" and done["userErrors"] == []
    again = api.ok(RESOLVE, {"id": f["id"]}, town)["resolveFinding"]
    assert again["userErrors"][0]["code"] == "TASK_CLOSED"

    report = api.ok(
        f"""mutation {{ recordManualVerification(caseId: "{cid}", number: "永核〔2025〕1号",
            passed: true, on: "2025-04-16") {{ report {{ number source passed }} {E} }} }}""",
        None,
        county,
    )["recordManualVerification"]
    assert report["report"] == {"number": "永核〔2025〕1号", "source": "manual", "passed": True}
    reports = api.ok(f'{{ verificationReports(caseId: "{cid}") {{ number }} }}', None, county)
    assert reports["verificationReports"] == [{"number": "永核〔2025〕1号"}]

    person = id_number(YONGFU, 600, "19700101")
    made = api.ok(
        f"""mutation {{ recogniseLowIncome(idNumber: "{person}", name: "人", county: "450326",
            categories: ["marginal"], decision: "认定决定(示例)", tags: ["住房救助"],
            on: "2025-01-01") {{ person {{ id categories tags }} {E} }} }}""",
        None,
        town,
    )["recogniseLowIncome"]
    assert made["person"]["tags"] == ["住房救助"]
    flagged = api.ok(
        f"""mutation {{ changeLowIncome(id: "{made["person"]["id"]}", change: "flag",
            reason: "重病住院") {{ person {{ flagged }} {E} }} }}""",
        None,
        town,
    )["changeLowIncome"]
    assert flagged["person"]["flagged"] is True
    listed = api.ok(
        '{ lowIncomePeople(jurisdiction: "450326", flagged: true) { name } }', None, town
    )
    assert listed["lowIncomePeople"] == [{"name": "人"}]


RESOLVE_WITH = f"""mutation($id: ID!, $inputs: JSON) {{ resolveFinding(id: $id,
    outcome: "case_step", action: "record_death", on: "2025-04-15", inputs: $inputs) {{
    finding {{ status }} {E} }} }}"""


def test_a_case_steps_inputs_as_json_are_typed_by_its_spec(api: Api):
    """resolveFinding's inputs arrive as JSON: a date of death written as text is a date (it
    was a 500: the step compared text with a date), a malformed one or an input the step does
    not take is a typed userError, and nothing is written."""
    assert api.runtime is not None
    reg = api.runtime.policy.registry
    spouse = id_number(YONGFU, 501, "19800101")
    insert_case(
        api.runtime.engine,
        reg,
        YONGFU,
        1,
        members=[{"idNumber": spouse, "name": "配偶", "relation": "spouse"}],
    )
    county = api.token("county_approver", YONGFU)
    town = api.token("township_officer", YONGFU)
    deaths = csv_bytes([["身份证号", "姓名", "死亡日期"], [spouse, "配偶", "2025-04-02"]])
    api.ok(BATCH, {"c": b64(deaths)}, county)
    api.ok(COMPARE, None, county)
    [f] = api.ok(FINDINGS, None, town)["findings"]
    for inputs, code in (
        ({"dateOfDeath": "2025-02-30"}, "INVALID_INPUT"),
        ({"dateOfDeath": 20250401}, "INVALID_INPUT"),
        ({"colour": "red"}, "INVALID_INPUT"),
    ):
        refused = api.ok(RESOLVE_WITH, {"id": f["id"], "inputs": inputs}, town)["resolveFinding"]
        assert [e["code"] for e in refused["userErrors"]] == [code], (inputs, refused)
    [still] = api.ok(FINDINGS, None, town)["findings"]
    assert still["task"]["status"] == "open"
    done = api.ok(RESOLVE_WITH, {"id": f["id"], "inputs": {"dateOfDeath": "2025-04-01"}}, town)
    assert done["resolveFinding"]["userErrors"] == []
    assert done["resolveFinding"]["finding"]["status"] == "resolved"


def test_free_text_and_lists_by_the_platforms_rules(api: Api):
    """The texts and lists of knowing the people are held to core.validation's rules and
    refused as typed userErrors (never a 500), nothing written."""
    town = api.token("township_officer", YONGFU)
    person = id_number(YONGFU, 601, "19700101")
    long_name = "张" * 51
    refused = api.ok(
        f"""mutation {{ recogniseLowIncome(idNumber: "{person}", name: "{long_name}",
            county: "450326", categories: ["marginal"], decision: "认定决定(示例)",
            on: "2025-01-01") {{ person {{ id }} {E} }} }}""",
        None,
        town,
    )["recogniseLowIncome"]
    assert refused["person"] is None
    assert [e["code"] for e in refused["userErrors"]] == ["TEXT_TOO_LONG"]
    bell = api.ok(
        f"""mutation {{ recogniseLowIncome(idNumber: "{person}", name: "人",
            county: "450326", categories: ["marginal"], decision: "认定\\u0007决定",
            on: "2025-01-01") {{ person {{ id }} {E} }} }}""",
        None,
        town,
    )["recogniseLowIncome"]
    assert [e["code"] for e in bell["userErrors"]] == ["CONTROL_CHARACTER"]
    many = ", ".join(['"marginal"'] * 101)
    too_many = api.ok(
        f"""mutation {{ recogniseLowIncome(idNumber: "{person}", name: "人",
            county: "450326", categories: [{many}], decision: "认定决定(示例)",
            on: "2025-01-01") {{ person {{ id }} {E} }} }}""",
        None,
        town,
    )["recogniseLowIncome"]
    assert [e["code"] for e in too_many["userErrors"]] == ["TOO_MANY_ITEMS"]
    listed = api.ok('{ lowIncomePeople(jurisdiction: "450326") { name } }', None, town)
    assert listed["lowIncomePeople"] == []


def test_refusals_point_at_the_argument_they_are_about(api: Api):
    """A console shows a userError next to the field it names: a refusal whose message begins
    with one of the mutation's arguments names it (it used to come with field null)."""
    town = api.token("township_officer", YONGFU)
    person = id_number(YONGFU, 602, "19700101")

    def errors(query: str, name: str) -> list[tuple[str | None, str]]:
        payload = api.ok(query, None, town)[name]
        return [(e["field"], e["code"]) for e in payload["userErrors"]]

    assert errors(
        f"""mutation {{ recogniseLowIncome(idNumber: "{person}", name: "人", county: "450326",
            categories: ["nobody"], decision: "认定决定(示例)", on: "2025-01-01")
            {{ person {{ id }} {E} }} }}""",
        "recogniseLowIncome",
    ) == [("categories", "INVALID_INPUT")]
    assert errors(
        f"""mutation {{ recogniseLowIncome(idNumber: "{person}", name: "人", county: "450326",
            categories: ["marginal"], decision: "", on: "2025-01-01")
            {{ person {{ id }} {E} }} }}""",
        "recogniseLowIncome",
    ) == [("decision", "INVALID_INPUT")]
    made = api.ok(
        f"""mutation {{ recogniseLowIncome(idNumber: "{person}", name: "人", county: "450326",
            categories: ["marginal"], decision: "认定决定(示例)", on: "2025-01-01")
            {{ person {{ id }} {E} }} }}""",
        None,
        town,
    )["recogniseLowIncome"]["person"]["id"]
    assert errors(
        f"""mutation {{ changeLowIncome(id: "{made}", change: "renumber") {{ person {{ id }}
            {E} }} }}""",
        "changeLowIncome",
    ) == [("change", "INVALID_INPUT")]
    assert errors(
        f"""mutation {{ changeLowIncome(id: "{made}", change: "flag") {{ person {{ id }} {E} }}
            }}""",
        "changeLowIncome",
    ) == [("reason", "INVALID_INPUT")]
    assert errors(
        f"""mutation {{ changeLowIncome(id: "{made}", change: "tag", tag: "无此标签")
            {{ person {{ id }} {E} }} }}""",
        "changeLowIncome",
    ) == [("tag", "INVALID_INPUT")]
