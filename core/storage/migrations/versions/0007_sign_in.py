"""Signing in: users get an Argon2id password hash, a count of failed sign-ins in a row and
the end of a lockout (stored, so a restart forgets nothing); tokens get a kind ("script":
issued for scripts, never expiring, as before; "session": from signing in) and an expiry.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("password_hash", sa.String(255), nullable=True))
        batch.add_column(sa.Column("password_set_at", _TS, nullable=True))
        batch.add_column(
            sa.Column("failed_signins", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("locked_until", _TS, nullable=True))
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="script"))
        batch.add_column(sa.Column("expires_at", _TS, nullable=True))
        batch.create_check_constraint(op.f("ck_api_tokens_kind"), "kind IN ('script', 'session')")


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_constraint(op.f("ck_api_tokens_kind"), type_="check")
        batch.drop_column("expires_at")
        batch.drop_column("kind")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("failed_signins")
        batch.drop_column("password_set_at")
        batch.drop_column("password_hash")
