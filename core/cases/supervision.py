"""Digital supervision (数字监督): what the stored cases show to be wrong, as findings.

:func:`supervision_findings` looks at the cases within a jurisdiction (``code`` and under it,
by the case's stored county / prefecture / province) and returns a :class:`Finding` for each
problem. A finding that involves several cases (the same person in two cases) is reported when
*any* of them is within ``code``; the other cases may be anywhere in the country. The kinds are
stable strings:

``duplicate_dibao``
    The same person (ID number) is covered by two or more dibao cases in payment at once
    (``active`` or ``phasing_out``), in the same or different households and counties.
``dibao_and_tekun``
    The same person is covered by a dibao case and a tekun case in payment at once.
``deceased_active``
    A person covered by a case in payment died before ``as_of`` and the case has not recorded
    the death (``record_death`` adjusts the case or exits it). The date of death comes from the
    ``dateOfDeath`` of the person in any stored household record holding them, or from a death
    recorded on any other case of theirs (e.g. the tekun case recorded it, the dibao case did
    not); the earliest date is used.
``near_relative_without_county_visit``
    A filed near-relative case (备案, ``data.filed``) with no county home visit recorded
    (``data.countyHomeVisit``) that is confirmed and in payment (``active`` / ``phasing_out``),
    or whose publicity is over by ``as_of`` so that it is awaiting confirmation (``detail.stage``
    says which).
``spot_check_missing``
    A township decision selected for the county's spot-check (the case's recorded
    ``data.spotCheck.selected``) with no spot-check recorded (``done`` false) after the deadline:
    **the last day of the month after the decision** — the township confirmation of a dibao case
    (``data.decision.on``; the case still ``active`` or ``phasing_out``, so the check can still
    be recorded), or the township's first review of a tekun file (``data.firstReview.on``; the
    file still awaiting confirmation). Overdue when ``as_of`` is after the deadline.
``spot_check_floor``
    A county and month whose spot-checks fall short of the minimum the policy sets (不低于30%,
    50%以上: ⌈r·n⌉ of the n decisions of the month, :mod:`core.cases.selection`): fewer were
    selected than that (possible only for decisions counted in from before the running count),
    or, after the deadline (the last day of the following month), fewer checks were recorded
    (``detail`` gives the pool, the counts and the ratio).
``willing_not_placed``
    A tekun person in payment who wishes to live in a care institution and whom the policy says
    must be placed (``data.careWish.mustPlace``: Yunnan 002 二(二) 「确保有集中供养意愿的特困人员
    100%入住供养服务机构」, Yongning 004 二(三)6), not in centralised care (``data.care.mode``).
    Neither document sets a deadline: the finding says since when the wish is recorded.
``self_care_reassessment_overdue``
    A change of a tekun person's self-care reported (``data.selfCareChange``) and not reassessed
    by the county within ``withinWorkingDays`` working days of the report (特困人员认定办法 art.
    23); the due date is counted on the work calendar (provisional in a year without a holiday
    table, and the finding says so).

Who is covered by a case: ``data.membersCovered`` when the case recorded it (confirmation or
review with the eligibility engine, adjusted by deaths), otherwise the household's current
members (``household_members`` rows still active) less the deaths the case recorded.

The queries are set-based, a fixed number whatever the number of cases (ID lists are sent in
chunks): the cases in payment within ``code``; the member rows of their households and every
household that ever held one of the persons concerned; the cases and household documents of
those households.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from core.calendars.workdays import WorkCalendar, default_calendar
from core.cases import CaseState
from core.cases.selection import as_fraction, required
from core.eligibility import add_months
from core.policy.jurisdictions import JurisdictionRegistry, Level
from core.storage.engine import reading
from core.storage.scope import within_level
from core.storage.tables import CaseRow, HouseholdRow, MemberRow, SpotCheckTallyRow

DUPLICATE_DIBAO = "duplicate_dibao"
DIBAO_AND_TEKUN = "dibao_and_tekun"
DECEASED_ACTIVE = "deceased_active"
NEAR_RELATIVE_WITHOUT_COUNTY_VISIT = "near_relative_without_county_visit"
SPOT_CHECK_MISSING = "spot_check_missing"
SPOT_CHECK_FLOOR = "spot_check_floor"
WILLING_NOT_PLACED = "willing_not_placed"
SELF_CARE_REASSESSMENT_OVERDUE = "self_care_reassessment_overdue"

KINDS = (
    DUPLICATE_DIBAO,
    DIBAO_AND_TEKUN,
    DECEASED_ACTIVE,
    NEAR_RELATIVE_WITHOUT_COUNTY_VISIT,
    SPOT_CHECK_MISSING,
    SPOT_CHECK_FLOOR,
    WILLING_NOT_PLACED,
    SELF_CARE_REASSESSMENT_OVERDUE,
)
_POOL_WORDS = {
    "dibao_township_confirmation": "township dibao confirmations",
    "tekun_file": "township tekun files",
    "tekun_self_care": "township self-care assessments",
}

IN_PAYMENT = (CaseState.ACTIVE.value, CaseState.PHASING_OUT.value)
_TEKUN_PENDING = (CaseState.FIRST_REVIEWED.value, CaseState.IN_PUBLICITY.value)
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Finding:
    """One supervision finding. ``jurisdiction`` is the county of the (first) case concerned
    within the jurisdiction asked about; ``case_ids`` are sorted; ``detail`` is JSON-ready."""

    kind: str
    message: str
    jurisdiction: str
    case_ids: tuple[int, ...]
    person_id_number: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Case:
    id: int
    household_id: int
    program: str
    county: str
    prefecture: str | None
    province: str
    state: str
    data: Mapping[str, Any]


# -- helpers -----------------------------------------------------------------------------------


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    items = sorted(set(values))
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _scope(code: str, registry: JurisdictionRegistry) -> tuple[Level, str]:
    j = registry.get(code)
    return j.level, j.code


def _scope_filter(level: Level, code: str) -> ColumnElement[bool]:
    return within_level(CaseRow, level, code)


def _within(case: _Case, level: Level, code: str) -> bool:
    if level is Level.NATIONAL:
        return True
    value = {
        Level.PROVINCE: case.province,
        Level.PREFECTURE: case.prefecture,
        Level.COUNTY: case.county,
    }[level]
    return value == code


_CASE_COLUMNS = (
    CaseRow.id,
    CaseRow.household_id,
    CaseRow.program,
    CaseRow.county,
    CaseRow.prefecture,
    CaseRow.province,
    CaseRow.state,
    CaseRow.data,
)


def _cases(session: Session, *where: ColumnElement[bool]) -> list[_Case]:
    q = select(*_CASE_COLUMNS).where(*where).order_by(CaseRow.id)
    return [
        _Case(
            id=r.id,
            household_id=r.household_id,
            program=r.program,
            county=r.county,
            prefecture=r.prefecture,
            province=r.province,
            state=r.state,
            data=r.data or {},
        )
        for r in session.execute(q)
    ]


def _date(value: Any) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _deadline(decided: dt.date) -> dt.date:
    """The last day of the month after ``decided``."""
    return add_months(decided.replace(day=1), 2) - dt.timedelta(days=1)


def _recorded_deaths(case: _Case) -> dict[str, dt.date | None]:
    out: dict[str, dt.date | None] = {}
    for d in case.data.get("deaths") or ():
        if isinstance(d, Mapping) and d.get("idNumber"):
            out[str(d["idNumber"])] = _date(d.get("on"))
    return out


def _covered(case: _Case, active_members: Mapping[int, Sequence[str]]) -> list[str]:
    recorded = case.data.get("membersCovered")
    if isinstance(recorded, list):
        return [str(p) for p in recorded]
    dead = _recorded_deaths(case)
    return [p for p in active_members.get(case.household_id, ()) if p not in dead]


def _case_ref(case: _Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "program": case.program,
        "county": case.county,
        "householdId": case.household_id,
        "state": case.state,
    }


def _who(person: str, names: Mapping[str, str]) -> str:
    name = names.get(person)
    return f"{name} ({person})" if name else person


def _list_cases(cases: Sequence[_Case]) -> str:
    return ", ".join(f"case {c.id} ({c.program}, {c.county})" for c in cases)


# -- the findings ------------------------------------------------------------------------------


def supervision_findings(
    session: Session,
    registry: JurisdictionRegistry,
    code: str,
    as_of: dt.date,
    calendar: WorkCalendar | None = None,
) -> list[Finding]:
    """Every finding for the cases within ``code`` on ``as_of`` (see the module's docstring),
    ordered by kind (as in :data:`KINDS`), jurisdiction, cases and person. ``calendar`` counts
    working days (default: chinese-calendar and the law's days off)."""
    level, code = _scope(code, registry)
    calendar = calendar or default_calendar()
    with reading(session):
        findings = [
            *_people_findings(session, level, code, as_of),
            *_near_relative_findings(session, level, code, as_of),
            *_spot_check_findings(session, level, code, as_of),
            *_floor_findings(session, level, code, as_of),
            *_tekun_care_findings(session, level, code, as_of, calendar),
        ]
    order = {k: i for i, k in enumerate(KINDS)}
    findings.sort(
        key=lambda f: (order[f.kind], f.jurisdiction, f.case_ids, f.person_id_number or "")
    )
    return findings


def _people_findings(session: Session, level: Level, code: str, as_of: dt.date) -> list[Finding]:
    """duplicate_dibao, dibao_and_tekun and deceased_active: who is covered by what."""
    paid = CaseRow.state.in_(IN_PAYMENT)
    programs = CaseRow.program.in_(("dibao", "tekun"))
    ours = _cases(session, _scope_filter(level, code), paid, programs)
    if not ours:
        return []

    # Member rows of our households, then of every household that ever held one of the persons.
    rows: dict[int, tuple[int, str, str, bool]] = {}  # member row id -> (household, id, name, on)
    member_q = select(MemberRow.id, MemberRow.household_id, MemberRow.id_number, MemberRow.name,
                      MemberRow.active)  # fmt: skip
    for chunk in _chunks(c.household_id for c in ours):
        for mid, hid, number, name, active in session.execute(
            member_q.where(MemberRow.household_id.in_(chunk))
        ):
            rows[mid] = (hid, number, name, bool(active))
    active_members: dict[int, list[str]] = defaultdict(list)
    for hid, number, _, active in rows.values():
        if active:
            active_members[hid].append(number)
    persons = {p for c in ours for p in _covered(c, active_members)}
    for chunk in _chunks(persons):
        for mid, hid, number, name, active in session.execute(
            member_q.where(MemberRow.id_number.in_(chunk))
        ):
            rows[mid] = (hid, number, name, bool(active))
    households = {hid for hid, *_ in rows.values()} | {c.household_id for c in ours}
    # The active members of the other households too (their cases' fallback coverage).
    known = {c.household_id for c in ours}
    for chunk in _chunks(households - known):
        for mid, hid, number, name, active in session.execute(
            member_q.where(MemberRow.household_id.in_(chunk))
        ):
            rows[mid] = (hid, number, name, bool(active))
    active_members = defaultdict(list)
    names: dict[str, str] = {}
    for hid, number, name, active in rows.values():
        if active:
            active_members[hid].append(number)
        names.setdefault(number, name)

    # Every case of those households (any state: deaths recorded on closed cases count too).
    related: dict[int, _Case] = {}
    for chunk in _chunks(households):
        for c in _cases(session, CaseRow.household_id.in_(chunk)):
            related[c.id] = c

    # Dates of death: household documents, then deaths recorded on cases.
    died: dict[str, tuple[dt.date, str]] = {}

    def note_death(person: str, day: dt.date | None, source: str) -> None:
        if person in persons and day is not None and (person not in died or day < died[person][0]):
            died[person] = (day, source)

    for chunk in _chunks(households):
        for hid, document in session.execute(
            select(HouseholdRow.id, HouseholdRow.document).where(HouseholdRow.id.in_(chunk))
        ):
            for m in (document or {}).get("members") or ():
                if isinstance(m, Mapping) and m.get("dateOfDeath"):
                    note_death(str(m.get("idNumber")), _date(m["dateOfDeath"]), f"household {hid}")
    for c in related.values():
        for person, day in _recorded_deaths(c).items():
            note_death(person, day, f"case {c.id}")

    # Who is covered by which case in payment (ours and the related ones).
    covering: dict[str, list[_Case]] = defaultdict(list)
    in_payment = [c for c in related.values() if c.state in IN_PAYMENT and c.program in
                  ("dibao", "tekun")]  # fmt: skip
    for c in sorted(in_payment, key=lambda c: c.id):
        for person in dict.fromkeys(_covered(c, active_members)):
            if person in persons:
                covering[person].append(c)

    findings: list[Finding] = []
    for person in sorted(covering):
        cases = covering[person]
        mine = [c for c in cases if _within(c, level, code)]
        if not mine:
            continue
        where = mine[0].county
        dibao = [c for c in cases if c.program == "dibao"]
        tekun = [c for c in cases if c.program == "tekun"]
        who = _who(person, names)
        if len(dibao) > 1:
            findings.append(
                Finding(
                    DUPLICATE_DIBAO,
                    f"{who} is covered by {len(dibao)} dibao cases in payment: "
                    f"{_list_cases(dibao)}",
                    where,
                    tuple(c.id for c in dibao),
                    person,
                    {"name": names.get(person), "cases": [_case_ref(c) for c in dibao]},
                )
            )
        if dibao and tekun:
            both = sorted(dibao + tekun, key=lambda c: c.id)
            findings.append(
                Finding(
                    DIBAO_AND_TEKUN,
                    f"{who} is covered by dibao and tekun at once: {_list_cases(both)}",
                    where,
                    tuple(c.id for c in both),
                    person,
                    {"name": names.get(person), "cases": [_case_ref(c) for c in both]},
                )
            )
        death = died.get(person)
        if death is not None and death[0] < as_of:
            for c in mine:
                findings.append(
                    Finding(
                        DECEASED_ACTIVE,
                        f"{who} died on {death[0].isoformat()} (per {death[1]}) but case "
                        f"{c.id} ({c.program}, {c.state}) still covers them",
                        c.county,
                        (c.id,),
                        person,
                        {
                            "name": names.get(person),
                            "dateOfDeath": death[0].isoformat(),
                            "source": death[1],
                            "case": _case_ref(c),
                        },
                    )
                )
    return findings


def _near_relative_findings(
    session: Session, level: Level, code: str, as_of: dt.date
) -> list[Finding]:
    states = (*IN_PAYMENT, CaseState.IN_PUBLICITY.value)
    findings: list[Finding] = []
    for c in _cases(session, _scope_filter(level, code), CaseRow.state.in_(states)):
        if not c.data.get("filed") or c.data.get("countyHomeVisit"):
            continue
        if c.state in IN_PAYMENT:
            stage = "confirmed"
            message = (
                f"case {c.id} ({c.program}) of a staff member's near relative was confirmed "
                "without the county's home visit"
            )
        else:
            ends = _date((c.data.get("publicity") or {}).get("ends"))
            if ends is None or ends > as_of:
                continue
            stage = "awaiting_confirmation"
            message = (
                f"case {c.id} ({c.program}) of a staff member's near relative: publicity ended "
                f"on {ends.isoformat()} and the county has not visited the household"
            )
        findings.append(
            Finding(
                NEAR_RELATIVE_WITHOUT_COUNTY_VISIT,
                message,
                c.county,
                (c.id,),
                None,
                {
                    "stage": stage,
                    "nearRelatives": list(c.data.get("nearRelatives") or ()),
                    "case": _case_ref(c),
                },
            )
        )
    return findings


def _spot_check_findings(
    session: Session, level: Level, code: str, as_of: dt.date
) -> list[Finding]:
    dibao = (CaseRow.program == "dibao") & CaseRow.state.in_(IN_PAYMENT)
    tekun = (CaseRow.program == "tekun") & CaseRow.state.in_(_TEKUN_PENDING)
    findings: list[Finding] = []
    for c in _cases(session, _scope_filter(level, code), dibao | tekun):
        spot = c.data.get("spotCheck")
        if not isinstance(spot, Mapping) or not spot.get("selected") or spot.get("done"):
            continue
        if c.program == "dibao":
            decision = c.data.get("decision") or {}
            if decision.get("level", "township") != "township":
                continue
            decided, what = _date(decision.get("on")), "township confirmation"
        else:
            decided, what = _date((c.data.get("firstReview") or {}).get("on")), "first review"
        if decided is None:
            continue
        due = _deadline(decided)
        if as_of <= due:
            continue
        findings.append(
            Finding(
                SPOT_CHECK_MISSING,
                f"case {c.id} ({c.program}): {what} of {decided.isoformat()} selected for the "
                f"county spot-check, none recorded by {due.isoformat()}",
                c.county,
                (c.id,),
                None,
                {
                    "decidedOn": decided.isoformat(),
                    "due": due.isoformat(),
                    "ratio": spot.get("ratio"),
                    "case": _case_ref(c),
                },
            )
        )
    return findings


def _pool_of(program: str, data: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    """The (pool, month, check) a case's spot-checks joined (legacy cases: from their dates)."""
    out = []
    for key in ("spotCheck", "selfCareCheck"):
        spot = data.get(key)
        if not isinstance(spot, Mapping):
            continue
        pool, month = spot.get("pool"), spot.get("month")
        if pool is None:
            if key == "spotCheck" and program == "dibao":
                pool, on = "dibao_township_confirmation", (data.get("decision") or {}).get("on")
            elif key == "spotCheck" and program == "tekun":
                pool, on = "tekun_file", (data.get("firstReview") or {}).get("on")
            else:
                continue
            month = str(on)[:7] if on else None
        if month:
            out.append((str(pool), str(month), spot))
    return out


def _floor_findings(session: Session, level: Level, code: str, as_of: dt.date) -> list[Finding]:
    q = select(SpotCheckTallyRow)
    if level is not Level.NATIONAL:
        prefix = {Level.PROVINCE: code[:2], Level.PREFECTURE: code[:4], Level.COUNTY: code}[level]
        q = q.where(SpotCheckTallyRow.county.startswith(prefix))
    tallies = list(session.scalars(q))
    if not tallies:
        return []
    done: dict[tuple[str, str, str], int] = defaultdict(int)
    counties = sorted({t.county for t in tallies})
    for chunk in _chunks(counties):
        for c in _cases(
            session, CaseRow.county.in_(chunk), CaseRow.program.in_(("dibao", "tekun"))
        ):
            for pool, month, spot in _pool_of(c.program, c.data):
                if spot.get("done"):
                    done[(pool, c.county, month)] += 1
    findings = []
    for t in sorted(tallies, key=lambda t: (t.county, t.month, t.pool)):
        if not t.ratio or t.decisions <= 0:
            continue
        need = required(as_fraction(t.ratio), t.decisions)
        first = dt.date.fromisoformat(f"{t.month}-01")
        due = _deadline(first)
        checked = done[(t.pool, t.county, t.month)]
        short_selected = t.selected < need
        short_done = as_of > due and checked < need
        if not (short_selected or short_done):
            continue
        what = _POOL_WORDS.get(t.pool, t.pool)
        problems = []
        if short_selected:
            problems.append(f"{t.selected} selected")
        if short_done:
            problems.append(f"{checked} checked by {due.isoformat()}")
        findings.append(
            Finding(
                SPOT_CHECK_FLOOR,
                f"{t.county} {t.month}: {t.decisions} {what}, at least ⌈{t.ratio} × "
                f"{t.decisions}⌉ = {need} to be checked by the county; " + " and ".join(problems),
                t.county,
                (),
                None,
                {
                    "pool": t.pool,
                    "month": t.month,
                    "decisions": t.decisions,
                    "selected": t.selected,
                    "checked": checked,
                    "required": need,
                    "ratio": t.ratio,
                    "due": due.isoformat(),
                },
            )
        )
    return findings


def _tekun_care_findings(
    session: Session, level: Level, code: str, as_of: dt.date, calendar: WorkCalendar
) -> list[Finding]:
    findings = []
    active = (CaseRow.program == "tekun") & (CaseRow.state == CaseState.ACTIVE.value)
    for c in _cases(session, _scope_filter(level, code), active):
        wish = c.data.get("careWish")
        if isinstance(wish, Mapping) and wish.get("mustPlace"):
            care = c.data.get("care") or {}
            if care.get("mode") != "centralised":
                findings.append(
                    Finding(
                        WILLING_NOT_PLACED,
                        f"case {c.id} (tekun): the person wishes to live in a care institution "
                        f"(recorded {wish.get('on')}) and is not in centralised care",
                        c.county,
                        (c.id,),
                        None,
                        {"wishOn": wish.get("on"), "care": dict(care), "case": _case_ref(c)},
                    )
                )
        change = c.data.get("selfCareChange")
        if isinstance(change, Mapping) and not change.get("reassessedOn"):
            reported = _date(change.get("reportedOn"))
            days = change.get("withinWorkingDays")
            if reported is None or not isinstance(days, int):
                continue
            due = calendar.add_working_days(reported, days)
            if as_of <= due.date:
                continue
            years = ", ".join(map(str, due.uncovered_years))
            note = f" (provisional: no holiday schedule for {years})" if due.provisional else ""
            findings.append(
                Finding(
                    SELF_CARE_REASSESSMENT_OVERDUE,
                    f"case {c.id} (tekun): a change of self-care reported on "
                    f"{reported.isoformat()} is not reassessed by the county; due within {days} "
                    f"working days, by {due.date.isoformat()}{note}",
                    c.county,
                    (c.id,),
                    None,
                    {
                        "reportedOn": reported.isoformat(),
                        "due": due.date.isoformat(),
                        "provisional": due.provisional,
                        "case": _case_ref(c),
                    },
                )
            )
    return findings


def finding_to_json(f: Finding) -> dict[str, Any]:
    return {
        "kind": f.kind,
        "message": f.message,
        "jurisdiction": f.jurisdiction,
        "caseIds": list(f.case_ids),
        "personIdNumber": f.person_id_number,
        "detail": dict(f.detail),
    }


__all__ = [
    "DECEASED_ACTIVE",
    "DIBAO_AND_TEKUN",
    "DUPLICATE_DIBAO",
    "IN_PAYMENT",
    "KINDS",
    "NEAR_RELATIVE_WITHOUT_COUNTY_VISIT",
    "SELF_CARE_REASSESSMENT_OVERDUE",
    "SPOT_CHECK_FLOOR",
    "SPOT_CHECK_MISSING",
    "WILLING_NOT_PLACED",
    "Finding",
    "finding_to_json",
    "supervision_findings",
]
