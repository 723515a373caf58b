"""Cases and their hash-chained events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-05-12
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of what the models used when this migration was written.
_JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("program", sa.String(100), nullable=False),
        sa.Column("county", sa.String(6), nullable=False),
        sa.Column("prefecture", sa.String(6), nullable=True),
        sa.Column("province", sa.String(6), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", _JSON, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_cases_household_id_households")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    op.create_index(op.f("ix_cases_province_id"), "cases", ["province", "id"])
    op.create_index(op.f("ix_cases_prefecture_id"), "cases", ["prefecture", "id"])
    op.create_index(op.f("ix_cases_county_id"), "cases", ["county", "id"])
    op.create_index(op.f("ix_cases_household_id_id"), "cases", ["household_id", "id"])
    op.create_index(op.f("ix_cases_state_id"), "cases", ["state", "id"])

    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("from_state", sa.String(32), nullable=True),
        sa.Column("to_state", sa.String(32), nullable=False),
        sa.Column("document", _JSON, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_case_events_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
        sa.UniqueConstraint("case_id", "seq", name=op.f("uq_case_events_case_id_seq")),
    )


def downgrade() -> None:
    op.drop_table("case_events")
    op.drop_index(op.f("ix_cases_state_id"), table_name="cases")
    op.drop_index(op.f("ix_cases_household_id_id"), table_name="cases")
    op.drop_index(op.f("ix_cases_county_id"), table_name="cases")
    op.drop_index(op.f("ix_cases_prefecture_id"), table_name="cases")
    op.drop_index(op.f("ix_cases_province_id"), table_name="cases")
    op.drop_table("cases")
