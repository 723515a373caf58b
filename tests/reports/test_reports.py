"""Report deadlines from the merged policy (Shanxi's village and township reports, Guangxi's
monthly statistics), values starting and ending inside the window, and the statistics table's
pure counting rules (the month's events only)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from importlib import resources

import pytest

from core.errors import InvalidInput
from core.plugin.types import Document
from core.policy.service import PolicyBase, build_policy_base
from core.reports.rules import (
    MAX_WINDOW_DAYS,
    CaseFacts,
    EventFact,
    MonthlyStatistics,
    ReportDeadline,
    check_window,
    compute_table,
    month_end,
    parse_month,
    previous_month,
    report_deadlines,
    statistics_csv,
    statistics_due,
)
from plugins.guangxi import statistics as yongfu
from tests.support.layers import doc, entry

D = dt.date
YANGQUAN_CITY, YANGQUAN_DISTRICT = "140300", "140302"
YONGFU, GUANGXI, GUILIN = "450326", "450000", "450300"
WUHUA = "530102"


def deadlines(base: PolicyBase, code: str, start: dt.date, end: dt.date, fixed: bool = False):
    def at(d: dt.date):
        return base.resolve(code, d)

    if fixed:
        return report_deadlines(at(start), start, end)
    return report_deadlines(at(start), start, end, policy_at=at)


def summary(found) -> list[tuple[str, str, str]]:
    return [(d.kind, d.period, d.due.isoformat()) for d in found]


# -- deadlines from the installed plugins -------------------------------------------------------


def test_shanxi_village_report_by_the_20th_and_township_report_by_month_end(base):
    found = deadlines(base, YANGQUAN_DISTRICT, D(2024, 1, 15), D(2024, 2, 29))
    assert summary(found) == [
        ("village_monthly", "2024-01", "2024-01-20"),
        ("township_to_county", "2024-01", "2024-01-31"),
        ("village_monthly", "2024-02", "2024-02-20"),
        ("township_to_county", "2024-02", "2024-02-29"),
    ]
    village, township = found[0], found[1]
    assert village.jurisdiction == YANGQUAN_DISTRICT
    assert village.title_zh and village.title
    p = village.parameter
    assert (p.path, p.value, p.origin, p.jurisdiction_code) == (
        "reports.village_monthly_due_day",
        20,
        "shanxi",
        YANGQUAN_CITY,
    )
    assert p.source is not None and p.source.section == "二(四)"
    assert "每月20日前" in p.source.quote
    assert township.parameter.value == "month_end"
    assert "于每月月底前报县级民政部门" in township.parameter.source.quote


def test_shanxi_reports_start_with_the_notice_of_2019_08_01(base):
    found = deadlines(base, YANGQUAN_CITY, D(2019, 7, 1), D(2019, 8, 31))
    assert summary(found) == [
        ("village_monthly", "2019-08", "2019-08-20"),
        ("township_to_county", "2019-08", "2019-08-31"),
    ]


def test_guangxi_statistics_cover_the_previous_month_and_start_with_july_2023(base):
    found = deadlines(base, YONGFU, D(2023, 6, 1), D(2023, 10, 31))
    # The rule starts 2023-07-04: no table is owed for June (it would be due that very day);
    # July's table is the first, due by the 4th of August.
    assert summary(found) == [
        ("monthly_statistics", "2023-07", "2023-08-04"),
        ("monthly_statistics", "2023-08", "2023-09-04"),
        ("monthly_statistics", "2023-09", "2023-10-04"),
    ]
    p = found[0].parameter
    assert (p.path, p.value, p.origin, p.jurisdiction_code) == (
        "reports.monthly_statistics_due_day",
        4,
        "guangxi",
        YONGFU,
    )
    assert p.source.section == "四(四)" and "每月4日前" in p.source.quote
    assert statistics_due(lambda d: base.resolve(YONGFU, d), D(2023, 6, 1)) is None
    due = statistics_due(lambda d: base.resolve(YONGFU, d), D(2023, 7, 1))
    assert due is not None and due.due == D(2023, 8, 4) and due.period == "2023-07"


@pytest.mark.parametrize("code", [GUANGXI, GUILIN, WUHUA, "000000"])
def test_no_deadline_where_no_path_is_set(base, code):
    assert deadlines(base, code, D(2023, 1, 1), D(2024, 12, 31)) == []


def test_guangxi_sets_no_village_or_township_report(base):
    kinds = {d.kind for d in deadlines(base, YONGFU, D(2024, 1, 1), D(2024, 12, 31))}
    assert kinds == {"monthly_statistics"}


def test_the_window_is_inclusive_and_checked(base):
    assert summary(deadlines(base, YANGQUAN_CITY, D(2024, 3, 20), D(2024, 3, 20))) == [
        ("village_monthly", "2024-03", "2024-03-20")
    ]
    assert deadlines(base, YANGQUAN_CITY, D(2024, 3, 21), D(2024, 3, 30)) == []
    with pytest.raises(InvalidInput, match="before from"):
        deadlines(base, YANGQUAN_CITY, D(2024, 3, 2), D(2024, 3, 1))
    with pytest.raises(InvalidInput, match="at most"):
        check_window(D(2020, 1, 1), D(2020, 1, 1) + dt.timedelta(days=MAX_WINDOW_DAYS))
    check_window(D(2020, 1, 1), D(2020, 1, 1) + dt.timedelta(days=MAX_WINDOW_DAYS - 1))
    # dates at the ends of the calendar are refused, never an overflow inside month arithmetic
    for start, end in ((D(9999, 12, 1), D(9999, 12, 31)), (D(1, 1, 1), D(1, 1, 31))):
        with pytest.raises(InvalidInput, match="outside the dates doudi accepts"):
            deadlines(base, YANGQUAN_CITY, start, end)
        with pytest.raises(InvalidInput, match="outside the dates doudi accepts"):
            check_window(start, end)


def test_policy_at_must_answer_for_the_same_jurisdiction(base):
    with pytest.raises(InvalidInput, match="not of 140302"):
        report_deadlines(
            base.resolve(YANGQUAN_DISTRICT, D(2024, 1, 1)),
            D(2024, 1, 1),
            D(2024, 1, 31),
            policy_at=lambda d: base.resolve(YANGQUAN_CITY, d),
        )


# -- values that start or end inside the window -------------------------------------------------


@pytest.fixture(scope="module")
def changing(base) -> PolicyBase:
    """Wuhua (which sets no report) with test values that change during 2024."""
    from core.policy.loader import PolicyLoader

    data = doc(
        WUHUA,
        {
            "reports.village_monthly_due_day": [
                entry(10, "2024-03-15", until="2024-05-15"),
                entry(25, "2024-07-01"),
            ],
            "reports.township_to_county_due": [entry("month_end", "2024-02-10")],
            "reports.monthly_statistics_due_day": [entry(31, "2024-01-01", until="2024-04-30")],
        },
    )
    loader = PolicyLoader(base.registry, base.catalog, {"fixture": [WUHUA]})
    layer, issues = loader.validate("fixture", "inline.yaml", data)
    assert not issues and layer is not None
    return build_policy_base(extra_layers=[layer])


def test_values_starting_and_ending_inside_the_window_are_respected(changing):
    found = deadlines(changing, WUHUA, D(2024, 1, 1), D(2024, 9, 30))
    village = [(d.period, d.due.isoformat(), d.parameter.value) for d in found
               if d.kind == "village_monthly"]  # fmt: skip
    # 10 from 03-15 (not yet in force on 03-10) until 05-15 (still in force on 05-10); nothing
    # in June; 25 from July.
    assert village == [
        ("2024-04", "2024-04-10", 10),
        ("2024-05", "2024-05-10", 10),
        ("2024-07", "2024-07-25", 25),
        ("2024-08", "2024-08-25", 25),
        ("2024-09", "2024-09-25", 25),
    ]
    township = [d.due.isoformat() for d in found if d.kind == "township_to_county"]
    assert township[0] == "2024-02-29" and len(township) == 8  # February to September
    stats = [(d.period, d.due.isoformat()) for d in found if d.kind == "monthly_statistics"]
    # Day 31 falls on the month's last day; the rule ends 04-30: March's table (due 04-30) is
    # the last one owed, April's (due 05-31) is not.
    assert stats == [
        ("2024-01", "2024-02-29"),
        ("2024-02", "2024-03-31"),
        ("2024-03", "2024-04-30"),
    ]


def test_without_policy_at_only_the_values_of_the_given_policy_count(changing):
    # Resolved on 2024-04-01: 10 (until 05-15), month_end and 31 (until 04-30) are known; the
    # 25 that starts in July is not seen, and nothing is assumed after a value ends.
    fixed = deadlines(changing, WUHUA, D(2024, 4, 1), D(2024, 9, 30), fixed=True)
    assert summary(fixed) == [
        ("village_monthly", "2024-04", "2024-04-10"),
        ("township_to_county", "2024-04", "2024-04-30"),
        ("monthly_statistics", "2024-03", "2024-04-30"),
        ("village_monthly", "2024-05", "2024-05-10"),
        ("township_to_county", "2024-05", "2024-05-31"),
        ("township_to_county", "2024-06", "2024-06-30"),
        ("township_to_county", "2024-07", "2024-07-31"),
        ("township_to_county", "2024-08", "2024-08-31"),
        ("township_to_county", "2024-09", "2024-09-30"),
    ]


# -- months ---------------------------------------------------------------------------------------


def test_months():
    assert parse_month("2023-08") == D(2023, 8, 1)
    assert parse_month(" 2024-02 ") == D(2024, 2, 1)
    for bad in ("2023-13", "2023-8", "202308", "2023-08-01", "", "abcd-ef", "0000-01"):
        with pytest.raises(InvalidInput, match="YYYY-MM"):
            parse_month(bad)
    assert previous_month(D(2024, 1, 15)) == D(2023, 12, 1)
    assert previous_month(D(2024, 3, 31)) == D(2024, 2, 1)
    assert month_end(D(2024, 2, 10)) == D(2024, 2, 29) and month_end(D(2023, 2, 1)).day == 28


# -- the statistics table: pure counting -------------------------------------------------------

AUG, SEP = D(2023, 8, 1), D(2023, 9, 1)
# Guangxi's table (the plugin declares it; the core computes it).
ROWS = yongfu.ROWS
TABLE = yongfu.table(Document("yongfu", "全县困难群众救助保障政策落实专项治理工作方案"))


def compute_monthly_statistics(
    code: str, name: str, month: dt.date, facts, due: ReportDeadline | None = None
) -> MonthlyStatistics:
    return compute_table(TABLE, code, name, month, facts, due)


def ev(seq: int, action: str, on: dt.date, frm: str | None, to: str, role: str = "x", **inputs):
    return EventFact(seq, action, on, frm, to, role, inputs)


def dibao(cid: int, area: str, confirmed: dt.date, members: list[str], *later: EventFact):
    """A dibao case opened a month before confirmation, visited by the township."""
    opened = confirmed - dt.timedelta(days=25)
    events = (
        ev(1, "open", opened, None, "accepted", "township_officer"),
        ev(2, "record_investigation", opened, "accepted", "investigated", "township_officer"),
        ev(3, "record_first_review", opened, "investigated", "first_reviewed"),
        ev(4, "start_publicity", opened, "first_reviewed", "in_publicity"),
        ev(5, "confirm_case", confirmed, "in_publicity", "active", "township_officer"),
        *later,
    )
    return CaseFacts(cid, "dibao", YONGFU, area, {"membersCovered": members}, events)


def tekun(cid: int, person: str, *later: EventFact) -> CaseFacts:
    events = (
        ev(1, "open", D(2023, 5, 1), None, "accepted"),
        ev(2, "confirm_case", D(2023, 6, 1), "in_publicity", "active", "county_approver"),
        *later,
    )
    return CaseFacts(cid, "tekun", YONGFU, "rural", {"membersCovered": [person]}, events)


def temporary(cid: int, *events: EventFact) -> CaseFacts:
    return CaseFacts(cid, "temporary", YONGFU, "urban", {"amount": "900"}, events)


@pytest.fixture
def facts() -> list[CaseFacts]:
    return [
        dibao(1, "urban", D(2023, 8, 25), ["a1", "a2", "a3"]),
        dibao(2, "rural", D(2023, 8, 28), ["b1", "b2"]),
        dibao(3, "urban", D(2023, 9, 20), ["c1"]),
        # confirmed in August with 3 covered; one of them died in September
        dibao(
            4,
            "urban",
            D(2023, 8, 30),
            ["d1", "d2"],
            ev(
                6,
                "record_death",
                D(2023, 9, 5),
                "active",
                "active",
                idNumber="d3",
                wasCovered=True,
                wasHead=False,
            ),
        ),
        tekun(
            5,
            "t1",
            ev(3, "record_care_placement", D(2023, 8, 3), "active", "active", mode="centralised"),
            ev(4, "record_care_visit", D(2023, 9, 2), "active", "active", kind="visit"),
            ev(5, "record_verification", D(2023, 9, 9), "active", "active", passed=True),
            ev(6, "record_home_visit", D(2023, 9, 10), "active", "active"),
        ),
        tekun(
            6,
            "t2",
            ev(3, "record_care_placement", D(2023, 8, 4), "active", "active", mode="dispersed"),
            ev(4, "record_care_visit", D(2023, 8, 5), "active", "active", kind="visit"),
            ev(5, "record_care_visit", D(2023, 8, 25), "active", "active", kind="visit"),
            ev(6, "record_care_visit", D(2023, 8, 26), "active", "active", kind="call"),
        ),
        # never placed: cared for at home (分散供养)
        tekun(
            13, "t3", ev(3, "record_care_visit", D(2023, 9, 15), "active", "active", kind="visit")
        ),
        # a verification before the decision is not one of a beneficiary
        CaseFacts(
            7,
            "dibao",
            YONGFU,
            "urban",
            {},
            (
                ev(1, "open", D(2023, 8, 2), None, "accepted"),
                ev(2, "record_verification", D(2023, 8, 3), "accepted", "accepted", passed=True),
            ),
        ),
        # assisted first in August, paperwork in September: given in August, once
        temporary(
            8,
            ev(1, "open", D(2023, 8, 9), None, "accepted"),
            ev(2, "assist_first", D(2023, 8, 10), "accepted", "assisted"),
            ev(3, "record_paperwork", D(2023, 9, 1), "assisted", "granted"),
        ),
        temporary(
            9,
            ev(1, "open", D(2023, 8, 30), None, "accepted"),
            ev(2, "confirm_case", D(2023, 9, 3), "accepted", "granted"),
        ),
        # filed near relatives: opened in August and in September
        CaseFacts(
            10,
            "dibao",
            YONGFU,
            "urban",
            {"filed": True},
            (ev(1, "open", D(2023, 8, 5), None, "accepted"),),
        ),
        CaseFacts(
            11,
            "dibao",
            YONGFU,
            "urban",
            {"filed": False},
            (ev(1, "open", D(2023, 8, 6), None, "accepted"),),
        ),
        CaseFacts(
            12,
            "tekun",
            YONGFU,
            "urban",
            {"filed": True},
            (ev(1, "open", D(2023, 9, 7), None, "accepted"),),
        ),
    ]


def values(stats) -> dict[str, int | None]:
    return {r.key: r.value for r in stats.rows}


def test_each_month_counts_only_its_own_events(facts):
    aug = values(compute_monthly_statistics(YONGFU, "永福县", AUG, facts))
    sep = values(compute_monthly_statistics(YONGFU, "永福县", SEP, facts))
    oct_ = values(compute_monthly_statistics(YONGFU, "永福县", D(2023, 10, 1), facts))
    assert aug["new_urban_dibao"] == 6  # case 1 (3) + case 4 (2 now + the one who died since)
    assert aug["new_rural_dibao"] == 2
    assert sep["new_urban_dibao"] == 1 and sep["new_rural_dibao"] == 0
    assert (aug["tekun_placed_in_care"], sep["tekun_placed_in_care"]) == (1, 0)
    # case 5 is in centralised care when visited: not a visit of dispersed tekun
    assert (aug["tekun_dispersed_visited"], sep["tekun_dispersed_visited"]) == (1, 1)
    assert (aug["temporary_given"], sep["temporary_given"]) == (1, 1)
    assert (aug["verifications"], sep["verifications"]) == (0, 1)
    assert (aug["home_visits"], sep["home_visits"]) == (0, 1)
    assert (aug["township_visits_new"], sep["township_visits_new"]) == (8, 1)
    assert (aug["near_relative_filings"], sep["near_relative_filings"]) == (1, 1)
    computed = {r.key for r in ROWS if r.why is None}
    assert all(oct_[k] == 0 for k in computed)


def test_rows_the_data_cannot_support_say_why_and_are_never_zero(facts):
    stats = compute_monthly_statistics(YONGFU, "永福县", AUG, facts)
    missing = [r for r in stats.rows if r.value is None]
    # Since the low-income register and data comparisons (core.lowincome, core.exchange), only
    # meetings, online applications and disciplinary measures are beyond the platform's data.
    assert {r.key for r in missing} == {
        "meeting", "online_applications", "favouritism_fixed", "clues_transferred",
        "criticised", "cases_publicised", "warning_education",
    }  # fmt: skip
    assert all(r.why for r in missing)
    assert next(r for r in missing if r.key == "online_applications").why.startswith("not recorded")
    assert all(r.why is None and r.note for r in stats.rows if r.value is not None)


def test_a_step_that_records_the_members_covered_is_trusted():
    case = dibao(1, "urban", D(2023, 8, 25), ["x1"])
    confirm = case.events[-1]
    recorded = EventFact(
        confirm.seq, confirm.action, confirm.on, confirm.from_state, confirm.to_state,
        confirm.role, {"membersCovered": ["x1", "x2", "x3"]},
    )  # fmt: skip
    case = CaseFacts(case.id, "dibao", YONGFU, "urban", case.data,
                     (*case.events[:-1], recorded))  # fmt: skip
    assert values(compute_monthly_statistics(YONGFU, "永福县", AUG, [case]))["new_urban_dibao"] == 3


def test_a_later_review_makes_the_count_approximate_and_says_so():
    review = ev(6, "record_review", D(2023, 12, 1), "active", "active", outcome="lower")
    case = dibao(1, "urban", D(2023, 8, 25), ["x1"], review)
    stats = compute_monthly_statistics(YONGFU, "永福县", AUG, [case])
    row = stats.row("new_urban_dibao")
    assert row.value == 1 and "approximate" in row.note and "1" in row.note
    assert "approximate" not in stats.row("new_rural_dibao").note


def test_a_case_without_area_is_not_guessed():
    case = dibao(1, "unknown", D(2023, 8, 25), ["x1"])
    case = CaseFacts(case.id, "dibao", YONGFU, None, case.data, case.events)
    stats = compute_monthly_statistics(YONGFU, "永福县", AUG, [case])
    assert stats.row("new_urban_dibao").value == 0 and stats.row("new_rural_dibao").value == 0
    assert "1 confirmed case(s) with no area" in stats.row("new_urban_dibao").note


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_every_line_keeps_the_tables_wording():
    source = _squash((resources.files("plugins.guangxi") / "source.txt").read_text("utf-8"))
    table = source[source.index("全县困难群众救助保障政策落实专项治理进展情况统计表填报单位") :]
    for row in ROWS:
        for words in row.label_zh.split("…"):
            assert _squash(words) in (table if row.in_table else source), (row.key, words)
        assert row.unit_zh in {"人", "人次", "件", "个", "次", "月日"}
    assert len({r.key for r in ROWS}) == len(ROWS)


def test_csv_columns_and_values(facts):
    stats = compute_monthly_statistics(YONGFU, "永福县", AUG, facts)
    text = statistics_csv(stats)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["项目", "item", "value", "note"]
    assert rows[1][:3] == ["填报单位", "reporting unit", "450326 永福县"]
    assert rows[2][:3] == ["统计月份", "month", "2023-08"]
    by_item = {r[0]: r for r in rows[3:]}
    urban = by_item["本乡镇当月底新纳入城镇低保对象(人)"]
    assert urban[2] == "6" and "urban" in urban[3]
    tags = by_item["当月底在社会救助信息管理系统对低收入人口共计…进行标记(人)"]
    assert tags[2] == "0" and "register entry got the tag" in tags[3]  # no register facts given
    meeting = by_item["本乡镇部署推进社会救助保障落实情况：召开会议进行部署情况(月日)"]
    assert meeting[2] == "" and "not recorded" in meeting[3]
    assert "实施临时救助(人次) [not a line of the table]" in by_item
    assert len(rows) == 3 + len(ROWS)
