"""Households and decisions in the database (a repository over :mod:`core.storage.tables`).

Every function is one unit of work with its own transaction: pass a session that is not in a
transaction (a fresh one from the session factory). Either all of it is written or, on any error,
nothing is.

- A household is stored as its JSON document (:func:`core.households.model.household_to_json`, the
  format of the CLI file and the GraphQL input) plus a normalised ``household_members`` table.
- ``DUPLICATE_PERSON``: a person (ID number) may be an active member of one household only. It is
  checked before writing (to name the field at fault) and enforced by a partial unique index on
  the active members, so two officials saving the same person at the same moment cannot both win.
- Removing a member marks them inactive (with when and by whom); the history stays.
- Every household has a ``version``, increased by each change. Pass ``expected_version`` (the
  version you read) to refuse a change made on stale data (:class:`VersionConflict`); concurrent
  writers are caught by the database in any case.
- Lists are keyset-paginated by id, for Relay connections: ``first`` and ``after`` (an opaque
  cursor) give ``items``, ``end_cursor`` and ``has_next_page``.
- Who may do what is checked first (:func:`core.access.roles.authorize`), on the household's county.
- Every change is an entry in its county's ``households:`` audit chain (:mod:`core.audit`), with
  the digest of the household before and after, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from stdnum.cn import ric

from core.access.roles import Action, User, authorize, require
from core.audit import chain as ch
from core.audit.store import append_entry, household_row_digest
from core.errors import DoudiError, InvalidInput
from core.households.model import (
    FieldError,
    Household,
    Relation,
    household_to_json,
    parse_household,
)
from core.policy.jurisdictions import JurisdictionRegistry
from core.storage.cursors import decode_cursor, encode_cursor
from core.storage.engine import read_unit, reading, write_unit
from core.storage.scope import within
from core.storage.tables import DecisionRow, HouseholdRow, MemberRow, UserRow, utcnow

MAX_PAGE = 100
DEFAULT_PAGE = 20
ACTIVE_MEMBER_INDEX = "uq_household_members_active_id_number"


class NotFound(DoudiError):
    code = "NOT_FOUND"


class VersionConflict(DoudiError):
    code = "VERSION_CONFLICT"


class DuplicatePerson(DoudiError):
    """A person is already an active member of another household."""

    code = "DUPLICATE_PERSON"

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))


@dataclass(frozen=True, slots=True)
class MemberRecord:
    id_number: str
    name: str
    relation: str
    active: bool
    added_at: dt.datetime
    removed_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class HouseholdRecord:
    id: int
    county: str
    document: dict[str, Any]  # the household JSON (core.households.model format)
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    members: tuple[MemberRecord, ...]  # every member ever, active first, with history

    @property
    def cursor(self) -> str:
        return encode_cursor("household", self.id)

    def household(self, registry: JurisdictionRegistry) -> Household:
        """The household model (the stored document, validated again)."""
        return parse_household(self.document, registry, dt.date.max)


@dataclass(frozen=True, slots=True)
class HouseholdPage:
    items: tuple[HouseholdRecord, ...]
    end_cursor: str | None  # cursor of the last item (pass as ``after`` for the next page)
    has_next_page: bool


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    id: int
    household_id: int
    program: str
    as_of: dt.date
    user: str
    created_at: dt.datetime
    document: dict[str, Any]


# -- cursors -----------------------------------------------------------------------------------


# -- helpers -----------------------------------------------------------------------------------


def _parse(
    data: Mapping[str, Any] | Household, registry: JurisdictionRegistry, today: dt.date | None
) -> Household:
    if isinstance(data, Household):
        return data
    if today is None:
        from core.policy.service import today as china_today

        today = china_today()
    return parse_household(data, registry, today)


def _duplicates(session: Session, h: Household, household_id: int | None) -> list[FieldError]:
    numbers = [m.id_number for m in h.members]
    q = select(MemberRow.id_number).where(MemberRow.id_number.in_(numbers), MemberRow.active)
    if household_id is not None:
        q = q.where(MemberRow.household_id != household_id)
    taken = set(session.scalars(q))
    return [
        FieldError(
            f"members[{i}].idNumber",
            f"{m.id_number} ({m.name}) is already an active member of another household",
            "DUPLICATE_PERSON",
        )
        for i, m in enumerate(h.members)
        if m.id_number in taken
    ]


def _check_duplicates(session: Session, h: Household, household_id: int | None) -> None:
    errors = _duplicates(session, h, household_id)
    if errors:
        raise DuplicatePerson(errors)


def _is_active_member_clash(exc: IntegrityError) -> bool:
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None) == ACTIVE_MEMBER_INDEX:
        return True
    return "household_members.id_number" in str(orig)  # SQLite names the column, not the index


def _duplicate_after_race(
    session: Session, exc: IntegrityError, h: Household, household_id: int | None
) -> DoudiError | IntegrityError:
    """The error to raise when the unique index caught what the up-front check could not see."""
    if not _is_active_member_clash(exc):
        return exc
    with read_unit(session):
        errors = _duplicates(session, h, household_id)
    return DuplicatePerson(
        errors
        or [
            FieldError(
                "members",
                "a member was saved in another household at the same moment",
                "DUPLICATE_PERSON",
            )
        ]
    )


def _members(session: Session, household_ids: Sequence[int]) -> dict[int, list[MemberRow]]:
    out: dict[int, list[MemberRow]] = {i: [] for i in household_ids}
    if not household_ids:
        return out
    rows = session.scalars(
        select(MemberRow)
        .where(MemberRow.household_id.in_(household_ids))
        .order_by(MemberRow.household_id, MemberRow.active.desc(), MemberRow.id)
    )
    for r in rows:
        out[r.household_id].append(r)
    return out


def _record(row: HouseholdRow, members: Sequence[MemberRow]) -> HouseholdRecord:
    return HouseholdRecord(
        id=row.id,
        county=row.county,
        document=row.document,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        members=tuple(
            MemberRecord(m.id_number, m.name, m.relation, m.active, m.added_at, m.removed_at)
            for m in members
        ),
    )


def _load(session: Session, household_id: int) -> HouseholdRow:
    row = session.get(HouseholdRow, household_id)
    if row is None:
        raise NotFound(f"no household with id {household_id}")
    return row


def _check_version(row: HouseholdRow, expected: int | None) -> None:
    if expected is not None and row.version != expected:
        raise VersionConflict(
            f"household {row.id} has changed since it was read (version {expected}, now "
            f"{row.version}); load it again and re-apply the change"
        )


def _audit(
    session: Session,
    row: HouseholdRow,
    user: User,
    kind: str,
    before: str | None,
    **body: Any,
) -> None:
    """The change's entry in the household's county chain (after the row was flushed: its
    version is the new one and its row lock is held)."""
    append_entry(
        session,
        ch.chain_name(ch.HOUSEHOLDS, row.county),
        kind,
        user.id,
        [(ch.ref("household", row.id), before, household_row_digest(row))],
        householdId=row.id,
        version=row.version,
        **body,
    )


# -- households --------------------------------------------------------------------------------


def create_household(
    session: Session,
    user: User | None,
    data: Mapping[str, Any] | Household,
    registry: JurisdictionRegistry,
    *,
    today: dt.date | None = None,
) -> HouseholdRecord:
    """Validate and store a new household. Raises InvalidHousehold, DuplicatePerson, Forbidden."""
    user = require(user, Action.WRITE_HOUSEHOLDS)
    h = _parse(data, registry, today)
    authorize(user, Action.WRITE_HOUSEHOLDS, h.county, registry)
    try:
        with write_unit(session):
            _check_duplicates(session, h, None)
            row, members = _insert(session, user, h, registry, utcnow())
            record = _record(row, members)
    except IntegrityError as exc:
        raise _duplicate_after_race(session, exc, h, None) from exc
    return record


def _new_row(
    user: User, h: Household, registry: JurisdictionRegistry, now: dt.datetime
) -> HouseholdRow:
    """The row of a new household (not yet added to the session)."""
    prefecture, province = registry.prefecture_and_province(h.county)
    return HouseholdRow(
        county=h.county,
        prefecture=prefecture,
        province=province,
        document=household_to_json(h),
        created_at=now,
        updated_at=now,
        created_by=user.id,
        updated_by=user.id,
    )


def _member_rows(household_id: int, h: Household, now: dt.datetime) -> list[MemberRow]:
    """The member index rows of a new household."""
    return [
        MemberRow(
            household_id=household_id,
            id_number=m.id_number,
            name=m.name,
            relation=m.relation.value,
            active=True,
            added_at=now,
        )
        for m in h.members
    ]


def _insert(
    session: Session, user: User, h: Household, registry: JurisdictionRegistry, now: dt.datetime
) -> tuple[HouseholdRow, list[MemberRow]]:
    """Write a new household and its members (in the caller's write transaction), with its
    entry in the county's audit chain."""
    row = _new_row(user, h, registry, now)
    session.add(row)
    session.flush()
    members = _member_rows(row.id, h, now)
    session.add_all(members)
    session.flush()
    _audit(session, row, user, "household.created", None)
    return row, members


def _insert_many(
    session: Session,
    user: User,
    households: Sequence[Household],
    registry: JurisdictionRegistry,
    now: dt.datetime,
    **body: Any,
) -> list[HouseholdRow]:
    """Write many new households and their members with two flushes in all (an import of
    thousands pays one round of INSERTs per table, not two per household), and one entry per
    county in its audit chain listing every household created there (each with its digest,
    as :func:`core.audit.verify` checks it), so an import appends a few entries, not
    thousands. ``body``: what the entries say of the source (the file)."""
    rows = [_new_row(user, h, registry, now) for h in households]
    session.add_all(rows)
    session.flush()
    session.add_all(
        [m for row, h in zip(rows, households, strict=True) for m in _member_rows(row.id, h, now)]
    )
    session.flush()
    by_county: dict[str, list[HouseholdRow]] = {}
    for row in rows:
        by_county.setdefault(row.county, []).append(row)
    for county, created in sorted(by_county.items()):
        append_entry(
            session,
            ch.chain_name(ch.HOUSEHOLDS, county),
            "household.imported",
            user.id,
            [(ch.ref("household", r.id), None, household_row_digest(r)) for r in created],
            householdIds=[r.id for r in created],
            **body,
        )
    return rows


def update_household(
    session: Session,
    user: User | None,
    household_id: int,
    data: Mapping[str, Any] | Household,
    registry: JurisdictionRegistry,
    *,
    expected_version: int | None = None,
    today: dt.date | None = None,
) -> HouseholdRecord:
    """Replace a household's document. Members no longer listed are marked removed; new ones
    are added (DuplicatePerson if active elsewhere). The county may change within scope."""
    user = require(user, Action.WRITE_HOUSEHOLDS)
    h = _parse(data, registry, today)
    authorize(user, Action.WRITE_HOUSEHOLDS, h.county, registry)
    try:
        with write_unit(session):
            row = _load(session, household_id)
            authorize(user, Action.WRITE_HOUSEHOLDS, row.county, registry)
            _check_version(row, expected_version)
            _check_duplicates(session, h, household_id)
            _replace(session, user, row, h, registry, utcnow())
            record = _record(row, _members(session, [row.id])[row.id])
    except IntegrityError as exc:
        raise _duplicate_after_race(session, exc, h, household_id) from exc
    except StaleDataError:
        raise VersionConflict(
            f"household {household_id} was changed by someone else at the same time; "
            "load it again and re-apply the change"
        ) from None
    return record


def _replace(
    session: Session,
    user: User,
    row: HouseholdRow,
    h: Household,
    registry: JurisdictionRegistry,
    now: dt.datetime,
    **body: Any,
) -> None:
    """Replace a stored household's document and members (in the caller's write transaction):
    members no longer listed are marked removed, new ones added; an entry in the county's
    audit chain."""
    prefecture, province = registry.prefecture_and_province(h.county)
    assert province is not None  # a household's county always lies in a province
    before = household_row_digest(row)
    current = {
        m.id_number: m
        for m in session.scalars(
            select(MemberRow).where(MemberRow.household_id == row.id, MemberRow.active)
        )
    }
    wanted = {m.id_number: m for m in h.members}
    for number, m in current.items():
        if number not in wanted:
            m.active, m.removed_at, m.removed_by = False, now, user.id
        else:
            m.name, m.relation = wanted[number].name, wanted[number].relation.value
    session.flush()  # deactivate before inserting (the index sees one active row)
    for number, new in wanted.items():
        if number not in current:
            session.add(
                MemberRow(
                    household_id=row.id,
                    id_number=number,
                    name=new.name,
                    relation=new.relation.value,
                    active=True,
                    added_at=now,
                )
            )
    row.county = h.county
    row.prefecture = prefecture
    row.province = province
    row.document = household_to_json(h)
    row.updated_at, row.updated_by = now, user.id
    session.flush()
    _audit(session, row, user, "household.updated", before, **body)


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: tuple[int, ...]  # ids of the households created, in the order given
    updated: tuple[int, ...]


def import_households(
    session: Session,
    user: User | None,
    creates: Sequence[Household],
    updates: Sequence[tuple[int, int, Household]],
    registry: JurisdictionRegistry,
    *,
    also: Callable[[Session, ImportResult], None] | None = None,
    source: Mapping[str, Any] | None = None,
) -> ImportResult:
    """Create ``creates`` and replace ``updates`` ((household id, the version read, household))
    in ONE transaction: all of them or, on any error, none. The same checks as
    :func:`create_household` and :func:`update_household` (scope of every household, versions,
    DUPLICATE_PERSON); ``also`` runs in the same transaction at the end (e.g. the import's
    provenance). Every household written is in its county's audit chain; ``source`` (the
    file's name and hash) goes into those entries."""
    user = require(user, Action.WRITE_HOUSEHOLDS)
    for h in [*creates, *(u[2] for u in updates)]:
        authorize(user, Action.WRITE_HOUSEHOLDS, h.county, registry)
    body = {"source": dict(source)} if source else {}
    try:
        with write_unit(session):
            now = utcnow()
            updated: list[int] = []
            rows = {
                r.id: r
                for r in session.scalars(
                    select(HouseholdRow).where(HouseholdRow.id.in_([u[0] for u in updates]))
                )
            }
            for household_id, version, h in updates:
                row = rows.get(household_id)
                if row is None:
                    raise NotFound(f"no household with id {household_id}")
                authorize(user, Action.WRITE_HOUSEHOLDS, row.county, registry)
                _check_version(row, version)
                _replace(session, user, row, h, registry, now, **body)
                updated.append(row.id)
            created = [
                row.id for row in _insert_many(session, user, creates, registry, now, **body)
            ]
            result = ImportResult(tuple(created), tuple(updated))
            if also is not None:
                also(session, result)
    except IntegrityError as exc:
        if _is_active_member_clash(exc):
            raise DuplicatePerson(
                [
                    FieldError(
                        "members",
                        "a member was saved in another household at the same moment; import again",
                        "DUPLICATE_PERSON",
                    )
                ]
            ) from exc
        raise
    except StaleDataError:
        raise VersionConflict(
            "a household was changed by someone else at the same time; import again"
        ) from None
    return result


def active_households_of(
    session: Session, id_numbers: Sequence[str]
) -> dict[str, tuple[int, int, dict[str, Any]]]:
    """ID number → (household id, version, document) of the household each person is an active
    member of (people in none are left out)."""
    out: dict[str, tuple[int, int, dict[str, Any]]] = {}
    with reading(session):
        for chunk in (id_numbers[i : i + 500] for i in range(0, len(id_numbers), 500)):
            q = (
                select(MemberRow.id_number, HouseholdRow.id, HouseholdRow.version,
                       HouseholdRow.document)
                .join(HouseholdRow, HouseholdRow.id == MemberRow.household_id)
                .where(MemberRow.id_number.in_(chunk), MemberRow.active)
            )  # fmt: skip
            for number, hid, version, document in session.execute(q):
                out[number] = (hid, version, document)
    return out


def remove_member(
    session: Session,
    user: User | None,
    household_id: int,
    id_number: str,
    registry: JurisdictionRegistry,
    *,
    expected_version: int | None = None,
) -> HouseholdRecord:
    """Mark a member removed (kept as history) and drop them, with their own income and expense
    items, from the household document. The head cannot be removed: make someone else head first;
    nor the holder of the payment account: record another account first.
    """
    user = require(user, Action.WRITE_HOUSEHOLDS)
    number = ric.compact(id_number)
    try:
        with write_unit(session):
            row = _load(session, household_id)
            authorize(user, Action.WRITE_HOUSEHOLDS, row.county, registry)
            _check_version(row, expected_version)
            member = session.scalar(
                select(MemberRow).where(
                    MemberRow.household_id == household_id,
                    MemberRow.id_number == number,
                    MemberRow.active,
                )
            )
            if member is None:
                raise NotFound(f"{number} is not a member of household {household_id}")
            if member.relation == Relation.HEAD.value:
                raise InvalidInput(
                    "the head of household cannot be removed; make another member the head "
                    "first (update the household)"
                )
            doc = dict(row.document)
            account = doc.get("paymentAccount")
            if account and ric.compact(account["holderIdNumber"]) == number:
                raise InvalidInput(
                    f"{number} holds the household's payment account (paymentAccount); record "
                    "another member's account first (update the household)"
                )
            doc["members"] = [m for m in doc["members"] if m["idNumber"] != number]
            for key in ("income", "expenses"):
                doc[key] = [x for x in doc.get(key, []) if x.get("member") != number]
            h = parse_household(doc, registry, dt.date.max)  # still a valid household
            before = household_row_digest(row)
            now = utcnow()
            member.active, member.removed_at, member.removed_by = False, now, user.id
            row.document = household_to_json(h)
            row.updated_at, row.updated_by = now, user.id
            session.flush()
            _audit(session, row, user, "household.member_removed", before, member=number)
            record = _record(row, _members(session, [row.id])[row.id])
    except StaleDataError:
        raise VersionConflict(
            f"household {household_id} was changed by someone else at the same time; "
            "load it again and re-apply the change"
        ) from None
    return record


def note_member_death(
    session: Session,
    user: User,
    household_id: int,
    id_number: str,
    died: dt.date,
    registry: JurisdictionRegistry,
    **body: Any,
) -> bool:
    """Write a death recorded on a case (``record_death``) into the household: the member's
    ``dateOfDeath`` becomes ``died``, with an entry in the county's household chain. Runs in
    the caller's write transaction, so the case step and the household stand or fall together;
    the caller has already checked that ``user`` may record the death. Returns False when the
    household already showed that date (nothing written).

    Without this the household kept the member alive: every later decision made from the
    household (an annual review, another program's case, a verification) counted the dead."""
    row = _load(session, household_id)
    number = ric.compact(id_number)
    doc = dict(row.document)
    members = [dict(m) for m in doc["members"]]
    found = [m for m in members if ric.compact(m["idNumber"]) == number]
    if not found:
        raise NotFound(f"{number} is not a member of household {household_id}")
    if found[0].get("dateOfDeath") == died.isoformat():
        return False
    found[0]["dateOfDeath"] = died.isoformat()
    doc["members"] = members
    h = parse_household(doc, registry, dt.date.max)  # still a valid household (death ≥ birth)
    before = household_row_digest(row)
    row.document = household_to_json(h)
    row.updated_at, row.updated_by = utcnow(), user.id
    session.flush()
    _audit(session, row, user, "household.member_died", before, member=number, **body)
    return True


def get_household(
    session: Session, user: User | None, household_id: int, registry: JurisdictionRegistry
) -> HouseholdRecord:
    user = require(user, Action.READ_HOUSEHOLDS)
    with reading(session):
        row = _load(session, household_id)
        authorize(user, Action.READ_HOUSEHOLDS, row.county, registry)
        return _record(row, _members(session, [row.id])[row.id])


def read_households(
    session: Session,
    user: User | None,
    household_ids: Iterable[int],
    registry: JurisdictionRegistry,
) -> dict[int, HouseholdRecord | DoudiError]:
    """Several households at once, for lists that show each item's household (two statements
    whatever their number): each id maps to its record, or to the error reading it alone would
    raise (NOT_FOUND, FORBIDDEN), so that one household out of reach fails only its own item."""
    user = require(user, Action.READ_HOUSEHOLDS)
    ids = sorted(set(household_ids))
    out: dict[int, HouseholdRecord | DoudiError] = {}
    if not ids:
        return out
    with reading(session):
        found = session.scalars(select(HouseholdRow).where(HouseholdRow.id.in_(ids)))
        rows = {r.id: r for r in found}
        readable = []
        for i in ids:
            row = rows.get(i)
            if row is None:
                out[i] = NotFound(f"no household with id {i}")
                continue
            try:
                authorize(user, Action.READ_HOUSEHOLDS, row.county, registry)
            except DoudiError as exc:
                out[i] = exc
                continue
            readable.append(i)
        members = _members(session, readable)
    for i in readable:
        out[i] = _record(rows[i], members[i])
    return out


def _in_scope(code: str, registry: JurisdictionRegistry) -> ColumnElement[bool]:
    """Households at ``code`` or under it (by the stored province / prefecture / county)."""
    return within(HouseholdRow, code, registry)


def list_households(
    session: Session,
    user: User | None,
    jurisdiction: str,
    registry: JurisdictionRegistry,
    *,
    first: int = DEFAULT_PAGE,
    after: str | None = None,
) -> HouseholdPage:
    """Households at ``jurisdiction`` and under it, oldest first, ``first`` at a time."""
    authorize(user, Action.READ_HOUSEHOLDS, jurisdiction, registry)
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"first must be between 1 and {MAX_PAGE}")
    q = select(HouseholdRow).where(_in_scope(jurisdiction, registry))
    if after is not None:
        q = q.where(HouseholdRow.id > decode_cursor("household", after))
    q = q.order_by(HouseholdRow.id).limit(first + 1)
    with reading(session):
        rows = list(session.scalars(q))
        more = len(rows) > first
        rows = rows[:first]
        members = _members(session, [r.id for r in rows])
        items = tuple(_record(r, members[r.id]) for r in rows)
    return HouseholdPage(items, items[-1].cursor if items else None, more)


