"""Tables for payments (SQLAlchemy models on :class:`core.storage.tables.Base`; imported by
:mod:`core.storage.tables` so that ``Base.metadata`` holds them).

- ``payment_runs``: who ran which month at which jurisdiction, and how many payments it created.
- ``payments``: one row per (case, month) — the unique constraint makes runs idempotent even
  when two run at once. Amounts are integer fen (分) so sums are exact on both databases.
- ``payment_results``: every result recorded (paid, failed, returned, unclaimed), append-only;
  a repayment after a failure is a new ``attempt`` on the same payment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.tables.base import CODE, ID_NUMBER, Base, JsonDocument, utcnow

PAYMENT_STATUSES = ("pending", "held", "paid", "failed", "returned", "unclaimed")
RESULT_STATUSES = ("paid", "failed", "returned", "unclaimed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class PaymentRunRow(Base):
    """One monthly run at a jurisdiction: counts of created and already-there payments."""

    __tablename__ = "payment_runs"
    __table_args__ = (Index(None, "jurisdiction", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(CODE)
    month: Mapped[str] = mapped_column(String(7))  # "YYYY-MM"
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created: Mapped[int] = mapped_column(Integer)
    existing: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)


class PaymentRow(Base):
    """One monthly payment of one case. ``status`` and ``attempt`` are the current ones; the
    history is in :class:`PaymentResultRow`. ``version`` guards concurrent result recording."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("case_id", "month"),
        CheckConstraint(_in("status", PAYMENT_STATUSES), name="status"),
        CheckConstraint("amount_fen >= 0", name="amount_non_negative"),
        Index(None, "county", "month", "id"),
        Index(None, "prefecture", "month", "id"),
        Index(None, "province", "month", "id"),
        Index(None, "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payment_runs.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    program: Mapped[str] = mapped_column(String(100))
    county: Mapped[str] = mapped_column(CODE)
    prefecture: Mapped[str | None] = mapped_column(CODE)
    province: Mapped[str] = mapped_column(CODE)
    month: Mapped[str] = mapped_column(String(7))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int] = mapped_column(Integer)
    repay_by: Mapped[dt.date | None] = mapped_column(Date)
    hold_reason: Mapped[str | None] = mapped_column(Text)
    payee_name: Mapped[str | None] = mapped_column(String(200))
    payee_id_number: Mapped[str | None] = mapped_column(ID_NUMBER)
    bank: Mapped[str | None] = mapped_column(String(200))
    account_number: Mapped[str | None] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PaymentResultRow(Base):
    """One result the bank reported for a payment (append-only; ``seq`` from 1 per payment)."""

    __tablename__ = "payment_results"
    __table_args__ = (
        UniqueConstraint("payment_id", "seq"),
        CheckConstraint(_in("status", RESULT_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"))
    seq: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    on_date: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    repay_by: Mapped[dt.date | None] = mapped_column(Date)  # set by a "failed" result
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
