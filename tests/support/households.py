"""Test data for the storage tests: valid ID numbers and household documents."""

from __future__ import annotations

from typing import Any

from stdnum.cn import ric


def id_number(county: str, seq: int, birth: str = "19900101") -> str:
    """A valid resident ID number registered in ``county`` (check digit computed)."""
    body = f"{county}{birth}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def household_doc(county: str, *members: tuple[str, str, str], **extra: Any) -> dict[str, Any]:
    """Household JSON with ``members`` given as (idNumber, name, relation)."""
    doc: dict[str, Any] = {
        "county": county,
        "area": "urban",
        "incomeClass": "stable",
        "members": [{"idNumber": i, "name": n, "relation": r} for i, n, r in members],
    }
    doc.update(extra)
    return doc
