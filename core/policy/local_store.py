"""Local settings, stored: :func:`set_local_parameter`

1. checks the user may (:mod:`core.access.roles`), the path is in the catalog and the value fits
   its type (:func:`core.policy.catalog.check_value`);
2. rejects a value that would break a plugin's rule
   (:func:`core.policy.local_settings.find_rejections`);
3. writes the setting and an audit row (who, when, where, path, the value before and after, the
   source) in one transaction, appends an entry to the jurisdiction's ``settings:`` audit chain
   (:mod:`core.audit`: the digests of the setting before and after and of the audit row), and
   bumps the local-settings *revision* that :class:`core.policy.provider.PolicyProvider`
   watches.

:func:`local_layers` turns the stored settings into the policy's ``local`` layers.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from threading import Lock
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from core.access.roles import Action, User, authorize, require
from core.audit import chain as ch
from core.audit.store import append_entry, setting_audit_row_digest, setting_row_digest
from core.errors import InvalidInput
from core.policy.catalog import check_value, locally_settable
from core.policy.jurisdictions import JurisdictionRegistry
from core.policy.local_settings import (
    DAY,
    MAX_SOURCE_TEXT,
    AuditEntry,
    ConstraintRejected,
    LocalSetting,
    NotLocallySettable,
    find_rejections,
    layers_from_settings,
    normalise_value,
)
from core.policy.model import Layer, LayerKind
from core.policy.resolution import PolicyIndex, resolve_parameter
from core.policy.service import PolicyBase
from core.storage.engine import reading, write_unit
from core.storage.tables import LocalSettingAuditRow, LocalSettingRow, RevisionRow, UserRow, utcnow
from core.validation import MAX_MONTHLY_YUAN, check_date, check_finite, check_number

log = logging.getLogger(__name__)


_generation = 0


_generation_lock = Lock()


def local_write_generation() -> int:
    """Increases after every local setting written by this process (providers re-check then)."""
    return _generation


def _notify_local_write() -> None:
    global _generation
    with _generation_lock:
        _generation += 1


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
    Forbidden, UnknownJurisdiction, UnknownParameter, InvalidInput (NOT_A_FINITE_NUMBER for NaN
    or an infinity, NUMBER_OUT_OF_RANGE above :data:`core.validation.MAX_MONTHLY_YUAN`,
    DATE_OUT_OF_RANGE for dates outside 1900..2199) or :class:`ConstraintRejected`; on any
    error nothing is written.
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
    check_finite(value, spec.path)  # NaN passes every comparison below
    if isinstance(value, int | float) and not isinstance(value, bool):
        check_number(value, spec.path, minimum=None, maximum=MAX_MONTHLY_YUAN)
    check_date(effective_from, "from")
    if until is not None:
        check_date(until, "until")
    why = check_value(spec, value)
    if why is not None:
        raise InvalidInput(f"{spec.path}: {why}")
    value = normalise_value(spec.type, value)
    if until is not None and until < effective_from:
        raise InvalidInput(f"until ({until}) is before the effective date ({effective_from})")
    source_text = (source_text or "").strip()
    if not source_text:
        raise InvalidInput("give the source: the document (title, number, date) setting the value")
    if len(source_text) > MAX_SOURCE_TEXT:
        raise InvalidInput(f"the source must be at most {MAX_SOURCE_TEXT} characters")

    plugin_layers = [layer for layer in base.index.layers if layer.ref.kind is not LayerKind.LOCAL]
    end = until + DAY if until is not None else None
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

        prior: str | None = None  # the setting's digest before this change
        if existing is not None:
            row = session.get_one(LocalSettingRow, existing.id)
            prior = setting_row_digest(row)
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
        audit_row = LocalSettingAuditRow(
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
        session.add(audit_row)
        session.flush()
        append_entry(
            session,
            ch.chain_name(ch.SETTINGS, j.code),
            "setting.set",
            user.id,
            [
                (ch.ref("setting", row.id), prior, setting_row_digest(row)),
                (ch.ref("setting_audit", audit_row.id), None, setting_audit_row_digest(audit_row)),
            ],
            path=spec.path,
        )
        result = replace(candidate, id=row.id)
    _notify_local_write()
    return result


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
