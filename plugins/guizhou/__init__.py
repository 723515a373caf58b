"""Guizhou 贵州: Qiannan prefecture 黔南州 (522700), from its 2021 annual-review notice.

The notice (黔南州民政局, 关于开展2021年度低保年度核查暨社会救助相关工作通知) bears no date and
no document number; it concerns the 2021 annual review and raises the 1960s workers' relief "from
January 2021", so its values are dated from 2021-01-01 (see the document note in ``policy/``).

``source.txt`` is the document as published; every value in ``policy/`` quotes it. The plugin also
adds one program of its own, the relief for workers laid off in the 1960s (60年代精减退职工救济),
declares its parameter (``programs.retrenched_1960s_workers.monthly_amount``: the core catalog
knows nothing of it) and decides it (``doudi_evaluate_program``).

Read in the document but not in the catalog (so left out of ``policy/``):

- 分类施保: classified extra assistance for 10 categories of special-hardship persons (一);
- 三环节、十步骤: the "3 stages, 10 steps" procedure the case files follow (一);
- data sharing: beneficiary lists given in writing to the medical-insurance department by
  2021-02-25, then shared monthly (三);
- also: 100% training of review staff and 100% accuracy of disability living subsidies (一), the
  "death subsidy" monitoring mechanism (三), regular tekun visits and safety education (四), and
  the 2020 performance evaluation (五), none of which sets a catalog value.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.plugin.api import (
    Coverage,
    Decision,
    Document,
    MemberFinding,
    ParameterSpec,
    PolicyFile,
    Program,
    Source,
    hookimpl,
    not_set_message,
    policy_files_in,
    trace_entry,
)

if TYPE_CHECKING:
    from core.plugin.api import Household, ResolvedPolicy

# The same document as ``qiannan-2021-annual-review`` in policy/522700-qiannan.yaml.
DOCUMENT = Document(
    id="qiannan-2021-annual-review",
    title="关于开展2021年度低保年度核查暨社会救助相关工作通知",
    issuer="黔南州民政局",
    note=(
        "The notice bears no date and no document number. It concerns the 2021 annual review, "
        'raises the relief of 1960s laid-off workers "from January 2021" (2021 年 1 月起) and sets '
        "a 2021-02-25 deadline for sharing data with the medical-insurance department, so it was "
        "issued in early 2021; its values are dated from 2021-01-01."
    ),
)

_AMOUNT_PATH = "programs.retrenched_1960s_workers.monthly_amount"
# The program's own parameter: declared here, not in the core catalog. Amounts in yuan are set by
# local governments, so an official may also record it as a local setting.
_AMOUNT_SPEC = ParameterSpec(
    path=_AMOUNT_PATH,
    type="number",
    unit="yuan_per_month",
    description="Relief for workers laid off in the 1960s (a Guizhou program)",
    label_zh="60年代精减退职工救济标准",
    minimum=0,
)

RETRENCHED_1960S_WORKERS = Program(
    id="retrenched_1960s_workers",
    name="Relief for workers laid off in the 1960s",
    name_zh="60年代精减退职工救济",
    scope="522700",
    description=(
        "A monthly relief payment to workers laid off (精减退职) in the 1960s, reviewed every year "
        "together with the dibao annual review. From January 2021 Qiannan pays one standard across "
        "the prefecture, raised to 400 yuan per month, with arrears paid by June 2021."
    ),
    parameters=(_AMOUNT_SPEC,),
    source=Source(
        document=DOCUMENT,
        section="一",
        quote=(
            "同步开展 60 年代精减退职工年度核查,"
            "2021 年 1 月起,全州统一发放标准,救济标准提高到 400 元/月"
        ),
    ),
)


@hookimpl
def doudi_jurisdictions() -> list[Coverage]:
    return [Coverage("520000", "贵州省")]


@hookimpl
def doudi_policy_files() -> list[PolicyFile]:
    return policy_files_in(__name__)


@hookimpl
def doudi_programs() -> list[Program]:
    return [RETRENCHED_1960S_WORKERS]


RETRENCHED_TAG = "retrenched_1960s_worker"


@hookimpl
def doudi_evaluate_program(
    program_id: str, household: Household, policy: ResolvedPolicy, as_of: dt.date
) -> Decision | None:
    """1960s laid-off workers: every living member tagged ``retrenched_1960s_worker`` receives
    ``programs.retrenched_1960s_workers.monthly_amount`` (400 yuan from 2021-01 in Qiannan)."""
    if program_id != RETRENCHED_1960S_WORKERS.id:
        return None
    code = policy.jurisdiction.code
    param = policy.get(_AMOUNT_PATH)
    common: dict[str, Any] = {
        "program": program_id,
        "county": code,
        "as_of": as_of,
        "trace": (trace_entry(param),),
    }
    if RETRENCHED_1960S_WORKERS.scope not in {j.code for j in policy.chain}:
        return Decision(
            **common,
            status="ineligible",
            eligible=False,
            reasons=(f"The relief exists only in {RETRENCHED_1960S_WORKERS.scope} (黔南州).",),
        )
    workers = [m for m in household.members if RETRENCHED_TAG in m.tags and m.alive_on(as_of)]
    if not workers:
        return Decision(
            **common,
            status="ineligible",
            eligible=False,
            reasons=(
                "No living member is recorded as a worker laid off in the 1960s "
                f"(tag `{RETRENCHED_TAG}`).",
            ),
        )
    if not param.is_set:
        return Decision(
            **common,
            status="cannot_decide",
            eligible=None,
            missing=(_AMOUNT_PATH,),
            reasons=(not_set_message(_AMOUNT_PATH, code, as_of),),
        )
    each = Decimal(str(param.value)).quantize(Decimal("0.01"))
    total = each * len(workers)
    return Decision(
        **common,
        status="eligible",
        eligible=True,
        members_covered=tuple(m.id_number for m in workers),
        standard=each,
        standard_path=_AMOUNT_PATH,
        monthly_amount=total,
        members=tuple(
            MemberFinding(m.id_number, m.name, True, (RETRENCHED_TAG,), amount=each)
            for m in workers
        ),
        reasons=(
            f"{len(workers)} member(s) laid off in the 1960s receive {each} yuan/month each "
            f"(`{_AMOUNT_PATH}`): {total} yuan/month.",
        ),
    )
