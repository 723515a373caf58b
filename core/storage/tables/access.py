"""Officials and their bearer tokens (hashes only)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.tables.base import CODE, ROLES, Base, utcnow


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
    # Signing in (core.access.signin): an Argon2id hash, never the password; the failed
    # attempts in a row and the end of a lockout survive restarts.
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    password_set_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    failed_signins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(default=None)


class TokenRow(Base):
    """A bearer token, stored only as the SHA-256 hex digest of the token. ``scope``: "full"
    (everything the user may do) or "calendar" (only the user's ``/calendar/CODE.ics`` feeds).
    ``kind``: "script" (issued for scripts) or "session" (from signing in). ``expires_at``:
    after it the token is refused like a revoked one; sessions always have one, script tokens
    when issued with one (None: no expiry)."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("scope IN ('full', 'calendar')", name="scope"),
        CheckConstraint("kind IN ('script', 'session')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16), default="full", server_default="full")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    kind: Mapped[str] = mapped_column(String(16), default="script", server_default="script")
    expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)
