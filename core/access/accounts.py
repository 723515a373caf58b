"""Accounts, stored: passwords, signing in and out, lockouts, and what administrators do to the
users within their jurisdiction. The rules are :mod:`core.access.signin` (pure); the tokens
themselves are :mod:`core.access.tokens`.

Every function takes ``now`` (an aware UTC datetime) so that expiry and lockout are decided
on one clock per request. Administrative functions check who asks before reading anything
else (:func:`core.access.signin.check_manages`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.access.roles import (
    FULL,
    TOKEN_SCOPES,
    Forbidden,
    Role,
    User,
    hash_token,
    new_token,
    parse_role,
)
from core.access.signin import (
    SESSION,
    AccountLocked,
    Attempts,
    SignInFailed,
    after_failure,
    check_manages,
    check_sign_in_allowed,
    expired,
    hash_password,
    lock_message,
    needs_rehash,
    password_matches,
    require_manager,
    session_expiry,
)
from core.access.tokens import create_user, lifetime_end
from core.errors import DoudiError, InvalidInput
from core.policy.jurisdictions import JurisdictionRegistry
from core.storage.engine import reading, write_unit
from core.storage.tables import TokenRow, UserRow

WRONG = "wrong user name or password"
MAX_LISTED = 500


class UnknownUser(InvalidInput):
    code = "NOT_FOUND"
    field = "name"


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User
    token: str  # shown once; only its hash is stored
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as an administrator sees it: never the token or its hash."""

    id: int
    kind: str
    scope: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None

    def valid(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and not expired(self.expires_at, now)


@dataclass(frozen=True, slots=True)
class Account:
    user: User
    active: bool
    has_password: bool
    password_set_at: dt.datetime | None
    failed_signins: int
    locked_until: dt.datetime | None
    created_at: dt.datetime


def _user(row: UserRow) -> User:
    return User(row.id, row.name, Role(row.role), row.jurisdiction)


def _account(row: UserRow, now: dt.datetime) -> Account:
    lock = row.locked_until if row.locked_until is not None and row.locked_until > now else None
    return Account(
        user=_user(row),
        active=bool(row.active),
        has_password=row.password_hash is not None,
        password_set_at=row.password_set_at,
        failed_signins=row.failed_signins or 0,
        locked_until=lock,
        created_at=row.created_at,
    )


def _by_name(session: Session, name: str) -> UserRow:
    row = session.scalar(select(UserRow).where(UserRow.name == name.strip()))
    if row is None:
        raise UnknownUser(f"name: no user named '{name}'")
    return row


# -- passwords and sessions --------------------------------------------------------------------


def set_password(session: Session, name: str, password: str, now: dt.datetime) -> User:
    """Set user ``name``'s password (``doudi users passwd``: whoever runs the command holds the
    database). Unlocks the account and ends its sessions."""
    with write_unit(session):
        row = _by_name(session, name)
        row.password_hash = hash_password(password, row.name)
        row.password_set_at = now
        row.failed_signins = 0
        row.locked_until = None
        _end_sessions(session, row.id, now)
        return _user(row)


def _end_sessions(session: Session, user_id: int, now: dt.datetime) -> int:
    result = session.execute(
        update(TokenRow)
        .where(
            TokenRow.user_id == user_id,
            TokenRow.kind == SESSION,
            TokenRow.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def sign_in(session: Session, name: str, password: str, now: dt.datetime, hours: int) -> SignedIn:
    """A session token for ``name`` if ``password`` is theirs.

    SIGN_IN_FAILED for a wrong password, an unknown or inactive user, or a user without a
    password (the answer never says which); ACCOUNT_LOCKED while locked (the password is not
    even checked). The failure is counted before the error is raised.
    """
    with reading(session):
        row = session.scalar(select(UserRow).where(UserRow.name == name.strip()))
        if row is not None:
            attempts = Attempts(row.failed_signins or 0, row.locked_until)
            check_sign_in_allowed(attempts, now)
            user_id, stored, active = row.id, row.password_hash, bool(row.active)
    if row is None:
        password_matches(None, password)  # the same work as a real check
        raise SignInFailed(WRONG)
    ok = password_matches(stored, password) and active
    if not ok:
        after = after_failure(attempts, now)
        with write_unit(session):
            session.execute(
                update(UserRow)
                .where(UserRow.id == user_id)
                .values(failed_signins=after.failures, locked_until=after.locked_until)
            )
        if after.locked_until is not None:
            raise AccountLocked(f"{WRONG}; {lock_message(after.locked_until)}", after.locked_until)
        raise SignInFailed(WRONG)
    token = new_token()
    expires = session_expiry(now, hours)
    with write_unit(session):
        row = session.get(UserRow, user_id)
        assert row is not None
        row.failed_signins = 0
        row.locked_until = None
        if stored is not None and needs_rehash(stored):
            row.password_hash = hash_password(password)
        session.add(
            TokenRow(
                user_id=user_id,
                token_hash=hash_token(token),
                scope=FULL,
                kind=SESSION,
                expires_at=expires,
                created_at=now,
            )
        )
        user = _user(row)
    return SignedIn(user, token, expires)


def sign_out(session: Session, token: str, now: dt.datetime) -> bool:
    """Revoke the session token ``token``; False when it was not a valid session token (a
    script token is revoked by ``doudi users revoke`` or an administrator, not by signing
    out)."""
    with write_unit(session):
        result = session.execute(
            update(TokenRow)
            .where(
                TokenRow.token_hash == hash_token(token),
                TokenRow.kind == SESSION,
                TokenRow.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def token_expiry(session: Session, token: str) -> dt.datetime | None:
    """When the (valid) token ``token`` expires; None for tokens that never do."""
    with reading(session):
        return session.scalar(
            select(TokenRow.expires_at).where(TokenRow.token_hash == hash_token(token))
        )


def change_password(session: Session, user: User, current: str, new: str, now: dt.datetime) -> None:
    """The user changes their own password, proving the current one (a wrong one counts as a
    failed sign-in). Their other sessions end."""
    with reading(session):
        row = session.get(UserRow, user.id)
        assert row is not None
        attempts = Attempts(row.failed_signins or 0, row.locked_until)
        check_sign_in_allowed(attempts, now)
        stored = row.password_hash
    if not password_matches(stored, current):
        after = after_failure(attempts, now)
        with write_unit(session):
            session.execute(
                update(UserRow)
                .where(UserRow.id == user.id)
                .values(failed_signins=after.failures, locked_until=after.locked_until)
            )
        err = SignInFailed("currentPassword: not your current password")
        raise err
    new_hash = hash_password(new, user.name)
    with write_unit(session):
        row = session.get(UserRow, user.id)
        assert row is not None
        row.password_hash = new_hash
        row.password_set_at = now
        row.failed_signins = 0
        row.locked_until = None


# -- administration ----------------------------------------------------------------------------


def list_accounts(
    session: Session,
    admin: User | None,
    jurisdiction: str,
    registry: JurisdictionRegistry,
    now: dt.datetime,
    *,
    include_inactive: bool = True,
) -> list[Account]:
    """The users at ``jurisdiction`` and under it (which must lie within the administrator's)."""
    who = require_manager(admin)
    place = registry.get(jurisdiction)
    if not registry.is_within(place.code, who.jurisdiction):
        mine = registry.get(who.jurisdiction)
        raise Forbidden(
            f"{place.code} ({place.name}) is outside your jurisdiction {mine.code} ({mine.name})"
        )
    with reading(session):
        query = select(UserRow).order_by(UserRow.jurisdiction, UserRow.name)
        if not include_inactive:
            query = query.where(UserRow.active)
        rows = session.scalars(query).all()
        out = [_account(r, now) for r in rows if registry.is_within(r.jurisdiction, place.code)]
    return out[:MAX_LISTED]


def _managed(
    session: Session, admin: User | None, name: str, registry: JurisdictionRegistry
) -> UserRow:
    """The row of user ``name`` if ``admin`` manages them (the role is checked first, before the
    name is even looked up)."""
    require_manager(admin)
    row = _by_name(session, name)
    check_manages(admin, row.jurisdiction, Role(row.role), registry, target_id=row.id)
    return row


def admin_create_user(
    session: Session,
    admin: User | None,
    name: str,
    role: str,
    jurisdiction: str,
    password: str | None,
    registry: JurisdictionRegistry,
    now: dt.datetime,
) -> tuple[User, str]:
    """A new user within the administrator's jurisdiction, with a first script token (shown
    once) and, if given, a password."""
    r = parse_role(role)
    check_manages(admin, jurisdiction, r, registry)
    password_hash = hash_password(password, name) if password is not None else None
    return create_user(session, name, r, jurisdiction, registry, password_hash=password_hash)


def admin_set_active(
    session: Session,
    admin: User | None,
    name: str,
    active: bool,
    registry: JurisdictionRegistry,
    now: dt.datetime,
) -> Account:
    """Deactivate (every token stops working; records stay) or reactivate a user."""
    with write_unit(session):
        row = _managed(session, admin, name, registry)
        row.active = active
        if not active:
            _end_sessions(session, row.id, now)
        return _account(row, now)


def admin_reset_password(
    session: Session,
    admin: User | None,
    name: str,
    password: str,
    registry: JurisdictionRegistry,
    now: dt.datetime,
) -> Account:
    """Set a user's password (unlocks the account, ends their sessions)."""
    with write_unit(session):
        row = _managed(session, admin, name, registry)
        row.password_hash = hash_password(password, row.name)
        row.password_set_at = now
        row.failed_signins = 0
        row.locked_until = None
        _end_sessions(session, row.id, now)
        return _account(row, now)


def admin_issue_token(
    session: Session,
    admin: User | None,
    name: str,
    scope: str,
    registry: JurisdictionRegistry,
    now: dt.datetime,
    *,
    expires_in: dt.timedelta | None = None,
) -> tuple[TokenInfo, str]:
    """A new script token for an active user; the token is shown once. ``expires_in``: refused
    after that long, like a revoked token (an hour to 3650 days; None: no expiry)."""
    if scope not in TOKEN_SCOPES:
        raise InvalidInput(f"scope: one of {', '.join(TOKEN_SCOPES)}, not {scope!r}")
    expires_at = lifetime_end(expires_in, now)
    token = new_token()
    with write_unit(session):
        row = _managed(session, admin, name, registry)
        if not row.active:
            raise InvalidInput(f"name: '{name}' is deactivated; reactivate the user first")
        t = TokenRow(
            user_id=row.id,
            token_hash=hash_token(token),
            scope=scope,
            created_at=now,
            expires_at=expires_at,
        )
        session.add(t)
        session.flush()
        info = _token_info(t)
    return info, token


def admin_revoke_tokens(
    session: Session,
    admin: User | None,
    name: str,
    registry: JurisdictionRegistry,
    now: dt.datetime,
    *,
    token_id: int | None = None,
    scope: str | None = None,
) -> int:
    """Revoke one token of ``name`` (``token_id``), those of a scope, or all; how many were
    valid."""
    if scope is not None and scope not in TOKEN_SCOPES:
        raise InvalidInput(f"scope: one of {', '.join(TOKEN_SCOPES)}, not {scope!r}")
    with write_unit(session):
        row = _managed(session, admin, name, registry)
        which = [TokenRow.user_id == row.id, TokenRow.revoked_at.is_(None)]
        if token_id is not None:
            which.append(TokenRow.id == token_id)
        if scope is not None:
            which.append(TokenRow.scope == scope)
        result = session.execute(update(TokenRow).where(*which).values(revoked_at=now))
        n = int(result.rowcount)  # type: ignore[attr-defined]
    if token_id is not None and n == 0:
        raise InvalidInput(f"tokenId: no valid token {token_id} of '{name}'")
    return n


def _token_info(t: TokenRow) -> TokenInfo:
    return TokenInfo(t.id, t.kind, t.scope, t.created_at, t.expires_at, t.revoked_at)


def user_tokens(
    session: Session,
    admin: User | None,
    name: str,
    registry: JurisdictionRegistry,
    *,
    limit: int = 10,
) -> list[TokenInfo]:
    """A user's tokens, newest first (never the token or its hash): for an administrator
    whose jurisdiction holds the user's (as :func:`list_accounts`)."""
    who = require_manager(admin)
    with reading(session):
        row = _by_name(session, name)
        if not registry.is_within(row.jurisdiction, who.jurisdiction):
            raise Forbidden(f"{row.jurisdiction} is outside your jurisdiction {who.jurisdiction}")
        rows = session.scalars(
            select(TokenRow)
            .where(TokenRow.user_id == row.id)
            .order_by(TokenRow.id.desc())
            .limit(limit)
        )
        return [_token_info(t) for t in rows]


def tokens_of_users(
    session: Session,
    admin: User | None,
    user_ids: Iterable[int],
    registry: JurisdictionRegistry,
    *,
    limit: int = 10,
) -> dict[int, list[TokenInfo] | DoudiError]:
    """The tokens of several users at once, each newest first and at most ``limit`` (two
    statements whatever their number), for lists of accounts: each id maps to its tokens, or
    to the error :func:`user_tokens` would raise for it alone (NOT_FOUND, FORBIDDEN)."""
    who = require_manager(admin)
    ids = sorted(set(user_ids))
    out: dict[int, list[TokenInfo] | DoudiError] = {}
    if not ids:
        return out
    rank = (
        func.row_number()
        .over(partition_by=TokenRow.user_id, order_by=TokenRow.id.desc())
        .label("rank")
    )
    ranked = select(TokenRow.id, rank).where(TokenRow.user_id.in_(ids)).subquery()
    newest = (
        select(TokenRow)
        .join(ranked, TokenRow.id == ranked.c.id)
        .where(ranked.c.rank <= limit)
        .order_by(TokenRow.user_id, TokenRow.id.desc())
    )
    with reading(session):
        users = select(UserRow.id, UserRow.jurisdiction).where(UserRow.id.in_(ids))
        places = {int(i): str(j) for i, j in session.execute(users)}
        tokens: dict[int, list[TokenInfo]] = {i: [] for i in ids}
        for t in session.scalars(newest):
            tokens[t.user_id].append(_token_info(t))
    for i in ids:
        place = places.get(i)
        if place is None:
            out[i] = UnknownUser(f"no user with id {i}")
        elif not registry.is_within(place, who.jurisdiction):
            out[i] = Forbidden(f"{place} is outside your jurisdiction {who.jurisdiction}")
        else:
            out[i] = tokens[i]
    return out


def get_account(
    session: Session,
    admin: User | None,
    name: str,
    registry: JurisdictionRegistry,
    now: dt.datetime,
) -> Account:
    """User ``name``'s account, for an administrator whose jurisdiction holds the user's (as
    :func:`list_accounts`)."""
    who = require_manager(admin)
    with reading(session):
        row = _by_name(session, name)
        if not registry.is_within(row.jurisdiction, who.jurisdiction):
            raise Forbidden(f"{row.jurisdiction} is outside your jurisdiction {who.jurisdiction}")
        return _account(row, now)


def count_valid_tokens(session: Session, user_ids: list[int], now: dt.datetime) -> dict[int, int]:
    """How many valid tokens each user has (for account lists)."""
    if not user_ids:
        return {}
    with reading(session):
        rows = session.execute(
            select(TokenRow.user_id, func.count())
            .where(
                TokenRow.user_id.in_(user_ids),
                TokenRow.revoked_at.is_(None),
                (TokenRow.expires_at.is_(None)) | (TokenRow.expires_at > now),
            )
            .group_by(TokenRow.user_id)
        ).all()
    return {int(uid): int(n) for uid, n in rows}


__all__ = [
    "Account",
    "SignedIn",
    "TokenInfo",
    "UnknownUser",
    "admin_create_user",
    "admin_issue_token",
    "admin_reset_password",
    "admin_revoke_tokens",
    "admin_set_active",
    "change_password",
    "count_valid_tokens",
    "get_account",
    "list_accounts",
    "set_password",
    "sign_in",
    "sign_out",
    "token_expiry",
    "tokens_of_users",
    "user_tokens",
]
