"""Tables for knowing the people: register imports, department data, comparisons, verification
and the low-income register (SQLAlchemy models on :class:`core.storage.tables.Base`).

- ``register_imports``: every household-register import committed (file name and hash, counts,
  who, when) — the provenance of the households it created or changed.
- ``data_access_log``: every read and export of personal data outside the case workflow
  (department batches, rosters, publicity lists, verification reports): who, when, what, where.
- ``department_batches``: one file of one data kind from one department (its records are kept
  as a Parquet file named by its hash in the data directory, sorted by ID number); the row is
  the provenance: department, batch date, file hash, who imported it.
- ``comparison_runs`` and ``findings`` (疑点): a comparison (比对) of batches against the people
  doudi pays or registers; a finding is unique by its ``key`` (the same record of the same
  person for the same subject is never raised twice). The task a finding opens (who verifies
  it, by when, its outcome) is one to one with it and lives on its row (migration 0013).
- ``verification_reports`` (核对报告): per member and data kind, with the batch each answer
  came from; platform (an adapter) or manual (with the paper report's number).
- ``low_income_people`` and ``low_income_events``: the low-income register (低收入人口) and its
  history (recognised, tags, monitoring flags, re-assessments, exits).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.tables.base import CODE, ID_NUMBER, Base, JsonDocument, utcnow

FINDING_STATUSES = ("open", "resolved", "dismissed")
LOW_INCOME_STATUSES = ("active", "exited")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class RegisterImportRow(Base):
    """One committed import of a household register file."""

    __tablename__ = "register_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255))
    file_hash: Mapped[str] = mapped_column(String(64))
    jurisdiction: Mapped[str] = mapped_column(CODE)
    created: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)


class DataAccessRow(Base):
    """One read or export of personal data (append-only)."""

    __tablename__ = "data_access_log"
    __table_args__ = (Index(None, "jurisdiction", "id"), Index(None, "user_id", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64))
    jurisdiction: Mapped[str] = mapped_column(CODE)
    rows: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)


class DepartmentBatchRow(Base):
    """One department file of one data kind, at a jurisdiction (its records in Parquet)."""

    __tablename__ = "department_batches"
    __table_args__ = (
        UniqueConstraint("kind", "jurisdiction", "file_hash"),
        Index(None, "province", "kind", "id"),
        Index(None, "prefecture", "kind", "id"),
        Index(None, "county", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(64))
    jurisdiction: Mapped[str] = mapped_column(CODE)
    # The place columns of the jurisdiction (None above its level), for scoping.
    county: Mapped[str | None] = mapped_column(CODE)
    prefecture: Mapped[str | None] = mapped_column(CODE)
    province: Mapped[str | None] = mapped_column(CODE)
    batch_date: Mapped[dt.date] = mapped_column(Date)
    file_name: Mapped[str] = mapped_column(String(255))
    file_hash: Mapped[str] = mapped_column(String(64))
    records: Mapped[int] = mapped_column(Integer)
    storage: Mapped[str] = mapped_column(String(255))  # Parquet file, relative to the data dir
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)


class ComparisonRunRow(Base):
    """One comparison (比对) at a jurisdiction on a date, of the batches it names."""

    __tablename__ = "comparison_runs"
    __table_args__ = (Index(None, "jurisdiction", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(CODE)
    as_of: Mapped[dt.date] = mapped_column(Date)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recipients: Mapped[int] = mapped_column(Integer)
    matches: Mapped[int] = mapped_column(Integer)
    raised: Mapped[int] = mapped_column(Integer)
    known: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)


class FindingRow(Base):
    """A finding (疑点): one department record of one person, for one case or register entry,
    under one rule, with the task it opens. ``key`` makes it unique across runs.

    The task (the work the finding opens: the level that verifies it, its due date, its
    outcome) is on the finding's row: they are one to one, written together and closed
    together (the task is open while the finding is, done once it is resolved or dismissed).
    Scoped by one index on ``county``: GB/T 2260 codes nest, so a prefecture or a province is
    a range of county codes (:func:`core.storage.scope.within_by_county`); ``prefecture`` and
    ``province`` are kept for readers, not indexed."""

    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("key"),
        CheckConstraint(_in("status", FINDING_STATUSES), name="status"),
        Index(None, "county", "status", "id"),
        Index(None, "case_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    # No foreign key (migration 0013): the run is written just before its findings, in their
    # transaction, and runs are never deleted.
    run_id: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[int] = mapped_column(ForeignKey("department_batches.id"))
    kind: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(16))
    county: Mapped[str] = mapped_column(CODE)
    prefecture: Mapped[str | None] = mapped_column(CODE)
    province: Mapped[str] = mapped_column(CODE)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("low_income_people.id"))
    # No foreign key (migration 0013): the household of the finding's case or register entry,
    # whose own foreign key to it stands.
    household_id: Mapped[int | None] = mapped_column(Integer)
    id_number: Mapped[str] = mapped_column(ID_NUMBER)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)  # record, meaning, program
    # The task: township / county, the day it opened (the run's date), due (working days)
    task_level: Mapped[str] = mapped_column(String(16))
    opened_on: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    task_version: Mapped[int] = mapped_column(Integer)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # The outcome once closed (the deadline is on the run: ``deadlines``; on the task's row
    # for tasks written before migration 0013)
    task: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)


class VerificationReportRow(Base):
    """A verification report (核对报告) of a household, stored on its case when there is one."""

    __tablename__ = "verification_reports"
    __table_args__ = (Index(None, "case_id", "id"), Index(None, "household_id", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(16))  # platform / manual
    adapter: Mapped[str] = mapped_column(String(100))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    county: Mapped[str] = mapped_column(CODE)
    prefecture: Mapped[str | None] = mapped_column(CODE)
    province: Mapped[str] = mapped_column(CODE)
    on_date: Mapped[dt.date] = mapped_column(Date)
    passed: Mapped[bool] = mapped_column(Boolean)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)


class LowIncomePersonRow(Base):
    """A person on the low-income register (低收入人口). One active entry per ID number."""

    __tablename__ = "low_income_people"
    __table_args__ = (
        Index(
            "uq_low_income_people_active_id_number",
            "id_number",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        CheckConstraint(_in("status", LOW_INCOME_STATUSES), name="status"),
        Index(None, "county", "status", "id"),
        Index(None, "prefecture", "status", "id"),
        Index(None, "province", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_number: Mapped[str] = mapped_column(ID_NUMBER)
    name: Mapped[str] = mapped_column(String(200))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    county: Mapped[str] = mapped_column(CODE)
    prefecture: Mapped[str | None] = mapped_column(CODE)
    province: Mapped[str] = mapped_column(CODE)
    status: Mapped[str] = mapped_column(String(16))
    recognised_on: Mapped[dt.date] = mapped_column(Date)
    next_assessment: Mapped[dt.date | None] = mapped_column(Date)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # categories, tags, marks, source decision, flags, exit
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)


class LowIncomeEventRow(Base):
    """One change to a register entry (append-only)."""

    __tablename__ = "low_income_events"
    __table_args__ = (Index(None, "person_id", "id"), Index(None, "county", "on_date"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("low_income_people.id"))
    county: Mapped[str] = mapped_column(CODE)
    action: Mapped[str] = mapped_column(String(32))
    on_date: Mapped[dt.date] = mapped_column(Date)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    note: Mapped[str | None] = mapped_column(Text)
