"""The web console (控制台): a browser application in Simplified Chinese over the public GraphQL
API, served by ``doudi serve`` at ``/`` with its assets inside the wheel.

Nothing is built: the pages are ES modules written for the browser (Preact with htm tagged
templates, vendored under ``static/vendor`` with their licences and versions, see
``tools/vendor_console.py``). The server part here only serves files:

- ``/`` and the console's page paths (``/explorer``, ``/inbox``, ``/cases/7`` ...) answer the one
  HTML page (``static/index.html``) with the asset version written into it; the page reads its
  view from the URL, so a link reproduces what it shows;
- ``/static/<version>/<file>`` serves the assets, gzip-compressed once and kept in memory, with
  ``Cache-Control: immutable`` for a year: ``<version>`` is a hash of every asset, so a new
  release gets new URLs and a browser never mixes old and new files;
- :func:`graphiql_page` is the GraphiQL IDE for ``GET /graphql``, from the same local assets
  (strawberry's own page loads React and GraphiQL from a public CDN, which government networks
  cut off);
- :class:`SecurityHeaders` adds a Content-Security-Policy without inline scripts and without
  any other origin, and the usual hardening headers, to every response.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
import time
from functools import cache
from pathlib import Path
from threading import Lock

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC = Path(__file__).resolve().parent / "static"
ASSET_PREFIX = "/static/"
YEAR = 365 * 24 * 3600
# Pages of the console: each answers index.html; the application reads the path.
PAGES = (
    "/",
    "/explorer",
    "/signin",
    "/inbox",
    "/cases/{id:int}",
    "/households",
    "/households/new",
    "/households/{id:int}",
    "/registers",
    "/comparison",
    "/findings/{id:int}",
    "/verification",
    "/lowincome",
    "/payments",
    "/calendar",
    "/admin",
    "/reviews",
    "/reviews/{id:int}",
    "/simulate",
)
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# GraphiQL 3 (CodeMirror 5) writes style attributes and <style> elements: styles only, never
# scripts, are relaxed on that one page.
CSP_GRAPHIQL = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
)
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".html": "text/html; charset=utf-8",
}
_COMPRESSIBLE = (".js", ".mjs", ".css", ".json", ".svg", ".html")
_SAFE_PATH = re.compile(r"^[A-Za-z0-9_.\-/]+$")


@cache
def asset_version() -> str:
    """A hash of every asset's path and content (computed once per process)."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(STATIC)).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def asset_url(name: str) -> str:
    return f"{ASSET_PREFIX}{asset_version()}/{name}"


class _Assets:
    """The assets' bytes, plain and gzipped, read once (a few MB in all)."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._plain: dict[str, bytes] = {}
        self._gzipped: dict[str, bytes] = {}

    def path(self, name: str) -> Path | None:
        if not _SAFE_PATH.match(name) or ".." in name.split("/"):
            return None
        path = (STATIC / name).resolve()
        if not path.is_relative_to(STATIC) or not path.is_file():
            return None
        return path

    def get(self, name: str, gzipped: bool) -> bytes | None:
        with self._lock:
            cached = (self._gzipped if gzipped else self._plain).get(name)
        if cached is not None:
            return cached
        path = self.path(name)
        if path is None:
            return None
        data = path.read_bytes()
        if gzipped:
            data = gzip.compress(data, compresslevel=9, mtime=0)
        with self._lock:
            (self._gzipped if gzipped else self._plain)[name] = data
        return data


_ASSETS = _Assets()


def _content_type(name: str) -> str:
    suffix = Path(name).suffix
    return TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


async def asset(request: Request) -> Response:
    version = request.path_params["version"]
    name = request.path_params["name"]
    immutable = version == asset_version()
    compress = name.endswith(_COMPRESSIBLE) and "gzip" in request.headers.get(
        "accept-encoding", ""
    )
    data = _ASSETS.get(name, compress)
    if data is None:
        return PlainTextResponse("not found", status_code=404)
    headers = {
        # An old version's URL gets today's file, but only briefly cached.
        "cache-control": f"public, max-age={YEAR}, immutable" if immutable else "no-cache",
        "vary": "accept-encoding",
    }
    if compress:
        headers["content-encoding"] = "gzip"
    return Response(data, media_type=_content_type(name), headers=headers)


@cache
def _template(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def _page(name: str) -> str:
    return _template(name).replace("{{static}}", f"{ASSET_PREFIX}{asset_version()}")


async def index(request: Request) -> Response:
    return HTMLResponse(_page("index.html"), headers={"cache-control": "no-cache"})


def graphiql_page() -> HTMLResponse:
    """GraphiQL for ``GET /graphql`` from local assets (nothing from the internet)."""
    return HTMLResponse(
        _page("graphiql.html"),
        headers={"cache-control": "no-cache", "content-security-policy": CSP_GRAPHIQL},
    )


def console_routes() -> list[BaseRoute]:
    """The console's routes, to add to the API's Starlette app."""
    return [
        *(Route(p, index, methods=["GET", "HEAD"]) for p in PAGES),
        Route(
            "/static/{version:str}/{name:path}",
            asset,
            methods=["GET", "HEAD"],
        ),
    ]


class SecurityHeaders:
    """Add the hardening headers to every HTTP response (and the CSP where the response has
    none of its own), and ``Server-Timing: app;dur=<ms>, cpu;dur=<ms>``: the time from the
    request's arrival to its response's start (for JSON answers, the whole server time) and the
    CPU time the server process spent meanwhile (every thread: the request's and, when others
    run at once, theirs too), shown by the browser's developer tools and read by
    ``benchmarks/console.py``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        start, cpu = time.perf_counter(), time.process_time()

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                ms = (time.perf_counter() - start) * 1000
                cpu_ms = (time.process_time() - cpu) * 1000
                timing = f"app;dur={ms:.1f}, cpu;dur={cpu_ms:.1f}"
                headers.append((b"server-timing", timing.encode()))
                present = {k.lower() for k, _ in headers}
                for key, value in SECURITY_HEADERS:
                    if key not in present:
                        headers.append((key, value))
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", CSP.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


__all__ = [
    "CSP",
    "PAGES",
    "STATIC",
    "SecurityHeaders",
    "asset_url",
    "asset_version",
    "console_routes",
    "graphiql_page",
]
