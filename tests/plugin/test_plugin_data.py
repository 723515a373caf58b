"""The five plugins carry every fact of their documents, at the right jurisdiction and date,
and every quote is the document's own words."""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources

import pytest

D = dt.date
SX_RELATIONS = 18

# (plugin, jurisdiction, path, value, effective from) — from POLICY_FACTS.md / PARAMETERS.md
FACTS = [
    ("guizhou", "522700", "dibao.review.annual_review", True, D(2021, 1, 1)),
    ("guizhou", "522700", "programs.retrenched_1960s_workers.monthly_amount", 400, D(2021, 1, 1)),
    ("guizhou", "522700", "payments.monthly_due_day", 20, D(2021, 1, 1)),
    ("guizhou", "522700", "payments.failed_repay_by", "month_end", D(2021, 1, 1)),
    ("guizhou", "522700", "payments.unclaimed_reminder_months", 2, D(2021, 1, 1)),
    ("guizhou", "522700", "payments.unclaimed_investigation_months", 6, D(2021, 1, 1)),
    ("guizhou", "522700", "payments.deceased_head_update_months", 1, D(2021, 1, 1)),
    ("guizhou", "522700", "low_income.dibao_counts_as_low_income", True, D(2021, 1, 1)),
    ("guizhou", "522700", "low_income.income_multiple_max", 2.0, D(2021, 1, 1)),
    ("guizhou", "522700", "tekun.care_assessment.interval_months", 1, D(2021, 1, 1)),
    ("shanxi", "140300", "dibao.review.interval_months.stable_income", 12, D(2019, 8, 1)),
    ("shanxi", "140300", "dibao.review.interval_months.slow_change", 6, D(2019, 8, 1)),
    ("shanxi", "140300", "dibao.review.interval_months.irregular_with_labour", 3, D(2019, 8, 1)),
    ("shanxi", "140300", "dibao.near_relative.filing_required", True, D(2019, 8, 1)),
    ("shanxi", "140300", "dibao.near_relative.county_home_visit_ratio", 1.0, D(2019, 8, 1)),
    ("shanxi", "140300", "dibao.verification.required_before_approval", True, D(2019, 8, 1)),
    ("shanxi", "140300", "dibao.approval.confirming_level", "county", D(2019, 8, 1)),
    ("shanxi", "140300", "reports.village_monthly_due_day", 20, D(2019, 8, 1)),
    ("shanxi", "140300", "reports.township_to_county_due", "month_end", D(2019, 8, 1)),
    ("yunnan", "530000", "dibao.single_person.enabled", True, D(2022, 6, 28)),
    ("yunnan", "530000", "dibao.phase_out.min_months", 6, D(2022, 6, 28)),
    ("yunnan", "530000", "dibao.phase_out.max_months", 12, D(2022, 6, 28)),
    ("yunnan", "530000", "dibao.approval.confirming_level", "township", D(2022, 6, 28)),
    ("yunnan", "530000", "tekun.standard.basic_min_multiple_of_urban_dibao", 1.3, D(2022, 7, 1)),
    ("yunnan", "530000", "tekun.centralised_care.admit_all_willing", True, D(2022, 6, 28)),
    ("yunnan", "530000", "temporary.approval.graded", True, D(2022, 6, 28)),
    ("yunnan", "530000", "temporary.advance_assistance", True, D(2022, 6, 28)),
    ("yunnan", "530000", "temporary.apply_at_emergency_location", True, D(2022, 6, 28)),
    ("yunnan", "530000", "temporary.case_by_case_major_hardship", True, D(2022, 6, 28)),
    ("yunnan", "530000", "hotline.levels", 4, D(2022, 6, 28)),
    ("guangxi", "450326", "dibao.verification.interval_months", 6, D(2023, 7, 4)),
    (
        "guangxi",
        "450326",
        "dibao.home_visit.interval_months.irregular_with_labour",
        6,
        D(2023, 7, 4),
    ),
    ("guangxi", "450326", "dibao.approval.confirming_level", "township", D(2023, 7, 4)),
    ("guangxi", "450326", "dibao.approval.county_spot_check_ratio", 0.5, D(2023, 7, 4)),
    ("guangxi", "450326", "dibao.home_visit.new_applicant_ratio", 1.0, D(2023, 7, 4)),
    ("guangxi", "450326", "dibao.single_person.enabled", True, D(2023, 7, 4)),
    ("guangxi", "450326", "dibao.near_relative.filing_required", True, D(2023, 7, 4)),
    ("guangxi", "450326", "temporary.advance_assistance", True, D(2023, 7, 4)),
    ("guangxi", "450326", "temporary.apply_at_emergency_location", True, D(2023, 7, 4)),
    ("guangxi", "450326", "reports.monthly_statistics_due_day", 4, D(2023, 7, 4)),
    ("ningxia", "640121", "dibao.single_person.enabled", True, D(2020, 12, 16)),
    ("ningxia", "640121", "dibao.phase_out.max_months", 18, D(2020, 12, 16)),
    ("ningxia", "640121", "dibao.phase_out.exit_next_month_when_stable", True, D(2020, 12, 16)),
    ("ningxia", "640121", "temporary.unemployed_no_income_months", 3, D(2020, 12, 16)),
    ("ningxia", "640121", "temporary.advance_assistance", True, D(2020, 12, 16)),
    ("ningxia", "640121", "temporary.case_by_case_major_hardship", True, D(2020, 12, 16)),
    ("ningxia", "640121", "tekun.minor_age_limit", 18, D(2020, 12, 16)),
    ("ningxia", "640121", "tekun.self_care.county_spot_check_ratio", 0.3, D(2020, 12, 16)),
    ("ningxia", "640121", "tekun.centralised_care.admit_all_willing", True, D(2020, 12, 16)),
]
LISTS = [
    (
        "yunnan",
        "530000",
        "dibao.single_person.conditions",
        {"severe_disability", "serious_illness"},
    ),
    (
        "yunnan",
        "530000",
        "dibao.income.deductions",
        {"medical", "disability_rehabilitation", "education", "employment_cost"},
    ),
    (
        "guangxi",
        "450326",
        "dibao.income.deductions",
        {"medical", "education", "disability_rehabilitation"},
    ),
    (
        "ningxia",
        "640121",
        "dibao.single_person.conditions",
        {"severe_disability", "serious_illness_with_major_illness_medical_aid"},
    ),
]