MAX_SEARCH = 50


def search_households(
    session: Session,
    user: User | None,
    jurisdiction: str,
    registry: JurisdictionRegistry,
    text: str,
    *,
    limit: int = 20,
) -> list[HouseholdRecord]:
    """Households at ``jurisdiction`` and under it with an active member whose name contains
    ``text``, or whose resident ID number starts with it (at least 6 characters) or is it;
    newest change first, at most ``limit``."""
    authorize(user, Action.READ_HOUSEHOLDS, jurisdiction, registry)
    words = text.strip()
    if not words:
        raise InvalidInput("text: a name or an ID number (or its first digits)")
    if len(words) > 100:
        raise InvalidInput("text: at most 100 characters")
    if not 1 <= limit <= MAX_SEARCH:
        raise InvalidInput(f"first must be between 1 and {MAX_SEARCH}")
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    match: ColumnElement[bool] = MemberRow.name.like(f"%{escaped}%", escape="\\")
    number = words.replace(" ", "").upper()
    if len(number) >= 6 and number[:-1].isdigit() and number[-1] in "0123456789X":
        match = match | MemberRow.id_number.like(f"{number}%")
    ids = (
        select(MemberRow.household_id)
        .where(MemberRow.active, match)
        .distinct()
        .scalar_subquery()
    )
    q = (
        select(HouseholdRow)
        .where(_in_scope(jurisdiction, registry), HouseholdRow.id.in_(ids))
        .order_by(HouseholdRow.updated_at.desc(), HouseholdRow.id.desc())
        .limit(limit)
    )
    with reading(session):
        rows = list(session.scalars(q))
        members = _members(session, [r.id for r in rows])
        return [_record(r, members[r.id]) for r in rows]


