"""Knowing the people: register imports, the data-access log, department batches, comparison
runs, findings (疑点) and their tasks, verification reports (核对) and the low-income register.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of what the models used when this migration was written.
_JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "comparison_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("matches", sa.Integer(), nullable=False),
        sa.Column("raised", sa.Integer(), nullable=False),
        sa.Column("known", sa.Integer(), nullable=False),
        sa.Column("document", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_comparison_runs_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comparison_runs")),
    )
    op.create_index(
        op.f("ix_comparison_runs_jurisdiction_id"),
        "comparison_runs",
        ["jurisdiction", "id"],
        unique=False,
    )
    op.create_table(
        "data_access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("document", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_data_access_log_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_access_log")),
    )
    op.create_index(
        op.f("ix_data_access_log_jurisdiction_id"),
        "data_access_log",
        ["jurisdiction", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_data_access_log_user_id_id"), "data_access_log", ["user_id", "id"], unique=False
    )
    op.create_table(
        "department_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("county", sa.String(length=6), nullable=True),
        sa.Column("prefecture", sa.String(length=6), nullable=True),
        sa.Column("province", sa.String(length=6), nullable=True),
        sa.Column("batch_date", sa.Date(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_hash", sa.String(length=64), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("storage", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("document", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_department_batches_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department_batches")),
        sa.UniqueConstraint(
            "kind",
            "jurisdiction",
            "file_hash",
            name=op.f("uq_department_batches_kind_jurisdiction_file_hash"),
        ),
    )
    op.create_index(
        op.f("ix_department_batches_county_kind_id"),
        "department_batches",
        ["county", "kind", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_department_batches_prefecture_kind_id"),
        "department_batches",
        ["prefecture", "kind", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_department_batches_province_kind_id"),
        "department_batches",
        ["province", "kind", "id"],
        unique=False,
    )
    op.create_table(
        "register_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_hash", sa.String(length=64), nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("document", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_register_imports_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_imports")),
    )
    op.create_table(
        "low_income_people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("prefecture", sa.String(length=6), nullable=True),
        sa.Column("province", sa.String(length=6), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recognised_on", sa.Date(), nullable=False),
        sa.Column("next_assessment", sa.Date(), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("document", _JSON, nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'exited')", name=op.f("ck_low_income_people_status")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_low_income_people_household_id_households"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_low_income_people")),
    )
    op.create_index(
        op.f("ix_low_income_people_county_status_id"),
        "low_income_people",
        ["county", "status", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_low_income_people_prefecture_status_id"),
        "low_income_people",
        ["prefecture", "status", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_low_income_people_province_status_id"),
        "low_income_people",
        ["province", "status", "id"],
        unique=False,
    )
    op.create_index(
        "uq_low_income_people_active_id_number",
        "low_income_people",
        ["id_number"],
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=100), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("prefecture", sa.String(length=6), nullable=True),
        sa.Column("province", sa.String(length=6), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("document", _JSON, nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'resolved', 'dismissed')", name=op.f("ck_findings_status")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["department_batches.id"],
            name=op.f("fk_findings_batch_id_department_batches"),
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_findings_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_findings_household_id_households")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["low_income_people.id"],
            name=op.f("fk_findings_person_id_low_income_people"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["comparison_runs.id"], name=op.f("fk_findings_run_id_comparison_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
        sa.UniqueConstraint("key", name=op.f("uq_findings_key")),
    )
    op.create_index(op.f("ix_findings_case_id"), "findings", ["case_id"], unique=False)
    op.create_index(
        op.f("ix_findings_county_status_id"), "findings", ["county", "status", "id"], unique=False
    )
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
        "low_income_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", _TS, nullable=False),
        sa.Column("document", _JSON, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["low_income_people.id"],
            name=op.f("fk_low_income_events_person_id_low_income_people"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_low_income_events_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_low_income_events")),
    )
    op.create_index(
        op.f("ix_low_income_events_county_on_date"),
        "low_income_events",
        ["county", "on_date"],
        unique=False,
    )
    op.create_index(
        op.f("ix_low_income_events_person_id_id"),
        "low_income_events",
        ["person_id", "id"],
        unique=False,
    )
    op.create_table(
        "verification_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("adapter", sa.String(length=100), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("prefecture", sa.String(length=6), nullable=True),
        sa.Column("province", sa.String(length=6), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("document", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_verification_reports_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_verification_reports_household_id_households"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_verification_reports_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_reports")),
    )
    op.create_index(
        op.f("ix_verification_reports_case_id_id"),
        "verification_reports",
        ["case_id", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_verification_reports_household_id_id"),
        "verification_reports",
        ["household_id", "id"],
        unique=False,
    )
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
    op.create_index(
        op.f("ix_finding_tasks_county_status_due_date"),
        "finding_tasks",
        ["county", "status", "due_date"],
        unique=False,
    )
    op.create_index(
        op.f("ix_finding_tasks_prefecture_status_due_date"),
        "finding_tasks",
        ["prefecture", "status", "due_date"],
        unique=False,
    )
    op.create_index(
        op.f("ix_finding_tasks_province_status_due_date"),
        "finding_tasks",
        ["province", "status", "due_date"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("finding_tasks")
    op.drop_table("verification_reports")
    op.drop_table("low_income_events")
    op.drop_table("findings")
    op.drop_table("low_income_people")
    op.drop_table("register_imports")
    op.drop_table("department_batches")
    op.drop_table("data_access_log")
    op.drop_table("comparison_runs")
