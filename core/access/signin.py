"""Signing in with a password, as pure rules: how passwords are hashed and checked, when an
account locks after failed attempts, how long a session lasts, and who administers whom.
Stored by :mod:`core.access.accounts`; time is always an argument.

- **Passwords** are hashed with Argon2id (``argon2-cffi``) at the parameters of the OWASP
  Password Storage Cheat Sheet (19 MiB, 2 passes, 1 lane: about 30 ms of CPU here, where
  argon2-cffi's defaults, 64 MiB and 4 lanes, cost 250 ms of CPU on the one server worker
  per sign-in); only the hash is kept, and a hash made with other parameters is redone at the
  next sign-in. A password has at least
  :data:`MIN_PASSWORD_LENGTH` characters and at most :data:`MAX_PASSWORD_LENGTH`.
- **Lockout**: after :data:`MAX_FAILURES` failed attempts in a row an account is locked for
  :data:`LOCKOUT` (15 minutes); each failure while locked is refused without checking the
  password. A successful sign-in, or an administrator's password reset, clears the count.
  The count and the end of the lock are stored on the user, so a restart forgets nothing.
- **Sessions**: a sign-in issues a bearer token that expires after the configured number of
  hours (``DOUDI_SESSION_HOURS``, default :data:`DEFAULT_SESSION_HOURS`: a working day), and
  can be revoked (sign-out, or an administrator). Tokens for scripts (``doudi users token``)
  never expire, as before.
- **Administration**: a ``province_admin`` manages the users (creates, deactivates, resets
  passwords, issues and revokes tokens) whose jurisdiction lies within theirs; another
  province administrator only when strictly below (the national administrator manages the
  provinces'), and never themselves through these operations.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from core.access.roles import Forbidden, Role, Unauthenticated, User
from core.errors import DoudiError, InvalidInput
from core.policy.jurisdictions import JurisdictionRegistry

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
DEFAULT_SESSION_HOURS = 8
MAX_SESSION_HOURS = 24 * 30
SESSION_HOURS_ENV = "DOUDI_SESSION_HOURS"

SCRIPT = "script"  # a token for scripts: no expiry (doudi users token)
SESSION = "session"  # a token from signing in: expires, revoked by sign-out
TOKEN_KINDS = (SCRIPT, SESSION)

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Checked against when the user does not exist, so that an unknown name takes as long as a
# wrong password and the answer does not tell which names exist.
_DUMMY_HASH = _HASHER.hash("doudi: no such user, compared for constant time")


class SignInFailed(DoudiError):
    """Wrong name or password (never says which)."""

    code = "SIGN_IN_FAILED"


class AccountLocked(DoudiError):
    code = "ACCOUNT_LOCKED"

    def __init__(self, message: str, until: dt.datetime) -> None:
        super().__init__(message)
        self.until = until


class WeakPassword(InvalidInput):
    code = "WEAK_PASSWORD"
    field = "password"


# -- passwords -----------------------------------------------------------------------------------


def check_password_rules(password: str, name: str = "") -> None:
    """WEAK_PASSWORD unless ``password`` is long enough and not the user's name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"password: at most {MAX_PASSWORD_LENGTH} characters")
    if name and password.strip().lower() == name.strip().lower():
        raise WeakPassword("password: must not be the user name")
    if len(set(password)) < 4:
        raise WeakPassword("password: use at least 4 different characters")


def hash_password(password: str, name: str = "") -> str:
    check_password_rules(password, name)
    return _HASHER.hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches the stored hash (always does the work of one check)."""
    try:
        return _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when the hash was made with weaker parameters than today's defaults."""
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


# -- lockout -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attempts:
    """The failed attempts stored on a user."""

    failures: int
    locked_until: dt.datetime | None


def locked(attempts: Attempts, now: dt.datetime) -> dt.datetime | None:
    """The end of the lock when the account is locked at ``now``, else None."""
    if attempts.locked_until is not None and attempts.locked_until > now:
        return attempts.locked_until
    return None


