"""How much one request may carry.

- :data:`MAX_BODY_BYTES` (1 MiB) for a request body: the largest legitimate one, a household of
  :data:`MAX_HOUSEHOLD_MEMBERS` members with every field and :data:`MAX_HOUSEHOLD_ITEMS`
  incomes, expenses and assets, is well under 200 KB; a holiday table is a few KB.
- :data:`MAX_JSON_DEPTH` (32): no document doudi reads nests deeper than 6; JSON nested thousands
  deep made the parser recurse until it failed (HTTP 500).
- :data:`MAX_HOUSEHOLD_MEMBERS` (50): a household (共同生活的家庭成员) applying together is a few
  people, an extended rural family rarely twenty; a 10,000-member household held the only
  worker for seconds.
- :data:`MAX_HOUSEHOLD_ITEMS` (200) incomes, expenses or assets per household: a few of each per
  member; 100,000 income items were accepted.
- :data:`MAX_LIST_ITEMS` (100) for other lists in one input (reasons, investigators, codes).
"""

from __future__ import annotations

import re
from typing import Any

from core.errors import InvalidInput

MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32
MAX_HOUSEHOLD_MEMBERS = 50
MAX_HOUSEHOLD_ITEMS = 200
MAX_LIST_ITEMS = 100


class TooMany(InvalidInput):
    code = "TOO_MANY_ITEMS"


def check_count(items: Any, field: str, maximum: int = MAX_LIST_ITEMS) -> Any:
    """``items`` unless it holds more than ``maximum``: :class:`TooMany`."""
    n = len(items)
    if n > maximum:
        raise TooMany(f"{field}: at most {maximum:,} items, not {n:,}")
    return items


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth_exceeds(text: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON ``text`` nests arrays or objects deeper than ``limit``, counted on the raw
    text before parsing: strings dropped (by a regular expression), then only the brackets
    walked, so a request costs microseconds, not a walk over every byte."""
    data = text.encode() if isinstance(text, str) else text
    brackets = _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    if len(brackets) <= limit:
        return False
    depth = 0
    for byte in brackets:
        if byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


__all__ = [
    "MAX_BODY_BYTES",
    "MAX_HOUSEHOLD_ITEMS",
    "MAX_HOUSEHOLD_MEMBERS",
    "MAX_JSON_DEPTH",
    "MAX_LIST_ITEMS",
    "TooMany",
    "check_count",
    "json_depth_exceeds",
]
