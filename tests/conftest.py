"""Shared fixtures: the installed policy base, layers from inline data, and (from
``tests.support.db_backends``) the SQLite and PostgreSQL databases of the storage tests.

Helpers shared by several test modules live in ``tests.support``; test modules never import
each other (tests/architecture/test_test_helpers.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from core.errors import PolicyDataError
from core.policy.jurisdictions import JurisdictionRegistry, load_registry
from core.policy.loader import PolicyLoader
from core.policy.model import Layer
from core.policy.service import PolicyBase, build_policy_base

# The helpers' asserts explain their failures like a test's own (pytest rewrites them on import).
pytest.register_assert_rewrite("tests.support")

pytest_plugins = ["tests.support.db_backends"]

D = dt.date


@pytest.fixture(autouse=True)
def _isolated_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test touches the developer's data directory or database (tests may override)."""
    monkeypatch.setenv("DOUDI_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    monkeypatch.delenv("DOUDI_DATABASE_URL", raising=False)
    monkeypatch.delenv("DOUDI_TOKEN", raising=False)


@pytest.fixture(scope="session")
def registry() -> JurisdictionRegistry:
    return load_registry()


@pytest.fixture(scope="session")
def base() -> PolicyBase:
    """Everything installed: the national layer and the five province plugins."""
    return build_policy_base()


LayerFactory = Callable[..., Layer]


@pytest.fixture
def make_layer(base: PolicyBase) -> LayerFactory:
    """Validate an inline document as plugin ``plugin`` covering ``covers`` and return its layer."""

    def factory(data: dict[str, Any], plugin: str = "fixture", covers: Iterable[str] = ()) -> Layer:
        coverage = {plugin: list(covers) or [data["jurisdiction"]]}
        loader = PolicyLoader(base.registry, base.catalog, coverage)
        layer, issues = loader.validate(plugin, "inline.yaml", data)
        if issues:
            raise PolicyDataError(issues)
        assert layer is not None
        return layer

    return factory
