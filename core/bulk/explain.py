"""The full trace of any household of a bulk run, one call away.

:func:`explain` reads the household's document from the snapshot the run decided (not from the
live register, which may have changed since), runs the traced per-household engine
(:func:`core.eligibility.evaluate`) on it with the same policy and date, and checks the traced
decision against the bulk row: status, mode, amount and the number of members covered. A
difference is reported as a parity failure — every explained household is one more check of the
differential guarantee.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pyarrow.compute as pc
import pyarrow.dataset as ds

from core.bulk.review import IN_PAYMENT
from core.bulk.snapshot import META_KEYS, Snapshot, SnapshotNotFound
from core.eligibility import Decision, evaluate
from core.households.model import Household, parse_household
from core.policy.service import PolicyBase


@dataclass(frozen=True)
class Explanation:
    household_id: int
    household_version: int
    program: str
    as_of: dt.date
    household: Household
    decision: Decision  # the traced decision (reasons, income computation, trace of parameters)
    agrees: bool | None  # None: no bulk row to compare with
    differences: tuple[str, ...]


def stored_document(snapshot: Snapshot, hh_id: int) -> tuple[dict[str, Any], int]:
    """The household's document as the snapshot holds it, and its version."""
    table = ds.dataset(str(snapshot.file("documents"))).to_table(filter=pc.field("hh_id") == hh_id)
    if table.num_rows == 0:
        raise SnapshotNotFound(f"household {hh_id} is not in snapshot {snapshot.id}")
    row = table.slice(0, 1).to_pylist()[0]
    doc = json.loads(row["document"])
    return {k: v for k, v in doc.items() if k not in META_KEYS}, int(row["version"])


def task_continuing(snapshot: Snapshot, hh_id: int) -> frozenset[str]:
    """The members the household's tekun cases in payment support, as the snapshot holds them:
    what an annual review keeps on (特困人员认定办法 art. 24), as :func:`core.bulk.jobs.review`
    and :func:`core.cases.machine.record_review` do."""
    table = ds.dataset(str(snapshot.file("cases"))).to_table(
        columns=["members_covered"],
        filter=(pc.field("hh_id") == hh_id)
        & (pc.field("program") == "tekun")
        & pc.field("state").isin(IN_PAYMENT),
    )
    return frozenset(
        n
        for covered in table.column("members_covered").to_pylist()
        for n in (covered or "").split(",")
        if n
    )


def _fen(value: Any) -> int | None:
    return None if value is None else int(value * 100)


def compare(decision: Decision, row: dict[str, Any]) -> list[str]:
    """How a bulk row (status, mode, covered, amount_fen) differs from the traced decision."""
    out = []
    if row.get("status") != decision.status:
        out.append(f"status: bulk {row.get('status')}, traced {decision.status}")
    if row.get("mode") != decision.mode:
        out.append(f"mode: bulk {row.get('mode')}, traced {decision.mode}")
    if row.get("covered") is not None and row["covered"] != len(decision.members_covered):
        out.append(
            f"members covered: bulk {row['covered']}, traced {len(decision.members_covered)}"
        )
    if "amount_fen" in row and row["amount_fen"] != _fen(decision.monthly_amount):
        out.append(
            f"amount: bulk {row['amount_fen']} fen, traced {_fen(decision.monthly_amount)} fen"
        )
    return out


def explain(
    snapshot: Snapshot,
    hh_id: int,
    program: str,
    as_of: dt.date,
    base: PolicyBase,
    bulk_row: dict[str, Any] | None = None,
    continuing: frozenset[str] = frozenset(),
) -> Explanation:
    """The traced decision of household ``hh_id`` of ``snapshot``, checked against ``bulk_row``.
    ``continuing``: the members a tekun case already supports (an annual review's task:
    :func:`task_continuing`); empty for a household decided as if it applied."""
    document, version = stored_document(snapshot, hh_id)
    household = parse_household(document, base.registry, dt.date.max)
    policy = base.resolve(household.county, as_of)
    if program == "tekun":
        decision = evaluate(household, program, policy, as_of, continuing=continuing)
    else:
        decision = evaluate(household, program, policy, as_of)
    diffs = compare(decision, bulk_row) if bulk_row is not None else []
    return Explanation(
        household_id=hh_id,
        household_version=version,
        program=program,
        as_of=as_of,
        household=household,
        decision=decision,
        agrees=None if bulk_row is None else not diffs,
        differences=tuple(diffs),
    )
