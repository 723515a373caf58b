"""The doudi GraphQL schema, assembled from one API module per context.

``schema`` is built at import (nothing else is); :func:`sdl` prints it for
``schema/schema.graphql`` (``doudi schema export``). A context adds its root fields with one
line in :func:`queries` or :func:`mutations` (its ``*Query`` / ``*Mutation`` type, whose fields
come in that order) and its lists' sizes with one line in :data:`LIST_SIZES`.

Per request the extensions run in this order (see :mod:`core.api.limits`):

- :class:`~core.api.limits.Limits` adds the depth, alias, list-nesting and cost rules as
  validation rules; strawberry's ``MaxTokensLimiter`` caps the tokens the parser accepts;
- :class:`~core.api.limits.ParseCache` and :class:`~core.api.limits.GuardedValidationCache`
  skip re-parsing and re-validating a query seen before;
- :class:`CachedResults` skips execution of a query whose error-free, public result is in the
  app's :class:`~core.api.context.ResultCache` (nothing asked with an ``Authorization`` header
  and nothing that read stored data is ever cached; see :mod:`core.api.common`);
- :class:`~core.api.errors.ErrorCodes` gives every error ``extensions.code`` and masks bugs.

In front of all this, :class:`core.api.app.ResponseCache` answers a repeated POST body without
entering strawberry at all. Every cache is a :class:`~core.api.cache.LRUCache` (bounded by
entries and bytes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any

import strawberry
from graphql import DocumentNode, GraphQLError, GraphQLSchema, OperationDefinitionNode
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import MaxTokensLimiter, SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types import ExecutionResult as StrawberryExecutionResult
from strawberry.types.graphql import OperationType

from core.api import (
    access,
    bulk,
    calendars,
    cases,
    eligibility,
    exchange,
    holidays,
    households,
    limits,
    local_settings,
    payments,
    policy,
    registers,
    reports,
    schedules,
    verification,
)
from core.api.common import DATE_SCALAR
from core.api.context import Context
from core.api.errors import ErrorCodes, log_errors
from core.api.limits import MAX_COST, MAX_DEPTH, MAX_TOKENS
from core.cases.actions import CASE_ACTIONS, ActionSpec
from core.policy.service import PolicyBase


def queries(case_actions: Iterable[ActionSpec] = CASE_ACTIONS) -> tuple[type[Any], ...]:
    """The query types, one context a line, in the order the SDL lists their fields (the case
    workflow's with the specs of ``case_actions``)."""
    return (
        cases.case_queries(case_actions),
        payments.PaymentQuery,
        holidays.HolidayQuery,
        calendars.CalendarQuery,
        reports.ReportQuery,
        schedules.ScheduleQuery,
        policy.PolicyQuery,
        households.HouseholdQuery,
        eligibility.EligibilityQuery,
        local_settings.LocalSettingQuery,
        access.AccessQuery,
        bulk.BulkQuery,
        registers.RegisterQuery,
        exchange.ExchangeQuery,
        verification.VerificationQuery,
    )


def mutations(case_actions: Iterable[ActionSpec] = CASE_ACTIONS) -> tuple[type[Any], ...]:
    """The mutation types, one context a line (the case workflow's generated from
    ``case_actions``)."""
    return (
        cases.case_mutations(case_actions),
        payments.PaymentMutation,
        holidays.HolidayMutation,
        calendars.CalendarMutation,
        reports.ReportMutation,
        schedules.ScheduleMutation,
        households.HouseholdMutation,
        local_settings.LocalSettingMutation,
        eligibility.EligibilityMutation,
        access.AccessMutation,
        bulk.BulkMutation,
        registers.RegisterMutation,
        exchange.ExchangeMutation,
        verification.VerificationMutation,
    )


# How many items each list field may hold, for the cost estimate (see core.api.limits).
LIST_SIZES: dict[tuple[str, str], int] = {
    **policy.LIST_SIZES,
    **households.LIST_SIZES,
    **eligibility.LIST_SIZES,
    **local_settings.LIST_SIZES,
    **cases.LIST_SIZES,
    **holidays.LIST_SIZES,
    **reports.LIST_SIZES,
    **payments.LIST_SIZES,
    **calendars.LIST_SIZES,
    **schedules.LIST_SIZES,
    **access.LIST_SIZES,
    **bulk.LIST_SIZES,
    **registers.LIST_SIZES,
    **exchange.LIST_SIZES,
    **verification.LIST_SIZES,
}

# Built once: a rule class made per request would defeat the validation cache.
_RULES = limits.validation_rules(LIST_SIZES)


def estimated_cost(
    graphql_schema: GraphQLSchema, document: DocumentNode
) -> dict[OperationDefinitionNode, int]:
    """:func:`core.api.limits.estimated_cost` with this schema's :data:`LIST_SIZES`."""
    return limits.estimated_cost(graphql_schema, document, LIST_SIZES)


# -- result cache ---------------------------------------------------------------------------------


class CachedResults(SchemaExtension):
    """Serve a query's error-free result from the app's :class:`~core.api.context.ResultCache`,
    skipping execution.

    The key is (query text, operation name, variables, ``PolicyBase.version``, today's date):
    the merged policy only changes with its version, and the default ``asOf`` with the date.
    Only queries are cached (never mutations or subscriptions), only results without errors, and
    only public ones: a request with an ``Authorization`` header is never answered from the cache
    nor stored in it, and neither is a result a resolver marked private (stored data, previews).
    Validation has run by now, so the limits apply to cached queries as to any other.
    """

    def on_execute(self) -> Iterator[None]:
        ec: ExecutionContext = self.execution_context
        context = ec.context
        cache = getattr(context, "result_cache", None)
        if (
            cache is None
            or ec.query is None
            or ec.operation_type is not OperationType.QUERY
            or getattr(context, "private", False)
        ):
            yield
            return
        key = cache.key(ec.query, ec.operation_name, ec.variables, context.base.version)
        hit = cache.get(key)
        if hit is not None:
            ec.result = hit
            context.cacheable = True
            yield
            return
        yield
        result = ec.result
        if isinstance(result, GraphQLExecutionResult) and not result.errors and not context.private:
            cache.put(key, result)
            context.cacheable = True


# -- schema ---------------------------------------------------------------------------------------


class DoudiSchema(strawberry.Schema):
    def process_errors(
        self,
        errors: list[GraphQLError],
        execution_context: ExecutionContext | None = None,
    ) -> None:
        """Log bugs with their traceback; bad input is the client's business (debug level)."""
        log_errors(errors)


EXTENSIONS: tuple[Callable[[], SchemaExtension] | type[SchemaExtension], ...] = (
    partial(limits.Limits, _RULES),
    partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
    limits.ParseCache,
    limits.GuardedValidationCache,
    CachedResults,
    ErrorCodes,
)


def make_schema(case_actions: Iterable[ActionSpec] = CASE_ACTIONS) -> DoudiSchema:
    """The schema, its case mutations and ``caseActionSpecs`` generated from ``case_actions``
    (:data:`schema` is built from :data:`~core.cases.actions.CASE_ACTIONS`)."""
    specs = tuple(case_actions)
    query = strawberry.type(type("Query", queries(specs), {"__module__": __name__}))
    mutation = strawberry.type(type("Mutation", mutations(specs), {"__module__": __name__}))
    return DoudiSchema(
        query=query,
        mutation=mutation,
        extensions=EXTENSIONS,
        scalar_overrides={dt.date: DATE_SCALAR},
    )


schema = make_schema()


def sdl() -> str:
    """The schema in SDL, as written to ``schema/schema.graphql``."""
    return schema.as_str() + "\n"


def execute_sync(
    query: str, base: PolicyBase, variables: dict[str, Any] | None = None
) -> StrawberryExecutionResult:
    """Run a query in-process, without HTTP (for scripts and tests); no result cache."""
    return schema.execute_sync(query, variable_values=variables, context_value=Context(base))


__all__ = [
    "EXTENSIONS",
    "LIST_SIZES",
    "MAX_COST",
    "MAX_DEPTH",
    "CachedResults",
    "DoudiSchema",
    "estimated_cost",
    "execute_sync",
    "make_schema",
    "mutations",
    "queries",
    "schema",
    "sdl",
]
