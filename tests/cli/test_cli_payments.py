"""`doudi payments` on SQLite and PostgreSQL (``DOUDI_DATABASE_URL`` pointing at the databases of
``tests/support/db_backends.py``): run, result, list, summary, alerts, export; errors are one
``doudi: error:`` line with exit 1 and write nothing."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from core.access.tokens import create_user
from core.cli import cli
from core.storage.tables import PaymentResultRow, PaymentRow, PaymentRunRow
from tests.support.cli import ok, one_error
from tests.support.households import id_number
from tests.support.payments import DUYUN, LIBO, NO_ACCOUNT, WUHUA, insert_case


@pytest.fixture
def run(db, monkeypatch):
    monkeypatch.setenv("DOUDI_DATABASE_URL", db.url)
    runner = CliRunner()

    def invoke(*args: str, token: str | None = None):
        env = {"DOUDI_TOKEN": token} if token else {}
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def tokens(db, registry) -> dict[str, str]:
    out = {}
    for name, role, code in (
        ("approver", "county_approver", DUYUN),
        ("officer", "township_officer", DUYUN),
        ("clerk", "village_clerk", DUYUN),
        ("libo", "county_approver", LIBO),
        ("wuhua", "county_approver", WUHUA),
    ):
        with db.sessions() as s:
            _, out[name] = create_user(s, name, role, code, registry)
    return out


def count(db, model: Any) -> int:
    with db.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_run_list_result_summary_and_export(run, tokens, db, registry, tmp_path):
    paid = [insert_case(db.engine, registry, DUYUN, n) for n in (1, 2)]
    with_account = insert_case(
        db.engine,
        registry,
        DUYUN,
        3,
        account={
            "holderIdNumber": id_number(DUYUN, 300),
            "holderName": "+王五",
            "bank": "贵州农信",
            "accountNumber": "6222000011112222",
        },
    )
    dead = id_number(DUYUN, 301)
    held = insert_case(
        db.engine,
        registry,
        DUYUN,
        4,
        members=[
            {"idNumber": dead, "name": "亡", "relation": "spouse", "dateOfDeath": "2024-02-01"}
        ],
        account={"holderIdNumber": dead, "holderName": "亡", "bank": "b", "accountNumber": "9"},
    )
    bare = insert_case(db.engine, registry, DUYUN, 5, no_account=True)  # no 一卡通: held
    approver, officer = tokens["approver"], tokens["officer"]

    out = ok(run("payments", "run", DUYUN, "2024-03", "--on", "2024-03-05", token=approver))
    assert out.splitlines()[0] == (
        "2024-03 at 522701: 5 payments created (1500.00 yuan, 2 held), 0 already there"
    )
    again = json.loads(
        ok(run("payments", "run", DUYUN, "2024-03", "--on", "2024-03-06", "--json", token=approver))
    )
    assert (again["created"], again["alreadyThere"]) == (0, 5)
    assert again["released"] == 0 and again["policy"][DUYUN][0]["value"] == 20  # held: rechecked

    listed = json.loads(ok(run("payments", "list", DUYUN, "--json", token=tokens["clerk"])))
    by_case = {p["caseId"]: p for p in listed}
    assert set(by_case) == {*paid, with_account, held, bare}
    assert by_case[held]["status"] == "held" and by_case[paid[0]]["dueDate"] == "2024-03-20"
    assert by_case[bare]["status"] == "held"
    assert by_case[bare]["holdReason"].startswith(NO_ACCOUNT)
    assert by_case[with_account]["payee"]["accountNumber"] == "6222000011112222"
    table = ok(run("payments", "list", DUYUN, "--month", "2024-03", token=officer))
    assert table.splitlines()[0] == "5 payments" and "2024-03-20" in table

    pid = by_case[paid[0]]["id"]
    out = ok(
        run(
            "payments",
            "result",
            str(pid),
            "failed",
            "--on",
            "2024-03-21",
            "--note",
            "户名不符",
            token=officer,
        )
    )
    assert out.strip() == (
        f"payment {pid} (2024-03, case {paid[0]}): failed, attempt 1, to be paid again by "
        "2024-03-31"
    )
    done = json.loads(
        ok(
            run(
                "payments",
                "result",
                str(pid),
                "paid",
                "--on",
                "2024-03-29",
                "--expected-version",
                "2",
                "--json",
                token=officer,
            )
        )
    )
    assert [(r["attempt"], r["status"], r["recordedBy"]) for r in done["results"]] == [
        (1, "failed", "officer"),
        (2, "paid", "officer"),
    ]
    assert done["results"][0]["note"] == "户名不符"

    summary = json.loads(ok(run("payments", "summary", DUYUN, "2024-03", "--json", token=officer)))
    assert summary["count"] == 5 and summary["total"] == "1500.00"
    assert {x["status"]: x["count"] for x in summary["byStatus"]} == {
        "pending": 2,
        "held": 2,
        "paid": 1,
    }

    target = tmp_path / "batch.csv"
    out = ok(run("payments", "export", DUYUN, "2024-03", "-o", str(target), token=officer))
    assert out.strip() == f"wrote 2 payments to {target}"
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark, for Excel
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == [
        "序号",
        "户主/账户姓名",
        "身份证号",
        "开户银行",
        "账号",
        "金额(元)",
        "月份",
        "项目",
        "案件编号",
    ]
    assert [r[-1] for r in rows[1:]] == [str(paid[1]), str(with_account)]
    assert rows[2][1:6] == [
        "'+王五",
        id_number(DUYUN, 300),
        "贵州农信",
        "6222000011112222",
        "300.00",
    ]
    assert rows[1][0] == "1" and rows[2][6:8] == ["2024-03", "最低生活保障"]
    result = run("payments", "export", DUYUN, "2024-03", token=officer)
    assert result.exit_code == 0 and result.stdout_bytes == raw
    assert "without a bank account" not in result.stderr  # held, never in the batch


def test_alerts(run, tokens, db, registry):
    cid = insert_case(db.engine, registry, DUYUN, 1)
    approver, officer = tokens["approver"], tokens["officer"]
    unclaimed = (("2024-01", "2024-01-25"), ("2024-02", "2024-02-25"), ("2024-03", "2024-03-25"))
    for month, reported in unclaimed:
        ok(run("payments", "run", DUYUN, month, "--on", f"{month}-01", token=approver))
        [p] = [
            p
            for p in json.loads(
                ok(run("payments", "list", DUYUN, "--month", month, "--json", token=officer))
            )
        ]
        ok(run("payments", "result", str(p["id"]), "unclaimed", "--on", reported, token=officer))
    # Guizhou: 超过一定时限(如2个月)未领取的,要及时提醒 — more than 2 months: from the third
    out = ok(run("payments", "alerts", DUYUN, "--as-of", "2024-04-01", token=officer))
    lines = out.splitlines()
    assert lines[0] == "1 alert at 522701 on 2024-04-01"
    assert "unclaimed_reminder" in out and str(cid) in out and "2024-01, 2024-02, 2024-03" in out
    assert "payments.unclaimed_reminder_months = 2" in out and "如2个月" in out
    data = json.loads(
        ok(run("payments", "alerts", DUYUN, "--as-of", "2024-04-01", "--json", token=officer))
    )
    [alert] = data["alerts"]
    assert alert["kind"] == "unclaimed_reminder" and alert["caseId"] == cid
    assert alert["parameter"]["source"]["section"] == "二"
    assert alert["months"] == ["2024-01", "2024-02", "2024-03"]
    # two months unclaimed (January, February) on March 1: not more than 2, no reminder yet
    quiet = ok(run("payments", "alerts", DUYUN, "--as-of", "2024-03-01", token=officer))
    assert quiet.strip() == "0 alerts at 522701 on 2024-03-01"


def test_errors_are_one_line_and_write_nothing(run, tokens, db, registry):
    insert_case(db.engine, registry, DUYUN, 1)
    approver, officer = tokens["approver"], tokens["officer"]
    for args, token, expected in (
        (("payments", "run", DUYUN, "2024-13"), approver, "month: '2024-13' is not a month"),
        (("payments", "run", DUYUN, "2024-03"), officer, "forbidden: a township_officer may not"),
        (("payments", "run", DUYUN, "2024-03"), tokens["libo"], "forbidden: 522701"),
        (("payments", "run", DUYUN, "2024-03"), None, "this command acts as a user"),
        (("payments", "run", "99", "2024-03"), approver, "99"),
        (("payments", "result", "x1", "paid"), officer, "no payment with id 'x1'"),
        (("payments", "result", "42", "paid"), officer, "no payment 42"),
        (("payments", "export", DUYUN, "03-2024"), officer, "is not a month"),
        (("payments", "alerts", LIBO), officer, "forbidden"),
    ):
        line = one_error(run(*args, token=token))
        assert expected in line, (args, line)
    assert count(db, PaymentRow) == 0 and count(db, PaymentRunRow) == 0
    ok(run("payments", "run", DUYUN, "2024-03", "--on", "2024-03-05", token=approver))
    [p] = json.loads(ok(run("payments", "list", DUYUN, "--json", token=officer)))
    ok(run("payments", "result", str(p["id"]), "unclaimed", "--on", "2024-03-21", token=officer))
    line = one_error(
        run("payments", "result", str(p["id"]), "unclaimed", "--on", "2024-03-22", token=officer)
    )
    assert "cannot be reported unclaimed" in line
    line = one_error(
        run("payments", "result", str(p["id"]), "paid", "--on", "2024-03-22", token=tokens["clerk"])
    )
    assert "forbidden" in line
    assert count(db, PaymentResultRow) == 1
    result = run("payments", "result", str(p["id"]), "lost", token=officer)
    assert result.exit_code == 2 and result.stderr.startswith("doudi: error: ")


def test_a_county_without_a_due_day_warns(run, tokens, db, registry):
    insert_case(db.engine, registry, WUHUA, 1)
    result = run("payments", "run", WUHUA, "2024-03", "--on", "2024-03-05", token=tokens["wuhua"])
    assert result.exit_code == 0
    assert result.stderr.strip() == (
        "doudi: warning: payments.monthly_due_day is not set for 530102: no due date"
    )
