"""The ASGI app: GraphQL at ``/graphql`` (GraphiQL on GET from a browser, from local assets),
``/healthz``, the iCalendar feeds at ``/calendar/{code}.ics`` (:mod:`core.api.calendars`) and the
web console at ``/`` (:mod:`core.console`); security headers and gzip on every response.

Run it with ``uvicorn --factory core.api.app:create_app``, or ``doudi serve``
(``create_app(runtime=open_runtime())``; with ``--workers N``, each worker process builds its
own with :func:`served_app`). Nothing is loaded at import:

- ``create_app(runtime=...)``: the policy is ``runtime.provider.current()`` (the plugins plus
  the database's local settings, so a new local setting shows at once) and households,
  decisions and local settings live in ``runtime.sessions``;
- ``create_app(base)``: the policy of ``base`` only; anything needing the database is
  ``DATABASE_UNAVAILABLE``;
- ``create_app()``: on the first request, the process-wide plugin base is built and the
  configured database opened (created and migrated if need be, see :mod:`core.settings`), as
  with a runtime. A database that cannot be opened is a 503 ``DATABASE_UNAVAILABLE`` (tried
  again after ``RUNTIME_RETRY_S``): the policy is never served without its local settings.

Policy reads are public; households, decisions, local settings and the audit log need an
``Authorization: Bearer <token>`` header (see :mod:`core.api.common`).

Responses to POSTed queries are cached by their exact body (see :class:`ResponseCache`): a
repeated query skips strawberry entirely, which is what keeps the API near the speed of a
bare endpoint. Anything not cached goes through strawberry as usual (the result cache,
:class:`core.api.context.ResultCache`, used by :class:`core.api.schema.CachedResults`, still
saves the execution). Only public answers are cached: a request carrying an ``Authorization``
header is never served from either cache nor stored in one, and neither is an answer that read
stored data (:meth:`core.api.context.Context.mark_private`).
"""

from __future__ import annotations

import gc
import json
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from threading import Lock
from typing import Any

from cross_web import HTTPException  # what strawberry's views raise (a strawberry dependency)
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from core.api.cache import LRUCache
from core.api.calendars import ics_endpoint
from core.api.context import Context, ResultCache
from core.api.errors import format_errors
from core.api.schema import schema
from core.console import SecurityHeaders, console_routes, graphiql_page
from core.errors import DoudiError
from core.policy.service import PolicyBase, get_policy_base, today
from core.runtime import DatabaseUnavailable, Runtime, open_runtime
from core.validation import MAX_BODY_BYTES, MAX_JSON_DEPTH, NotFinite, json_depth_exceeds

logger = logging.getLogger("doudi.api")

RESPONSE_CACHE_SIZE = 1024
RESPONSE_CACHE_BYTES = 64 * 1024 * 1024
RUNTIME_RETRY_S = 5.0
_CONTEXT_KEY = "doudi.context"
_BASE_KEY = "doudi.base"

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
    """The 503 while the policy base cannot load (or its database cannot be read): its code and
    message, as a GraphQL error (``/graphql``) or as a health status (``/healthz``)."""
    logger.error("cannot serve (%s): %s", exc.code, exc.message)
    body: dict[str, object] = (
        {"status": "error", "code": exc.code, "message": exc.message}
        if health
        else {"data": None, "errors": [{"message": exc.message, "extensions": {"code": exc.code}}]}
    )
    return JSONResponse(body, status_code=503)


def current_policy(runtime: Runtime) -> PolicyBase:
    """The runtime's merged policy; a database it cannot read is DATABASE_UNAVAILABLE."""
    try:
        return runtime.provider.current()
    except SQLAlchemyError as exc:
        logger.error("cannot read the local settings: %s", exc)
        raise DatabaseUnavailable(
            "the database is not reachable, so the local settings cannot be read; try again later"
        ) from None


class Backend:
    """Where the app's policy and database come from (see the module's docstring)."""

    def __init__(self, base: PolicyBase | None, runtime: Runtime | None) -> None:
        self._base = base
        self._runtime = runtime
        self._lazy = base is None and runtime is None
        self._lock = Lock()
        self._failure: tuple[float, DoudiError] | None = None

    def runtime(self) -> Runtime | None:
        """The runtime (opened on first use when none was given), or None for a policy-only
        app. Raises DATABASE_UNAVAILABLE while the configured database cannot be opened."""
        if not self._lazy or self._runtime is not None:
            return self._runtime
        with self._lock:
            if self._runtime is None:
                if self._failure is not None and time.monotonic() - self._failure[0] < (
                    RUNTIME_RETRY_S
                ):
                    raise self._failure[1]
                try:
                    self._runtime = open_runtime(plugin_base=get_policy_base())
                except DatabaseUnavailable as exc:
                    logger.error("cannot open the database: %s", exc.message)
                    self._failure = (time.monotonic(), exc)
                    raise
                self._failure = None
            return self._runtime

    def base(self) -> PolicyBase:
        """The merged policy for a request."""
        if self._base is not None:
            return self._base
        if self._lazy:
            get_policy_base()  # a plugin that fails to load is its own error, before the database
        runtime = self.runtime()
        assert runtime is not None
        return current_policy(runtime)


