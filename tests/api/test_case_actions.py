"""The case mutations are generated from the action specs (core.cases.actions), and every action
is reachable through GraphQL and the command line with the same checks and the same answers.

- the schema has one mutation per spec, its arguments (order, types, defaults, descriptions)
  as the spec declares them;
- ``caseActionSpecs`` publishes the specs as the schema has them: each mutation's arguments in
  order with their GraphQL types (as a query declares them), descriptions, defaults and the
  values an enum takes, so that a client builds its forms and queries from it;
- an action added to the specs becomes a mutation (and a spec in ``caseActionSpecs``): a schema
  built from the specs plus one more action has its mutation, which takes the step (through
  the store) with the inputs declared;
- for every action, two identical cases in the state the action is taken in: one acted on
  through GraphQL, the other through ``doudi cases act`` / ``doudi cases open`` with the same
  inputs, give the same outcome (the state and version after, the inputs recorded in the event;
  or the same refusal, code and message), as do inputs every surface must refuse.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLNonNull,
    Undefined,
    get_named_type,
    parse,
    validate,
)
from sqlalchemy import insert

from core.access.roles import Role
from core.access.tokens import create_user
from core.api.context import Context
from core.api.schema import make_schema, schema
from core.cases import ACTIONS, CASE_ACTIONS, ExitReason, Transition, record_work_refusal
from core.cases.actions import IN_PAYMENT, NOTE, ActionSpec, Input, Kind
from core.cases.machine import VISITORS
from core.cli import cli
from core.households.store import create_household
from core.policy.service import PolicyBase
from core.runtime import Runtime
from core.storage.tables import CaseRow, utcnow
from tests.support.api import Api, open_test_runtime
from tests.support.db_backends import SqliteTemplate
from tests.support.households import household_doc, id_number

YUNNAN = "530102"
DAY = dt.date(2023, 9, 4)  # the cases' last step
ON = "2023-10-09"  # the day every action is taken
ERRORS = "userErrors { field message code }"
GRAPHQL_TYPES = {
    Kind.TEXT: "String",
    Kind.LIST: "[String!]",
    Kind.BOOL: "Boolean",
    Kind.INT: "Int",
    Kind.AMOUNT: "Float",
    Kind.DATE: "Date",
    Kind.ID: "ID",
}


def _type(i: Input) -> str:
    if i.kind is Kind.RECORDS:
        assert i.record is not None
        base = f"[{i.record.name}Input!]"
    elif i.enum is not None:
        base = i.enum.__name__
    else:
        base = GRAPHQL_TYPES[i.kind]
    return base + ("" if not i.required and i.default is None else "!")


# -- the schema is generated from the specs ------------------------------------------------------


def test_one_mutation_per_action_with_the_spec_s_arguments() -> None:
    mutation = schema._schema.mutation_type
    assert mutation is not None
    for spec in CASE_ACTIONS:
        field = mutation.fields[spec.graphql_name]
        assert field.description == spec.description
        assert list(field.args) == list(spec.arguments), spec.name
        assert str(get_named_type(field.type)) == "CasePayload"
        for i in spec.inputs:
            arg = field.args[i.key]
            assert str(arg.type) == _type(i), (spec.name, i.key)
            assert arg.description == i.description
            assert arg.deprecation_reason == i.deprecated
            if i.required:
                assert isinstance(arg.type, GraphQLNonNull) and arg.default_value is not None
            else:
                assert arg.default_value == i.default_value
        assert isinstance(field.args["on"].type, GraphQLNonNull) is False
    relative = schema._schema.type_map["NearRelativeInput"]
    assert list(relative.fields) == ["userId", "relation"]  # type: ignore[attr-defined]


SPECS_QUERY = """{ caseActionSpecs { action mutation description roles byLevel opens programs
    states { program states } arguments { name type kind description required default choices
    programs deprecationReason fields { name kind type description } } } }"""


def _specs(s: Any) -> list[dict[str, Any]]:
    result = s.execute_sync(SPECS_QUERY)  # public: no token, no database
    assert result.errors is None, result.errors
    found: list[dict[str, Any]] = result.data["caseActionSpecs"]
    return found


def test_case_action_specs_describe_each_mutation_as_the_schema_has_it() -> None:
    mutation = schema._schema.mutation_type
    assert mutation is not None
    published = _specs(schema)
    assert [p["action"] for p in published] == [s.name for s in CASE_ACTIONS]
    for p, spec in zip(published, CASE_ACTIONS, strict=True):
        field = mutation.fields[p["mutation"]]
        assert p["description"] == field.description
        assert p["roles"] == [r.value for r in spec.roles] and p["opens"] == spec.opens
        assert {s["program"]: s["states"] for s in p["states"]} == {
            program: [s.value for s in states] for program, states in spec.states.items()
        }
        assert [a["name"] for a in p["arguments"]] == list(field.args), spec.name
        for a in p["arguments"]:
            arg = field.args[a["name"]]
            assert a["type"] == str(arg.type), (spec.name, a["name"])  # declares its variable
            assert a["description"] == arg.description
            assert a["deprecationReason"] == arg.deprecation_reason
            assert a["required"] is (isinstance(arg.type, GraphQLNonNull) and a["default"] is None
                                     and arg.default_value is Undefined)  # fmt: skip
            i = spec.input(a["name"])  # None for id, expectedVersion and on (not inputs)
            if i is not None:
                # published as the command line writes it ("false"), the schema's typed (False)
                assert a["default"] == i.default, (spec.name, a["name"])
                if arg.default_value is not Undefined:
                    assert arg.default_value == i.default_value, (spec.name, a["name"])
            elif a["name"] != "on":  # on: today in China, decided when the step is taken
                assert a["required"] and a["default"] is None, (spec.name, a["name"])
            named = get_named_type(arg.type)
            if isinstance(named, GraphQLEnumType):
                assert a["choices"] == list(named.values)
            if isinstance(named, GraphQLInputObjectType):
                assert [f["name"] for f in a["fields"]] == list(named.fields)
                assert [f["type"] for f in a["fields"]] == [
                    str(f.type) for f in named.fields.values()
                ]
    exit_case = next(p for p in published if p["action"] == "exit_case")
    reason = next(a for a in exit_case["arguments"] if a["name"] == "reason")
    assert reason["choices"] == [r.name for r in ExitReason] and reason["kind"] == "TEXT"
    care = next(p for p in published if p["action"] == "record_care_placement")
    assert next(a for a in care["arguments"] if a["name"] == "mode")["choices"] == [
        "centralised",
        "dispersed",
    ]
    # what a client writes from a spec is a query the schema accepts and runs
    open_ = next(p for p in published if p["action"] == "open")
    declared = ", ".join(f"${a['name']}: {a['type']}" for a in open_["arguments"])
    passed = ", ".join(f"{a['name']}: ${a['name']}" for a in open_["arguments"])
    text = f"mutation({declared}) {{ submitApplication({passed}) {{ {ERRORS} }} }}"
    assert validate(schema._schema, parse(text)) == []


def _record_phone_call(
    case: Any, actor: Any, policy: Any, on: Any, *, minutes: int, note: str = ""
) -> Transition:
    """A step added for the test: recorded like a refused job offer, its note naming the call."""
    return record_work_refusal(case, actor, policy, on, note=f"phone call, {minutes} min: {note}")


PHONE_CALL = ActionSpec(
    "record_phone_call",
    _record_phone_call,
    "A phone call with the household (added by a test).",
    roles=VISITORS,
    states={"dibao": IN_PAYMENT},
    inputs=(Input("minutes", Kind.INT, "How long it took.", required=True), NOTE),
    errors={"INVALID_INPUT": "minutes"},
)


@pytest.fixture
def db_file(sqlite_template: SqliteTemplate, tmp_path: Path) -> str:
    """A migrated SQLite database (the surfaces compared share it: the same code on both)."""
    return sqlite_template.clone(tmp_path / "actions.sqlite3")


@pytest.fixture
def runtime(db_file: str, tmp_path: Path, base: PolicyBase) -> Iterator[Runtime]:
    rt = open_test_runtime(db_file, tmp_path, base)
    yield rt
    rt.close()


class Place:
    """Officials in Yunnan and cases written in any state (the same household shape each)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.registry = rt.policy.registry
        self.users: dict[Role, tuple[Any, str]] = {}
        for role in (Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER, Role.COUNTY_APPROVER):
            with rt.sessions() as s:
                self.users[role] = create_user(s, role.value, role.value, YUNNAN, self.registry)
        self.n = 0

    def token(self, role: Role) -> str:
        return self.users[role][1]

    def household(self) -> tuple[int, str]:
        """A new household; returns its id and the spouse's ID number."""
        self.n += 1
        head, spouse = id_number(YUNNAN, 2 * self.n), id_number(YUNNAN, 2 * self.n + 1)
        doc = household_doc(
            YUNNAN,
            (head, f"户主{self.n}", "head"),
            (spouse, f"配偶{self.n}", "spouse"),
            income=[{"kind": "wages", "monthlyAmount": 1000, "member": head}],
            propertyWithinLocalRules=True,
        )
        with self.rt.sessions() as s:
            record = create_household(
                s, self.users[Role.VILLAGE_CLERK][0], doc, self.registry, today=DAY
            )
        return record.id, spouse

    def case(self, program: str, state: str) -> tuple[int, str]:
        """A case of a new household in ``state``, as if its steps had been taken up to
        ``DAY`` (with what any state's steps read); returns its id and the spouse's ID number."""
        hid, spouse = self.household()
        members = [id_number(YUNNAN, 2 * self.n), spouse]
        data = {
            "openedOn": "2023-08-01",
            "amount": "300.00",
            "benefitFrom": "2023-09-01",
            "amounts": [{"from": "2023-09-01", "amount": "300.00"}],
            "membersCovered": members,
            "publicity": {"start": "2023-08-20", "days": 7, "ends": "2023-08-27"},
            "phaseOut": {"decidedOn": "2023-09-04", "months": 3, "from": "2023-10-01",
                         "lastMonth": "2023-12"},
            "decision": {"on": "2023-09-04", "level": "county", "by": 0},
            "selfCare": {"on": "2023-08-10", "failedIndicators": 4, "result": "partial_loss"},
            "assistedFirst": {"on": "2023-09-04", "note": ""},
        }  # fmt: skip
        prefecture, province = self.registry.prefecture_and_province(YUNNAN)
        with self.rt.engine.begin() as conn:
            cid = conn.execute(
                insert(CaseRow.__table__)
                .values(
                    household_id=hid, program=program, county=YUNNAN, prefecture=prefecture,
                    province=province, state=state, version=1, data=data, created_at=utcnow(),
                    updated_at=utcnow(),
                )
                .returning(CaseRow.__table__.c.id)
            ).scalar_one()  # fmt: skip
        return int(cid), spouse


