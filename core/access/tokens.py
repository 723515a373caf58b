"""Users and their bearer tokens, stored: ``secrets.token_urlsafe(32)``, shown once; only the
SHA-256 hex digest is kept. The rules they follow are :mod:`core.access.roles`.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.access.roles import (
    CALENDAR,
    FULL,
    MAX_NAME,
    ROLE_LEVELS,
    TOKEN_SCOPES,
    Role,
    Unauthenticated,
    User,
    hash_token,
    new_token,
    parse_role,
)
from core.errors import InvalidInput
from core.policy.jurisdictions import JurisdictionRegistry
from core.storage.engine import quick_read, reading, write_unit
from core.storage.tables import TokenRow, UserRow, utcnow
from core.validation import check_name

# -- users -------------------------------------------------------------------------------------


def _user(row: UserRow) -> User:
    return User(row.id, row.name, Role(row.role), row.jurisdiction)


def create_user(
    session: Session,
    name: str,
    role: str | Role,
    jurisdiction: str,
    registry: JurisdictionRegistry,
    *,
    password_hash: str | None = None,
) -> tuple[User, str]:
    """Add a user and issue their first token. Returns (user, token): show the token once.
    ``password_hash`` (from :func:`core.access.signin.hash_password`) lets them sign in."""
    # one line that shows something, at most MAX_NAME characters (core.validation's rule for
    # names: no control or invisible-only names, which would make look-alike accounts)
    name = check_name(name, "name", MAX_NAME)
    r = parse_role(role)
    place = registry.get(jurisdiction)  # UnknownJurisdiction if not a GB/T 2260 code
    allowed = ROLE_LEVELS[r]
    if place.level not in allowed:
        raise InvalidInput(
            f"a {r.value} works at {' or '.join(lv.value for lv in allowed)} level; "
            f"{place.code} {place.name} is a {place.level.value}"
        )
    code = place.code
    token = new_token()
    try:
        with write_unit(session):
            row = UserRow(
                name=name,
                role=r.value,
                jurisdiction=code,
                active=True,
                password_hash=password_hash,
                password_set_at=None if password_hash is None else utcnow(),
            )
            session.add(row)
            session.flush()
            session.add(TokenRow(user_id=row.id, token_hash=hash_token(token)))
    except IntegrityError:
        raise InvalidInput(f"a user named '{name}' already exists") from None
    return _user(row), token


MAX_TOKEN_LIFETIME = dt.timedelta(days=3650)


def lifetime_end(
    lifetime: dt.timedelta | None, now: dt.datetime | None = None
) -> dt.datetime | None:
    """When a token issued now for ``lifetime`` expires (None: never); INVALID_INPUT unless the
    lifetime is between an hour and ten years."""
    if lifetime is None:
        return None
    if not dt.timedelta(hours=1) <= lifetime <= MAX_TOKEN_LIFETIME:
        raise InvalidInput("expires: between 1 hour and 3650 days")
    return (now or utcnow()) + lifetime


def issue_token(
    session: Session, name: str, scope: str = FULL, *, expires_in: dt.timedelta | None = None
) -> str:
    """A new token for an existing, active user (their other tokens stay valid). A ``calendar``
    token opens only the user's ``.ics`` feeds: it is the one to put in a subscription URL,
    which calendar apps store and send to their servers. ``expires_in``: the token is refused
    after that long (a script's token for a season), as a revoked one is."""
    if scope not in TOKEN_SCOPES:
        raise InvalidInput(f"scope: one of {', '.join(TOKEN_SCOPES)}, not {scope!r}")
    expires_at = lifetime_end(expires_in)
    token = new_token()
    with write_unit(session):
        row = session.scalar(select(UserRow).where(UserRow.name == name, UserRow.active))
        if row is None:
            raise InvalidInput(f"no active user named '{name}'")
        session.add(
            TokenRow(
                user_id=row.id, token_hash=hash_token(token), scope=scope, expires_at=expires_at
            )
        )
    return token


def revoke_tokens(session: Session, name: str, scope: str | None = None) -> int:
    """Revoke every token of user ``name`` (only those of ``scope`` if given); returns how many
    were valid."""
    if scope is not None and scope not in TOKEN_SCOPES:
        raise InvalidInput(f"scope: one of {', '.join(TOKEN_SCOPES)}, not {scope!r}")
    with write_unit(session):
        user_id = session.scalar(select(UserRow.id).where(UserRow.name == name))
        if user_id is None:
            raise InvalidInput(f"no user named '{name}'")
        which = [TokenRow.user_id == user_id, TokenRow.revoked_at.is_(None)]
        if scope is not None:
            which.append(TokenRow.scope == scope)
        result = session.execute(update(TokenRow).where(*which).values(revoked_at=utcnow()))
    return int(result.rowcount)  # type: ignore[attr-defined]


def deactivate_user(session: Session, name: str) -> None:
    """Disable a user: their tokens stop working (their records and audit rows stay)."""
    with write_unit(session):
        row = session.scalar(select(UserRow).where(UserRow.name == name))
        if row is None:
            raise InvalidInput(f"no user named '{name}'")
        row.active = False


def list_users(session: Session) -> list[User]:
    with reading(session):
        rows = session.scalars(select(UserRow).where(UserRow.active).order_by(UserRow.name))
        return [_user(r) for r in rows]


# Built once (every request authenticates: building the statement cost more than running it).
_USERS = cast(Table, UserRow.__table__)
_TOKENS = cast(Table, TokenRow.__table__)
_AUTHENTICATE = (
    select(_USERS.c.id, _USERS.c.name, _USERS.c.role, _USERS.c.jurisdiction, _TOKENS.c.scope)
    .join(_TOKENS, _TOKENS.c.user_id == _USERS.c.id)
    .where(
        _TOKENS.c.token_hash == bindparam("token_hash"),
        _TOKENS.c.revoked_at.is_(None),
        _TOKENS.c.expires_at.is_(None) | (_TOKENS.c.expires_at > bindparam("now")),
        _USERS.c.active,
    )
    .limit(1)
)


def authenticate(session: Session, token: str | None, *, scopes: tuple[str, ...] = (FULL,)) -> User:
    """The active user holding ``token``, if its scope is one of ``scopes`` (by default only
    full tokens: a calendar token opens nothing but the feeds) and it has not expired (session
    tokens from signing in do, and script tokens issued with an expiry);
    :class:`Unauthenticated` if none. One statement (on PostgreSQL in autocommit: no
    transaction of its own)."""
    if not token:
        raise Unauthenticated("this needs a token: send 'Authorization: Bearer <token>'")
    params = {"token_hash": hash_token(token), "now": utcnow()}
    if session.in_transaction():
        found = session.connection().execute(_AUTHENTICATE, params).first()
    else:
        with quick_read(session):
            found = session.connection().execute(_AUTHENTICATE, params).first()
    if found is None:
        raise Unauthenticated(
            "the token is not valid (unknown, expired, revoked, or its user disabled): sign in "
            "again"
        )
    user_id, user_name, role, jurisdiction, scope = found
    if scope not in scopes:
        raise Unauthenticated(
            "this is a calendar token: it only opens the calendar feeds (/calendar/CODE.ics)"
            if scope == CALENDAR
            else "a full token is not accepted in a URL (calendar apps keep and share feed URLs): "
            "issue a calendar token (`doudi users token NAME --calendar`, or the "
            "createCalendarToken mutation) or send the token as 'Authorization: Bearer <token>'"
        )
    return User(user_id, user_name, Role(role), jurisdiction)
