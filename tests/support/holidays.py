"""A 2027 holiday table for tests: TABLE_2027 is a TEST FIXTURE shaped like a State Council
notice; the 2027 notice is not published and none of its dates is an official figure. As a
plugin returns it (:func:`table_2027`, :class:`Holidays2027Plugin`) and as an administrator
imports it (``TABLE_2027``, the JSON of ``doudi holidays import``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.plugin.hookspecs import Document, HolidayTable, Source, hookimpl

D = dt.date

TITLE_2027 = "国务院办公厅关于2027年部分节假日安排的通知 (test fixture, not the real notice)"
NUMBER_2027 = "国办发明电〔2026〕0号 (test fixture)"
# A plausible 2027 schedule: 13 statutory days off on weekdays net of make-up days.
TABLE_2027: dict[str, Any] = {
    "year": 2027,
    "source": {
        "title": TITLE_2027,
        "number": NUMBER_2027,
        "date": "2026-11-20",
        "url": "https://www.gov.cn/test-fixture",
    },
    "holidays": [
        {"from": "2027-01-01", "to": "2027-01-03", "name": "元旦"},
        {"from": "2027-02-05", "to": "2027-02-13", "name": "春节"},
        {"from": "2027-04-03", "to": "2027-04-05", "name": "清明节"},
        {"from": "2027-05-01", "to": "2027-05-05", "name": "劳动节"},
        {"date": "2027-06-09", "name": "端午节"},
        "2027-09-15",
        {"from": "2027-10-01", "to": "2027-10-07", "name": "国庆节"},
    ],
    "workdays": [
        {"date": "2027-01-31", "name": "春节"},
        {"date": "2027-02-20", "name": "春节"},
        {"date": "2027-05-08", "name": "劳动节"},
        "2027-09-26",
        {"date": "2027-10-09", "name": "国庆节"},
    ],
}


def day_span(first: str, last: str) -> list[dt.date]:
    a, b = D.fromisoformat(first), D.fromisoformat(last)
    return [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]


def table_2027(title: str = TITLE_2027) -> HolidayTable:
    """TABLE_2027 as a HolidayTable (what a plugin would return)."""
    off: list[dt.date] = []
    for item in TABLE_2027["holidays"]:
        if isinstance(item, str):
            off.append(D.fromisoformat(item))
        elif "date" in item:
            off.append(D.fromisoformat(item["date"]))
        else:
            off.extend(day_span(item["from"], item["to"]))
    worked = [
        D.fromisoformat(w if isinstance(w, str) else w["date"]) for w in TABLE_2027["workdays"]
    ]
    doc = Document("gov-2027-fixture", title, number=NUMBER_2027)
    return HolidayTable(2027, frozenset(off), frozenset(worked), Source(doc))


class Holidays2027Plugin:
    @hookimpl
    def doudi_holiday_tables(self) -> list[HolidayTable]:
        return [table_2027("国务院办公厅关于2027年部分节假日安排的通知 (plugin test fixture)")]
