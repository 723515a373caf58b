"""A finding's task on the finding's row; one jurisdiction index for findings.

A comparison (比对) writes one finding and one task per match, tens of thousands at once (issue
13: 1,000,000 recipients against 10,000,000 department records within 3× of a bare join of the
ID columns, the writes included). The task had a table of its own although it is one to one
with its finding, written with it and closed with it: each task cost a row, four B-trees (its
primary key, the unique finding id, three jurisdiction indexes) and two foreign-key checks
(to its finding, and to the case its finding already names), which on PostgreSQL take a lock
on each referenced row. Its columns move onto ``findings``:

- ``task_level``, ``opened_on``, ``due_date``, ``resolved_by``, ``resolved_at`` as they were;
- ``task_version`` (the task's version, for optimistic locking);
- ``task``: the task's document: its outcome once closed, and for the tasks moved here their
  deadline too. A run stores the deadlines of its tasks once (``comparison_runs.document``:
  ``deadlines`` and ``deadlineOf``, by kind, program and county) instead of a few hundred
  characters on every finding's row;
- the task's status is not kept: it was ``open`` exactly while its finding's status is
  ``open`` and ``done`` once it is resolved or dismissed (both changed in one transaction).

The foreign keys that go with ``finding_tasks``: ``finding_id`` (no longer a separate row to
point at its finding) and ``case_id`` (a duplicate of the finding's own, which stays). The
task's id shown by the API and the CLI is now its finding's id (nothing takes a task id as
input: a task is closed through its finding).

Foreign keys of ``findings`` checked for nothing (on PostgreSQL each is a query and a lock on
the row it finds, for every finding: 0.28 s and 0.38 s of the server's 2.2 s inserting 20,000
findings, EXPLAIN ANALYZE):

- ``run_id``: the run is written by the same function, in the same transaction, just before
  its findings, and runs are never deleted; the check could not fail.
- ``household_id``: the household of the finding's case (or register entry), which that
  case's own foreign key (``cases.household_id``, ``low_income_people.household_id``) keeps;
  households are never deleted. The same duplicate as the task's ``case_id``.

The foreign keys to the batch, the case, the register entry and the user who closed the task
stay.

Indexes of ``findings``:

- ``(county, status, id)`` stays and serves every level: GB/T 2260 codes nest (a prefecture's
  counties are ``PPPP00``-``PPPP99``, a province's ``PP0000``-``PP9999``; the jurisdiction
  registry builds its tree from those digits), so a prefecture or a province is one range of
  county codes (``core.storage.scope.within_by_county``). ``(prefecture, status, id)`` and
  ``(province, status, id)`` are dropped; the columns stay for readers.
- ``(run_id)`` is dropped: no query reads the findings of a run; a run reads back its own new
  findings by the range of ids above the highest before it (the primary key). Runs are never
  deleted, so the foreign key of ``run_id`` needs no index for its checks either.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
_TS = sa.DateTime(timezone=True)
_TASK = (
    "task_level",
    "opened_on",
    "due_date",
    "task_version",
    "resolved_by",
    "resolved_at",
    "task",
)


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("task_level", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("opened_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("due_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("task_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("resolved_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("resolved_at", _TS, nullable=True))
        batch.add_column(sa.Column("task", _JSON, nullable=True))
    pairs = {
        "task_level": "level",
        "opened_on": "opened_on",
        "due_date": "due_date",
        "task_version": "version",
        "resolved_by": "resolved_by",
        "resolved_at": "resolved_at",
        "task": "document",
    }
    sets = ", ".join(
        f"{new} = (SELECT t.{old} FROM finding_tasks t WHERE t.finding_id = findings.id)"
        for new, old in pairs.items()
    )
    op.execute(f"UPDATE findings SET {sets}")
    orphans = (
        op.get_bind()
        .execute(sa.text("SELECT count(*) FROM findings WHERE task_level IS NULL"))
        .scalar_one()
    )
    if orphans:
        raise RuntimeError(f"{orphans} finding(s) have no task: cannot put tasks on findings")
    op.drop_table("finding_tasks")
    op.drop_index("ix_findings_prefecture_status_id", table_name="findings")
    op.drop_index("ix_findings_province_status_id", table_name="findings")
    op.drop_index("ix_findings_run_id", table_name="findings")
    with op.batch_alter_table("findings") as batch:
        for column in ("task_level", "opened_on", "task_version"):
            batch.alter_column(column, nullable=False)
        batch.create_foreign_key("fk_findings_resolved_by_users", "users", ["resolved_by"], ["id"])
        batch.drop_constraint("fk_findings_run_id_comparison_runs", type_="foreignkey")
        batch.drop_constraint("fk_findings_household_id_households", type_="foreignkey")


def downgrade() -> None:
    # The tasks set aside first: on SQLite the findings' table is rebuilt to drop the task's
    # columns, and it cannot be while tasks refer to it.
    op.execute(
        "CREATE TABLE finding_tasks_0013 AS SELECT id AS finding_id, case_id, county, "
        "prefecture, province, task_level AS level, opened_on, due_date, "
        "CASE WHEN status = 'open' THEN 'open' ELSE 'done' END AS status, "
        "task_version AS version, resolved_by, resolved_at, task AS document FROM findings"
    )
    _deadlines_back_on_tasks()
    with op.batch_alter_table("findings") as batch:
        batch.drop_constraint("fk_findings_resolved_by_users", type_="foreignkey")
        batch.create_foreign_key(
            "fk_findings_run_id_comparison_runs", "comparison_runs", ["run_id"], ["id"]
        )
        batch.create_foreign_key(
            "fk_findings_household_id_households", "households", ["household_id"], ["id"]
        )
        for column in reversed(_TASK):
            batch.drop_column(column)
    op.create_index(
        op.f("ix_findings_prefecture_status_id"),
        "findings",
        ["prefecture", "status", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_findings_province_status_id"),
        "findings",
        ["province", "status", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_findings_run_id"), "findings", ["run_id"], unique=False)
    op.create_table(
        "finding_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("prefecture", sa.String(length=6), nullable=True),
        sa.Column("province", sa.String(length=6), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolved_at", _TS, nullable=True),
        sa.Column("document", _JSON, nullable=False),
        sa.CheckConstraint("status IN ('open', 'done')", name=op.f("ck_finding_tasks_status")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_finding_tasks_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["findings.id"], name=op.f("fk_finding_tasks_finding_id_findings")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["users.id"], name=op.f("fk_finding_tasks_resolved_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_tasks")),
        sa.UniqueConstraint("finding_id", name=op.f("uq_finding_tasks_finding_id")),
    )
    for level in ("county", "prefecture", "province"):
        op.create_index(
            op.f(f"ix_finding_tasks_{level}_status_due_date"),
            "finding_tasks",
            [level, "status", "due_date"],
            unique=False,
        )
    names = (
        "finding_id, case_id, county, prefecture, province, level, opened_on, due_date, status, "
        "version, resolved_by, resolved_at, document"
    )
    op.execute(
        f"INSERT INTO finding_tasks ({names}) SELECT {names} FROM finding_tasks_0013 "
        "ORDER BY finding_id"
    )
    op.drop_table("finding_tasks_0013")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _deadlines_back_on_tasks() -> None:
    """Each set-aside task's document with its deadline again, from its run's ``deadlines``
    (the tasks moved by the upgrade kept theirs)."""
    bind = op.get_bind()
    runs = {
        rid: _json(doc) or {}
        for rid, doc in bind.execute(sa.text("SELECT id, document FROM comparison_runs"))
    }
    found = bind.execute(
        sa.text(
            "SELECT t.finding_id, t.document, f.kind, f.document AS finding, f.county, f.run_id "
            "FROM finding_tasks_0013 t JOIN findings f ON f.id = t.finding_id"
        )
    ).mappings()
    changes = []
    for r in found:
        task = _json(r["document"]) or {}
        if "deadline" in task:
            continue
        run = runs.get(r["run_id"], {})
        key = f"{r['kind']}|{(_json(r['finding']) or {}).get('program')}|{r['county']}"
        at = (run.get("deadlineOf") or {}).get(key)
        if at is None:
            continue
        task = {"deadline": run["deadlines"][at], **task}
        changes.append({"id": r["finding_id"], "doc": json.dumps(task, ensure_ascii=False)})
    if changes:
        value = "CAST(:doc AS JSONB)" if bind.dialect.name == "postgresql" else ":doc"
        bind.execute(
            sa.text(f"UPDATE finding_tasks_0013 SET document = {value} WHERE finding_id = :id"),
            changes,
        )
