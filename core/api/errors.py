"""How errors reach API clients: a message to act on and ``extensions.code``, never a 500.

- a :class:`~core.errors.DoudiError` (unknown jurisdiction, unknown parameter, invalid input ...)
  keeps its message and gets its ``code``;
- a document that does not parse gets ``GRAPHQL_PARSE_FAILED``, one that fails validation
  (unknown field, too deep, too many aliases ...) ``GRAPHQL_VALIDATION_FAILED``, one whose answer
  could be too big (the cost limit) ``QUERY_TOO_COMPLEX``, a variable of the wrong type (a
  malformed Date, say) ``BAD_USER_INPUT``;
- anything else is a bug: it is logged with its traceback and reaches the client only as
  "Unexpected error." with ``INTERNAL_SERVER_ERROR``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from core.errors import DoudiError

logger = logging.getLogger("doudi.api")

MASKED_MESSAGE = "Unexpected error."
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL = "INTERNAL_SERVER_ERROR"


def doudi_error(error: GraphQLError) -> DoudiError | None:
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    return original if isinstance(original, DoudiError) else None


def is_unexpected(error: GraphQLError) -> bool:
    """True for a bug, as opposed to bad input.

    Any error inside execution (it has a path) that is not a DoudiError is a bug. Outside
    execution, a variable that cannot be coerced carries the variable's node and is bad input;
    an exception with no node (raised by an extension, say) is a bug.
    """
    if doudi_error(error) is not None:
        return False
    if error.path is not None:
        return True
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError) and not error.nodes


def log_errors(errors: list[GraphQLError]) -> None:
    for error in errors:
        if is_unexpected(error):
            original = error.original_error
            logger.error(
                "unexpected error at %s: %s",
                ".".join(str(p) for p in error.path or ()) or "(operation)",
                error.message,
                exc_info=None if original is None else original,
            )
        else:
            logger.debug("client error: %s", error.message)


def _with_code(error: GraphQLError, message: str, code: str) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={**(error.extensions or {}), "code": code},
    )


def format_error(error: GraphQLError, *, parse_failed: bool = False) -> GraphQLError:
    """``error`` with its ``extensions.code``; a bug becomes "Unexpected error."."""
    if error.extensions and "code" in error.extensions:
        return error  # formatted already, or a validation error (coded when validated)
    known = doudi_error(error)
    if known is not None:
        # A variable its scalar refused: graphql-core's message names the variable ("Variable
        # '$asOf' has invalid value: ..."), then quotes ours, cut short: keep the name, say ours.
        if error.path is None and error.message.startswith("Variable '$"):
            head = error.message.split(": ", 1)[0]
            return _with_code(error, f"{head}: {known.message}", known.code)
        return _with_code(error, known.message, known.code)
    if is_unexpected(error):
        return _with_code(error, MASKED_MESSAGE, INTERNAL)
    return _with_code(error, error.message, PARSE_FAILED if parse_failed else BAD_USER_INPUT)


def format_errors(errors: list[GraphQLError], *, parse_failed: bool = False) -> list[GraphQLError]:
    return [format_error(e, parse_failed=parse_failed) for e in errors]


class ErrorCodes(SchemaExtension):
    """Give every error an ``extensions.code`` and mask unexpected ones (after they are logged).

    ``Schema.process_errors`` (which logs) runs before extensions see the errors, as with
    strawberry's own ``MaskErrors``. An exception raised by an extension itself surfaces after
    this hook; the HTTP view formats those (:meth:`core.api.app.DoudiGraphQL.process_result`).
    """

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, GraphQLExecutionResult | ExecutionResult) and result.errors:
            parse_failed = self.execution_context.graphql_document is None
            result.errors = format_errors(result.errors, parse_failed=parse_failed)
