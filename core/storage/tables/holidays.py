"""Tables for holidays (SQLAlchemy models on :class:`core.storage.tables.Base`; imported by
:mod:`core.storage.tables` so that ``Base.metadata`` holds them).

- ``holiday_tables``: one State Council holiday schedule per year, imported with
  ``doudi holidays import`` (or the ``importHolidayTable`` mutation). Importing a year again
  replaces its row; ``imported_by``/``imported_at`` say who imported the table in force.
- ``holiday_table_audit``: every import, append-only, with the table it replaced (its document,
  who imported it and when). The newest audit id is the *revision* readers watch to rebuild
  their :class:`~core.calendars.workdays.WorkCalendar`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.tables.base import Base, JsonDocument, utcnow

HOLIDAY_AUDIT_ACTIONS = ("imported", "replaced")


class HolidayTableRow(Base):
    """One year's schedule. ``document`` is the validated table in the import format:
    ``{"year", "source": {"title", "number", "date", "url"}, "holidays": [{"from", "to",
    "name"}], "workdays": [{"date", "name"}]}`` (dates ISO; days before 1 January belong to the
    notice's New Year holiday that begins in December of the year before)."""

    __tablename__ = "holiday_tables"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(Text)
    number: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    url: Mapped[str] = mapped_column(Text)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    file_name: Mapped[str] = mapped_column(Text)  # the file (or "input") it was imported from
    imported_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class HolidayTableAuditRow(Base):
    """One import: who, when, the new table and, when it replaced one, the old one."""

    __tablename__ = "holiday_table_audit"
    __table_args__ = (
        Index(None, "year", "id"),
        CheckConstraint(
            "action IN (" + ", ".join(f"'{a}'" for a in HOLIDAY_AUDIT_ACTIONS) + ")",
            name="action",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    year: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    user_name: Mapped[str] = mapped_column(String(100))
    user_role: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(Text)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    # The table replaced: its document, who imported it and when (None for a first import).
    previous: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)


__all__ = ["HOLIDAY_AUDIT_ACTIONS", "HolidayTableAuditRow", "HolidayTableRow"]
