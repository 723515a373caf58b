"""Benchmark: next-review dates and deadlines of 1,000,000 active cases in-process (issue 5, goal
at most 5 s), and one monthly payment run of 100,000 cases on PostgreSQL (goal at most 30 s).

    python benchmarks/schedules.py                          # 1,000,000 cases, best of 3, payments
    python benchmarks/schedules.py --cases 200000 --rounds 5 --no-payments
    python benchmarks/schedules.py --payments-database-url postgresql+psycopg://u@host/empty_db

Cases (not timed): ``--cases`` synthetic cases in payment spread over real counties the five
plugins cover — Qiannan's 12 (522700, Guizhou: annual review, monthly carer assessment, head
change), Yangquan's 5 (140300, Shanxi: reviews 12/6/3 months), Kunming's 14 (530100, Yunnan:
township confirmation), Yongfu (450326, Guangxi: 6-monthly verification and home visits) and
Yongning (640121, Ningxia: 18-month phase-out) — 90 % dibao and 10 % tekun, income classes 40 /
35 / 25 % stable / slow change / irregular with labour, decided over the six years before
``--as-of`` after the steps of the real chain (acceptance, home visit, verification, first
review, publicity), most reviewed in the last year, some with periodic verifications, home visits
and carer assessments recorded, 1 % with a death in the last half year, 3 % of dibao phasing out.
They are :class:`core.calendars.schedules.ScheduleRow` tuples, what
:mod:`core.calendars.schedules_store` builds from
the database rows.

Timed, best of ``--rounds``, each round with a new :class:`core.calendars.schedules.Planner` over
the
installed merged policy (no cache carried over; ``Planner.plan`` is what ``dueReviews``, the
calendar and the store call):

- ``due in window``: every case's next-review dates and open deadlines, keeping those due by
  ``--as-of`` + ``--window-days`` (the ``dueReviews`` / calendar question);
- ``all next reviews``: the same keeping every item (every next review of every case);
- ``every deadline``: every step's deadline of every case, done or not, and every next review;
- ``baseline``: the bare loop ``add_months(date.fromordinal(basis), 12)`` over the same rows (one
  month addition per case, nothing else), and each figure's ratio to it.

Also measured (on at most 100,000 cases): building the rows from case data as the machine stores
it (ISO dates in JSON), the store's per-row work before planning.

Payments: :func:`benchmarks.payments_run.measure_payment_run` (imported only with
``--payments``, the default) on ``--payments-database-url`` or a throwaway PostgreSQL cluster
(``tests.support.db_backends.PgCluster``, fsync off, as in the tests).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `core`, `benchmarks`, `tests` importable
    sys.path.insert(0, str(ROOT))

from core.calendars.schedules import Planner, ScheduleRow, schedule_row  # noqa: E402
from core.calendars.workdays import default_calendar  # noqa: E402
from core.cases import jsonable  # noqa: E402
from core.eligibility import add_months  # noqa: E402
from core.policy.service import PolicyBase, get_policy_base  # noqa: E402

GOAL_SECONDS = 5.0  # for GOAL_CASES cases
GOAL_CASES = 1_000_000
PAYMENT_GOAL_SECONDS = 30.0
# share of cases per area (prefecture or county code) of the five plugins
AREAS = (("522700", 0.25), ("140300", 0.20), ("530100", 0.30), ("450326", 0.15), ("640121", 0.10))
CLASSES = (("stable", 0.40), ("slow_change", 0.35), ("irregular_with_labour", 0.25))
EXTRACT_SAMPLE = 100_000


def counties(base: PolicyBase) -> list[tuple[str, float]]:
    """(county, weight): the area's counties share its weight."""
    out = []
    for code, weight in AREAS:
        j = base.registry.get(code)
        under = [c.code for c in base.registry.children(code)] if j.level.value != "county" else []
        for c in under or [code]:
            out.append((c, weight / len(under or [code])))
    return out


