"""Local settings: values officials set for their jurisdiction, validated, audited, layered.

Standards in yuan are set by local governments every year. An authorised official (a county
approver or province administrator, within their jurisdiction) records a value for a catalog
path at a jurisdiction, from a date (optionally until a date), citing a source in their own words.
:func:`set_local_parameter`:

1. checks the user may (:mod:`core.access.auth`), the path is in the catalog and the value fits its
   type (:func:`core.policy.catalog.check_value`);
2. builds the merged policy as it would be with the new value and **rejects** it if it breaks a
   plugin's rule (a :attr:`~core.policy.constraints.ViolationKind.CONSTRAINT` — e.g. Yunnan's "tekun
   standard at least 1.3 × the urban dibao standard") at that jurisdiction or at any jurisdiction
   under it that has values of its own, on the effective date and on every later date in the
   value's span where something it is checked against changes;
3. writes the setting and an audit row (who, when, where, path, the value before and after, the
   source) in one transaction, and bumps the local-settings *revision* that
   :class:`core.policy.provider.PolicyProvider` watches.

A setting applies from its date until its ``until`` (inclusive) or until the next setting of the
same path at the same jurisdiction starts, whichever is first; setting the same date again
replaces the value (the audit row keeps the old one). :func:`local_layers` turns the stored
settings into :class:`~core.policy.model.Layer` s of kind ``local`` (origin ``"local"``), which
win over plugin data at the same jurisdiction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from threading import Lock
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from core.access.auth import Action, User, authorize, require
from core.errors import DoudiError, InvalidInput, UnknownJurisdiction
from core.plugin.hookspecs import Document, Source
from core.policy.catalog import check_value, locally_settable
from core.policy.constraints import CheckStatus, ConstraintCheck, ViolationKind, check_constraints
from core.policy.jurisdictions import Jurisdiction, JurisdictionRegistry
from core.policy.model import DatedValue, Layer, LayerKind, LayerRef
from core.policy.resolution import PolicyIndex, resolve, resolve_parameter
from core.policy.service import PolicyBase
from core.storage.engine import reading, write_unit
from core.storage.models import LocalSettingAuditRow, LocalSettingRow, RevisionRow, UserRow, utcnow

log = logging.getLogger(__name__)

LOCAL_ORIGIN = "local"
MAX_SOURCE_TEXT = 2000
_DAY = dt.timedelta(days=1)


class NotLocallySettable(DoudiError):
    code = "NOT_LOCALLY_SETTABLE"


class ConstraintRejected(DoudiError):
    """The value would break a plugin's rule; nothing was written."""

    code = "CONSTRAINT_VIOLATION"

    def __init__(self, problems: Sequence[Rejection]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            "rejected: the value would break "
            + ("a rule" if len(self.problems) == 1 else f"{len(self.problems)} rules")
            + ":\n"
            + "\n".join(f"  - {p.message}" for p in self.problems)
        )


@dataclass(frozen=True, slots=True)
class Rejection:
    """One broken rule at one jurisdiction on one date (the first such date)."""

    jurisdiction: Jurisdiction
    as_of: dt.date
    check: ConstraintCheck
    kind: ViolationKind = ViolationKind.CONSTRAINT

    @property
    def rule_id(self) -> str:
        return self.check.rule.rule.id

    @property
    def message(self) -> str:
        j = self.jurisdiction
        return f"at {j.code} ({j.name}) on {self.as_of}: {self.check.message}"


@dataclass(frozen=True, slots=True)
class LocalSetting:
    id: int
    jurisdiction: str
    path: str
    value: Any
    effective_from: dt.date
    until: dt.date | None  # last day in effect (inclusive); None: until replaced
    source_text: str
    set_by: str  # the user who last set it
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: dt.datetime
    user: str
    role: str
    setting_id: int
    jurisdiction: str
    path: str
    effective_from: dt.date
    until: dt.date | None
    old_value: Any  # what the merged policy said there on effective_from (None: not set)
    old_origin: str | None  # who set the old value: "local", a plugin's name or "national"
    new_value: Any
    source_text: str