def after_failure(attempts: Attempts, now: dt.datetime) -> Attempts:
    """The attempts after one more failure: the :data:`MAX_FAILURES`-th locks the account."""
    failures = 0 if locked(attempts, now) is None and attempts.locked_until else attempts.failures
    failures += 1
    if failures >= MAX_FAILURES:
        return Attempts(0, now + LOCKOUT)
    return Attempts(failures, None)


def lock_message(until: dt.datetime) -> str:
    minutes = int(LOCKOUT.total_seconds() // 60)
    return (
        f"the account is locked after {MAX_FAILURES} failed sign-ins in a row, for {minutes} "
        f"minutes: until {until.isoformat(timespec='minutes')} (an administrator can reset "
        "the password to unlock it)"
    )


# -- sessions ------------------------------------------------------------------------------------


def session_hours(environ: Mapping[str, str] | None = None) -> int:
    """How long a session token lasts (``DOUDI_SESSION_HOURS``; 1 to 720)."""
    env = os.environ if environ is None else environ
    raw = env.get(SESSION_HOURS_ENV, "").strip()
    if not raw:
        return DEFAULT_SESSION_HOURS
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_SESSION_HOURS:
        raise InvalidInput(
            f"{SESSION_HOURS_ENV}: a whole number of hours from 1 to {MAX_SESSION_HOURS}, "
            f"not {raw!r}"
        )
    return int(raw)


def session_expiry(now: dt.datetime, hours: int) -> dt.datetime:
    return now + dt.timedelta(hours=hours)


def expired(expires_at: dt.datetime | None, now: dt.datetime) -> bool:
    return expires_at is not None and expires_at <= now


# -- administration ------------------------------------------------------------------------------

MANAGERS = frozenset({Role.PROVINCE_ADMIN})


def require_manager(user: User | None) -> User:
    if user is None:
        raise Unauthenticated("this needs a token: send 'Authorization: Bearer <token>'")
    if user.role not in MANAGERS:
        raise Forbidden(f"a {user.role.value} may not manage users")
    return user


def check_manages(
    admin: User | None,
    jurisdiction: str,
    role: Role,
    registry: JurisdictionRegistry,
    *,
    target_id: int | None = None,
) -> User:
    """FORBIDDEN unless ``admin`` may manage a user of ``role`` at ``jurisdiction``."""
    user = require_manager(admin)
    place = registry.get(jurisdiction)
    mine = registry.get(user.jurisdiction)
    if target_id is not None and target_id == user.id:
        raise Forbidden("you cannot manage your own account here; ask another administrator")
    if not registry.is_within(place.code, mine.code):
        raise Forbidden(
            f"{place.code} ({place.name}) is outside your jurisdiction {mine.code} ({mine.name})"
        )
    if role is Role.PROVINCE_ADMIN and place.code == mine.code:
        raise Forbidden(
            "another province administrator of your own jurisdiction is managed from above"
        )
    return user


def check_sign_in_allowed(attempts: Attempts, now: dt.datetime) -> None:
    until = locked(attempts, now)
    if until is not None:
        raise AccountLocked(lock_message(until), until)


def require_user(user: User | None) -> User:
    if user is None:
        raise Unauthenticated("this needs a token: send 'Authorization: Bearer <token>'")
    return user


__all__ = [
    "DEFAULT_SESSION_HOURS",
    "LOCKOUT",
    "MAX_FAILURES",
    "MIN_PASSWORD_LENGTH",
    "SCRIPT",
    "SESSION",
    "SESSION_HOURS_ENV",
    "TOKEN_KINDS",
    "AccountLocked",
    "Attempts",
    "SignInFailed",
    "WeakPassword",
    "after_failure",
    "check_manages",
    "check_password_rules",
    "check_sign_in_allowed",
    "expired",
    "hash_password",
    "lock_message",
    "locked",
    "needs_rehash",
    "password_matches",
    "require_manager",
    "require_user",
    "session_expiry",
    "session_hours",
]
