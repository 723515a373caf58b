"""Findings (疑点) and their tasks, as pure rules: the key that makes a finding unique, its
meaning as stored, the task's due date from the merged policy (working days), the outcomes a
task may have, and what supervision calls overdue.

A finding's **key** is the SHA-256 of its rule, subject (case or register entry), person and
record key — not of its batch: the same death reported again in next month's batch is the same
finding, raised once. A dismissed finding keeps its key, so it is not raised again either.

A task's **due date** is ``meaning.deadline_path`` working days after the day the finding was
raised, at the case's county, on the work calendar; where the path is not set there, the task
has no due date and says so (never a guessed one). Where no document sets a limit for verifying
a finding at all, :data:`core.exchange.kinds.DEADLINE_NOTE` says which limit doudi takes and why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.calendars.workdays import WorkCalendar
from core.eligibility import trace_entry
from core.errors import InvalidInput
from core.exchange.kinds import DEADLINE_NOTE, DEPARTMENTS, DataKind, Meaning
from core.policy.resolution import ResolvedPolicy

# What closes a task: a case step (the step's action), a register change, or a dismissal.
OUTCOMES = ("case_step", "household_updated", "tag", "exit_register", "reassessed", "dismissed")
CASE_STEPS = {
    "record_death": ("record_death",),
    "review": ("record_review", "start_phase_out", "exit_case", "record_verification"),
    "update_household": ("record_review",),
}


def finding_key(rule: str, subject: str, subject_id: int, id_number: str, record_key: str) -> str:
    text = "\x1f".join((rule, subject, str(subject_id), id_number, record_key))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def meaning_json(kind: DataKind, meaning: Meaning) -> dict[str, Any]:
    return {
        "kind": kind.id,
        "kindTitle": kind.title,
        "kindTitleZh": kind.title_zh,
        "departments": [DEPARTMENTS[d] for d in kind.departments],
        "program": meaning.program,
        "rule": meaning.rule,
        "severity": meaning.severity,
        "summary": meaning.summary,
        "summaryZh": meaning.summary_zh,
        "action": meaning.action,
        "level": meaning.level,
        "tag": meaning.tag,
        "sources": [
            {"document": c.document, "section": c.section, "quote": c.quote}
            for c in meaning.sources
        ],
        "notSet": meaning.not_set or None,
    }


@dataclass(frozen=True, slots=True)
class Deadline:
    due: dt.date | None
    provisional: bool
    path: str | None
    value: Any
    why: str  # how the due date was found, or why there is none

    def to_json(self) -> dict[str, Any]:
        return {
            "due": self.due.isoformat() if self.due else None,
            "provisional": self.provisional,
            "path": self.path,
            "value": self.value,
            "why": self.why,
        }


def task_deadline(
    meaning: Meaning, policy: ResolvedPolicy | None, calendar: WorkCalendar, opened: dt.date
) -> Deadline:
    """The due date of the task a finding opens (see the module's docstring)."""
    path = meaning.deadline_path
    if path is None or policy is None:
        return Deadline(
            None,
            False,
            path,
            None,
            "no document sets a time limit for this finding: the task has no due date",
        )
    param = policy.get(path)
    value = param.value
    if value is None:
        return Deadline(
            None,
            False,
            path,
            None,
            f"`{path}` is not set for {policy.jurisdiction.code}: the task has no due date",
        )
    due = calendar.add_working_days(opened, int(value))
    t = trace_entry(param)
    source = t.source.document.number or t.source.document.title if t.source else ""
    return Deadline(
        due.date,
        due.provisional,
        path,
        value,
        f"{value} working days ({path} = {value}, {source}); {DEADLINE_NOTE}",
    )


def check_outcome(
    meaning: Mapping[str, Any], outcome: str, *, reasons: str, action: str | None
) -> None:
    """INVALID_INPUT unless ``outcome`` (and the case step ``action``) can close a task of this
    meaning; a dismissal needs reasons."""
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome: one of {', '.join(OUTCOMES)}, not {outcome!r}")
    program, wanted = meaning["program"], meaning["action"]
    if outcome == "dismissed":
        if not reasons.strip():
            raise InvalidInput("reasons: a dismissal needs the reasons (核实情况)")
        return
    if outcome == "case_step":
        if program == "low_income":
            raise InvalidInput("a register entry has no case: choose another outcome")
        allowed = CASE_STEPS.get(wanted, ())
        if action not in allowed:
            raise InvalidInput(
                f"action: this finding is closed by {' / '.join(allowed) or 'no case step'}, "
                f"not {action!r}"
            )
        return
    allowed_outcomes = {
        "update_household": ("household_updated",),
        "tag": ("tag",),
        "exit": ("exit_register",),
        "reassess": ("reassessed", "exit_register"),
        "review": ("reassessed",) if program == "low_income" else (),
        "record_death": (),
    }.get(wanted, ())
    if outcome not in allowed_outcomes:
        raise InvalidInput(
            f"outcome: this finding ({wanted}) is closed by "
            + " / ".join([*(["case_step"] if wanted in CASE_STEPS else []), *allowed_outcomes,
                          "dismissed"])
        )  # fmt: skip


def is_overdue(status: str, due: dt.date | None, as_of: dt.date) -> bool:
    return status == "open" and due is not None and due < as_of


__all__ = [
    "CASE_STEPS",
    "OUTCOMES",
    "Deadline",
    "check_outcome",
    "finding_key",
    "is_overdue",
    "meaning_json",
    "task_deadline",
]
