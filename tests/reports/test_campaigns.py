"""Campaigns from plugins: Guangxi's Yongfu 2023 campaign (its phases, its source quoted
verbatim), which jurisdictions see a campaign, and the load errors that name the plugin."""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources

import pytest

from core.errors import PluginLoadError
from core.plugin.hookspecs import Campaign, CampaignPhase, Coverage, Document, Source, hookimpl
from core.plugin.manager import build_plugin_manager
from core.policy.service import build_policy_base
from core.reports.rules import campaign_phases, phase_overlaps

D = dt.date
YONGFU = "450326"
CAMPAIGN = "guangxi.yongfu_2023_precision"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def guangxi_source() -> str:
    return _squash((resources.files("plugins.guangxi") / "source.txt").read_text("utf-8"))


def yongfu(base) -> tuple[str, Campaign]:
    [(plugin, campaign)] = [(p, c) for p, c in base.campaigns if c.id == CAMPAIGN]
    return plugin, campaign


def test_yongfu_2023_campaign_phases(base):
    plugin, c = yongfu(base)
    assert plugin == "guangxi" and c.jurisdiction == YONGFU
    assert [(p.name, p.name_zh, p.start, p.end) for p in c.phases] == [
        ("mobilise", "动员部署阶段", D(2023, 7, 4), D(2023, 7, 14)),
        ("investigate", "排查阶段", D(2023, 7, 15), D(2023, 8, 14)),
        ("rectify", "全面整治阶段", D(2023, 8, 15), D(2023, 9, 14)),
        ("consolidate", "巩固成效阶段", D(2023, 9, 15), None),
    ]


def test_the_campaign_quotes_its_document_verbatim(base):
    _, c = yongfu(base)
    source = guangxi_source()
    assert c.source.section == "三" and c.source.quote
    assert _squash(c.source.quote) in source
    # every phase heading, built from the phase's own name and dates, is the document's text
    for n, p in zip("一二三四", c.phases, strict=True):
        if p.end is None:
            heading = f"（{n}）{p.name_zh}（持续推进）"
        else:
            heading = (
                f"（{n}）{p.name_zh}（{p.start.year}年{p.start.month}月{p.start.day}日-"
                f"{p.end.month}月{p.end.day}日）"
            )
        assert heading in source, heading
        assert heading in _squash(c.source.note)
    assert _squash(c.title_zh) in source


def test_the_campaign_cites_the_same_document_as_the_policy_values(base):
    _, c = yongfu(base)
    documents = {
        v.source.document
        for layer in base.index.layers
        if layer.ref.origin == "guangxi"
        for v in layer.values
    }
    assert documents == {c.source.document}
    assert c.source.document.date == D(2023, 7, 4) and c.source.document.issuer == "永福县民政局"


def chain(base, code: str) -> list[str]:
    return [j.code for j in base.registry.chain(code)]


@pytest.mark.parametrize(
    ("code", "shown"),
    [(YONGFU, True), ("450300", False), ("450000", False), ("450321", False), ("530102", False)],
)
def test_a_campaign_shows_at_its_jurisdiction_not_above_nor_beside(base, code, shown):
    found = campaign_phases(base.campaigns, chain(base, code))
    assert bool(found) is shown


def test_phases_overlapping_the_window(base):
    at = chain(base, YONGFU)
    names = [
        e.phase.name for e in campaign_phases(base.campaigns, at, D(2023, 8, 1), D(2023, 8, 20))
    ]
    assert names == ["investigate", "rectify"]
    later = campaign_phases(base.campaigns, at, D(2030, 1, 1), D(2030, 12, 31))
    assert [e.phase.name for e in later] == ["consolidate"]  # ongoing: no end
    assert campaign_phases(base.campaigns, at, D(2023, 1, 1), D(2023, 7, 3)) == []
    edge = campaign_phases(base.campaigns, at, D(2023, 7, 14), D(2023, 7, 14))
    assert [e.phase.name for e in edge] == ["mobilise"]
    assert phase_overlaps(CampaignPhase("p", D(2023, 1, 1), None), None, None)


# -- plugins declaring campaigns ------------------------------------------------------------------

DOC = Document("fx", "测试用示例文件(非政策文件)", note="test fixture")


def campaign(where: str, *phases: CampaignPhase, id: str = "fx.campaign") -> Campaign:
    return Campaign(id, where, "Test campaign", "测试", tuple(phases), Source(DOC, "1", "测试"))


class Plugin:
    def __init__(self, covers: str, *campaigns: Campaign) -> None:
        self.covers, self.campaigns = covers, campaigns

    @hookimpl
    def doudi_jurisdictions(self):
        return [Coverage(self.covers)]

    @hookimpl
    def doudi_campaigns(self):
        return list(self.campaigns)


def load(plugin: Plugin):
    return build_policy_base(build_plugin_manager(disabled=(), extra={"culprit": plugin}))


def test_a_campaign_above_a_county_shows_for_the_places_under_it():
    phase = CampaignPhase("only", D(2024, 3, 1), D(2024, 3, 31), "唯一阶段")
    b = load(Plugin("450300", campaign("450300", phase)))  # Guilin, Yongfu's prefecture
    for code, shown in (("450326", True), ("450300", True), ("450000", False), ("450100", False)):
        found = [e for e in campaign_phases(b.campaigns, chain(b, code)) if e.plugin == "culprit"]
        assert bool(found) is shown, code


def test_a_campaign_outside_the_plugins_coverage_is_a_load_error():
    phase = CampaignPhase("only", D(2024, 3, 1), D(2024, 3, 31))
    with pytest.raises(PluginLoadError) as info:
        load(Plugin("450300", campaign("530102", phase)))
    assert info.value.plugin == "culprit"
    assert "campaign 'fx.campaign'" in info.value.message
    assert "does not cover" in info.value.message


@pytest.mark.parametrize(
    ("phases", "fragment"),
    [
        (
            (
                CampaignPhase("a", D(2024, 3, 1), D(2024, 3, 31)),
                CampaignPhase("b", D(2024, 3, 31), D(2024, 4, 30)),
            ),
            "phase 'b' overlaps the one before",
        ),
        (
            (CampaignPhase("a", D(2024, 3, 1), None), CampaignPhase("b", D(2024, 5, 1))),
            "phase 'b' overlaps the one before",
        ),
        ((CampaignPhase("a", D(2024, 3, 1), D(2024, 2, 1)),), "phase 'a' ends before it starts"),
    ],
)
def test_bad_phases_are_a_load_error_naming_the_plugin(phases, fragment):
    with pytest.raises(PluginLoadError) as info:
        load(Plugin("450300", campaign("450326", *phases)))
    assert info.value.plugin == "culprit"
    assert fragment in info.value.message and "fx.campaign" in info.value.message


def test_an_unknown_jurisdiction_is_a_load_error():
    with pytest.raises(PluginLoadError) as info:
        load(Plugin("450300", campaign("999999", CampaignPhase("a", D(2024, 3, 1)))))
    assert info.value.plugin == "culprit" and "999999" in info.value.message
