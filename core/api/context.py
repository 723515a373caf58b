"""What every resolver gets as ``info.context``: the policy base and the per-app result cache."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import ExecutionResult
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from core.api.cache import LRUCache
from core.policy_service import PolicyBase, today

RESULT_CACHE_SIZE = 1024
RESULT_CACHE_BYTES = 64 * 1024 * 1024

ResultKey = tuple[str, str | None, str, str, str]


class ResultCache(LRUCache[ResultKey, ExecutionResult]):
    """Error-free query results, bounded by entries and approximate bytes.

    A result depends only on the query, its variables, the merged policy (``PolicyBase.version``)
    and, through the default ``asOf``, today's date in China: all of them are in the key.
    """

    def __init__(
        self, maxsize: int = RESULT_CACHE_SIZE, max_bytes: int = RESULT_CACHE_BYTES
    ) -> None:
        super().__init__(maxsize, max_bytes)

    @staticmethod
    def key(
        query: str,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
        version: str,
    ) -> ResultKey:
        variables_json = (
            json.dumps(variables, sort_keys=True, separators=(",", ":"), default=str)
            if variables
            else ""
        )
        return (query, operation_name, variables_json, version, today().isoformat())

    def sizeof(self, key: ResultKey, value: ExecutionResult) -> int:
        """The key's texts plus twice the result's length as JSON (the objects in memory take
        about 1.75 times their JSON length; measured on a five-way compare)."""
        data = json.dumps(value.data, ensure_ascii=False, separators=(",", ":"), default=str)
        return len(key[0]) + len(key[2]) + 2 * len(data)


@dataclass
class Context:
    """The context of one GraphQL request."""

    base: PolicyBase
    request: Request | WebSocket | None = None
    response: Response | WebSocket | None = None
    result_cache: ResultCache | None = field(default=None, repr=False)
    # Set when the result is an error-free query result (cached or cacheable by the response
    # cache in front of strawberry).
    cacheable: bool = False
