"""Cases in payment in the database, on SQLite and PostgreSQL: the store checks the order of
dates and refuses the future, reads the stored household for deaths and head changes, lists
cases within a jurisdiction, and keeps the audit chain whole when many officials write at once
(each step is decided in a read transaction and written in a short one).

No source document sets a dibao standard in yuan: the EXAMPLE standards of
:func:`tests.cases.test_cases.with_example_standards` are test values.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy import func, select

import core.cases.store as store
from core.access.roles import Forbidden, User
from core.access.tokens import create_user
from core.audit.verify import verify
from core.cases import (
    CaseState,
    HeadNotChanged,
    InvalidTransition,
    PaymentAccountRequired,
    VersionConflict,
)
from core.errors import InvalidInput
from core.households.store import create_household, get_household, update_household
from core.storage.tables import AuditEntryRow, CaseEventRow
from tests.support.households import household_doc, id_number
from tests.support.standards import with_example_standards

YUNNAN, SHANXI = "530102", "140302"
DAY0 = dt.date(2023, 9, 4)
AFTER = DAY0 + dt.timedelta(days=20)


@pytest.fixture(scope="module")
def base(base):
    return with_example_standards(base)


class World:
    def __init__(self, db: Any, base: Any, registry: Any) -> None:
        self.db, self.base, self.registry = db, base, registry
        self.users: dict[str, User] = {}
        for name, role, code in (
            ("clerk", "village_clerk", YUNNAN),
            ("officer", "township_officer", YUNNAN),
            ("approver", "county_approver", YUNNAN),
            ("auditor", "auditor", "530000"),
            ("outsider", "auditor", SHANXI),
        ):
            with db.sessions() as s:
                self.users[name], _ = create_user(s, name, role, code, registry)
        self.seq = 0

    def doc(self, seq: int, *, head: int = 0, holder: int | None = 0, dead=None) -> dict:
        """甲 (earning 1500), 乙, 丙; ``head`` and ``holder`` (of the payment account) by index,
        ``dead`` maps indexes to dates of death."""
        numbers = [id_number(YUNNAN, seq + i) for i in range(3)]
        names = ["甲", "乙", "丙"]
        people = [(numbers[i], names[i], "head" if i == head else "other") for i in range(3)]
        doc = household_doc(
            YUNNAN,
            *people,
            income=[{"kind": "wages", "monthlyAmount": 1500, "member": numbers[0]}],
            propertyWithinLocalRules=True,
        )
        for i, day in (dead or {}).items():
            doc["members"][i]["dateOfDeath"] = day
        if holder is not None:
            doc["paymentAccount"] = {
                "holderIdNumber": numbers[holder],
                "holderName": names[holder],
                "bank": "示例银行",
                "accountNumber": "62284800123456789",
            }
        return doc

    def household(self) -> tuple[int, int]:
        self.seq += 10
        with self.db.sessions() as s:
            h = create_household(
                s, self.users["clerk"], self.doc(self.seq), self.registry, today=dt.date(2025, 1, 1)
            )
        return h.id, self.seq

    def step(self, cid: int, action: str, who: str, on: dt.date, **kw: Any) -> Any:
        with self.db.sessions() as s:
            version = store.get_case(s, cid).version
            case, _ = store.apply_transition(
                s, self.base, cid, version, action, self.users[who], on, **kw
            )
        return case

    def active(self, hid: int) -> int:
        with self.db.sessions() as s:
            case, _ = store.open_case(
                s, self.base, self.users["officer"], DAY0, household_id=hid, program="dibao"
            )
        self.step(case.id, "record_investigation", "officer", DAY0, investigators=["甲", "乙"])
        self.step(case.id, "record_first_review", "officer", DAY0)
        self.step(case.id, "start_publicity", "officer", DAY0)
        self.step(case.id, "confirm_case", "officer", AFTER)
        return case.id

    def events(self) -> int:
        with self.db.sessions() as s:
            return int(s.scalar(select(func.count()).select_from(CaseEventRow)) or 0)


@pytest.fixture
def w(db, base, registry) -> World:
    return World(db, base, registry)


def test_the_store_refuses_the_future_and_steps_dated_before_the_last(w: World) -> None:
    hid, _ = w.household()
    cid = w.active(hid)
    before = w.events()
    with pytest.raises(InvalidInput) as e:
        w.step(cid, "record_work_refusal", "officer", AFTER - dt.timedelta(days=1))
    assert e.value.message == "on: 2023-09-23 is before the case's last step (2023-09-24)"
    with w.db.sessions() as s, pytest.raises(InvalidInput) as e:
        store.apply_transition(
            s, w.base, cid, 5, "record_work_refusal", w.users["officer"], dt.date(2024, 1, 2),
            not_after=dt.date(2024, 1, 1),
        )  # fmt: skip
    assert e.value.message == "on: 2024-01-02 is in the future"
    with w.db.sessions() as s, pytest.raises(InvalidInput):
        store.open_case(
            s, w.base, w.users["officer"], dt.date(2024, 1, 2), household_id=hid,
            program="tekun", not_after=dt.date(2024, 1, 1),
        )  # fmt: skip
    assert w.events() == before
    case = w.step(cid, "record_work_refusal", "officer", AFTER)  # the same day is fine
    assert case.version == 6


def test_death_and_head_change_read_the_stored_household(w: World) -> None:
    hid, seq = w.household()
    cid = w.active(hid)
    with w.db.sessions() as s:
        assert store.get_case(s, cid).data["amounts"] == [
            {"from": "2023-10-01", "amount": "900.00"}
        ]
    head = id_number(YUNNAN, seq)
    case = w.step(cid, "record_death", "clerk", dt.date(2024, 3, 5), id_number=head)
    # 乙 and 丙 without income: (800 - 0) × 2 from April
    assert case.data["amounts"][-1] == {"from": "2024-04-01", "amount": "1600.00"}
    assert case.data["headChangeRequired"] is True
    with pytest.raises(HeadNotChanged):
        w.step(cid, "record_head_change", "officer", dt.date(2024, 3, 20))

    def update(doc: dict) -> None:
        with w.db.sessions() as s:
            update_household(s, w.users["clerk"], hid, doc, w.registry, today=dt.date(2025, 1, 1))

    update(w.doc(seq, head=1, dead={0: "2024-03-05"}))
    with pytest.raises(PaymentAccountRequired):
        w.step(cid, "record_head_change", "officer", dt.date(2024, 3, 20))
    before = w.events()
    update(w.doc(seq, head=1, holder=2, dead={0: "2024-03-05"}))
    case = w.step(cid, "record_head_change", "approver", dt.date(2024, 3, 20))
    assert case.data["headChange"] == {
        "on": "2024-03-20",
        "headIdNumber": id_number(YUNNAN, seq + 1),
        "accountHolderIdNumber": id_number(YUNNAN, seq + 2),
    }
    assert w.events() == before + 1
    with w.db.sessions() as s:
        [event] = store.list_events(s, cid)[-1:]
        assert event.action == "record_head_change" and event.document["actor"]["name"] == (
            "approver"
        )
        assert store.verify_audit_chain(s) == []


def test_a_recorded_death_is_written_into_the_household(w: World) -> None:
    """The household, not the case, is what later decisions read (an annual review, another
    program's case, a verification): a death recorded on a case shows there too, in the same
    transaction and in the household's audit chain."""
    hid, seq = w.household()
    cid = w.active(hid)

    def household() -> Any:
        with w.db.sessions() as s:
            return get_household(s, w.users["auditor"], hid, w.registry)

    before = household()
    dead = id_number(YUNNAN, seq + 2)

    def fail(*_: Any) -> None:
        raise RuntimeError("the caller's own write failed")

    with w.db.sessions() as s, pytest.raises(RuntimeError):
        store.apply_transition(
            s, w.base, cid, 5, "record_death", w.users["clerk"], dt.date(2024, 3, 5),
            id_number=dead, date_of_death=dt.date(2024, 2, 28), then=fail,
        )  # fmt: skip
    assert household().version == before.version  # the step rolled back with the household

    w.step(cid, "record_death", "clerk", dt.date(2024, 3, 5), id_number=dead,
           date_of_death=dt.date(2024, 2, 28))  # fmt: skip
    after = household()
    assert after.version == before.version + 1
    assert [m.get("dateOfDeath") for m in after.document["members"]] == [None, None, "2024-02-28"]
    with w.db.sessions() as s:
        assert verify(s).problems == []
        [entry] = [
            e for e in s.scalars(select(AuditEntryRow).order_by(AuditEntryRow.id))
            if e.kind == "household.member_died"
        ]  # fmt: skip
        assert entry.document["householdId"] == hid and entry.document["caseId"] == cid
    # a second tekun/dibao step on the same person is refused before anything is written
    with pytest.raises(InvalidTransition):
        w.step(cid, "record_death", "clerk", dt.date(2024, 3, 6), id_number=dead)
    assert household().version == after.version


def test_read_and_list_cases_within_a_jurisdiction(w: World) -> None:
    first = w.active(w.household()[0])
    with w.db.sessions() as s:
        second, _ = store.open_case(
            s, w.base, w.users["officer"], DAY0, household_id=w.household()[0], program="tekun"
        )
    with w.db.sessions() as s:
        assert store.read_case(s, w.users["auditor"], first, w.registry).id == first
        with pytest.raises(Forbidden):
            store.read_case(s, w.users["outsider"], first, w.registry)
        within = store.list_cases(s, within=("530000", w.registry))
        assert [c.id for c in within] == [first, second.id]
        assert store.list_cases(s, within=("140000", w.registry)) == []
        assert [c.id for c in store.list_cases(s, within=("000000", w.registry))] == [
            first,
            second.id,
        ]
        assert [c.id for c in store.list_cases(s, state="accepted")] == [second.id]
        assert [c.id for c in store.list_cases(s, after=first)] == [second.id]


def test_many_officials_at_once_keep_the_chain_whole(w: World, monkeypatch) -> None:
    """Eight officials each take their own case through five steps at the same time; then
    four act on one case with the same version, all deciding before any writes (a barrier
    after the step is computed): exactly one wins, on both backends."""
    households = [w.household()[0] for _ in range(8)]
    with w.db.sessions() as s:
        case_ids = [
            store.open_case(s, w.base, w.users["officer"], DAY0, household_id=h, program="dibao")[
                0
            ].id
            for h in households
        ]
    start = threading.Barrier(len(case_ids), timeout=60)
    failures: list[BaseException] = []

    def run(cid: int) -> None:
        try:
            start.wait()
            w.step(cid, "record_investigation", "officer", DAY0, investigators=["甲", "乙"])
            w.step(cid, "record_first_review", "officer", DAY0)
            w.step(cid, "start_publicity", "officer", DAY0)
            w.step(cid, "confirm_case", "officer", AFTER)
            w.step(cid, "record_home_visit", "approver", AFTER, investigators=["丙", "丁"])
        except BaseException as exc:  # collected and reported below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in case_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert failures == []
    with w.db.sessions() as s:
        assert all(store.get_case(s, c).state is CaseState.ACTIVE for c in case_ids)
        assert store.verify_audit_chain(s) == []
    assert w.events() == 6 * len(case_ids)

    cid = case_ids[0]
    computed = threading.Barrier(4, timeout=60)
    original = store.ACTIONS["record_work_refusal"]

    def compute_then_wait(*args: Any, **kw: Any) -> Any:
        out = original(*args, **kw)
        computed.wait()
        return out

    monkeypatch.setitem(store.ACTIONS, "record_work_refusal", compute_then_wait)
    results: list[object] = []
    lock = threading.Lock()

    def refuse(n: int) -> None:
        try:
            with w.db.sessions() as s:
                r: object = store.apply_transition(
                    s, w.base, cid, 6, "record_work_refusal", w.users["officer"], AFTER,
                    note=f"#{n}",
                )  # fmt: skip
        except Exception as exc:  # collected and checked below
            r = exc
        with lock:
            results.append(r)

    threads = [threading.Thread(target=refuse, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(isinstance(r, tuple) for r in results) == 1, results
    assert sum(isinstance(r, VersionConflict) for r in results) == 3, results
    with w.db.sessions() as s:
        assert store.get_case(s, cid).version == 7
        assert store.verify_audit_chain(s) == []
