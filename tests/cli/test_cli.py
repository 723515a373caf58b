"""The ``doudi`` command line: answers, JSON forms, plugin checks, and one-line errors.

Most tests run in-process with click's CliRunner; two run the real entry point in a subprocess to
prove the exit code and that no traceback reaches the user. Assertions on values use the Ningxia
plugin and the national layer; the other provinces are checked for structure only.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from core.cli import cli
from core.cli import output as cli_output
from core.cli.output import display_width, table
from core.errors import DataIssue, PolicyDataError
from core.policy import serialize
from core.policy.catalog import CORE_PARAMETERS
from core.policy.resolution import ResolvedParameter
from tests.support.cli import one_error as assert_one_error_line

ROOT = Path(__file__).resolve().parents[2]
YONGNING = "640121"
MAX_MONTHS = "dibao.phase_out.max_months"
PROVINCE_PLUGINS = {"guizhou", "shanxi", "yunnan", "guangxi", "ningxia"}


@pytest.fixture(autouse=True)
def no_database(tmp_path, monkeypatch):
    """Every test here runs on a fresh machine: an empty data directory, no database URL, no
    token (so the answers are the plugins' alone, whatever the developer's own data dir holds).
    """
    monkeypatch.setenv("DOUDI_DATA_DIR", str(tmp_path / "doudi-data"))
    monkeypatch.delenv("DOUDI_DATABASE_URL", raising=False)
    monkeypatch.delenv("DOUDI_TOKEN", raising=False)


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


# -- policy get ---------------------------------------------------------------------------------


def test_get_json_yongning_phase_out(run):
    result = run("policy", "get", YONGNING, MAX_MONTHS, "--as-of", "2021-06-01", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert {
        "path",
        "value",
        "is_set",
        "layer",
        "effective_from",
        "effective_until",
        "source",
        "overrides",
    } <= set(data)
    assert data["path"] == MAX_MONTHS
    assert data["value"] == 18
    assert data["is_set"] is True
    assert data["layer"]["level"] == "county"
    assert data["layer"]["code"] == YONGNING
    assert data["layer"]["origin"] == "ningxia"
    assert data["effective_from"] == "2020-12-16"
    assert data["source"]["number"] == "永民发〔2020〕138号"
    assert data["source"]["quote"]
    # The national 6-month rule starts only in 2022: nothing is overridden in mid-2021.
    assert data["overrides"] == []


def test_get_human_output_names_value_and_source(run):
    result = run("policy", "get", YONGNING, MAX_MONTHS, "--as-of", "2023-01-01")
    assert result.exit_code == 0, result.stderr
    assert f"{MAX_MONTHS} = 18 months" in result.stdout
    assert "永民发〔2020〕138号" in result.stdout
    assert "overrides: 6 from 000000" in result.stdout


def _unset_path(run, code: str, as_of: str) -> str:
    result = run("policy", "show", code, "--as-of", as_of, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    unset = [p for p in data["parameters"] if not p["is_set"]]
    assert unset, "expected at least one catalog path not set at a county"
    for p in unset:
        assert p["value"] is None
        assert p["layer"] is None and p["source"] is None and p["overrides"] == []
    return unset[0]["path"]


def test_not_set_path_is_null_never_zero(run):
    path = _unset_path(run, YONGNING, "2021-06-01")
    result = run("policy", "get", YONGNING, path, "--as-of", "2021-06-01", "--json")
    data = json.loads(result.stdout)
    assert data["is_set"] is False
    assert data["value"] is None
    assert data["effective_from"] is None
    human = run("policy", "get", YONGNING, path, "--as-of", "2021-06-01")
    assert "not set" in human.stdout


def test_serialize_not_set_parameter():
    spec = next(s for s in CORE_PARAMETERS if s.path == MAX_MONTHS)
    out = serialize.parameter(ResolvedParameter(spec, None, ()))
    assert out["value"] is None and out["is_set"] is False
    assert out["layer"] is None and out["source"] is None
    json.dumps(out)


# -- show, compare, explain, violations, catalog --------------------------------------------------


def test_show_table_and_json(run):
    result = run("policy", "show", YONGNING, "--prefix", "dibao.phase_out", "--as-of", "2021-06-01")
    assert result.exit_code == 0, result.stderr
    assert "永宁县" in result.stdout
    row = next(line for line in result.stdout.splitlines() if line.startswith(MAX_MONTHS))
    assert "18" in row and "2020-12-16" in row and "永民发〔2020〕138号" in row
    data = json.loads(
        run("policy", "show", YONGNING, "--prefix", "dibao.phase_out", "--json").stdout
    )
    assert data["jurisdiction"]["code"] == YONGNING
    assert all(p["path"].startswith("dibao.phase_out") for p in data["parameters"])


def test_compare_json_marks_differences(run):
    result = run(
        "policy", "compare", YONGNING, "640122", "national",
        "--path", MAX_MONTHS, "--as-of", "2023-01-01", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["path"] for r in rows] == [MAX_MONTHS]
    row = rows[0]
    assert row["differs"] is True
    assert set(row["cells"]) == {YONGNING, "640122", "000000"}
    assert row["cells"][YONGNING]["value"] == 18
    # A county's rule never reaches its sibling county: Helan gets the national value.
    assert row["cells"]["640122"]["value"] == 6
    assert row["cells"]["640122"]["layer"]["code"] == "000000"
    assert row["cells"]["000000"]["is_set"] is True


def test_compare_equal_rows_do_not_differ(run):
    # Two Yinchuan districts without data of their own resolve the same everywhere.
    result = run("policy", "compare", "640104", "640105", "--as-of", "2023-01-01", "--json")
    rows = json.loads(result.stdout)
    assert rows and not any(r["differs"] for r in rows)


def test_compare_table_has_marker_and_columns(run):
    result = run(
        "policy", "compare", YONGNING, "000000", "--prefix", "dibao.phase_out",
        "--as-of", "2023-01-01",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "640121 永宁县" in result.stdout and "000000 中华人民共和国" in result.stdout
    row = next(line for line in result.stdout.splitlines() if MAX_MONTHS in line)
    assert row.startswith("*")


def test_explain_shows_overrides_history_and_violations(run):
    args = ("policy", "explain", YONGNING, MAX_MONTHS, "--as-of", "2023-01-01")
    data = json.loads(run(*args, "--json").stdout)
    assert data["value"] == 18
    assert data["jurisdiction"]["code"] == YONGNING
    assert [o["value"] for o in data["overrides"]] == [6]
    assert data["overrides"][0]["layer"]["code"] == "000000"
    assert data["overrides"][0]["effective_from"] == "2022-10-20"
    assert data["history"][0]["effective_from"] == "2020-12-16"
    assert data["history"][0]["value"] == 18
    kinds = {v["kind"] for v in data["violations"]}
    assert "later_general_rule" in kinds
    assert all(v["path"] == MAX_MONTHS for v in data["violations"])

    human = run(*args)
    assert human.exit_code == 0, human.stderr
    for text in (
        "Overrides",
        "History at 640121 永宁县",
        "Violations on 2023-01-01",
        "民发〔2022〕83号",
    ):
        assert text in human.stdout


def test_violations_json(run):
    result = run("policy", "violations", YONGNING, "--as-of", "2023-01-01", "--json", "--checks")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert any(
        v["path"] == MAX_MONTHS and v["kind"] == "later_general_rule"
        and v["other"]["value"] == 6
        for v in data["violations"]
    )  # fmt: skip
    assert all(c["status"] in ("ok", "violated", "not_checked") for c in data["checks"])


def test_catalog(run):
    data = json.loads(run("policy", "catalog", "--prefix", "dibao.phase_out", "--json").stdout)
    spec = next(s for s in data if s["path"] == MAX_MONTHS)
    assert spec["unit"] == "months" and spec["type"] == "integer"
    assert "渐退期" in run("policy", "catalog").stdout


# -- jurisdictions and plugins ------------------------------------------------------------------


def test_jurisdictions_default_provinces_and_chain(run):
    provinces = json.loads(run("jurisdictions", "--json").stdout)
    codes = {j["code"] for j in provinces}
    assert {"640000", "530000", "520000", "450000", "140000"} <= codes
    assert all(j["level"] == "province" for j in provinces)
    chain = json.loads(run("jurisdictions", YONGNING, "--chain", "--json").stdout)
    assert [j["code"] for j in chain] == [YONGNING, "640100", "640000", "000000"]
    children = run("jurisdictions", "640100")
    assert "永宁县" in children.stdout


def test_plugins_list(run):
    result = run("plugins", "list", "--json")
    assert result.exit_code == 0, result.stderr
    data = {p["name"]: p for p in json.loads(result.stdout)}
    assert {"national", *PROVINCE_PLUGINS} <= set(data)
    assert data["national"]["builtin"] is True
    assert [j["code"] for j in data["national"]["jurisdictions"]] == ["000000"]
    assert data["ningxia"]["builtin"] is False
    assert [j["code"] for j in data["ningxia"]["jurisdictions"]] == ["640000"]
    assert "640121-yongning.yaml" in data["ningxia"]["files"]
    for name in PROVINCE_PLUGINS:
        p = data[name]
        assert set(p) >= {"version", "distribution", "files", "programs", "constraints"}
        assert p["jurisdictions"] and all(j["level"] for j in p["jurisdictions"])
    assert "NAME" in run("plugins", "list").stdout


GOOD = """\
jurisdiction: "640122"
description: A tiny test layer for Helan county.
documents:
  helan-test:
    title: 贺兰县测试文件
    number: 贺民发〔2021〕1号
