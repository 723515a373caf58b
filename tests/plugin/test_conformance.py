"""The conformance suite: the five built-in plugins pass it as a third party's plugin would (in a
pytest run of their own, through the pytest11 plugin), and each check fails where it should —
on small plugin packages written here — naming the plugin, the file and the JSON path."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from core.cli.main import cli
from core.errors import DataIssue
from core.plugin.conformance import CHECKS, PluginUnderTest, run_all

PLUGINS_DIR = Path(__file__).resolve().parents[2] / "plugins"
PROVINCES = ("guizhou", "shanxi", "yunnan", "guangxi", "ningxia")


# -- the built-in plugins, as third parties run the suite ---------------------------------------


def test_the_built_in_plugins_pass_the_suite_in_a_pytest_run_of_their_own(tmp_path):
    """`pytest --doudi-plugin NAME` in an empty project: the pytest11 plugin collects every
    check and decision case of each plugin, loaded through its entry point."""
    report = tmp_path / "report.xml"
    args = [f"--doudi-plugin={name}" for name in PROVINCES]
    env = {k: v for k, v in os.environ.items() if k != "DOUDI_DISABLE_PLUGINS"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args,
         f"--junitxml={report}", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    cases = ET.parse(report).getroot().iter("testcase")
    ran: dict[str, list[str]] = {name: [] for name in PROVINCES}
    for case in cases:
        assert not list(case), ET.tostring(case, encoding="unicode")  # no failure, no skip
        plugin = case.get("classname", "").split("[")[-1].split("]")[0]
        ran[plugin].append(str(case.get("name")))
    for name in PROVINCES:
        shipped = sorted(f"cases/{p.name}" for p in (PLUGINS_DIR / name / "cases").glob("*.yaml"))
        assert ran[name] == [c.id for c in CHECKS] + shipped, name


@pytest.mark.parametrize("name", PROVINCES)
def test_each_built_in_plugin_carries_cases_from_its_document(name):
    """A few cases each, with the answer both ways (eligible, and not)."""
    cases = [
        yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in sorted((PLUGINS_DIR / name / "cases").glob("*.yaml"))
    ]
    assert len(cases) >= 3
    statuses = {c["expect"]["status"] for c in cases}
    assert "eligible" in statuses and statuses & {"ineligible", "cannot_decide"}
    for c in cases:
        assert c["clause"]["quote"] and c["clause"]["section"]
        if "exampleStandards" in c:  # never an official figure dressed up as one
            assert "示例" in c["exampleStandards"]["note"]
            assert (
                "not" in c["exampleStandards"]["note"]
                and "official" in c["exampleStandards"]["note"]
            )


def test_the_suite_is_inert_unless_a_project_names_its_plugins(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 5 and "no tests ran" in done.stdout  # nothing collected


# -- each check fails where it should -------------------------------------------------------------

DOC = "conf-doc"
SOURCE = "测试用示例文件(非政策文件)\n一、渐退期最长12个月。\n二、每人每月发放测试补贴50元。\n"
PLUGIN_HEAD = """
from __future__ import annotations

from decimal import Decimal

from core.plugin.api import (
    Constraint, Coverage, Decision, ParameterSpec, Program, Source, hookimpl, policy_document,
    policy_files_in, trace_entry,
)

AMOUNT = "programs.conf_allowance.monthly_amount"


@hookimpl
def doudi_jurisdictions():
    return [Coverage("640000")]


@hookimpl
def doudi_policy_files():
    return policy_files_in(__name__)


@hookimpl
def doudi_programs():
    return [Program("conf_allowance", "Test allowance", "测试补贴", "640000",
                    parameters=(ParameterSpec(AMOUNT, "number", "yuan_per_month", "test"),),
                    source=Source(policy_document(__name__, "policy.yaml", "conf-doc"), "二",
                                  PROGRAM_QUOTE))]
"""
EVALUATOR = """

