"""Who may do what: users with a role and a jurisdiction, bearer tokens, permission checks.

- **Roles**: ``village_clerk``, ``township_officer``, ``county_approver``, ``province_admin``
  and the read-only ``auditor``. GB/T 2260 stops at counties, so a village clerk or township
  officer is attached to their county (or any coarser jurisdiction).
- **Scope**: a user acts on their jurisdiction and everything under it
  (:meth:`JurisdictionRegistry.is_within`).
- **Tokens**: ``secrets.token_urlsafe(32)``, shown once; only the SHA-256 hex digest is stored.
- **Permissions**: reading the policy is public. Households, decisions and local settings need a
  token. Every role may read them within its scope; all but the auditor may create and update
  households and record decisions; only county approvers and province administrators may set
  local parameters. Payments: every role reads them; county approvers and province
  administrators run a month; township officers and above record the bank's results.

Errors: no or unknown token → :class:`Unauthenticated` (``UNAUTHENTICATED``); a role that may
not do something, or a jurisdiction outside the user's scope → :class:`Forbidden`
(``FORBIDDEN``). The check comes before any write, so a refused request changes nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import DoudiError, InvalidInput
from core.policy.jurisdictions import JurisdictionRegistry, Level
from core.storage.engine import reading, write_unit
from core.storage.models import TokenRow, UserRow, utcnow


class Unauthenticated(DoudiError):
    code = "UNAUTHENTICATED"


class Forbidden(DoudiError):
    code = "FORBIDDEN"


class Role(StrEnum):
    VILLAGE_CLERK = "village_clerk"
    TOWNSHIP_OFFICER = "township_officer"
    COUNTY_APPROVER = "county_approver"
    PROVINCE_ADMIN = "province_admin"
    AUDITOR = "auditor"


class Action(StrEnum):
    READ_HOUSEHOLDS = "read_households"
    WRITE_HOUSEHOLDS = "write_households"
    READ_DECISIONS = "read_decisions"
    RECORD_DECISIONS = "record_decisions"
    READ_LOCAL_SETTINGS = "read_local_settings"
    SET_LOCAL_PARAMETERS = "set_local_parameters"
    READ_PAYMENTS = "read_payments"
    RUN_PAYMENTS = "run_payments"  # 发放: create a month's payments
    RECORD_PAYMENT_RESULTS = "record_payment_results"  # the bank's results (paid, failed ...)


_READ = frozenset(
    {
        Action.READ_HOUSEHOLDS,
        Action.READ_DECISIONS,
        Action.READ_LOCAL_SETTINGS,
        Action.READ_PAYMENTS,
    }
)
_WRITE = _READ | {Action.WRITE_HOUSEHOLDS, Action.RECORD_DECISIONS}
# Payments: county civil-affairs approvers and above run a month; township officers and above
# record what the bank reports (village clerks and auditors only read).
_APPROVE = {Action.SET_LOCAL_PARAMETERS, Action.RUN_PAYMENTS, Action.RECORD_PAYMENT_RESULTS}

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.AUDITOR: _READ,
    Role.VILLAGE_CLERK: _WRITE,
    Role.TOWNSHIP_OFFICER: _WRITE | {Action.RECORD_PAYMENT_RESULTS},
    Role.COUNTY_APPROVER: _WRITE | _APPROVE,
    Role.PROVINCE_ADMIN: _WRITE | _APPROVE,
}

_ACTION_TEXT = {
    Action.READ_HOUSEHOLDS: "read households",
    Action.WRITE_HOUSEHOLDS: "create or change households",
    Action.READ_DECISIONS: "read decisions",
    Action.RECORD_DECISIONS: "record decisions",
    Action.READ_LOCAL_SETTINGS: "read local settings",
    Action.SET_LOCAL_PARAMETERS: "set local parameters",
    Action.READ_PAYMENTS: "read payments",
    Action.RUN_PAYMENTS: "run monthly payments",
    Action.RECORD_PAYMENT_RESULTS: "record payment results",
}

MAX_NAME = 100


@dataclass(frozen=True, slots=True)
class User:
    """An authenticated official."""

    id: int
    name: str
    role: Role
    jurisdiction: str  # GB/T 2260 code; the user acts on it and everything under it

    def may(self, action: Action) -> bool:
        return action in PERMISSIONS[self.role]


# -- tokens ------------------------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """What is stored for ``token``: its SHA-256 hex digest."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


# -- users -------------------------------------------------------------------------------------


def _user(row: UserRow) -> User:
    return User(row.id, row.name, Role(row.role), row.jurisdiction)


def _role(role: str | Role) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInput(
            f"unknown role '{role}'; one of {', '.join(r.value for r in Role)}"
        ) from None


# The level of jurisdiction each role works at. GB/T 2260 stops at the county, so village clerks
# and township officers are attached to their county; a role above its level would otherwise act
# on every county under it.
ROLE_LEVELS: dict[Role, tuple[Level, ...]] = {
    Role.VILLAGE_CLERK: (Level.COUNTY,),
    Role.TOWNSHIP_OFFICER: (Level.COUNTY,),
    Role.COUNTY_APPROVER: (Level.COUNTY, Level.PREFECTURE),
    Role.PROVINCE_ADMIN: (Level.PROVINCE, Level.NATIONAL),
    Role.AUDITOR: (Level.COUNTY, Level.PREFECTURE, Level.PROVINCE, Level.NATIONAL),
}


