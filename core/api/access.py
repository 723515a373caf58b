"""Signing in and administering users over GraphQL: the access context's root fields
(:class:`AccessQuery`, :class:`AccessMutation`, one line each in :mod:`core.api.schema`).

- ``signIn(name, password)`` needs no token: it answers a session token that expires
  (``DOUDI_SESSION_HOURS``, default 8) or userErrors (``SIGN_IN_FAILED`` without saying whether
  the name exists, ``ACCOUNT_LOCKED`` with the time it ends); ``signOut`` revokes the token
  the request carries; ``changePassword`` proves the current password.
- ``me`` is the user behind the token, with what they may do (the console shows its menus from
  it).
- ``userAccounts``, ``createUser``, ``setUserActive``, ``resetPassword``, ``issueToken``,
  ``revokeTokens``: province administrators, for the users within their jurisdiction
  (:mod:`core.access.signin`). Who asks is checked before anything else.

Everything here is private (never cached) and runs in a worker thread with its own
transaction; a refused mutation writes nothing (except a failed sign-in, which is counted).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Annotated

import strawberry

from core.access.accounts import (
    Account,
    TokenInfo,
    admin_create_user,
    admin_issue_token,
    admin_reset_password,
    admin_revoke_tokens,
    admin_set_active,
    change_password,
    count_valid_tokens,
    get_account,
    list_accounts,
    sign_in,
    sign_out,
    token_expiry,
)
from core.access.roles import (
    PERMISSIONS,
    Action,
    Role,
    User,
    bearer_token,
    may_see_id_numbers,
)
from core.access.signin import MANAGERS, AccountLocked, require_user, session_hours
from core.access.tokens import MAX_TOKEN_LIFETIME
from core.api.common import Info, UserError
from core.api.context import Context
from core.api.policy import Jurisdiction
from core.cases.machine import STAFF
from core.errors import DoudiError, InvalidInput, UnknownJurisdiction

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

MAX_ACCOUNTS_ESTIMATE = 500
LIST_SIZES: dict[tuple[str, str], int] = {
    ("Query", "userAccounts"): MAX_ACCOUNTS_ESTIMATE,
    ("UserAccount", "tokens"): 10,
}

ACT_ON_CASES = "act_on_cases"
MANAGE_USERS = "manage_users"
SEE_ID_NUMBERS = "see_id_numbers"
# issueToken's expiresInHours: the longest lifetime a script token may be issued for.
MAX_TOKEN_HOURS = int(MAX_TOKEN_LIFETIME.total_seconds()) // 3600

# An INVALID_INPUT message that starts with an argument's name ("scope: ...") points at it.
_NAMED = re.compile(
    r"(name|password|newPassword|currentPassword|scope|tokenId|role|expiresInHours):"
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _errors(exc: DoudiError, default: str | None = None) -> list[UserError]:
    field = getattr(exc, "field", None)
    named = _NAMED.match(exc.message)
    if named:
        field = named.group(1)
    elif isinstance(exc, UnknownJurisdiction):
        field = "jurisdiction"
    elif "already exists" in exc.message or "a user name must" in exc.message:
        field = "name"
    elif "works at" in exc.message:
        field = "jurisdiction"
    elif "unknown role" in exc.message:
        field = "role"
    return [UserError(field=field or default, message=exc.message, code=exc.code)]


# -- types ---------------------------------------------------------------------------------------


@strawberry.type(description="The signed-in user and what they may do.")
class Me:
    id: strawberry.ID
    name: str
    role: str
    permissions: list[str] = strawberry.field(
        description=", ".join(
            [*(a.value for a in Action), ACT_ON_CASES, MANAGE_USERS, SEE_ID_NUMBERS]
        )
        + "."
    )
    session_expires_at: dt.datetime | None = strawberry.field(
        description="When the token of this request expires (null: a script token issued without "
        "an expiry)."
    )
    jurisdiction_code: strawberry.Private[str]

    @strawberry.field(description="Where the user acts: this jurisdiction and everything under it.")
    def jurisdiction(self, info: Info) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(self.jurisdiction_code))

    @classmethod
    def of(cls, user: User, expires: dt.datetime | None) -> Me:
        perms = [a.value for a in Action if a in PERMISSIONS[user.role]]
        if user.role in STAFF:
            perms.append(ACT_ON_CASES)
        if user.role in MANAGERS:
            perms.append(MANAGE_USERS)
        if may_see_id_numbers(user):
            perms.append(SEE_ID_NUMBERS)
        return cls(
            id=strawberry.ID(str(user.id)),
            name=user.name,
            role=user.role.value,
            permissions=perms,
            session_expires_at=expires,
            jurisdiction_code=user.jurisdiction,
        )


@strawberry.type(description="A token as an administrator sees it: never the token itself.")
class ApiToken:
    id: strawberry.ID
    kind: str = strawberry.field(
        description="script (issued for a script; expires only if issued with an expiry) or "
        "session (from signing in; expires)."
    )
    scope: str = strawberry.field(description="full, or calendar (opens only the .ics feeds).")
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    valid: bool

    @classmethod
    def of(cls, t: TokenInfo, now: dt.datetime) -> ApiToken:
        return cls(
            id=strawberry.ID(str(t.id)),
            kind=t.kind,
            scope=t.scope,
            created_at=t.created_at,
            expires_at=t.expires_at,
            revoked_at=t.revoked_at,
            valid=t.valid(now),
        )


@strawberry.type(description="An official's account as an administrator sees it.")
class UserAccount:
    id: strawberry.ID
    name: str
    role: str
    active: bool
    has_password: bool
    password_set_at: dt.datetime | None
    failed_sign_ins: int = strawberry.field(description="Failed sign-ins in a row.")
    locked_until: dt.datetime | None = strawberry.field(
        description="The end of a lockout in force (null: not locked)."
    )
    created_at: dt.datetime
    valid_tokens: int = strawberry.field(description="Tokens that work now (script and session).")
    jurisdiction_code: strawberry.Private[str]

    @strawberry.field
    def jurisdiction(self, info: Info) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(self.jurisdiction_code))

    @strawberry.field(description="The user's tokens, newest first (at most 10).")
    async def tokens(self, info: Info) -> list[ApiToken]:
        now = _now()
        found = await info.context.loaders.tokens.load(int(self.id))
        return [ApiToken.of(t, now) for t in found]

    @classmethod
    def of(cls, a: Account, valid_tokens: int) -> UserAccount:
        return cls(
            id=strawberry.ID(str(a.user.id)),
            name=a.user.name,
            role=a.user.role.value,
            active=a.active,
            has_password=a.has_password,
            password_set_at=a.password_set_at,
            failed_sign_ins=a.failed_signins,
            locked_until=a.locked_until,
            created_at=a.created_at,
            valid_tokens=valid_tokens,
            jurisdiction_code=a.user.jurisdiction,
        )


@strawberry.type(description="A session token (shown once) or userErrors.")
class SignInPayload:
    token: str | None = strawberry.field(
        description="Send it as 'Authorization: Bearer <token>'; it expires at expiresAt."
    )
    expires_at: dt.datetime | None
    me: Me | None
    user_errors: list[UserError]


@strawberry.type(description="Whether the request's session ended, or userErrors.")
class SignOutPayload:
    signed_out: bool
    user_errors: list[UserError]


@strawberry.type(description="The account after the change, or userErrors (nothing changed).")
class UserAccountPayload:
    account: UserAccount | None
    user_errors: list[UserError]


@strawberry.type(description="The new user and their first script token (shown once).")
class CreateUserPayload:
    account: UserAccount | None
    token: str | None
    user_errors: list[UserError]


@strawberry.type(description="A new script token (shown once) or userErrors.")
class IssueTokenPayload:
    token: str | None
    api_token: ApiToken | None
    user_errors: list[UserError]


@strawberry.type(description="How many valid tokens were revoked, or userErrors.")
class RevokeTokensPayload:
    revoked: int
    user_errors: list[UserError]


@strawberry.type(description="Whether the password changed, or userErrors.")
class ChangePasswordPayload:
    changed: bool
    user_errors: list[UserError]


@strawberry.input(description="A new official (province administrators, within their area).")
class CreateUserInput:
    name: str
    role: str = strawberry.field(
        description="village_clerk, township_officer, county_approver, province_admin or auditor."
    )
    jurisdiction: str = strawberry.field(description="GB/T 2260 code.")
    password: str | None = strawberry.field(
        default=None, description="To sign in to the console (at least 10 characters)."
    )


# -- resolvers -----------------------------------------------------------------------------------


async def _account(context: Context, admin: User, name: str) -> UserAccount:
    """User ``name``'s account after a write (the request's loaders forget what they read)."""
    context.loaders.clear()
    registry = context.base.registry
    now = _now()

    def work(s: Session) -> UserAccount:
        a = get_account(s, admin, name, registry, now)
        return UserAccount.of(a, count_valid_tokens(s, [a.user.id], now).get(a.user.id, 0))

    return await context.in_session(work)


@strawberry.type
class AccessQuery:
    @strawberry.field(description="The user behind the request's token (token required).")
    async def me(self, info: Info) -> Me:
        context = info.context
        context.mark_private()
        user = await context.user()
        token = bearer_token(context.authorization)
        expires = await context.in_session(lambda s: token_expiry(s, token or ""))
        return Me.of(user, expires)

    @strawberry.field(
        description="The officials at a jurisdiction and under it (province administrators, "
        "within their jurisdiction), inactive ones included."
    )
    async def user_accounts(self, info: Info, jurisdiction: str) -> list[UserAccount]:
        context = info.context
        context.mark_private()
        registry = context.base.registry
        admin = await context.user()
        now = _now()

        def work(s: Session) -> list[UserAccount]:
            found = list_accounts(s, admin, jurisdiction, registry, now)
            counts = count_valid_tokens(s, [a.user.id for a in found], now)
            return [UserAccount.of(a, counts.get(a.user.id, 0)) for a in found]

        return await context.in_session(work)


@strawberry.type
class AccessMutation:
    @strawberry.mutation(
        description="Sign in with a name and password: a session token that expires (no token "
        "needed). After 5 failed attempts in a row the account locks for 15 minutes."
    )
    async def sign_in(self, info: Info, name: str, password: str) -> SignInPayload:
        context = info.context
        context.mark_private()
        hours = session_hours()
        try:
            done = await context.in_session(lambda s: sign_in(s, name, password, _now(), hours))
        except AccountLocked as exc:
            return SignInPayload(
                token=None, expires_at=None, me=None, user_errors=_errors(exc, "name")
            )
        except DoudiError as exc:
            return SignInPayload(
                token=None, expires_at=None, me=None, user_errors=_errors(exc, "password")
            )
        return SignInPayload(
            token=done.token,
            expires_at=done.expires_at,
            me=Me.of(done.user, done.expires_at),
            user_errors=[],
        )

    @strawberry.mutation(description="End the session of the request's token (revokes it).")
    async def sign_out(self, info: Info) -> SignOutPayload:
        context = info.context
        context.mark_private()
        token = bearer_token(context.authorization)
        if token is None:
            return SignOutPayload(
                signed_out=False,
                user_errors=[
                    UserError(field=None, message="no token to sign out", code="UNAUTHENTICATED")
                ],
            )
        ended = await context.in_session(lambda s: sign_out(s, token, _now()))
        if not ended:
            return SignOutPayload(
                signed_out=False,
                user_errors=[
                    UserError(
                        field=None,
                        message="this is not a valid session token (script tokens are revoked "
                        "with `doudi users revoke` or revokeTokens)",
                        code="INVALID_INPUT",
                    )
                ],
            )
        return SignOutPayload(signed_out=True, user_errors=[])

    @strawberry.mutation(description="Change your own password (proving the current one).")
    async def change_password(
        self, info: Info, current_password: str, new_password: str
    ) -> ChangePasswordPayload:
        context = info.context
        context.mark_private()
        try:
            user = require_user(await context.user())
            await context.in_session(
                lambda s: change_password(s, user, current_password, new_password, _now())
            )
        except DoudiError as exc:
            errors = _errors(exc, "currentPassword")
            for e in errors:
                if e.code == "WEAK_PASSWORD":
                    e.field = "newPassword"
            return ChangePasswordPayload(changed=False, user_errors=errors)
        return ChangePasswordPayload(changed=True, user_errors=[])

    @strawberry.mutation(
        description="Add an official within your jurisdiction (province administrators): a "
        "first script token (shown once) and, if given, a password."
    )
    async def create_user(self, info: Info, input: CreateUserInput) -> CreateUserPayload:
        context = info.context
        context.mark_private()
        registry = context.base.registry
        try:
            admin = await context.user()
            user, token = await context.in_session(
                lambda s: admin_create_user(
                    s, admin, input.name, input.role, input.jurisdiction, input.password,
                    registry, _now(),
                )
            )  # fmt: skip
            account = await _account(context, admin, user.name)
        except DoudiError as exc:
            return CreateUserPayload(account=None, token=None, user_errors=_errors(exc))
        return CreateUserPayload(account=account, token=token, user_errors=[])

    @strawberry.mutation(
        description="Deactivate (every token stops working; records stay) or reactivate an "
        "official within your jurisdiction."
    )
    async def set_user_active(self, info: Info, name: str, active: bool) -> UserAccountPayload:
        context = info.context
        context.mark_private()
        registry = context.base.registry
        try:
            admin = await context.user()
            await context.in_session(
                lambda s: admin_set_active(s, admin, name, active, registry, _now())
            )
            account = await _account(context, admin, name)
        except DoudiError as exc:
            return UserAccountPayload(account=None, user_errors=_errors(exc, "name"))
        return UserAccountPayload(account=account, user_errors=[])

    @strawberry.mutation(
        description="Set an official's password (unlocks the account, ends their sessions)."
    )
    async def reset_password(self, info: Info, name: str, password: str) -> UserAccountPayload:
        context = info.context
        context.mark_private()
        registry = context.base.registry
        try:
            admin = await context.user()
            await context.in_session(
                lambda s: admin_reset_password(s, admin, name, password, registry, _now())
            )
            account = await _account(context, admin, name)
        except DoudiError as exc:
            return UserAccountPayload(account=None, user_errors=_errors(exc, "name"))
        return UserAccountPayload(account=account, user_errors=[])

    @strawberry.mutation(
        description="A new script token for an official (scope full or calendar), refused after "
        "expiresInHours like a revoked one (null: no expiry)."
    )
    async def issue_token(
        self,
        info: Info,
        name: str,
        scope: str = "full",
        expires_in_hours: Annotated[
            int | None,
            strawberry.argument(
                description=f"How long the token works, in hours (1 to {MAX_TOKEN_HOURS}, i.e. "
                "3650 days); null: no expiry."
            ),
        ] = None,
    ) -> IssueTokenPayload:
        context = info.context
        context.mark_private()
        registry = context.base.registry
        now = _now()
        try:
            admin = await context.user()
            if expires_in_hours is not None and not 1 <= expires_in_hours <= MAX_TOKEN_HOURS:
                raise InvalidInput(
                    f"expiresInHours: between 1 and {MAX_TOKEN_HOURS} (3650 days), not "
                    f"{expires_in_hours}"
                )
            lifetime = None if expires_in_hours is None else dt.timedelta(hours=expires_in_hours)
            t, token = await context.in_session(
                lambda s: admin_issue_token(
                    s, admin, name, scope, registry, now, expires_in=lifetime
                )
            )
        except DoudiError as exc:
            return IssueTokenPayload(token=None, api_token=None, user_errors=_errors(exc, "name"))
        context.loaders.clear()
        return IssueTokenPayload(token=token, api_token=ApiToken.of(t, now), user_errors=[])

    @strawberry.mutation(
        description="Revoke an official's tokens: one (tokenId), those of a scope, or all."
    )
    async def revoke_tokens(
        self,
        info: Info,
        name: str,
        token_id: strawberry.ID | None = None,
        scope: str | None = None,
    ) -> RevokeTokensPayload:
        context = info.context
        context.mark_private()
        registry = context.base.registry
        try:
            admin = await context.user()
            if token_id is not None and not str(token_id).isdigit():
                raise UnknownTokenId(f"tokenId: no token {token_id!r}")
            tid = None if token_id is None else int(token_id)
            n = await context.in_session(
                lambda s: admin_revoke_tokens(
                    s, admin, name, registry, _now(), token_id=tid, scope=scope
                )
            )
        except DoudiError as exc:
            return RevokeTokensPayload(revoked=0, user_errors=_errors(exc, "name"))
        context.loaders.clear()
        return RevokeTokensPayload(revoked=n, user_errors=[])


class UnknownTokenId(DoudiError):
    code = "INVALID_INPUT"


__all__ = [
    "LIST_SIZES",
    "AccessMutation",
    "AccessQuery",
    "ApiToken",
    "Me",
    "Role",
    "UserAccount",
]
