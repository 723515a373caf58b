"""The doudi plugin contract: every hook a province plugin may implement.

A province (or prefecture, or county) IT team ships its local rules as a plugin: a Python package
registered under the entry-point group ``doudi.plugins``. A plugin imports only the public plugin
API, :mod:`core.plugin.api` (hook marker, returned types, helpers); this module is where the hooks
are specified, and the plugin author's guide is ``docs/plugins.md``. A minimal plugin::

    # my_province/__init__.py
    from core.plugin.api import Coverage, hookimpl, policy_files_in

    @hookimpl
    def doudi_jurisdictions():
        return [Coverage("530000", "云南省")]

    @hookimpl
    def doudi_policy_files():
        return policy_files_in(__name__)     # every *.yaml / *.json in my_province/policy/

    # pyproject.toml of the separate distribution
    [project.entry-points."doudi.plugins"]
    my_province = "my_province"

``doudi plugins new NAME --covers CODE`` writes such a distribution, ready to install and test.

Rules the core enforces (and reports naming the plugin at fault):

- every hook returns an iterable of the frozen dataclasses of :mod:`core.plugin.types`, never
  dicts;
- a plugin only supplies policy values for jurisdictions it covers (``doudi_jurisdictions``) or
  places inside them;
- parameter paths come from the core catalog (``doudi policy catalog``); a plugin that needs a
  new parameter either proposes it for the core catalog or declares it on a program of its own,
  under ``programs.<program id>.``;
- every value cites its source: a document, a section and a short quote in the document's words,
  and the plugin ships the document's text as ``source.txt`` so that every quote can be checked.

Check a plugin before shipping with ``doudi plugins check PATH`` and, in its own CI, with the
conformance suite (``pytest --doudi-plugin NAME``, see :mod:`core.plugin.testing`).

Every hook below except ``doudi_evaluate_program`` collects the results of every plugin;
``doudi_evaluate_program`` is ``firstresult``: the first plugin to return a decision answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from importlib import resources
from typing import TYPE_CHECKING

import pluggy

from core.plugin.types import (
    Campaign,
    CampaignPhase,
    Constraint,
    ConstraintKind,
    Coverage,
    Decision,
    DecisionMode,
    DecisionStatus,
    Document,
    Excluded,
    HolidayTable,
    IncomeComputation,
    MemberFinding,
    ParameterSpec,
    PolicyFile,
    Program,
    Source,
    TraceEntry,
    ValueType,
)

if TYPE_CHECKING:  # only for annotations: importing them here would be an import cycle
    from core.exchange.kinds import DataKind
    from core.households.model import Household
    from core.lowincome.model import Category
    from core.policy.resolution import ResolvedPolicy
    from core.reports.tables import ReportTable
    from core.verification.adapters import VerificationAdapter

PROJECT = "doudi"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


def policy_files_in(package: str, folder: str = "policy") -> list[PolicyFile]:
    """Every ``*.yaml``, ``*.yml`` and ``*.json`` file in ``<package>/<folder>/``, sorted by name.

    Uses ``importlib.resources`` so it works from a wheel as well as from a source checkout.
    """
    root = resources.files(package) / folder
    found = [
        PolicyFile(entry)
        for entry in root.iterdir()
        if entry.is_file() and entry.name.endswith((".yaml", ".yml", ".json"))
    ]
    return sorted(found, key=lambda f: f.resource.name)


# ----------------------------------------------------------------------------------------------
# Hooks
# ----------------------------------------------------------------------------------------------


@hookspec
def doudi_jurisdictions() -> Iterable[Coverage]:
    """Return the jurisdictions this plugin speaks for (GB/T 2260 codes).

    Every policy file of the plugin must set values only for these jurisdictions or places under
    them. An unknown code is a load error naming the plugin.

    Example: ``return [Coverage("640121", "永宁县")]``
    """
    raise NotImplementedError


@hookspec
def doudi_policy_files() -> Iterable[PolicyFile]:
    """Return the plugin's policy data files (its layers of dated, sourced values).

    Each file names one jurisdiction and holds values keyed by catalog path, each with an
    effective-from date, an optional end, and a source. See ``schema/policy-layer.schema.json``.

    Example: ``return policy_files_in(__name__)``
    """
    raise NotImplementedError


@hookspec
def doudi_programs() -> Iterable[Program]:
    """Return the assistance programs this plugin adds (not dibao/tekun/temporary: those are core).

    Example: see :class:`Program`.
    """
    raise NotImplementedError


@hookspec
def doudi_constraints() -> Iterable[Constraint]:
    """Return the floor/ceiling rules this plugin's documents impose on policy values.

    They are checked for every jurisdiction within the rule's scope (including local settings
    entered later) and violations are reported with the rule and both values' sources.

    Example: see :class:`Constraint`.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def doudi_evaluate_program(
    program_id: str, household: Household, policy: ResolvedPolicy, as_of: dt.date
) -> Decision | None:
    """Decide one household's eligibility for a program this plugin added (``doudi_programs``).

    Return None for a ``program_id`` that is not yours: the first plugin to return a
    :class:`Decision` answers (``firstresult``). ``policy`` is the merged policy at the
    household's county on ``as_of`` (read parameters with ``policy.get(path)``). Pure: no I/O.
    A parameter the decision needs that is not set gives ``status="cannot_decide"``, never a
    guess (``not_set_message`` words the reason); put every parameter read in ``trace``
    (``trace_entry(param)``, both from :mod:`core.plugin.api`) — the conformance suite checks
    that every parameter a decision reads is in its trace.

    Example (Guizhou)::

        @hookimpl
        def doudi_evaluate_program(program_id, household, policy, as_of):
            if program_id != "retrenched_1960s_workers":
                return None
            amount = policy.get("programs.retrenched_1960s_workers.monthly_amount")
            ...
            return Decision(program=program_id, status="eligible", eligible=True, ...)
    """
    raise NotImplementedError


