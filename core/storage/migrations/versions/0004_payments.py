"""Monthly payment runs: runs, one payment per (case, month), and every result recorded.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of what the models used when this migration was written.
_JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
_TS = sa.DateTime(timezone=True)
_PAYMENT_STATUSES = ("pending", "held", "paid", "failed", "returned", "unclaimed")
_RESULT_STATUSES = ("paid", "failed", "returned", "unclaimed")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    op.create_table(
        "payment_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jurisdiction", sa.String(6), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("existing", sa.Integer(), nullable=False),
        sa.Column("document", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_payment_runs_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_runs")),
    )
    op.create_index(
        op.f("ix_payment_runs_jurisdiction_month"), "payment_runs", ["jurisdiction", "month"]
    )

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("program", sa.String(100), nullable=False),
        sa.Column("county", sa.String(6), nullable=False),
        sa.Column("prefecture", sa.String(6), nullable=True),
        sa.Column("province", sa.String(6), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("repay_by", sa.Date(), nullable=True),
        sa.Column("hold_reason", sa.Text(), nullable=True),
        sa.Column("payee_name", sa.String(200), nullable=True),
        sa.Column("payee_id_number", sa.String(18), nullable=True),
        sa.Column("bank", sa.String(200), nullable=True),
        sa.Column("account_number", sa.String(64), nullable=True),
        sa.Column("document", _JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.CheckConstraint(_in("status", _PAYMENT_STATUSES), name=op.f("ck_payments_status")),
        sa.CheckConstraint("amount_fen >= 0", name=op.f("ck_payments_amount_non_negative")),
        sa.ForeignKeyConstraint(
            ["run_id"], ["payment_runs.id"], name=op.f("fk_payments_run_id_payment_runs")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_payments_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_payments_household_id_households")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        # One payment per case and month: what makes a run idempotent, even under concurrency.
        sa.UniqueConstraint("case_id", "month", name=op.f("uq_payments_case_id_month")),
    )
    op.create_index(op.f("ix_payments_county_month_id"), "payments", ["county", "month", "id"])
    op.create_index(
        op.f("ix_payments_prefecture_month_id"), "payments", ["prefecture", "month", "id"]
    )
    op.create_index(op.f("ix_payments_province_month_id"), "payments", ["province", "month", "id"])
    op.create_index(op.f("ix_payments_status_id"), "payments", ["status", "id"])

    op.create_table(
        "payment_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("repay_by", sa.Date(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.CheckConstraint(_in("status", _RESULT_STATUSES), name=op.f("ck_payment_results_status")),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_results_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_payment_results_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_results")),
        sa.UniqueConstraint("payment_id", "seq", name=op.f("uq_payment_results_payment_id_seq")),
    )


def downgrade() -> None:
    op.drop_table("payment_results")
    op.drop_index(op.f("ix_payments_status_id"), table_name="payments")
    op.drop_index(op.f("ix_payments_province_month_id"), table_name="payments")
    op.drop_index(op.f("ix_payments_prefecture_month_id"), table_name="payments")
    op.drop_index(op.f("ix_payments_county_month_id"), table_name="payments")
    op.drop_table("payments")
    op.drop_index(op.f("ix_payment_runs_jurisdiction_month"), table_name="payment_runs")
    op.drop_table("payment_runs")
