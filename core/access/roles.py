"""Who may do what, as pure rules: roles, the level each works at, permissions, token scopes,
and the checks every request passes through before anything else (:func:`authorize`,
:func:`require`). Users and tokens are stored by :mod:`core.access.tokens`.

- **Roles**: ``village_clerk``, ``township_officer``, ``county_approver``, ``province_admin``
  and the read-only ``auditor``. GB/T 2260 stops at counties, so a village clerk or township
  officer is attached to their county (or any coarser jurisdiction).
- **Scope**: a user acts on their jurisdiction and everything under it
  (:meth:`JurisdictionRegistry.is_within`).
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
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from core.errors import DoudiError, InvalidInput
from core.policy.jurisdictions import JurisdictionRegistry, Level


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
    ANALYST = "analyst"  # reform simulations: aggregates only, never a person


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
    RUN_SIMULATIONS = "run_simulations"  # reform simulations: aggregates, never a person
    RUN_REVIEWS = "run_reviews"  # annual reviews (年度核查): decide in bulk, open review tasks
    # Knowing the people (core.registers, core.exchange, core.verification, core.lowincome).
    EXPORT_ROSTERS = "export_rosters"  # 花名册 for other departments, 公示名单
    READ_DEPARTMENT_DATA = "read_department_data"  # batches, findings, verification reports
    IMPORT_DEPARTMENT_DATA = "import_department_data"
    RUN_COMPARISONS = "run_comparisons"  # 比对
    RESOLVE_FINDINGS = "resolve_findings"  # a finding's task: a case step or a dismissal
    REQUEST_VERIFICATION = "request_verification"  # 核对
    WRITE_LOW_INCOME = "write_low_income"  # recognise, tag, re-assess, exit (低收入人口)


_READ = frozenset(
    {
        Action.READ_HOUSEHOLDS,
        Action.READ_DECISIONS,
        Action.READ_LOCAL_SETTINGS,
        Action.READ_PAYMENTS,
    }
)
_WRITE = _READ | {Action.WRITE_HOUSEHOLDS, Action.RECORD_DECISIONS}
# Department data is personal data of people who never applied: village clerks do not see it;
# townships verify the findings assigned to them (and record low-income recognition); counties
# import batches, run comparisons, request verification and export rosters.
_SEE_DATA = frozenset({Action.READ_DEPARTMENT_DATA})
_TOWNSHIP_DATA = _SEE_DATA | {Action.RESOLVE_FINDINGS, Action.WRITE_LOW_INCOME}
_COUNTY_DATA = _TOWNSHIP_DATA | {
    Action.EXPORT_ROSTERS,
    Action.IMPORT_DEPARTMENT_DATA,
    Action.RUN_COMPARISONS,
    Action.REQUEST_VERIFICATION,
}
# Payments: county civil-affairs approvers and above run a month; township officers and above
# record what the bank reports (village clerks and auditors only read).
_APPROVE = {Action.SET_LOCAL_PARAMETERS, Action.RUN_PAYMENTS, Action.RECORD_PAYMENT_RESULTS}

_SIMULATE = {Action.RUN_SIMULATIONS}

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.AUDITOR: _READ | _SIMULATE | _SEE_DATA,
    Role.VILLAGE_CLERK: _WRITE | _SIMULATE,
    Role.TOWNSHIP_OFFICER: _WRITE | _SIMULATE | {Action.RECORD_PAYMENT_RESULTS} | _TOWNSHIP_DATA,
    Role.COUNTY_APPROVER: _WRITE | _APPROVE | _SIMULATE | {Action.RUN_REVIEWS} | _COUNTY_DATA,
    Role.PROVINCE_ADMIN: _WRITE
    | _APPROVE
    | _SIMULATE
    | {Action.RUN_REVIEWS}
    | (_COUNTY_DATA - {Action.RESOLVE_FINDINGS}),
    # Analysts compare policies: aggregates of simulations only, no household, case or person
    # (and no department data).
    Role.ANALYST: frozenset(_SIMULATE),
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
    Action.RUN_SIMULATIONS: "run reform simulations",
    Action.RUN_REVIEWS: "run annual reviews",
    Action.EXPORT_ROSTERS: "export rosters or publicity lists",
    Action.READ_DEPARTMENT_DATA: "read department data, findings or verification reports",
    Action.IMPORT_DEPARTMENT_DATA: "import department data",
    Action.RUN_COMPARISONS: "run data comparisons",
    Action.RESOLVE_FINDINGS: "resolve findings",
    Action.REQUEST_VERIFICATION: "request verification of a household",
    Action.WRITE_LOW_INCOME: "change the low-income register",
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


# The level of jurisdiction each role works at. GB/T 2260 stops at the county, so village clerks
# and township officers are attached to their county; a role above its level would otherwise act
# on every county under it.
ROLE_LEVELS: dict[Role, tuple[Level, ...]] = {
    Role.VILLAGE_CLERK: (Level.COUNTY,),
    Role.TOWNSHIP_OFFICER: (Level.COUNTY,),
    Role.COUNTY_APPROVER: (Level.COUNTY, Level.PREFECTURE),
    Role.PROVINCE_ADMIN: (Level.PROVINCE, Level.NATIONAL),
    Role.AUDITOR: (Level.COUNTY, Level.PREFECTURE, Level.PROVINCE, Level.NATIONAL),
    Role.ANALYST: (Level.COUNTY, Level.PREFECTURE, Level.PROVINCE, Level.NATIONAL),
}


FULL = "full"  # a token for everything its user may do
CALENDAR = "calendar"  # a token that opens only the user's calendar feeds (/calendar/CODE.ics)
TOKEN_SCOPES = (FULL, CALENDAR)


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


def parse_role(role: str | Role) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInput(
            f"unknown role '{role}'; one of {', '.join(r.value for r in Role)}"
        ) from None


# -- personal data -----------------------------------------------------------------------------

# Who sees resident ID numbers in full in lists and searches: the staff who handle the cases
# (they must tell people apart and check documents). Auditors and province administrators see
# them masked (first 6 and last 4 digits), enough to match a record without exposing it.
SEES_ID_NUMBERS = frozenset({Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER, Role.COUNTY_APPROVER})


def may_see_id_numbers(user: User) -> bool:
    return user.role in SEES_ID_NUMBERS


def mask_id_number(number: str) -> str:
    """``140302198405160012`` → ``140302********0012`` (region and last 4 kept)."""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def _in_full(number: str) -> str:
    return number


def id_numbers_for(user: User) -> Callable[[str], str]:
    """How ``user`` is shown a resident ID number: in full, or masked (:func:`mask_id_number`)."""
    return _in_full if may_see_id_numbers(user) else mask_id_number


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
