"""`doudi deadlines` and `doudi reviews due` on SQLite and PostgreSQL (``DOUDI_DATABASE_URL``
pointing at the databases of ``tests/support/db_backends.py``); cases are taken through the state
machine by the cases store (EXAMPLE standards of ``tests.cases.test_cases``, test values)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from core.access.tokens import create_user
from core.cli import cli
from tests.support.cli import ok, one_error
from tests.support.schedules import SHANXI, YUNNAN, World
from tests.support.standards import with_example_standards

D = dt.date


@pytest.fixture(scope="module")
def policy(base):
    return with_example_standards(base)


@pytest.fixture
def world(db, policy) -> World:
    return World(db, policy)


@pytest.fixture
def run(db, monkeypatch):
    monkeypatch.setenv("DOUDI_DATABASE_URL", db.url)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def token(world: World, role: str, code: str, name: str) -> str:
    with world.db.sessions() as s:
        _, t = create_user(s, name, role, code, world.registry)
    return t


def test_deadlines(world, run):
    cid = world.active(SHANXI, "irregular_with_labour", D(2026, 9, 25))
    late = world.open(SHANXI, "stable", D(2026, 12, 21))
    t = token(world, "county_approver", SHANXI, "approver")
    out = json.loads(
        ok(run("deadlines", str(cid), "--as-of", "2026-10-09", "--json", "--token", t))
    )
    found = {d["kind"]: d for d in out}
    assert found["investigation_start"]["dueDate"] == "2026-09-30"
    assert found["investigation_start"]["doneOn"] == "2026-09-27"
    assert found["county_review"]["parameter"]["path"] == (
        "dibao.approval.county_review_working_days"
    )
    text = ok(run("deadlines", str(late), "--as-of", "2027-02-20", "--token", t))
    assert f"case {late}: 3 deadlines as of 2027-02-20" in text
    assert "(provisional)" in text and "OVERDUE" in text
    assert (
        "time_limit: 30 working days after 2026-12-21; provisional: no holiday table for 2027"
        in text
    )
    line = next(x for x in text.splitlines() if x.startswith("investigation_start"))
    assert "dibao.investigation.start_within_working_days = 3" in line
    assert "000000 national" in line and "民发〔2021〕57号 第十五条" in line


def test_deadlines_errors(world, run, monkeypatch):
    cid = world.active(SHANXI, "stable", D(2024, 3, 1))
    assert "not authenticated" in one_error(run("deadlines", str(cid)))
    outsider = token(world, "county_approver", YUNNAN, "outsider")
    assert "forbidden" in one_error(run("deadlines", str(cid), "--token", outsider))
    mine = token(world, "township_officer", SHANXI, "officer")
    assert "no case with id 'abc'" in one_error(run("deadlines", "abc", "--token", mine))
    assert f"no case {cid + 99}" in one_error(run("deadlines", str(cid + 99), "--token", mine))
    one_error(run("deadlines", str(cid), "--as-of", "2024/01/01", "--token", mine), 2)
    monkeypatch.setenv("DOUDI_TOKEN", mine)
    ok(run("deadlines", str(cid)))


def test_reviews_due(world, run):
    a = world.active(SHANXI, "irregular_with_labour", D(2024, 3, 1))  # 06-13
    c = world.active("140321", "slow_change", D(2024, 1, 2))  # 07-14
    world.active(SHANXI, "stable", D(2024, 3, 1))  # 2025
    t = token(world, "auditor", "140300", "auditor")
    args = ("reviews", "due", "140300", "--from", "2024-07-01", "--to", "2024-07-31")
    out = json.loads(ok(run(*args, "--as-of", "2024-07-10", "--json", "--token", t)))
    assert (out["total"], out["overdue"], out["jurisdiction"]) == (2, 1, "140300")
    assert [(r["caseId"], r["dueDate"], r["overdue"], r["county"]) for r in out["reviews"]] == [
        (a, "2024-06-13", True, SHANXI),
        (c, "2024-07-14", False, "140321"),
    ]
    assert out["reviews"][0]["parameter"]["layer"]["origin"] == "shanxi"
    text = ok(run(*args, "--as-of", "2024-07-10", "--token", t, "--limit", "1"))
    assert "2 reviews due by 2024-07-31 at 140300 阳泉市 (1 overdue on 2024-07-10)" in text
    body = text.splitlines()[3:]  # after the summary, the header and the rule
    assert "the first 1" in text and len(body) == 1
    assert "OVERDUE" in body[0] and "140302" in body[0] and "140321" not in text
    tekun = json.loads(ok(run(*args, "--program", "tekun", "--json", "--token", t)))
    assert tekun["total"] == 0


def test_reviews_due_errors(world, run):
    t = token(world, "auditor", "140300", "auditor")
    base = ("reviews", "due", "140300")
    line = one_error(run(*base, "--from", "2024-07-31", "--to", "2024-07-01", "--token", t))
    assert "before from" in line
    line = one_error(run("reviews", "due", "530000", "--from", "2024-07-01", "--to",
                         "2024-07-31", "--token", t))  # fmt: skip
    assert "forbidden" in line
    assert (
        "unknown"
        in one_error(
            run(
                "reviews",
                "due",
                "999999",
                "--from",
                "2024-07-01",
                "--to",
                "2024-07-31",
                "--token",
                t,
            )
        ).lower()
    )
    one_error(run(*base, "--to", "2024-07-31", "--token", t), 2)  # --from missing
    one_error(run(*base, "--from", "2024-7-1", "--to", "2024-07-31", "--token", t), 2)
    one_error(run(*base, "--from", "2024-07-01", "--to", "2024-07-31", "--program", "x"), 2)
    assert "not authenticated" in one_error(
        run(*base, "--from", "2024-07-01", "--to", "2024-07-31")
    )
