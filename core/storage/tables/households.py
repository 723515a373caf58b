"""Households, their members (for scoping and duplicate checks) and recorded decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.tables.base import CODE, ID_NUMBER, Base, JsonDocument, utcnow


class HouseholdRow(Base):
    """A household: its JSON document (core.households.model format) plus where it is, for
    scoping."""

    __tablename__ = "households"
    __table_args__ = (
        Index(None, "province", "id"),
        Index(None, "prefecture", "id"),
        Index(None, "county", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county: Mapped[str] = mapped_column(CODE)
    prefecture: Mapped[str | None] = mapped_column(CODE)  # None: county directly under province
    province: Mapped[str] = mapped_column(CODE)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it)


class MemberRow(Base):
    """One person in one household. Removed members stay, inactive, as history.

    A person (ID number) may be an *active* member of one household only: a partial unique index
    enforces it on both SQLite and PostgreSQL. Look-ups by ID number use the plain index (SQLite
    uses a partial index only for the very expression of its WHERE, and ``MemberRow.active``
    is written ``active = 1``).
    """

    __tablename__ = "household_members"
    __table_args__ = (
        Index(
            "uq_household_members_active_id_number",
            "id_number",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
        Index("ix_household_members_id_number", "id_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    id_number: Mapped[str] = mapped_column(ID_NUMBER)
    name: Mapped[str] = mapped_column(String(200))
    relation: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    removed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class DecisionRow(Base):
    """An eligibility decision as it was given: its JSON, for which household, program and date."""

    __tablename__ = "decisions"
    __table_args__ = (Index(None, "household_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    program: Mapped[str] = mapped_column(String(100))
    as_of: Mapped[dt.date] = mapped_column(Date)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
