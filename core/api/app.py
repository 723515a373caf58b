"""The ASGI app: GraphQL at ``/graphql`` (GraphiQL on GET from a browser) and ``/healthz``.

Run it with ``uvicorn --factory core.api.app:create_app``. Nothing is loaded at import; the
policy base is built on the first request unless one is given.

Responses to POSTed queries are cached by their exact body (see :class:`ResponseCache`): a
repeated query skips strawberry entirely, which is what keeps the API near the speed of a
bare endpoint. Anything not cached goes through strawberry as usual (the result cache,
:class:`core.api.context.ResultCache`, used by :class:`core.api.schema.CachedResults`, still
saves the execution).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from cross_web import HTTPException  # what strawberry's views raise (a strawberry dependency)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from core.api.cache import LRUCache
from core.api.context import Context, ResultCache
from core.api.errors import format_errors
from core.api.schema import schema
from core.errors import DoudiError
from core.policy_service import PolicyBase, get_policy_base, today

logger = logging.getLogger("doudi.api")

RESPONSE_CACHE_SIZE = 1024
RESPONSE_CACHE_BYTES = 64 * 1024 * 1024
_CONTEXT_KEY = "doudi.context"

ResponseKey = tuple[str, bytes, str, str]


class ResponseCache(LRUCache[ResponseKey, bytes]):
    """Response bodies of error-free queries, bounded by entries and bytes.

    Keyed by (content type, request body, ``PolicyBase.version``, today's date): the same body
    is the same query, operation and variables, so it validates and executes the same way.
    """

    def __init__(
        self, maxsize: int = RESPONSE_CACHE_SIZE, max_bytes: int = RESPONSE_CACHE_BYTES
    ) -> None:
        super().__init__(maxsize, max_bytes)

    def sizeof(self, key: ResponseKey, value: bytes) -> int:
        return len(value) + len(key[1])


def _unavailable(exc: DoudiError, *, health: bool = False) -> JSONResponse:
    """The 503 while the policy base cannot load: its code and message, as a GraphQL error
    (``/graphql``) or as a health status (``/healthz``)."""
    logger.error("policy base failed to load: %s", exc.message)
    body: dict[str, object] = (
        {"status": "error", "code": exc.code, "message": exc.message}
        if health
        else {"data": None, "errors": [{"message": exc.message, "extensions": {"code": exc.code}}]}
    )
    return JSONResponse(body, status_code=503)


class DoudiGraphQL(GraphQL[Context, None]):
    """strawberry's ASGI view with doudi's context and a response cache in front."""

    def __init__(
        self,
        get_base: Callable[[], PolicyBase],
        results: ResultCache,
        responses: ResponseCache,
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=True)
        self._get_base = get_base
        self._results = results
        self._responses = responses

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            base = self._get_base()
        except DoudiError as exc:
            await _unavailable(exc)(scope, receive, send)
            return
        key: ResponseKey | None = None
        if request.method == "POST":
            body = await request.body()  # kept on the request for strawberry to read again
            key = (request.headers.get("content-type", ""), body, base.version, today().isoformat())
            hit = self._responses.get(key)
            if hit is not None:
                await Response(hit, media_type="application/json")(scope, receive, send)
                return
        try:
            response = await self.run(request)
        except HTTPException as e:
            response = PlainTextResponse(e.reason, status_code=e.status_code)
        context = scope.get(_CONTEXT_KEY)
        if (
            key is not None
            and isinstance(context, Context)
            and context.cacheable
            and response.status_code == 200
            and not response.headers.getlist("set-cookie")
        ):
            self._responses.put(key, bytes(response.body))
        await response(scope, receive, send)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        context = Context(
            base=self._get_base(), request=request, response=response, result_cache=self._results
        )
        request.scope[_CONTEXT_KEY] = context
        return context

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if result.errors:  # already formatted, except when an extension itself failed
            result.errors = format_errors(result.errors)
        return await super().process_result(request, result)

    def encode_json(self, data: object) -> bytes:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def create_app(base: PolicyBase | None = None) -> Starlette:
    """The doudi API over ``base`` (default: the process-wide one, built on first use)."""

    def get_base() -> PolicyBase:
        return base if base is not None else get_policy_base()

    results = ResultCache()
    responses = ResponseCache()

    async def healthz(request: Request) -> JSONResponse:
        try:
            b = get_base()
        except DoudiError as exc:
            return _unavailable(exc, health=True)
        return JSONResponse(
            {
                "status": "ok",
                "policyVersion": b.version,
                "plugins": [
                    {"name": p.info.name, "version": p.info.version, "builtin": p.info.builtin}
                    for p in b.plugins
                ],
            }
        )

    graphql = DoudiGraphQL(get_base, results, responses)
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
    app.state.result_cache = results
    app.state.response_cache = responses
    return app
