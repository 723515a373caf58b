"""What every context's API module shares: the resolver ``Info``, ``UserError`` (the expected
failures of mutations), Relay's ``PageInfo`` and the parsing of database ids.

Rules every resolver over stored data follows (see the context modules):

- it marks the request private (:meth:`~core.api.context.Context.mark_private`): nothing it
  answers is cached, and neither is anything asked with an ``Authorization`` header;
- it needs the database (``DATABASE_UNAVAILABLE`` when the app serves the policy only) and a
  user (``Authorization: Bearer <token>``, authenticated once per request), checked by
  :mod:`core.access.roles` on the jurisdiction concerned before anything is written;
- the library functions run in a worker thread, each with a fresh session and its own
  transaction: a failed mutation writes nothing;
- mutations answer expected failures (any :class:`~core.errors.DoudiError`) as ``userErrors``
  with the input field at fault; queries answer them as GraphQL errors with ``extensions.code``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import strawberry
from strawberry.schema.types.base_scalars import wrap_parser
from strawberry.types.scalar import ScalarDefinition

from core.api.context import Context
from core.errors import DoudiError
from core.validation.dates import FIRST_DATE, LAST_DATE, check_date

Info = strawberry.Info[Context, None]

_iso_date = wrap_parser(dt.date.fromisoformat, "Date")


def _parse_date(value: object) -> dt.date:
    """A Date argument: malformed is a coercion error (BAD_USER_INPUT); outside the dates doudi
    accepts, DATE_OUT_OF_RANGE (:mod:`core.validation.dates`) — at the door, for every date
    argument at once, before any resolver does arithmetic with it."""
    day = _iso_date(value)
    assert isinstance(day, dt.date)
    return check_date(day, "")  # the variable or argument is named by the error around it


# strawberry's Date with the platform's range (Schema(scalar_overrides={datetime.date: ...})).
DATE_SCALAR = ScalarDefinition(
    name="Date",
    description=f"A calendar date, YYYY-MM-DD, from {FIRST_DATE.isoformat()} to "
    f"{LAST_DATE.isoformat()}",
    specified_by_url=None,
    serialize=dt.date.isoformat,
    parse_value=_parse_date,
    parse_literal=None,
    origin=dt.date,
)


@strawberry.type(
    description="An expected failure: the input field at fault (a path in the input object, "
    "such as members[1].idNumber, or an argument's name; null when not tied to one), a "
    "message to act on and a stable code (INVALID_ID_NUMBER, DUPLICATE_PERSON, NOT_FOUND, "
    "FORBIDDEN, UNAUTHENTICATED, VERSION_CONFLICT, CONSTRAINT_VIOLATION, INVALID_INPUT, "
    "UNKNOWN_PARAMETER, UNKNOWN_JURISDICTION, DATABASE_UNAVAILABLE)."
)
class UserError:
    field: str | None
    message: str
    code: str


@strawberry.type(description="Where a page of a list stands (Relay).")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool = strawberry.field(
        description="True when the page was asked for after a cursor."
    )
    start_cursor: str | None
    end_cursor: str | None = strawberry.field(description="Pass as after for the next page.")


@runtime_checkable
class _FieldError(Protocol):
    field: str
    message: str
    code: str


# "decision: the recognition decision it rests on", "members[2].idNumber: ...": the stores'
# messages begin with the input they are about.
_NAMED = re.compile(r"([A-Za-z][A-Za-z0-9]*)[:\[.]")


def _argument_named(message: str, info: Info | None) -> str | None:
    """The argument of the mutation ``info`` belongs to that ``message`` begins with, if any."""
    if info is None:
        return None
    named = _NAMED.match(message)
    if named is None:
        return None
    raw = info._raw_info
    definition = getattr(raw.parent_type, "fields", {}).get(raw.field_name)
    arguments = getattr(definition, "args", None) or {}
    return named.group(1) if named.group(1) in arguments else None


def user_errors(
    exc: DoudiError, field: str | None = None, *, info: Info | None = None
) -> list[UserError]:
    """``exc`` as userErrors: one per field error when it carries several (an invalid household,
    a duplicate person), else one at the field the error names itself, else at the argument of
    the mutation (``info``) its message begins with, else at ``field``. A console shows each next
    to its field; null leaves it nowhere to go."""
    several = getattr(exc, "errors", None)
    if (
        isinstance(several, Sequence)
        and several
        and all(isinstance(e, _FieldError) for e in several)
    ):
        return [UserError(field=e.field, message=e.message, code=e.code) for e in several]
    named = getattr(exc, "field", None)
    at = named if isinstance(named, str) and named else None
    return [
        UserError(
            field=at or _argument_named(exc.message, info) or field,
            message=exc.message,
            code=exc.code,
        )
    ]


def file_errors(exc: DoudiError, *, info: Info | None = None) -> list[UserError]:
    """``exc`` as userErrors for an uploaded file: one per problem, at its row and column
    (``problems`` of a refused spreadsheet or department batch), else as :func:`user_errors`."""
    problems = getattr(exc, "problems", None)
    if problems:
        return [
            UserError(field=p.where() or None, message=p.message, code=exc.code) for p in problems
        ]
    return user_errors(exc, info=info)


def database_id(raw: str) -> int | None:
    """The database id an ID stands for, or None for anything that cannot be one."""
    if raw.isascii() and raw.isdigit() and len(raw) < 19:
        return int(raw)
    return None


__all__ = ["Info", "PageInfo", "UserError", "database_id", "user_errors"]
