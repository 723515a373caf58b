"""The merged policy as a table: one row per scenario × county × area, for the bulk rules.

Built once per county and date from the same objects the per-household engine reads: the
policy resolved by :meth:`PolicyBase.resolve` and prepared by :func:`core.eligibility.prepare`
(standards to the fen, the deduction kinds allowed, the single-person conditions, the multiples),
so both paths interpret the catalog once, the same way. Pure: no I/O.

Money is int64 fen; multiples (``low_income.marginal_multiple`` 1.5, …) are int64 millionths,
exactly (a multiple with more than six decimals is refused rather than rounded). A parameter that
is not set is NULL: the rules turn it into "cannot decide", never into 0. ``fingerprint`` is a
digest of every value the row holds with the layer and date it comes from (a bulk result and a
trace of the same household can be matched on it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pyarrow as pa

from core.eligibility import prepare
from core.errors import InvalidInput
from core.households.model import Area, IncomeClass, SchoolLevel
from core.policy.catalog import INCOME_EXCLUSIONS
from core.policy.service import PolicyBase

PPM = 1_000_000
EXPENSE_KINDS = ("medical", "disability_rehabilitation", "education", "employment_cost")
# Single-person conditions (dibao.single_person.conditions) → policy column.
SP_CONDITIONS = {
    "severe_disability": "sp_severe_disability",
    "intellectual_or_mental_disability_grade_3": "sp_intellectual_or_mental_3",
    "serious_illness": "sp_serious_illness",
    "serious_illness_with_major_illness_medical_aid": "sp_serious_illness_aid",
    "clergy_living_apart": "sp_clergy",
    "jobless_adult_severe_disability": "sp_jobless_severe",
}
SCHOOL_LEVELS = tuple(level.value for level in SchoolLevel)
# Paths whose values the rows hold (for the fingerprint).
PATHS = (
    "dibao.standard.urban",
    "dibao.standard.rural",
    "dibao.benefit.method",
    "dibao.income.deductions",
    "dibao.single_person.enabled",
    "dibao.single_person.conditions",
    "low_income.marginal_multiple",
    "low_income.income_multiple_max",
    "low_income.dibao_counts_as_low_income",
    "tekun.standard.basic",
    "tekun.minor_age_limit",
    "dibao.phase_out.max_months",
    "dibao.phase_out.allowed",
    "dibao.income.deductions_scope",
    "dibao.income.excluded",
    "dibao.single_person.additional_requirements",
    "tekun.income.excluded",
    "tekun.minor_continuation_age",
    "tekun.minor_continuation_in_school",
)

SCHEMA = pa.schema(
    [
        ("scenario", pa.string()),
        ("county", pa.string()),
        ("area", pa.string()),
        ("standard_path", pa.string()),
        ("standard_fen", pa.int64()),
        ("gap", pa.bool_()),
        *[(f"ded_{k}", pa.bool_()) for k in EXPENSE_KINDS],
        # Deducted only for households the scope names (dibao.income.deductions_scope).
        *[(f"scoped_{k}", pa.bool_()) for k in EXPENSE_KINDS],
        # Income left out: for dibao and low income (ex_), for tekun (tx_).
        *[(f"ex_{k}", pa.bool_()) for k in INCOME_EXCLUSIONS],
        *[(f"tx_{k}", pa.bool_()) for k in INCOME_EXCLUSIONS],
        ("sp_enabled", pa.bool_()),
        # Per single-person condition: allowed; granted with the marginal-household test; with
        # the requirements of lost labour capacity and of family support.
        *[(c, pa.bool_()) for c in SP_CONDITIONS.values()],
        *[(f"{c}_mt", pa.bool_()) for c in SP_CONDITIONS.values()],
        *[(f"{c}_lab", pa.bool_()) for c in SP_CONDITIONS.values()],
        *[(f"{c}_fam", pa.bool_()) for c in SP_CONDITIONS.values()],
        ("marginal_ppm", pa.int64()),
        ("li_max_ppm", pa.int64()),
        ("li_dibao", pa.bool_()),
        ("tk_basic_fen", pa.int64()),
        ("tk_minor_limit", pa.int64()),
        ("tk_cont_age", pa.int64()),
        *[(f"tkc_{level}", pa.bool_()) for level in SCHOOL_LEVELS],
        ("phase_out_max_months", pa.int64()),
        ("phase_out_allowed", pa.bool_()),
        ("fingerprint", pa.string()),
    ]
)


def _fen(value: Decimal | None) -> int | None:
    return None if value is None else int(value * 100)


def _ppm(value: Decimal | None, path: str, code: str) -> int | None:
    if value is None:
        return None
    scaled = value * PPM
    if scaled != scaled.to_integral_value():
        raise InvalidInput(
            f"`{path}` = {value} at {code}: the bulk engine holds multiples to six decimals"
        )
    return int(scaled)


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    return int(value)


def fingerprint(base: PolicyBase, code: str, as_of: dt.date) -> str:
    policy = base.resolve(code, as_of)
    h = hashlib.sha256()
    for path in PATHS:
        p = policy.parameters.get(path)
        w = None if p is None else p.winner
        if w is None:
            h.update(f"{path}:-;".encode())
        else:
            h.update(
                f"{path}:{w.value!r}@{w.layer.jurisdiction.code}/{w.layer.origin}/"
                f"{w.start.isoformat()};".encode()
            )
    return h.hexdigest()[:16]


def policy_rows(base: PolicyBase, code: str, as_of: dt.date, scenario: str) -> list[dict[str, Any]]:
    """The two rows (urban, rural) of county ``code`` on ``as_of``."""
    policy = base.resolve(code, as_of)
    prep = prepare(policy)
    grants = {g.item: g for g in prep.sp_grants}
    marginal = _ppm(prep.marginal_multiple, "low_income.marginal_multiple", code)
    li_max = _ppm(prep.li_max, "low_income.income_multiple_max", code)
    phase_out = policy.parameters.get("dibao.phase_out.max_months")
    finger = fingerprint(base, code, as_of)
    rows = []
    for area in (Area.URBAN, Area.RURAL):
        plan = prep.plan(area, IncomeClass.STABLE)
        row: dict[str, Any] = {
            "scenario": scenario,
            "county": code,
            "area": area.value,
            "standard_path": plan.standard_path,
            "standard_fen": _fen(plan.standard),
            "gap": prep.method == "gap",
            **{f"ded_{k}": k in prep.deductions_allowed for k in EXPENSE_KINDS},
            **{f"scoped_{k}": k in prep.scoped_kinds for k in EXPENSE_KINDS},
            **{f"ex_{k}": k in prep.excluded for k in INCOME_EXCLUSIONS},
            **{f"tx_{k}": k in prep.tk_excluded for k in INCOME_EXCLUSIONS},
            "sp_enabled": prep.sp_enabled is True,
            **{col: c in grants for c, col in SP_CONDITIONS.items()},
            **{
                f"{col}_mt": c in grants and grants[c].marginal_test()
                for c, col in SP_CONDITIONS.items()
            },
            **{
                f"{col}_lab": c in grants
                and "labour_capacity_lost_all_or_part" in grants[c].requirements
                for c, col in SP_CONDITIONS.items()
            },
            **{
                f"{col}_fam": c in grants and "depends_on_family_support" in grants[c].requirements
                for c, col in SP_CONDITIONS.items()
            },
            "marginal_ppm": marginal,
            "li_max_ppm": li_max,
            "li_dibao": prep.li_dibao is True,
            "tk_basic_fen": _fen(prep.tk_basic),
            "tk_minor_limit": _int(prep.tk_minor),
            "tk_cont_age": _int(prep.tk_cont_age),
            **{f"tkc_{level}": level in prep.tk_cont_school for level in SCHOOL_LEVELS},
            "phase_out_max_months": _int(None if phase_out is None else phase_out.value),
            "phase_out_allowed": policy.value("dibao.phase_out.allowed") is True,
            "fingerprint": finger,
        }
        rows.append(row)
    return rows


def policy_table(
    bases: Iterable[tuple[str, PolicyBase]], counties: Iterable[str], as_of: dt.date
) -> pa.Table:
    """The policy rows of every county in ``counties`` on ``as_of``, for each (scenario, base)."""
    codes = sorted(set(counties))
    rows: list[dict[str, Any]] = []
    for scenario, base in bases:
        for code in codes:
            rows.extend(policy_rows(base, code, as_of, scenario))
    return pa.Table.from_pylist(rows, schema=SCHEMA)