def make_rows(base: PolicyBase, n: int, as_of: dt.date, seed: int) -> list[ScheduleRow]:
    rnd = random.Random(seed)
    places = counties(base)
    county_pick = rnd.choices([c for c, _ in places], [w for _, w in places], k=n)
    class_pick = rnd.choices([c for c, _ in CLASSES], [w for _, w in CLASSES], k=n)
    today = as_of.toordinal()
    r = rnd.random
    ri = rnd.randrange
    rows = []
    for i in range(n):
        county = county_pick[i]
        tekun = r() < 0.10
        decided = today - ri(1, 6 * 365)
        pub = decided - 7 - ri(0, 11)
        first_review = pub - ri(1, 3)
        investigated = first_review - ri(1, 6)
        verified = investigated + ri(0, 6)
        opened = investigated - ri(1, 5)
        last_review = None
        if decided < today - 90 and r() < 0.85:
            last_review = max(decided + 30, today - ri(0, 365))
        guangxi = county == "450326"
        last_ver = today - ri(0, 200) if guangxi and r() < 0.7 else None
        last_visit = today - ri(0, 200) if guangxi and r() < 0.7 else None
        care_mode = last_care = care_from = None
        if tekun:
            care_mode = rnd.choice(("dispersed", "dispersed", "centralised", None))
            care_from = decided + ri(0, 20) if care_mode else None
            if county.startswith("5227") and r() < 0.8:
                last_care = today - ri(0, 40)
        deaths: tuple[tuple[int, bool], ...] = ()
        head_changed = None
        if r() < 0.01:
            died = today - ri(0, 180)
            deaths = ((died, r() < 0.5),)
            head_changed = died + ri(5, 40) if r() < 0.5 else None
        state, phase_out = "active", None
        if not tekun and r() < 0.03:
            state = "phasing_out"
            po_on = today - ri(0, 300)
            months = 6
            start = add_months(dt.date.fromordinal(po_on).replace(day=1), 1)
            last = add_months(start, months) - dt.timedelta(days=1)
            phase_out = (po_on, months, last.toordinal())
        rows.append(
            ScheduleRow(
                i + 1, county, "tekun" if tekun else "dibao", state, class_pick[i], opened,
                investigated, verified, first_review, pub, decided, False, None, last_review,
                last_ver, last_visit, care_mode, last_care, care_from, phase_out, deaths,
                head_changed, None, None,
            )
        )  # fmt: skip
    return rows


def case_data(row: ScheduleRow) -> dict[str, Any]:
    """The row as the state machine stores a case's data (for the extraction figure)."""

    def day(o: int | None) -> dt.date | None:
        return None if o is None else dt.date.fromordinal(o)

    data: dict[str, Any] = {
        "openedOn": day(row.opened),
        "investigations": [{"on": day(row.investigated), "investigators": ["甲", "乙"]}],
        "verification": {"on": day(row.verified), "passed": True},
        "firstReview": {"on": day(row.first_review)},
        "publicity": {"start": day(row.publicity_start), "days": 7},
        "decision": {"on": day(row.decided), "level": "county", "by": 1},
        "benefitFrom": day(row.decided),
        "amount": "310.00",
        "membersCovered": ["x", "y"],
    }
    if row.last_review is not None:
        data["lastReview"] = {"on": day(row.last_review), "status": "eligible"}
    if row.last_verification is not None:
        data["lastPeriodicVerification"] = {"on": day(row.last_verification), "passed": True}
    if row.last_home_visit is not None:
        data["lastHomeVisit"] = {"on": day(row.last_home_visit)}
    if row.care_mode is not None:
        data["care"] = {"mode": row.care_mode, "on": day(row.care_from)}
    if row.last_care is not None:
        data["lastCareAssessment"] = {"on": day(row.last_care)}
    return jsonable(data)  # type: ignore[no-any-return]


def best_of(rounds: int, work: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(rounds):
        t0 = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - t0)
    return best, result


def baseline(rows: list[ScheduleRow]) -> int:
    n = 0
    fromordinal = dt.date.fromordinal
    for row in rows:
        basis = row.last_review or row.decided
        if basis is not None:
            add_months(fromordinal(basis), 12)
            n += 1
    return n