# -- the process-local write signal ---------------------------------------------------------------

_generation = 0
_generation_lock = Lock()


def local_write_generation() -> int:
    """Increases after every local setting written by this process (providers re-check then)."""
    return _generation


def _notify_local_write() -> None:
    global _generation
    with _generation_lock:
        _generation += 1


# -- stored settings → layers ------------------------------------------------------------------


def _setting(row: LocalSettingRow, user_name: str) -> LocalSetting:
    return LocalSetting(
        row.id,
        row.jurisdiction,
        row.path,
        row.value,
        row.effective_from,
        row.until,
        row.source_text,
        user_name,
        row.updated_at,
    )


def _source(s: LocalSetting) -> Source:
    document = Document(
        id=f"local-setting-{s.id}",
        title=s.source_text,
        date=s.effective_from,
        note=f"local setting recorded in doudi by {s.set_by} on {s.updated_at.date()}; the "
        "title is the source as the official cited it",
    )
    return Source(document, note="local setting")


def layers_from_settings(
    settings: Iterable[LocalSetting], registry: JurisdictionRegistry
) -> list[Layer]:
    """One local layer per jurisdiction. Settings of an unknown jurisdiction are skipped."""
    by_code: dict[str, dict[str, list[LocalSetting]]] = defaultdict(lambda: defaultdict(list))
    for s in settings:
        by_code[s.jurisdiction][s.path].append(s)
    layers: list[Layer] = []
    for code, paths in sorted(by_code.items()):
        try:
            j = registry.get(code)
        except UnknownJurisdiction as exc:
            log.warning("local settings at %s skipped: %s", code, exc.message)
            continue
        ref = LayerRef(j, LOCAL_ORIGIN, LayerKind.LOCAL, "")
        values: list[DatedValue] = []
        for path, items in paths.items():
            items.sort(key=lambda s: s.effective_from)
            for k, s in enumerate(items):
                end = s.until + _DAY if s.until is not None else None
                if k + 1 < len(items):
                    nxt = items[k + 1].effective_from
                    end = nxt if end is None or end > nxt else end
                values.append(DatedValue(path, s.value, s.effective_from, end, _source(s), ref))
        layers.append(Layer(ref, tuple(values), "local settings recorded in doudi"))
    return layers


def _all_settings(session: Session) -> list[LocalSetting]:
    rows = session.execute(
        select(LocalSettingRow, UserRow.name)
        .join(UserRow, UserRow.id == LocalSettingRow.updated_by)
        .order_by(LocalSettingRow.id)
    )
    return [_setting(r, name) for r, name in rows]


def local_layers(session: Session, registry: JurisdictionRegistry) -> list[Layer]:
    """The stored local settings as layers of kind ``local`` (origin ``"local"``)."""
    with reading(session):
        return layers_from_settings(_all_settings(session), registry)


def local_settings_revision(session: Session) -> int:
    """Increases with every accepted local setting (0 on a new database)."""
    with reading(session):
        return int(session.scalar(select(RevisionRow.revision).where(RevisionRow.id == 1)) or 0)


def policy_with_local_layers(base: PolicyBase, layers: Iterable[Layer]) -> PolicyBase:
    """``base`` with its local layers (if any) replaced by ``layers``; plugins are not reloaded."""
    return base.with_layers(layers, drop_origin=LOCAL_ORIGIN)


# -- validation --------------------------------------------------------------------------------


