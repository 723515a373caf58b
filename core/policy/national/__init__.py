"""The national layer (全国): the baseline every province inherits unless its plugin says otherwise.

It is registered like any plugin (under the name ``national``) but ships with the core and cannot
be disabled. Its values come from national rules, cited by name and article in
``policy/national.yaml``.
"""

from __future__ import annotations

from core.plugin.hookspecs import Constraint, Coverage, PolicyFile, hookimpl, policy_files_in
from core.policy.jurisdictions import NATIONAL_CODE, NATIONAL_NAME


@hookimpl
def doudi_jurisdictions() -> list[Coverage]:
    return [Coverage(NATIONAL_CODE, NATIONAL_NAME)]


@hookimpl
def doudi_policy_files() -> list[PolicyFile]:
    return policy_files_in(__name__)


@hookimpl
def doudi_constraints() -> list[Constraint]:
    # Internal consistency of the catalog, wherever values come from: no document needed.
    return [
        Constraint(
            id="core.phase_out_min_not_above_max",
            description="the shortest phase-out cannot exceed the longest",
            path="dibao.phase_out.min_months",
            kind="ceiling",
            bound_path="dibao.phase_out.max_months",
        ),
        Constraint(
            id="core.self_care_partial_not_above_full",
            description="partial loss of self-care needs no more failed indicators than full loss",
            path="tekun.self_care.partial_loss_min_failed",
            kind="ceiling",
            bound_path="tekun.self_care.full_loss_min_failed",
        ),
    ]