def measure_schedules(cases: int, rounds: int, as_of: dt.date, window: int, seed: int) -> None:
    base = get_policy_base()
    calendar = default_calendar(base.holiday_tables)
    t0 = time.perf_counter()
    rows = make_rows(base, cases, as_of, seed)
    print(
        f"{cases:,} cases in payment over {len(counties(base))} counties built in "
        f"{time.perf_counter() - t0:.1f} s (not timed); as of {as_of}, best of {rounds} rounds"
    )
    until = as_of + dt.timedelta(days=window)

    def plan(**kw: Any) -> Callable[[], list[Any]]:
        return lambda: Planner.for_base(base, as_of, calendar).plan(rows, **kw)

    base_s, n = best_of(rounds, lambda: baseline(rows))
    print(f"  baseline (add_months per case) {base_s:7.3f} s  {n / base_s:>12,.0f} cases/s")
    figures = (
        (f"due in window (to {until})", plan(until=until)),
        ("all next reviews", plan(until=dt.date(9999, 12, 31))),
        ("every deadline and review", plan()),
    )
    for name, work in figures:
        seconds, items = best_of(rounds, work)
        kinds = len({i[4].kind for i in items})
        at_goal = seconds * GOAL_CASES / cases
        verdict = "meets" if at_goal <= GOAL_SECONDS else "misses"
        scaled = "" if cases == GOAL_CASES else f" (scaled to {GOAL_CASES:,}: {at_goal:.1f} s)"
        print(
            f"  {name:<32} {seconds:7.3f} s  {cases / seconds:>12,.0f} cases/s  "
            f"{len(items):>10,} items ({kinds} kinds)  x{seconds / base_s:.1f} baseline  "
            f"{verdict} the {GOAL_SECONDS:.0f} s goal{scaled}"
        )
        del items
    sample = rows[: min(cases, EXTRACT_SAMPLE)]
    documents = [(r.case_id, r.county, r.program, r.state, case_data(r), r.income_class)
                 for r in sample]  # fmt: skip
    seconds, _ = best_of(rounds, lambda: [schedule_row(*d) for d in documents])
    print(
        f"  rows from case data (store path) {seconds:7.3f} s for {len(sample):,} cases = "
        f"{seconds / len(sample) * 1e6:.1f} µs/case"
    )


def measure_payments(cases: int, database_url: str | None) -> None:
    try:
        from benchmarks.payments_run import measure_payment_run
    except ImportError as exc:
        print(f"payments: skipped ({exc})")
        return
    if database_url:
        result = measure_payment_run(database_url, cases)
    else:
        from tests.support.db_backends import PgCluster, PgServer, find_pg_bin

        bindir = find_pg_bin()
        if bindir is None:
            print("payments: skipped (PostgreSQL binaries not found; give --payments-database-url)")
            return
        cluster = PgCluster(bindir)
        try:
            cluster.start()
            result = measure_payment_run(PgServer(cluster.admin_url).create_database(), cases)
        finally:
            cluster.stop()
    seconds = float(result["seconds"])
    verdict = "meets" if seconds <= PAYMENT_GOAL_SECONDS else "misses"
    print(
        f"payments on {result['backend']}: one monthly run of {result['cases']:,} cases in "
        f"{seconds:.2f} s = {result['payments_per_s']:,} payments/s ({result['held']} held; "
        f"seeding {result['seed_seconds']} s, not timed); {verdict} the "
        f"{PAYMENT_GOAL_SECONDS:.0f} s goal"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 6, 1))
    ap.add_argument("--window-days", type=int, default=31)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--payments", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--payment-cases", type=int, default=100_000)
    ap.add_argument("--payments-database-url", default=None)
    args = ap.parse_args(argv)
    if args.cases < 1 or args.rounds < 1 or args.payment_cases < 1 or args.window_days < 0:
        ap.error("--cases, --rounds and --payment-cases must be positive")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load}")
    measure_schedules(args.cases, args.rounds, args.as_of, args.window_days, args.seed)
    if args.payments:
        measure_payments(args.payment_cases, args.payments_database_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
