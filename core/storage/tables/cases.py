"""Cases, their hash-chained events and the head of the global audit chain."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.tables.base import CODE, Base, JsonDocument, utcnow


class CaseRow(Base):
    """A case (core.cases): one application of a household for a program, and its state.

    ``version`` is increased by every transition; a transition is written with a conditional
    ``UPDATE ... WHERE version = :expected`` so that of two concurrent writers exactly one wins.
    ``data`` is what the steps recorded (JSON, core.cases format).
    """

    __tablename__ = "cases"
    __table_args__ = (
        Index(None, "province", "id"),
        Index(None, "prefecture", "id"),
        Index(None, "county", "id"),
        Index(None, "household_id", "id"),
        Index(None, "state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    program: Mapped[str] = mapped_column(String(100))
    county: Mapped[str] = mapped_column(CODE)
    prefecture: Mapped[str | None] = mapped_column(CODE)
    province: Mapped[str] = mapped_column(CODE)
    state: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CaseEventRow(Base):
    """One transition of a case: append-only, chained per case and in its county's chain.

    ``seq`` numbers a case's events from 1 (it equals the case's version after the event);
    ``prev_hash`` is the previous event's hash ("" for the first). ``chain`` (``cases:<county>``)
    and ``chain_seq`` number the events of a county from 1, ``chain_prev_hash`` is the hash of
    the county's event before; ``hash`` is the HMAC-SHA256 under the audit key
    (:mod:`core.audit.chain`, ``key_id`` names the key) of the canonical JSON of ``document``,
    which repeats all of these and a digest of the case's resulting data, together with
    ``prev_hash``. The chain's newest entry is in ``audit_heads``.

    Events written before migration 0009 have no chain or key: their ``hash`` is a plain
    SHA-256 and ``global_seq``/``global_prev_hash`` chain them across the database up to the
    frozen :class:`CaseAuditHeadRow`; the legacy seal vouches for that head.
    """

    __tablename__ = "case_events"
    __table_args__ = (
        UniqueConstraint("case_id", "seq"),
        UniqueConstraint("global_seq"),
        UniqueConstraint("chain", "chain_seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    global_seq: Mapped[int | None] = mapped_column(Integer)
    global_prev_hash: Mapped[str | None] = mapped_column(String(64))
    chain: Mapped[str | None] = mapped_column(String(40))
    chain_seq: Mapped[int | None] = mapped_column(Integer)
    chain_prev_hash: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(16))


class CaseAuditHeadRow(Base):
    """The head of the legacy global chain of events written before migration 0009: one row
    (``id`` 1) with the newest legacy event's ``global_seq`` and ``hash``; no longer moved (the
    legacy seal in ``audit_entries`` records it)."""

    __tablename__ = "case_audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


# Tables declared in their own modules register on Base.metadata when imported.


class SpotCheckTallyRow(Base):
    """The running count of one spot-check pool in one county and month (core.cases.selection):
    how many decisions joined the pool and how many of them the county selected. Locked in the
    write transaction of the step that adds a decision, so that the minimum (⌈r·n⌉) holds at
    every moment; ``ratio`` is the one in force at the latest decision."""

    __tablename__ = "spot_check_tallies"

    pool: Mapped[str] = mapped_column(String(40), primary_key=True)
    county: Mapped[str] = mapped_column(CODE, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    decisions: Mapped[int] = mapped_column(Integer, default=0)
    selected: Mapped[int] = mapped_column(Integer, default=0)
    ratio: Mapped[str] = mapped_column(String(16), default="")
