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


def within_by_county(
    placed: Placed, code: str, registry: JurisdictionRegistry
) -> ColumnElement[bool]:
    """Rows of ``placed`` at ``code`` or under it by their ``county`` column alone: one range
    of county codes, so that one index on ``county`` serves every level (a table written in
    bulk keeps one B-tree instead of three).

    GB/T 2260 codes nest, and the registry builds its tree from them: a county's prefecture
    is the code of its first four digits (when that prefecture is in use; a county directly
    under its province, 省直辖县, has none), its province that of its first two. So the
    counties under a prefecture are those from ``PPPP00`` to ``PPPP99``, under a province those
    from ``PP0000`` to ``PP9999`` — the prefecture's or province's own code included, where a
    place is registered at it (a prefecture without counties, 441900 东莞市)."""
    j = registry.get(code)
    if j.level is Level.NATIONAL:
        return true()
    if j.level is Level.COUNTY:
        return placed.county == j.code  # type: ignore[no-any-return]
    digits = 4 if j.level is Level.PREFECTURE else 2
    prefix = j.code[:digits]
    low, high = prefix + "0" * (6 - digits), prefix + "9" * (6 - digits)
    return placed.county.between(low, high)  # type: ignore[no-any-return]


__all__ = ["Placed", "within", "within_by_county", "within_level"]