@hookimpl
def doudi_evaluate_program(program_id, household, policy, as_of):
    if program_id != "conf_allowance":
        return None
    param = policy.get(AMOUNT)
    if not param.is_set:
        return Decision(program=program_id, status="cannot_decide", eligible=None,
                        county=policy.jurisdiction.code, as_of=as_of, missing=(AMOUNT,),
                        trace=(trace_entry(param),))
    return Decision(program=program_id, status="eligible", eligible=True,
                    county=policy.jurisdiction.code, as_of=as_of,
                    monthly_amount=Decimal(str(param.value)), trace=(trace_entry(param),))
"""
POLICY = {
    "jurisdiction": "640122",  # 贺兰县: no built-in plugin sets values there
    "documents": {DOC: {"title": "测试用示例文件(非政策文件)", "note": "test fixture"}},
    "parameters": {
        "dibao.phase_out.max_months": [
            {"from": "2021-01-01", "value": 12,
             "source": {"document": DOC, "section": "一", "quote": "渐退期最长12个月"}}
        ],
        "programs.conf_allowance.monthly_amount": [
            {"from": "2021-01-01", "value": 50,
             "source": {"document": DOC, "section": "二", "quote": "每人每月发放测试补贴50元"}}
        ],
    },
}  # fmt: skip
CASE = {
    "title": "The test allowance",
    "program": "conf_allowance",
    "asOf": "2021-06-01",
    "clause": {"document": DOC, "section": "二", "quote": "每人每月发放测试补贴50元"},
    "household": {
        "county": "640122", "area": "rural", "incomeClass": "stable",
        "propertyWithinLocalRules": True,
        "members": [{"idNumber": "640121196001010117", "name": "甲", "relation": "head"}],
    },
    "expect": {"status": "eligible", "monthlyAmount": 50},
}  # fmt: skip

Maker = Callable[..., PluginUnderTest]


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Maker]:
    """Write a plugin package ``conf_<n>`` (code, policy file, source text, cases) and load it
    from its folder, as ``doudi plugins check PATH`` does."""
    made: list[str] = []

    def factory(
        code: str = EVALUATOR,
        policy: dict | None = None,
        source: str | None = SOURCE,
        cases: dict[str, dict] | None = None,
        program_quote: str = "每人每月发放测试补贴50元",
        extra: str = "",
    ) -> PluginUnderTest:
        name = f"conf_{len(made)}_{os.getpid()}"
        made.append(name)
        root = tmp_path / name
        (root / "policy").mkdir(parents=True)
        head = PLUGIN_HEAD.replace("PROGRAM_QUOTE", repr(program_quote))
        (root / "__init__.py").write_text(head + code + textwrap.dedent(extra), "utf-8")
        data = POLICY if policy is None else policy
        (root / "policy" / "policy.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
        if source is not None:
            (root / "source.txt").write_text(source, encoding="utf-8")
        if cases:
            (root / "cases").mkdir()
            for file, case in cases.items():
                (root / "cases" / file).write_text(yaml.safe_dump(case, allow_unicode=True))
        subject = PluginUnderTest.at_path(root)
        assert subject is not None
        return subject

    yield factory
    for name in made:
        sys.modules.pop(name, None)


def problems(subject: PluginUnderTest) -> dict[str, list[DataIssue]]:
    return {key: found for key, found in run_all(subject).items() if found}


def test_a_sound_plugin_passes_every_check(make):
    subject = make(cases={"ok.yaml": CASE})
    assert problems(subject) == {}


def test_a_quote_not_in_the_source_text_is_named_by_file_and_json_path(make):
    policy = yaml.safe_load(yaml.safe_dump(POLICY))
    policy["parameters"]["dibao.phase_out.max_months"][0]["source"]["quote"] = "渐退期最长18个月"
    case = {**CASE, "clause": {**CASE["clause"], "quote": "每人每月发放测试补贴60元"}}
    subject = make(policy=policy, cases={"c.yaml": case}, program_quote="发放补贴")
    found = problems(subject)
    assert set(found) == {"quotes"}
    lines = [str(i) for i in found["quotes"]]
    name = subject.name
    assert lines == [
        f'{name}: policy.yaml: $.parameters["dibao.phase_out.max_months"][0].source.quote: '
        "not found verbatim in source.txt: '渐退期最长18个月'",
        f"{name}: doudi_programs(): $[0].source.quote: not found verbatim in source.txt: "
        "'发放补贴'",
        f"{name}: cases/c.yaml: $.clause.quote: not found verbatim in source.txt: "
        "'每人每月发放测试补贴60元'",
    ]


def test_white_space_aside_quotes_are_verbatim_and_a_missing_source_text_is_named(make):
    spaced = SOURCE.replace("渐退期最长12个月", "渐退期 最长\n12 个月")
    assert problems(make(source=spaced)) == {}
    found = problems(make(source=None))
    assert [(i.file, i.json_path) for i in found["quotes"]] == [("source.txt", "$")]


def test_a_program_without_an_evaluator_is_named(make):
    found = problems(make(code=""))
    assert set(found) == {"programs"}
    (issue,) = found["programs"]
    assert issue.file == "doudi_programs()" and issue.json_path == "$[0]"
    assert "program 'conf_allowance' has no evaluator" in issue.message


def test_every_parameter_an_evaluator_reads_must_be_in_its_trace(make):
    reads_more = EVALUATOR.replace(
        "    param = policy.get(AMOUNT)\n",
        "    param = policy.get(AMOUNT)\n    policy.get('dibao.phase_out.max_months')\n",
    )
    (issue,) = problems(make(code=reads_more))["programs"]
    assert "read dibao.phase_out.max_months but its trace does not list it" in issue.message

    from_elsewhere = EVALUATOR.replace(
        "trace=(trace_entry(param),)", "trace=(trace_entry(param).__class__(AMOUNT, 75, True),)"
    )
    (issue,) = problems(make(code=from_elsewhere))["programs"]
    assert f"the trace says {'programs.conf_allowance.monthly_amount'} = 75" in issue.message


def test_a_plugin_must_answer_nothing_for_programs_it_does_not_add(make):
    greedy = EVALUATOR.replace('    if program_id != "conf_allowance":\n        return None\n', "")
    found = problems(make(code=greedy))
    answered = [i.message for i in found["others"]]
    assert any("answers for program 'dibao'" in m for m in answered)
    assert any("answers for program 'retrenched_1960s_workers'" in m for m in answered)
    assert any("doudi_conformance_probe" in m for m in answered)


def test_a_rule_the_plugin_declares_must_hold_on_its_own_data(make):
    rule = """
    @hookimpl
    def doudi_constraints():
        return [Constraint("conf.phase_out_ceiling", "at most 6 months",
                           "dibao.phase_out.max_months", "ceiling", bound_value=6,
                           scope="640000")]
    """
    found = problems(make(extra=rule))
    assert set(found) == {"constraints"}
    (issue,) = found["constraints"]
    assert issue.file == "doudi_constraints()" and issue.json_path == "$[0]"
    assert "rule 'conf.phase_out_ceiling' does not hold on the plugin's own data at 640122" in (
        issue.message
    )


def test_values_outside_the_plugins_jurisdictions_are_named(make):
    policy = {**POLICY, "jurisdiction": "530102"}
    found = problems(make(policy=policy))
    assert "data" not in found  # the data itself is valid
    (issue,) = found["coverage"]
    assert (issue.file, issue.json_path) == ("policy.yaml", "$.jurisdiction")
    assert "530102 (五华区) is outside what the plugin covers (640000)" in issue.message
    # the platform would refuse it: what needs the merged policy cannot run, and says why
    for key in ("programs", "others", "constraints"):
        assert "cannot run: its data does not load" in found[key][0].message


def test_a_decision_case_that_does_not_hold_names_the_expectation(make):
    wrong = {**CASE, "expect": {"status": "eligible", "monthlyAmount": 60, "mode": "single_person"}}
    subject = make(cases={"wrong.yaml": wrong})
    found = problems(subject)
    assert set(found) == {"cases/wrong.yaml"}
    assert [(i.file, i.json_path) for i in found["cases/wrong.yaml"]] == [
        ("cases/wrong.yaml", "$.expect.monthlyAmount"),
        ("cases/wrong.yaml", "$.expect.mode"),
    ]
    assert "expected 60.00, the decision says 50.00" in found["cases/wrong.yaml"][0].message


def test_a_malformed_decision_case_names_the_file_and_path(make):
    bad_schema = {**CASE, "asOf": "June", "expect": {"status": "granted"}}
    unknown_doc = {**CASE, "clause": {**CASE["clause"], "document": "nowhere"}}
    bad_household = {**CASE, "household": {**CASE["household"], "county": "999999"}}
    documented = {
        **CASE,
        "exampleStandards": {
            "note": "示例标准，非官方数据 (not official)",
            "values": {"dibao.phase_out.max_months": 6, "dibao.standard.rural": 500},
        },
    }
    subject = make(
        cases={
            "a.yaml": bad_schema,
            "b.yaml": unknown_doc,
            "c.yaml": bad_household,
            "d.yaml": documented,
        }
    )
    found = problems(subject)
    paths = {key: [i.json_path for i in issues] for key, issues in found.items()}
    assert paths["cases/a.yaml"] == ["$.asOf", "$.expect.status"]
    assert paths["cases/b.yaml"] == ["$.clause.document"]
    assert paths["cases/c.yaml"] == ["$.household.county"]
    assert paths["cases/d.yaml"] == ['$.exampleStandards.values["dibao.phase_out.max_months"]']
    assert "may only stand in for an amount in yuan" in found["cases/d.yaml"][0].message


def test_example_standards_must_respect_the_plugins_rules(make):
    """Yunnan: tekun at least 1.3 × the urban dibao standard, so 1000 < 1.3 × 830 is refused."""
    case = yaml.safe_load(
        (PLUGINS_DIR / "yunnan/cases/tekun-at-the-provincial-floor.yaml").read_text("utf-8")
    )
    case["exampleStandards"]["values"]["tekun.standard.basic"] = 1000
    subject = PluginUnderTest.installed("yunnan")
    from core.plugin.cases import CaseFile, run_case

    run = run_case(CaseFile("yunnan", "cases/x.yaml", case), subject.base, subject.documents)
    assert [i.json_path for i in run.issues] == ["$.exampleStandards.values"]
    assert "yunnan.tekun_basic_standard_floor" in run.issues[0].message


def test_plugins_check_runs_the_same_checks_on_a_package_folder(make):
    subject = make(code="")
    folder = Path(sys.modules[subject.name].__file__).parent
    result = CliRunner().invoke(cli, ["plugins", "check", str(folder)], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{subject.name}: doudi_programs(): $[0]: program ")
    assert f"plugin '{subject.name}': 1 problem in programs" in result.stderr
    covers = CliRunner().invoke(cli, ["plugins", "check", str(folder), "--covers", "640000"])
    assert covers.exit_code == 2 and "--covers is for data files" in covers.stderr


def test_plugins_check_of_an_installed_plugin_folder_runs_its_cases():
    result = CliRunner().invoke(cli, ["plugins", "check", str(PLUGINS_DIR / "guizhou")])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "ok: plugin 'guizhou': 1 file, 10 values (522700 黔南布依族苗族自治州); 7 checks and 4 "
        "decision cases passed"
    )


def test_a_data_file_quote_is_checked_against_its_plugin_folder(tmp_path):
    folder = tmp_path / "helan_demo"
    (folder / "policy").mkdir(parents=True)
    data = {**POLICY, "parameters": {"dibao.phase_out.max_months": POLICY["parameters"][
        "dibao.phase_out.max_months"]}}  # fmt: skip
    (folder / "policy" / "640121-x.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    (folder / "source.txt").write_text("测试用示例文件\n渐退期最长6个月\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["plugins", "check", str(folder), "--covers", "640000"])
    assert result.exit_code == 1
    assert result.stdout.strip() == (
        'helan_demo: 640121-x.yaml: $.parameters["dibao.phase_out.max_months"][0].source.quote: '
        "not found verbatim in source.txt: '渐退期最长12个月'"
    )