_NUL_ESCAPE = re.compile(rb"(?<!\\)\\u0000", re.IGNORECASE)


async def _carries_nul(request: Request) -> bool:
    """Whether the request's text holds U+0000: PostgreSQL stores no NUL in text or JSONB, so
    such input is refused up front (the same on SQLite) rather than failing inside a write."""
    if "\x00" in request.url.query or "%00" in request.url.query:
        return True
    if request.method != "POST":
        return False
    body = await request.body()  # kept on the request for strawberry to read again
    return b"\x00" in body or _NUL_ESCAPE.search(body) is not None


def _nul_refused() -> Response:
    return JSONResponse(
        {
            "data": None,
            "errors": [
                {
                    "message": "text may not contain the NUL character (U+0000)",
                    "extensions": {"code": "BAD_USER_INPUT"},
                }
            ],
        },
        status_code=400,
    )


BAD_REQUEST = "BAD_REQUEST"
BODY_TOO_LARGE = "BODY_TOO_LARGE"


class RefusedBody(HTTPException):
    """A request body refused before GraphQL sees it, with the code its answer carries."""

    def __init__(self, status_code: int, reason: str, code: str = BAD_REQUEST) -> None:
        super().__init__(status_code, reason)
        self.code = code


def _error_json(message: str, code: str, status: int) -> JSONResponse:
    """A refused request, answered as GraphQL clients read errors."""
    body = {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(body, status_code=status)


async def _read_body(request: Request) -> bytes:
    """The request's body, at most :data:`core.validation.MAX_BODY_BYTES` (refused from its
    Content-Length before reading when it says more, else when the stream passes the limit);
    kept on the request for strawberry to read again."""
    too_large = RefusedBody(
        413,
        f"the request body is larger than {MAX_BODY_BYTES:,} bytes (the most doudi accepts)",
        BODY_TOO_LARGE,
    )
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise RefusedBody(400, "Content-Length is not a number")
        if int(declared) > MAX_BODY_BYTES:
            raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise too_large
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # starlette's own cache of the body: request.body() returns it
    return body


def _no_constant(name: str) -> None:
    raise NotFinite(f"{name} is not a number JSON can carry (NaN and the infinities are refused)")


def decode_body_json(data: str | bytes) -> dict[str, Any]:
    """A request's JSON (a body, or the ``variables`` of a GET): UTF-8, nested at most
    :data:`core.validation.MAX_JSON_DEPTH` deep, no NaN or infinities, an object at the top;
    anything else is a 400 with a GraphQL-shaped error (never a parser's crash, a 500)."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if json_depth_exceeds(raw):
        raise RefusedBody(400, f"the JSON nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RefusedBody(400, f"the body is not UTF-8 text (at byte {exc.start})") from None
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except NotFinite as exc:
        raise RefusedBody(400, exc.message, exc.code) from None
    except (ValueError, RecursionError) as exc:
        raise RefusedBody(400, f"the body is not JSON: {str(exc)[:200]}") from None
    if not isinstance(value, dict):
        raise RefusedBody(
            400,
            'the body must be a JSON object: {"query": "...", "variables": {...}}, not '
            f"{type(value).__name__ if value is not None else 'null'}",
        )
    return value


class DoudiGraphQL(GraphQL[Context, None]):
    """strawberry's ASGI view with doudi's context and a response cache in front."""

    def __init__(
        self,
        backend: Backend,
        results: ResultCache,
        responses: ResponseCache,
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=True)
        self._backend = backend
        self._results = results
        self._responses = responses

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            base = self._backend.base()
        except DoudiError as exc:
            await _unavailable(exc)(scope, receive, send)
            return
        scope[_BASE_KEY] = base  # the one policy of this request (see get_context)
        if request.method == "POST":
            try:
                await _read_body(request)
            except RefusedBody as e:
                await _error_json(e.reason, e.code, e.status_code)(scope, receive, send)
                return
        if await _carries_nul(request):
            await _nul_refused()(scope, receive, send)
            return
        key: ResponseKey | None = None
        # Credentials make a request private: never answered from the cache nor stored in it.
        if request.method == "POST" and "authorization" not in request.headers:
            body = await request.body()  # kept on the request for strawberry to read again
            key = (request.headers.get("content-type", ""), body, base.version, today().isoformat())
            hit = self._responses.get(key)
            if hit is not None:
                await Response(hit, media_type="application/json")(scope, receive, send)
                return
        try:
            response = await self.run(request)
        except HTTPException as e:
            response = _error_json(e.reason, getattr(e, "code", BAD_REQUEST), e.status_code)
        context = scope.get(_CONTEXT_KEY)
        if (
            key is not None
            and isinstance(context, Context)
            and context.cacheable
            and not context.private
            and response.status_code == 200
            and not response.headers.getlist("set-cookie")
        ):
            self._responses.put(key, bytes(response.body))
        await response(scope, receive, send)

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL from the console's local assets (strawberry's page loads it from a CDN)."""
        return graphiql_page()

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        base = request.scope.get(_BASE_KEY)
        if not isinstance(base, PolicyBase):
            base = self._backend.base()
        try:
            runtime, unavailable = self._backend.runtime(), None
        except DoudiError as exc:  # pragma: no cover - base() has just opened it
            runtime, unavailable = None, exc.message
        context = Context(
            base=base,
            request=request,
            response=response,
            result_cache=self._results,
            runtime=runtime,
            authorization=request.headers.get("authorization"),
            db_unavailable=unavailable,
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

    def decode_json(self, data: str | bytes) -> object:
        return decode_body_json(data)


def create_app(
    base: PolicyBase | None = None,
    *,
    runtime: Runtime | None = None,
    on_shutdown: Callable[[], None] | None = None,
) -> Starlette:
    """The doudi API over ``runtime`` (policy with local settings, households, decisions), or
    over the policy ``base`` alone, or (neither) over the configured database and the
    process-wide plugins, opened on the first request."""
    if base is not None and runtime is not None:
        raise TypeError(
            "give base or runtime, not both (open_runtime(plugin_base=base) combines them)"
        )
    backend = Backend(base, runtime)
    results = ResultCache()
    responses = ResponseCache()

    async def healthz(request: Request) -> JSONResponse:
        try:
            b = backend.base()
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

    graphql = DoudiGraphQL(backend, results, responses)
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            # Calendar apps subscribe by URL: the token may come as ?token= (core.api.calendars).
            Route(
                "/calendar/{code}.ics", ics_endpoint(backend.base, backend.runtime), methods=["GET"]
            ),
            *console_routes(),  # the web console at / (core.console)
        ],
        middleware=[Middleware(SecurityHeaders), Middleware(GZipMiddleware, minimum_size=1024)],
        lifespan=_lifespan(on_shutdown),
    )
    app.state.result_cache = results
    app.state.response_cache = responses
    app.state.backend = backend
    return app


