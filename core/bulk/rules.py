"""The bulk decision rules for dibao, low income and tekun, as Ibis expressions.

One definition, every engine: these functions take Ibis tables (a snapshot's tables and a
policy table, :mod:`core.bulk.policy_table`) and return Ibis tables; DuckDB and Spark compile
the same expression (:mod:`core.bulk.engines` only reads, registers and writes). Pure: no I/O,
the date is an argument.

They are the rules of the per-household engine (:mod:`core.eligibility.engine`), restated over
columns, and held identical to it by a differential test (``tests/bulk/test_differential.py``:
status, mode, covered members and amount, household by household). Where the engine's order of
checks matters (nobody alive before a standard that is not set, the whole-household test before
the single-person one), the CASE expressions keep that order.

Written for exactness on every engine (each point reproduced on DuckDB and Spark):

- money is int64 fen, multiples int64 millionths; division rounds half up as
  ``(2·a + b) // (2·b)`` in integers (never float, never DECIMAL arithmetic, whose rounding and
  typing differ between engines);
- ages by explicit year/month/day arithmetic (``DATEDIFF(YEAR, …)`` counts year boundaries on one
  engine and whole years on the other);
- sums that are never NULL are cast with ``"!int64"`` (DuckDB's ``SUM(BIGINT)`` is a 128-bit
  integer that would reach Parquet as a double; the nullability change makes Ibis emit the cast);
- every comparison that can meet a NULL policy value is guarded first in its CASE;
- column names never shadow Table methods (``limit``, ``count`` …).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir

from core.bulk.policy_table import EXPENSE_KINDS, PPM

PROGRAMS = ("dibao", "low_income", "tekun")
P_MARGINAL = "low_income.marginal_multiple"
P_TK_BASIC = "tekun.standard.basic"
P_TK_MINOR = "tekun.minor_age_limit"

# The decisions table every program produces (one row per scenario, program and household).
DECISION_COLUMNS = (
    "scenario",
    "program",
    "hh_id",
    "county",
    "status",
    "mode",
    "category",
    "living",
    "covered",
    "pci_fen",
    "standard_fen",
    "amount_fen",
    "reason",
    "missing",
)

_NULL_STR = ibis.null("string")
_NULL_INT = ibis.null("int64")


def half_up(num: ir.IntegerValue, den: ir.IntegerValue | int) -> ir.IntegerValue:
    """``num / den`` rounded half up, for ``num >= 0`` and ``den > 0`` (integers): exact on every
    engine below 2**52."""
    return ((num * 2 + den) // (den * 2)).cast("int64")


def _outcome(
    branches: list[tuple[Any, str]], otherwise: str
) -> tuple[ir.StringValue, ir.StringValue]:
    """(status, reason) of a decision from ``(condition, "status|reason")`` branches taken in
    order. Two CASE expressions over the same conditions: splitting one string would differ
    (Spark's split takes a regular expression)."""
    status = ibis.cases(*[(c, v.split("|")[0]) for c, v in branches], else_=otherwise.split("|")[0])
    reason = ibis.cases(*[(c, v.split("|")[1]) for c, v in branches], else_=otherwise.split("|")[1])
    return status, reason


def _drop_right(t: ir.Table) -> ir.Table:
    return t.select(~ibis.selectors.endswith("_right"))


def age_on(birth: ir.DateValue, as_of: dt.date) -> ir.IntegerValue:
    """Whole years on ``as_of`` (as :meth:`core.households.model.Member.age_on`)."""
    before = (birth.month() * 100 + birth.day()) > (as_of.month * 100 + as_of.day)
    return (as_of.year - birth.year() - before.cast("int64")).cast("int64")


# -- the facts every program reads --------------------------------------------------------------


def household_facts(
    households: ir.Table,
    members: ir.Table,
    incomes: ir.Table,
    expenses: ir.Table,
    as_of: dt.date,
) -> tuple[ir.Table, ir.Table]:
    """(household facts, living members): living members counted, income of the household
    (items of the living and the household's own), rigid spending by kind, household-level
    income; and each living member's age and own income.

    Members dead on ``as_of`` are not counted, and neither is their income or spending. The
    snapshot carries each member's own items summed (``own_fen``, ``e_<kind>``), each household's
    own (``hh_income_fen``, ``hh_e_<kind>``) and its members' over all of them (``members``,
    ``m_income_fen``, ``m_e_<kind>``): the few dead on ``as_of`` are subtracted, exactly, instead
    of every living member being added up. The item tables stay in the snapshot for rules that
    need items.
    """
    del incomes, expenses  # summed per member and household in the snapshot
    day = ibis.literal(as_of, type="date")
    dead = members.filter(members.death_date.notnull() & (members.death_date <= day))
    gone = dead.group_by("hh_id").aggregate(
        d_n=dead.count().cast("!int64"),
        d_income=dead.own_fen.sum().cast("!int64"),
        **{f"d_e_{k}": dead[f"e_{k}"].sum().cast("!int64") for k in EXPENSE_KINDS},
    )
    t = _drop_right(households.left_join(gone, "hh_id"))
    t = t.select(
        "hh_id",
        "county",
        "area",
        "property_ok",
        n=t.members - t.d_n.fill_null(0),
        income_fen=t.hh_income_fen + t.m_income_fen - t.d_income.fill_null(0),
        shared_fen=t.hh_income_fen,
        **{
            f"e_{k}": t[f"hh_e_{k}"] + t[f"m_e_{k}"] - t[f"d_e_{k}"].fill_null(0)
            for k in EXPENSE_KINDS
        },
    )
    living = members.filter(members.death_date.isnull() | (members.death_date > day))
    return t, living.mutate(age=age_on(living.birth_date, as_of))


def with_own_income(members: ir.Table, incomes: ir.Table) -> ir.Table:
    """``members`` with ``own_fen``: the sum of their own income items (0 without any); the
    snapshot holds it already."""
    del incomes
    return members


def with_policy(facts: ir.Table, policy: ir.Table) -> ir.Table:
    """Each household once per scenario, with its county's policy and its per-capita income
    after the deductions the policy allows."""
    t = facts.join(policy, ["county", "area"])
    deducted: Any = 0
    for k in EXPENSE_KINDS:
        deducted = deducted + ibis.ifelse(t[f"ded_{k}"], t[f"e_{k}"], 0)
    net = ibis.greatest(t.income_fen - deducted, 0)
    t = t.mutate(net_fen=net.cast("int64"))
    t = t.mutate(
        pci_fen=ibis.ifelse(t.n > 0, half_up(t.net_fen, t.n), 0).cast("int64"),
    )
    return t.mutate(
        marginal_limit=half_up(t.marginal_ppm * t.standard_fen, PPM),
        li_limit=half_up(t.li_max_ppm * t.standard_fen, PPM),
    )


# -- dibao ---------------------------------------------------------------------------------------


def _single_person_members(t: ir.Table, living: ir.Table, incomes: ir.Table) -> ir.Table:
    """Living members of households above the standard where single-person enrolment is
    provided for, with the conditions they meet (among those allowed) and whether they qualify
    (``q``) or cannot be decided (``u``, the marginal multiple not set)."""
    need = t.filter(t.standard_fen.notnull() & (t.pci_fen >= t.standard_fen) & t.sp_enabled)
    # A member meets no condition without a disability, an illness or a tag.
    cand = living.filter(
        living.disability_grade.notnull() | living.serious_illness | (living.tags != ",")
    )
    cand = with_own_income(cand, incomes)
    m = cand.join(
        need.select(
            "scenario",
            "hh_id",
            "standard_fen",
            "pci_fen",
            "marginal_limit",
            "sp_severe_disability",
            "sp_intellectual_or_mental_3",
            "sp_serious_illness",
            "sp_serious_illness_aid",
            "sp_clergy",
            "sp_jobless_severe",
        ),
        "hh_id",
    )
    m = _drop_right(m)
    grade = m.disability_grade
    severe = grade.notnull() & (grade <= 2)
    jobless = m.sp_jobless_severe & severe & ~m.employed & (m.age >= 18)
    met = (
        (m.sp_severe_disability & severe)
        | (
            m.sp_intellectual_or_mental_3
            & grade.notnull()
            & (grade == 3)
            & m.disability_kind.isin(("intellectual", "mental"))
        )
        | (m.sp_serious_illness & m.serious_illness)
        | (m.sp_serious_illness_aid & m.serious_illness & m.major_illness_aid)
        | (m.sp_clergy & m.tags.contains(",clergy_living_apart,"))
        | jobless
    )
    met = met.fill_null(False)
    jobless = jobless.fill_null(False)
    marginal = ibis.ifelse(m.marginal_limit.isnull(), False, m.pci_fen < m.marginal_limit)
    return m.mutate(
        q=met & (jobless | marginal) & (m.own_fen < m.standard_fen),
        u=met & ~jobless & m.marginal_limit.isnull(),
    )


def dibao(t: ir.Table, living: ir.Table, incomes: ir.Table) -> tuple[ir.Table, ir.Table]:
    """dibao decisions (whole household, then single person) and the members they cover."""
    sp_members = _single_person_members(t, living, incomes)
    sp = sp_members.group_by(["scenario", "hh_id"]).aggregate(
        sp_n=sp_members.q.cast("int64").sum().cast("!int64"),
        sp_amount=ibis.ifelse(sp_members.q, sp_members.standard_fen - sp_members.own_fen, 0)
        .sum()
        .cast("!int64"),
        sp_u=sp_members.u.cast("int64").sum().cast("!int64"),
    )
    t = _drop_right(t.left_join(sp, ["scenario", "hh_id"]))
    sp_n = t.sp_n.fill_null(0)
    sp_u = t.sp_u.fill_null(0)
    std, pci, prop = t.standard_fen, t.pci_fen, t.property_ok
    below = pci < std
    single = sp_n > 0
    status, reason = _outcome(
        [
            (t.n == 0, "ineligible|nobody_alive"),
            (std.isnull(), "cannot_decide|standard_not_set"),
            (below & (prop == True), "eligible|below_standard"),  # noqa: E712 (SQL)
            (below & prop.isnull(), "cannot_decide|property_unknown"),
            (below, "ineligible|property_over"),
            (~t.sp_enabled, "ineligible|single_person_not_provided"),
            (single & (prop == True), "eligible|single_person"),  # noqa: E712
            (single & prop.isnull(), "cannot_decide|property_unknown"),
            (single, "ineligible|property_over"),
            (sp_u > 0, "cannot_decide|marginal_not_set"),
        ],
        "ineligible|not_below_standard",
    )
    t = t.mutate(status=status, reason=reason)
    status, reason = t.status, t.reason
    eligible = status == "eligible"
    whole = eligible & (reason == "below_standard")
    decisions = t.select(
        "scenario",
        program=ibis.literal("dibao"),
        hh_id=t.hh_id,
        county=t.county,
        status=status,
        mode=ibis.cases((whole, "whole_household"), (eligible, "single_person"), else_=_NULL_STR),
        category=_NULL_STR,
        living=t.n,
        covered=ibis.cases((whole, t.n), (eligible, sp_n), else_=0).cast("!int64"),
        pci_fen=pci,
        standard_fen=std,
        amount_fen=ibis.cases(
            (whole & t.gap, ((std - pci) * t.n).cast("int64")),
            (eligible & t.gap, t.sp_amount.cast("int64")),
            else_=_NULL_INT,
        ),
        reason=reason,
        missing=ibis.cases(
            (reason == "standard_not_set", t.standard_path),
            (reason == "marginal_not_set", ibis.literal(P_MARGINAL)),
            else_=_NULL_STR,
        ),
    )
    whole_ids = decisions.filter(decisions.mode == "whole_household").select("scenario", "hh_id")
    covered_whole = living.select("hh_id", "pid").join(whole_ids, "hh_id")
    single_ids = decisions.filter(decisions.mode == "single_person").select("scenario", "hh_id")
    covered_single = sp_members.filter(sp_members.q).select("scenario", "hh_id", "pid")
    covered_single = covered_single.join(single_ids, ["scenario", "hh_id"])
    covered = _covered(covered_whole, "dibao").union(_covered(covered_single, "dibao"))
    return decisions, covered


def _covered(t: ir.Table, program: str) -> ir.Table:
    return t.select("scenario", program=ibis.literal(program), hh_id=t.hh_id, pid=t.pid)


# -- low income ----------------------------------------------------------------------------------


def low_income(t: ir.Table, living: ir.Table, incomes: ir.Table) -> tuple[ir.Table, ir.Table]:
    """Low-income recognition (低收入家庭认定): dibao households where they count directly,
    marginal households (低保边缘), and the band up to ``income_multiple_max`` × the standard."""
    std, pci, prop = t.standard_fen, t.pci_fen, t.property_ok
    ml, ll = t.marginal_limit, t.li_limit

    def by_property(category: str) -> list[tuple[Any, str]]:
        return [
            (prop == True, f"eligible|{category}"),  # noqa: E712
            (prop.isnull(), "cannot_decide|property_unknown"),
        ]

    below = pci < std
    in_marginal = ml.notnull() & (pci < ml)
    in_band = ll.notnull() & (pci <= ll)
    status, reason = _outcome(
        [
            (t.n == 0, "ineligible|nobody_alive"),
            (std.isnull(), "cannot_decide|standard_not_set"),
            (below & t.li_dibao & (prop == True), "eligible|dibao_household"),  # noqa: E712
            (below & t.li_dibao & prop.isnull(), "cannot_decide|property_unknown"),
            (below & t.li_dibao, "ineligible|property_over"),
            (below, "ineligible|dibao_itself"),
            (ml.isnull() & ll.isnull(), "cannot_decide|marginal_not_set"),
            *[(in_marginal & c, v) for c, v in by_property("marginal")],
            (in_marginal, "ineligible|property_over"),
            *[(in_band & c, v) for c, v in by_property("low_income_band")],
            (in_band, "ineligible|property_over"),
        ],
        "ineligible|above_limits",
    )
    t = t.mutate(status=status, reason=reason)
    status, reason = t.status, t.reason
    eligible = status == "eligible"
    decisions = t.select(
        "scenario",
        program=ibis.literal("low_income"),
        hh_id=t.hh_id,
        county=t.county,
        status=status,
        mode=ibis.ifelse(eligible, "whole_household", _NULL_STR),
        category=ibis.ifelse(eligible, reason, _NULL_STR),
        living=t.n,
        covered=ibis.ifelse(eligible, t.n, 0).cast("!int64"),
        pci_fen=pci,
        standard_fen=std,
        amount_fen=_NULL_INT,
        reason=reason,
        missing=ibis.cases(
            (reason == "standard_not_set", t.standard_path),
            (reason == "marginal_not_set", ibis.literal(P_MARGINAL)),
            else_=_NULL_STR,
        ),
    )
    ids = decisions.filter(eligible_col(decisions)).select("scenario", "hh_id")
    covered = _covered(living.select("hh_id", "pid").join(ids, "hh_id"), "low_income")
    return decisions, covered


def eligible_col(t: ir.Table) -> ir.BooleanValue:
    return t.status == "eligible"


# -- tekun ---------------------------------------------------------------------------------------

_T, _F, _U = 1, 0, 2  # qualifies / does not / cannot be known


def tekun(t: ir.Table, living: ir.Table, incomes: ir.Table) -> tuple[ir.Table, ir.Table]:
    """Tekun support (特困人员), member by member: unable to work (60 or over, a minor under
    ``tekun.minor_age_limit``, intellectual/mental disability 1–3, physical 1–2, visual 1), no
    able legal supporter, own income (own items and an equal share of the household's) below the
    local dibao standard, property within the rules; the amount is ``tekun.standard.basic`` per
    person covered."""
    hh = t.select(
        "scenario",
        "hh_id",
        "n",
        "shared_fen",
        "standard_fen",
        "property_ok",
        "tk_basic_fen",
        "tk_minor_limit",
    )
    m = _drop_right(with_own_income(living, incomes).join(hh, "hh_id"))
    share = ibis.ifelse(m.n > 0, half_up(m.shared_fen, m.n), 0)
    own = m.own_fen + share
    kind, grade = m.disability_kind, m.disability_grade
    disabled = (
        (kind.isin(("intellectual", "mental")) & (grade <= 3))
        | ((kind == "physical") & (grade <= 2))
        | ((kind == "visual") & (grade == 1))
    ).fill_null(False)
    minor = ibis.ifelse(m.tk_minor_limit.isnull(), False, m.age < m.tk_minor_limit)
    unable = (m.age >= 60) | minor | disabled
    unknown = m.tk_minor_limit.isnull() & (m.age < 18) & ~unable
    s0 = ibis.cases((unknown, _U), (unable, _T), else_=_F)
    m = m.mutate(s0=s0, own_total=own)
    s1 = ibis.ifelse((m.s0 != _F) & m.has_able_supporter, _F, m.s0)
    m = m.mutate(s1=s1)
    s2 = ibis.cases(
        (m.s1 == _F, _F),
        (m.standard_fen.isnull(), _U),
        (m.own_total < m.standard_fen, m.s1),
        else_=_F,
    )
    m = m.mutate(s2=s2)
    s3 = ibis.cases(
        (m.s2 == _F, _F),
        (m.property_ok == True, m.s2),  # noqa: E712
        (m.property_ok.isnull(), _U),
        else_=_F,
    )
    m = m.mutate(s3=s3)
    s4 = ibis.cases((m.s3 == _F, _F), (m.tk_basic_fen.isnull(), _U), else_=m.s3)
    m = m.mutate(state=s4)
    per_hh = m.group_by(["scenario", "hh_id"]).aggregate(
        tk_n=(m.state == _T).cast("int64").sum().cast("!int64"),
        tk_u=(m.state == _U).cast("int64").sum().cast("!int64"),
    )
    t = _drop_right(t.left_join(per_hh, ["scenario", "hh_id"]))
    tk_n, tk_u = t.tk_n.fill_null(0), t.tk_u.fill_null(0)
    status = ibis.cases((tk_n > 0, "eligible"), (tk_u > 0, "cannot_decide"), else_="ineligible")
    reason = ibis.cases(
        (tk_n > 0, "members_qualify"),
        (tk_u > 0, "members_undecided"),
        (t.n == 0, "nobody_alive"),
        else_="no_member_qualifies",
    )
    missing = ibis.cases(
        ((tk_n == 0) & (tk_u > 0) & t.standard_fen.isnull(), t.standard_path),
        ((tk_n == 0) & (tk_u > 0) & t.tk_basic_fen.isnull(), ibis.literal(P_TK_BASIC)),
        ((tk_n == 0) & (tk_u > 0) & t.tk_minor_limit.isnull(), ibis.literal(P_TK_MINOR)),
        else_=_NULL_STR,
    )
    decisions = t.select(
        "scenario",
        program=ibis.literal("tekun"),
        hh_id=t.hh_id,
        county=t.county,
        status=status,
        mode=_NULL_STR,
        category=_NULL_STR,
        living=t.n,
        covered=tk_n.cast("!int64"),
        pci_fen=_NULL_INT,
        standard_fen=t.tk_basic_fen,
        amount_fen=ibis.ifelse(tk_n > 0, (t.tk_basic_fen * tk_n).cast("int64"), _NULL_INT),
        reason=reason,
        missing=missing,
    )
    covered = _covered(m.filter(m.state == _T), "tekun")
    return decisions, covered


_PROGRAM_RULES = {"dibao": dibao, "low_income": low_income, "tekun": tekun}


def decide(
    households: ir.Table,
    members: ir.Table,
    incomes: ir.Table,
    expenses: ir.Table,
    policy: ir.Table,
    as_of: dt.date,
    programs: tuple[str, ...] = PROGRAMS,
) -> tuple[ir.Table, ir.Table]:
    """Every household of the snapshot decided for ``programs`` on ``as_of``, once per scenario
    of ``policy``: (decisions, covered members). Decisions: one row per scenario, program and
    household (:data:`DECISION_COLUMNS`); covered members: (scenario, program, hh_id, pid)."""
    unknown = [p for p in programs if p not in _PROGRAM_RULES]
    if unknown or not programs:
        raise ValueError(f"bulk programs are {', '.join(PROGRAMS)}, not {unknown or 'none'}")
    facts, living = household_facts(households, members, incomes, expenses, as_of)
    t = with_policy(facts, policy)
    decided = [_PROGRAM_RULES[p](t, living, incomes) for p in programs]
    decisions = decided[0][0]
    covered = decided[0][1]
    for d, c in decided[1:]:
        decisions = decisions.union(d)
        covered = covered.union(c)
    return decisions, covered
