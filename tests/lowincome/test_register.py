"""The low-income register (低收入人口) on SQLite and PostgreSQL: recognition with its decision,
categories (Guangxi's plugin adds 脱贫人口), the six tags of Yongfu 003 附件, flags and
re-assessment, exits, one active entry per person — and the statistics lines read from it."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import InvalidInput
from core.exchange.installed import low_income_categories
from core.lowincome.store import (
    AlreadyOnRegister,
    exit_register,
    flag,
    get_entry,
    list_entries,
    reassess,
    recognise,
    tag,
)
from core.policy.service import build_policy_base
from core.reports.store import monthly_statistics
from tests.support.households import id_number
from tests.support.payments import insert_case
from tests.support.people import user

D = dt.date
YONGFU = "450326"


@pytest.fixture(scope="module")
def base():
    return build_policy_base()


def _recognise(db, reg, who, seq, categories=("marginal",), on=None, **kw):
    with db.sessions() as s:
        return recognise(
            s,
            who,
            reg,
            low_income_categories(),
            id_number=id_number(YONGFU, seq, "19800101"),
            name=f"人{seq}",
            county=YONGFU,
            categories=list(categories),
            on=on or D(2023, 7, 1),
            decision="永福县民政局低收入人口认定(示例)",
            **kw,
        )


def test_recognition_tags_flags_reassessment_and_exit(db, base):
    reg = base.registry
    town = user(db, reg, "township_officer", YONGFU)
    known = low_income_categories()
    assert known["poverty_alleviated"].plugin == "guangxi"
    e = _recognise(db, reg, town, 1, ("marginal", "relapse_monitoring"), tags=["住房救助"])
    assert e.next_assessment == D(2024, 7, 1) and e.tags.keys() == {"住房救助"}
    with pytest.raises(AlreadyOnRegister):
        _recognise(db, reg, town, 1)
    with pytest.raises(InvalidInput, match="unknown nonsense"):
        _recognise(db, reg, town, 2, ("nonsense",))
    with pytest.raises(InvalidInput, match="tag: one of"):
        tag(db.sessions(), town, reg, e.id, "其他标记", D(2023, 7, 2))
    e = tag(db.sessions(), town, reg, e.id, "残联重残对象", D(2023, 8, 3))
    e = flag(db.sessions(), town, reg, known, e.id, D(2023, 8, 5), "家中有人重病住院")
    assert e.flagged and e.document["marks"][0]["mark"] == "低保边缘户"
    assert [x.id for x in list_entries(db.sessions(), town, reg, YONGFU, flagged=True)] == [e.id]
    e = reassess(db.sessions(), town, reg, known, e.id, D(2023, 8, 20), home_visit=True,
                 categories=["expenditure_hardship"])  # fmt: skip
    assert not e.flagged and e.categories == ["expenditure_hardship"]
    assert e.next_assessment == D(2024, 8, 20)
    due = list_entries(db.sessions(), town, reg, YONGFU, due_by=D(2024, 8, 31))
    assert [x.id for x in due] == [e.id]
    e = exit_register(db.sessions(), town, reg, e.id, D(2024, 1, 5), "收入超过低收入标准")
    _, events = get_entry(db.sessions(), town, reg, e.id)
    assert [x["action"] for x in events] == [
        "recognised", "tagged", "tagged", "flagged", "reassessed", "exited",
    ]  # fmt: skip
    again = _recognise(db, reg, town, 1, on=D(2024, 3, 1))  # exited: may be recognised again
    assert again.id != e.id


def test_the_guangxi_table_counts_tags_marks_visits_and_monitored_people(db, base):
    """Yongfu 003 附件: “当月底在社会救助信息管理系统对低收入人口共计…进行标记，其中…” and
    “当月对动态监测风险预警对象…开展精准入户排查”, this month's figures only."""
    reg = base.registry
    town = user(db, reg, "township_officer", YONGFU)
    known = low_income_categories()
    a = _recognise(db, reg, town, 10, ("relapse_monitoring",), on=D(2023, 7, 10))
    b = _recognise(db, reg, town, 11, ("marginal",), on=D(2023, 7, 10))
    tag(db.sessions(), town, reg, a.id, "乡村振兴防贫监测对象", D(2023, 8, 2))
    tag(db.sessions(), town, reg, b.id, "大额医疗支出对象", D(2023, 8, 3))
    tag(db.sessions(), town, reg, b.id, "住房救助", D(2023, 9, 1))
    flag(db.sessions(), town, reg, known, b.id, D(2023, 8, 4), "大额医疗支出")
    reassess(db.sessions(), town, reg, known, b.id, D(2023, 8, 25), home_visit=True)
    # the monitored person's household is confirmed for dibao in August
    head = a.id_number
    insert_case(db.engine, reg, YONGFU, 700, members=None)
    county = user(db, reg, "county_approver", YONGFU)
    stats = monthly_statistics(db.sessions(), base, county, YONGFU, D(2023, 8, 1))
    values = {r.key: r.value for r in stats.rows}
    assert values["tags_total"] == 2
    assert values["tag_rural_revitalisation"] == 1 and values["tag_medical"] == 1
    assert values["tag_housing"] == 0  # tagged in September
    assert values["warnings_total"] == 1 and values["warning_marginal"] == 1
    assert values["risk_warning_visits"] == 1
    assert values["monitored_to_dibao"] == 0  # no confirmation event of the monitored person
    sep = {r.key: r.value for r in monthly_statistics(db.sessions(), base, county, YONGFU,
                                                       D(2023, 9, 1)).rows}  # fmt: skip
    assert (sep["tags_total"], sep["tag_housing"], sep["warnings_total"]) == (1, 1, 0)
    assert head