def _lifespan(
    close: Callable[[], None] | None,
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # What is loaded by now (the policy base with its plugins and the jurisdiction table,
        # the GraphQL schema, the ORM's compiled statements: some 300,000 objects) lives as long
        # as the process. Frozen, the cyclic collector stops walking it again and again while
        # requests allocate: one to two milliseconds of CPU per request measured (`{ me { name
        # } }` on PostgreSQL, 4.0–5.4 ms → 2.9–3.4 ms). Freezing also keeps those pages shared
        # between the worker processes of `doudi serve --workers`.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()  # an app stopped inside a longer-lived process (tests, embedding)
            if close is not None:
                close()

    return lifespan


def served_app() -> Starlette:
    """The app of one worker process of ``doudi serve --workers N`` (a uvicorn factory).

    ``doudi serve`` has already migrated the database, read the audit key and sealed older data
    in its own process before the workers start, so a worker only opens the database (refusing
    one that is not up to date), writes audit checkpoints on its own timer (the checkpoint log
    is appended under a file lock, so workers never interleave lines), compiles the console's
    default simulation in the background (:func:`warm_up`) and closes the
    runtime when uvicorn stops it. Each worker keeps its own caches; a local setting or holiday
    table stored through one worker is seen by the others within a second (the provider asks
    the database for its revision at most once a second)."""

    runtime = open_runtime(migrate=False, plugin_base=get_policy_base())
    runtime.start_checkpoints()
    warm_up()
    return create_app(runtime=runtime, on_shutdown=runtime.close)


def _holidays() -> None:
    from core.calendars.workdays import statutory_days

    year = today().year
    for y in (year, year + 1):
        statutory_days(y)


def warm_up(*, freeze: bool = True) -> threading.Thread:
    """Load, on a background thread, what the first requests of a fresh server would otherwise
    wait for: the region tables of ID numbers (:func:`core.households.model.load_id_tables`),
    the statutory holidays of this year and the next (the ``holidays`` library imports every
    country it knows, some 280 modules, on first use: :func:`_holidays`) and the console's
    default simulation, compiled (:func:`core.bulk.jobs.compile_default`). A failure here is
    logged; the request that needs the part that failed meets it again.

    Then (``freeze``) what it loaded is frozen out of the cyclic collector's walks too, as the
    app's start-up froze what was loaded before it (:func:`_lifespan`): the engine's libraries
    (Ibis, sqlglot, DuckDB, python-stdnum's table) are some 55,000 objects more that live as long
    as the server. Unfrozen, a full collection walked them on whichever request started one.
    """

    def work() -> None:
        from core.bulk.jobs import compile_default
        from core.households.model import load_id_tables

        for step in (load_id_tables, _holidays, compile_default):
            try:
                step()
            except Exception:
                logger.exception("warming up: %s failed", step.__name__)
        if freeze:
            gc.collect()  # what is garbage now is not kept for ever
            gc.freeze()

    thread = threading.Thread(target=work, name="doudi-warm-up", daemon=True)
    thread.start()
    return thread
