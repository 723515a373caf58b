"""The audit chains (core.audit): their heads, and the entries of every chain but the cases'
(case events are entries of their county's ``cases:`` chain, in ``case_events``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.tables.base import Base, JsonDocument, utcnow

CHAIN = String(40)  # "cases:140302", "payments:520102", "settings:520000", "legacy"
HASH = String(64)  # hex SHA-256 / HMAC-SHA256
KEY_ID = String(16)


class AuditHeadRow(Base):
    """The newest entry of one chain: its number and hash. A write locks its chain's head (and
    only it: writes in different counties do not wait for each other) and moves it in the
    same transaction as the entry."""

    __tablename__ = "audit_heads"

    chain: Mapped[str] = mapped_column(CHAIN, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(HASH)


class AuditEntryRow(Base):
    """One audited write of households, payments or local settings (append-only).

    ``seq`` numbers a chain's entries from 1 without gaps; ``hash`` is the HMAC of ``document``
    (which repeats chain, seq, time, user and key id, and lists the records written with their
    digests before and after) and ``prev_hash``, the hash of the chain's entry before.
    ``subjects`` names the records, for reading an object's history (e.g. ``household:12``).
    """

    __tablename__ = "audit_entries"
    __table_args__ = (UniqueConstraint("chain", "seq"), Index(None, "kind", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain: Mapped[str] = mapped_column(CHAIN)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    prev_hash: Mapped[str] = mapped_column(HASH)
    hash: Mapped[str] = mapped_column(HASH)
    key_id: Mapped[str] = mapped_column(KEY_ID)


class AuditLegacyRow(Base):
    """What existed before the keyed audit (written by migration 0009): per table, the highest
    id then. The legacy seal vouches for exactly those rows."""

    __tablename__ = "audit_legacy"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    max_id: Mapped[int] = mapped_column(Integer)


__all__ = ["AuditEntryRow", "AuditHeadRow", "AuditLegacyRow"]
