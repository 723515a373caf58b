"""What every resolver gets as ``info.context``: the policy base and the per-app result cache."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from threading import Lock
from typing import Any

from graphql import ExecutionResult
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from core.policy_service import PolicyBase, today

RESULT_CACHE_SIZE = 1024

CacheKey = tuple[str, str | None, str, str, str]


class ResultCache:
    """A bounded LRU of error-free query results.

    A result depends only on the query, its variables, the merged policy (``PolicyBase.version``)
    and, through the default ``asOf``, today's date in China: all of them are in the key.
    """

    def __init__(self, maxsize: int = RESULT_CACHE_SIZE) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[CacheKey, ExecutionResult] = OrderedDict()
        self._lock = Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(
        query: str,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
        version: str,
    ) -> CacheKey:
        variables_json = (
            json.dumps(variables, sort_keys=True, separators=(",", ":"), default=str)
            if variables
            else ""
        )
        return (query, operation_name, variables_json, version, today().isoformat())

    def get(self, key: CacheKey) -> ExecutionResult | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return hit

    def put(self, key: CacheKey, result: ExecutionResult) -> None:
        with self._lock:
            self._items[key] = result
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


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
