"""Passwords, sessions and lockout, stored (SQLite and PostgreSQL): Argon2id hashes only, a
session token that expires and is revoked by signing out, the lockout counted on the user
(so a restart forgets nothing), and administrators acting only within their jurisdiction."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.access.accounts import (
    admin_create_user,
    admin_issue_token,
    admin_reset_password,
    admin_revoke_tokens,
    admin_set_active,
    change_password,
    get_account,
    list_accounts,
    set_password,
    sign_in,
    sign_out,
    tokens_of_users,
    user_tokens,
)
from core.access.roles import Forbidden, Unauthenticated, mask_id_number
from core.access.signin import (
    LOCKOUT,
    MAX_FAILURES,
    AccountLocked,
    Attempts,
    SignInFailed,
    WeakPassword,
    after_failure,
    locked,
    session_hours,
)
from core.access.tokens import authenticate, create_user
from core.errors import InvalidInput
from core.storage.engine import make_engine, make_session_factory
from core.storage.tables import TokenRow, UserRow

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
PW = "correct horse 电池"


def peek(db, query):
    """One value read in a session of its own (the store functions open their own
    transactions)."""
    with db.sessions() as s:
        return s.scalar(query)


def add(db, registry, name, role="township_officer", code="140302", password=PW):
    with db.sessions() as s:
        user, token = create_user(s, name, role, code, registry)
        if password is not None:
            set_password(s, name, password, NOW)
    return user, token


# -- pure ---------------------------------------------------------------------------------------


def test_lockout_counts_failures_in_a_row_and_then_expires():
    a = Attempts(0, None)
    for i in range(1, MAX_FAILURES):
        a = after_failure(a, NOW)
        assert a == Attempts(i, None)
    a = after_failure(a, NOW)
    assert a == Attempts(0, NOW + LOCKOUT)
    assert locked(a, NOW + LOCKOUT - dt.timedelta(seconds=1)) == NOW + LOCKOUT
    assert locked(a, NOW + LOCKOUT) is None
    # after the lock ends, counting starts again from one
    assert after_failure(a, NOW + LOCKOUT) == Attempts(1, None)


def test_session_hours_are_configurable_and_checked():
    assert session_hours({}) == 8
    assert session_hours({"DOUDI_SESSION_HOURS": "2"}) == 2
    for bad in ("0", "-1", "abc", "100000"):
        with pytest.raises(InvalidInput, match="DOUDI_SESSION_HOURS"):
            session_hours({"DOUDI_SESSION_HOURS": bad})


def test_masking_keeps_region_and_last_four():
    assert mask_id_number("140302198405160012") == "140302********0012"


# -- stored -------------------------------------------------------------------------------------


def test_password_is_hashed_with_argon2_and_rules_apply(db, registry):
    add(db, registry, "li", password=None)
    add(db, registry, "wangxiaoming", password=None)
    with db.sessions() as s:
        with pytest.raises(WeakPassword, match="at least 10"):
            set_password(s, "li", "short", NOW)
        with pytest.raises(WeakPassword, match="user name"):
            set_password(s, "wangxiaoming", "WangXiaoMing", NOW)
        with pytest.raises(WeakPassword, match="different characters"):
            set_password(s, "li", "aaaaaaaaaaaa", NOW)
        with pytest.raises(InvalidInput, match="no user named"):
            set_password(s, "nobody", PW, NOW)
        set_password(s, "li", PW, NOW)
    stored = peek(db, select(UserRow.password_hash).where(UserRow.name == "li"))
    assert stored.startswith("$argon2id$") and PW not in stored


def test_sign_in_gives_an_expiring_session_token_revoked_by_sign_out(db, registry):
    user, script = add(db, registry, "li")
    now = dt.datetime.now(dt.UTC)
    with db.sessions() as s:
        done = sign_in(s, "li", PW, now, 8)
    assert done.user == user and done.expires_at == now + dt.timedelta(hours=8)
    with db.sessions() as s:
        assert authenticate(s, done.token) == user
        row = peek(db, select(TokenRow).where(TokenRow.kind == "session"))
        assert row.expires_at == done.expires_at and row.scope == "full"
        assert sign_out(s, done.token, NOW) is True
        with pytest.raises(Unauthenticated, match="expired, revoked"):
            authenticate(s, done.token)
        # signing out with a script token does nothing: scripts keep working as before
        assert sign_out(s, script, NOW) is False
        assert authenticate(s, script) == user


def test_an_expired_session_token_opens_nothing(db, registry):
    add(db, registry, "li")
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=9)
    with db.sessions() as s:
        done = sign_in(s, "li", PW, long_ago, 8)
        with pytest.raises(Unauthenticated, match="expired"):
            authenticate(s, done.token)


def test_wrong_password_unknown_user_and_no_password_look_the_same(db, registry):
    add(db, registry, "li")
    add(db, registry, "wang", password=None)
    with db.sessions() as s:
        for name, pw in (("li", "wrong password"), ("nobody", PW), ("wang", PW)):
            with pytest.raises(SignInFailed) as e:
                sign_in(s, name, pw, NOW, 8)
            assert e.value.message == "wrong user name or password"


def test_lockout_after_five_failures_survives_a_new_session_and_ends(db, registry):
    add(db, registry, "li")
    with db.sessions() as s:
        for _ in range(MAX_FAILURES - 1):
            with pytest.raises(SignInFailed):
                sign_in(s, "li", "wrong password", NOW, 8)
        with pytest.raises(AccountLocked, match="locked") as e:
            sign_in(s, "li", "wrong password", NOW, 8)
        assert e.value.until == NOW + LOCKOUT
    # a new session (as after a restart) still sees the lock, even with the right password
    with db.sessions() as s, pytest.raises(AccountLocked):
        sign_in(s, "li", PW, NOW + dt.timedelta(minutes=14), 8)
    row = peek(db, select(UserRow).where(UserRow.name == "li"))
    assert row.locked_until == NOW + LOCKOUT
    with db.sessions() as s:
        assert sign_in(s, "li", PW, NOW + LOCKOUT, 8).user.name == "li"
    row = peek(db, select(UserRow).where(UserRow.name == "li"))
    assert (row.failed_signins, row.locked_until) == (0, None)


def test_a_success_resets_the_count(db, registry):
    add(db, registry, "li")
    with db.sessions() as s:
        for _ in range(MAX_FAILURES - 1):
            with pytest.raises(SignInFailed):
                sign_in(s, "li", "wrong password", NOW, 8)
        sign_in(s, "li", PW, NOW, 8)
        with pytest.raises(SignInFailed):  # counting starts again: not locked
            sign_in(s, "li", "wrong password", NOW, 8)


def test_change_password_needs_the_current_one_and_ends_other_sessions(db, registry):
    user, _ = add(db, registry, "li")
    with db.sessions() as s:
        with pytest.raises(SignInFailed, match="currentPassword"):
            change_password(s, user, "not it at all", "another good one", NOW)
        change_password(s, user, PW, "another good one", NOW)
        with pytest.raises(SignInFailed):
            sign_in(s, "li", PW, NOW, 8)
        assert sign_in(s, "li", "another good one", NOW, 8)


def test_administrators_act_within_their_jurisdiction_only(db, registry):
    shanxi, _ = add(db, registry, "sx-admin", "province_admin", "140000")
    yunnan, _ = add(db, registry, "yn-admin", "province_admin", "530000")
    clerk, _ = add(db, registry, "clerk", "village_clerk", "140302")
    national, _ = add(db, registry, "cn-admin", "province_admin", "000000")
    add(db, registry, "sx-admin2", "province_admin", "140000")
    with db.sessions() as s:
        # who asks is checked first: a clerk learns nothing, not even whether a name exists
        with pytest.raises(Forbidden, match="may not manage users"):
            admin_reset_password(s, clerk, "nobody", PW, registry, NOW)
        with pytest.raises(Forbidden, match="outside your jurisdiction"):
            admin_create_user(s, yunnan, "x", "village_clerk", "140302", PW, registry, NOW)
        with pytest.raises(Forbidden, match="outside"):
            list_accounts(s, yunnan, "140000", registry, NOW)
        with pytest.raises(Forbidden, match="from above"):
            admin_set_active(s, shanxi, "sx-admin2", False, registry, NOW)
        with pytest.raises(Forbidden, match="own account"):
            admin_set_active(s, national, "cn-admin", False, registry, NOW)
        names = {a.user.name for a in list_accounts(s, shanxi, "140000", registry, NOW)}
        assert names == {"sx-admin", "sx-admin2", "clerk"}
        # the national administrator manages the provinces' administrators
        admin_reset_password(s, national, "sx-admin", "a new secret 1", registry, NOW)

        user, token = admin_create_user(
            s, shanxi, "zhang", "county_approver", "140302", PW, registry, NOW
        )
        assert authenticate(s, token) == user
        assert sign_in(s, "zhang", PW, NOW, 8).user == user
        info, _ = admin_issue_token(s, shanxi, "zhang", "calendar", registry, NOW)
        assert (info.kind, info.scope, info.expires_at) == ("script", "calendar", None)
        assert len(user_tokens(s, shanxi, "zhang", registry)) == 3
        assert admin_revoke_tokens(s, shanxi, "zhang", registry, NOW, token_id=info.id) == 1
        with pytest.raises(InvalidInput, match="tokenId"):
            admin_revoke_tokens(s, shanxi, "zhang", registry, NOW, token_id=info.id)
        account = admin_set_active(s, shanxi, "zhang", False, registry, NOW)
        assert account.active is False
        with pytest.raises(Unauthenticated):
            authenticate(s, token)
        with pytest.raises(SignInFailed):
            sign_in(s, "zhang", PW, NOW, 8)
        with pytest.raises(InvalidInput, match="deactivated"):
            admin_issue_token(s, shanxi, "zhang", "full", registry, NOW)


def test_reset_password_unlocks_and_ends_sessions(db, registry):
    admin, _ = add(db, registry, "sx-admin", "province_admin", "140000")
    add(db, registry, "li")
    with db.sessions() as s:
        session_token = sign_in(s, "li", PW, dt.datetime.now(dt.UTC), 8).token
        for _ in range(MAX_FAILURES):
            with pytest.raises((SignInFailed, AccountLocked)):
                sign_in(s, "li", "wrong password", NOW, 8)
        account = admin_reset_password(s, admin, "li", "brand new secret", registry, NOW)
        assert (account.locked_until, account.failed_signins) == (None, 0)
        with pytest.raises(Unauthenticated):
            authenticate(s, session_token)
        assert sign_in(s, "li", "brand new secret", NOW, 8)


def test_a_refused_admin_operation_writes_nothing(db, registry):
    yunnan, _ = add(db, registry, "yn-admin", "province_admin", "530000")
    add(db, registry, "li")
    before = peek(db, select(UserRow.password_hash).where(UserRow.name == "li"))
    with db.sessions() as s:
        with pytest.raises(Forbidden):
            admin_reset_password(s, yunnan, "li", "brand new secret", registry, NOW)
        with pytest.raises(Forbidden):
            admin_create_user(s, yunnan, "new", "village_clerk", "140302", None, registry, NOW)
    assert peek(db, select(UserRow.password_hash).where(UserRow.name == "li")) == before
    assert peek(db, select(UserRow).where(UserRow.name == "new")) is None


def test_migration_adds_the_columns(db):
    # the tables the migrations build carry what the models expect (checked by a round trip)
    engine = make_engine(db.url)
    try:
        with make_session_factory(engine)() as s:
            assert s.scalars(select(UserRow.failed_signins)).all() == []
            assert s.scalars(select(TokenRow.expires_at)).all() == []
    finally:
        engine.dispose()


def test_tokens_of_many_users_at_once_as_one_by_one(db, registry):
    """The batch read behind userAccounts' tokens: each user's newest tokens (at most the
    limit), the same as user_tokens reads for them alone; a user outside the administrator's
    jurisdiction or unknown fails only their own item."""
    admin, _ = add(db, registry, "sx-admin", "province_admin", "140000")
    li, _ = add(db, registry, "li")
    wang, _ = add(db, registry, "wang", "county_approver", "140302")
    yunnan, _ = add(db, registry, "yn-clerk", "village_clerk", "530102")
    with db.sessions() as s:
        for _ in range(12):
            admin_issue_token(s, admin, "li", "calendar", registry, NOW)
    with db.sessions() as s:
        found = tokens_of_users(s, admin, [li.id, wang.id, yunnan.id, 999999], registry)
        assert found[li.id] == user_tokens(s, admin, "li", registry)
        assert len(found[li.id]) == 10
        ids = [t.id for t in found[li.id]]
        assert ids == sorted(ids, reverse=True)  # newest first
        assert found[wang.id] == user_tokens(s, admin, "wang", registry)
        assert len(found[wang.id]) == 1
        assert isinstance(found[yunnan.id], Forbidden)
        assert getattr(found[999999], "code", None) == "NOT_FOUND"
        assert tokens_of_users(s, admin, [], registry) == {}
        with pytest.raises(Forbidden):
            tokens_of_users(s, li, [li.id], registry)  # who asks comes first
        assert get_account(s, admin, "wang", registry, NOW).user == wang
        with pytest.raises(Forbidden):
            get_account(s, admin, "yn-clerk", registry, NOW)
