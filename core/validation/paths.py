"""JSON paths as doudi writes them in messages: ``$.parameters["dibao.standard.urban"][0]``."""

from __future__ import annotations

import json
from typing import Any


def member(key: Any) -> str:
    """The path step to ``key`` of an object: ``.name`` for an identifier, else ``["key"]``."""
    if isinstance(key, str) and key.isidentifier():
        return f".{key}"
    return f"[{json.dumps(key, ensure_ascii=False)}]"


__all__ = ["member"]
