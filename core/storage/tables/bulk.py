"""Annual reviews (年度核查) run by the bulk engine: runs, their progress and the review tasks
they open on cases (core.bulk)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.tables.base import CODE, Base, JsonDocument, utcnow


class ReviewRunRow(Base):
    """One annual review of a jurisdiction on a date: its scope, the snapshot it decided, and
    where it stands (``running``, ``done``, ``failed``: a failed or interrupted run is resumed)."""

    __tablename__ = "review_runs"
    __table_args__ = (Index(None, "jurisdiction", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(CODE)
    as_of: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    engine: Mapped[str] = mapped_column(String(16))
    snapshot_id: Mapped[str] = mapped_column(String(40))
    snapshot_path: Mapped[str] = mapped_column(Text)
    policy_version: Mapped[str] = mapped_column(String(32))
    scope: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    counts: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class ReviewProgressRow(Base):
    """Progress of a run per unit (a township where the data has one; the county otherwise):
    its tasks are stored in one transaction with ``done`` set, so a resumed run redoes only the
    units not done."""

    __tablename__ = "review_progress"
    __table_args__ = (UniqueConstraint("run_id", "unit"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("review_runs.id", ondelete="CASCADE"))
    unit: Mapped[str] = mapped_column(String(32))
    unit_level: Mapped[str] = mapped_column(String(16))
    total: Mapped[int] = mapped_column(Integer)
    stored: Mapped[int] = mapped_column(Integer)
    done: Mapped[bool] = mapped_column(default=False)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class ReviewTaskRow(Base):
    """What a run found for one case (or one household of a tagged group without a case): the
    proposal (continue / raise / lower / phase_out / exit / cannot_decide; eligible /
    not_eligible outside payment), the reason in one line, the decision's figures, and what the
    officials did with it (``open`` → ``confirmed`` by a batch confirmation, or ``superseded``
    when the case moved on by another step)."""

    __tablename__ = "review_tasks"
    __table_args__ = (
        UniqueConstraint("run_id", "household_id", "program"),
        Index(None, "run_id", "county", "proposal"),
        Index(None, "case_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("review_runs.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    household_id: Mapped[int] = mapped_column(Integer)
    household_version: Mapped[int] = mapped_column(Integer)
    program: Mapped[str] = mapped_column(String(100))
    county: Mapped[str] = mapped_column(CODE)
    prefecture: Mapped[str | None] = mapped_column(CODE)
    province: Mapped[str] = mapped_column(CODE)
    unit: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(16))
    case_state: Mapped[str | None] = mapped_column(String(32))
    case_version: Mapped[int | None] = mapped_column(Integer)
    proposal: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    decision: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    current_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    new_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    event_id: Mapped[int | None] = mapped_column(Integer)
