"""The README's walk from a fresh install to a resolved finding, through the CLI, on SQLite and
PostgreSQL: the template, an example register imported (dry run, commit, again), a household in
payment, a death list in GBK, the comparison, the finding resolved by the township through the
case machine; then rosters, the publicity list, verification and the register."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from stdnum.cn import ric

from core.cli import cli
from tests.support.cli import ok, one_error

YONGFU = "450326"


@pytest.fixture
def run(db, monkeypatch, tmp_path):
    monkeypatch.setenv("DOUDI_DATABASE_URL", db.url)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str, token: str | None = None):
        env = {"DOUDI_TOKEN": token} if token else {}
        return runner.invoke(cli, list(args), catch_exceptions=False, env=env)

    return invoke


def _token(result) -> str:
    return json.loads(ok(result))["token"]


def test_from_template_to_a_resolved_finding(run, tmp_path: Path):
    ok(run("demo", "load"))
    town = _token(
        run(
            "users", "add", "wang", "--role", "township_officer", "--jurisdiction", YONGFU, "--json"
        )
    )
    county = _token(
        run("users", "add", "li", "--role", "county_approver", "--jurisdiction", YONGFU, "--json")
    )
    ok(run("households", "template", "-o", "模板.xlsx"))
    assert (tmp_path / "模板.xlsx").stat().st_size > 0
    ok(run("households", "example", YONGFU, "--households", "60", "-o", "register.xlsx"))
    out = ok(run("households", "import", "register.xlsx", token=county))
    assert "dry run" in out and "60 new" in out
    assert "60 new" in ok(run("households", "import", "register.xlsx", "--commit", token=county))
    again = json.loads(
        ok(run("households", "import", "register.xlsx", "--commit", "--json", token=county))
    )
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 60)

    listed = json.loads(
        ok(run("households", "list", YONGFU, "--first", "100", "--json", token=county))
    )
    mine = [h for h in listed["items"] if "(示例)" in h["household"]["members"][0]["name"]]
    # an urban two-person household, eligible against the example standard (810 yuan)
    hh = next(
        h for h in mine if h["household"]["area"] == "urban" and len(h["household"]["members"]) == 2
    )
    spouse = hh["household"]["members"][1]
    ok(
        run(
            "households",
            "set-account",
            str(hh["id"]),
            "--holder",
            hh["household"]["members"][0]["idNumber"],
            "--bank",
            "广西农村信用社",
            "--account",
            "6221000000000009999",
            token=county,
        )
    )
    opened = ok(
        run("cases", "open", str(hh["id"]), "dibao", "--on", "2025-03-03", "--json", token=town)
    )
    case_id = str(json.loads(opened)["id"])  # after the demo's own cases
    steps = [
        (
            "record_investigation",
            ["--input", "investigators=王", "--input", "investigators=李"],
            "2025-03-04",
        ),
        ("record_first_review", [], "2025-03-05"),
        ("start_publicity", [], "2025-03-05"),
        ("confirm_case", [], "2025-03-13"),
    ]
    for version, (action, extra, on) in enumerate(steps, start=1):
        ok(
            run(
                "cases",
                "act",
                case_id,
                action,
                "--expected-version",
                str(version),
                *extra,
                "--on",
                on,
                token=town,
            )
        )
    body = "45032619400101001"
    stranger = body + ric.calc_check_digit(body + "0")
    text = f"身份证号,姓名,死亡日期\r\n{spouse['idNumber']},{spouse['name']},2025-04-02\r\n"
    text += f"{stranger},某某,2025-04-05\r\n"
    (tmp_path / "deaths.csv").write_bytes(text.encode("gbk"))
    imported = ok(
        run(
            "exchange",
            "import",
            "deaths",
            "deaths.csv",
            "--department",
            "公安",
            "--jurisdiction",
            YONGFU,
            "--batch-date",
            "2025-04-10",
            "--commit",
            token=county,
        )
    )
    assert "imported as batch 1" in imported and "GB18030" in imported
    err = one_error(
        run(
            "exchange",
            "import",
            "deaths",
            "deaths.csv",
            "--department",
            "气象局",
            "--jurisdiction",
            YONGFU,
            "--batch-date",
            "2025-04-10",
            token=county,
        )
    )
    assert "unknown department" in err
    compared = ok(run("exchange", "compare", YONGFU, "--as-of", "2025-04-14", token=county))
    assert "1 new finding(s)" in compared
    shown = ok(run("exchange", "show", "1", token=town))
    assert "record_death" in shown and "死亡人员未按规定及时退出社会救助" in shown
    assert "due 2025-04-17" in shown
    resolved = ok(
        run(
            "exchange",
            "resolve",
            "1",
            "case_step",
            "--action",
            "record_death",
            "--on",
            "2025-04-15",
            token=town,
        )
    )
    assert "resolved" in resolved
    case = json.loads(ok(run("cases", "show", case_id, "--json", token=town)))
    assert case["data"]["deaths"][0]["on"] == "2025-04-02"
    sup = json.loads(ok(run("exchange", "supervise", YONGFU, "--json", token=county)))
    assert sup["open"] == 0
    # the imported households, the case's steps and the death the finding recorded are all in
    # their county's keyed audit chain
    audit = json.loads(ok(run("audit", "verify", "--json")))
    assert audit["ok"] and audit["problems"] == []
    assert audit["chains"] >= 2 and audit["events"] >= 6

    roster = ok(
        run(
            "households",
            "roster",
            YONGFU,
            "dibao",
            "--department",
            "医保",
            "-o",
            "roster.csv",
            token=county,
        )
    )
    assert "roster.csv" in roster
    content = (tmp_path / "roster.csv").read_text(encoding="utf-8-sig")
    assert spouse["idNumber"] in content and "# 导出人: li" in content
    ok(run("households", "publicity", YONGFU, "dibao", "-o", "publicity.csv", token=town))
    public = (tmp_path / "publicity.csv").read_text(encoding="utf-8-sig")
    head = hh["household"]["members"][0]["idNumber"]
    assert head not in public and head[:4] + "*" * 10 + head[-4:] in public
    assert "第二十四条" in public
    one_error(run("households", "roster", YONGFU, "dibao", "-o", "x.csv", token=town))

    entry = json.loads(
        ok(
            run(
                "lowincome",
                "recognise",
                "--id-number",
                head,
                "--name",
                "户主",
                "--county",
                YONGFU,
                "--category",
                "dibao",
                "--decision",
                "认定决定(示例)",
                "--on",
                "2025-03-13",
                "--json",
                token=town,
            )
        )
    )
    ok(run("lowincome", "tag", str(entry["id"]), "大额医疗支出对象", token=town))
    listed = ok(run("lowincome", "list", YONGFU, "--tag", "大额医疗支出对象", token=town))
    assert "大额医疗支出对象" in listed
