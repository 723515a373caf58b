"""Scenes for the people-data tests (registers, exchange, verification, low income): users,
department files, active cases written as the case machine writes them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from core.access.tokens import create_user
from core.registers.writers import csv_bytes, xlsx_bytes


def user(db: Any, registry: Any, role: str, code: str, name: str | None = None) -> Any:
    with db.sessions() as s:
        u, _ = create_user(s, name or f"{role}@{code}", role, code, registry)
    return u


def sheet(rows: list[list[Any]], fmt: str = "csv", encoding: str = "utf-8") -> bytes:
    if fmt == "xlsx":
        return xlsx_bytes(rows)
    if encoding == "utf-8":
        return csv_bytes(rows)
    text = "\r\n".join(",".join("" if v is None else str(v) for v in r) for r in rows) + "\r\n"
    return text.encode(encoding)


def deaths_file(people: list[tuple[str, str, str]], fmt: str = "csv") -> bytes:
    """A 公安 death list: (ID number, name, date of death)."""
    return sheet([["身份证号", "姓名", "死亡日期"], *[list(p) for p in people]], fmt)


def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir(exist_ok=True)
    return d


D = dt.date


def assess_property(engine: Any, case_id: int) -> None:
    """The investigators found the case's household's property within local rules (written
    into the stored household, as a household update would)."""
    from sqlalchemy import select, update

    from core.storage.tables import CaseRow, HouseholdRow

    with engine.begin() as c:
        hid = c.scalar(select(CaseRow.household_id).where(CaseRow.id == case_id))
        doc = dict(c.scalar(select(HouseholdRow.document).where(HouseholdRow.id == hid)))
        doc["propertyWithinLocalRules"] = True
        c.execute(update(HouseholdRow).where(HouseholdRow.id == hid).values(document=doc))
