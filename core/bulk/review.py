"""The annual review (年度核查) as one bulk definition: who is in scope, and what each case's
re-decision proposes. Pure: Ibis expressions and plain-word reasons, no I/O.

Scope (Qiannan's notice, 一: "将原保障对象、新增申请对象、2020年1月以来退出保障对象、…、重病重残人员
等纳入核查范围"), from the options:

- ``in_payment``: dibao and tekun cases active or in phase-out (原保障对象);
- ``applicants``: cases applied for and not yet decided (新增申请对象);
- ``exited_since``: cases exited on or after a date (退出保障对象);
- ``tags``: households one of whose members (or which itself) carries one of the tags, decided
  for dibao whether or not they have a case (the notice's other groups). Members carry tags
  (``clergy_living_apart``, ``retrenched_1960s_worker``, …); the groups the notice names
  (脱贫不稳定户, 边缘易致贫户) are not recorded as tags by doudi yet: a tag nobody carries selects
  nobody, and the run says so.

A household is reviewed once per program: an open case before an exited one, the newest exited
case of several.

Proposals, as :func:`core.cases.machine.record_review` would decide on the same facts:

- a case in payment: ``continue`` (eligible, amount unchanged), ``raise``, ``lower`` (eligible,
  another amount from the next month), ``phase_out`` (dibao, income over the standard where the
  policy allows a phase-out: the official chooses between it and the exit; a case already
  phasing out stays in it until its last month),
  ``exit``, ``cannot_decide`` (a parameter not set, property not assessed);
- an applicant, an exited case or a tagged household: ``eligible`` / ``not_eligible`` /
  ``cannot_decide``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir

from core.bulk.rules import _drop_right

IN_PAYMENT = ("active", "phasing_out")
APPLYING = ("accepted", "investigated", "first_reviewed", "in_publicity")
REVIEW_PROGRAMS = ("dibao", "tekun")
SCOPES = ("in_payment", "applicant", "exited", "tagged")
PROPOSALS = (
    "continue",
    "raise",
    "lower",
    "phase_out",
    "exit",
    "cannot_decide",
    "eligible",
    "not_eligible",
)
_SCOPE_RANK = {"in_payment": 0, "applicant": 1, "exited": 2, "tagged": 3}


@dataclass(frozen=True)
class ReviewScope:
    in_payment: bool = True
    applicants: bool = True
    exited_since: dt.date | None = None
    tags: tuple[str, ...] = ()
    programs: tuple[str, ...] = REVIEW_PROGRAMS
    counties: tuple[str, ...] = field(default=())  # only these counties (empty: all)

    def to_json(self) -> dict[str, Any]:
        return {
            "inPayment": self.in_payment,
            "applicants": self.applicants,
            "exitedSince": self.exited_since.isoformat() if self.exited_since else None,
            "tags": list(self.tags),
            "programs": list(self.programs),
            "counties": list(self.counties),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReviewScope:
        since = data.get("exitedSince")
        return cls(
            in_payment=bool(data.get("inPayment", True)),
            applicants=bool(data.get("applicants", True)),
            exited_since=dt.date.fromisoformat(since) if since else None,
            tags=tuple(data.get("tags", ())),
            programs=tuple(data.get("programs", REVIEW_PROGRAMS)),
            counties=tuple(data.get("counties", ())),
        )


def in_scope(
    households: ir.Table, members: ir.Table, cases: ir.Table, scope: ReviewScope
) -> ir.Table:
    """(hh_id, program, scope, case_id, case_state, case_version, current_amount_fen,
    phase_out_last_month): one row per household and program under review."""
    c = cases.filter(cases.program.isin(scope.programs))
    wanted: Any = ibis.literal(False)
    group = ibis.cases(
        (c.state.isin(IN_PAYMENT), "in_payment"),
        (c.state.isin(APPLYING), "applicant"),
        (c.state == "exited", "exited"),
        else_=ibis.null("string"),
    )
    if scope.in_payment:
        wanted = wanted | c.state.isin(IN_PAYMENT)
    if scope.applicants:
        wanted = wanted | c.state.isin(APPLYING)
    if scope.exited_since is not None:
        since = ibis.literal(scope.exited_since, type="date")
        wanted = wanted | ((c.state == "exited") & c.exit_on.notnull() & (c.exit_on >= since))
    c = c.filter(wanted).mutate(scope=group)
    rank = ibis.cases(*[(c.scope == k, v) for k, v in _SCOPE_RANK.items()], else_=9)
    c = c.mutate(rank=rank)
    order = ibis.row_number().over(
        group_by=[c.hh_id, c.program], order_by=[c.rank, ibis.desc(c.case_id)]
    )
    c = c.mutate(k=order).filter(lambda t: t.k == 0)
    rows = c.select(
        hh_id=c.hh_id,
        program=c.program,
        scope=c.scope,
        case_id=c.case_id,
        case_state=c.state,
        case_version=c.version,
        current_amount_fen=c.amount_fen,
        phase_out_last_month=c.phase_out_last_month,
        case_mode=c.mode,
        members_covered=c.members_covered,
    )
    if scope.tags and "dibao" in scope.programs:
        hit: Any = ibis.literal(False)
        mhit: Any = ibis.literal(False)
        for tag in scope.tags:
            hit = hit | households.tags.contains(f",{tag},")
            mhit = mhit | members.tags.contains(f",{tag},")
        tagged_ids = (
            households.filter(hit)
            .select("hh_id")
            .union(members.filter(mhit).select("hh_id"))
            .distinct()
        )
        already = rows.filter(rows.program == "dibao").select("hh_id")
        extra = tagged_ids.anti_join(already, "hh_id")
        extra = extra.select(
            hh_id=extra.hh_id,
            program=ibis.literal("dibao"),
            scope=ibis.literal("tagged"),
            case_id=ibis.null("int64"),
            case_state=ibis.null("string"),
            case_version=ibis.null("int64"),
            current_amount_fen=ibis.null("int64"),
            phase_out_last_month=ibis.null("string"),
            case_mode=ibis.null("string"),
            members_covered=ibis.null("string"),
        )
        rows = rows.union(extra)
    if scope.counties:
        rows = rows.semi_join(households.filter(households.county.isin(scope.counties)), "hh_id")
    return rows


RESULT_COLUMNS = (
    "hh_id",
    "version",
    "county",
    "prefecture",
    "province",
    "program",
    "scope",
    "case_id",
    "case_state",
    "case_version",
    "current_amount_fen",
    "status",
    "mode",
    "living",
    "covered",
    "pci_fen",
    "standard_fen",
    "amount_fen",
    "reason",
    "missing",
    "proposal",
)


def proposals(
    targets: ir.Table,
    decisions: ir.Table,
    households: ir.Table,
    policy: ir.Table,
    as_of: dt.date,
    members: ir.Table | None = None,
) -> ir.Table:
    """Each target joined with its decision (``scenario`` baseline) and the proposal.

    A phase-out is proposed, as :func:`core.cases.machine.record_review` offers it, for an active
    dibao case where ``dibao.phase_out.allowed`` and the income is over (超过: strictly above) the
    standard: the per-capita income for a whole household; for a single-person case (单人户), the
    own income of everyone it covers who is alive (``members``: the snapshot's)."""
    d = decisions.filter(decisions.scenario == "baseline").drop("scenario", "county")
    t = targets.join(d, ["hh_id", "program"])
    h = households.select("hh_id", "version", "county", "prefecture", "province", "area")
    t = _drop_right(t.join(h, "hh_id"))
    po = policy.filter(policy.scenario == "baseline").select(
        "county", "area", "phase_out_max_months", "phase_out_allowed"
    )
    t = _drop_right(t.left_join(po, ["county", "area"]))
    single_over: Any = ibis.literal(False)
    if members is not None:
        day = ibis.literal(as_of, type="date")
        cov = targets.filter(targets.case_mode == "single_person").select(
            "hh_id", "program", id_number=targets.members_covered.split(",").unnest()
        )
        cov = cov.filter(cov.id_number != "")
        alive = members.filter(members.death_date.isnull() | (members.death_date > day))
        own = _drop_right(
            cov.join(alive.select("hh_id", "id_number", "own_fen"), ["hh_id", "id_number"])
        )
        std = t.select("hh_id", "program", std=t.standard_fen)
        own = _drop_right(own.join(std, ["hh_id", "program"]))
        per = own.group_by(["hh_id", "program"]).aggregate(
            cov_n=own.count().cast("!int64"),
            cov_over=(own.std.notnull() & (own.own_fen > own.std))
            .cast("int64")
            .sum()
            .cast("!int64"),
        )
        t = _drop_right(t.left_join(per, ["hh_id", "program"]))
        single_over = (t.cov_n.fill_null(0) > 0) & (t.cov_over.fill_null(0) == t.cov_n)
    paying = t.case_state.isin(IN_PAYMENT)
    eligible = t.status == "eligible"
    new, old = t.amount_fen, t.current_amount_fen
    same = new.isnull() | old.isnull() | (new == old)
    whole_over = t.pci_fen.notnull() & t.standard_fen.notnull() & (t.pci_fen > t.standard_fen)
    over = ibis.ifelse(t.case_mode == "single_person", single_over, whole_over).fill_null(False)
    month = f"{as_of.year:04d}-{as_of.month:02d}"
    still_phasing = (
        (t.case_state == "phasing_out")
        & t.phase_out_last_month.notnull()
        & (t.phase_out_last_month >= month)
    )
    proposal = ibis.cases(
        (t.status == "cannot_decide", "cannot_decide"),
        (paying & eligible & same, "continue"),
        (paying & eligible & (new > old), "raise"),
        (paying & eligible, "lower"),
        (still_phasing, "phase_out"),
        (
            (t.case_state == "active") & (t.program == "dibao") & over & t.phase_out_allowed,
            "phase_out",
        ),
        (paying, "exit"),
        (eligible, "eligible"),
        else_="not_eligible",
    )
    t = t.mutate(proposal=proposal)
    return t.select(*RESULT_COLUMNS)


# -- reasons in one line ---------------------------------------------------------------------


def yuan(fen: int | None) -> str:
    if fen is None:
        return "-"
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


# One line per result row, in English (the CLI, the stored task) and in Chinese (the console):
# the same facts in the words of each language. ``found`` says what the run found (the reason),
# the proposal's words frame it.
_FRAMES = {
    "cannot": "cannot decide: `{missing}` is not set for {code} on {as_of}",
    "below_standard": "per-capita income {pci} is below the standard {std}: the whole household",
    "single_person": "per-capita income {pci} is not below the standard {std}; {covered} "
    "member(s) qualify alone (单人户)",
    "members_qualify": "{covered} member(s) qualify for tekun support at {std} each",
    "low_income": "low income ({kind}): per-capita income {pci}, standard {std}",
    "continue": "continue: {found}{tail}",
    "unchanged": "; amount {new} unchanged",
    "raise": "raise: {found}; amount {old} → {new} yuan/month",
    "lower": "lower: {found}; amount {old} → {new} yuan/month",
    "phase_out_running": "phase out: {found}; the phase-out runs its course",
    "phase_out": "phase out (渐退) may be granted: {found}",
    "exit": "exit: {found}",
    "eligible": "eligible: {found}{tail}",
    "monthly": "; {new} yuan/month",
    "not_eligible": "not eligible: {found}",
}
_FRAMES_ZH = {
    "cannot": "无法认定：{code} 在 {as_of} 未设定 `{missing}`",
    "below_standard": "家庭人均收入 {pci} 元低于保障标准 {std} 元：整户纳入",
    "single_person": "家庭人均收入 {pci} 元不低于保障标准 {std} 元；{covered} 人可按单人户纳入",
    "members_qualify": "{covered} 人符合特困供养条件，每人 {std} 元",
    "low_income": "低收入（{kind}）：家庭人均收入 {pci} 元，保障标准 {std} 元",
    "continue": "继续保障：{found}{tail}",
    "unchanged": "；金额 {new} 元不变",
    "raise": "提高补助：{found}；金额 {old} → {new} 元/月",
    "lower": "降低补助：{found}；金额 {old} → {new} 元/月",
    "phase_out_running": "渐退：{found}；渐退期照常进行",
    "phase_out": "可给予渐退期：{found}",
    "exit": "退出：{found}",
    "eligible": "符合条件：{found}{tail}",
    "monthly": "；每月 {new} 元",
    "not_eligible": "不符合条件：{found}",
}
_REASONS = {
    "nobody_alive": "no member is alive on {as_of}",
    "property_unknown": "cannot decide: property not yet assessed against the local rules",
    "property_over": "the household's property exceeds the local rules",
    "single_person_not_provided": "per-capita income {pci} is not below the standard {std}, and "
    "single-person enrolment is not provided for here",
    "not_below_standard": "per-capita income {pci} is not below the standard {std}; no member "
    "qualifies alone",
    "dibao_itself": "per-capita income {pci} is below the dibao standard {std}: a dibao household",
    "above_limits": "per-capita income {pci} is above the low-income limits of the standard {std}",
    "no_member_qualifies": "no member qualifies for tekun support",
    "members_undecided": "cannot decide for some members (a parameter not set, or property not "
    "assessed)",
}
_REASONS_ZH = {
    "nobody_alive": "{as_of} 家庭成员均已不在世",
    "property_unknown": "无法认定：尚未按当地规定核定家庭财产",
    "property_over": "家庭财产超出当地规定",
    "single_person_not_provided": "家庭人均收入 {pci} 元不低于保障标准 {std} 元，当地未规定单人户",
    "not_below_standard": "家庭人均收入 {pci} 元不低于保障标准 {std} 元，且无成员可按单人户纳入",
    "dibao_itself": "家庭人均收入 {pci} 元低于低保标准 {std} 元：属低保家庭",
    "above_limits": "家庭人均收入 {pci} 元高于按保障标准 {std} 元计算的低收入认定上限",
    "no_member_qualifies": "无成员符合特困供养条件",
    "members_undecided": "部分成员无法认定（参数未设定或财产未核定）",
}
_LOW_INCOME_ZH = {
    "dibao_household": "低保家庭",
    "marginal": "低保边缘家庭",
    "low_income_band": "低收入区间",
}


def _line(row: Mapping[str, Any], as_of: dt.date, code: str, zh: bool) -> str:
    frames, reasons = (_FRAMES_ZH, _REASONS_ZH) if zh else (_FRAMES, _REASONS)
    p, reason = row["proposal"], row["reason"]
    new, old = yuan(row["amount_fen"]), yuan(row["current_amount_fen"])
    facts = {
        "pci": yuan(row["pci_fen"]),
        "std": yuan(row["standard_fen"]),
        "covered": row["covered"],
        "as_of": as_of.isoformat(),
        "code": code,
        "missing": row["missing"],
    }
    if reason in ("standard_not_set", "marginal_not_set") or (
        row["status"] == "cannot_decide" and row["missing"]
    ):
        found = frames["cannot"].format(**facts)
    elif reason in ("below_standard", "single_person", "members_qualify"):
        found = frames[reason].format(**facts)
    elif reason in _LOW_INCOME_ZH:
        kind = _LOW_INCOME_ZH[reason] if zh else reason.replace("_", " ")
        found = frames["low_income"].format(kind=kind, **facts)
    else:
        found = reasons.get(reason, reason).format(**facts)
    if p == "continue":
        tail = frames["unchanged"].format(new=new) if row["amount_fen"] is not None else ""
        return frames["continue"].format(found=found, tail=tail)
    if p in ("raise", "lower"):
        return frames[p].format(found=found, old=old, new=new)
    if p == "phase_out":
        running = row["case_state"] == "phasing_out"
        return frames["phase_out_running" if running else "phase_out"].format(found=found)
    if p == "eligible":
        tail = frames["monthly"].format(new=new) if row["amount_fen"] is not None else ""
        return frames["eligible"].format(found=found, tail=tail)
    if p in ("exit", "not_eligible"):
        return frames[p].format(found=found)
    return found


def reason_line(row: Mapping[str, Any], as_of: dt.date, code: str) -> str:
    """What the run found for one result row, in one line (the full reasons come from the
    traced engine: :mod:`core.bulk.explain`)."""
    return _line(row, as_of, code, zh=False)


def reason_line_zh(row: Mapping[str, Any], as_of: dt.date, code: str) -> str:
    """:func:`reason_line` in Chinese, for the console (the same row, the same facts)."""
    return _line(row, as_of, code, zh=True)


def task_row(
    d: Mapping[str, Any], proposal: str, case_state: str | None, current_amount_fen: int | None
) -> dict[str, Any]:
    """The result row :func:`reason_line` reads, from what a stored review task keeps (its
    decision ``d`` as stored, its proposal, the case's state and amount)."""
    return {
        "proposal": proposal,
        "reason": d["reason"],
        "status": d["status"],
        "missing": d.get("missing"),
        "covered": d.get("covered") or 0,
        "pci_fen": d.get("pciFen"),
        "standard_fen": d.get("standardFen"),
        "amount_fen": d.get("amountFen"),
        "current_amount_fen": current_amount_fen,
        "case_state": case_state,
    }
