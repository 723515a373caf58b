"""The GraphQL app over a runtime, spoken to over HTTP (httpx's ASGI transport), as a client
would: tokens of users made on demand, queries, and mutations' payloads with their userErrors."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from core.access.tokens import create_user
from core.api.app import create_app
from core.policy.service import PolicyBase
from core.runtime import Runtime, open_runtime
from core.settings import Settings


class Api:
    """The app over a runtime, spoken to over HTTP (one event loop per test)."""

    def __init__(self, runtime: Runtime | None = None, base: PolicyBase | None = None) -> None:
        self.runtime = runtime
        self.app = create_app(base, runtime=runtime)
        self._runner = asyncio.Runner()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://doudi.test"
        )
        self._users = 0

    def close(self) -> None:
        self._runner.run(self._client.aclose())
        self._runner.close()

    def token(self, role: str, code: str) -> str:
        assert self.runtime is not None
        self._users += 1
        with self.runtime.sessions() as s:
            _, token = create_user(
                s, f"{role}@{code}#{self._users}", role, code, self.runtime.policy.registry
            )
        return token

    def post(self, body: dict[str, Any], token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return self._runner.run(self._client.post("/graphql", json=body, headers=headers))

    def gql(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        r = self.post({"query": query, "variables": variables or {}}, token)
        assert r.status_code == 200, r.text
        body = r.json()
        return body.get("data"), body.get("errors") or []

    def ok(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        data, errors = self.gql(query, variables, token)
        assert not errors, errors
        assert data is not None
        return data

    def mutate(
        self, query: str, variables: dict[str, Any], token: str | None
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A mutation's payload and its userErrors (never GraphQL errors)."""
        data = self.ok(query, variables, token)
        [payload] = data.values()
        return payload, payload["userErrors"]


def codes(errors: list[dict[str, Any]]) -> list[str]:
    return [e["code"] if "code" in e else e["extensions"]["code"] for e in errors]


def open_test_runtime(url: str, tmp_path: Path, base: PolicyBase) -> Runtime:
    return open_runtime(Settings(data_dir=tmp_path, database_url=url), plugin_base=base)
