"""Verification (核对) of a household's economic status, pure: the request, the report, the
adapter contract, and the built-in adapter that answers from imported department data.

A request names the household's members and its legal supporters (赡养、抚养、扶养义务人:
Yangquan 001 二(一): "县级民政部门要通过核对机构定期对救助对象家庭及相关的赡(抚、扶)养义务人家庭
的户籍、收入、财产状况进行复查"), the data kinds to ask about and the purpose (an application:
逢进必核, 001 二(五); or the periodic check of a case in payment, 核对排查: Yongfu 003 二(三)
"至少每半年对在享人员核对排查1次").

An adapter (a verification platform, ``doudi_verification_adapters``) answers per person and per
data kind, naming the batch (or the platform's own reference) each answer came from, and lists
its **warnings**: what the department data show that a rule says matters (a vehicle, a business,
a death ...). A report with no warning passes; one with warnings does not, and the case needs a
review — the official reads the warnings, never a bare flag.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.exchange.kinds import Catalog

ROLES = ("member", "supporter")  # a household member, or a legal supporter outside it
PURPOSES = ("application", "periodic")


@dataclass(frozen=True, slots=True)
class Person:
    id_number: str
    name: str
    role: str  # member / supporter
    relation: str = ""


@dataclass(frozen=True, slots=True)
class Request:
    household_id: int
    county: str
    program: str  # dibao / tekun
    on: dt.date
    purpose: str
    people: tuple[Person, ...]
    kinds: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class KindAnswer:
    kind: str
    found: int  # records found
    records: tuple[Mapping[str, Any], ...]
    batches: tuple[int, ...]  # the batches the answer came from
    as_of: dt.date | None  # the newest batch date consulted (None: no batch of the kind)
    warning: str | None = None  # why it matters, with the rule


@dataclass(frozen=True, slots=True)
class PersonAnswer:
    id_number: str
    name: str
    role: str
    kinds: tuple[KindAnswer, ...]


@dataclass(frozen=True, slots=True)
class Report:
    adapter: str
    number: str  # the report's number (the platform's, or doudi's for the built-in one)
    on: dt.date
    people: tuple[PersonAnswer, ...]
    not_covered: tuple[str, ...] = ()  # kinds asked for that no batch covers
    notes: tuple[str, ...] = field(default=())

    @property
    def warnings(self) -> list[str]:
        return [
            f"{p.name} ({p.role}): {k.warning}" for p in self.people for k in p.kinds if k.warning
        ]

    @property
    def passed(self) -> bool:
        return not self.warnings


class VerificationAdapter(Protocol):
    """What a verification platform plugs in as (``doudi_verification_adapters``)."""

    name: str

    def verify(self, request: Request) -> Report: ...


# The records the built-in adapter reads: (ID numbers, kinds) → {(id, kind): [(batch id,
# batch date, record dict)]}. The store supplies it (batches within the county's reach).
Lookup = Callable[
    [Sequence[str], Sequence[str]],
    Mapping[tuple[str, str], Sequence[tuple[int, dt.date, Mapping[str, Any]]]],
]


class DepartmentDataAdapter:
    """The built-in adapter: answers from the department batches imported into doudi."""

    name = "department_data"

    def __init__(
        self,
        catalog: Catalog,
        lookup: Lookup,
        batch_dates: Mapping[str, dt.date],
        number: Callable[[Request], str],
    ) -> None:
        self.catalog = catalog
        self.lookup = lookup
        self.batch_dates = batch_dates  # kind → newest batch date consulted
        self.number = number

    def _warning(self, kind: str, program: str, records: Sequence[Mapping[str, Any]],
                 on: dt.date) -> str | None:  # fmt: skip
        spec = self.catalog.get(kind)
        meaning = spec.meaning(program)
        if meaning is None or meaning.action in ("tag", "update_household") or not records:
            return None
        if kind == "deaths":
            dated = [r for r in records if r.get("死亡日期") and r["死亡日期"] <= on.isoformat()]
            if not dated:
                return None
        if kind == "business" and all(r.get("登记状态") in ("注销", "吊销") for r in records):
            return None
        cite = meaning.sources[0] if meaning.sources else None
        where = f" ({cite.document} {cite.section})" if cite else ""
        tail = f"; {meaning.not_set}" if meaning.not_set else ""
        return f"{spec.title_zh}: {meaning.summary_zh}{where}{tail}"

    def verify(self, request: Request) -> Report:
        numbers = [p.id_number for p in request.people]
        found = self.lookup(numbers, request.kinds)
        people = []
        for p in request.people:
            answers = []
            for kind in request.kinds:
                hits = found.get((p.id_number, kind), ())
                records = tuple(r for _b, _d, r in hits)
                answers.append(
                    KindAnswer(
                        kind=kind,
                        found=len(records),
                        records=records,
                        batches=tuple(sorted({b for b, _d, _r in hits})),
                        as_of=self.batch_dates.get(kind),
                        warning=self._warning(kind, request.program, records, request.on),
                    )
                )
            people.append(PersonAnswer(p.id_number, p.name, p.role, tuple(answers)))
        not_covered = tuple(k for k in request.kinds if k not in self.batch_dates)
        notes = []
        if not_covered:
            notes.append(
                "no department data of these kinds has been imported for the county, so they "
                "were not verified: " + ", ".join(not_covered)
            )
        return Report(
            adapter=self.name,
            number=self.number(request),
            on=request.on,
            people=tuple(people),
            not_covered=not_covered,
            notes=tuple(notes),
        )


def report_to_json(report: Report) -> dict[str, Any]:
    return {
        "adapter": report.adapter,
        "number": report.number,
        "on": report.on.isoformat(),
        "passed": report.passed,
        "warnings": report.warnings,
        "notCovered": list(report.not_covered),
        "notes": list(report.notes),
        "people": [
            {
                "idNumber": p.id_number,
                "name": p.name,
                "role": p.role,
                "kinds": [
                    {
                        "kind": k.kind,
                        "found": k.found,
                        "records": [dict(r) for r in k.records],
                        "batches": list(k.batches),
                        "asOf": k.as_of.isoformat() if k.as_of else None,
                        "warning": k.warning,
                    }
                    for k in p.kinds
                ],
            }
            for p in report.people
        ],
    }


__all__ = [
    "PURPOSES",
    "ROLES",
    "DepartmentDataAdapter",
    "KindAnswer",
    "Lookup",
    "Person",
    "PersonAnswer",
    "Report",
    "Request",
    "VerificationAdapter",
    "report_to_json",
]
