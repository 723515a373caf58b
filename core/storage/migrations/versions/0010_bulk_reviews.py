"""Annual reviews run by the bulk engine (runs, progress per unit, review tasks on cases) and
the analyst role (aggregates of reform simulations only, never a person).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of what the models used when this migration was written.
_JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
_TS = sa.DateTime(timezone=True)
_OLD_ROLES = ("village_clerk", "township_officer", "county_approver", "province_admin", "auditor")
_NEW_ROLES = (*_OLD_ROLES, "analyst")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _set_roles(old: Sequence[str], new: Sequence[str]) -> None:
    """The users' role CHECK from ``old`` to ``new``.

    PostgreSQL: drop and add the constraint. SQLite cannot alter a constraint, and rebuilding
    ``users`` (batch mode: copy, drop, rename) fails once other tables refer to its rows (the
    implicit DELETE of DROP TABLE breaks their foreign keys, and ``PRAGMA foreign_keys`` cannot
    be switched off inside the migration's transaction). So on SQLite the constraint's text is
    changed in place in the schema, the procedure SQLite documents for changing a CHECK
    constraint without touching stored rows (https://sqlite.org/lang_altertable.html, "making
    other kinds of table schema changes", the simpler procedure), in the same transaction."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        with op.batch_alter_table("users") as batch:
            batch.drop_constraint(op.f("ck_users_role"), type_="check")
            batch.create_check_constraint(op.f("ck_users_role"), _in("role", new))
        return
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'"
    ).scalar_one()
    before = f"CONSTRAINT ck_users_role CHECK ({_in('role', old)})"
    if sql.count(before) != 1:
        raise RuntimeError(f"users: the role constraint is not {before!r} as expected")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'users'",
            (sql.replace(before, f"CONSTRAINT ck_users_role CHECK ({_in('role', new)})"),),
        )
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    problems = bind.exec_driver_sql("PRAGMA integrity_check").scalars().all()
    if problems != ["ok"]:
        raise RuntimeError(f"users: the schema change left problems: {problems}")


def upgrade() -> None:
    _set_roles(_OLD_ROLES, _NEW_ROLES)

    op.create_table(
        "review_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jurisdiction", sa.String(6), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("engine", sa.String(16), nullable=False),
        sa.Column("snapshot_id", sa.String(40), nullable=False),
        sa.Column("snapshot_path", sa.Text(), nullable=False),
        sa.Column("policy_version", sa.String(32), nullable=False),
        sa.Column("scope", _JSON, nullable=False),
        sa.Column("counts", _JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("finished_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_review_runs_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_runs")),
    )
    op.create_index(op.f("ix_review_runs_jurisdiction_id"), "review_runs", ["jurisdiction", "id"])

    op.create_table(
        "review_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(32), nullable=False),
        sa.Column("unit_level", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("finished_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["review_runs.id"],
            name=op.f("fk_review_progress_run_id_review_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_progress")),
        sa.UniqueConstraint("run_id", "unit", name=op.f("uq_review_progress_run_id_unit")),
    )

    op.create_table(
        "review_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("household_version", sa.Integer(), nullable=False),
        sa.Column("program", sa.String(100), nullable=False),
        sa.Column("county", sa.String(6), nullable=False),
        sa.Column("prefecture", sa.String(6), nullable=True),
        sa.Column("province", sa.String(6), nullable=False),
        sa.Column("unit", sa.String(32), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("case_state", sa.String(32), nullable=True),
        sa.Column("case_version", sa.Integer(), nullable=True),
        sa.Column("proposal", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decision", _JSON, nullable=False),
        sa.Column("current_amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("new_amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", _TS, nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["review_runs.id"],
            name=op.f("fk_review_tasks_run_id_review_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_review_tasks_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by"], ["users.id"], name=op.f("fk_review_tasks_confirmed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_tasks")),
        sa.UniqueConstraint(
            "run_id",
            "household_id",
            "program",
            name=op.f("uq_review_tasks_run_id_household_id_program"),
        ),
    )
    op.create_index(
        op.f("ix_review_tasks_run_id_county_proposal"),
        "review_tasks",
        ["run_id", "county", "proposal"],
    )
    op.create_index(op.f("ix_review_tasks_case_id"), "review_tasks", ["case_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_review_tasks_case_id"), table_name="review_tasks")
    op.drop_index(op.f("ix_review_tasks_run_id_county_proposal"), table_name="review_tasks")
    op.drop_table("review_tasks")
    op.drop_table("review_progress")
    op.drop_index(op.f("ix_review_runs_jurisdiction_id"), table_name="review_runs")
    op.drop_table("review_runs")
    analysts = (
        op.get_bind()
        .exec_driver_sql("SELECT count(*) FROM users WHERE role = 'analyst'")
        .scalar_one()
    )
    if analysts:
        raise RuntimeError(
            f"{analysts} user(s) have the analyst role, which this downgrade removes: "
            "give them another role or remove them first"
        )
    _set_roles(_NEW_ROLES, _OLD_ROLES)
