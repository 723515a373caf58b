"""Payments through GraphQL, on SQLite and PostgreSQL: runPayments (idempotent, all or
nothing), recordPaymentResult, payments (a Relay connection), paymentRun, paymentAlerts and
paymentsCsv; every refusal a typed userError or GraphQL error code, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from graphql import parse
from sqlalchemy import func, select, text

from core.api.schema import MAX_COST, estimated_cost, schema
from core.policy.service import PolicyBase
from core.storage.tables import CaseRow, PaymentResultRow, PaymentRow, PaymentRunRow
from tests.support.api import Api, codes, open_test_runtime
from tests.support.api_households import GET as GET_HOUSEHOLD
from tests.support.api_households import UPDATE as UPDATE_HOUSEHOLD
from tests.support.households import id_number
from tests.support.payments import (
    DUYUN,
    LIBO,
    NO_ACCOUNT,
    QIANNAN,
    WUHUA,
    head_account,
    insert_case,
)

ERRORS = "userErrors { field message code }"
PAYMENT = """id version caseId month amount amountFrom dueDate notSet status attempt repayBy
    holdReason payeeName payeeIdNumber bank accountNumber county { code }
    results { seq attempt status on note repayBy recordedBy }"""
RUN = f"""mutation($j: String!, $m: String!, $on: Date) {{
    runPayments(jurisdiction: $j, month: $m, on: $on) {{
        run {{ jurisdiction month on created alreadyThere held released createdTotal
               skipped {{ reason count }} notSet {{ county path }}
               policy {{ county parameters {{ path value isSet source {{ quote }} }} }} }}
        {ERRORS} }} }}"""
RESULT = f"""mutation($id: ID!, $s: PaymentResultStatus!, $on: Date, $note: String, $v: Int) {{
    recordPaymentResult(id: $id, status: $s, on: $on, note: $note, expectedVersion: $v) {{
        payment {{ {PAYMENT} }} {ERRORS} }} }}"""
LIST = f"""query($j: String!, $m: String, $s: PaymentStatus, $first: Int, $after: String) {{
    payments(jurisdiction: $j, month: $m, status: $s, first: $first, after: $after) {{
        edges {{ cursor node {{ {PAYMENT} }} }}
        pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}"""
SUMMARY = """query($j: String!, $m: String!) { paymentRun(jurisdiction: $j, month: $m) {
    jurisdiction month count total byStatus { status count total }
    runs { jurisdiction by created alreadyThere } } }"""
ALERTS = """query($j: String!, $d: Date) { paymentAlerts(jurisdiction: $j, asOf: $d) {
    asOf alerts { kind county caseId paymentIds months message due
                  parameter { path value source { title section quote } } }
    notSet { county path } } }"""
CSV = "query($j: String!, $m: String!) { paymentsCsv(jurisdiction: $j, month: $m) }"
GET = f"query($id: ID!) {{ payment(id: $id) {{ {PAYMENT} }} }}"


@pytest.fixture
def api(migrated_db_url: str, tmp_path: Path, base: PolicyBase) -> Iterator[Api]:
    rt = open_test_runtime(migrated_db_url, tmp_path, base)
    a = Api(rt)
    yield a
    a.close()
    rt.close()


class Seed:
    def __init__(self, api: Api) -> None:
        assert api.runtime is not None
        self.rt = api.runtime
        self.n = 0

    def case(self, county: str = DUYUN, **kw: Any) -> int:
        self.n += 1
        return insert_case(self.rt.engine, self.rt.policy.registry, county, self.n, **kw)

    def count(self, model: Any) -> int:
        with self.rt.sessions() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)


def run(
    api: Api, token: str | None, code: str = DUYUN, month: str = "2024-03", on: str = "2024-03-05"
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    payload, errors = api.mutate(RUN, {"j": code, "m": month, "on": on}, token)
    return payload["run"], errors


def test_a_month_run_read_paid_and_exported(api: Api) -> None:
    seed = Seed(api)
    approver = api.token("county_approver", DUYUN)
    officer = api.token("township_officer", DUYUN)
    auditor = api.token("auditor", QIANNAN)
    plain = [seed.case() for _ in range(3)]
    dead = id_number(DUYUN, 990)
    held = seed.case(
        members=[
            {"idNumber": dead, "name": "亡", "relation": "spouse", "dateOfDeath": "2024-02-01"}
        ],
        account={
            "holderIdNumber": dead,
            "holderName": "亡",
            "bank": "贵州农信",
            "accountNumber": "6222",
        },
    )
    seed.case(program="temporary", state="granted", data={"amount": "2000"})

    report, errors = run(api, approver)
    assert errors == []
    assert report["created"] == 4 and report["alreadyThere"] == 0 and report["held"] == 1
    assert report["createdTotal"] == 1200.0 and report["notSet"] == []
    [duyun] = report["policy"]
    assert duyun["county"] == DUYUN
    due = duyun["parameters"][0]
    assert due["path"] == "payments.monthly_due_day" and due["value"] == 20
    assert "每月20日前完成发放" in due["source"]["quote"]
    again, errors = run(api, approver)
    assert errors == [] and (again["created"], again["alreadyThere"]) == (0, 4)

    page = api.ok(LIST, {"j": DUYUN, "m": "2024-03", "first": 3}, auditor)["payments"]
    assert len(page["edges"]) == 3 and page["pageInfo"]["hasNextPage"]
    rest = api.ok(LIST, {"j": DUYUN, "first": 3, "after": page["pageInfo"]["endCursor"]}, auditor)[
        "payments"
    ]
    nodes = [e["node"] for e in page["edges"] + rest["edges"]]
    assert [int(n["caseId"]) for n in nodes] == [*plain, held]
    first = nodes[0]
    assert first["amount"] == 300.0 and first["dueDate"] == "2024-03-20"
    assert first["status"] == "PENDING" and first["amountFrom"] == "2024-01-01"
    assert first["county"] == {"code": DUYUN} and first["payeeName"].startswith("户主")
    assert nodes[3]["status"] == "HELD" and "亡" in nodes[3]["holdReason"]

    failed, errors = api.mutate(
        RESULT, {"id": first["id"], "s": "FAILED", "on": "2024-03-21", "note": "账户冻结"}, officer
    )
    assert errors == []
    assert failed["payment"]["status"] == "FAILED"
    assert failed["payment"]["repayBy"] == "2024-03-31"
    repaid, errors = api.mutate(
        RESULT, {"id": first["id"], "s": "PAID", "on": "2024-03-28", "v": 2}, officer
    )
    assert errors == []
    assert [(r["attempt"], r["status"]) for r in repaid["payment"]["results"]] == [
        (1, "FAILED"),
        (2, "PAID"),
    ]
    second = nodes[1]["id"]
    _, errors = api.mutate(RESULT, {"id": second, "s": "FAILED", "on": "2024-03-21"}, officer)
    assert errors == []

    summary = api.ok(SUMMARY, {"j": QIANNAN, "m": "2024-03"}, auditor)["paymentRun"]
    assert summary["count"] == 4 and summary["total"] == 1200.0
    assert {(x["status"], x["count"]) for x in summary["byStatus"]} == {
        ("PENDING", 1),
        ("HELD", 1),
        ("PAID", 1),
        ("FAILED", 1),
    }
    assert [(r["jurisdiction"], r["created"]) for r in summary["runs"]] == [(DUYUN, 4)]

    csv_text = api.ok(CSV, {"j": DUYUN, "m": "2024-03"}, auditor)["paymentsCsv"]
    lines = csv_text.lstrip("\ufeff").splitlines()
    assert csv_text.startswith("\ufeff序号,户主/账户姓名,身份证号")
    assert [line.rsplit(",", 1)[1] for line in lines[1:]] == [str(plain[1]), str(plain[2])]

    alerts = api.ok(ALERTS, {"j": DUYUN, "d": "2024-04-02"}, auditor)["paymentAlerts"]
    kinds = {(a["kind"], a["caseId"]) for a in alerts["alerts"]}
    assert kinds == {("REPAYMENT_OVERDUE", str(plain[1])), ("HEAD_CHANGE_OVERDUE", str(held))}
    overdue = next(a for a in alerts["alerts"] if a["kind"] == "REPAYMENT_OVERDUE")
    assert overdue["parameter"]["path"] == "payments.failed_repay_by"
    assert overdue["parameter"]["source"]["section"] == "二"
    assert "当月底前补发到位" in overdue["parameter"]["source"]["quote"]


def test_without_a_payment_account_held_and_released_once_recorded(api: Api) -> None:
    """A household with no paymentAccount (一卡通): its payment is HELD, never in the bank's
    batch, refused a result; updateHousehold records the account, the month's run again
    releases it (PENDING, to the account, in the batch)."""
    seed = Seed(api)
    approver = api.token("county_approver", DUYUN)
    officer = api.token("township_officer", DUYUN)
    clerk = api.token("village_clerk", DUYUN)
    paid, bare = seed.case(), seed.case(no_account=True)
    report, errors = run(api, approver)
    assert errors == [] and (report["created"], report["held"], report["released"]) == (2, 1, 0)
    nodes = {
        int(e["node"]["caseId"]): e["node"]
        for e in api.ok(LIST, {"j": DUYUN, "m": "2024-03"}, officer)["payments"]["edges"]
    }
    held = nodes[bare]
    assert held["status"] == "HELD" and held["holdReason"].startswith(NO_ACCOUNT)
    assert held["accountNumber"] is None and held["payeeName"].startswith("户主")
    assert nodes[paid]["status"] == "PENDING"
    csv_text = api.ok(CSV, {"j": DUYUN, "m": "2024-03"}, officer)["paymentsCsv"]
    assert [line.rsplit(",", 1)[1] for line in csv_text.splitlines()[1:]] == [str(paid)]
    payload, errors = api.mutate(
        RESULT, {"id": held["id"], "s": "PAID", "on": "2024-03-20"}, officer
    )
    assert payload["payment"] is None and codes(errors) == ["PAYMENT_HELD"]
    again, errors = run(api, approver, on="2024-03-06")
    assert errors == [] and (again["created"], again["released"]) == (0, 0)

    with seed.rt.sessions() as s:
        hid = s.scalar(select(CaseRow.household_id).where(CaseRow.id == bare))
    household = api.ok(GET_HOUSEHOLD, {"id": str(hid)}, clerk)["household"]
    doc = household["document"]
    head = doc["members"][0]
    account = head_account(head["idNumber"], head["name"], 77)
    _, errors = api.mutate(
        UPDATE_HOUSEHOLD, {"id": str(hid), "input": {**doc, "paymentAccount": account}}, clerk
    )
    assert errors == []
    released, errors = run(api, approver, on="2024-03-12")
    assert errors == [] and (released["created"], released["released"]) == (0, 1)
    node = api.ok(GET, {"id": held["id"]}, officer)["payment"]
    assert (node["status"], node["holdReason"], node["accountNumber"]) == (
        "PENDING",
        None,
        account["accountNumber"],
    )
    csv_text = api.ok(CSV, {"j": DUYUN, "m": "2024-03"}, officer)["paymentsCsv"]
    lines = csv_text.lstrip("\ufeff").splitlines()[1:]
    assert [line.rsplit(",", 1)[1] for line in lines] == [str(paid), str(bare)]
    assert f",{account['accountNumber']},300.00," in lines[1]


def test_refusals_are_typed_and_write_nothing(api: Api) -> None:
    seed = Seed(api)
    approver = api.token("county_approver", DUYUN)
    officer = api.token("township_officer", DUYUN)
    clerk = api.token("village_clerk", DUYUN)
    libo = api.token("county_approver", LIBO)
    cid = seed.case()
    for token, code, month, on, expected, field in (
        (None, DUYUN, "2024-03", "2024-03-05", "UNAUTHENTICATED", "jurisdiction"),
        (officer, DUYUN, "2024-03", "2024-03-05", "FORBIDDEN", "jurisdiction"),
        (libo, DUYUN, "2024-03", "2024-03-05", "FORBIDDEN", "jurisdiction"),
        (approver, DUYUN, "2024-13", "2024-03-05", "INVALID_INPUT", "month"),
        (approver, DUYUN, "March", "2024-03-05", "INVALID_INPUT", "month"),
        (approver, DUYUN, "2024-03", "2199-01-01", "INVALID_INPUT", "on"),  # in the future
        (approver, "999999", "2024-03", "2024-03-05", "UNKNOWN_JURISDICTION", "jurisdiction"),
    ):
        report, errors = run(api, token, code, month, on)
        assert report is None and [(e["code"], e["field"]) for e in errors] == [
            (expected, field)
        ], (token, code, month, errors)
    # a date no one can mean is refused at the door, the argument named
    _, errors = api.gql(RUN, {"j": DUYUN, "m": "2024-03", "on": "2999-01-01"}, approver)
    assert [e["extensions"]["code"] for e in errors] == ["DATE_OUT_OF_RANGE"]
    assert errors[0]["message"] == (
        "Variable '$on' has invalid value: 2999-01-01 is outside the dates doudi accepts "
        "(1900-01-01 to 2199-12-31)"
    )
    assert seed.count(PaymentRow) == 0 and seed.count(PaymentRunRow) == 0

    report, errors = run(api, approver)
    assert errors == [] and report["created"] == 1
    [edge] = api.ok(LIST, {"j": DUYUN}, officer)["payments"]["edges"]
    pid = edge["node"]["id"]
    for token, args, expected, field in (
        (clerk, {"id": pid, "s": "PAID", "on": "2024-03-20"}, "FORBIDDEN", "id"),
        (libo, {"id": pid, "s": "PAID", "on": "2024-03-20"}, "FORBIDDEN", "id"),
        (officer, {"id": "nope", "s": "PAID", "on": "2024-03-20"}, "NOT_FOUND", "id"),
        (officer, {"id": "99999", "s": "PAID", "on": "2024-03-20"}, "NOT_FOUND", "id"),
        (officer, {"id": pid, "s": "PAID", "on": "2024-03-01"}, "INVALID_INPUT", "on"),
        (
            officer,
            {"id": pid, "s": "PAID", "on": "2024-03-20", "v": 7},
            "VERSION_CONFLICT",
            "expectedVersion",
        ),
    ):
        payload, errors = api.mutate(RESULT, args, token)
        assert payload["payment"] is None
        assert [(e["code"], e["field"]) for e in errors] == [(expected, field)], (args, errors)
    assert seed.count(PaymentResultRow) == 0
    _, errors = api.mutate(RESULT, {"id": pid, "s": "UNCLAIMED", "on": "2024-03-20"}, officer)
    assert errors == []
    payload, errors = api.mutate(RESULT, {"id": pid, "s": "UNCLAIMED", "on": "2024-03-21"}, officer)
    assert codes(errors) == ["INVALID_TRANSITION"] and errors[0]["field"] == "status"
    assert seed.count(PaymentResultRow) == 1
    # a value that is not one of the enum's: rejected by GraphQL itself, not a 500
    data, errors = api.gql(RESULT, {"id": pid, "s": "LOST"}, officer)
    assert data is None and codes(errors) == ["BAD_USER_INPUT"]

    # queries answer refusals as GraphQL errors with a code
    for query, variables, token, expected in (
        (CSV, {"j": DUYUN, "m": "2024-3"}, officer, "INVALID_INPUT"),
        (CSV, {"j": DUYUN, "m": "2024-03"}, None, "UNAUTHENTICATED"),
        (SUMMARY, {"j": LIBO, "m": "2024-03"}, officer, "FORBIDDEN"),
        (LIST, {"j": DUYUN, "first": 0}, officer, "INVALID_INPUT"),
        (LIST, {"j": DUYUN, "after": "bm9wZQ"}, officer, "INVALID_INPUT"),
        (GET, {"id": "12345"}, officer, "NOT_FOUND"),
        (ALERTS, {"j": QIANNAN}, officer, "FORBIDDEN"),
    ):
        data, errors = api.gql(query, variables, token)
        assert codes(errors) == [expected], (query, errors)
    assert api.ok(GET, {"id": pid}, clerk)["payment"]["caseId"] == str(cid)


def test_a_run_the_database_refuses_half_way_is_rolled_back(api: Api) -> None:
    seed = Seed(api)
    approver = api.token("county_approver", DUYUN)
    ids = [seed.case() for _ in range(2500)]  # three batches of 1000
    with seed.rt.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                text(
                    "CREATE FUNCTION fail_payment() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.case_id = {ids[2100]} THEN RAISE EXCEPTION 'disk full'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER fail_payment BEFORE INSERT ON payments FOR EACH ROW "
                    "EXECUTE FUNCTION fail_payment()"
                )
            )
        else:
            conn.execute(
                text(
                    f"CREATE TRIGGER fail_payment BEFORE INSERT ON payments WHEN NEW.case_id = "
                    f"{ids[2100]} BEGIN SELECT RAISE(ABORT, 'disk full'); END"
                )
            )
    report, errors = run(api, approver)
    assert report is None and codes(errors) == ["RUN_FAILED"]
    assert "nothing was written" in errors[0]["message"] and "disk full" in errors[0]["message"]
    assert seed.count(PaymentRow) == 0 and seed.count(PaymentRunRow) == 0


def test_where_the_due_day_is_not_set_the_api_says_so(api: Api) -> None:
    seed = Seed(api)
    approver = api.token("county_approver", WUHUA)
    seed.case(county=WUHUA)
    report, errors = run(api, approver, WUHUA)
    assert errors == [] and report["notSet"] == [
        {"county": WUHUA, "path": "payments.monthly_due_day"}
    ]
    [edge] = api.ok(LIST, {"j": WUHUA}, approver)["payments"]["edges"]
    assert edge["node"]["dueDate"] is None
    assert edge["node"]["notSet"] == ["payments.monthly_due_day"]


def test_full_pages_of_payments_and_alerts_fit_the_cost_limit() -> None:
    """A page of 100 payments with their results, and the alerts with their sources, are
    answered (counted with the sizes core.api.payments.LIST_SIZES gives), not refused."""
    for query in (LIST, ALERTS, SUMMARY):
        [cost] = estimated_cost(schema._schema, parse(query)).values()
        assert cost < MAX_COST, (query, cost)
    [cost] = estimated_cost(schema._schema, parse(LIST)).values()
    assert cost > 100 * 20  # counted as 100 payments, not the default 20
