"""Issue 11: "A county approver can set a yuan standard to NaN, Infinity or 1e308; on SQLite it is
stored and served to everyone ... on PostgreSQL the same input is a 500-class error", and
`setLocalParameter(until: "9999-12-31")` crashed. Typed errors on both backends, nothing
written."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from sqlalchemy import func, select

from core.access.tokens import create_user
from core.errors import InvalidInput
from core.policy.local_store import set_local_parameter
from core.storage.tables import AuditEntryRow, LocalSettingRow
from core.validation import DateOutOfRange, NotFinite, NumberOutOfRange

WUHUA = "530102"
URBAN = "dibao.standard.urban"
SOURCE = "某县民政局关于调整城市低保标准的通知(测试)"


@pytest.fixture
def approver(db, registry):
    with db.sessions() as s:
        user, _ = create_user(s, "approver", "county_approver", WUHUA, registry)
    return user


def _set(db, base, user, value, start=dt.date(2024, 1, 1), until=None):
    with db.sessions() as s:
        return set_local_parameter(s, user, WUHUA, URBAN, value, start, until, SOURCE, base)


@pytest.mark.parametrize(
    ("value", "error", "code"),
    [
        (math.nan, NotFinite, "NOT_A_FINITE_NUMBER"),
        (math.inf, NotFinite, "NOT_A_FINITE_NUMBER"),
        (-math.inf, NotFinite, "NOT_A_FINITE_NUMBER"),
        (1e308, NumberOutOfRange, "NUMBER_OUT_OF_RANGE"),
    ],
)
def test_non_finite_and_absurd_standards_are_typed_errors(db, base, approver, value, error, code):
    with pytest.raises(error) as e:
        _set(db, base, approver, value)
    assert e.value.code == code and e.value.message.startswith(URBAN)
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(LocalSettingRow)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEntryRow)) == 0


def test_dates_at_the_ends_of_the_calendar_are_typed_errors(db, base, approver):
    with pytest.raises(DateOutOfRange, match=r"^until: 9999-12-31 is outside"):
        _set(db, base, approver, 780, until=dt.date(9999, 12, 31))
    with pytest.raises(DateOutOfRange, match=r"^from: 0001-01-01 is outside"):
        _set(db, base, approver, 780, start=dt.date(1, 1, 1))
    _set(db, base, approver, 780, until=dt.date(2199, 12, 31))  # the last day accepted
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(LocalSettingRow)) == 1
    assert issubclass(DateOutOfRange, InvalidInput)
