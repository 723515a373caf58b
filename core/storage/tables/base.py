"""What every table shares: the declarative base with its naming convention, UTC timestamps,
JSON documents (JSONB on PostgreSQL) and the column types of codes and ID numbers. The tables
themselves are one module per context in this package (the migrations build the same).

Every table name and constraint name is fixed by :data:`NAMING_CONVENTION`, so migrations can
refer to constraints by name on both SQLite and PostgreSQL. Times are stored in UTC
(``timestamptz`` on PostgreSQL; ISO text on SQLite, read back as aware UTC datetimes).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    MetaData,
    String,
    TypeDecorator,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = (
    "village_clerk",
    "township_officer",
    "county_approver",
    "province_admin",
    "auditor",
    "analyst",
)

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
