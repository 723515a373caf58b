"""What the installed plugins add to knowing the people: data kinds, verification adapters and
low-income categories (``doudi_data_kinds``, ``doudi_verification_adapters``,
``doudi_low_income_categories``), collected once per process."""

from __future__ import annotations

import functools
from typing import Any

from core.exchange.kinds import Catalog, catalog
from core.lowincome.model import Category, categories


@functools.lru_cache(maxsize=1)
def _manager() -> Any:
    from core.plugin.manager import build_plugin_manager

    return build_plugin_manager()


def data_kinds() -> Catalog:
    """The core's data kinds and the plugins'."""
    return catalog(k for _, k in _manager().data_kinds())


def low_income_categories() -> dict[str, Category]:
    return categories(c for _, c in _manager().low_income_categories())


def verification_adapters() -> dict[str, Any]:
    """Adapters plugins add, by name (the built-in one is added by core.verification)."""
    out: dict[str, Any] = {}
    for plugin, adapter in _manager().verification_adapters():
        name = getattr(adapter, "name", None)
        if not isinstance(name, str) or not callable(getattr(adapter, "verify", None)):
            from core.errors import PluginLoadError

            raise PluginLoadError(
                plugin, "a verification adapter needs a name and a verify(request) method"
            )
        out[name] = adapter
    return out


__all__ = ["data_kinds", "low_income_categories", "verification_adapters"]
