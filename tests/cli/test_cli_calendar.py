"""`doudi calendar CODE`: the table, JSON, the ``--ics`` file (parsed and validated) and one-line
errors, on SQLite and PostgreSQL (``DOUDI_DATABASE_URL`` pointing at the databases of
``tests/support/db_backends.py``), with the scene of tests/support/calendar_scene.py."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from core.cli import cli
from core.policy.service import PolicyBase, today
from tests.support.api import open_test_runtime
from tests.support.calendar_scene import DUYUN, YONGFU, Scene
from tests.support.cli import ok, one_error
from tests.support.ics import validate_ics

D = dt.date


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def scene(
    migrated_db_url: str, tmp_path: Path, base: PolicyBase, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Scene]:
    """The scene in a database the CLI is pointed at."""
    monkeypatch.setenv("DOUDI_DATABASE_URL", migrated_db_url)
    rt = open_test_runtime(migrated_db_url, tmp_path, base)
    try:
        yield Scene(rt, base)
    finally:
        rt.close()


def test_table(scene: Scene) -> None:
    args = ("calendar", YONGFU, "--from", "2023-07-01", "--to", "2023-09-30")
    out = ok(invoke(*args, "--token", scene.token("yongfu"))).splitlines()
    assert out[0].startswith("9 calendar entries at 450326 永福县 from 2023-07-01 to 2023-09-30")
    assert out[1].split() == ["DATE", "KIND", "WHAT", "CASE", "WHERE", "FLAGS", "PARAMETER"]
    body = out[3:]
    assert body[0].startswith("2023-07-04..2023-07-14  campaign_phase")
    row = next(line for line in body if "time_limit_delegated_working_days" in line)
    assert row.startswith("2023-08-07") and f" {scene.accepted} " in row and "overdue" in row
    stats = next(line for line in body if line.startswith("2023-08-04"))
    assert "report_deadline" in stats and "reports.monthly_statistics_due_day = 4" in stats
    ongoing = next(line for line in body if line.startswith("2023-09-15..2023-09-30"))
    assert "ongoing" in ongoing


def test_json_and_ics_file(scene: Scene, tmp_path: Path) -> None:
    target = tmp_path / "duyun.ics"
    token = scene.token("duyun")
    data = json.loads(
        ok(
            invoke(
                "calendar", DUYUN, "--from", "2026-10-01", "--to", "2027-03-31",
                "--ics", str(target), "--json", "--token", token,
            )
        )
    )  # fmt: skip
    assert (data["jurisdiction"], data["from"], data["to"]) == (DUYUN, "2026-10-01", "2027-03-31")
    kinds = {e["kind"] for e in data["entries"]}
    assert {"payment_day", "case_deadline", "review"} <= kinds
    limit = next(
        e
        for e in data["entries"]
        if e["caseId"] == scene.provisional and e["subkind"] == "time_limit"
    )
    assert limit["provisional"] and limit["uncoveredYears"] == [2027]
    assert limit["parameter"]["value"] == 30
    cal = validate_ics(target.read_bytes())
    uids = {str(e["UID"]) for e in cal.walk("VEVENT")}
    assert uids == {e["uid"] for e in data["entries"]}
    tentative = [e for e in cal.walk("VEVENT") if str(e["STATUS"]) == "TENTATIVE"]
    assert {str(e["UID"]) for e in tentative} == {
        e["uid"] for e in data["entries"] if e["provisional"]
    }
    # Without --json: the table, the note on provisional dates, and the file again.
    out = invoke("calendar", DUYUN, "--from", "2026-12-01", "--to", "2027-02-28",
                 "--ics", str(target), "--token", token)  # fmt: skip
    assert out.exit_code == 0 and f"wrote {target}" in out.stderr
    assert "provisional: no published holiday schedule for 2027" in out.stdout
    assert any("provisional" in line and "2027-01" in line for line in out.stdout.splitlines())
    validate_ics(target.read_bytes())


def test_default_window(scene: Scene) -> None:
    data = json.loads(ok(invoke("calendar", DUYUN, "--json", "--token", scene.token("duyun"))))
    now = today()
    assert data["from"] == (now - dt.timedelta(days=30)).isoformat()
    assert data["to"] == (now + dt.timedelta(days=365)).isoformat()


def test_errors(scene: Scene) -> None:
    args = ("calendar", YONGFU, "--from", "2024-01-01", "--to", "2024-01-31")
    assert "not authenticated" in one_error(invoke(*args))
    assert "not authenticated" in one_error(invoke(*args, "--token", "not-a-token"))
    assert "forbidden" in one_error(invoke(*args, "--token", scene.token("outsider")))
    token = ("--token", scene.token("yongfu"))
    assert "999999" in one_error(invoke("calendar", "999999", *token))
    assert "before from" in one_error(
        invoke("calendar", YONGFU, "--from", "2024-02-01", "--to", "2024-01-01", *token)
    )
    assert "at most 400 days" in one_error(
        invoke("calendar", YONGFU, "--from", "2024-01-01", "--to", "2025-06-01", *token)
    )
    assert "YYYY-MM-DD" in one_error(invoke("calendar", YONGFU, "--from", "2024-1-1", *token), 2)


def test_needs_a_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOUDI_DATABASE_URL", raising=False)
    monkeypatch.setenv("DOUDI_DATA_DIR", str(tmp_path / "empty"))
    assert "doudi db upgrade" in one_error(invoke("calendar", YONGFU, "--token", "x"))