# -- decisions ---------------------------------------------------------------------------------


def _json_document(value: Mapping[str, Any]) -> dict[str, Any]:
    """A plain JSON copy (Decimal and dates become strings)."""
    out = json.loads(json.dumps(value, default=str, ensure_ascii=False))
    if not isinstance(out, dict):  # pragma: no cover - a Mapping dumps to an object
        raise InvalidInput("a decision must be a JSON object")
    return out


def _decision(row: DecisionRow, user_name: str) -> DecisionRecord:
    return DecisionRecord(
        row.id, row.household_id, row.program, row.as_of, user_name, row.created_at, row.document
    )


def record_decision(
    session: Session,
    user: User | None,
    household_id: int,
    program: str,
    as_of: dt.date,
    decision: Mapping[str, Any],
    registry: JurisdictionRegistry,
) -> DecisionRecord:
    """Store an eligibility decision (its JSON) given for a stored household."""
    user = require(user, Action.RECORD_DECISIONS)
    document = _json_document(decision)
    with write_unit(session):
        row = _load(session, household_id)
        authorize(user, Action.RECORD_DECISIONS, row.county, registry)
        d = DecisionRow(
            household_id=household_id,
            program=program,
            as_of=as_of,
            user_id=user.id,
            created_at=utcnow(),
            document=document,
        )
        session.add(d)
        session.flush()
        return _decision(d, user.name)


def list_decisions(
    session: Session,
    user: User | None,
    household_id: int,
    registry: JurisdictionRegistry,
    *,
    program: str | None = None,
) -> list[DecisionRecord]:
    """A household's decisions, newest first."""
    user = require(user, Action.READ_DECISIONS)
    with reading(session):
        row = _load(session, household_id)
        authorize(user, Action.READ_DECISIONS, row.county, registry)
        q = (
            select(DecisionRow, UserRow.name)
            .join(UserRow, UserRow.id == DecisionRow.user_id)
            .where(DecisionRow.household_id == household_id)
            .order_by(DecisionRow.id.desc())
        )
        if program is not None:
            q = q.where(DecisionRow.program == program)
        return [_decision(d, name) for d, name in session.execute(q)]


__all__ = [
    "ACTIVE_MEMBER_INDEX",
    "DecisionRecord",
    "DuplicatePerson",
    "HouseholdPage",
    "HouseholdRecord",
    "ImportResult",
    "MemberRecord",
    "NotFound",
    "VersionConflict",
    "active_households_of",
    "create_household",
    "get_household",
    "import_households",
    "list_decisions",
    "list_households",
    "read_households",
    "record_decision",
    "remove_member",
    "update_household",
]
