"""What a query may cost, and the caches of parsing and validation.

- :func:`validation_rules` (run by :class:`Limits`): strawberry's depth (``MAX_DEPTH``) and
  alias (``MAX_ALIASES``) rules, a list-nesting rule (``MAX_LIST_NESTING``) and a cost rule
  (``MAX_COST`` estimated values, see :func:`estimated_cost`; ``QUERY_TOO_COMPLEX``); the schema
  adds strawberry's ``MaxTokensLimiter`` (``MAX_TOKENS``);
- :class:`ParseCache` and :class:`GuardedValidationCache` (strawberry's ParserCache and
  ValidationCache, keyed by query text, the latter refusing exponential fragment expansions
  first) skip re-parsing and re-validating a query seen before. The rule classes are built once,
  so the validation cache key is stable, and a cached validation still returns the limits'
  errors.

Every cache is a :class:`~core.api.cache.LRUCache` (bounded by entries and bytes).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

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
from strawberry.extensions import AddValidationRules, SchemaExtension, ValidationCache
from strawberry.extensions import max_aliases as _max_aliases
from strawberry.extensions import query_depth_limiter as _depth
from strawberry.schema.schema import validate_document

from core.api.cache import LRUCache
from core.api.errors import QUERY_TOO_COMPLEX, VALIDATION_FAILED, doudi_error

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
# Any list not in the contexts' LIST_SIZES (a household's members or income items, a decision's
# reasons ...) counts this many items.
DEFAULT_LIST_SIZE = 20


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
    graphql_schema: GraphQLSchema, document: DocumentNode, list_sizes: Mapping[tuple[str, str], int]
) -> dict[OperationDefinitionNode, int]:
    """How many values each operation of ``document`` may return, at most (roughly).

    Every field counts once per item of every list field above it, a list counting as many
    items as ``list_sizes`` says (the contexts' ``LIST_SIZES``; ``DEFAULT_LIST_SIZE``
    otherwise): ``comparePolicies { cells { jurisdiction { children { code } } } }`` is 100 rows
    × 20 cells × (1 + 1 + 40 × 2).
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
                items = list_sizes.get((parent.name, name), DEFAULT_LIST_SIZE) ** lists
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


def _cost_rule(max_cost: int, list_sizes: Mapping[tuple[str, str], int]) -> type[ValidationRule]:
    """A rule refusing operations whose :func:`estimated_cost` is above ``max_cost``.

    Depth, aliases and list nesting alone still let a query multiply lists of 20 and 40 items
    into millions of values (seconds of work on the one worker and megabytes of answer).
    """

    class CostLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            costs = estimated_cost(context.schema, context.document, list_sizes)
            for op, n in costs.items():
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


def validation_rules(
    list_sizes: Mapping[tuple[str, str], int],
) -> tuple[type[ASTValidationRule], ...]:
    """strawberry's depth and alias rules, the list-nesting rule and the cost rule over
    ``list_sizes``. Build them once (at import): a rule class made per request would defeat
    the validation cache, whose key includes the rule classes."""
    return (
        _depth.create_validator(MAX_DEPTH, None, None),
        _max_aliases.create_validator(MAX_ALIASES),
        _list_nesting_rule(MAX_LIST_NESTING),
        _cost_rule(MAX_COST, list_sizes),
    )


class Limits(AddValidationRules):
    """The rules of :func:`validation_rules` (built once by the schema), as one extension (fewer
    hooks per request)."""

    def __init__(self, rules: Sequence[type[ASTValidationRule]]) -> None:
        super().__init__(list(rules))


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
        # A literal refused by its scalar (a Date out of range, say) keeps the scalar's code.
        known = doudi_error(error)
        code = known.code if known is not None else VALIDATION_FAILED
        error.extensions = {"code": code, **(error.extensions or {})}
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


__all__ = [
    "DEFAULT_LIST_SIZE",
    "MAX_ALIASES",
    "MAX_COST",
    "MAX_DEPTH",
    "MAX_LIST_NESTING",
    "MAX_TOKENS",
    "GuardedValidationCache",
    "Limits",
    "ParseCache",
    "estimated_cost",
    "expanded_fields",
    "validation_rules",
]
