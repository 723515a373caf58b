"""The one bounded LRU behind every cache of the API (parsed documents, validations, results,
response bodies): thread-safe, bounded by entries and by approximate bytes."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterator
from threading import Lock
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRUCache(Generic[K, V]):
    """At most ``maxsize`` entries and ``max_bytes`` bytes (as measured by :meth:`sizeof`).

    An entry larger than ``max_item_bytes`` (default: a sixteenth of ``max_bytes``) is not
    kept, so that one huge answer cannot evict everything else. ``maxsize=0`` keeps nothing.
    Subclasses say how big an entry is by overriding :meth:`sizeof`.
    """

    def __init__(self, maxsize: int, max_bytes: int, max_item_bytes: int | None = None) -> None:
        self.maxsize = maxsize
        self.max_bytes = max_bytes
        self.max_item_bytes = max_bytes // 16 if max_item_bytes is None else max_item_bytes
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = Lock()
        self.hits = 0
        self.misses = 0

    def sizeof(self, key: K, value: V) -> int:
        """The approximate size in bytes of one entry (its key and value)."""
        return 0

    def get(self, key: K) -> V | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return hit[0]

    def put(self, key: K, value: V) -> bool:
        """Keep ``value`` under ``key`` (False when it is too big to keep)."""
        size = self.sizeof(key, value)
        if self.maxsize <= 0 or size > self.max_item_bytes:
            return False
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._bytes += size
            while len(self._items) > self.maxsize or self._bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped
        return True

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __iter__(self) -> Iterator[K]:
        """The keys, least recently used first (a snapshot)."""
        with self._lock:
            return iter(list(self._items))

    @property
    def nbytes(self) -> int:
        """The measured size of everything kept."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)
