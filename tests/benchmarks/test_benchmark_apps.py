"""The benchmarks' servers still build and answer (so a benchmark cannot rot unnoticed)."""

from __future__ import annotations

import asyncio
import json

import httpx

from benchmarks import policy_resolution as bench


def test_policy_benchmark_endpoints_return_the_same_json():
    app = bench.bench_app()
    body = json.dumps({"query": bench.QUERY, "variables": bench.VARIABLES})

    async def fetch(path: str) -> object:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            r = await client.post(path, content=body, headers={"content-type": "application/json"})
            assert r.status_code == 200, r.text
            return r.json()

    bare, gql, uncached = (
        asyncio.run(fetch(p)) for p in ("/bare", "/graphql", "/graphql-uncached")
    )
    assert bare == gql == uncached
    assert gql["data"]["policy"]["parameter"]["value"] == 18
