"""Report tables are the plugins' (doudi_report_tables): a sixth province ships its own table with
no core change, the core computes it from the month's case facts, and a table the core cannot
serve is refused at load time, naming the plugin."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import InvalidInput, PluginLoadError
from core.plugin.api import (
    CaseFacts,
    Count,
    Coverage,
    Document,
    EventFact,
    MonthFacts,
    ReportTable,
    Source,
    TableRow,
    TableSection,
    hookimpl,
)
from core.plugin.manager import build_plugin_manager
from core.policy.service import build_policy_base
from core.reports.rules import compute_table, statistics_csv, statistics_to_json

D = dt.date
SOURCE = Source(Document("kunming-test", "测试用示例文件(非政策文件)"), "附件", "统计表")


def _visits(m: MonthFacts) -> Count:
    return m.persons(m.of_program("dibao"), m.on_beneficiary("record_home_visit"))


def table(**changes) -> ReportTable:
    values = {
        "id": "kunming.visits",
        "jurisdiction": "530100",
        "title": "Home visits",
        "title_zh": "入户核查统计表",
        "sections": (TableSection("visits", "Visits", "入户核查"),),
        "rows": (
            TableRow("home_visits", "visits", "Beneficiaries visited", "入户核查", "人",
                     count=_visits, note="persons of active dibao cases visited"),
            TableRow("meetings", "visits", "Meetings", "召开会议", "次",
                     why="meetings are not recorded in doudi"),
        ),
        "source": SOURCE,
        "events": ("record_home_visit",),
    }  # fmt: skip
    values.update(changes)
    return ReportTable(**values)


class Kunming:
    def __init__(self, *tables: ReportTable, covers: str = "530100") -> None:
        self.tables, self.covers = tables, covers

    @hookimpl
    def doudi_jurisdictions(self):
        return [Coverage(self.covers)]

    @hookimpl
    def doudi_report_tables(self):
        return list(self.tables)


def base_with(*tables: ReportTable, covers: str = "530100"):
    plugin = Kunming(*tables, covers=covers)
    return build_policy_base(build_plugin_manager(extra={"kunming": plugin}))


def ev(seq, action, on, frm, to, **inputs) -> EventFact:
    return EventFact(seq, action, on, frm, to, "township_officer", inputs)


def test_a_sixth_province_ships_its_own_table_and_the_core_computes_it():
    base = base_with(table())
    plugin, kept = base.report_table("530102")  # 五华区, in Kunming
    assert plugin == "kunming" and kept.id == "kunming.visits"
    assert base.report_table("450326")[1].id == "guangxi.yongfu_monthly_statistics"
    visited = CaseFacts(1, "dibao", "530102", "urban", {"membersCovered": ["a", "b"]}, (
        ev(1, "confirm_case", D(2024, 1, 5), "in_publicity", "active"),
        ev(2, "record_home_visit", D(2024, 3, 9), "active", "active"),
    ))  # fmt: skip
    stats = compute_table(kept, "530100", "昆明市", D(2024, 3, 1), [visited])
    assert (stats.table, stats.title_zh) == ("kunming.visits", "入户核查统计表")
    assert stats.month == "2024-03"
    assert [(r.key, r.value, r.why) for r in stats.rows] == [
        ("home_visits", 2, None),
        ("meetings", None, "meetings are not recorded in doudi"),
    ]
    assert stats.rows[0].section_zh == "入户核查"
    assert compute_table(kept, "530100", "昆明市", D(2024, 4, 1), [visited]).rows[0].value == 0
    assert statistics_to_json(stats)["titleZh"] == "入户核查统计表"
    assert "入户核查(人),Visits: Beneficiaries visited,2," in statistics_csv(stats)


def test_the_nearest_table_is_kept_and_one_may_be_named():
    county = table(id="kunming.county", jurisdiction="530102")
    base = base_with(table(), county)
    assert base.report_table("530102")[1].id == "kunming.county"
    assert base.report_table("530102", "kunming.visits")[1].id == "kunming.visits"
    assert base.report_table("530103")[1].id == "kunming.visits"  # another district
    with pytest.raises(InvalidInput, match=r"no table 'kunming\.county' is kept at 530103"):
        base.report_table("530103", "kunming.county")
    twins = base_with(table(), table(id="kunming.twin"))
    with pytest.raises(InvalidInput, match="several statistics tables are kept at 530102"):
        twins.report_table("530102")


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"id": "Kunming Visits"}, "lower-case letters"),
        ({"due_report": "weekly"}, "due_report 'weekly' is not a report kind"),
        ({"rows": ()}, "at least one row"),
        ({"rows": (TableRow("x", "nowhere", "X", "X", "人", why="no"),)}, "unknown section"),
        ({"rows": (TableRow("x", "visits", "X", "X", "人"),)}, "exactly one of count"),
        (
            {"rows": (TableRow("x", "visits", "X", "X", "人", why="a"),) * 2},
            "the key is used twice",
        ),
    ],
)
def test_a_table_the_core_cannot_serve_is_refused_naming_the_plugin(changes, words):
    with pytest.raises(PluginLoadError, match=f"plugin 'kunming': report table .*{words}"):
        base_with(table(**changes))


def test_a_table_outside_the_plugins_jurisdictions_is_refused():
    with pytest.raises(PluginLoadError, match="kept at 450326 永福县, which the plugin does not"):
        base_with(table(jurisdiction="450326"))
    with pytest.raises(PluginLoadError, match="is already declared by 'kunming'"):
        base_with(table(id="guangxi.yongfu_monthly_statistics"))