def _normalise_value(spec_type: str, value: Any) -> Any:
    if spec_type == "integer" and isinstance(value, float):
        return int(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _rule_paths(base: PolicyBase) -> set[str]:
    out: set[str] = set()
    for pc in base.rules:
        r = pc.rule
        out.update(p for p in (r.path, r.bound_path, r.multiple_path) if p is not None)
    return out


def _involves(check: ConstraintCheck, code: str, path: str, start: dt.date) -> bool:
    for v in (check.value, check.bound_value, check.multiple_value):
        if (
            v is not None
            and v.layer.kind is LayerKind.LOCAL
            and v.layer.jurisdiction.code == code
            and v.path == path
            and v.start == start
        ):
            return True
    return False


def find_rejections(
    base: PolicyBase,
    index: PolicyIndex,
    code: str,
    path: str,
    start: dt.date,
    end: dt.date | None,
) -> list[Rejection]:
    """Rules the value of ``path`` set at ``code`` from ``start`` (to ``end``, exclusive) breaks
    in ``index``: at ``code`` and every jurisdiction under it with layers, on ``start`` and on
    every date in the span where a value the rules read changes."""
    paths = _rule_paths(base)
    if path not in paths:
        return []
    registry = base.registry
    codes = [code, *(c for c in index.codes() if c != code and registry.is_within(c, code))]

    def within(d: dt.date) -> bool:
        return start <= d and (end is None or d < end)

    dates = {start}
    for c in codes:
        for j in registry.chain(c):
            for p in paths:
                for timeline in index.timelines(j.code, p):
                    dates.update(d for d in timeline.boundaries() if within(d))
    for pc in base.rules:
        if pc.rule.effective_from is not None and within(pc.rule.effective_from):
            dates.add(pc.rule.effective_from)

    found: dict[tuple[str, str], Rejection] = {}
    for c in codes:
        for d in sorted(dates):
            policy = resolve(index, registry, base.catalog, c, d, paths=paths)
            for check in check_constraints(policy, base.rules):
                key = (c, check.rule.rule.id)
                if (
                    check.status is CheckStatus.VIOLATED
                    and key not in found
                    and _involves(check, code, path, start)
                ):
                    found[key] = Rejection(policy.jurisdiction, d, check)
    return list(found.values())


# -- writing -----------------------------------------------------------------------------------


def _bump_revision(session: Session) -> None:
    """Take the local-settings write lock (the revision row) and increase the revision."""
    result = session.execute(
        update(RevisionRow).where(RevisionRow.id == 1).values(revision=RevisionRow.revision + 1)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(insert(RevisionRow).values(id=1, revision=1))


def set_local_parameter(
    session: Session,
    user: User | None,
    code: str,
    path: str,
    value: Any,
    effective_from: dt.date,
    until: dt.date | None,
    source_text: str,
    base: PolicyBase,
) -> LocalSetting:
    """Validate, check against the plugins' rules, and record a local setting with its audit row.

    ``base`` gives the catalog, the rules and the plugin layers (any local layers in it are
    ignored: the stored settings are read inside the transaction). Raises Unauthenticated,
    Forbidden, UnknownJurisdiction, UnknownParameter, InvalidInput or :class:`ConstraintRejected`;
    on any error nothing is written.
    """
    registry = base.registry
    user = require(user, Action.SET_LOCAL_PARAMETERS)
    j = registry.get(code)
    authorize(user, Action.SET_LOCAL_PARAMETERS, j.code, registry)
    spec = base.catalog.spec(path)
    if not locally_settable(spec):
        raise NotLocallySettable(
            f"{spec.path} ({spec.unit}) is a rule set by policy documents, shipped as plugin "
            "data; local settings record amounts in yuan (standards and limits)"
        )
    if value is None:
        raise InvalidInput(f"{spec.path}: give a value")
    why = check_value(spec, value)
    if why is not None:
        raise InvalidInput(f"{spec.path}: {why}")
    value = _normalise_value(spec.type, value)
    if until is not None and until < effective_from:
        raise InvalidInput(f"until ({until}) is before the effective date ({effective_from})")
    source_text = (source_text or "").strip()
    if not source_text:
        raise InvalidInput("give the source: the document (title, number, date) setting the value")
    if len(source_text) > MAX_SOURCE_TEXT:
        raise InvalidInput(f"the source must be at most {MAX_SOURCE_TEXT} characters")

    plugin_layers = [layer for layer in base.index.layers if layer.ref.kind is not LayerKind.LOCAL]
    end = until + _DAY if until is not None else None
    with write_unit(session):
        _bump_revision(session)  # serialises local-setting writers (row lock / SQLite lock)
        stored = _all_settings(session)
        existing = next(
            (
                s
                for s in stored
                if (s.jurisdiction, s.path, s.effective_from) == (j.code, spec.path, effective_from)
            ),
            None,
        )
        now = utcnow()
        candidate = LocalSetting(
            existing.id if existing else 0,
            j.code,
            spec.path,
            value,
            effective_from,
            until,
            source_text,
            user.name,
            now,
        )
        after = [s for s in stored if s is not existing] + [candidate]
        index = PolicyIndex([*plugin_layers, *layers_from_settings(after, registry)])
        problems = find_rejections(base, index, j.code, spec.path, effective_from, end)
        if problems:
            raise ConstraintRejected(problems)

        before = PolicyIndex([*plugin_layers, *layers_from_settings(stored, registry)])
        old = resolve_parameter(before, registry.chain(j.code), spec, effective_from)

        if existing is not None:
            row = session.get_one(LocalSettingRow, existing.id)
            row.value, row.until, row.source_text = value, until, source_text
            row.updated_by, row.updated_at = user.id, now
        else:
            row = LocalSettingRow(
                jurisdiction=j.code,
                path=spec.path,
                value=value,
                effective_from=effective_from,
                until=until,
                source_text=source_text,
                created_by=user.id,
                created_at=now,
                updated_by=user.id,
                updated_at=now,
            )
            session.add(row)
        session.flush()
        session.add(
            LocalSettingAuditRow(
                at=now,
                user_id=user.id,
                user_name=user.name,
                user_role=user.role.value,
                setting_id=row.id,
                jurisdiction=j.code,
                path=spec.path,
                effective_from=effective_from,
                until=until,
                old_value=old.value,
                old_origin=old.layer.origin if old.layer is not None else None,
                new_value=value,
                source_text=source_text,
            )
        )
        session.flush()
        result = replace(candidate, id=row.id)
    _notify_local_write()
    return result


# -- reading -----------------------------------------------------------------------------------


def list_local_settings(
    session: Session, user: User | None, code: str, registry: JurisdictionRegistry
) -> list[LocalSetting]:
    """Settings at ``code`` and under it (the user's scope), by jurisdiction, path and date."""
    user = require(user, Action.READ_LOCAL_SETTINGS)
    target = registry.get(code).code
    authorize(user, Action.READ_LOCAL_SETTINGS, target, registry)
    with reading(session):
        found = [
            s
            for s in _all_settings(session)
            if s.jurisdiction in registry and registry.is_within(s.jurisdiction, target)
        ]
    return sorted(found, key=lambda s: (s.jurisdiction, s.path, s.effective_from))


def audit_log(
    session: Session,
    user: User | None,
    code: str,
    registry: JurisdictionRegistry,
    *,
    limit: int = 100,
) -> list[AuditEntry]:
    """Audit rows for ``code`` and under it, newest first."""
    user = require(user, Action.READ_LOCAL_SETTINGS)
    target = registry.get(code).code
    authorize(user, Action.READ_LOCAL_SETTINGS, target, registry)
    out: list[AuditEntry] = []
    with reading(session):
        rows = session.scalars(
            select(LocalSettingAuditRow).order_by(LocalSettingAuditRow.id.desc())
        )
        for r in rows:
            if r.jurisdiction not in registry or not registry.is_within(r.jurisdiction, target):
                continue
            out.append(
                AuditEntry(
                    r.id,
                    r.at,
                    r.user_name,
                    r.user_role,
                    r.setting_id,
                    r.jurisdiction,
                    r.path,
                    r.effective_from,
                    r.until,
                    r.old_value,
                    r.old_origin,
                    r.new_value,
                    r.source_text,
                )
            )
            if len(out) >= limit:
                break
    return out


__all__ = [
    "LOCAL_ORIGIN",
    "AuditEntry",
    "ConstraintRejected",
    "LocalSetting",
    "NotLocallySettable",
    "Rejection",
    "audit_log",
    "find_rejections",
    "layers_from_settings",
    "list_local_settings",
    "local_layers",
    "local_settings_revision",
    "local_write_generation",
    "policy_with_local_layers",
    "set_local_parameter",
]