@pytest.mark.parametrize(("plugin", "code", "path", "value", "start"), FACTS)
def test_fact_is_set_at_its_jurisdiction_from_its_date(base, plugin, code, path, value, start):
    p = base.parameter(code, path, start)
    assert (
        p.is_set and p.value == pytest.approx(value)
        if isinstance(value, float)
        else p.value == value
    )
    assert p.layer.origin == plugin and p.layer.jurisdiction.code == code
    assert p.effective_from == start
    day_before = base.parameter(code, path, start - dt.timedelta(days=1))
    assert day_before.layer is None or day_before.layer.origin != plugin


@pytest.mark.parametrize(("plugin", "code", "path", "items"), LISTS)
def test_list_facts(base, plugin, code, path, items):
    p = base.parameter(code, path, D(2024, 1, 1))
    assert p.layer.origin == plugin and set(p.value) == items


def test_shanxi_near_relatives_are_the_full_list(base):
    p = base.parameter("140300", "dibao.near_relative.relations", D(2020, 1, 1))
    assert len(set(p.value)) == SX_RELATIONS


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("plugin", ["guizhou", "shanxi", "yunnan", "guangxi", "ningxia"])
def test_every_quote_is_the_documents_own_words(base, plugin):
    source = _squash((resources.files(f"plugins.{plugin}") / "source.txt").read_text("utf-8"))
    quotes = [
        v.source.quote
        for layer in base.index.layers
        if layer.ref.origin == plugin
        for v in layer.values
    ]
    quotes += [r.rule.source.quote for r in base.rules if r.plugin == plugin and r.rule.source]
    quotes += [p.source.quote for name, p in base.programs if name == plugin and p.source]
    assert quotes
    missing = [q for q in quotes if _squash(q) not in source]
    assert not missing, f"{plugin}: quotes not found verbatim in source.txt: {missing}"


def test_every_value_cites_a_document_section_and_quote(base):
    for layer in base.index.layers:
        for v in layer.values:
            assert v.source.document.title and v.source.section and v.source.quote, v


def test_national_sources_say_how_reliable_they_are(base):
    docs = {
        v.source.document
        for layer in base.index.layers
        if layer.ref.origin == "national"
        for v in layer.values
    }
    assert len(docs) >= 5
    for d in docs:
        assert d.note, f"national document {d.title} has no note on its citation"