def test_an_action_added_to_the_specs_becomes_a_mutation(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "recordPhoneCall" not in schema._schema.mutation_type.fields  # type: ignore[union-attr]
    extended = make_schema((*CASE_ACTIONS, PHONE_CALL))
    field = extended._schema.mutation_type.fields["recordPhoneCall"]  # type: ignore[union-attr]
    assert list(field.args) == ["id", "expectedVersion", "minutes", "note", "on"]
    assert str(field.args["minutes"].type) == "Int!" and field.args["note"].default_value == ""
    assert field.description == "A phone call with the household (added by a test)."
    [call] = [p for p in _specs(extended) if p["action"] == "record_phone_call"]
    assert call["mutation"] == "recordPhoneCall"
    assert [(a["name"], a["type"]) for a in call["arguments"]] == [
        ("id", "ID!"), ("expectedVersion", "Int!"), ("minutes", "Int!"), ("note", "String!"),
        ("on", "Date"),
    ]  # fmt: skip
    assert "record_phone_call" not in {p["action"] for p in _specs(schema)}

    monkeypatch.setitem(ACTIONS, "record_phone_call", _record_phone_call)  # the store's steps
    place = Place(runtime)
    cid, _ = place.case("dibao", "active")
    query = f"""mutation($id: ID!, $m: Int!) {{ recordPhoneCall(id: $id, expectedVersion: 1,
        minutes: $m, note: "家中无人", on: "{ON}") {{
            case {{ version state data }} {ERRORS} }} }}"""

    def run(minutes: int) -> dict[str, Any]:
        context = Context(
            base=runtime.policy,
            runtime=runtime,
            authorization=f"Bearer {place.token(Role.TOWNSHIP_OFFICER)}",
        )
        result = asyncio.run(
            extended.execute(query, {"id": str(cid), "m": minutes}, context_value=context)
        )
        assert result.errors is None, result.errors
        assert result.data is not None
        payload: dict[str, Any] = result.data["recordPhoneCall"]
        return payload

    done = run(12)
    assert done["userErrors"] == [] and done["case"]["version"] == 2
    assert [r["note"] for r in done["case"]["data"]["workRefusals"]] == [
        "phone call, 12 min: 家中无人"
    ]
    from core.cases.store import list_events

    with runtime.sessions() as s:
        [event] = list_events(s, cid)
    assert event.document["inputs"]["note"] == "phone call, 12 min: 家中无人"


# -- every action through both surfaces ----------------------------------------------------------

# Inputs of each action (the API's values; the command line gets them as text).
SAMPLES: dict[str, dict[str, Any]] = {
    "record_investigation": {"investigators": ["甲", "乙"], "findings": "住房简陋"},
    "record_verification": {"passed": False, "notes": "存款超标"},
    "record_self_care": {"failedIndicators": 5},
    "record_first_review": {"opinion": "符合条件"},
    "start_publicity": {},
    "record_objection": {"reason": "群众反映有经营收入"},
    "record_complaint": {"reason": "举报家中有经营性收入"},
    "confirm_case": {"monthlyAmount": 100.5, "reasons": ["酌减"]},
    "reject_case": {"reasons": ["收入超标"]},
    "record_refusal_notice": {"note": "已书面告知"},
    "record_spot_check": {"upheld": False, "reasons": ["有机动车"]},
    "record_review": {"phaseOutMonths": 6},
    "start_phase_out": {"months": 6},
    "record_income_stable": {},
    "record_work_refusal": {"member": "SPOUSE", "goodReason": False, "note": "拒绝公益岗位"},
    "record_work_accepted": {"member": "SPOUSE", "note": "接受公益岗位"},
    "record_own_application": {"member": "SPOUSE", "note": "本人到村委会申请单人保"},
    "record_democratic_appraisal": {"appraisal": "评议通过", "note": "村民代表 15 人"},
    "record_phase_out_notice": {"number": "永民渐退告〔2024〕12号", "note": "送达户主"},
    "reduce_for_refused_work": {
        "member": "SPOUSE",
        "stop": False,
        "monthlyAmount": 200,
        "reasons": ["酌情减发"],
    },
    "exit_case": {"reason": "moved_away", "reasons": ["迁往外省"]},
    "confirm_termination": {"upheld": False, "reasons": ["公示期间群众反映仍符合条件"]},
    "record_death": {"idNumber": "SPOUSE", "dateOfDeath": "2023-10-01"},
    "record_head_change": {},
    "record_home_visit": {"investigators": ["甲", "乙"], "findings": "无变化"},
    "record_care_placement": {"mode": "centralised", "institution": "五华区敬老院"},
    "record_care_visit": {"kind": "carer_assessment", "note": "照料良好"},
    "record_care_wish": {"willing": True, "note": "愿意入住供养服务机构"},
    "report_self_care_change": {"reportedBy": "村委会", "note": "卧床不起"},
    "report_change": {"what": "户主工资上涨", "note": "本人到村委会报告"},
    "assist_first": {"note": "急难先行救助"},
    "record_paperwork": {"note": "手续补齐"},
}
# Inputs every surface refuses, and how.
REFUSED: list[tuple[str, dict[str, Any]]] = [
    ("record_care_placement", {"mode": "at_home"}),
    ("record_care_placement", {"mode": "centralised", "institution": " "}),
    ("record_care_visit", {"kind": "chat"}),
    ("record_self_care", {"failedIndicators": 9}),
    ("start_phase_out", {"months": 99}),
    ("start_phase_out", {"months": 0}),
    ("record_death", {"idNumber": id_number(YUNNAN, 999)}),
    ("record_death", {"idNumber": "SPOUSE", "dateOfDeath": "2023-12-01"}),
    ("exit_case", {"reason": "found_ineligible"}),
    ("exit_case", {"reason": "refused_work"}),
    ("record_investigation", {"investigators": ["甲"]}),
    ("record_investigation", {"investigators": ["甲", "乙"], "method": "phone"}),
    ("record_review", {"outcome": "stay"}),
    ("report_self_care_change", {"reportedBy": " "}),
    ("report_change", {"what": " "}),
    ("record_work_refusal", {"member": id_number(YUNNAN, 999)}),
    ("record_work_accepted", {"member": id_number(YUNNAN, 999)}),
    ("record_own_application", {"member": id_number(YUNNAN, 999)}),
    ("record_democratic_appraisal", {"appraisal": " "}),
    ("record_phase_out_notice", {"number": " "}),
    ("record_complaint", {"reason": " "}),
    ("confirm_case", {"monthlyAmount": -5.0, "reasons": ["x"]}),
    ("confirm_case", {"evaluate": False}),
    ("record_spot_check", {"upheld": False}),
]
STEPS = {spec.name: spec for spec in CASE_ACTIONS if not spec.opens}


def _state(spec: ActionSpec) -> tuple[str, str]:
    program = next(iter(spec.states))
    return program, spec.states[program][0].value


def _actor(spec: ActionSpec, program: str) -> Role:
    if spec.by_level:  # Yunnan: dibao and graded temporary by the township, tekun by the county
        return Role.COUNTY_APPROVER if program == "tekun" else Role.TOWNSHIP_OFFICER
    return spec.roles[-1]


def _api_value(i: Input, value: Any) -> Any:
    return ExitReason(value).name if i.enum is not None else value


def _text(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    return [str(value)]


def _unnamed(message: str, cid: int) -> str:
    """A refusal's message without the case's own id (the two cases compared differ in it)."""
    return re.sub(rf"\b(case|household) {cid}\b", r"\1 #", message)


def _outcome(case: dict[str, Any] | None, errors: list[dict[str, Any]], cid: int) -> tuple:
    if errors:
        [e] = errors
        return ("refused", e["code"], _unnamed(e["message"], cid))
    assert case is not None
    return ("done", case["state"], case["version"])


class Surfaces:
    def __init__(self, rt: Runtime, monkeypatch: pytest.MonkeyPatch, db_url: str) -> None:
        monkeypatch.setenv("DOUDI_DATABASE_URL", db_url)
        self.api = Api(rt)
        self.place = Place(rt)
        self.runner = CliRunner()

    def graphql(self, spec: ActionSpec, role: Role, cid: int, inputs: dict[str, Any]) -> tuple:
        args: dict[str, Any] = {"id": str(cid), "expectedVersion": 1, "on": ON}
        for key, value in inputs.items():
            i = spec.input(key)
            assert i is not None
            args[key] = _api_value(i, value)
        field = schema._schema.mutation_type.fields[spec.graphql_name]  # type: ignore[union-attr]
        params = ", ".join(f"${k}: {field.args[k].type}" for k in args)
        passed = ", ".join(f"{k}: ${k}" for k in args)
        query = (
            f"mutation({params}) {{ {spec.graphql_name}({passed}) "
            f"{{ case {{ state version }} {ERRORS} }} }}"
        )
        payload, errors = self.api.mutate(query, args, self.place.token(role))
        return _outcome(payload["case"], errors, cid)

    def cli(self, spec: ActionSpec, role: Role, cid: int, inputs: dict[str, Any]) -> tuple:
        args = ["cases", "act", str(cid), spec.name, "--expected-version", "1", "--on", ON]
        for key, value in inputs.items():
            for text in _text(value):
                args += ["--input", f"{key}={text}"]
        result = self.runner.invoke(cli, [*args, "--json", "--token", self.place.token(role)])
        return self._cli_outcome(result, cid)

    @staticmethod
    def _cli_outcome(result: Any, cid: int) -> tuple:
        assert "Traceback" not in result.output
        if result.exit_code == 0:
            case = json.loads(result.stdout)
            return ("done", case["state"], case["version"])
        assert result.exit_code == 1, (result.stdout, result.stderr)
        [line] = [x for x in result.stderr.splitlines() if x.strip()]
        code, _, message = line.removeprefix("doudi: error: ").partition(": ")
        return ("refused", code, _unnamed(message, cid))

    def events(self, cid: int) -> list[dict[str, Any]]:
        result = self.runner.invoke(
            cli, ["cases", "history", str(cid), "--json", "--token",
                  self.place.token(Role.COUNTY_APPROVER)],
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        events: list[dict[str, Any]] = json.loads(result.stdout)
        return events

    def both(self, spec: ActionSpec, inputs: dict[str, Any]) -> tuple[tuple, tuple]:
        program, state = _state(spec)
        role = _actor(spec, program)
        (a, a_spouse), (b, b_spouse) = (
            self.place.case(program, state),
            self.place.case(program, state),
        )

        def given(spouse: str) -> dict[str, Any]:
            return {k: spouse if v == "SPOUSE" else v for k, v in inputs.items()}

        via_api = _masked(self.graphql(spec, role, a, given(a_spouse)), (a_spouse,))
        via_cli = _masked(self.cli(spec, role, b, given(b_spouse)), (b_spouse,))
        if via_api[0] == "done" == via_cli[0]:
            [*_, api_event], [*_, cli_event] = self.events(a), self.events(b)
            spouses = (a_spouse, b_spouse)
            assert _masked(api_event["inputs"], spouses) == _masked(cli_event["inputs"], spouses)
            assert api_event["action"] == cli_event["action"] == spec.name
        return via_api, via_cli


def _masked(value: Any, spouses: tuple[str, ...]) -> Any:
    """``value`` with the spouses' ID numbers (which differ between the two cases) masked."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    for number in spouses:
        text = text.replace(number, "SPOUSE")
    masked = json.loads(text)
    return tuple(masked) if isinstance(value, tuple) else masked


@pytest.fixture
def surfaces(runtime: Runtime, db_file: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Surfaces]:
    s = Surfaces(runtime, monkeypatch, db_file)
    yield s
    s.api.close()


def test_every_action_answers_the_same_through_graphql_and_the_command_line(
    surfaces: Surfaces,
) -> None:
    assert set(SAMPLES) == set(STEPS), "add a sample for every action"
    outcomes = {}
    for name, spec in STEPS.items():
        via_api, via_cli = surfaces.both(spec, SAMPLES[name])
        assert via_api == via_cli, name
        outcomes[name] = via_api
    # the steps were reached: most succeed in the state they are taken in, the others refuse
    # for their own rules (not for the way the inputs came)
    done = sorted(n for n, o in outcomes.items() if o[0] == "done")
    assert len(done) >= 15, outcomes
    assert all(o[1] != "INVALID_INPUT" for o in outcomes.values()), outcomes


@pytest.mark.parametrize(
    ("name", "inputs"), REFUSED, ids=[f"{n}-{i}" for i, (n, _) in enumerate(REFUSED)]
)
def test_inputs_are_refused_the_same_way_through_graphql_and_the_command_line(
    surfaces: Surfaces, name: str, inputs: dict[str, Any]
) -> None:
    via_api, via_cli = surfaces.both(STEPS[name], inputs)
    assert via_api[0] == "refused" and via_api == via_cli


def test_opening_answers_the_same_through_graphql_and_the_command_line(surfaces: Surfaces) -> None:
    place = surfaces.place
    clerk = place.token(Role.VILLAGE_CLERK)
    approver_id = place.users[Role.COUNTY_APPROVER][0].id
    outcomes: list[tuple] = []
    mutation = f"""mutation($h: ID!, $p: String!, $nr: [NearRelativeInput!], $a: Float,
        $k: String) {{ submitApplication(householdId: $h, program: $p, nearRelatives: $nr,
        amount: $a, kind: $k, on: "{ON}") {{ case {{ state version data }} {ERRORS} }} }}"""
    for program, amount, kind, relation in (
        ("temporary", 480.0, "expenditure", "parent"),
        ("dibao", None, None, "sibling"),
        ("dibao", 5.0, None, "parent"),  # amount: temporary only
        ("temporary", None, None, "parent"),  # no amount
        ("dibao", None, None, "cousin"),  # not a relation of the catalog
        ("tekun", None, "emergency", "parent"),  # kind: temporary only
    ):
        (a, _), (b, _) = place.household(), place.household()
        variables = {
            "h": str(a),
            "p": program,
            "nr": [{"userId": str(approver_id), "relation": relation}],
            "a": amount,
            "k": kind,
        }
        payload, errors = surfaces.api.mutate(mutation, variables, clerk)
        via_api = _outcome(payload["case"], errors, a)
        args = ["cases", "open", str(b), program, "--on", ON, "--near-relative",
                f"{approver_id}={relation}", "--json", "--token", clerk]  # fmt: skip
        if amount is not None:
            args += ["--amount", str(amount)]
        if kind is not None:
            args += ["--kind", kind]
        via_cli = Surfaces._cli_outcome(surfaces.runner.invoke(cli, args), b)
        assert via_api == via_cli, (program, amount, kind, relation)
        outcomes.append(via_api)
    assert [o[0] for o in outcomes] == ["done", "done", *["refused"] * 4]


def test_opening_with_the_temporary_inputs_answers_the_same_and_points_at_them(
    surfaces: Surfaces,
) -> None:
    """submitApplication's inputs of issue 9 (民发〔2022〕83号 二(一): 未参保失业人员; Yunnan 002
    二(四): 「由急难发生地直接实施临时救助」) through both surfaces: taken, or refused with the same
    code and message, and the API's userErrors.field naming the argument."""
    place = surfaces.place
    clerk = place.token(Role.VILLAGE_CLERK)
    mutation = f"""mutation($h: ID!, $p: String!, $a: Float, $k: String, $c: String,
        $m: Int, $u: Boolean, $at: String, $g: String) {{ submitApplication(householdId: $h,
        program: $p, amount: $a, kind: $k, category: $c, monthsWithoutIncome: $m,
        unemploymentInsured: $u, atCounty: $at, ground: $g, on: "{ON}") {{
        case {{ state version data }} {ERRORS} }} }}"""
    flags = {"a": "--amount", "k": "--kind", "c": "--category", "m": "--months-without-income",
             "u": "--unemployment-insured", "at": "--at-county", "g": "--ground"}  # fmt: skip
    cases: list[tuple[str, dict[str, Any], tuple[str, str | None] | None]] = [
        ("temporary", {"a": 800.0, "c": "unemployed_uninsured", "m": 3, "u": False}, None),
        ("dibao", {"c": "unemployed_uninsured"}, ("INVALID_INPUT", "category")),
        ("temporary", {"a": 800.0, "m": -1, "c": "unemployed_uninsured"},
         ("INVALID_INPUT", "monthsWithoutIncome")),
        ("temporary", {"a": 800.0, "at": "999999"}, ("UNKNOWN_JURISDICTION", "atCounty")),
        ("temporary", {"a": 800.0, "at": "530100"}, ("INVALID_INPUT", "atCounty")),  # prefecture
        # the case would be 盘龙区's: who asks is checked before the step's rules
        ("temporary", {"a": 800.0, "at": "530103", "g": "stranded"}, ("FORBIDDEN", None)),
    ]  # fmt: skip
    for program, given, refusal in cases:
        (a, _), (b, _) = place.household(), place.household()
        payload, errors = surfaces.api.mutate(
            mutation, {"h": str(a), "p": program, **given}, clerk
        )
        via_api = _outcome(payload["case"], errors, a)
        args = ["cases", "open", str(b), program, "--on", ON, "--json", "--token", clerk]
        for key, value in given.items():
            args += [flags[key], _text(value)[0]]
        via_cli = Surfaces._cli_outcome(surfaces.runner.invoke(cli, args), b)
        assert via_api == via_cli, (program, given)
        if refusal is None:
            assert via_api[0] == "done", via_api
            data = payload["case"]["data"]
            assert (data["category"], data["monthsWithoutIncome"]) == ("unemployed_uninsured", 3)
            assert data["unemploymentInsured"] is False
        else:
            assert [(e["code"], e["field"]) for e in errors] == [refusal], (given, errors)
    # a word that is not a ground: the command line's choice refuses it before it runs
    (a, _) = place.household()
    _, errors = surfaces.api.mutate(
        mutation, {"h": str(a), "p": "temporary", "a": 800.0, "g": "anywhere"}, clerk
    )
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_INPUT", "ground")]
    assert errors[0]["message"].startswith("ground: one of migrant_worker_without_work_or_")
    args = ["cases", "open", str(a), "temporary", "--amount", "800", "--ground", "anywhere"]
    result = surfaces.runner.invoke(cli, [*args, "--token", clerk])
    assert result.exit_code == 2 and "'anywhere' is not one of" in result.stderr