@hookspec
def doudi_holiday_tables() -> Iterable[HolidayTable]:
    """Return holiday schedules for years ``chinese-calendar`` does not cover yet (or corrects).

    Working-day deadlines in a year with no table are marked provisional in the API; a table
    (from a plugin here, or imported with ``doudi holidays import``) makes them final. Two
    plugins giving the same year is a load error naming both.

    Example: see :class:`HolidayTable`.
    """
    raise NotImplementedError


@hookspec
def doudi_campaigns() -> Iterable[Campaign]:
    """Return the campaigns (专项治理) the plugin's documents order, with their phases; they
    appear in the calendar (GraphQL ``calendar`` and the ``.ics`` feeds) of every jurisdiction
    at or under ``Campaign.jurisdiction``.

    Example: see :class:`Campaign`.
    """
    raise NotImplementedError


@hookspec
def doudi_report_tables() -> Iterable[ReportTable]:
    """Return the statistics tables the plugin's documents order officials to fill in every month.

    Each :class:`~core.reports.tables.ReportTable` has the table's sections and lines in the
    document's words; a line is counted from the month's case facts by a pure function, or says
    why the platform's data cannot support it. The core reads the facts and serves the table
    (GraphQL ``monthlyStatistics``, ``doudi reports statistics``) at ``ReportTable.jurisdiction``
    and every place under it, which the plugin must cover.

    Example (Guangxi): ``return [yongfu_statistics.table(document)]`` (``plugins/guangxi``).
    """
    raise NotImplementedError


# -- knowing the people (core.exchange, core.verification, core.lowincome) ----------------------


@hookspec
def doudi_data_kinds() -> Iterable[DataKind]:
    """Return department data kinds the core does not know (``core.exchange.kinds.DataKind``):
    the record's columns, the departments that send it, and what a match means for each
    program, with the document behind it (or what no document sets)."""
    raise NotImplementedError


@hookspec
def doudi_verification_adapters() -> Iterable[VerificationAdapter]:
    """Return verification adapters (核对平台): objects with a ``name`` and a
    ``verify(request) -> PlatformReport`` (``core.verification.adapters``), e.g. a province's
    economic-status verification platform. The built-in adapter answers from imported
    department data."""
    raise NotImplementedError


@hookspec
def doudi_low_income_categories() -> Iterable[Category]:
    """Return low-income recognition categories the core does not know
    (``core.lowincome.model.Category``), e.g. Guangxi's 脱贫人口."""
    raise NotImplementedError


__all__ = [
    "PROJECT",
    "Campaign",
    "CampaignPhase",
    "Constraint",
    "ConstraintKind",
    "Coverage",
    "Decision",
    "DecisionMode",
    "DecisionStatus",
    "Document",
    "Excluded",
    "HolidayTable",
    "IncomeComputation",
    "MemberFinding",
    "ParameterSpec",
    "PolicyFile",
    "Program",
    "Source",
    "TraceEntry",
    "ValueType",
    "hookimpl",
    "hookspec",
    "policy_files_in",
]
