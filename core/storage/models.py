"""The database schema as SQLAlchemy 2 models (the migrations in ``migrations/`` build the same).

Every table name and constraint name is fixed by :data:`NAMING_CONVENTION`, so migrations can
refer to constraints by name on both SQLite and PostgreSQL. Times are stored in UTC
(``timestamptz`` on PostgreSQL; ISO text on SQLite, read back as aware UTC datetimes).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("village_clerk", "township_officer", "county_approver", "province_admin", "auditor")

# JSON documents: JSONB on PostgreSQL; Python None is stored as SQL NULL, not JSON 'null'.
JsonDocument = JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)

CODE = String(6)  # GB/T 2260 code
ID_NUMBER = String(18)  # resident ID number (公民身份号码)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC timestamp column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime()}


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN (" + ", ".join(f"'{r}'" for r in ROLES) + ")", name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    jurisdiction: Mapped[str] = mapped_column(CODE)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TokenRow(Base):
    """A bearer token, stored only as the SHA-256 hex digest of the token. ``scope``: "full"
    (everything the user may do) or "calendar" (only the user's ``/calendar/CODE.ics`` feeds)."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint("scope IN ('full', 'calendar')", name="scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16), default="full", server_default="full")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


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
    enforces it on both SQLite and PostgreSQL.
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
    """One transition of a case: append-only and hash-chained per case and across the database.

    ``seq`` numbers a case's events from 1 (it equals the case's version after the event);
    ``hash`` is the SHA-256 hex digest of the canonical JSON of ``document`` together with
    ``prev_hash`` (the previous event's hash; "" for the first). ``global_seq`` numbers all
    events of the database from 1 and ``global_prev_hash`` is the hash of the event before in
    that order; both are repeated in ``document`` (so covered by ``hash``) together with a
    digest of the case's resulting data. :class:`CaseAuditHeadRow` holds the newest one.
    """

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_id", "seq"), UniqueConstraint("global_seq"))

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
    global_seq: Mapped[int] = mapped_column(Integer)
    global_prev_hash: Mapped[str] = mapped_column(String(64))


class CaseAuditHeadRow(Base):
    """The head of the global audit chain: one row (``id`` 1) with the newest event's
    ``global_seq`` and ``hash`` (0 and "" before the first). Updated in the same transaction as
    every event insert (locked with ``SELECT ... FOR UPDATE`` on PostgreSQL), so appends are
    serialised and deleting the newest events is detected."""

    __tablename__ = "case_audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


# Tables declared in their own modules register on Base.metadata when imported.
from core.storage import holidays_models, payments_models  # noqa: E402, F401

__all__ = [
    "NAMING_CONVENTION",
    "ROLES",
    "Base",
    "CaseAuditHeadRow",
    "CaseEventRow",
    "CaseRow",
    "DecisionRow",
    "HouseholdRow",
    "LocalSettingAuditRow",
    "LocalSettingRow",
    "MemberRow",
    "RevisionRow",
    "TokenRow",
    "UTCDateTime",
    "UserRow",
    "utcnow",
]
