"""`doudi audit verify` and `doudi supervise` on SQLite and PostgreSQL (``DOUDI_DATABASE_URL``
pointing at the databases of ``tests/support/db_backends.py``); cases are built through the
store."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

import core.cases.store as store
from core.access.roles import User
from core.access.tokens import create_user
from core.cli import cli
from core.households.store import create_household
from core.storage.tables import CaseEventRow, CaseRow
from tests.support.cli import ok, one_error
from tests.support.households import household_doc, id_number
from tests.support.layers import doc, entry

YUNNAN, GUANGXI = "530102", "450326"
DAY0 = dt.date(2023, 9, 4)
AFTER = DAY0 + dt.timedelta(days=20)


@pytest.fixture
def run(db, monkeypatch):
    monkeypatch.setenv("DOUDI_DATABASE_URL", db.url)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


class Cases:
    def __init__(self, db: Any, base: Any, registry: Any, make_layer: Any) -> None:
        # Confirmation always evaluates eligibility, which needs a dibao standard: no source
        # document sets one in yuan, so this EXAMPLE standard is a test layer (not official).
        example = doc("530000", {"dibao.standard.urban": [entry(800, "2020-01-01")]})
        self.db, self.registry = db, registry
        self.base = base.with_layers([make_layer(example)])
        with db.sessions() as s:
            self.clerk, _ = create_user(s, "clerk", "village_clerk", YUNNAN, registry)
        with db.sessions() as s:
            self.officer, _ = create_user(s, "officer", "township_officer", YUNNAN, registry)

    def household(self, *seqs: int) -> int:
        members = [(id_number(YUNNAN, n), f"人{n}", "head" if i == 0 else "child")
                   for i, n in enumerate(seqs)]  # fmt: skip
        with self.db.sessions() as s:
            return create_household(
                s, self.clerk, household_doc(YUNNAN, *members, propertyWithinLocalRules=True),
                self.registry,
                today=dt.date(2024, 1, 1),
            ).id  # fmt: skip

    def step(self, cid: int, action: str, actor: User, on: dt.date = DAY0, **kw: Any) -> None:
        with self.db.sessions() as s:
            version = store.get_case(s, cid).version
            store.apply_transition(s, self.base, cid, version, action, actor, on, **kw)

    def active(self, household_id: int) -> int:
        with self.db.sessions() as s:
            case, _ = store.open_case(
                s, self.base, self.officer, DAY0, household_id=household_id, program="dibao"
            )
        o = self.officer
        self.step(case.id, "record_investigation", o, investigators=["甲", "乙"])
        self.step(case.id, "record_first_review", o)
        self.step(case.id, "start_publicity", o)
        self.step(case.id, "confirm_case", o, AFTER)
        return case.id


@pytest.fixture
def cases(db, base, registry, make_layer) -> Cases:
    return Cases(db, base, registry, make_layer)


# -- audit verify --------------------------------------------------------------------------------


def test_audit_verify_intact_then_tampered(run, cases, db):
    out = ok(run("audit", "verify"))
    assert out.startswith("ok: 0 events in 0 cases and 0 entries in 0 chains, all intact")
    assert "not detectable:" in out and "holding the audit key" in out
    first = cases.active(cases.household(1))
    second = cases.active(cases.household(2))
    assert ok(run("audit", "verify")).startswith(
        "ok: 10 events in 2 cases and 2 entries in 2 chains, all intact"
    )
    data = json.loads(ok(run("audit", "verify", "--json")))
    assert data["ok"] is True and data["problems"] == []
    assert (data["events"], data["cases"], data["entries"], data["chains"]) == (10, 2, 2, 2)
    assert any("after the last checkpoint" in x for x in data["limits"])

    with db.sessions() as s, s.begin():
        row = s.scalar(
            select(CaseEventRow).where(CaseEventRow.case_id == first, CaseEventRow.seq == 2)
        )
        tampered_id = row.id
        doc = {**row.document, "inputs": {**row.document["inputs"], "investigators": ["甲"]}}
        s.execute(update(CaseEventRow).where(CaseEventRow.id == row.id).values(document=doc))
        s.execute(
            CaseEventRow.__table__.delete().where(
                CaseEventRow.case_id == second, CaseEventRow.seq == 3
            )
        )
    result = run("audit", "verify")
    line = one_error(result)
    assert "the audit trail is broken: 3 problems" in line
    assert result.stdout.splitlines()[:3] == [
        f"case {first} event 2 (id {tampered_id}): tampered: its MAC does not match its content "
        "(changed, or re-hashed without the key)",
        f"case {second}: event 3 missing",
        f"chain cases:{YUNNAN}: entries #8 missing (deleted), before case {second} event 4 "
        f"(id {tampered_id + 7})",
    ]
    result = run("audit", "verify", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["events"] == 9 and len(data["problems"]) == 3


def test_audit_verify_needs_a_database(tmp_path, monkeypatch):
    monkeypatch.delenv("DOUDI_DATABASE_URL", raising=False)
    monkeypatch.setenv("DOUDI_DATA_DIR", str(tmp_path / "empty"))
    result = CliRunner().invoke(cli, ["audit", "verify"], catch_exceptions=False)
    assert "doudi db upgrade" in one_error(result)
    assert not (tmp_path / "empty").exists()


# -- supervise -----------------------------------------------------------------------------------


def test_supervise_table_and_json(run, cases):
    out = ok(run("supervise", YUNNAN, "--as-of", "2023-10-01"))
    assert out.splitlines() == ["0 findings at 530102 五华区 on 2023-10-01"]
    first = cases.active(cases.household(1, 2))
    second = cases.active(cases.household(3))
    # The workflow refuses a second open case for a household (DUPLICATE_CASE); duplicates still
    # arrive through imports and direct edits, which is what supervision is for.
    with cases.db.sessions() as s, s.begin():
        data = dict(s.scalar(select(CaseRow.data).where(CaseRow.id == second)))
        data["membersCovered"] = [id_number(YUNNAN, 1), id_number(YUNNAN, 2)]
        s.execute(update(CaseRow).where(CaseRow.id == second).values(data=data))

    out = ok(run("supervise", YUNNAN, "--as-of", "2023-10-01"))
    lines = out.splitlines()
    assert lines[0] == "2 findings at 530102 五华区 on 2023-10-01"
    assert lines[1].split() == ["KIND", "COUNTY", "CASES", "PERSON", "FINDING"]
    assert sum("duplicate_dibao" in line and f"{first}, {second}" in line for line in lines) == 2
    assert id_number(YUNNAN, 2) in out

    found = json.loads(ok(run("supervise", "530000", "--as-of", "2023-10-01", "--json")))
    assert [(f["kind"], f["caseIds"], f["personIdNumber"]) for f in found] == [
        ("duplicate_dibao", [first, second], id_number(YUNNAN, 1)),
        ("duplicate_dibao", [first, second], id_number(YUNNAN, 2)),
    ]
    assert found[0]["jurisdiction"] == YUNNAN and found[0]["detail"]["name"] == "人1"
    assert json.loads(ok(run("supervise", GUANGXI, "--json"))) == []


def test_supervise_refuses_an_unknown_code_and_a_bad_date(run):
    assert "999999" in one_error(run("supervise", "999999"))
    assert "not a date" in one_error(run("supervise", YUNNAN, "--as-of", "2023/10/01"), code=2)
