"""Spot-check tallies: the running count of each spot-check pool per county and month, so that a
minimum (不低于30%, 50%以上) holds in every county and month instead of on average.

Existing cases are counted in: a dibao case confirmed by a township (``data.decision.level``
township) joins ``dibao_township_confirmation`` in the month of ``data.decision.on``; a tekun
case with a first review joins ``tekun_file`` in the month of ``data.firstReview.on``; each
with ``data.spotCheck.selected`` as recorded.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    tallies = op.create_table(
        "spot_check_tallies",
        sa.Column("pool", sa.String(40), nullable=False),
        sa.Column("county", sa.String(6), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("decisions", sa.Integer(), nullable=False),
        sa.Column("selected", sa.Integer(), nullable=False),
        sa.Column("ratio", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("pool", "county", "month", name=op.f("pk_spot_check_tallies")),
    )
    cases = sa.table(
        "cases",
        sa.column("program", sa.String),
        sa.column("county", sa.String),
        sa.column("data", sa.JSON),
    )
    counts: dict[tuple[str, str, str], list[Any]] = {}
    rows = op.get_bind().execute(sa.select(cases.c.program, cases.c.county, cases.c.data))
    for program, county, data in rows:
        if isinstance(data, str):  # a driver that hands JSON back as text
            data = json.loads(data)
        spot = (data or {}).get("spotCheck")
        if not isinstance(spot, dict):
            continue
        if program == "dibao" and (data.get("decision") or {}).get("level") == "township":
            pool, on = "dibao_township_confirmation", (data.get("decision") or {}).get("on")
        elif program == "tekun" and data.get("firstReview"):
            pool, on = "tekun_file", data["firstReview"].get("on")
        else:
            continue
        if not on:
            continue
        entry = counts.setdefault((pool, county, str(on)[:7]), [0, 0, ""])
        entry[0] += 1
        entry[1] += 1 if spot.get("selected") else 0
        entry[2] = str(spot.get("ratio") or "")
    if counts:
        op.bulk_insert(
            tallies,
            [
                {"pool": p, "county": c, "month": m, "decisions": n, "selected": k, "ratio": r}
                for (p, c, m), (n, k, r) in sorted(counts.items())
            ],
        )


def downgrade() -> None:
    op.drop_table("spot_check_tallies")
