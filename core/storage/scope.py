"""Which stored rows lie at a jurisdiction or under it.

Tables that are scoped by place (households, cases, payments) store the county and its
prefecture and province codes; "at CODE or under it" is then one equality on the column of
CODE's level (none at the national level).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, true

from core.policy.jurisdictions import JurisdictionRegistry, Level

# Anything with the three place columns ``province``, ``prefecture`` and ``county``: a mapped
# class or a Core table's ``.c`` (a Protocol cannot describe a mapped class's attributes).
Placed = Any


def within(placed: Placed, code: str, registry: JurisdictionRegistry) -> ColumnElement[bool]:
    """Rows of ``placed`` at ``code`` or under it (an unknown code raises UnknownJurisdiction)."""
    j = registry.get(code)
    return within_level(placed, j.level, j.code)


def within_level(placed: Placed, level: Level, code: str) -> ColumnElement[bool]:
    """Rows of ``placed`` at the (normalised) ``code`` of ``level`` or under it."""
    if level is Level.NATIONAL:
        return true()
    column = {
        Level.PROVINCE: placed.province,
        Level.PREFECTURE: placed.prefecture,
        Level.COUNTY: placed.county,
    }[level]
    return column == code  # type: ignore[no-any-return]


__all__ = ["Placed", "within", "within_level"]
