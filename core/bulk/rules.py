"""The bulk decision rules for dibao, low income and tekun, as Ibis expressions.

One definition, every engine: these functions take Ibis tables (a snapshot's tables and a
policy table, :mod:`core.bulk.policy_table`) and return Ibis tables; DuckDB and Spark compile
the same expression (:mod:`core.bulk.engines` only reads, registers and writes). Pure: no I/O,
the date is an argument.

The date they decide on is an Ibis date value too (the jobs pass a one-row table's column as a
scalar: :func:`core.bulk.jobs.as_of_of`), so that a job's expression, and the SQL compiled from
it, is the same on every date.

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

from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir

from core.bulk.policy_table import EXPENSE_KINDS, PPM, SCHOOL_LEVELS, SP_CONDITIONS
from core.bulk.snapshot import EXCLUSIONS

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

_T, _F, _U = 1, 0, 2  # qualifies / does not / cannot be known (three-valued, as integers)
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


def age_on(birth: ir.DateValue, as_of: ir.DateValue) -> ir.IntegerValue:
    """Whole years on ``as_of`` (as :meth:`core.households.model.Member.age_on`)."""
    before = (birth.month() * 100 + birth.day()) > (as_of.month() * 100 + as_of.day())
    return (as_of.year() - birth.year() - before.cast("int64")).cast("int64")


# -- the facts every program reads --------------------------------------------------------------


def household_facts(households: ir.Table, deaths: ir.Table, as_of: ir.DateValue) -> ir.Table:
    """Each household's facts on ``as_of``: living members counted, income of the household
    (items of the living and the household's own), rigid spending by kind, household-level
    income, income of each kind the rules may leave out, members in hardship.

    Members dead on ``as_of`` are not counted, and neither is their income or spending. The
    snapshot carries each household's own items summed (``hh_income_fen``, ``hh_e_<kind>``) and
    its members' over all of them (``members``, ``m_income_fen``, ``m_e_<kind>``): the few dead
    on ``as_of`` — found in ``deaths`` (the snapshot's members with a date of death), never by
    scanning every member — are subtracted, exactly, instead of every living member being added
    up.
    """
    dead = deaths.filter(deaths.death_date.notnull() & (deaths.death_date <= as_of))
    hardship = (
        dead.serious_illness
        | (dead.disability_grade.notnull() & (dead.disability_grade <= 2))
        | (dead.school_level == "higher_education").fill_null(False)
    )
    gone = dead.group_by("hh_id").aggregate(
        d_n=dead.count().cast("!int64"),
        d_income=dead.own_fen.sum().cast("!int64"),
        d_hardship=hardship.cast("int64").sum().cast("!int64"),
        **{f"d_e_{k}": dead[f"e_{k}"].sum().cast("!int64") for k in EXPENSE_KINDS},
        **{f"d_x_{k}": dead[f"ox_{k}"].sum().cast("!int64") for k in EXCLUSIONS},
    )
    t = _drop_right(households.left_join(gone, "hh_id"))
    return t.select(
        "hh_id",
        "county",
        "area",
        "property_ok",
        "tags",
        n=t.members - t.d_n.fill_null(0),
        income_fen=t.hh_income_fen + t.m_income_fen - t.d_income.fill_null(0),
        shared_fen=t.hh_income_fen,
        hardship_n=t.m_hardship - t.d_hardship.fill_null(0),
        **{
            f"e_{k}": t[f"hh_e_{k}"] + t[f"m_e_{k}"] - t[f"d_e_{k}"].fill_null(0)
            for k in EXPENSE_KINDS
        },
        # Income of each kind the rules may leave out: of the living members and the household.
        **{f"x_{k}": t[f"hx_{k}"] + t[f"mx_{k}"] - t[f"d_x_{k}"].fill_null(0) for k in EXCLUSIONS},
        **{f"hx_{k}": t[f"hx_{k}"] for k in EXCLUSIONS},
    )


def alive(members: ir.Table, as_of: ir.DateValue) -> ir.Table:
    """``members`` (the snapshot's, or its ``marked``) alive on ``as_of``, with their age."""
    living = members.filter(members.death_date.isnull() | (members.death_date > as_of))
    return living.mutate(age=age_on(living.birth_date, as_of))


def _left_out(t: ir.Table, prefix: str, flag: str) -> Any:
    """What the income left out (kinds flagged ``flag_<kind>``) adds up to in ``prefix_<kind>``."""
    total: Any = 0
    for k in EXCLUSIONS:
        total = total + ibis.ifelse(t[f"{flag}_{k}"], t[f"{prefix}_{k}"], 0)
    return total


# The policy columns each program reads at the household level (the single-person conditions
# are joined where the few households that get that far are decided: _single_person_members).
_HOUSEHOLD_POLICY = {
    "dibao": ("sp_enabled",),
    "low_income": ("li_dibao",),
    "tekun": (
        "tk_basic_fen",
        "tk_minor_limit",
        "tk_cont_age",
        *[f"tkc_{level}" for level in SCHOOL_LEVELS],
        *[f"tx_{k}" for k in EXCLUSIONS],
    ),
}
# And the household facts tekun reads beyond the per-capita income.
_TEKUN_FACTS = ("shared_fen", *[f"hx_{k}" for k in EXCLUSIONS])


def with_policy(
    facts: ir.Table, policy: ir.Table, programs: tuple[str, ...] = PROGRAMS
) -> ir.Table:
    """Each household once per scenario, with its county's policy and its per-capita income:
    ``pci_fen`` for the whole-household dibao test, after the deductions the policy allows —
    those a scope limits (``dibao.income.deductions_scope``) only for the households it names —
    and ``pci_other_fen`` for the other tests (single person, low income), where scoped
    deductions do not apply. Income the policy leaves out (``dibao.income.excluded``) is not
    counted. Only the columns ``programs`` read are kept: every column carried is work for
    the engine and for the compiler."""
    wanted = [c for p in programs for c in _HOUSEHOLD_POLICY[p]]
    pol = policy.select(
        "scenario",
        "county",
        "area",
        "standard_path",
        "standard_fen",
        "gap",
        "marginal_ppm",
        "li_max_ppm",
        *[f"{p}_{k}" for p in ("ded", "scoped") for k in EXPENSE_KINDS],
        *[f"ex_{k}" for k in EXCLUSIONS],
        *dict.fromkeys(wanted),
    )
    t = facts.join(pol, ["county", "area"])
    plain: Any = 0
    scoped: Any = 0
    for k in EXPENSE_KINDS:
        plain = plain + ibis.ifelse(t[f"ded_{k}"] & ~t[f"scoped_{k}"], t[f"e_{k}"], 0)
        scoped = scoped + ibis.ifelse(t[f"ded_{k}"] & t[f"scoped_{k}"], t[f"e_{k}"], 0)
    keep = [
        "scenario",
        "hh_id",
        "county",
        "area",
        "property_ok",
        "n",
        "standard_path",
        "standard_fen",
        "gap",
        *dict.fromkeys(wanted),
        *(_TEKUN_FACTS if "tekun" in programs else ()),
    ]
    t = t.select(
        *keep,
        "tags",
        "hardship_n",
        "marginal_ppm",
        counted_fen=(t.income_fen - _left_out(t, "x", "ex")).cast("int64"),
        plain_ded=plain,
        scoped_ded=scoped,
        marginal_limit=half_up(t.marginal_ppm * t.standard_fen, PPM),
        li_limit=half_up(t.li_max_ppm * t.standard_fen, PPM),
    )
    pc_before = ibis.ifelse(t.n > 0, half_up(t.counted_fen, t.n), 0)
    # The households a scope names (Yongfu 003 二(二)): monitored for relapse, or income before
    # deducting below the marginal standard; and a member seriously ill, severely disabled or
    # at college.
    low = t.tags.contains(",relapse_monitoring,") | ibis.ifelse(
        t.standard_fen.isnull() | t.marginal_ppm.isnull(), False, pc_before < t.marginal_limit
    )
    hardship = low & (t.hardship_n > 0)
    whole = t.plain_ded + ibis.ifelse(hardship, t.scoped_ded, 0)
    net = ibis.greatest(t.counted_fen - whole, 0)
    other = ibis.greatest(t.counted_fen - t.plain_ded, 0)
    return t.select(
        *keep,
        "marginal_limit",
        "li_limit",
        pci_fen=ibis.ifelse(t.n > 0, half_up(net, t.n), 0).cast("int64"),
        pci_other_fen=ibis.ifelse(t.n > 0, half_up(other, t.n), 0).cast("int64"),
    )


# -- dibao ---------------------------------------------------------------------------------------


CLERGY_MONTHS = 36  # 三年以上（含三年）: 审核确认办法 art. 8(三)


def _single_person_members(
    t: ir.Table, policy: ir.Table, marked: ir.Table, as_of: ir.DateValue
) -> ir.Table:
    """Living members of households not below the standard (whole-household test) where
    single-person enrolment is provided for: whether they qualify alone (``q``) or cannot be
    decided (``u``).

    A member qualifies through any condition allowed here (national groups included) that they
    meet, whose granting layer's requirements they meet (lost labour capacity, family support:
    ``dibao.single_person.additional_requirements``) and whose marginal-household test — if the
    grant has one — the household passes on its income without scoped deductions; and their own
    income (income left out not counted) must be below the standard. Clergy count after three
    years apart, included; a start not recorded leaves them undecided."""
    need = t.filter(t.standard_fen.notnull() & (t.pci_fen >= t.standard_fen) & t.sp_enabled)
    cols = [
        c for col in SP_CONDITIONS.values() for c in (col, f"{col}_mt", f"{col}_lab", f"{col}_fam")
    ]
    need = need.select(
        "scenario", "hh_id", "county", "area", "standard_fen", "pci_other_fen", "marginal_limit"
    ).join(
        policy.select("scenario", "county", "area", *cols, *[f"ex_{k}" for k in EXCLUSIONS]),
        ["scenario", "county", "area"],
    )
    # A member meets no condition without a disability, an illness or a tag (all of them are in
    # the snapshot's ``marked``).
    living = alive(marked, as_of)
    cand = living.filter(
        living.disability_grade.notnull() | living.serious_illness | (living.tags != ",")
    ).select(
        "hh_id",
        "pid",
        "age",
        "disability_kind",
        "disability_grade",
        "serious_illness",
        "major_illness_aid",
        "labour_capacity",
        "employed",
        "depends_on_family_support",
        "living_apart_since",
        "tags",
        "own_fen",
        *[f"ox_{k}" for k in EXCLUSIONS],
    )
    m = cand.join(need.drop("county", "area"), "hh_id")
    grade = m.disability_grade
    severe = grade.notnull() & (grade <= 2)
    clergy = m.tags.contains(",clergy_living_apart,")
    since = m.living_apart_since
    long_enough = ibis.ifelse(
        since.isnull(), False, (since + ibis.interval(months=CLERGY_MONTHS)) <= as_of
    )
    facts = {
        "sp_severe_disability": severe,
        "sp_intellectual_or_mental_3": grade.notnull()
        & (grade == 3)
        & m.disability_kind.isin(("intellectual", "mental")),
        "sp_serious_illness": m.serious_illness,
        "sp_serious_illness_aid": m.serious_illness & m.major_illness_aid,
        "sp_clergy": clergy & long_enough,
        "sp_jobless_severe": severe & ~m.employed & (m.age >= 18),
    }
    lost = m.labour_capacity.isin(("partial", "none"))
    dep = m.depends_on_family_support
    own = m.own_fen
    for k in EXCLUSIONS:
        own = own - ibis.ifelse(m[f"ex_{k}"], m[f"ox_{k}"], 0)
    # Each step's result is a column of its own, referred to by name in the next step: written
    # as one expression, every condition would repeat the ones before it (the SQL grows to tens
    # of kilobytes, and every engine spends its planning time on it).
    m = m.mutate(
        own_fen=own.cast("int64"),
        marginal=ibis.ifelse(
            m.marginal_limit.isnull(),
            _U,
            ibis.ifelse(m.pci_other_fen < m.marginal_limit, _T, _F),
        ),
        **{f"met_{col}": (m[col] & fact).fill_null(False) for col, fact in facts.items()},
        **{
            f"req_{col}": ibis.cases(
                (m[f"{col}_lab"] & ~lost, _F),
                (m[f"{col}_fam"] & (dep == False), _F),  # noqa: E712 (SQL)
                (m[f"{col}_fam"] & dep.isnull(), _U),
                else_=_T,
            )
            for col in facts
        },
        undecided_clergy=m.sp_clergy & clergy & since.isnull(),
    )
    m = m.mutate(
        **{
            f"state_{col}": ibis.cases(
                (~m[f"met_{col}"], _F),
                (m[f"req_{col}"] == _F, _F),
                (~m[f"{col}_mt"], m[f"req_{col}"]),
                (m.marginal == _U, _U),
                (m.marginal == _T, m[f"req_{col}"]),
                else_=_F,
            )
            for col in facts
        }
    )
    any_t: Any = ibis.literal(False)
    any_u: Any = m.undecided_clergy
    for col in facts:
        any_t = any_t | (m[f"state_{col}"] == _T)
        any_u = any_u | (m[f"state_{col}"] == _U)
    return m.mutate(
        q=any_t & (m.own_fen < m.standard_fen),
        u=~any_t & any_u,
    )


def dibao(
    t: ir.Table, policy: ir.Table, living: ir.Table, marked: ir.Table, as_of: ir.DateValue
) -> tuple[ir.Table, ir.Table]:
    """dibao decisions (whole household, then single person) and the members they cover
    (``living``: every member alive on ``as_of``; ``marked``: the snapshot's marked members)."""
    sp_members = _single_person_members(t, policy, marked, as_of)
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
        # The income the deciding test used: without scoped deductions once past the
        # whole-household test.
        pci_fen=ibis.ifelse(below, pci, t.pci_other_fen),
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


def low_income(
    t: ir.Table, policy: ir.Table, living: ir.Table, marked: ir.Table, as_of: ir.DateValue
) -> tuple[ir.Table, ir.Table]:
    """Low-income recognition (低收入家庭认定): dibao households where they count directly,
    marginal households (低保边缘), and the band up to ``income_multiple_max`` × the standard."""
    std, pci, prop = t.standard_fen, t.pci_other_fen, t.property_ok
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


def tekun(
    t: ir.Table,
    living: ir.Table,
    as_of: ir.DateValue,
    continuing: ir.Table | None = None,
) -> tuple[ir.Table, ir.Table]:
    """Tekun support (特困人员), member by member: unable to work (60 or over, a minor under
    ``tekun.minor_age_limit``, intellectual/mental disability 1–3, physical 1–2, visual 1), no
    able legal supporter, own income (own items and an equal share of the household's) below the
    local dibao standard, property within the rules; the amount is ``tekun.standard.basic`` per
    person covered. Income ``tekun.income.excluded`` leaves out is not counted. A minor the case
    already supports (``continuing``: hh_id, id_number) is kept on to
    ``tekun.minor_continuation_age`` and in school after it (特困人员认定办法 art. 24)."""
    hh = t.select(
        "scenario",
        "hh_id",
        "n",
        "standard_fen",
        "property_ok",
        "tk_basic_fen",
        "tk_minor_limit",
        "tk_cont_age",
        *[f"tkc_{level}" for level in SCHOOL_LEVELS],
        *[f"tx_{k}" for k in EXCLUSIONS],
        shared_fen=t.shared_fen - _left_out(t, "hx", "tx"),
    )
    m = _drop_right(living.join(hh, "hh_id"))
    if continuing is not None:
        kept = continuing.select("hh_id", "id_number", cont=ibis.literal(True))
        m = _drop_right(m.left_join(kept, ["hh_id", "id_number"]))
        m = m.mutate(cont=m.cont.fill_null(False))
    else:
        m = m.mutate(cont=ibis.literal(False))
    share = ibis.ifelse(m.n > 0, half_up(m.shared_fen, m.n), 0)
    own = m.own_fen + share
    for k in EXCLUSIONS:
        own = own - ibis.ifelse(m[f"tx_{k}"], m[f"ox_{k}"], 0)
    kind, grade = m.disability_kind, m.disability_grade
    disabled = (
        (kind.isin(("intellectual", "mental")) & (grade <= 3))
        | ((kind == "physical") & (grade <= 2))
        | ((kind == "visual") & (grade == 1))
    ).fill_null(False)
    minor = ibis.ifelse(m.tk_minor_limit.isnull(), False, m.age < m.tk_minor_limit)
    unable = (m.age >= 60) | minor | disabled
    unknown = m.tk_minor_limit.isnull() & (m.age < 18) & ~unable
    # Kept on (art. 24): a supported minor under the continuation age, or in school after it.
    school: Any = ibis.literal(False)
    for level in SCHOOL_LEVELS:
        school = school | (m[f"tkc_{level}"] & (m.school_level == level).fill_null(False))
    considered = m.cont & ~unable & m.tk_cont_age.notnull()
    kept = considered & ((m.age < m.tk_cont_age) | (m.school_level.notnull() & school))
    not_known = considered & ~(m.age < m.tk_cont_age) & m.school_level.isnull() & m.in_school
    s0 = ibis.cases((kept, _T), (not_known, _U), (unknown, _U), (unable, _T), else_=_F)
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


_HouseholdRule = Callable[
    [ir.Table, ir.Table, ir.Table, ir.Table, ir.DateValue], tuple[ir.Table, ir.Table]
]
# The programs decided household by household (tekun, member by member, is called apart).
_PROGRAM_RULES: dict[str, _HouseholdRule] = {"dibao": dibao, "low_income": low_income}


def decide(
    households: ir.Table,
    members: ir.Table,
    deaths: ir.Table,
    marked: ir.Table,
    policy: ir.Table,
    as_of: ir.DateValue,
    programs: tuple[str, ...] = PROGRAMS,
    continuing: ir.Table | None = None,
) -> tuple[ir.Table, ir.Table]:
    """Every household of the snapshot decided for ``programs`` on ``as_of``, once per scenario
    of ``policy``: (decisions, covered members). ``households``, ``members``, ``deaths`` and
    ``marked`` are the snapshot's tables (:mod:`core.bulk.snapshot`). Decisions: one row per
    scenario, program and household (:data:`DECISION_COLUMNS`); covered members: (scenario,
    program, hh_id, pid)."""
    unknown = [p for p in programs if p not in PROGRAMS]
    if unknown or not programs:
        raise ValueError(f"bulk programs are {', '.join(PROGRAMS)}, not {unknown or 'none'}")
    t = with_policy(household_facts(households, deaths, as_of), policy, programs)
    living = alive(members, as_of)
    decided = [
        tekun(t, living, as_of, continuing)
        if p == "tekun"
        else _PROGRAM_RULES[p](t, policy, living, marked, as_of)
        for p in programs
    ]
    decisions = decided[0][0]
    covered = decided[0][1]
    for d, c in decided[1:]:
        decisions = decisions.union(d)
        covered = covered.union(c)
    return decisions, covered
