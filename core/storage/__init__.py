"""Persistence: SQLAlchemy models, engines and sessions, and the packaged Alembic migrations."""

from core.storage.engine import (
    current_revision,
    head_revision,
    make_engine,
    make_session_factory,
    read_unit,
    reading,
    upgrade,
    write_unit,
)

__all__ = [
    "current_revision",
    "head_revision",
    "make_engine",
    "make_session_factory",
    "read_unit",
    "reading",
    "upgrade",
    "write_unit",
]
