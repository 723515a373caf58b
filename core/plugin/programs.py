"""The programs plugins add, and who decides them: what the eligibility engine is handed.

Built once, with the merged policy (:func:`core.policy.service.build_policy_base` keeps it as
``PolicyBase.plugin_programs``) from the one plugin manager of the process; the engine receives
it and so stays pure: it never loads entry points nor builds a manager of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.plugin.types import Decision, Program

if TYPE_CHECKING:
    from core.households.model import Household
    from core.policy.resolution import ResolvedPolicy

Decide = Callable[[str, "Household", "ResolvedPolicy", dt.date], "tuple[str, Decision] | None"]
"""Ask the plugins to decide a program: ``(program_id, household, policy, as_of)`` → the name of
the plugin that answered and its decision, or None when none answers
(:meth:`core.plugin.manager.DoudiPluginManager.evaluate_program`)."""


def _nobody(
    program_id: str, household: Household, policy: ResolvedPolicy, as_of: dt.date
) -> tuple[str, Decision] | None:
    return None


@dataclass(frozen=True)
class PluginPrograms:
    """The plugin programs of one merged policy (scopes as canonical codes) and their decider."""

    programs: tuple[tuple[str, Program], ...] = ()
    decide: Decide = _nobody
    _by_id: dict[str, tuple[str, Program]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {p.id: (name, p) for name, p in self.programs})

    @classmethod
    def of(cls, programs: Iterable[tuple[str, Program]], decide: Decide) -> PluginPrograms:
        return cls(tuple(programs), decide)

    def get(self, program_id: str) -> tuple[str, Program] | None:
        """``(plugin, program)`` for a plugin program's id, None for any other id."""
        return self._by_id.get(program_id)

    @property
    def ids(self) -> list[str]:
        return sorted(self._by_id)


NO_PLUGIN_PROGRAMS = PluginPrograms()
