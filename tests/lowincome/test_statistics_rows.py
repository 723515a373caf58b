"""Guangxi's lines on 脱贫人口 and 防止返贫监测对象 (Yongfu 003 附件:
“将符合条件的防止返贫监测对象纳入城乡低保…人，纳入特困供养…人，实施临时救助…人次”):
people of the register in that category on the day of the confirmation or assistance, counted
from the month's facts (pure)."""

from __future__ import annotations

import datetime as dt

import plugins.guangxi as guangxi
from core.reports.rules import compute_table
from core.reports.tables import CaseFacts, EventFact, PersonEvent, PersonFacts
from plugins.guangxi import statistics

D = dt.date
YONGFU = "450326"
TABLE = statistics.table(guangxi._document(guangxi.YONGFU_FILE, guangxi.YONGFU_DOCUMENT))


def ev(seq, action, on, frm, to, **inputs):
    return EventFact(seq, action, on, frm, to, "township_officer", inputs)


def confirmed(cid, program, on, members):
    return CaseFacts(
        cid,
        program,
        YONGFU,
        "rural",
        {"membersCovered": members},
        (ev(1, "open", on - dt.timedelta(20), None, "accepted"),
         ev(2, "confirm_case", on, "in_publicity", "active")),
    )  # fmt: skip


def granted(cid, on, members):
    return CaseFacts(cid, "temporary", YONGFU, "rural", {"membersCovered": members},
                     (ev(1, "open", on, None, "accepted"),
                      ev(2, "confirm_case", on, "accepted", "granted")))  # fmt: skip


def person(number, category, since, exited=None):
    events = [PersonEvent("recognised", since, {"categories": [category]})]
    if exited:
        events.append(PersonEvent("exited", exited))
    return PersonFacts(number, YONGFU, (category,), tuple(events))


AUGUST = D(2023, 8, 1)


def values(cases, people, month=AUGUST):
    stats = compute_table(TABLE, YONGFU, "永福县", month, cases, None, people)
    return {r.key: r.value for r in stats.rows}


def test_monitored_and_poverty_alleviated_people_enrolled_in_the_month():
    cases = [
        confirmed(1, "dibao", D(2023, 8, 10), ["m1", "x1"]),
        confirmed(2, "tekun", D(2023, 8, 11), ["p1"]),
        confirmed(3, "dibao", D(2023, 8, 12), ["m2"]),  # recognised only after
        granted(4, D(2023, 8, 20), ["m1"]),
        granted(5, D(2023, 8, 21), ["p1", "x2"]),
        confirmed(6, "dibao", D(2023, 7, 30), ["m3"]),  # last month
    ]
    people = [
        person("m1", "relapse_monitoring", D(2023, 7, 1)),
        person("m2", "relapse_monitoring", D(2023, 8, 20)),
        person("m3", "relapse_monitoring", D(2023, 7, 1)),
        person("p1", "poverty_alleviated", D(2023, 1, 1)),
    ]
    v = values(cases, people)
    assert (v["monitored_to_dibao"], v["monitored_to_tekun"], v["monitored_temporary"]) == (1, 0, 1)
    assert (v["poverty_to_dibao"], v["poverty_to_tekun"], v["poverty_temporary"]) == (0, 1, 1)
    # exited from the register before the confirmation: not counted
    v = values(cases, [person("m1", "relapse_monitoring", D(2023, 7, 1), D(2023, 8, 1))])
    assert v["monitored_to_dibao"] == 0