def create_user(
    session: Session,
    name: str,
    role: str | Role,
    jurisdiction: str,
    registry: JurisdictionRegistry,
) -> tuple[User, str]:
    """Add a user and issue their first token. Returns (user, token): show the token once."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(f"a user name must have 1 to {MAX_NAME} characters")
    r = _role(role)
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
            row = UserRow(name=name, role=r.value, jurisdiction=code, active=True)
            session.add(row)
            session.flush()
            session.add(TokenRow(user_id=row.id, token_hash=hash_token(token)))
    except IntegrityError:
        raise InvalidInput(f"a user named '{name}' already exists") from None
    return _user(row), token


FULL = "full"  # a token for everything its user may do
CALENDAR = "calendar"  # a token that opens only the user's calendar feeds (/calendar/CODE.ics)
TOKEN_SCOPES = (FULL, CALENDAR)


def issue_token(session: Session, name: str, scope: str = FULL) -> str:
    """A new token for an existing, active user (their other tokens stay valid). A ``calendar``
    token opens only the user's ``.ics`` feeds: it is the one to put in a subscription URL,
    which calendar apps store and send to their servers."""
    if scope not in TOKEN_SCOPES:
        raise InvalidInput(f"scope: one of {', '.join(TOKEN_SCOPES)}, not {scope!r}")
    token = new_token()
    with write_unit(session):
        row = session.scalar(select(UserRow).where(UserRow.name == name, UserRow.active))
        if row is None:
            raise InvalidInput(f"no active user named '{name}'")
        session.add(TokenRow(user_id=row.id, token_hash=hash_token(token), scope=scope))
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


def authenticate(session: Session, token: str | None, *, scopes: tuple[str, ...] = (FULL,)) -> User:
    """The active user holding ``token``, if its scope is one of ``scopes`` (by default only
    full tokens: a calendar token opens nothing but the feeds); :class:`Unauthenticated` if
    none."""
    if not token:
        raise Unauthenticated("this needs a token: send 'Authorization: Bearer <token>'")
    with reading(session):
        found = session.execute(
            select(UserRow, TokenRow.scope)
            .join(TokenRow, TokenRow.user_id == UserRow.id)
            .where(
                TokenRow.token_hash == hash_token(token),
                TokenRow.revoked_at.is_(None),
                UserRow.active,
            )
        ).first()
    if found is None:
        raise Unauthenticated("the token is not valid (unknown, revoked, or its user disabled)")
    row, scope = found
    if scope not in scopes:
        raise Unauthenticated(
            "this is a calendar token: it only opens the calendar feeds (/calendar/CODE.ics)"
            if scope == CALENDAR
            else "a full token is not accepted in a URL (calendar apps keep and share feed URLs): "
            "issue a calendar token (`doudi users token NAME --calendar`, or the "
            "createCalendarToken mutation) or send the token as 'Authorization: Bearer <token>'"
        )
    return _user(row)


# -- permission checks -------------------------------------------------------------------------


def in_scope(user: User, code: str, registry: JurisdictionRegistry) -> bool:
    """True when ``code`` is the user's jurisdiction or lies under it."""
    return registry.is_within(code, user.jurisdiction)


def authorize(user: User | None, action: Action, code: str, registry: JurisdictionRegistry) -> User:
    """Check that ``user`` may do ``action`` at jurisdiction ``code``; return the user.

    Raises :class:`Unauthenticated` without a user, :class:`Forbidden` for a role without the
    permission or a jurisdiction outside the user's scope.
    """
    if user is None:
        raise Unauthenticated("this needs a token: send 'Authorization: Bearer <token>'")
    if not user.may(action):
        raise Forbidden(f"a {user.role.value} may not {_ACTION_TEXT[action]}")
    j = registry.get(code)
    if not in_scope(user, j.code, registry):
        mine = registry.get(user.jurisdiction)
        raise Forbidden(
            f"{j.code} ({j.name}) is outside your jurisdiction {mine.code} ({mine.name})"
        )
    return user


def require(user: User | None, action: Action) -> User:
    """Check the role only (for questions not tied to one jurisdiction)."""
    if user is None:
        raise Unauthenticated("this needs a token: send 'Authorization: Bearer <token>'")
    if not user.may(action):
        raise Forbidden(f"a {user.role.value} may not {_ACTION_TEXT[action]}")
    return user


__all__ = [
    "CALENDAR",
    "FULL",
    "PERMISSIONS",
    "TOKEN_SCOPES",
    "Action",
    "Forbidden",
    "Role",
    "Unauthenticated",
    "User",
    "authenticate",
    "authorize",
    "bearer_token",
    "create_user",
    "deactivate_user",
    "hash_token",
    "in_scope",
    "issue_token",
    "list_users",
    "new_token",
    "require",
    "revoke_tokens",
]
