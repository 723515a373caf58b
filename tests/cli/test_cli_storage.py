"""The CLI over the database: db, users, local settings, eligibility preview and demo data.

Each test gets its own data directory (``DOUDI_DATA_DIR`` in tmp, so SQLite); one test runs the
write path on a real PostgreSQL through ``DOUDI_DATABASE_URL`` (the cluster of
``tests/support/db_backends.py``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from core.access.roles import Role
from core.cli import cli
from core.cli.output import parse_value
from core.cli.users import ROLES
from core.demo import (
    EXAMPLE_SETTINGS,
    EXAMPLE_SOURCE,
    household_documents,
)
from core.households.model import parse_household
from core.policy.jurisdictions import load_registry
from core.settings import SQLITE_FILE
from core.storage.engine import head_revision, make_engine
from core.storage.tables import HouseholdRow, LocalSettingAuditRow, LocalSettingRow
from tests.support.cli import ok, one_error
from tests.support.households import household_doc, id_number

WUHUA, YONGNING = "530102", "640121"
URBAN, TEKUN = "dibao.standard.urban", "tekun.standard.basic"
RULE = "yunnan.tekun_basic_standard_floor"
SOURCE = "五华区民政局关于2024年城市低保标准的通知 (test fixture, not an official figure)"


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "doudi-data"
    monkeypatch.setenv("DOUDI_DATA_DIR", str(d))
    monkeypatch.delenv("DOUDI_DATABASE_URL", raising=False)
    monkeypatch.delenv("DOUDI_TOKEN", raising=False)
    return d


@pytest.fixture
def run(data_dir):
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None):
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


def add_user(run, name: str, role: str, code: str) -> str:
    data = json.loads(
        ok(run("users", "add", name, "--role", role, "--jurisdiction", code, "--json"))
    )
    return data["token"]


def audit(run, token: str, code: str) -> list[dict]:
    return json.loads(ok(run("policy", "audit", code, "--json", "--token", token)))


# -- db ----------------------------------------------------------------------------------------


def test_db_upgrade_on_an_empty_directory(run, data_dir):
    assert not data_dir.exists()
    out = ok(run("db", "current", "--json"))
    assert json.loads(out)["exists"] is False
    assert not data_dir.exists()  # asking creates nothing

    out = ok(run("db", "upgrade"))
    assert (data_dir / SQLITE_FILE).is_file()
    assert f"migrated from empty to {head_revision()}" in out
    again = json.loads(ok(run("db", "upgrade", "--json")))
    assert again["previous_revision"] == again["revision"] == head_revision()
    assert str(data_dir) in again["database"]

    current = json.loads(ok(run("db", "current", "--json")))
    assert current["current"] == current["head"] == head_revision()
    assert current["up_to_date"] is True
    assert "up to date" in ok(run("db", "current"))


def test_reads_on_a_fresh_machine_create_no_database(run, data_dir, tmp_path):
    file = tmp_path / "h.json"
    file.write_text(json.dumps(_yongning_household()), encoding="utf-8")
    for args in (
        ("policy", "get", YONGNING, URBAN),
        ("policy", "show", YONGNING, "--prefix", "dibao.standard"),
        ("policy", "compare", YONGNING, WUHUA, "--prefix", "dibao.standard"),
        ("policy", "explain", WUHUA, TEKUN),
        ("policy", "violations", WUHUA),
        ("eligibility", "preview", str(file), "--program", "dibao"),
        ("users", "list"),
        ("db", "current"),
    ):
        ok(run(*args))
    assert not data_dir.exists()
    # a command that needs the database says how to create it, and still creates nothing
    line = one_error(run("policy", "local", YONGNING, "--token", "x"))
    assert "doudi db upgrade" in line
    assert not data_dir.exists()


def test_reads_refuse_a_database_that_is_not_migrated(run, data_dir):
    data_dir.mkdir()
    (data_dir / SQLITE_FILE).write_bytes(b"")
    line = one_error(run("policy", "get", YONGNING, URBAN))
    assert "doudi db upgrade" in line


# -- users -------------------------------------------------------------------------------------


def test_users_add_prints_the_token_once(run):
    data = json.loads(
        ok(
            run(
                "users",
                "add",
                "alice",
                "--role",
                "county_approver",
                "--jurisdiction",
                WUHUA,
                "--json",
            )
        )
    )
    assert set(data) >= {"token", "name", "role", "jurisdiction"}
    assert (data["name"], data["role"], data["jurisdiction"]) == ("alice", "county_approver", WUHUA)
    token = data["token"]
    assert len(token) >= 40

    human = ok(run("users", "add", "bob", "--role", "auditor", "--jurisdiction", "530000"))
    assert "shown once" in human
    bob_token = human.strip().splitlines()[-1]
    assert human.count(bob_token) == 1

    listed = ok(run("users", "list", "--json"))
    assert token not in listed and bob_token not in listed
    assert [u["name"] for u in json.loads(listed)] == ["alice", "bob"]
    assert "county_approver" in ok(run("users", "list"))

    # both tokens work; a new one can be issued, and revoked with the others
    assert json.loads(ok(run("policy", "local", WUHUA, "--json", "--token", token))) == []
    ok(run("policy", "local", "530000", "--token", bob_token))
    new = json.loads(ok(run("users", "token", "alice", "--json")))["token"]
    ok(run("policy", "local", WUHUA, "--token", new))
    assert "revoked 2 tokens" in ok(run("users", "revoke", "alice"))
    assert "not authenticated" in one_error(run("policy", "local", WUHUA, "--token", token))


def test_users_add_errors(run, data_dir):
    one_error(run("users", "add", "x", "--role", "mayor", "--jurisdiction", WUHUA), 2)
    assert "999999" in one_error(
        run("users", "add", "x", "--role", "auditor", "--jurisdiction", "999999")
    )
    assert not data_dir.exists()  # a bad code fails before the database is created
    add_user(run, "alice", "auditor", WUHUA)
    assert "already exists" in one_error(
        run("users", "add", "alice", "--role", "auditor", "--jurisdiction", WUHUA)
    )


def test_cli_roles_are_the_auth_roles():
    assert set(ROLES) == {r.value for r in Role}


# -- policy set ----------------------------------------------------------------------------------


def test_policy_set_becomes_a_local_setting_layer(run):
    token = add_user(run, "alice", "county_approver", WUHUA)
    out = ok(
        run(
            "policy",
            "set",
            WUHUA,
            URBAN,
            "800",
            "--from",
            "2024-01-01",
            "--source",
            SOURCE,
            "--token",
            token,
        )
    )
    assert f"set {URBAN} = 800" in out and "before: not set" in out

    got = json.loads(ok(run("policy", "get", WUHUA, URBAN, "--as-of", "2024-06-01", "--json")))
    assert got["value"] == 800 and got["is_set"] is True
    assert got["layer"]["kind"] == "local" and got["layer"]["code"] == WUHUA
    assert got["source"]["title"] == SOURCE
    assert got["effective_from"] == "2024-01-01"
    before = json.loads(ok(run("policy", "get", WUHUA, URBAN, "--as-of", "2023-12-31", "--json")))
    assert before["is_set"] is False

    human = ok(run("policy", "get", WUHUA, URBAN, "--as-of", "2024-06-01"))
    assert "local setting" in human and SOURCE in human and "alice" in human

    explain = ok(run("policy", "explain", WUHUA, URBAN, "--as-of", "2024-06-01"))
    assert "local setting" in explain and SOURCE in explain
    assert "530102 五华区 (county; local setting)" in explain  # the history row

    compare = ok(
        run("policy", "compare", WUHUA, "530103", "--path", URBAN, "--as-of", "2024-06-01")
    )
    assert "800 (local setting)" in compare
    row = json.loads(
        ok(
            run(
                "policy",
                "compare",
                WUHUA,
                "530103",
                "--path",
                URBAN,
                "--json",
                "--as-of",
                "2024-06-01",
            )
        )
    )[0]
    assert row["differs"] is True
    assert row["cells"][WUHUA]["layer"]["kind"] == "local"
    assert row["cells"]["530103"]["is_set"] is False

    shown = ok(run("policy", "show", WUHUA, "--prefix", "dibao.standard", "--as-of", "2024-06-01"))
    assert "local setting" in shown

    entries = audit(run, token, WUHUA)
    assert [(e["path"], e["old_value"], e["new_value"], e["user"]) for e in entries] == [
        (URBAN, None, 800, "alice")
    ]
    local = json.loads(ok(run("policy", "local", WUHUA, "--json", "--token", token)))
    assert [(x["path"], x["value"], x["source_text"]) for x in local] == [(URBAN, 800, SOURCE)]


def test_policy_set_token_from_the_environment_and_json_values(run):
    token = add_user(run, "alice", "county_approver", WUHUA)
    env = {"DOUDI_TOKEN": token}
    out = run(
        "policy",
        "set",
        WUHUA,
        "temporary.approval.township_limit",
        "1500.5",
        "--from",
        "2024-01-01",
        "--until",
        "2024-12-31",
        "--source",
        SOURCE,
        "--json",
        env=env,
    )
    data = json.loads(ok(out))
    assert data["value"] == 1500.5
    got = json.loads(
        ok(
            run(
                "policy",
                "get",
                WUHUA,
                "temporary.approval.township_limit",
                "--as-of",
                "2024-06-01",
                "--json",
            )
        )
    )
    assert got["value"] == 1500.5 and got["layer"]["kind"] == "local"
    after = json.loads(
        ok(
            run(
                "policy",
                "get",
                WUHUA,
                "temporary.approval.township_limit",
                "--as-of",
                "2025-01-01",
                "--json",
            )
        )
    )
    assert after["is_set"] is False  # the setting ended on its --until day


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("dibao.income.deductions", '["medical"]'),
        ("dibao.approval.confirming_level", "township"),
        ("dibao.verification.required_before_approval", "false"),
        ("dibao.phase_out.max_months", "999"),
    ],
)
def test_procedural_rules_cannot_be_set_locally(run, path, value):
    token = add_user(run, "alice", "county_approver", WUHUA)
    out = run(
        "policy",
        "set",
        WUHUA,
        path,
        value,
        "--from",
        "2024-01-01",
        "--source",
        SOURCE,
        env={"DOUDI_TOKEN": token},
    )
    assert out.exit_code == 1
    assert "set by policy documents" in out.stderr
    got = json.loads(ok(run("policy", "get", WUHUA, path, "--as-of", "2024-06-01", "--json")))
    assert got["layer"] is None or got["layer"]["kind"] != "local"  # nothing was written


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("800", 800),
        ("1.3", 1.3),
        ("true", True),
        ('"county"', "county"),
        ("county", "county"),
        ('["medical"]', ["medical"]),
        ("示例", "示例"),
    ],
)
def test_parse_value(text, value):
    assert parse_value(text) == value


def test_yunnan_rule_rejects_a_low_tekun_standard_and_writes_nothing(run):
    token = add_user(run, "alice", "county_approver", WUHUA)
    args = ("--from", "2024-01-01", "--source", SOURCE, "--token", token)
    ok(run("policy", "set", WUHUA, URBAN, "800", *args))

    result = run("policy", "set", WUHUA, TEKUN, "1000", *args)  # 1000 < 1.3 × 800 = 1040
    line = one_error(result)
    assert RULE in line and "1040" in line and "nothing written" in line
    assert result.stdout == ""

    got = json.loads(ok(run("policy", "get", WUHUA, TEKUN, "--as-of", "2024-06-01", "--json")))
    assert got["is_set"] is False
    assert [e["path"] for e in audit(run, token, WUHUA)] == [URBAN]  # no entry for the refusal

    ok(run("policy", "set", WUHUA, TEKUN, "1040", *args))  # exactly 1.3 × is fine
    got = json.loads(ok(run("policy", "get", WUHUA, TEKUN, "--as-of", "2024-06-01", "--json")))
    assert got["value"] == 1040


def test_wrong_role_or_jurisdiction_is_forbidden_and_writes_nothing(run):
    clerk = add_user(run, "clerk", "village_clerk", WUHUA)
    approver = add_user(run, "approver", "county_approver", WUHUA)
    args = (URBAN, "800", "--from", "2024-01-01", "--source", SOURCE)

    line = one_error(run("policy", "set", WUHUA, *args, "--token", clerk))
    assert line.startswith("doudi: error: forbidden:") and "village_clerk" in line
    line = one_error(run("policy", "set", YONGNING, *args, "--token", approver))
    assert line.startswith("doudi: error: forbidden:") and "outside your jurisdiction" in line

    assert audit(run, approver, WUHUA) == []
    got = json.loads(ok(run("policy", "get", WUHUA, URBAN, "--json")))
    assert got["is_set"] is False
    assert "forbidden" in one_error(run("policy", "local", YONGNING, "--token", approver))


def test_missing_or_bad_token_is_a_clear_error(run):
    add_user(run, "alice", "county_approver", WUHUA)
    args = ("policy", "set", WUHUA, URBAN, "800", "--from", "2024-01-01", "--source", SOURCE)
    line = one_error(run(*args))
    assert "--token" in line and "DOUDI_TOKEN" in line
    line = one_error(run(*args, "--token", "not-a-token"))
    assert "not authenticated" in line and "not valid" in line
    line = one_error(run(*args, env={"DOUDI_TOKEN": ""}))
    assert "DOUDI_TOKEN" in line


def test_policy_set_usage_errors(run):
    one_error(run("policy", "set", WUHUA, URBAN, "800", "--source", SOURCE, "--token", "t"), 2)
    one_error(run("policy", "set", WUHUA, URBAN, "800", "--from", "2024-01-01"), 2)


# -- eligibility preview -------------------------------------------------------------------------


def _yongning_household(**extra) -> dict:
    doc = household_doc(
        YONGNING,
        (id_number(YONGNING, 501, "19620315"), "马德山", "head"),
        (id_number(YONGNING, 502, "19650720"), "马秀兰", "spouse"),
        area="rural",
        propertyWithinLocalRules=True,
        income=[{"kind": "agriculture", "monthlyAmount": 400}],
    )
    doc.update(extra)
    return doc


def test_preview_after_demo_load_decides_with_trace(run, tmp_path):
    file = tmp_path / "household.json"
    file.write_text(json.dumps(_yongning_household(), ensure_ascii=False), encoding="utf-8")

    before = json.loads(
        ok(run("eligibility", "preview", str(file), "--program", "dibao", "--json"))
    )
    assert before["status"] == "cannot_decide"  # no dibao standard in the plugins' data
    assert "dibao.standard.rural" in before["missing"]

    ok(run("demo", "load"))
    data = json.loads(ok(run("eligibility", "preview", str(file), "--program", "dibao", "--json")))
    assert data["status"] == "eligible" and data["eligible"] is True
    assert data["perCapitaIncome"] == 200.0
    assert data["standard"] == 530.0 and data["standardPath"] == "dibao.standard.rural"
    assert data["monthlyAmount"] == 660.0  # (530 − 200) × 2
    trace = {t["path"]: t for t in data["trace"]}
    standard = trace["dibao.standard.rural"]
    assert standard["layer"]["kind"] == "local" and standard["layer"]["code"] == YONGNING
    assert standard["source"]["title"] == EXAMPLE_SOURCE
    assert trace["dibao.benefit.method"]["layer"]["origin"] == "national"

    human = ok(
        run("eligibility", "preview", str(file), "--program", "dibao", "--as-of", "2025-03-01")
    )
    assert "ELIGIBLE" in human
    for text in (
        "per person",
        "530.00",
        "660.00 yuan/month",
        "next review",
        "Reasons:",
        "Trace",
        "local setting",
        "示例数据",
    ):
        assert text in human, text

    richer = _yongning_household(income=[{"kind": "wages", "monthlyAmount": 3000}])
    file.write_text(json.dumps(richer), encoding="utf-8")
    data = json.loads(ok(run("eligibility", "preview", str(file), "--program", "dibao", "--json")))
    assert data["status"] == "ineligible" and data["trace"]

    # the preview stores nothing
    engine = make_engine()
    try:
        with engine.connect() as conn:
            count = conn.scalar(select(func.count()).select_from(HouseholdRow))
    finally:
        engine.dispose()
    assert count == len(household_documents())


def test_preview_temporary_assistance(run, tmp_path):
    ok(run("demo", "load"))
    file = tmp_path / "household.json"
    file.write_text(json.dumps(_yongning_household()), encoding="utf-8")
    args = ("eligibility", "preview", str(file), "--program", "temporary")
    data = json.loads(ok(run(*args, "--request-kind", "emergency", "--amount", "2500", "--json")))
    assert data["oneOffAmount"] == 2500.0
    assert data["approvalLevel"] == "county"  # above the example township limit of 2000
    one_error(run(*args, "--amount", "100"), 2)
    assert "request" in one_error(run(*args))


def test_preview_lists_every_field_error(run, tmp_path):
    doc = _yongning_household()
    doc["members"][0]["idNumber"] = doc["members"][0]["idNumber"][:-1] + (
        "0" if doc["members"][0]["idNumber"][-1] != "0" else "1"
    )
    doc["members"][1]["idNumber"] = "64012119650720"
    file = tmp_path / "bad.json"
    file.write_text(json.dumps(doc), encoding="utf-8")
    result = run("eligibility", "preview", str(file), "--program", "dibao")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("doudi: error: ") and "2 problems in the household" in lines[0]
    assert lines[1:] == [
        "  - members[0].idNumber: check digit does not match (mistyped?) [INVALID_ID_NUMBER]",
        "  - members[1].idNumber: must be 18 characters [INVALID_ID_NUMBER]",
    ]
    file.write_text("{not json", encoding="utf-8")
    assert "not JSON" in one_error(run("eligibility", "preview", str(file), "--program", "dibao"))


# -- demo ----------------------------------------------------------------------------------------


def _counts() -> tuple[int, int, int]:
    engine = make_engine()
    try:
        with engine.connect() as conn:
            return tuple(  # type: ignore[return-value]
                conn.scalar(select(func.count()).select_from(t))
                for t in (HouseholdRow, LocalSettingRow, LocalSettingAuditRow)
            )
    finally:
        engine.dispose()


def test_demo_load_is_idempotent_and_marked_as_example(run):
    first = json.loads(ok(run("demo", "load", "--json")))
    assert first["user_created"] is True and first["token"]
    assert first["user"]["role"] == "province_admin" and first["user"]["jurisdiction"] == "000000"
    assert all(s["loaded"] for s in first["settings"])
    assert all(h["loaded"] for h in first["households"])
    counties = {h["county"][:4] for h in first["households"]}
    assert {"5227", "1403", "5301", "4503", "6401"} <= counties
    counts = _counts()
    assert counts == (len(household_documents()), len(EXAMPLE_SETTINGS), len(EXAMPLE_SETTINGS))

    second = ok(run("demo", "load"))
    assert "0 loaded" in second and "already there" in second
    assert _counts() == counts
    again = json.loads(ok(run("demo", "load", "--json")))
    assert again["user_created"] is False and again["token"] is None
    assert not any(s["loaded"] for s in again["settings"])
    assert not any(h["loaded"] for h in again["households"])

    local = json.loads(ok(run("policy", "local", "000000", "--json", "--token", first["token"])))
    assert len(local) == len(EXAMPLE_SETTINGS)
    assert all(x["source_text"] == EXAMPLE_SOURCE for x in local)
    assert "示例数据，非官方标准" in EXAMPLE_SOURCE and "not an official standard" in EXAMPLE_SOURCE
    got = json.loads(ok(run("policy", "get", "530102", TEKUN, "--json")))
    assert got["layer"]["kind"] == "local" and got["layer"]["code"] == "530100"
    checks = json.loads(ok(run("policy", "violations", "530102", "--checks", "--json")))
    rule = next(c for c in checks["checks"] if c["rule"]["id"] == RULE)
    assert rule["status"] == "ok"


def test_demo_households_are_valid():
    registry = load_registry()
    today = dt.date(2026, 1, 1)
    for doc in household_documents():
        h = parse_household(doc, registry, today)
        assert doc["notes"] and "示例" in doc["notes"]
        for m in h.members:
            # the ID's region is the household's county, or Yongfu's code before 1998
            assert m.id_number[:6] in (h.county, "452325")


def test_demo_user_with_another_role_is_refused(run):
    add_user(run, "demo", "auditor", WUHUA)
    assert "demo" in one_error(run("demo", "load"))


# -- serve ---------------------------------------------------------------------------------------


def test_serve_creates_the_database_and_says_where(run, data_dir, monkeypatch):
    import uvicorn

    seen = {}

    def fake_run(app, **kwargs):
        seen["app"], seen["kwargs"] = app, kwargs

    monkeypatch.setattr(uvicorn, "run", fake_run)
    result = run("serve", "--port", "8765")
    assert result.exit_code == 0, result.stderr
    assert (data_dir / SQLITE_FILE).is_file()
    assert str(data_dir) in result.stderr and "database sqlite" in result.stderr
    assert seen["kwargs"]["port"] == 8765


# -- PostgreSQL ----------------------------------------------------------------------------------


def test_postgresql_upgrade_users_and_policy_set(run, pg_server, data_dir):
    url = pg_server.create_database()
    env = {"DOUDI_DATABASE_URL": url}
    try:
        assert json.loads(ok(run("db", "current", "--json", env=env)))["current"] is None
        assert head_revision() in ok(run("db", "upgrade", env=env))
        token = json.loads(
            ok(
                run(
                    "users",
                    "add",
                    "alice",
                    "--role",
                    "county_approver",
                    "--jurisdiction",
                    WUHUA,
                    "--json",
                    env=env,
                )
            )
        )["token"]
        args = ("--from", "2024-01-01", "--source", SOURCE, "--token", token)
        ok(run("policy", "set", WUHUA, URBAN, "800", *args, env=env))
        line = one_error(run("policy", "set", WUHUA, TEKUN, "1000", *args, env=env))
        assert RULE in line
        got = json.loads(ok(run("policy", "get", WUHUA, URBAN, "--json", env=env)))
        assert got["value"] == 800 and got["layer"]["kind"] == "local"
        entries = json.loads(ok(run("policy", "audit", WUHUA, "--json", "--token", token, env=env)))
        assert [e["path"] for e in entries] == [URBAN]
        # nothing went to the SQLite default; the audit key and checkpoints live in the data dir
        assert not (data_dir / "doudi.sqlite3").exists()
        assert {p.name for p in data_dir.iterdir()} <= {"audit.key", "audit-checkpoints.jsonl"}
        # without the URL, the same reads see the (absent) SQLite database: plugins only
        assert json.loads(ok(run("policy", "get", WUHUA, URBAN, "--json")))["is_set"] is False
    finally:
        pg_server.drop_database(url)
