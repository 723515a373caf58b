"""A global audit chain across all case events, and its head.

Every event gets ``global_seq`` (1, 2, ... over the whole database) and ``global_prev_hash``
(the hash of the event before in that order); ``case_audit_head`` holds the newest. Existing
events are numbered in ``id`` order and linked here (their own hashes are left as they are).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_audit_head")),
    )
    with op.batch_alter_table("case_events") as batch:
        batch.add_column(sa.Column("global_seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("global_prev_hash", sa.String(64), nullable=True))

    # Number and link the events already there (frozen table shapes: no model imports).
    events = sa.table(
        "case_events",
        sa.column("id", sa.Integer()),
        sa.column("hash", sa.String()),
        sa.column("global_seq", sa.Integer()),
        sa.column("global_prev_hash", sa.String()),
    )
    head = sa.table(
        "case_audit_head",
        sa.column("id", sa.Integer()),
        sa.column("seq", sa.Integer()),
        sa.column("hash", sa.String()),
    )
    conn = op.get_bind()
    seq, prev = 0, ""
    rows = conn.execute(sa.select(events.c.id, events.c.hash).order_by(events.c.id)).all()
    for event_id, event_hash in rows:
        seq += 1
        conn.execute(
            sa.update(events)
            .where(events.c.id == event_id)
            .values(global_seq=seq, global_prev_hash=prev)
        )
        prev = event_hash
    conn.execute(sa.insert(head).values(id=1, seq=seq, hash=prev))

    with op.batch_alter_table("case_events") as batch:
        batch.alter_column("global_seq", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("global_prev_hash", existing_type=sa.String(64), nullable=False)
        batch.create_unique_constraint(op.f("uq_case_events_global_seq"), ["global_seq"])


def downgrade() -> None:
    with op.batch_alter_table("case_events") as batch:
        batch.drop_constraint(op.f("uq_case_events_global_seq"), type_="unique")
        batch.drop_column("global_prev_hash")
        batch.drop_column("global_seq")
    op.drop_table("case_audit_head")
