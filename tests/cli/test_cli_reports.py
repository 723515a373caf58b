"""`doudi reports deadlines | campaigns | statistics`: tables, JSON, the CSV file (UTF-8 with
BOM) and one-line errors; the statistics on SQLite and PostgreSQL (``DOUDI_DATABASE_URL``
pointing at the databases of ``tests/support/db_backends.py``), cases built through the store."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import core.cases.store as store
from core.access.tokens import create_user
from core.cli import cli
from core.households.store import create_household
from tests.support.cli import ok, one_error
from tests.support.households import household_doc, id_number

D = dt.date
YONGFU = "450326"


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


# -- deadlines and campaigns: the policy only ----------------------------------------------------


def test_deadlines_table_and_json():
    out = ok(invoke("reports", "deadlines", "140302", "--from", "2024-02-01", "--to", "2024-02-29"))
    lines = out.splitlines()
    assert lines[0] == "2 report deadlines at 140302 城区 from 2024-02-01 to 2024-02-29"
    assert lines[3].startswith("2024-02-20  village_monthly     2024-02")
    assert "reports.village_monthly_due_day = 20" in lines[3] and "二(四)" in lines[3]
    assert lines[4].startswith("2024-02-29  township_to_county  2024-02")
    data = json.loads(
        ok(
            invoke(
                "reports",
                "deadlines",
                YONGFU,
                "--from",
                "2023-06-01",
                "--to",
                "2023-08-31",
                "--json",
            )
        )
    )
    assert [(d["kind"], d["period"], d["due"]) for d in data] == [
        ("monthly_statistics", "2023-07", "2023-08-04")
    ]
    p = data[0]["parameter"]
    assert p["path"] == "reports.monthly_statistics_due_day" and p["value"] == 4
    assert p["source"]["section"] == "四(四)" and p["layer"]["origin"] == "guangxi"
    none = ok(
        invoke("reports", "deadlines", "530102", "--from", "2024-01-01", "--to", "2024-12-31")
    )
    assert none.strip() == "0 report deadlines at 530102 五华区 from 2024-01-01 to 2024-12-31"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("140302", "--from", "2024-03-01", "--to", "2024-02-01"), "is before from"),
        (("140302", "--from", "2000-01-01", "--to", "2024-02-01"), "at most 1830 days"),
        (("999999", "--from", "2024-01-01", "--to", "2024-02-01"), "999999"),
    ],
)
def test_deadlines_errors_are_one_line(args, fragment):
    assert fragment in one_error(invoke("reports", "deadlines", *args))


def test_deadlines_need_both_dates():
    line = one_error(invoke("reports", "deadlines", "140302", "--from", "2024-01-01"), code=2)
    assert "--to" in line


def test_campaigns_table_and_json():
    out = ok(invoke("reports", "campaigns", YONGFU)).splitlines()
    assert out[0] == "1 campaign at 450326 永福县"
    assert out[3].startswith("2023-07-04  2023-07-14  动员部署阶段 (mobilise)")
    assert out[6].startswith("2023-09-15  ongoing     巩固成效阶段 (consolidate)")
    data = json.loads(ok(invoke("reports", "campaigns", YONGFU, "--from", "2023-08-01", "--json")))
    assert [(e["phase"], e["start"], e["end"]) for e in data] == [
        ("investigate", "2023-07-15", "2023-08-14"),
        ("rectify", "2023-08-15", "2023-09-14"),
        ("consolidate", "2023-09-15", None),
    ]
    assert data[0]["source"]["section"] == "三" and data[0]["plugin"] == "guangxi"
    assert (
        ok(invoke("reports", "campaigns", "450000")).strip()
        == "0 campaigns at 450000 广西壮族自治区"
    )
    assert "999999" in one_error(invoke("reports", "campaigns", "999999"))


# -- statistics: the database, a token ---------------------------------------------------------


@pytest.fixture
def stored(db, base, registry, monkeypatch) -> dict[str, str]:
    """Yongfu: a near relative of staff applies in August (filed); temporary assistance is
    given first in August and in September. Returns tokens."""
    monkeypatch.setenv("DOUDI_DATABASE_URL", db.url)
    with db.sessions() as s:
        clerk, _ = create_user(s, "clerk", "village_clerk", YONGFU, registry)
    with db.sessions() as s:
        officer, officer_token = create_user(s, "officer", "township_officer", YONGFU, registry)
    with db.sessions() as s:
        _, outsider = create_user(s, "outsider", "county_approver", "450321", registry)

    def household(n: int) -> int:
        doc = household_doc(YONGFU, (id_number(YONGFU, n), f"人{n}", "head"))
        with db.sessions() as s:
            return create_household(s, clerk, doc, registry, today=D(2023, 7, 1)).id

    with db.sessions() as s:
        store.open_case(
            s,
            base,
            officer,
            D(2023, 8, 5),
            household_id=household(1),
            program="dibao",
            near_relatives=[{"userId": clerk.id, "relation": "sibling"}],
        )
    for n, day in ((2, D(2023, 8, 10)), (3, D(2023, 9, 2))):
        with db.sessions() as s:
            case, _ = store.open_case(
                s, base, officer, day, household_id=household(n), program="temporary",
                amount="1500", kind="emergency",
            )  # fmt: skip
        with db.sessions() as s:
            store.apply_transition(s, base, case.id, 1, "assist_first", officer, day)
    return {"officer": officer_token, "outsider": outsider}


def test_statistics_table_json_and_csv(stored, tmp_path: Path):
    token = stored["officer"]
    out = ok(invoke("reports", "statistics", YONGFU, "--month", "2023-08", "--token", token))
    lines = out.splitlines()
    assert lines[0] == "全县困难群众救助保障政策落实专项治理进展情况统计表"
    assert lines[1].startswith("450326 永福县, 2023-08 (2023-08-01 to 2023-08-31")
    assert lines[2].startswith("due by 2023-09-04 (四(四)")
    row = next(line for line in lines if line.startswith("进行近亲属备案对象(人)"))
    assert row.split()[1] == "1"
    row = next(line for line in lines if line.startswith("配合纪检部门移交问题线索(件)"))
    assert row.split()[1] == "-" and "not recorded" in row

    data = json.loads(
        ok(
            invoke(
                "reports", "statistics", YONGFU, "--month", "2023-09", "--json", "--token", token
            )
        )
    )
    values = {r["key"]: r["value"] for r in data["rows"]}
    assert (values["temporary_given"], values["near_relative_filings"]) == (1, 0)
    assert values["warnings_total"] == 0 and values["meeting"] is None
    assert data["due"]["due"] == "2023-10-04"

    target = tmp_path / "yongfu-2023-08.csv"
    ok(invoke("reports", "statistics", YONGFU, "--month", "2023-08", "--csv", str(target),
              "--json", "--token", token))  # fmt: skip
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["项目", "item", "value", "note"]
    by_item = {r[0]: r for r in rows}
    assert by_item["进行近亲属备案对象(人)"][2] == "1"
    assert by_item["实施临时救助(人次) [not a line of the table]"][2] == "1"
    assert by_item["当月底受理…网上自助申请(件)"][2] == ""


def test_statistics_errors(stored, monkeypatch):
    args = ("reports", "statistics", YONGFU, "--month", "2023-08")
    assert "not authenticated" in one_error(invoke(*args))
    assert "forbidden" in one_error(invoke(*args, "--token", stored["outsider"]))
    assert "not authenticated" in one_error(invoke(*args, "--token", "not-a-token"))
    bad = ("reports", "statistics", YONGFU, "--token", stored["officer"], "--month")
    assert "YYYY-MM" in one_error(invoke(*bad, "2023-8"))
    assert "has not begun" in one_error(invoke(*bad, f"{dt.date.today().year + 1}-01"))


def test_statistics_need_a_database(tmp_path, monkeypatch):
    monkeypatch.delenv("DOUDI_DATABASE_URL", raising=False)
    monkeypatch.setenv("DOUDI_DATA_DIR", str(tmp_path / "empty"))
    line = one_error(invoke("reports", "statistics", YONGFU, "--month", "2023-08", "--token", "x"))
    assert "doudi db upgrade" in line
