"""The doudi GraphQL schema: queries, limits, caches and error codes.

``schema`` is built at import (nothing else is); :func:`sdl` prints it for
``schema/schema.graphql`` (``doudi schema export``).

Per request the extensions run in this order:

- :class:`Limits` adds strawberry's depth (``MAX_DEPTH``) and alias (``MAX_ALIASES``) rules, a
  list-nesting rule (``MAX_LIST_NESTING``) and a cost rule (``MAX_COST`` estimated values, see
  :func:`estimated_cost`; ``QUERY_TOO_COMPLEX``) as validation rules; strawberry's
  ``MaxTokensLimiter`` caps the tokens the parser accepts (``MAX_TOKENS``);
- :class:`ParseCache` and :class:`GuardedValidationCache` (strawberry's ParserCache and
  ValidationCache, keyed by query text, the latter refusing exponential fragment expansions
  first) skip re-parsing and re-validating a query seen before. The limits' rule classes are
  built once, at import, so the validation cache key is stable, and a cached validation still
  returns the limits' errors;
- :class:`CachedResults` skips execution of a query whose error-free, public result is in the
  app's :class:`~core.api.context.ResultCache` (nothing asked with an ``Authorization`` header
  and nothing that read stored data is ever cached; see :mod:`core.api.records`);
- :class:`~core.api.errors.ErrorCodes` gives every error ``extensions.code`` and masks bugs.

In front of all this, :class:`core.api.app.ResponseCache` answers a repeated POST body without
entering strawberry at all. Every cache is a :class:`~core.api.cache.LRUCache` (bounded by
entries and bytes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import strawberry
from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    is_list_type,
    is_non_null_type,
    parse,
)
from graphql import (
    ExecutionResult as GraphQLExecutionResult,
)
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions import max_aliases as _max_aliases
from strawberry.extensions import query_depth_limiter as _depth
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext
from strawberry.types import ExecutionResult as StrawberryExecutionResult
from strawberry.types.graphql import OperationType

from core.api import calendar, cases, holidays, payments, records, reports, schedules
from core.api.cache import LRUCache
from core.api.context import Context
from core.api.errors import QUERY_TOO_COMPLEX, VALIDATION_FAILED, ErrorCodes, log_errors
from core.api.types import (
    AuditEntry,
    CatalogEntry,
    ComparisonRow,
    CreateHouseholdPayload,
    Decision,
    EvaluateEligibilityPayload,
    Household,
    HouseholdConnection,
    HouseholdInput,
    Info,
    Jurisdiction,
    LocalSetting,
    Plugin,
    Policy,
    PreviewEligibilityPayload,
    Program,
    RemoveMemberPayload,
    SetLocalParameterInput,
    SetLocalParameterPayload,
    TemporaryRequestInput,
    UpdateHouseholdPayload,
)
from core.households.store import DEFAULT_PAGE, MAX_PAGE
from core.policy.jurisdictions import NATIONAL_CODE
from core.policy.service import MAX_COMPARE, PolicyBase, today

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 3000
MAX_LIST_NESTING = 4
MAX_EXPANDED_FIELDS = MAX_TOKENS  # only fragment reuse can select more fields than tokens
MAX_COST = 100_000  # estimated values in a result (see estimated_cost)
PARSE_CACHE_SIZE = 256
PARSE_CACHE_BYTES = 32 * 1024 * 1024
VALIDATION_CACHE_SIZE = 256
VALIDATION_CACHE_BYTES = 8 * 1024 * 1024

# How many items a list field may hold, for estimated_cost: upper bounds of the data with room
# to grow (70 catalog paths, at most 37 children, 3 ancestors, 5 layers in a chain, 3 history
# entries, 6 plugins today; a page of households, decisions or audit entries as large as the
# argument allows; a decision traces about 15 parameters). Any other list (a household's members
# or income items, a decision's reasons ...) counts DEFAULT_LIST_SIZE.
PARAMETERS_ESTIMATE = 100
LIST_SIZES: dict[tuple[str, str], int] = {
    ("Query", "comparePolicies"): PARAMETERS_ESTIMATE,
    ("Query", "parameterCatalog"): PARAMETERS_ESTIMATE,
    ("Policy", "parameters"): PARAMETERS_ESTIMATE,
    ("ComparisonRow", "cells"): MAX_COMPARE,
    ("Query", "jurisdictions"): 40,
    ("Jurisdiction", "children"): 40,
    ("Plugin", "jurisdictions"): 40,
    ("Jurisdiction", "ancestors"): 4,
    ("ParameterValue", "overrides"): 5,
    ("ParameterValue", "history"): 10,
    ("HouseholdConnection", "edges"): MAX_PAGE,
    ("Query", "decisions"): records.MAX_DECISIONS,
    ("Query", "auditLog"): records.MAX_AUDIT,
    ("Query", "localSettings"): PARAMETERS_ESTIMATE,
    ("Decision", "trace"): 40,
    **cases.LIST_SIZES,
    **holidays.LIST_SIZES,
    **reports.LIST_SIZES,
    **payments.LIST_SIZES,
    **calendar.LIST_SIZES,
    **schedules.LIST_SIZES,
}
DEFAULT_LIST_SIZE = 20


# -- queries --------------------------------------------------------------------------------------


@strawberry.type
class Query(
    cases.CaseQuery,
    payments.PaymentQuery,
    holidays.HolidayQuery,
    calendar.CalendarQuery,
    reports.ReportQuery,
    schedules.ScheduleQuery,
):
    @strawberry.field(
        description="The merged policy at a jurisdiction (GB/T 2260 code, or 000000 / national) "
        "on a date (default: today in China)."
    )
    def policy(self, info: Info, jurisdiction: str, as_of: dt.date | None = None) -> Policy:
        j = info.context.base.jurisdiction(jurisdiction)
        return Policy(jurisdiction=Jurisdiction.of(j), as_of=as_of or today())

    @strawberry.field(
        description="Parameters side by side across jurisdictions (at most 20), on a date "
        "(default: today in China): the given paths, those under prefix, or every path."
    )
    def compare_policies(
        self,
        info: Info,
        jurisdictions: list[str],
        as_of: dt.date | None = None,
        paths: list[str] | None = None,
        prefix: str | None = None,
    ) -> list[ComparisonRow]:
        base = info.context.base
        day = as_of or today()
        # The codes as given: compare itself normalises them and keeps each jurisdiction once.
        rows = base.compare(jurisdictions, day, paths, prefix)
        # Only to label the cells, in compare's order (the strict zip in ComparisonRow.of fails
        # loudly should the two ever disagree).
        columns = dict.fromkeys(base.jurisdiction(c) for c in jurisdictions)
        js = [Jurisdiction.of(j) for j in columns]
        return [ComparisonRow.of(row, base.catalog[row.path], js) for row in rows]

    @strawberry.field(description="A jurisdiction by GB/T 2260 code (000000 or national: China).")
    def jurisdiction(self, info: Info, code: str) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(code))

    @strawberry.field(
        description="The jurisdictions directly under parent (default: the provinces)."
    )
    def jurisdictions(self, info: Info, parent: str | None = None) -> list[Jurisdiction]:
        children = info.context.base.registry.children(parent or NATIONAL_CODE)
        return [Jurisdiction.of(j) for j in children]

    @strawberry.field(description="Every loaded plugin, the built-in national layer first.")
    def plugins(self, info: Info) -> list[Plugin]:
        return [Plugin.of(s) for s in info.context.base.plugins]

    @strawberry.field(description="Every assistance program added by a plugin.")
    def programs(self, info: Info) -> list[Program]:
        return [Program.of(plugin, p) for plugin, p in info.context.base.programs]

    @strawberry.field(description="One program by id.")
    def program(self, info: Info, id: str) -> Program:
        plugin, p = info.context.base.program(id)
        return Program.of(plugin, p)

    @strawberry.field(description="The parameter catalog, or the paths under prefix.")
    def parameter_catalog(self, info: Info, prefix: str | None = None) -> list[CatalogEntry]:
        catalog = info.context.base.catalog
        return [CatalogEntry.of(catalog[p]) for p in catalog.paths(prefix)]

    @strawberry.field(
        description="Changes whenever any value, rule, plugin or local setting changes (for "
        "client caches)."
    )
    def policy_version(self, info: Info) -> str:
        return info.context.base.version

    # -- stored data: a token is needed, nothing is cached (see core.api.records) --

    @strawberry.field(description="A stored household by id (token required).")
    async def household(self, info: Info, id: strawberry.ID) -> Household:
        return await records.household(info.context, id)

    @strawberry.field(
        description="The households at a jurisdiction and under it, oldest first, at most 100 "
        "a page (token required; within your jurisdiction)."
    )
    async def households(
        self,
        info: Info,
        jurisdiction: str,
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> HouseholdConnection:
        page = DEFAULT_PAGE if first is None else first
        return await records.households(info.context, jurisdiction, page, after)

    @strawberry.field(
        description="A household's recorded decisions, newest first (token required)."
    )
    async def decisions(
        self,
        info: Info,
        household_id: strawberry.ID,
        program: str | None = None,
        first: int | None = 50,
    ) -> list[Decision]:
        return await records.decisions(
            info.context, household_id, program, 50 if first is None else first
        )

    @strawberry.field(
        description="Decide a household given in full, on the public merged policy (default "
        "asOf: today in China). Stores nothing and needs no token; never cached."
    )
    def preview_eligibility(
        self,
        info: Info,
        household: HouseholdInput,
        program: str,
        as_of: dt.date | None = None,
        request: TemporaryRequestInput | None = None,
    ) -> PreviewEligibilityPayload:
        return records.preview_eligibility(info.context, household, program, as_of, request)

    @strawberry.field(description="Local settings at a jurisdiction and under it (token required).")
    async def local_settings(self, info: Info, jurisdiction: str) -> list[LocalSetting]:
        return await records.local_settings(info.context, jurisdiction)

    @strawberry.field(
        description="Who set which local value when, at a jurisdiction and under it, newest "
        "first (token required)."
    )
    async def audit_log(
        self, info: Info, jurisdiction: str, first: int | None = 100
    ) -> list[AuditEntry]:
        return await records.audit(info.context, jurisdiction, 100 if first is None else first)


# -- mutations ------------------------------------------------------------------------------------


@strawberry.type
class Mutation(
    cases.CaseMutation,
    payments.PaymentMutation,
    holidays.HolidayMutation,
    calendar.CalendarMutation,
    reports.ReportMutation,
    schedules.ScheduleMutation,
):
    """Every mutation needs a token and answers expected failures as userErrors; a failed one
    changes nothing."""

    @strawberry.mutation(description="Store a new household in a county within your jurisdiction.")
    async def create_household(self, info: Info, input: HouseholdInput) -> CreateHouseholdPayload:
        return await records.create_household(info.context, input)

    @strawberry.mutation(
        description="Replace a household's data: members left out are marked removed, new ones "
        "added. expectedVersion (the version you read) refuses a change on stale data."
    )
    async def update_household(
        self,
        info: Info,
        id: strawberry.ID,
        input: HouseholdInput,
        expected_version: int | None = None,
    ) -> UpdateHouseholdPayload:
        return await records.update_household(info.context, id, input, expected_version)

    @strawberry.mutation(
        description="Mark a member removed (kept in memberHistory) with their own income and "
        "expense items. The head cannot be removed."
    )
    async def remove_member(
        self,
        info: Info,
        household_id: strawberry.ID,
        id_number: str,
        expected_version: int | None = None,
    ) -> RemoveMemberPayload:
        return await records.remove_member(info.context, household_id, id_number, expected_version)

    @strawberry.mutation(
        description="Record a local value (county approvers and province administrators, "
        "within their jurisdiction): validated, checked against the plugins' rules, audited."
    )
    async def set_local_parameter(
        self, info: Info, input: SetLocalParameterInput
    ) -> SetLocalParameterPayload:
        return await records.set_local_parameter(info.context, input)

    @strawberry.mutation(
        description="Decide a stored household on the merged policy (local settings included; "
        "default asOf: today in China) and store the decision."
    )
    async def evaluate_eligibility(
        self,
        info: Info,
        household_id: strawberry.ID,
        program: str,
        as_of: dt.date | None = None,
        request: TemporaryRequestInput | None = None,
    ) -> EvaluateEligibilityPayload:
        return await records.evaluate_eligibility(
            info.context, household_id, program, as_of, request
        )


# -- limits ---------------------------------------------------------------------------------------


def _unwrap(type_: GraphQLOutputType) -> tuple[int, GraphQLNamedType]:
    """How many list wrappers ``type_`` has, and its named type."""
    lists = 0
    t: Any = type_
    while True:
        if is_non_null_type(t):
            t = t.of_type
        elif is_list_type(t):
            lists += 1
            t = t.of_type
        else:
            return lists, t


def _list_nesting_rule(max_nesting: int) -> type[ValidationRule]:
    """A rule bounding how many list fields nest along any path of an operation.

    Depth alone does not bound the size of a result here: ``jurisdiction { children { parent {
    children { ... } } } }`` multiplies by ~30 at every ``children``. Fragments are followed (and
    memoised, so a fragment spread many times is measured once).
    """

    class ListNestingLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            doc = context.document
            fragments = {
                d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)
            }
            memo: dict[str, int] = {}
            schema = context.schema

            def nesting(sel_set: SelectionSetNode, parent: Any, stack: frozenset[str]) -> int:
                best = 0
                for sel in sel_set.selections:
                    if isinstance(sel, FieldNode):
                        if sel.selection_set is None or not isinstance(
                            parent, GraphQLObjectType | GraphQLInterfaceType
                        ):
                            continue
                        field = parent.fields.get(sel.name.value)
                        if field is None:
                            continue  # reported by the standard rules
                        lists, named = _unwrap(field.type)
                        best = max(best, lists + nesting(sel.selection_set, named, stack))
                    elif isinstance(sel, InlineFragmentNode):
                        cond = sel.type_condition
                        t = schema.get_type(cond.name.value) if cond else parent
                        best = max(best, nesting(sel.selection_set, t, stack))
                    elif isinstance(sel, FragmentSpreadNode):
                        best = max(best, spread(sel.name.value, stack))
                return best

            def spread(name: str, stack: frozenset[str]) -> int:
                if name in memo:
                    return memo[name]
                frag = fragments.get(name)
                if frag is None or name in stack:
                    return 0  # unknown fragments and cycles are reported by the standard rules
                t = schema.get_type(frag.type_condition.name.value)
                memo[name] = nesting(frag.selection_set, t, stack | {name})
                return memo[name]

            for d in doc.definitions:
                if not isinstance(d, OperationDefinitionNode):
                    continue
                root = schema.get_root_type(d.operation)
                if root is None:
                    continue
                n = nesting(d.selection_set, root, frozenset())
                if n > max_nesting:
                    name = d.name.value if d.name else "anonymous"
                    context.report_error(
                        GraphQLError(
                            f"'{name}' nests {n} lists; at most {max_nesting} are allowed",
                            d,
                        )
                    )

    return ListNestingLimit


def estimated_cost(
    graphql_schema: GraphQLSchema, document: DocumentNode
) -> dict[OperationDefinitionNode, int]:
    """How many values each operation of ``document`` may return, at most (roughly).

    Every field counts once per item of every list field above it, a list counting as many
    items as :data:`LIST_SIZES` says (``DEFAULT_LIST_SIZE`` otherwise): ``comparePolicies {
    cells { jurisdiction { children { code } } } }`` is 100 rows × 20 cells × (1 + 1 + 40 × 2).
    The sizes are upper bounds (every catalog path, as many jurisdictions as may be compared),
    as arguments in variables are not known when a query is validated. Introspection fields
    count one each (their size is the schema's). Fragments are measured once each.
    """
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    memo: dict[str, int] = {}

    def cost(sel_set: SelectionSetNode, parent: Any, stack: frozenset[str]) -> int:
        total = 0
        for sel in sel_set.selections:
            if isinstance(sel, FieldNode):
                name = sel.name.value
                if name.startswith("__") or not isinstance(
                    parent, GraphQLObjectType | GraphQLInterfaceType
                ):
                    total += 1
                    continue
                field = parent.fields.get(name)
                if field is None:
                    continue  # reported by the standard rules
                lists, named = _unwrap(field.type)
                items = LIST_SIZES.get((parent.name, name), DEFAULT_LIST_SIZE) ** lists
                inner = cost(sel.selection_set, named, stack) if sel.selection_set else 0
                total += items * (1 + inner)
            elif isinstance(sel, InlineFragmentNode):
                cond = sel.type_condition
                t = graphql_schema.get_type(cond.name.value) if cond else parent
                total += cost(sel.selection_set, t, stack)
            elif isinstance(sel, FragmentSpreadNode):
                total += spread(sel.name.value, stack)
        return total

    def spread(name: str, stack: frozenset[str]) -> int:
        if name in memo:
            return memo[name]
        frag = fragments.get(name)
        if frag is None or name in stack:
            return 0  # unknown fragments and cycles are reported by the standard rules
        t = graphql_schema.get_type(frag.type_condition.name.value)
        memo[name] = cost(frag.selection_set, t, stack | {name})
        return memo[name]

    out: dict[OperationDefinitionNode, int] = {}
    for d in document.definitions:
        if isinstance(d, OperationDefinitionNode):
            root = graphql_schema.get_root_type(d.operation)
            if root is not None:
                out[d] = cost(d.selection_set, root, frozenset())
    return out


def _cost_rule(max_cost: int) -> type[ValidationRule]:
    """A rule refusing operations whose :func:`estimated_cost` is above ``max_cost``.

    Depth, aliases and list nesting alone still let a query multiply lists of 20 and 40 items
    into millions of values (seconds of work on the one worker and megabytes of answer).
    """

    class CostLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            for op, n in estimated_cost(context.schema, context.document).items():
                if n > max_cost:
                    name = op.name.value if op.name else "anonymous"
                    context.report_error(
                        GraphQLError(
                            f"'{name}' could return about {n} values; at most {max_cost} are "
                            "allowed: ask for fewer jurisdictions, paths or nested lists",
                            op,
                            extensions={"code": QUERY_TOO_COMPLEX},
                        )
                    )

    return CostLimit


# Built once: a rule class made per request would defeat the validation cache (its key includes
# the rule classes).
_DEPTH_RULE = _depth.create_validator(MAX_DEPTH, None, None)
_ALIASES_RULE = _max_aliases.create_validator(MAX_ALIASES)
_LIST_NESTING_RULE = _list_nesting_rule(MAX_LIST_NESTING)
_COST_RULE = _cost_rule(MAX_COST)


class Limits(AddValidationRules):
    """strawberry's QueryDepthLimiter and MaxAliasesLimiter rules, the list-nesting rule and
    the cost rule.

    One extension (fewer hooks per request) whose rule classes are built once, at import.
    """

    def __init__(self) -> None:
        super().__init__([_DEPTH_RULE, _ALIASES_RULE, _LIST_NESTING_RULE, _COST_RULE])


def expanded_fields(document: DocumentNode) -> int:
    """How many fields the operations select once every fragment spread is expanded.

    Fragments are measured once each (memoised), so this is linear in the document even when
    the expansion is exponential (``fragment A { ...B ...B }  fragment B { ...C ...C } ...``),
    which would make strawberry's depth and alias rules, which expand fragments, run for ever.
    """
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    memo: dict[str, int] = {}

    def size(sel_set: SelectionSetNode, stack: frozenset[str]) -> int:
        n = 0
        for sel in sel_set.selections:
            if isinstance(sel, FieldNode):
                n += 1 + (size(sel.selection_set, stack) if sel.selection_set else 0)
            elif isinstance(sel, InlineFragmentNode):
                n += size(sel.selection_set, stack)
            elif isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                if name in stack or name not in fragments:
                    continue  # cycles and unknown fragments are reported by the standard rules
                if name not in memo:
                    memo[name] = size(fragments[name].selection_set, stack | {name})
                n += memo[name]
        return n

    return sum(
        size(d.selection_set, frozenset())
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    )


def _validate(
    graphql_schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
) -> list[GraphQLError]:
    """Validate ``document``, refusing first one whose fragments expand too far."""
    try:
        n = expanded_fields(document)
    except RecursionError:
        n = MAX_EXPANDED_FIELDS + 1
    if n > MAX_EXPANDED_FIELDS:
        errors = [
            GraphQLError(
                f"the operation selects {n} fields once fragments are expanded; "
                f"at most {MAX_EXPANDED_FIELDS} are allowed"
            )
        ]
    else:
        errors = validate_document(graphql_schema, document, rules)
    for error in errors:  # QUERY_TOO_COMPLEX errors keep their code
        error.extensions = {"code": VALIDATION_FAILED, **(error.extensions or {})}
    return errors


ValidationKey = tuple[str, tuple[type[ASTValidationRule], ...]]


class ValidatedQueries(LRUCache[ValidationKey, list[GraphQLError]]):
    """The validation errors (often none) of the queries seen last, by query text."""

    def __init__(self) -> None:
        super().__init__(VALIDATION_CACHE_SIZE, VALIDATION_CACHE_BYTES)

    def sizeof(self, key: ValidationKey, value: list[GraphQLError]) -> int:
        return len(key[0]) + 1024 * len(value)


class ParsedDocuments(LRUCache[tuple[str, tuple[tuple[str, Any], ...]], DocumentNode]):
    """The parsed documents of the queries seen last, by query text (and parse options)."""

    def __init__(self) -> None:
        super().__init__(PARSE_CACHE_SIZE, PARSE_CACHE_BYTES)

    def sizeof(self, key: tuple[str, tuple[tuple[str, Any], ...]], value: DocumentNode) -> int:
        # A parsed document takes 50 to 100 times its text in memory (measured).
        return 100 * len(key[0])


_VALIDATED = ValidatedQueries()
_PARSED = ParsedDocuments()


class GuardedValidationCache(ValidationCache):
    """strawberry's ValidationCache, keyed by the query text, with a size check first.

    strawberry's key is the parsed document, whose hash walks the whole tree on every request;
    the text (with the constant parse options and the rule classes built once) is equivalent.
    Rejecting an exponential fragment expansion before the rules run keeps the depth and
    alias rules, which expand fragments, from running for ever.
    """

    def __init__(self) -> None:
        SchemaExtension.__init__(self)

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        assert ec.query is not None and ec.graphql_document is not None
        key = (ec.query, ec.validation_rules)
        errors = _VALIDATED.get(key)
        if errors is None:
            errors = _validate(ec.schema._schema, ec.graphql_document, ec.validation_rules)
            _VALIDATED.put(key, errors)
        # A copy: the error formatting replaces the list's items per request.
        ec.pre_execution_errors = list(errors)
        yield


class ParseCache(SchemaExtension):
    """strawberry's ParserCache over :class:`ParsedDocuments`, but a document that does not
    parse is left to strawberry.

    Parsing here happens while entering the parse step, outside strawberry's error handling for
    parse errors; an error there would skip the extensions' error processing. Returning without
    a document makes strawberry parse it (again) and report the error the usual way. Errors
    are never cached, so this costs nothing on valid queries.
    """

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        assert ec.query is not None
        options = ec.parse_options
        key = (ec.query, tuple(sorted(options.items())))
        document = _PARSED.get(key)
        if document is None:
            try:
                document = parse(ec.query, **options)
            except GraphQLError:
                document = None
            else:
                _PARSED.put(key, document)
        ec.graphql_document = document
        yield


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
    Limits,
    partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
    ParseCache,
    GuardedValidationCache,
    CachedResults,
    ErrorCodes,
)

schema = DoudiSchema(query=Query, mutation=Mutation, extensions=EXTENSIONS)


def sdl() -> str:
    """The schema in SDL, as written to ``schema/schema.graphql``."""
    return schema.as_str() + "\n"


def execute_sync(
    query: str, base: PolicyBase, variables: dict[str, Any] | None = None
) -> StrawberryExecutionResult:
    """Run a query in-process, without HTTP (for scripts and tests); no result cache."""
    return schema.execute_sync(query, variable_values=variables, context_value=Context(base))
