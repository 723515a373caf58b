"""How the console is served (no browser): pages, immutable versioned assets, gzip, security
headers, GraphiQL from local assets, nothing from a CDN, the vendored files as recorded."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.api.app import create_app
from core.console import CSP, PAGES, STATIC, asset_version
from core.policy.service import PolicyBase

ROOT = Path(__file__).resolve().parents[2]


class Client:
    """The app over ASGI, called synchronously (as tests/api does)."""

    def __init__(self, app: object) -> None:
        self._runner = asyncio.Runner()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://doudi.test"
        )

    def get(self, path: str, **kw: object) -> httpx.Response:
        return self._runner.run(self._client.get(path, **kw))

    def post(self, path: str, **kw: object) -> httpx.Response:
        return self._runner.run(self._client.post(path, **kw))

    def close(self) -> None:
        self._runner.run(self._client.aclose())
        self._runner.close()


@pytest.fixture(scope="module")
def client(base: PolicyBase) -> Iterator[Client]:
    c = Client(create_app(base))
    yield c
    c.close()


def test_every_page_path_answers_the_console(client) -> None:
    paths = ("/", "/explorer", "/signin", "/inbox", "/cases/12", "/households",
             "/households/new", "/households/3", "/payments", "/calendar", "/admin", "/reviews",
             "/reviews/2", "/simulate", "/registers", "/comparison", "/findings/5", "/verification",
             "/lowincome")  # fmt: skip
    for path in paths:
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.headers["cache-control"] == "no-cache"
        assert f"/static/{asset_version()}/app.js" in r.text
        assert "{{static}}" not in r.text
    assert len(PAGES) == 19
    assert client.get("/cases/abc").status_code == 404
    assert client.get("/nowhere").status_code == 404


def test_security_headers_everywhere(client) -> None:
    static = f"/static/{asset_version()}/app.js"
    for path in ("/", "/graphql?query={policyVersion}", "/healthz", static):
        r = client.get(path)
        assert r.headers["content-security-policy"], path
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert re.fullmatch(r"app;dur=\d+\.\d, cpu;dur=\d+\.\d", r.headers["server-timing"])
    csp = client.get("/").headers["content-security-policy"]
    assert csp == CSP and "script-src 'self'" in csp and "unsafe" not in csp
    assert "http" not in csp  # no other origin


def test_assets_are_immutable_gzipped_and_confined(client) -> None:
    v = asset_version()
    r = client.get(f"/static/{v}/app.js", headers={"accept-encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["content-encoding"] == "gzip" and r.headers["vary"] == "accept-encoding"
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.content == (STATIC / "app.js").read_bytes()  # httpx decoded the gzip
    raw = client.get(f"/static/{v}/app.js", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in raw.headers
    old = client.get("/static/0000000000000000/app.js")
    assert old.status_code == 200 and old.headers["cache-control"] == "no-cache"
    for bad in ("../__init__.py", "..%2F__init__.py", "vendor/../../__init__.py", "nope.js",
                "%2e%2e/__init__.py", "vendor/%2e%2e/%2e%2e/__init__.py"):  # fmt: skip
        r = client.get(f"/static/{v}/{bad}")
        assert r.status_code in (404, 307) and "SecurityHeaders" not in r.text, bad
    # below the route (no URL normalisation in between): the file server refuses on its own
    from core.console import _ASSETS

    for bad in ("../__init__.py", "vendor/../../__init__.py", "/etc/passwd", "a\\b"):
        assert _ASSETS.get(bad, False) is None, bad


def test_graphiql_comes_from_local_assets(client) -> None:
    r = client.get("/graphql", headers={"accept": "text/html"})
    assert r.status_code == 200 and "graphiql.min.js" in r.text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", r.text)  # nothing from elsewhere
    assert "script-src 'self';" in r.headers["content-security-policy"]


def test_no_asset_loads_from_another_origin() -> None:
    """The console's own files name no other origin to load from (vendored files may carry
    URLs in comments and licences, which are never fetched)."""
    own = [p for p in STATIC.rglob("*") if p.is_file() and "vendor" not in p.parts]
    assert own
    for p in own:
        text = p.read_text(encoding="utf-8")
        assert not re.search(r"""(import|src=|href=|url\()\s*["']?https?://""", text), p


def test_vendored_files_match_their_record() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "vendor_console.py"), "--check"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_gzip_compresses_graphql_answers(client) -> None:
    q = '{ comparePolicies(jurisdictions: ["522700", "640121"]) { path cells { value } } }'
    r = client.post("/graphql", json={"query": q}, headers={"accept-encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert r.json()["data"]["comparePolicies"]  # decoded by the client
