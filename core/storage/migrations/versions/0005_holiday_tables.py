"""Holiday tables: one imported State Council holiday schedule per year, and the audit of imports.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of what the models used when this migration was written.
_JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
_TS = sa.DateTime(timezone=True)
_ACTIONS = ("imported", "replaced")


def upgrade() -> None:
    op.create_table(
        "holiday_tables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("number", sa.String(200), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("document", _JSON, nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=False),
        sa.Column("imported_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["imported_by"], ["users.id"], name=op.f("fk_holiday_tables_imported_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday_tables")),
        sa.UniqueConstraint("year", name=op.f("uq_holiday_tables_year")),
    )
    op.create_table(
        "holiday_table_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(100), nullable=False),
        sa.Column("user_role", sa.String(32), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("document", _JSON, nullable=False),
        sa.Column("previous", _JSON, nullable=True),
        sa.CheckConstraint(
            "action IN (" + ", ".join(f"'{a}'" for a in _ACTIONS) + ")",
            name=op.f("ck_holiday_table_audit_action"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_holiday_table_audit_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday_table_audit")),
    )
    op.create_index(op.f("ix_holiday_table_audit_year_id"), "holiday_table_audit", ["year", "id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_holiday_table_audit_year_id"), table_name="holiday_table_audit")
    op.drop_table("holiday_table_audit")
    op.drop_table("holiday_tables")
