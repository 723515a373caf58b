"""Local settings, their audit rows, and the revision the policy provider watches."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.tables.base import CODE, Base, JsonDocument, utcnow


class LocalSettingRow(Base):
    """A value an official set for a catalog path at a jurisdiction from a date (a local layer).

    One row per (jurisdiction, path, effective_from): setting the same date again replaces it
    (the audit table keeps what it was).
    """

    __tablename__ = "local_settings"
    __table_args__ = (UniqueConstraint("jurisdiction", "path", "effective_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(CODE)
    path: Mapped[str] = mapped_column(String(200))
    value: Mapped[Any] = mapped_column(JsonDocument)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    until: Mapped[dt.date | None] = mapped_column(Date)  # last day in effect (inclusive)
    source_text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LocalSettingAuditRow(Base):
    """Who set what, when: one row per accepted local setting, with the value it replaced."""

    __tablename__ = "local_setting_audit"
    __table_args__ = (Index(None, "jurisdiction", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    user_name: Mapped[str] = mapped_column(String(100))
    user_role: Mapped[str] = mapped_column(String(32))
    setting_id: Mapped[int] = mapped_column(ForeignKey("local_settings.id"))
    jurisdiction: Mapped[str] = mapped_column(CODE)
    path: Mapped[str] = mapped_column(String(200))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    until: Mapped[dt.date | None] = mapped_column(Date)
    # What the merged policy said at the jurisdiction on effective_from before the change.
    old_value: Mapped[Any | None] = mapped_column(JsonDocument)
    old_origin: Mapped[str | None] = mapped_column(String(100))  # "local", a plugin, "national"
    new_value: Mapped[Any] = mapped_column(JsonDocument)
    source_text: Mapped[str] = mapped_column(Text)


class RevisionRow(Base):
    """One row (id 1): bumped by every local-setting write; readers rebuild when it changes."""

    __tablename__ = "local_settings_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(Integer)
