"""Inline policy layer documents citing a test-fixture document (not a policy document)."""

from __future__ import annotations

from typing import Any


def doc(code: str, parameters: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """A minimal layer document for ``code`` citing a test-fixture document."""
    return {
        "jurisdiction": code,
        "documents": {"fx": {"title": "测试用示例文件(非政策文件)", "note": "test fixture"}},
        "parameters": parameters,
    }


def entry(value: Any, start: str, until: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "from": start,
        "value": value,
        "source": {"document": "fx", "section": "1", "quote": "测试"},
    }
    if until is not None:
        out["until"] = until
    return out
