"""An index of household members by ID number, active or not.

The partial unique index on active members (``WHERE active``) is the rule that a person is an
active member of one household only. SQLite uses a partial index only for a query whose WHERE
names the same expression, and SQLAlchemy writes ``active = 1`` there: every look-up of a
person among the members (the duplicate check of a household written or imported, the
households of a register's ID numbers, the low-income register, the search) read the whole
table. PostgreSQL proves ``active = true`` implies ``active``; the index serves it too for the
history of removed members.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_household_members_id_number", "household_members", ["id_number"])


def downgrade() -> None:
    op.drop_index("ix_household_members_id_number", table_name="household_members")
