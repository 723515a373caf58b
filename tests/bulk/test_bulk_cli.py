"""The bulk commands on SQLite and PostgreSQL, as the README walks a new user through them:
snapshot a county, run the annual review (progress bar), read its tasks and one full trace,
confirm the "no change" batch, and simulate a reform read as a table and exported as a chart.
Refusals are one ``doudi: error:`` line, exit 1, nothing written.

The standards are recorded as local settings the way an official does (``doudi policy set``):
EXAMPLE values, not official ones.
"""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from core.cli import cli
from core.policy.service import build_policy_base
from core.storage.tables import ReviewRunRow
from tests.support.bulk_world import YUNNAN, BulkWorld
from tests.support.cli import ok, one_error

AS_OF = "2024-06-01"


@pytest.fixture
def run(db, monkeypatch, tmp_path):
    monkeypatch.setenv("DOUDI_DATABASE_URL", db.url)
    monkeypatch.setenv("DOUDI_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()

    def invoke(*args: str, token: str | None = None):
        env = {"DOUDI_TOKEN": token} if token else {}
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def w(db, run):
    world = BulkWorld(db, build_policy_base())
    for path, value in (
        ("dibao.standard.urban", "800"),
        ("dibao.standard.rural", "600"),
        ("tekun.standard.basic", "1040"),
    ):
        ok(
            run(
                "policy", "set", YUNNAN, path, value, "--from", "2020-01-01", "--source",
                "五华区 example standard (test value)", token=world.tokens["approver"],
            )
        )  # fmt: skip
    # The case workflow reads the same merged policy (plugins + the local settings above).
    from core.runtime import open_runtime
    from core.settings import load_settings

    runtime = open_runtime(load_settings())
    world.base = runtime.policy
    runtime.close()
    return world


def test_snapshot_review_confirm_and_simulate_from_the_command_line(w, run, tmp_path):
    hids = [w.household(w.doc(wages=wages)) for wages in (1500, 2100, 2550)]
    cid = w.active(hids[0])
    approver, officer, analyst = (w.tokens[k] for k in ("approver", "officer", "analyst"))

    out = ok(run("snapshot", YUNNAN, "--as-of", AS_OF, "--quiet", token=approver))
    assert out.startswith("snapshot 2") and "households 3" in out and "cases 1" in out
    listed = json.loads(ok(run("snapshots", "list", "--json", token=approver)))
    assert [s["jurisdiction"] for s in listed] == [YUNNAN]
    snap = listed[0]["id"]
    trace = ok(run("snapshots", "explain", snap, str(hids[1]), token=approver))
    assert "ELIGIBLE" in trace and "agrees" in trace and "dibao.standard.urban" in trace

    result = run("annual-review", "run", YUNNAN, "--as-of", AS_OF, token=approver)
    out = ok(result)
    assert "annual review 1 of 530102 as of 2024-06-01: done" in out
    assert "proposals: continue 1" in out
    assert "annual review: store" in result.stderr  # the progress bar, on stderr
    tasks = json.loads(ok(run("annual-review", "tasks", "1", "--json", token=approver)))
    assert [(t["caseId"], t["proposal"]) for t in tasks] == [(cid, "continue")]
    assert tasks[0]["reason"].startswith("continue: per-capita income 500.00")
    listed = json.loads(ok(run("annual-review", "list", YUNNAN, "--json", token=approver)))
    assert [r["id"] for r in listed] == [1]
    older = ok(run("annual-review", "list", YUNNAN, "--before", "1", "--json", token=approver))
    assert json.loads(older) == []
    assert "first: between 1 and 100" in one_error(
        run("annual-review", "list", YUNNAN, "--limit", "0", token=approver)
    )
    status = ok(run("annual-review", "status", "1", token=approver))
    assert "530102" in status and "五华区" in status and "yes" in status
    explained = ok(run("annual-review", "explain", "1", str(hids[0]), token=approver))
    assert "agrees" in explained and "amount:   900.00 yuan/month" in explained

    refused = one_error(run("annual-review", "run", YUNNAN, "--as-of", AS_OF, token=officer))
    assert "forbidden" in refused
    done = json.loads(
        ok(run("annual-review", "confirm", "1", "--on", "2024-06-03", "--json", token=officer))
    )
    assert len(done["confirmed"]) == 1 and done["skipped"] == []
    assert w.case(cid).data["lastReview"]["on"] == "2024-06-03"

    chart, table_file = tmp_path / "change.png", tmp_path / "change.csv"
    out = ok(
        run(
            "simulate", YUNNAN, "--set", "dibao.standard.urban=900", "--from", "2024-01-01",
            "--as-of", AS_OF, "--export", str(chart), "--export", str(table_file),
            token=analyst,
        )
    )  # fmt: skip
    assert "reform reform: dibao.standard.urban = 900 at 530102 from 2024-01-01" in out
    county = next(
        line for line in out.splitlines() if line.startswith("reform  dibao    530102")
    ).split()
    assert county == [
        "reform", "dibao", "530102", "五华区", "3", "+1", "9", "+3", "1,950.00", "+750.00",
        "+9,000.00", "3", "0",
    ]  # fmt: skip
    assert chart.read_bytes()[:4] == b"\x89PNG"
    rows = list(csv.reader(table_file.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[-1][2] == "total"
    # Two snapshots: ours and the review's; the analyst's was internal to the simulation and
    # is gone with it.
    assert len(json.loads(ok(run("snapshots", "list", "--json", token=approver)))) == 2
    assert "forbidden" in one_error(run("snapshot", YUNNAN, token=analyst))
    assert "forbidden" in one_error(run("annual-review", "tasks", "1", token=analyst))


def test_refusals_write_nothing(w, run, db):
    w.household(w.doc())
    assert "forbidden" in one_error(run("annual-review", "run", YUNNAN, token=w.tokens["auditor"]))
    assert "not authenticated" in one_error(run("annual-review", "run", YUNNAN))
    err = one_error(
        run("simulate", YUNNAN, "--set", "dibao.standard.urbn=1", token=w.tokens["analyst"])
    )
    assert "unknown parameter path 'dibao.standard.urbn'" in err
    assert "give the reform" in one_error(run("simulate", YUNNAN, token=w.tokens["analyst"]))
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ReviewRunRow)) == 0
    assert dt.date.fromisoformat(AS_OF)
