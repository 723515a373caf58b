"""The merged policy a server answers with: the plugins' data plus the database's local settings.

:class:`PolicyProvider` builds the plugin-only :class:`~core.policy.service.PolicyBase` once (the
expensive part: loading and validating every plugin) and adds the local layers read from the
database. :meth:`PolicyProvider.current` returns the PolicyBase to use for a request; it asks the
database for the local-settings revision at most once per ``ttl`` seconds (default 1), and at
once after a local setting was written by this process, and rebuilds only when the revision
changed (rebuilding re-indexes the layers; plugins are not reloaded). Settings written by another
process (another server, ``doudi policy set``) therefore show within ``ttl`` seconds.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from threading import Lock
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core.access.roles import User
from core.policy.local_settings import LocalSetting, policy_with_local_layers
from core.policy.local_store import (
    local_layers,
    local_settings_revision,
    local_write_generation,
    set_local_parameter,
)
from core.policy.model import LayerKind
from core.policy.service import PolicyBase, build_policy_base
from core.storage.engine import read_unit

log = logging.getLogger(__name__)

DEFAULT_TTL_S = 1.0


class PolicyProvider:
    """The current merged policy (plugins + local settings), kept in step with the database."""

    def __init__(
        self,
        sessions: Callable[[], Session],
        plugin_base: PolicyBase | None = None,
        *,
        ttl: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._plugin_base = (
            policy_with_local_layers(plugin_base, ()) if plugin_base is not None else None
        )
        self._ttl = ttl
        self._clock = clock
        self._lock = Lock()
        self._base: PolicyBase | None = None
        self._revision: int | None = None
        self._generation = -1
        self._checked_at = float("-inf")
        self.rebuilds = 0  # how many times local layers were (re)loaded

    @property
    def plugin_base(self) -> PolicyBase:
        """The plugins' and the national layer's policy, without local settings (built once)."""
        if self._plugin_base is None:
            self._plugin_base = build_policy_base()
        return self._plugin_base

    @property
    def revision(self) -> int | None:
        """The local-settings revision of the PolicyBase last returned (None before the first)."""
        return self._revision

    def invalidate(self) -> None:
        """Check the database again on the next :meth:`current` call."""
        with self._lock:
            self._checked_at = float("-inf")

    def current(self) -> PolicyBase:
        with self._lock:
            now = self._clock()
            generation = local_write_generation()
            if (
                self._base is not None
                and generation == self._generation
                and now - self._checked_at < self._ttl
            ):
                return self._base
            plugin_base = self.plugin_base
            try:
                with self._sessions() as session, read_unit(session):
                    revision = local_settings_revision(session)
                    if self._base is None or revision != self._revision:
                        layers = local_layers(session, plugin_base.registry)
                        self._base = policy_with_local_layers(plugin_base, layers)
                        self._revision = revision
                        self.rebuilds += 1
            except SQLAlchemyError:
                if self._base is None:
                    raise
                log.exception("could not read local settings; serving the last known policy")
                return self._base
            self._checked_at = now
            self._generation = generation
            return self._base

    def set_local_parameter(
        self,
        session: Session,
        user: User | None,
        code: str,
        path: str,
        value: Any,
        effective_from: dt.date,
        until: dt.date | None,
        source_text: str,
    ) -> LocalSetting:
        """:func:`core.policy.local_store.set_local_parameter` against this provider's plugins;
        the
        next :meth:`current` includes the new value."""
        setting = set_local_parameter(
            session, user, code, path, value, effective_from, until, source_text, self.plugin_base
        )
        self.invalidate()
        return setting


def has_local_layers(base: PolicyBase) -> bool:
    return any(layer.ref.kind is LayerKind.LOCAL for layer in base.index.layers)


__all__ = ["DEFAULT_TTL_S", "PolicyProvider", "has_local_layers"]
