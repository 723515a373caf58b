"""What each case action is, declared once: its inputs (with their types and descriptions), who
may take it, in which programs and states, what it does, and which input a refusal points at.

The GraphQL mutations (:mod:`core.api.cases`), the command line (``doudi cases act``, ``doudi
cases open``, ``doudi cases actions``) and the documentation (``docs/case-actions.md``, written by
``doudi cases actions --markdown``) are all generated from :data:`CASE_ACTIONS`; nothing is
written by hand per action. The step functions of :mod:`core.cases.machine` stay the authority
on the rules: a test checks that each spec agrees with its step (the same keyword inputs, and
the states and roles the step accepts).

Inputs given to an action go through :meth:`ActionSpec.prepare` whichever way they came (GraphQL
arguments or ``--input key=value`` pairs read by :meth:`Input.from_text`), so a value is refused
the same way, with the same code and message, from the API and the command line.

Pure: no I/O, no storage; the date of a step is the caller's.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from core.access.roles import Role
from core.cases.errors import CaseNotFound
from core.cases.machine import (
    BEFORE_DECISION,
    CARE_MODES,
    CARE_VISIT_KINDS,
    IN_PAYMENT,
    INVESTIGATION_METHODS,
    PHASE_OUT_CAUSE_INCOME,
    REVIEW_OUTCOMES,
    TEMPORARY_CATEGORIES,
    VISITORS,
    assist_first,
    confirm_case,
    confirm_termination,
    exit_case,
    open_case,
    record_care_placement,
    record_care_visit,
    record_care_wish,
    record_complaint,
    record_death,
    record_democratic_appraisal,
    record_first_review,
    record_head_change,
    record_home_visit,
    record_income_stable,
    record_investigation,
    record_objection,
    record_own_application,
    record_paperwork,
    record_phase_out_notice,
    record_refusal_notice,
    record_review,
    record_self_care,
    record_spot_check,
    record_verification,
    record_work_accepted,
    record_work_refusal,
    reduce_for_refused_work,
    reject_case,
    report_change,
    report_self_care_change,
    start_phase_out,
    start_publicity,
)
from core.cases.model import PROGRAMS, CaseState, ExitReason, Transition
from core.errors import DoudiError, InvalidInput
from core.policy.catalog import EMERGENCY_LOCATION_GROUNDS

S = CaseState
Step = Callable[..., Transition]

# Where a refusal points when the action names nothing more precise (steps on a stored case).
COMMON_ERRORS: Mapping[str, str] = MappingProxyType(
    {"VERSION_CONFLICT": "expectedVersion", "NOT_FOUND": "id"}
)
# An INVALID_INPUT message that starts with an argument's name ("months: ...", "nearRelatives[0].
# relation: ...") points at that argument.
_NAMED = re.compile(r"([A-Za-z]+)[:\[.]")
_INT = re.compile(r"[+-]?\d{1,9}")
_ID = re.compile(r"\d{1,18}")


class Kind(StrEnum):
    """The type of an input, as every surface shows it."""

    TEXT = "text"  # GraphQL String; a name from ``choices`` where they are given
    LIST = "list"  # [String!]: names or reasons
    BOOL = "bool"
    INT = "int"  # a whole number
    AMOUNT = "amount"  # yuan; checked (finite, positive, to the fen) by the step itself
    DATE = "date"  # YYYY-MM-DD
    ID = "id"  # a stored record's id
    RECORDS = "records"  # a list of small records (see Record)


def camel(name: str) -> str:
    """``monthly_amount`` → ``monthlyAmount`` (the API's spelling)."""
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def snake(name: str) -> str:
    """``recordInvestigation`` / ``monthlyAmount`` / ``record-investigation`` → snake_case."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name.strip()).lower().replace("-", "_")


@dataclass(frozen=True, slots=True)
class RecordField:
    """One field of a :class:`Record` (TEXT or ID)."""

    name: str
    kind: Kind
    description: str

    @property
    def key(self) -> str:
        return camel(self.name)


@dataclass(frozen=True, slots=True)
class Record:
    """The shape of each item of a RECORDS input (GraphQL: the input type ``<name>Input``)."""

    name: str
    description: str
    fields: tuple[RecordField, ...]


@dataclass(frozen=True, slots=True)
class Input:
    """One input of an action: the step's keyword argument ``name``.

    ``required``: the action cannot be taken without it. Otherwise ``default`` is what the API
    shows when it is left out, written as on the command line ("" for a note, "true" for a
    flag; None: the step's own default applies).
    ``choices``: the only values taken (shown as the GraphQL enum ``enum`` where one is named).
    ``programs``: when opening a case, an input taken only for these programs.
    ``store``: read by the store, not passed to the step (``atCounty``: where the case opens).
    """

    name: str
    kind: Kind
    description: str
    required: bool = False
    default: str | None = None
    choices: tuple[str, ...] = ()
    enum: type[StrEnum] | None = None
    record: Record | None = None
    programs: tuple[str, ...] = ()
    deprecated: str | None = None
    store: bool = False

    @property
    def key(self) -> str:
        """The name in the API and on the command line (camelCase)."""
        return camel(self.name)

    @property
    def default_value(self) -> Any:
        """``default`` as the API takes it (``"true"`` → True), or None."""
        if self.default is None or self.kind is Kind.TEXT:
            return self.default
        return self.check(self.from_text(self.default))

    # -- values -------------------------------------------------------------------------------

    def check(self, value: Any) -> Any:
        """``value`` as the step takes it, or INVALID_INPUT naming this input."""
        key, kind = self.key, self.kind
        if kind is Kind.TEXT:
            if isinstance(value, StrEnum):
                value = value.value
            if not isinstance(value, str):
                raise InvalidInput(f"{key}: a text, not {value!r}")
            if self.choices and value not in self.choices:
                raise InvalidInput(f"{key}: one of {', '.join(self.choices)}, not {value!r}")
            return value
        if kind is Kind.LIST:
            if isinstance(value, str) or not isinstance(value, Sequence):
                raise InvalidInput(f"{key}: a list of texts, not {value!r}")
            if not all(isinstance(v, str) for v in value):
                raise InvalidInput(f"{key}: a list of texts, not {list(value)!r}")
            return list(value)
        if kind is Kind.BOOL:
            if not isinstance(value, bool):
                raise InvalidInput(f"{key}: true or false, not {value!r}")
            return value
        if kind is Kind.INT:
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidInput(f"{key}: a whole number, not {value!r}")
            return value
        if kind is Kind.AMOUNT:
            if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
                raise InvalidInput(f"{key}: an amount of yuan, not {value!r}")
            return str(value)  # exact: the step reads it as a Decimal
        if kind is Kind.DATE:
            if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
                raise InvalidInput(f"{key}: a date (YYYY-MM-DD), not {value!r}")
            return value
        if kind is Kind.ID:
            return _id(key, value)
        return self._records(value)

    def _records(self, value: Any) -> list[dict[str, Any]]:
        assert self.record is not None
        key = self.key
        if isinstance(value, str | Mapping) or not isinstance(value, Sequence):
            raise InvalidInput(f"{key}: a list of {self.record.name} records, not {value!r}")
        out = []
        for n, item in enumerate(value):
            if not isinstance(item, Mapping):
                raise InvalidInput(f"{key}[{n}]: a {self.record.name} record, not {item!r}")
            unknown = sorted(set(item) - {f.key for f in self.record.fields})
            if unknown:
                raise InvalidInput(f"{key}[{n}].{unknown[0]}: no such field")
            record: dict[str, Any] = {}
            for f in self.record.fields:
                where = f"{key}[{n}].{f.key}"
                v = item.get(f.key)
                if v is None or (isinstance(v, str) and not v.strip()):
                    raise InvalidInput(f"{where}: required")
                if f.kind is Kind.ID:
                    record[f.key] = _id(where, v, inside=True)
                elif not isinstance(v, str):
                    raise InvalidInput(f"{where}: a text, not {v!r}")
                else:
                    record[f.key] = v.strip()
            out.append(record)
        return out

    def from_text(self, raw: str) -> Any:
        """A value written on the command line (``--input key=value``), typed for :meth:`check`.

        LIST: one name (repeat the key for more) or a JSON list of texts; RECORDS: one record,
        its fields in order separated by "=" (``12=parent``)."""
        key, kind = self.key, self.kind
        if kind is Kind.LIST:
            if raw.strip().startswith("["):
                try:
                    value = json.loads(raw)
                except ValueError:
                    raise InvalidInput(f"{key}: not a JSON list: {raw!r}") from None
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise InvalidInput(f"{key}: a JSON list of texts, not {raw!r}")
                return value
            return [raw]
        if kind is Kind.BOOL:
            word = raw.strip().lower()
            if word in ("true", "yes", "1"):
                return True
            if word in ("false", "no", "0"):
                return False
            raise InvalidInput(f"{key}: true or false, not {raw!r}")
        if kind is Kind.INT:
            if not _INT.fullmatch(raw.strip()):
                raise InvalidInput(f"{key}: a whole number, not {raw!r}")
            return int(raw)
        if kind is Kind.DATE:
            try:
                return dt.date.fromisoformat(raw.strip())
            except ValueError:
                raise InvalidInput(f"{key}: a date (YYYY-MM-DD), not {raw!r}") from None
        if kind is Kind.RECORDS:
            assert self.record is not None
            names = [f.key for f in self.record.fields]
            parts = raw.split("=", len(names) - 1)
            if len(parts) != len(names) or not all(p.strip() for p in parts):
                shape = "=".join(snake(n).upper() for n in names)
                raise InvalidInput(f"{key}: write {shape}, not {raw!r}")
            return [dict(zip(names, (p.strip() for p in parts), strict=True))]
        return raw  # TEXT, AMOUNT (checked by the step), ID (checked by check)

    @property
    def usage(self) -> str:
        """How the command line writes it: ``investigators=TEXT (repeatable)``."""
        if self.kind is Kind.LIST:
            shown = "TEXT (repeatable)"
        elif self.kind is Kind.RECORDS and self.record is not None:
            shown = "=".join(snake(f.key).upper() for f in self.record.fields) + " (repeatable)"
        elif self.choices:
            shown = "|".join(self.choices)
        else:
            shown = self.kind.value.upper()
        return f"{self.key}={shown}"


# The kinds whose text form differs from the value a step takes.
_FROM_TEXT = frozenset({Kind.LIST, Kind.BOOL, Kind.INT, Kind.DATE, Kind.RECORDS})


def _id(where: str, value: Any, *, inside: bool = False) -> int:
    """``value`` as a database id. A malformed id finds nothing (NOT_FOUND), as in the API's
    other ids; inside a record it is a malformed input (INVALID_INPUT)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isascii() and _ID.fullmatch(value.strip()):
        return int(value)
    if inside:
        raise InvalidInput(f"{where}: not an id: {value!r}")
    raise CaseNotFound(f"{where}: no record with id {value!r}")


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One case action.

    ``name``: the step (and its audit event's ``action``); ``mutation``: the GraphQL field
    (default: ``name`` in camelCase). ``roles``: who may ever take it; with ``by_level`` the
    step narrows them to the level the policy names for the case (``confirming_level``: the
    township officer or the county approver). ``states``: program → the states it is taken in
    (none for opening). ``household``: the step reads the stored household (re-evaluated, or
    checked), which the store supplies; ``supplied``: other keyword parameters of the step the
    store fills in from what it read (never inputs). ``errors``: error code → the input a
    refusal points at (after :data:`COMMON_ERRORS` and the inputs a message names).
    """

    name: str
    step: Step
    description: str
    roles: tuple[Role, ...]
    states: Mapping[str, tuple[CaseState, ...]]
    inputs: tuple[Input, ...] = ()
    errors: Mapping[str, str] = field(default_factory=dict)
    by_level: bool = False
    household: bool = False
    supplied: tuple[str, ...] = ()
    opens: bool = False
    mutation: str = ""

    @property
    def graphql_name(self) -> str:
        return self.mutation or camel(self.name)

    @property
    def signature(self) -> tuple[Input, ...]:
        """Every argument of the action's mutation, in order: the case and the version it was
        decided on (not when opening), the action's inputs, and the day of the step."""
        head = () if self.opens else (CASE_ID, EXPECTED_VERSION)
        return (*head, *self.inputs, ON)

    @property
    def arguments(self) -> tuple[str, ...]:
        """The GraphQL arguments, in order."""
        return tuple(i.key for i in self.signature)

    @property
    def programs(self) -> tuple[str, ...]:
        return PROGRAMS if self.opens else tuple(p for p in PROGRAMS if p in self.states)

    def input(self, name: str) -> Input | None:
        """The input called ``name`` (snake_case or camelCase)."""
        wanted = snake(name)
        return next((i for i in self.inputs if i.name == wanted), None)

    def unknown(self, name: str) -> InvalidInput:
        """The refusal of an input this action does not take."""
        return InvalidInput(
            f"{camel(name)}: {self.name} takes no such input (it takes: "
            f"{', '.join(i.key for i in self.inputs) or 'none'})"
        )

    def prepare(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """The keyword inputs of the step (and the store) from ``given`` (by snake_case name):
        an unknown input, a missing required one or a value of the wrong kind is INVALID_INPUT
        naming it; an input given as None is left out (the step's default applies)."""
        for name in given:
            if self.input(name) is None:
                raise self.unknown(name)
        out: dict[str, Any] = {}
        for i in self.inputs:
            value = given.get(i.name)
            if value is None:
                if i.required:
                    raise InvalidInput(f"{i.key}: {self.name} needs {i.usage} ({self.usage})")
                continue
            out[i.name] = i.check(value)
        program = out.get("program")
        for i in self.inputs:
            if i.programs and i.name in out and program not in i.programs:
                raise InvalidInput(f"{i.key}: only for {' and '.join(i.programs)} applications")
        return out

    def prepare_loose(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """:meth:`prepare` for inputs that arrive untyped — a JSON object (a finding's
        ``resolveFinding(inputs:)``) or command-line text: keys in camelCase or snake_case, a
        date, flag, whole number, list or record written as text is read as the command line
        reads it (:meth:`Input.from_text`); anything else is checked as given."""
        typed: dict[str, Any] = {}
        for key, value in given.items():
            i = self.input(key)
            if i is None:
                raise self.unknown(snake(key))
            if isinstance(value, str) and i.kind in _FROM_TEXT:
                value = i.from_text(value)
            if i.name in typed:
                raise InvalidInput(f"{i.key}: given twice")
            typed[i.name] = value
        return self.prepare(typed)

    def field_of(self, exc: DoudiError) -> str | None:
        """The argument a refusal points at (None when it is not about one)."""
        explicit = getattr(exc, "field", None)
        # An error class's own field (MemberNotFound: idNumber) holds where the action has that
        # argument; elsewhere the action's mapping says which of its inputs it is about.
        if isinstance(explicit, str) and explicit in self.arguments:
            return explicit
        if exc.code == "INVALID_INPUT":
            named = _NAMED.match(exc.message)
            if named and named.group(1) in self.arguments:
                return named.group(1)
        if exc.code in self.errors:
            return self.errors[exc.code]
        return None if self.opens else COMMON_ERRORS.get(exc.code)

    @property
    def usage(self) -> str:
        """The inputs as ``key=VALUE`` (optional ones in brackets; deprecated ones left out)."""
        parts = [i.usage if i.required else f"[{i.usage}]" for i in self.inputs if not i.deprecated]
        return " ".join(parts) or "(no inputs)"


# -- the arguments every step on a stored case takes (see ActionSpec.signature) -------------

CASE_ID = Input("id", Kind.ID, "The case.", required=True)
EXPECTED_VERSION = Input(
    "expected_version",
    Kind.INT,
    "The version the decision was made on (VERSION_CONFLICT if the case changed since).",
    required=True,
)
ON = Input(
    "on",
    Kind.DATE,
    "The day of the step (default today in China; never in the future nor before the case's "
    "last step).",
)

# -- the inputs many actions share ----------------------------------------------------------

NOTE = Input("note", Kind.TEXT, "A note for the file.", default="")
REASONS = Input("reasons", Kind.LIST, "The reasons, one per item (blank items are dropped).")
INVESTIGATORS = Input(
    "investigators",
    Kind.LIST,
    "The names of the investigators who made the visit (at least the policy's "
    "dibao.investigation.min_investigators, tekun.investigation.min_investigators for tekun; "
    "one where no rule sets a number).",
    required=True,
)
FINDINGS = Input("findings", Kind.TEXT, "What the visit found.", default="")
# A phase-out's conditions (dibao.phase_out.causes, requires_self_report).
CAUSE = Input(
    "cause",
    Kind.TEXT,
    "What lifted the income over the standard, where the policy names causes "
    "(dibao.phase_out.causes): employment (就业) or business_start (创业).",
    choices=tuple(PHASE_OUT_CAUSE_INCOME),
)
CAUSE_MEMBER = Input(
    "cause_member",
    Kind.TEXT,
    "The ID number of the living member whose work or business shows the cause.",
)
SELF_REPORTED = Input(
    "self_reported",
    Kind.BOOL,
    "The household reported the higher income itself (主动报告), where the policy requires it "
    "(dibao.phase_out.requires_self_report).",
)
STAFF = (Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER, Role.COUNTY_APPROVER)
BY_LEVEL = (Role.TOWNSHIP_OFFICER, Role.COUNTY_APPROVER)
DIBAO_TEKUN = ("dibao", "tekun")
PHASE_OUT_CODES = ("PHASE_OUT_TOO_LONG", "PHASE_OUT_TOO_SHORT")
# The grounds an applicant gives ("any_emergency" is the policy's, not a person's).
EMERGENCY_GROUNDS = tuple(g for g in EMERGENCY_LOCATION_GROUNDS if g != "any_emergency")


def _in(programs: Sequence[str], states: Sequence[CaseState]) -> dict[str, tuple[CaseState, ...]]:
    return {p: tuple(states) for p in programs}


CASE_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "open",
        open_case,
        "Accept an application (受理) of a stored household for dibao, tekun or temporary (with "
        "amount and kind); village clerks and township officers.",
        roles=(Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER),
        states={},
        opens=True,
        mutation="submitApplication",
        inputs=(
            Input("household_id", Kind.ID, "The stored household applying.", required=True),
            Input(
                "program",
                Kind.TEXT,
                "dibao (低保), tekun (特困) or temporary (临时救助).",
                required=True,
                choices=PROGRAMS,
            ),
            Input(
                "near_relatives",
                Kind.RECORDS,
                "Staff the applicant is a near relative of (近亲属备案): they never act on the "
                "case, and where the policy says so it is filed for the county's own visit.",
                record=Record(
                    "NearRelative",
                    "A staff member the applicant is a near relative of.",
                    (
                        RecordField("user_id", Kind.ID, "The staff member's user id."),
                        RecordField(
                            "relation",
                            Kind.TEXT,
                            "As in dibao.near_relative.relations (spouse, parent, child, "
                            "sibling ...).",
                        ),
                    ),
                ),
            ),
            Input(
                "amount",
                Kind.AMOUNT,
                "temporary: the one-off amount asked for, in yuan.",
                programs=("temporary",),
            ),
            Input(
                "kind",
                Kind.TEXT,
                "temporary: emergency (急难型, the default) or expenditure (支出型).",
                choices=("emergency", "expenditure"),
                programs=("temporary",),
            ),
            Input(
                "category",
                Kind.TEXT,
                "temporary: general (the default) or unemployed_uninsured (未参保失业人员, with "
                "monthsWithoutIncome and unemploymentInsured; "
                "temporary.unemployed_no_income_months).",
                choices=TEMPORARY_CATEGORIES,
                programs=("temporary",),
            ),
            Input(
                "months_without_income",
                Kind.INT,
                "temporary, unemployed_uninsured: the consecutive months without income.",
                programs=("temporary",),
            ),
            Input(
                "unemployment_insured",
                Kind.BOOL,
                "temporary, unemployed_uninsured: covered by unemployment insurance or not.",
                programs=("temporary",),
            ),
            Input(
                "at_county",
                Kind.TEXT,
                "temporary emergency: the county where it happened, for a household registered "
                "elsewhere (temporary.apply_at_emergency_location there); the case is that "
                "county's.",
                programs=("temporary",),
                store=True,
            ),
            Input(
                "ground",
                Kind.TEXT,
                "Why the emergency location helps (temporary.emergency_location_grounds): "
                "migrant_worker_without_work_or_family_support (暂时找不到工作又得不到家庭支持"
                "的外来务工人员) or stranded (因交通管控等原因暂时滞留的临时遇困人员).",
                choices=EMERGENCY_GROUNDS,
                programs=("temporary",),
            ),
        ),
        supplied=("registered_county",),
        errors={"NOT_FOUND": "householdId", "UNKNOWN_JURISDICTION": "atCounty"},
    ),
    ActionSpec(
        "record_investigation",
        record_investigation,
        "The investigation (调查核实) by at least the policy's number of investigators (township "
        "or county): a home visit (入户调查, the default method) or another method the rules "
        "allow (审核确认办法 art. 15-16); the policy's share of new applicants "
        "(dibao.home_visit.new_applicant_ratio) needs a home visit before confirmation.",
        roles=VISITORS,
        states=_in(PROGRAMS, BEFORE_DECISION),
        inputs=(
            INVESTIGATORS,
            FINDINGS,
            Input(
                "method",
                Kind.TEXT,
                "home_visit (入户调查, the default), neighbour_visit, letter, data_check or "
                "remote (审核确认办法 art. 15-16).",
                default="home_visit",
                choices=INVESTIGATION_METHODS,
            ),
        ),
        errors={"TOO_FEW_INVESTIGATORS": "investigators"},
    ),
    ActionSpec(
        "record_verification",
        record_verification,
        "The county's economic-status verification (核对): before confirmation, or on a case in "
        "payment the periodic check (核对排查: lastPeriodicVerification).",
        roles=(Role.COUNTY_APPROVER,),
        states=_in(DIBAO_TEKUN, (*BEFORE_DECISION, *IN_PAYMENT)),
        inputs=(
            Input("passed", Kind.BOOL, "Whether the verification passed.", required=True),
            Input("notes", Kind.TEXT, "What the verification found.", default=""),
        ),
    ),
    ActionSpec(
        "record_self_care",
        record_self_care,
        "tekun: the self-care assessment (failed indicators of 6). Where the county checks the "
        "township's assessments (tekun.self_care.county_spot_check_ratio) the township's is "
        "preliminary and the county concludes the selected ones; in payment, the county's "
        "reassessment after a reported change (reportSelfCareChange).",
        roles=VISITORS,
        states=_in(("tekun",), (S.INVESTIGATED, S.ACTIVE)),
        inputs=(
            Input(
                "failed_indicators",
                Kind.INT,
                "How many of the 6 self-care indicators (eating, dressing, bed transfer, "
                "toileting, indoor walking, bathing) the person fails: 0 to 6.",
                required=True,
            ),
        ),
        errors={"INVALID_INPUT": "failedIndicators"},
    ),
    ActionSpec(
        "record_first_review",
        record_first_review,
        "The township's first review (初审).",
        roles=(Role.TOWNSHIP_OFFICER,),
        states=_in(DIBAO_TEKUN, (S.INVESTIGATED,)),
        inputs=(Input("opinion", Kind.TEXT, "The township's opinion.", default=""),),
    ),
    ActionSpec(
        "start_publicity",
        start_publicity,
        "Publicity (公示) for the days the policy sets.",
        roles=(Role.TOWNSHIP_OFFICER,),
        states=_in(DIBAO_TEKUN, (S.FIRST_REVIEWED,)),
    ),
    ActionSpec(
        "record_objection",
        record_objection,
        "An objection during publicity: reopens the investigation.",
        roles=STAFF,
        states=_in(DIBAO_TEKUN, (S.IN_PUBLICITY,)),
        inputs=(Input("reason", Kind.TEXT, "What the objection says.", required=True),),
        errors={"REASONS_REQUIRED": "reason"},
    ),
    ActionSpec(
        "record_own_application",
        record_own_application,
        "dibao: a living member applies on their own (经本人申请) to be enrolled as a "
        "single-person household (单人户) should the household not qualify as a whole; where "
        "dibao.single_person.own_application_required holds (Yunnan, Yongning) a single-person "
        "decision covers no member without it (OWN_APPLICATION_REQUIRED): ownApplications.",
        roles=(Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER),
        household=True,
        states=_in(("dibao",), (*BEFORE_DECISION, *IN_PAYMENT)),
        inputs=(
            Input(
                "member",
                Kind.TEXT,
                "The ID number of the member who applies on their own.",
                required=True,
            ),
            NOTE,
        ),
        errors={"NOT_FOUND": "member"},
    ),
    ActionSpec(
        "record_democratic_appraisal",
        record_democratic_appraisal,
        "dibao: the democratic appraisal (民主评议) of the application, organised by the "
        "township; where dibao.single_person.assessment_means lists it (Yongning) a "
        "single-person decision waits for it (APPRAISAL_REQUIRED): democraticAppraisal.",
        roles=(Role.TOWNSHIP_OFFICER,),
        states=_in(("dibao",), BEFORE_DECISION),
        inputs=(
            Input(
                "appraisal",
                Kind.TEXT,
                "What the appraisal found (民主评议意见).",
                required=True,
            ),
            NOTE,
        ),
        errors={"INVALID_INPUT": "appraisal"},
    ),
    ActionSpec(
        "record_complaint",
        record_complaint,
        "dibao: a complaint or report (投诉、举报) received while the application is decided: the "
        "county's home visit is then needed before confirmation (审核确认办法 art. 20).",
        roles=STAFF,
        states=_in(("dibao",), BEFORE_DECISION),
        inputs=(Input("reason", Kind.TEXT, "What the complaint or report says.", required=True),),
        errors={"REASONS_REQUIRED": "reason"},
    ),
    ActionSpec(
        "confirm_case",
        confirm_case,
        "Confirm (审核确认) at the level the policy names, after publicity (and verification "
        "where required); the benefit starts the month after. The eligibility engine always "
        "decides the stored household again and sets the amount and the members covered; "
        "monthlyAmount sets a lower amount (never above the engine's: AMOUNT_TOO_HIGH) with "
        "reasons (REASONS_REQUIRED). A single-person decision covers only members who applied on "
        "their own where the policy requires it (OWN_APPLICATION_REQUIRED), and after the "
        "assessment dibao.single_person.assessment_means lists (VERIFICATION_REQUIRED, "
        "HOME_VISIT_REQUIRED, APPRAISAL_REQUIRED).",
        roles=BY_LEVEL,
        by_level=True,
        household=True,
        states={
            "dibao": (S.IN_PUBLICITY,),
            "tekun": (S.IN_PUBLICITY,),
            "temporary": (S.ACCEPTED, S.INVESTIGATED),
        },
        inputs=(
            Input(
                "evaluate",
                Kind.BOOL,
                "Ignored: confirmation always evaluates eligibility (false is refused).",
                deprecated="confirmation always evaluates; false is refused",
            ),
            Input(
                "monthly_amount",
                Kind.AMOUNT,
                "A lower amount than the engine's, in yuan (monthly; one-off for temporary), "
                "with reasons.",
            ),
            REASONS,
            Input(
                "exception_reasons",
                Kind.LIST,
                "temporary expenditure: why it is granted although the income is not below the "
                "local figure (temporary.expenditure.disposable_income_limit; 民发〔2018〕23号 "
                "二(一): 原则上).",
            ),
        ),
        errors={"INVALID_INPUT": "monthlyAmount", "REASONS_REQUIRED": "reasons"},
    ),
    ActionSpec(
        "reject_case",
        reject_case,
        "Refuse (不予确认) at the confirming level, with reasons.",
        roles=BY_LEVEL,
        by_level=True,
        states=_in(PROGRAMS, (*BEFORE_DECISION, S.ASSISTED)),
        inputs=(Input("reasons", Kind.LIST, "Why the application is refused.", required=True),),
        errors={"REASONS_REQUIRED": "reasons"},
    ),
    ActionSpec(
        "record_refusal_notice",
        record_refusal_notice,
        "The written notice of a refusal (不予确认书面告知) was given; the case stays rejected "
        "(township officers and county approvers).",
        roles=VISITORS,
        states=_in(DIBAO_TEKUN, (S.REJECTED,)),
        inputs=(NOTE,),
    ),
    ActionSpec(
        "record_spot_check",
        record_spot_check,
        "The county's spot-check of a township confirmation (overturned: exit, found "
        "ineligible) or of a tekun file before confirmation; reasons when overturned.",
        roles=(Role.COUNTY_APPROVER,),
        states={"dibao": IN_PAYMENT, "tekun": (S.FIRST_REVIEWED, S.IN_PUBLICITY)},
        inputs=(
            Input(
                "upheld",
                Kind.BOOL,
                "Whether the county upholds the decision (false overturns it).",
                required=True,
            ),
            Input("reasons", Kind.LIST, "Why (required when overturned)."),
        ),
        errors={"REASONS_REQUIRED": "reasons"},
    ),
    ActionSpec(
        "record_review",
        record_review,
        "Periodic review (复核): the stored household re-evaluated; continue, raise or lower "
        "while eligible. Income over (超过) the standard where the policy allows a phase-out: "
        "the official chooses outcome phase_out (phaseOutMonths, the cause the document names "
        "with causeMember, selfReported where required) or exit (with reasons); without a "
        "choice CHOICE_REQUIRED. Otherwise exit. After a change reported (reportChange) or found "
        "by a verification that did not pass, where dibao.review.home_visit_after_change holds, "
        "a raise, a reduction, a phase-out or an exit waits for a home visit made after it "
        "(HOME_VISIT_REQUIRED). The rule that allowed the outcome is recorded on the event "
        "(inputs.rule).",
        roles=BY_LEVEL,
        by_level=True,
        household=True,
        states=_in(DIBAO_TEKUN, (S.ACTIVE,)),
        inputs=(
            Input(
                "outcome",
                Kind.TEXT,
                "dibao, income over the standard where a phase-out is allowed: phase_out "
                "(渐退, with phaseOutMonths and its cause) or exit (with reasons). Not given "
                "for a household still eligible.",
                choices=REVIEW_OUTCOMES,
            ),
            Input(
                "phase_out_months",
                Kind.INT,
                "dibao: months of phase-out (渐退期) within the policy's bounds (implies "
                "outcome phase_out).",
            ),
            CAUSE,
            CAUSE_MEMBER,
            SELF_REPORTED,
            Input(
                "reasons",
                Kind.LIST,
                "Why the household exits although a phase-out is allowed (required with "
                "outcome exit there); notes on any other exit.",
            ),
        ),
        errors={
            **dict.fromkeys(PHASE_OUT_CODES, "phaseOutMonths"),
            "CHOICE_REQUIRED": "outcome",
            "REASONS_REQUIRED": "reasons",
            "NOT_FOUND": "causeMember",
        },
    ),
    ActionSpec(
        "start_phase_out",
        start_phase_out,
        "Phase-out (渐退) for months within the policy's bounds: the stored household is "
        "evaluated again and must be over (超过) the standard, for the cause the document names "
        "(cause, causeMember) and on its own report where required (selfReported); "
        "PHASE_OUT_NOT_ALLOWED otherwise.",
        roles=BY_LEVEL,
        by_level=True,
        household=True,
        states=_in(("dibao",), (S.ACTIVE,)),
        inputs=(
            Input(
                "months",
                Kind.INT,
                "How many months the benefit continues (dibao.phase_out.min_months to max_months).",
                required=True,
            ),
            CAUSE,
            CAUSE_MEMBER,
            SELF_REPORTED,
        ),
        errors={**dict.fromkeys(PHASE_OUT_CODES, "months"), "NOT_FOUND": "causeMember"},
    ),
    ActionSpec(
        "record_phase_out_notice",
        record_phase_out_notice,
        "The formal written notice (正式文书) telling the household it is phasing out, with its "
        "number; due on the day of the phase-out decision where "
        "dibao.phase_out.written_notice_required holds (Yongning): phaseOutNotice.",
        roles=(Role.TOWNSHIP_OFFICER, Role.COUNTY_APPROVER),
        states=_in(("dibao",), (S.PHASING_OUT,)),
        inputs=(
            Input(
                "number", Kind.TEXT, "The number of the written notice (文书编号).", required=True
            ),
            NOTE,
        ),
        errors={"INVALID_INPUT": "number"},
    ),
    ActionSpec(
        "record_income_stable",
        record_income_stable,
        "Income stable during the phase-out: exit the next month, where the policy provides "
        "for it (Ningxia).",
        roles=BY_LEVEL,
        by_level=True,
        states=_in(("dibao",), (S.PHASING_OUT,)),
    ),
    ActionSpec(
        "record_work_refusal",
        record_work_refusal,
        "A covered member refused a suitable job offered: counted, in a row, towards the "
        "policy's limit (dibao.refused_work.limit) for that member unless goodReason "
        "(审核确认办法 art. 34). Without member it is recorded and counts for nobody.",
        roles=VISITORS,
        states=_in(("dibao",), IN_PAYMENT),
        inputs=(
            Input("member", Kind.TEXT, "The ID number of the covered member who refused."),
            Input(
                "good_reason",
                Kind.BOOL,
                "Refused with a good reason (正当理由): recorded, not counted.",
                default="false",
            ),
            NOTE,
        ),
        errors={"NOT_FOUND": "member"},
    ),
    ActionSpec(
        "record_work_accepted",
        record_work_accepted,
        "A covered member accepted a job offered: their refusals count from 0 again (连续).",
        roles=VISITORS,
        states=_in(("dibao",), IN_PAYMENT),
        inputs=(
            Input(
                "member",
                Kind.TEXT,
                "The ID number of the covered member who accepted.",
                required=True,
            ),
            NOTE,
        ),
        errors={"NOT_FOUND": "member"},
    ),
    ActionSpec(
        "reduce_for_refused_work",
        reduce_for_refused_work,
        "The county stops (stop, the default) or reduces (stop false, monthlyAmount, reasons) "
        "the refusing member's own benefit after the policy's number of refusals in a row "
        "(审核确认办法 art. 34); the others stay covered. The only member covered: exitCase "
        "with reason refused_work instead.",
        roles=(Role.COUNTY_APPROVER,),
        states=_in(("dibao",), IN_PAYMENT),
        inputs=(
            Input(
                "member",
                Kind.TEXT,
                "The ID number of the covered member who refused.",
                required=True,
            ),
            Input(
                "stop",
                Kind.BOOL,
                "Stop their share from next month (they are no longer covered); false: reduce "
                "the amount to monthlyAmount.",
                default="true",
            ),
            Input(
                "monthly_amount",
                Kind.AMOUNT,
                "stop false: the reduced monthly amount in yuan, between the amount without "
                "their share and the present amount (excluded).",
            ),
            Input("reasons", Kind.LIST, "stop false: why this reduction (required)."),
        ),
        errors={
            "NOT_FOUND": "member",
            "REFUSED_WORK_BELOW_LIMIT": "member",
            "REASONS_REQUIRED": "reasons",
        },
    ),
    ActionSpec(
        "exit_case",
        exit_case,
        "Exit (退出) with a reason; the benefit stops the next month. tekun, other than by "
        "death: the termination is published first (tekun.approval.publicity_days; 特困人员认定"
        "办法 art. 26) and support continues until the county decides (confirmTermination).",
        roles=BY_LEVEL,
        by_level=True,
        states=_in(DIBAO_TEKUN, IN_PAYMENT),
        inputs=(
            Input(
                "reason",
                Kind.TEXT,
                "Why the case exits (refused_work only when the only member covered refused "
                "the policy's number of times in a row, else reduceForRefusedWork; "
                "income_over_standard during a phase-out only once it has run its course, and "
                "where a phase-out is allowed with reasons).",
                required=True,
                choices=tuple(r.value for r in ExitReason),
                enum=ExitReason,
            ),
            Input("reasons", Kind.LIST, "Details (required when found ineligible)."),
        ),
        errors={
            "REASONS_REQUIRED": "reasons",
            "REFUSED_WORK_BELOW_LIMIT": "reason",
            "PHASE_OUT_NOT_OVER": "reason",
        },
    ),
    ActionSpec(
        "confirm_termination",
        confirm_termination,
        "tekun: the county's decision after a termination's publicity (特困人员认定办法 art. 26): "
        "upheld (the default) ends support from the next month; upheld false withdraws it, "
        "with reasons.",
        roles=(Role.COUNTY_APPROVER,),
        states=_in(("tekun",), (S.ACTIVE,)),
        inputs=(
            Input(
                "upheld",
                Kind.BOOL,
                "Whether the termination stands (false: an objection found the person still "
                "qualifies).",
                default="true",
            ),
            Input("reasons", Kind.LIST, "Why it is withdrawn (required when not upheld)."),
        ),
        errors={"REASONS_REQUIRED": "reasons"},
    ),
    ActionSpec(
        "record_death",
        record_death,
        "A member of the stored household died (idNumber; NOT_FOUND unless a member) on "
        "dateOfDeath (default: the household's dateOfDeath for them, else the day recorded): "
        "the household is evaluated again without them and the new amount applies from the "
        "month after the death (months paid since are flagged: overpaidFrom; not eligible or "
        "undecided: paid unchanged until the re-check, recheckBy); the head died: "
        "headChangeRequired (due by headChangeDue where the policy sets it); nobody covered "
        "left alive: the case exits (tekun: when the person it covers died).",
        roles=STAFF,
        household=True,
        states=_in(DIBAO_TEKUN, IN_PAYMENT),
        inputs=(
            Input(
                "id_number",
                Kind.TEXT,
                "The resident ID number of the member who died.",
                required=True,
            ),
            Input(
                "date_of_death",
                Kind.DATE,
                "The day of death (not after the day recorded).",
            ),
        ),
        errors={"INVALID_INPUT": "dateOfDeath"},
    ),
    ActionSpec(
        "record_head_change",
        record_head_change,
        "After the head died (headChangeRequired): the stored household now names a living "
        "head and a payment account (paymentAccount, 一卡通) held by a living member (else "
        "HEAD_NOT_CHANGED or PAYMENT_ACCOUNT_REQUIRED); clears headChangeRequired and records "
        "headChange (township or county).",
        roles=VISITORS,
        household=True,
        states=_in(DIBAO_TEKUN, IN_PAYMENT),
    ),
    ActionSpec(
        "record_home_visit",
        record_home_visit,
        "A home visit to a household in payment (入户核查) by at least the policy's number of "
        "investigators (township or county): lastHomeVisit.",
        roles=VISITORS,
        states=_in(DIBAO_TEKUN, IN_PAYMENT),
        inputs=(INVESTIGATORS, FINDINGS),
        errors={"TOO_FEW_INVESTIGATORS": "investigators"},
    ),
    ActionSpec(
        "record_care_placement",
        record_care_placement,
        "tekun in payment: where the person is cared for, mode centralised (集中供养, in the "
        "institution named) or dispersed (分散供养); township or county: care.",
        roles=VISITORS,
        states=_in(("tekun",), (S.ACTIVE,)),
        inputs=(
            Input(
                "mode",
                Kind.TEXT,
                "centralised (集中供养) or dispersed (分散供养, at home).",
                required=True,
                choices=CARE_MODES,
            ),
            Input(
                "institution",
                Kind.TEXT,
                "The institution (required for centralised care) or, dispersed, who cares.",
                default="",
            ),
        ),
    ),
    ActionSpec(
        "record_care_visit",
        record_care_visit,
        "tekun in payment: kind visit (走访探视: lastCareVisit) or carer_assessment (照料服务评估: "
        "lastCareAssessment); township or county.",
        roles=VISITORS,
        states=_in(("tekun",), (S.ACTIVE,)),
        inputs=(
            Input(
                "kind",
                Kind.TEXT,
                "visit (走访探视) or carer_assessment (照料服务评估).",
                required=True,
                choices=tuple(CARE_VISIT_KINDS),
            ),
            NOTE,
        ),
    ),
    ActionSpec(
        "record_care_wish",
        record_care_wish,
        "tekun in payment: whether the person wishes to live in a care institution "
        "(集中供养意愿); where the policy admits every willing person "
        "(tekun.centralised_care.admit_all_willing, self_care_levels) they must be placed "
        "(careWish.mustPlace; supervision: willing_not_placed).",
        roles=VISITORS,
        states=_in(("tekun",), (S.ACTIVE,)),
        inputs=(
            Input(
                "willing",
                Kind.BOOL,
                "Whether the person wishes to live in a care institution.",
                required=True,
            ),
            NOTE,
        ),
    ),
    ActionSpec(
        "report_change",
        report_change,
        "dibao in payment: the household reports a change of its members or finances (经个人报告); "
        "the review decides on it, after a home visit where "
        "dibao.review.home_visit_after_change holds (Shanxi): changeReported.",
        roles=STAFF,
        states=_in(("dibao",), (S.ACTIVE,)),
        inputs=(
            Input(
                "what",
                Kind.TEXT,
                "What changed (家庭人口或经济状况的变动), as the household reported it.",
                required=True,
            ),
            NOTE,
        ),
        errors={"INVALID_INPUT": "what"},
    ),
    ActionSpec(
        "report_self_care_change",
        report_self_care_change,
        "tekun in payment: a change of self-care reported (by the person, the carer, the "
        "village committee or the institution); the county reassesses within "
        "tekun.self_care.reassess_within_working_days (recordSelfCare by the county; "
        "supervision: self_care_reassessment_overdue).",
        roles=STAFF,
        states=_in(("tekun",), (S.ACTIVE,)),
        inputs=(
            Input(
                "reported_by",
                Kind.TEXT,
                "Who reported the change (本人, 照料服务人, 村(居)委会, 供养服务机构 …).",
                required=True,
            ),
            NOTE,
        ),
        errors={"INVALID_INPUT": "reportedBy"},
    ),
    ActionSpec(
        "assist_first",
        assist_first,
        "temporary: assistance first (先行救助) by the township.",
        roles=(Role.TOWNSHIP_OFFICER,),
        states=_in(("temporary",), (S.ACCEPTED, S.INVESTIGATED)),
        inputs=(NOTE,),
    ),
    ActionSpec(
        "record_paperwork",
        record_paperwork,
        "temporary: the paperwork after assistance first.",
        roles=BY_LEVEL,
        by_level=True,
        household=True,
        states=_in(("temporary",), (S.ASSISTED,)),
        inputs=(NOTE,),
    ),
)

SPECS: Mapping[str, ActionSpec] = MappingProxyType({s.name: s for s in CASE_ACTIONS})
OPEN = SPECS["open"]
# The steps taken on a stored case, by name (what the store runs).
ACTIONS: dict[str, Step] = {s.name: s.step for s in CASE_ACTIONS if not s.opens}
# The steps that get the stored household from the store.
NEEDS_HOUSEHOLD = frozenset(s.name for s in CASE_ACTIONS if s.household)

__all__ = [
    "ACTIONS",
    "CASE_ACTIONS",
    "CASE_ID",
    "COMMON_ERRORS",
    "EXPECTED_VERSION",
    "NEEDS_HOUSEHOLD",
    "ON",
    "OPEN",
    "SPECS",
    "ActionSpec",
    "Input",
    "Kind",
    "Record",
    "RecordField",
    "Step",
    "camel",
    "snake",
]
