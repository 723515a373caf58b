"""Keyed audit chains, one per kind and county, instead of one global chain.

- ``audit_heads``: the newest entry (number, hash) of every chain (``cases:140302``,
  ``households:140302``, ``payments:520102``, ``settings:520000``, ``legacy``).
- ``audit_entries``: the entries of every chain but the cases' (households, payments, local
  settings, the legacy seal).
- ``audit_legacy``: the highest id of each audited table at this migration (what the legacy
  seal will vouch for).
- ``case_events`` gains ``chain``, ``chain_seq``, ``chain_prev_hash`` and ``key_id``; new events
  leave ``global_seq``/``global_prev_hash`` empty (no more global lock).

(A script's token may carry an expiry: ``api_tokens.expires_at``, added with the sessions by
0007_sign_in.)

Existing events keep their plain SHA-256 hashes and global chain, and ``case_audit_head``
stays as their frozen head. Nothing here needs the audit key (a migration never reads
secrets): on its first start after this migration doudi writes the *legacy seal*, an entry
authenticated with the key that records the legacy head and a digest of every household,
payment, result and local setting then in the database (core.audit.store.seal_legacy).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The audited tables: (the name entries use for their rows, the table).
_LEGACY_TABLES = (
    ("case_event", "case_events"),
    ("household", "households"),
    ("payment", "payments"),
    ("payment_result", "payment_results"),
    ("setting", "local_settings"),
    ("setting_audit", "local_setting_audit"),
)
# Frozen copies of what the models used when this migration was written.
_JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.create_table(
        "audit_heads",
        sa.Column("chain", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_heads")),
    )
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("document", _JSON, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_audit_entries_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
        sa.UniqueConstraint("chain", "seq", name=op.f("uq_audit_entries_chain_seq")),
    )
    op.create_index(op.f("ix_audit_entries_kind_id"), "audit_entries", ["kind", "id"])
    op.create_table(
        "audit_legacy",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("max_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_audit_legacy")),
    )
    conn = op.get_bind()
    legacy = sa.table("audit_legacy", sa.column("name", sa.String()), sa.column("max_id"))
    for name, table in _LEGACY_TABLES:
        top = conn.execute(sa.text(f"SELECT max(id) FROM {table}")).scalar()
        conn.execute(sa.insert(legacy).values(name=name, max_id=int(top or 0)))
    with op.batch_alter_table("case_events") as batch:
        batch.add_column(sa.Column("chain", sa.String(40), nullable=True))
        batch.add_column(sa.Column("chain_seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("chain_prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("key_id", sa.String(16), nullable=True))
        batch.alter_column("global_seq", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("global_prev_hash", existing_type=sa.String(64), nullable=True)
        batch.create_unique_constraint(
            op.f("uq_case_events_chain_chain_seq"), ["chain", "chain_seq"]
        )


def downgrade() -> None:
    with op.batch_alter_table("case_events") as batch:
        batch.drop_constraint(op.f("uq_case_events_chain_chain_seq"), type_="unique")
        batch.drop_column("key_id")
        batch.drop_column("chain_prev_hash")
        batch.drop_column("chain_seq")
        batch.drop_column("chain")
    op.drop_table("audit_legacy")
    op.drop_index(op.f("ix_audit_entries_kind_id"), table_name="audit_entries")
    op.drop_table("audit_entries")
    op.drop_table("audit_heads")
