"""``doudi holidays``: list, show, check, add-working-days, between, import and audit.

Each test gets its own data directory (SQLite); one test runs import on PostgreSQL through
``DOUDI_DATABASE_URL``. The 2027 table is a TEST FIXTURE (tests/test_workdays.py).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from core.cli import cli
from core.policy.service import today
from tests.support.holidays import TABLE_2027, TITLE_2027


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "doudi-data"
    monkeypatch.setenv("DOUDI_DATA_DIR", str(d))
    monkeypatch.delenv("DOUDI_DATABASE_URL", raising=False)
    monkeypatch.delenv("DOUDI_TOKEN", raising=False)
    return d


@pytest.fixture
def run(data_dir: Path) -> Any:
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


def ok(result: Any) -> str:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.output
    return str(result.stdout)


def error(result: Any, code: int = 1) -> list[str]:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[0].startswith("doudi: error: ")
    return lines


def add_user(run: Any, name: str, role: str, code: str, env: dict[str, str] | None = None) -> str:
    out = ok(run("users", "add", name, "--role", role, "--jurisdiction", code, "--json", env=env))
    return str(json.loads(out)["token"])


def write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    if name.endswith(".json"):
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_reads_without_a_database(run: Any, data_dir: Path) -> None:
    out = json.loads(ok(run("holidays", "list", "--json")))
    assert [y["year"] for y in out["years"]] == list(range(2004, 2027))
    assert {y["origin"] for y in out["years"]} == {"chinese-calendar"}
    assert 2027 in range(today().year, today().year + 3) and 2027 in out["not_covered"]
    text = ok(run("holidays", "list"))
    assert "not covered: 2027" in text and "provisional" in text

    show = json.loads(ok(run("holidays", "show", "2026", "--json")))
    assert show["origin"] == "chinese-calendar" and show["source"] == "chinese-calendar 1.11.0"
    national = next(h for h in show["holidays"] if h["name"] == "国庆节")
    assert (national["from"], national["to"]) == ("2026-10-01", "2026-10-07")
    assert {"date": "2026-10-10", "name": "国庆节"} in show["workdays"]
    assert {"date": "2026-09-20", "name": "国庆节"} in show["workdays"]
    text = ok(run("holidays", "show", "2026"))
    assert "2026-10-01 – 2026-10-07" in text and "2026-02-15 – 2026-02-23" in text
    assert "NOT COVERED" in ok(run("holidays", "show", "2027"))

    due = json.loads(ok(run("holidays", "add-working-days", "2026-09-28", "10", "--json")))
    assert due == {
        "start": "2026-09-28",
        "days": 10,
        "date": "2026-10-16",
        "provisional": False,
        "uncovered_years": [],
    }
    text = ok(run("holidays", "add-working-days", "2026-12-20", "10"))
    # Friday 2027-01-01 (元旦) is a day off by law even without the notice.
    assert text.startswith("2027-01-04 (Mon): 10 working days after 2026-12-20")
    assert "PROVISIONAL: 2027 has no holiday table" in text
    assert "except the days off fixed by law" in text
    due = json.loads(ok(run("holidays", "add-working-days", "2027-09-29", "3", "--json")))
    assert (due["date"], due["provisional"]) == ("2027-10-05", True)  # 10-01 (Fri) skipped

    checked = json.loads(
        ok(
            run(
                "holidays",
                "check",
                "2026-10-08",
                "2026-10-10",
                "2026-10-03",
                "2027-01-01",
                "--json",
            )
        )
    )
    assert [(c["working"], c["kind"], c["provisional"]) for c in checked] == [
        (True, "workday", False),
        (True, "make_up_workday", False),
        (False, "holiday", False),
        (False, "holiday", True),
    ]
    assert checked[2]["name"] == "国庆节" and checked[3]["name"] == "元旦"
    text = ok(run("holidays", "check", "2026-10-10", "2027-01-01"))
    assert "make-up working day (调休上班): 国庆节" in text and "PROVISIONAL: 2027" in text
    assert "day off: 元旦" in text
    show = ok(run("holidays", "show", "2028"))
    assert "NOT COVERED" in show
    assert "2028-01-25 农历除夕, 2028-01-26 春节" in show and "2028-04-04 清明节" in show
    assert (
        "2028-05-01 劳动节, 2028-05-02 劳动节, 2028-10-02 国庆节, 2028-10-03 中秋节、国庆节" in show
    )

    between = json.loads(ok(run("holidays", "between", "2026-09-30", "2026-10-10", "--json")))
    assert between["working_days"] == 3 and not between["provisional"]
    between = json.loads(ok(run("holidays", "between", "2026-12-01", "2027-01-31", "--json")))
    assert between["provisional"] and between["uncovered_years"] == [2027]
    assert json.loads(ok(run("holidays", "audit", "--json"))) == []
    assert not data_dir.exists()  # reads never create a database


def test_usage_errors(run: Any) -> None:
    assert "not a valid date" in error(run("holidays", "check", "2026-02-30"), 2)[0]
    assert "-1" in error(run("holidays", "add-working-days", "2026-01-01", "-1"), 2)[0]
    assert "is before" in error(run("holidays", "between", "2026-02-01", "2026-01-01"), 2)[0]
    assert "does not exist" in error(run("holidays", "import", "nope.yaml"), 2)[0]


def test_import_then_deadlines_are_final(run: Any, tmp_path: Path) -> None:
    admin = add_user(run, "admin", "province_admin", "000000")
    f = write(tmp_path, "2027.yaml", TABLE_2027)
    # No token, a role that may not import: nothing is written.
    lines = error(run("holidays", "import", str(f)))
    assert "not authenticated" in lines[0]
    approver = add_user(run, "approver", "county_approver", "530102")
    lines = error(run("holidays", "import", str(f), "--token", approver))
    assert "forbidden: a county_approver may not import holiday tables" in lines[0]
    guangxi = add_user(run, "guangxi", "province_admin", "450000")
    lines = error(run("holidays", "import", str(f), "--force", "--token", guangxi))
    assert lines[0] == (
        "doudi: error: forbidden: a province_admin of 450000 may not import holiday tables: a "
        "table applies to the whole country, so only a national administrator (a province_admin "
        "of 000000) may"
    )
    assert json.loads(ok(run("holidays", "audit", "--json"))) == []

    result = run("holidays", "import", str(f), "--token", admin)
    text = ok(result)
    assert text.startswith(f"imported the 2027 holiday table: {TITLE_2027}")
    assert "29 days off, 5 make-up working days" in text
    assert result.stderr == ""  # no warnings for a table like a real notice

    due = json.loads(ok(run("holidays", "add-working-days", "2026-12-20", "10", "--json")))
    assert (due["date"], due["provisional"]) == ("2027-01-04", False)
    listed = json.loads(ok(run("holidays", "list", "--json")))
    assert listed["years"][-1]["year"] == 2027 and listed["years"][-1]["origin"] == "imported"
    assert listed["years"][-1]["imported_by"] == "admin"
    assert 2027 not in listed["not_covered"]
    show = ok(run("holidays", "show", "2027"))
    assert "2027: imported" in show and "imported by admin" in show and "春节" in show

    # Re-import (a corrected notice, as JSON, from the environment's token): it replaces.
    fixed = copy.deepcopy(TABLE_2027)
    fixed["holidays"][0]["to"] = "2027-01-04"
    fixed["workdays"].append("2027-01-09")
    g = write(tmp_path, "2027-fixed.json", fixed)
    out = json.loads(ok(run("holidays", "import", str(g), "--json", env={"DOUDI_TOKEN": admin})))
    assert out["replaced"]["imported_by"] == "admin" and out["replaced"]["file"] == "2027.yaml"
    due = json.loads(ok(run("holidays", "add-working-days", "2026-12-20", "10", "--json")))
    assert due["date"] == "2027-01-05"
    audit = json.loads(ok(run("holidays", "audit", "2027", "--json")))
    assert [(a["action"], a["file"]) for a in audit] == [
        ("replaced", "2027-fixed.json"),
        ("imported", "2027.yaml"),
    ]
    assert audit[0]["previous"]["file_name"] == "2027.yaml"
    assert "replaced" in ok(run("holidays", "audit"))


def test_a_bad_file_names_the_file_and_each_path(run: Any, tmp_path: Path) -> None:
    admin = add_user(run, "admin", "province_admin", "000000")
    bad = copy.deepcopy(TABLE_2027)
    bad["workdays"][0] = "2027-02-08"  # a Monday
    bad["holidays"][2] = {"from": "2027-04-05", "to": "2027-04-03"}
    f = write(tmp_path, "2027-bad.yaml", bad)
    lines = error(run("holidays", "import", str(f), "--token", admin))
    assert lines[0] == "doudi: error: 2 problems in holiday table 2027-bad.yaml, nothing imported:"
    assert lines[1].strip().startswith("- 2027-bad.yaml: $.holidays[2].to: 2027-04-03 is before")
    assert lines[2].strip().startswith("- 2027-bad.yaml: $.workdays[0]: 2027-02-08 is a Monday")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    lines = error(run("holidays", "import", str(broken), "--token", admin))
    assert "broken.json: $: invalid JSON" in lines[1]
    assert json.loads(ok(run("holidays", "audit", "--json"))) == []


def test_unusual_tables_need_force_and_warnings_go_to_stderr(run: Any, tmp_path: Path) -> None:
    admin = add_user(run, "admin", "province_admin", "000000")
    data = copy.deepcopy(TABLE_2027)
    data["workdays"] = data["workdays"][:-1]
    w = str(write(tmp_path, "w.yaml", data))
    lines = error(run("holidays", "import", w, "--token", admin))
    assert len(lines) == 1
    assert lines[0].startswith(
        "doudi: error: w.yaml: the 2027 holiday table needs confirming, nothing imported: "
        "$: 18 weekday days off minus 4 make-up days is 14; since 2025 there are 13"
    )
    assert lines[0].endswith("import it again with --force (importHolidayTable: force: true)")
    assert json.loads(ok(run("holidays", "audit", "--json"))) == []
    result = run("holidays", "import", w, "--force", "--token", admin)
    ok(result)
    assert "doudi: warning: w.yaml: $: 18 weekday days off minus 4 make-up days is 14" in (
        result.stderr
    )
    # A year chinese-calendar covers: both reasons on the one line.
    y2026 = copy.deepcopy(TABLE_2027)
    y2026.update(year=2026, holidays=["2026-01-01", "2026-10-01"], workdays=[])
    f = str(write(tmp_path, "2026.json", y2026))
    lines = error(run("holidays", "import", f, "--token", admin))
    assert len(lines) == 1
    assert "$.year: this table replaces chinese-calendar's data for 2026; $: 2 weekday" in lines[0]
    assert len(json.loads(ok(run("holidays", "audit", "--json")))) == 1
    # A distant make-up day alone is only a warning: imported without --force.
    far = copy.deepcopy(TABLE_2027)
    far["workdays"][3] = "2027-08-21"
    result = run("holidays", "import", str(write(tmp_path, "far.yaml", far)), "--token", admin)
    ok(result)
    assert "doudi: warning: far.yaml: $.workdays[3]: 2027-08-21 is" in result.stderr


def test_import_on_postgresql(run: Any, pg_server: Any, data_dir: Path, tmp_path: Path) -> None:
    url = pg_server.create_database()
    env = {"DOUDI_DATABASE_URL": url}
    try:
        admin = add_user(run, "admin", "province_admin", "000000", env=env)
        f = write(tmp_path, "2027.yaml", TABLE_2027)
        ok(run("holidays", "import", str(f), "--token", admin, env=env))
        due = json.loads(
            ok(run("holidays", "add-working-days", "2026-12-20", "10", "--json", env=env))
        )
        assert (due["date"], due["provisional"]) == ("2027-01-04", False)
        assert not data_dir.exists()
        # Without the URL the (absent) SQLite database is not created: still provisional.
        due = json.loads(ok(run("holidays", "add-working-days", "2026-12-20", "10", "--json")))
        assert due["provisional"] and due["uncovered_years"] == [2027]
    finally:
        pg_server.drop_database(url)
