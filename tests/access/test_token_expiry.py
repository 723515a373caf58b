"""Issue 11: tokens for scripts may carry an expiry; expired tokens are refused like revoked ones
(SQLite and PostgreSQL, the store and the command line)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from core.access.roles import Unauthenticated
from core.access.tokens import authenticate, create_user, issue_token, revoke_tokens
from core.cli import cli
from core.errors import InvalidInput
from core.storage.tables import TokenRow, utcnow
from tests.support.cli import ok

WUHUA = "530102"


@pytest.fixture
def user(db, registry):
    with db.sessions() as s:
        u, _ = create_user(s, "script", "township_officer", WUHUA, registry)
    return u


def test_an_expired_token_is_refused_like_a_revoked_one(db, user):
    with db.sessions() as s:
        token = issue_token(s, "script", expires_in=dt.timedelta(days=90))
    with db.sessions() as s:
        assert authenticate(s, token).name == "script"
    with db.sessions() as s, s.begin():
        s.execute(update(TokenRow).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    with db.sessions() as s, pytest.raises(Unauthenticated) as expired:
        authenticate(s, token)
    with db.sessions() as s:
        other = issue_token(s, "script")
        revoke_tokens(s, "script")
    with db.sessions() as s, pytest.raises(Unauthenticated) as revoked:
        authenticate(s, other)
    assert expired.value.message == revoked.value.message
    assert "expired" in expired.value.message and expired.value.code == "UNAUTHENTICATED"


def test_lifetimes_outside_an_hour_to_ten_years_are_refused(db, user):
    for bad in (dt.timedelta(minutes=59), dt.timedelta(days=3651), dt.timedelta(days=-1)):
        with db.sessions() as s, pytest.raises(InvalidInput, match="between 1 hour and 3650"):
            issue_token(s, "script", expires_in=bad)


def test_doudi_users_token_expires(db, user, monkeypatch):
    monkeypatch.setenv("DOUDI_DATABASE_URL", db.url)
    runner = CliRunner()
    before = utcnow()
    out = json.loads(
        ok(runner.invoke(cli, ["users", "token", "script", "--expires", "90d", "--json"]))
    )
    expires = dt.datetime.fromisoformat(out["expiresAt"])
    assert dt.timedelta(days=90) - dt.timedelta(minutes=5) < expires - before
    assert expires - before < dt.timedelta(days=90, minutes=5)
    with db.sessions() as s:
        assert authenticate(s, out["token"]).name == "script"
    text = ok(runner.invoke(cli, ["users", "token", "script", "--expires", "12h"]))
    assert "expires: " in text and "refused after" in text
    never = json.loads(ok(runner.invoke(cli, ["users", "token", "script", "--json"])))
    assert never["expiresAt"] is None
    bad = runner.invoke(cli, ["users", "token", "script", "--expires", "90x"])
    assert bad.exit_code == 2 and "not a duration" in bad.stderr
