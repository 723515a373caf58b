"""EXAMPLE standards for tests that need a decision in yuan.

No source document sets a dibao standard in yuan, so reviews and confirmations run against
these test values (urban 800, rural 600, tekun 1040 yuan/month) and a temporary-assistance
township limit (1000 yuan; no document read for the project sets one). None is official.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.errors import PolicyDataError
from core.policy.loader import PolicyLoader
from core.policy.service import PolicyBase, build_policy_base
from tests.support.layers import doc, entry


def with_example_standards(
    base: PolicyBase, extra: Mapping[str, Mapping[str, Any]] | None = None
) -> PolicyBase:
    """``base`` + example dibao/tekun standards and a temporary township limit (test values),
    and the test layers ``extra`` gives (jurisdiction code → parameters)."""
    layers = []
    standards = {
        code: {
            "dibao.standard.urban": [entry(800, "2020-01-01")],
            "dibao.standard.rural": [entry(600, "2020-01-01")],
            "tekun.standard.basic": [entry(1040, "2020-01-01")],
            "temporary.approval.township_limit": [entry(1000, "2020-01-01")],
        }
        for code in ("530000", "450000", "520000", "140000", "640000")
    }
    for code, parameters in {**standards, **(extra or {})}.items():
        data = doc(code, dict(parameters))
        loader = PolicyLoader(base.registry, base.catalog, {"fixture": [code]})
        layer, issues = loader.validate("fixture", "inline.yaml", data)
        if issues:
            raise PolicyDataError(issues)
        assert layer is not None
        layers.append(layer)
    return build_policy_base(extra_layers=layers)