parameters:
  dibao.phase_out.max_months:
    - from: "2021-01-01"
      value: 12
      source: {document: helan-test, section: 一, quote: 渐退期最长12个月}
  dibao.phase_out.exit_next_month_when_stable:
    - from: "2021-01-01"
      value: true
      source: {document: helan-test, section: 二, quote: 次月退出}
"""

BAD = """\
jurisdiction: "640122"
documents:
  helan-test: {title: 贺兰县测试文件}
parameters:
  dibao.phase_out.max_months:
    - from: "2021-13-01"
      value: -3
      source: {document: helan-test, section: 一, quote: 测试}
  dibao.no_such.path:
    - from: "2021-01-01"
      value: 1
      source: {document: helan-test, section: 一, quote: 测试}
  dibao.phase_out.min_months:
    - from: "2021-01-01"
      value: 2
      source: {document: missing-doc, section: 一, quote: 测试}
"""


# The document text the test layers quote (a plugin ships its documents as source.txt).
HELAN_TEXT = "贺兰县测试文件(非政策文件)\n一、渐退期最长12个月。\n二、收入稳定的,次月退出。测试\n"


def test_plugins_check_good_folder(run, tmp_path):
    folder = tmp_path / "helan_demo"
    (folder / "policy").mkdir(parents=True)
    (folder / "policy" / "640122-helan.yaml").write_text(GOOD, encoding="utf-8")
    (folder / "source.txt").write_text(HELAN_TEXT, encoding="utf-8")
    result = run("plugins", "check", str(folder), "--covers", "640000", "--as-of", "2021-06-01")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert result.stdout.startswith("ok: plugin 'helan_demo': 1 file, 2 values (640122 贺兰县)")
    assert "doudi: error" not in result.stderr

    # Checked against the installed policy: the later national 6-month rule is a warning only.
    later = run("plugins", "check", str(folder), "--as-of", "2023-01-01")
    assert later.exit_code == 0, later.stderr
    warnings = [line for line in later.stderr.splitlines() if line.startswith("doudi: warning:")]
    assert any(MAX_MONTHS in w and "later_general_rule" in w for w in warnings)


def test_plugins_check_single_file_and_installed_plugin(run, tmp_path):
    f = tmp_path / "640122-helan.json"
    f.write_text(json.dumps(yaml.safe_load(GOOD), ensure_ascii=False), "utf-8")
    (tmp_path / "source.txt").write_text(HELAN_TEXT, encoding="utf-8")
    assert run("plugins", "check", str(f)).exit_code == 0
    assert run("plugins", "check", str(ROOT / "plugins" / "ningxia")).exit_code == 0


def test_plugins_check_reports_every_issue(run, tmp_path):
    f = tmp_path / "bad_demo" / "640122-bad.yaml"
    f.parent.mkdir()
    f.write_text(BAD, encoding="utf-8")
    (f.parent / "source.txt").write_text(HELAN_TEXT, encoding="utf-8")
    result = run("plugins", "check", str(f.parent), "--covers", "530000")
    line = assert_one_error_line(result, 1)
    assert "plugin 'bad_demo'" in line and "5 problems" in line
    issues = result.stdout.splitlines()
    assert len(issues) == 5
    assert all(i.startswith("bad_demo: 640122-bad.yaml: $") for i in issues)
    paths = {i.split(": ")[2] for i in issues}
    assert paths == {
        "$.jurisdiction",  # outside --covers 530000
        '$.parameters["dibao.phase_out.max_months"][0].from',
        '$.parameters["dibao.phase_out.max_months"][0].value',
        '$.parameters["dibao.no_such.path"]',
        '$.parameters["dibao.phase_out.min_months"][0].source.document',
    }


# -- schema, serve --------------------------------------------------------------------------------


def test_schema_export(run, tmp_path):
    out = tmp_path / "schema"
    result = run("schema", "export", "--out", str(out))
    schema = json.loads((out / "policy-layer.schema.json").read_text(encoding="utf-8"))
    assert schema["$id"] == "urn:doudi:schema:policy-layer:1"
    assert MAX_MONTHS in schema["properties"]["parameters"]["properties"]
    assert result.exit_code == 0, result.stderr
    assert "type Query" in (out / "schema.graphql").read_text(encoding="utf-8")


def test_serve_reports_data_error_before_starting(run, monkeypatch):
    def broken():
        raise PolicyDataError([DataIssue("demo", "x.yaml", "$.jurisdiction", "bad code")])

    monkeypatch.setattr(cli_output, "get_policy_base", broken)
    result = run("serve", "--port", "8765")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "doudi: error: 1 problem in policy data:",
        "  - demo: x.yaml: $.jurisdiction: bad code",
    ]


# -- errors ---------------------------------------------------------------------------------------


def test_unknown_jurisdiction_is_one_line(run):
    result = run("policy", "get", "999999", MAX_MONTHS)
    line = assert_one_error_line(result, 1)
    assert "999999" in line
    assert result.stdout == ""


def test_unknown_path_is_one_line(run):
    line = assert_one_error_line(run("policy", "get", YONGNING, "dibao.phase_out.maxmonths"), 1)
    assert "did you mean" in line


@pytest.mark.parametrize("bad", ["2021-13-01", "20210601", "2021-6-1", "yesterday"])
def test_bad_as_of_is_one_line(run, bad):
    line = assert_one_error_line(run("policy", "get", YONGNING, MAX_MONTHS, "--as-of", bad), 2)
    assert "--as-of" in line


@pytest.mark.parametrize(
    "args",
    [
        ("nope",),
        ("policy", "show", YONGNING, "--bogus"),
        ("policy", "compare"),
        ("jurisdictions", "--chain"),
    ],
)
def test_usage_errors_are_one_line(run, args):
    assert_one_error_line(run(*args), 2)


def test_help_works(run):
    result = run("--help")
    assert result.exit_code == 0
    assert "policy" in result.stdout and "plugins" in result.stdout


def _doudi(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_subprocess_domain_error_exit_1_no_traceback():
    proc = _doudi("policy", "explain", "123456", MAX_MONTHS)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [proc.stderr.strip()]
    assert proc.stderr.startswith("doudi: error: ")
    assert "Traceback" not in proc.stderr


def test_subprocess_success_and_usage_error():
    ok = _doudi("policy", "get", YONGNING, MAX_MONTHS, "--as-of", "2021-06-01", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["source"]["number"] == "永民发〔2020〕138号"
    bad = _doudi("policy", "get", YONGNING, MAX_MONTHS, "--as-of", "2021-02-30")
    assert bad.returncode == 2
    assert len(bad.stderr.splitlines()) == 1 and bad.stderr.startswith("doudi: error: ")


# -- table layout ---------------------------------------------------------------------------------


def test_display_width_counts_cjk_twice():
    assert display_width("永宁县") == 6
    assert display_width("abc") == 3
    assert display_width("〔2020〕") == 8


def test_table_aligns_chinese_columns():
    text = table(["CODE", "NAME", "LEVEL"], [["640121", "永宁县", "county"], ["x", "ab", "y"]])
    lines = text.splitlines()
    starts = set()
    for line in lines:
        level = line.split()[-1]
        starts.add(display_width(line[: line.rindex(level)]))
    assert len(starts) == 1, textwrap.indent(text, "  ")


def test_the_root_help_lists_each_command_with_its_own_docstring():
    # ``doudi --help`` reads COMMANDS instead of importing every command module.
    from core.cli.main import COMMANDS

    for name, (module, attr, help_) in COMMANDS.items():
        command = getattr(importlib.import_module(f"core.cli.{module}"), attr)
        assert command.get_short_help_str(limit=1000) == help_, name
        assert cli.get_command(click.Context(cli), name) is command


def test_help_and_a_policy_read_import_only_what_they_need(tmp_path):
    # No database yet (a fresh machine): the read answers from the plugins alone.
    env = {**os.environ, "DOUDI_DATA_DIR": str(tmp_path)}
    env.pop("DOUDI_DATABASE_URL", None)
    code = (
        "import sys; from core.cli import main\n"
        "try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{{'strawberry', 'sqlalchemy', 'starlette', 'uvicorn', 'alembic'}} "
        "or m.startswith('core.api') or m.startswith('core.cases')))"
    )
    for args in (["--help"], ["policy", "get", "640121", "dibao.phase_out.max_months"]):
        out = subprocess.run(
            [sys.executable, "-c", code.format(args=args)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            check=True,
        ).stdout
        assert out.strip().splitlines()[-1] == "[]", (args, out)
