"""`doudi cases ...` on SQLite and PostgreSQL (``DOUDI_DATABASE_URL`` pointing at the databases
of ``tests/support/db_backends.py``): open a case and take it through the chain from the command
line, with the API's checks (access, version, order of dates) and `doudi: error: CODE: message`.

No source document sets a dibao standard in yuan: the EXAMPLE standard (800 yuan/month) is set
with `doudi policy set`, as a county approver would.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from core.access.tokens import create_user
from core.cli import cli
from core.cli.cases import parse_inputs
from core.errors import InvalidInput
from core.households.store import create_household, update_household
from core.storage.tables import CaseEventRow
from tests.support.cli import ok
from tests.support.households import household_doc, id_number

YUNNAN, SHANXI = "530102", "140302"
DAY0 = dt.date(2023, 9, 4)


class Shell:
    """The CLI over one database, with officials and their tokens."""

    def __init__(self, db: Any, registry: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DOUDI_DATABASE_URL", db.url)
        self.db, self.registry = db, registry
        self.runner = CliRunner()
        self.tokens: dict[str, str] = {}
        self.users: dict[str, Any] = {}
        for name, role, code in (
            ("clerk", "village_clerk", YUNNAN),
            ("officer", "township_officer", YUNNAN),
            ("approver", "county_approver", YUNNAN),
            ("outsider", "township_officer", SHANXI),
            ("auditor", "auditor", "530000"),
        ):
            with db.sessions() as s:
                self.users[name], self.tokens[name] = create_user(s, name, role, code, registry)

    def __call__(self, *args: str, who: str | None = "officer") -> Result:
        extra = ["--token", self.tokens[who]] if who is not None else []
        return self.runner.invoke(cli, [*args, *extra], catch_exceptions=False)

    def household(self, seq: int) -> int:
        head = id_number(YUNNAN, seq)
        doc = household_doc(
            YUNNAN,
            (head, f"户主{seq}", "head"),
            (id_number(YUNNAN, seq + 1), f"配偶{seq}", "spouse"),
            income=[{"kind": "wages", "monthlyAmount": 1000, "member": head}],
            propertyWithinLocalRules=True,
        )
        with self.db.sessions() as s:
            return create_household(
                s, self.users["clerk"], doc, self.registry, today=dt.date(2024, 1, 1)
            ).id

    def events(self) -> int:
        with self.db.sessions() as s:
            return int(s.scalar(select(func.count()).select_from(CaseEventRow)) or 0)


@pytest.fixture
def sh(db: Any, registry: Any, monkeypatch: pytest.MonkeyPatch) -> Shell:
    return Shell(db, registry, monkeypatch)


def error(result: Result, code: str) -> str:
    """The one error line, which names ``code``; exit 1, no traceback."""
    assert result.exit_code == 1, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"doudi: error: {code}: "), lines
    assert "Traceback" not in result.output
    return lines[0]


def show(sh: Shell, cid: int) -> dict[str, Any]:
    return json.loads(ok(sh("cases", "show", str(cid), "--json", who="approver")))


def act(sh: Shell, cid: int, action: str, *inputs: str, on: str, who: str = "officer") -> Result:
    version = show(sh, cid)["version"]
    args = ["cases", "act", str(cid), action, "--expected-version", str(version), "--on", on]
    for i in inputs:
        args += ["--input", i]
    return sh(*args, who=who)


def test_a_case_from_the_command_line_from_application_to_payment(sh: Shell) -> None:
    set_standard = sh(
        "policy", "set", YUNNAN, "dibao.standard.urban", "800", "--from", "2023-01-01",
        "--source", "五华区低保标准(测试用示例,非正式文件)", who="approver",
    )  # fmt: skip
    ok(set_standard)
    hid = sh.household(1)
    out = ok(sh("cases", "open", str(hid), "dibao", "--on", DAY0.isoformat(), "--json"))
    case = json.loads(out)
    cid = case["id"]
    assert (case["state"], case["version"], case["householdId"]) == ("accepted", 1, hid)
    assert case["data"]["openedOn"] == "2023-09-04"

    out = ok(act(sh, cid, "record_investigation", "investigators=甲", "investigators=乙",
                 "findings=住房简陋", on="2023-09-05"))  # fmt: skip
    assert out.splitlines()[0] == "record_investigation: accepted → investigated"
    assert "home visit by 2 investigators" in out and f"case {cid}: dibao at 530102" in out
    # the API's names work too, and a JSON list of investigators
    ok(act(sh, cid, "recordFirstReview", "opinion=符合条件", on="2023-09-06"))
    ok(act(sh, cid, "startPublicity", on="2023-09-07"))
    out = ok(act(sh, cid, "confirm_case", on="2023-09-25"))
    assert "confirmed; benefit from 2023-10-01" in out
    case = show(sh, cid)
    assert (case["state"], case["version"]) == ("active", 5)
    assert case["data"]["amounts"] == [{"from": "2023-10-01", "amount": "600.00"}]
    ok(act(sh, cid, "recordHomeVisit", 'investigators=["甲", "乙"]', on="2024-03-05"))
    out = ok(act(sh, cid, "record_verification", "passed=no", on="2024-03-06", who="approver"))
    assert "needs a review" in out
    assert show(sh, cid)["data"]["lastPeriodicVerification"] == {
        "on": "2024-03-06",
        "passed": False,
    }

    human = ok(sh("cases", "show", str(cid)))
    assert human.splitlines()[0] == f"case {cid}: dibao at 530102 五华区, active (version 7)"
    assert "amounts:      from 2023-10-01: 600.00" in human
    history = json.loads(ok(sh("cases", "history", str(cid), "--json")))
    assert [e["action"] for e in history] == [
        "open",
        "record_investigation",
        "record_first_review",
        "start_publicity",
        "confirm_case",
        "record_home_visit",
        "record_verification",
    ]
    assert history[1]["inputs"] == {"investigators": ["乙", "甲"], "findings": "住房简陋"}
    assert history[1]["prevHash"] == history[0]["hash"] and history[0]["prevHash"] == ""
    table = ok(sh("cases", "history", str(cid))).splitlines()
    assert table[0] == f"7 events of case {cid}"
    assert table[1].split() == ["SEQ", "ON", "ACTION", "STATES", "WHO", "REASONS"]
    assert "record_verification" in table[-1] and "approver (county_approver)" in table[-1]


def test_refusals_name_their_code_and_write_nothing(sh: Shell) -> None:
    hid = sh.household(1)
    cid = json.loads(ok(sh("cases", "open", str(hid), "dibao", "--on", "2023-09-04", "--json")))[
        "id"
    ]
    before = sh.events()
    base = ["cases", "act", str(cid), "record_investigation"]
    names = ["--input", "investigators=甲", "--input", "investigators=乙"]
    line = error(sh(*base, "--expected-version", "7", *names), "VERSION_CONFLICT")
    assert "version 7, now 1" in line
    line = error(sh(*base, "--expected-version", "1", "--on", "2023-09-01", *names),
                 "INVALID_INPUT")  # fmt: skip
    assert "before the case's last step (2023-09-04)" in line
    error(sh(*base, "--expected-version", "1", "--on", "2199-01-01", *names), "INVALID_INPUT")
    for who in ("outsider", "auditor"):  # outsiders learn nothing: FORBIDDEN first
        error(sh(*base, "--expected-version", "7", *names, who=who), "FORBIDDEN")
    error(sh(*base, "--expected-version", "1", *names, who="clerk"), "WRONG_LEVEL")
    line = error(sh(*base, "--expected-version", "1", "--input", "investigators=甲"),
                 "TOO_FEW_INVESTIGATORS")  # fmt: skip
    line = error(sh(*base, "--expected-version", "1"), "INVALID_INPUT")
    assert "investigators: record_investigation needs investigators=TEXT" in line
    line = error(sh(*base, "--expected-version", "1", *names, "--input", "passed=yes"),
                 "INVALID_INPUT")  # fmt: skip
    assert "takes no such input" in line
    error(sh(*base, "--expected-version", "1", *names, who=None), "UNAUTHENTICATED")
    line = error(sh("cases", "act", str(cid), "jump", "--expected-version", "1"), "INVALID_INPUT")
    assert "unknown case action 'jump'" in line
    error(sh("cases", "act", "999", "start_publicity", "--expected-version", "1"), "NOT_FOUND")
    error(sh("cases", "show", "999"), "NOT_FOUND")
    error(sh("cases", "show", str(cid), who="outsider"), "FORBIDDEN")
    error(sh("cases", "open", str(hid), "dibao", "--on", "2023-09-04"), "DUPLICATE_CASE")
    error(sh("cases", "open", str(hid), "tekun", "--amount", "5"), "INVALID_INPUT")
    error(sh("cases", "open", "999", "dibao", "--on", "2023-09-04"), "NOT_FOUND")
    assert sh.events() == before and show(sh, cid)["version"] == 1


def test_list_within_a_jurisdiction(sh: Shell) -> None:
    first = json.loads(ok(sh("cases", "open", str(sh.household(1)), "dibao", "--json")))["id"]
    second = json.loads(ok(sh("cases", "open", str(sh.household(3)), "temporary", "--amount",
                              "500", "--kind", "expenditure", "--json")))["id"]  # fmt: skip
    found = json.loads(ok(sh("cases", "list", "530000", "--json", who="auditor")))
    assert [c["id"] for c in found] == [first, second]
    assert found[1]["data"]["kind"] == "expenditure" and found[1]["data"]["amount"] == "500.00"
    only = json.loads(ok(sh("cases", "list", YUNNAN, "--program", "temporary", "--json")))
    assert [c["id"] for c in only] == [second]
    assert json.loads(ok(sh("cases", "list", YUNNAN, "--state", "active", "--json"))) == []
    after = json.loads(ok(sh("cases", "list", YUNNAN, "--after", str(first), "--json")))
    assert [c["id"] for c in after] == [second]
    lines = ok(sh("cases", "list", YUNNAN)).splitlines()
    assert lines[0] == "2 cases at 530102 五华区"
    assert lines[1].split()[:3] == ["ID", "PROGRAM", "STATE"]
    error(sh("cases", "list", SHANXI), "FORBIDDEN")
    error(sh("cases", "list", "999999"), "UNKNOWN_JURISDICTION")


def test_the_inputs_of_each_action_come_from_its_spec() -> None:
    got = parse_inputs("record_spot_check", ["upheld=false", "reasons=有收入", "reasons=有车"])
    assert got == {"upheld": False, "reasons": ["有收入", "有车"]}
    assert parse_inputs("start_phase_out", ["months=12"]) == {"months": 12}
    assert parse_inputs("record_death", ["idNumber=110101", "dateOfDeath=2024-02-03"]) == {
        "id_number": "110101",
        "date_of_death": dt.date(2024, 2, 3),
    }
    got = parse_inputs("record_investigation", ['investigators=["甲", "乙"]', "investigators=丙"])
    assert got == {"investigators": ["甲", "乙", "丙"]}  # findings: the step's default
    assert parse_inputs("exit_case", ["reason=death"]) == {"reason": "death"}
    got = parse_inputs("record_review", ["outcome=phase_out", "phaseOutMonths=6",
                                         "cause=employment", "selfReported=yes"])  # fmt: skip
    assert got == {
        "outcome": "phase_out",
        "phase_out_months": 6,
        "cause": "employment",
        "self_reported": True,
    }
    for action, pairs, named in (
        ("start_phase_out", ["months=twelve"], "months"),
        ("start_phase_out", ["months=1", "months=2"], "months"),
        ("record_verification", ["passed=maybe"], "passed"),
        ("record_investigation", ["investigators=[1, 2]"], "investigators"),
        ("record_investigation", ["investigators"], "--input"),
        ("record_death", ["household={}"], "household"),
        ("record_death", ["idNumber=1", "dateOfDeath=3 Feb"], "dateOfDeath"),
        ("exit_case", ["reason=bored"], "reason"),
        ("record_care_placement", ["mode=at_home"], "mode"),
        ("record_review", ["outcome=stay"], "outcome"),
    ):
        with pytest.raises(InvalidInput) as refused:
            parse_inputs(action, pairs)
        assert refused.value.message.startswith(named), refused.value.message


def test_actions_lists_every_action_from_the_specs() -> None:
    from core.cases.actions import CASE_ACTIONS

    out = ok(CliRunner().invoke(cli, ["cases", "actions"], catch_exceptions=False))
    for spec in CASE_ACTIONS:
        assert spec.name in out
    result = CliRunner().invoke(cli, ["cases", "actions", "--json"], catch_exceptions=False)
    data = json.loads(ok(result))
    assert list(data) == [spec.name for spec in CASE_ACTIONS]
    assert data["record_care_visit"]["inputs"] == {
        "kind": {
            "kind": "text",
            "required": True,
            "description": "visit (走访探视) or carer_assessment (照料服务评估).",
            "choices": ["visit", "carer_assessment"],
        },
        "note": {"kind": "text", "required": False, "description": "A note for the file."},
    }
    assert data["record_care_visit"]["mutation"] == "recordCareVisit"
    assert data["record_care_visit"]["states"] == {"tekun": ["active"]}
    one = ok(CliRunner().invoke(cli, ["cases", "actions", "recordSpotCheck"]))
    assert one.splitlines()[0] == "record_spot_check (GraphQL recordSpotCheck)"
    assert "--input upheld=BOOL (required)" in one
    result = CliRunner().invoke(cli, ["cases", "actions", "fly"])
    assert result.exit_code == 1 and "unknown case action 'fly'" in result.stderr


def test_the_reference_in_docs_is_generated_from_the_specs() -> None:
    """docs/case-actions.md is what `doudi cases actions --markdown` prints (regenerate it
    with that command after changing core/cases/actions.py)."""
    from pathlib import Path

    docs = Path(__file__).resolve().parents[2] / "docs" / "case-actions.md"
    out = ok(CliRunner().invoke(cli, ["cases", "actions", "--markdown"]))
    assert docs.read_text(encoding="utf-8") == out


def test_a_review_over_the_standard_is_chosen_on_the_command_line(sh: Shell) -> None:
    # Yunnan 002 二(一): 「对因家庭成员就业创业导致收入超过低保标准的家庭,可根据实际情况给予半年至
    # 一年的“渐退期”」: the official chooses a phase-out (with its cause) or an exit; no default.
    ok(sh("policy", "set", YUNNAN, "dibao.standard.urban", "800", "--from", "2023-01-01",
          "--source", "五华区低保标准(测试用示例,非正式文件)", who="approver"))  # fmt: skip
    hid = sh.household(1)
    cid = json.loads(ok(sh("cases", "open", str(hid), "dibao", "--on", "2023-09-04", "--json")))[
        "id"
    ]
    ok(
        act(
            sh, cid, "record_investigation", "investigators=甲", "investigators=乙", on="2023-09-05"
        )
    )
    ok(act(sh, cid, "record_first_review", on="2023-09-06"))
    ok(act(sh, cid, "start_publicity", on="2023-09-07"))
    ok(act(sh, cid, "confirm_case", on="2023-09-25"))
    head = id_number(YUNNAN, 1)
    doc = household_doc(
        YUNNAN,
        (head, "户主1", "head"),
        (id_number(YUNNAN, 2), "配偶1", "spouse"),
        income=[{"kind": "wages", "monthlyAmount": 2400, "member": head}],  # 1,200 per capita
        propertyWithinLocalRules=True,
    )
    with sh.db.sessions() as s:
        update_household(s, sh.users["clerk"], hid, doc, sh.registry, today=dt.date(2024, 1, 1))
    line = error(act(sh, cid, "record_review", on="2024-03-05"), "CHOICE_REQUIRED")
    assert "6 to 12 months" in line and "outcome phase_out" in line
    error(act(sh, cid, "record_review", "outcome=phase_out", "phaseOutMonths=6", on="2024-03-05"),
          "PHASE_OUT_NOT_ALLOWED")  # fmt: skip
    out = ok(act(sh, cid, "record_review", "outcome=phase_out", "phaseOutMonths=6",
                 "cause=employment", f"causeMember={head}", on="2024-03-05"))  # fmt: skip
    assert "record_review: active → phasing_out" in out
    assert show(sh, cid)["data"]["phaseOut"]["rule"]["cause"] == "employment"


def test_temporary_assistance_where_the_emergency_happened(sh: Shell) -> None:
    # Yunnan 002 二(四): 「对暂时找不到工作又得不到家庭支持的生活困难外来务工人员、因交通管控等原因
    # 暂时滞留的临时遇困人员,取消户籍地、居住地申请限制,由急难发生地直接实施临时救助」
    doc = household_doc(SHANXI, (id_number(SHANXI, 7), "外来务工人员", "head"),
                        propertyWithinLocalRules=True)  # fmt: skip
    with sh.db.sessions() as s:
        hid = create_household(
            s, sh.users["outsider"], doc, sh.registry, today=dt.date(2024, 1, 1)
        ).id
    base = ["cases", "open", str(hid), "temporary", "--amount", "800", "--on", "2023-09-04"]
    # registered in Shanxi: a Yunnan officer cannot take it without the emergency location
    error(sh(*base), "FORBIDDEN")
    line = error(sh(*base, "--at-county", YUNNAN), "INVALID_INPUT")
    assert "ground:" in line and "stranded" in line
    error(sh(*base, "--at-county", YUNNAN, "--kind", "expenditure", "--ground", "stranded"),
          "INVALID_INPUT")  # fmt: skip
    case = json.loads(ok(sh(*base, "--at-county", YUNNAN, "--ground", "stranded", "--json")))
    assert case["county"] == YUNNAN
    assert (case["data"]["registeredCounty"], case["data"]["ground"]) == (SHANXI, "stranded")
    assert (case["data"]["kind"], case["state"]) == ("emergency", "accepted")
    # the township grants it under Yunnan's policy (its standard is set by the county approver)
    ok(sh("policy", "set", YUNNAN, "temporary.approval.township_limit", "1000", "--from",
          "2023-01-01", "--source", "五华区临时救助审批额度(测试用示例,非正式文件)",
          who="approver"))  # fmt: skip
    out = ok(act(sh, case["id"], "confirm_case", on="2023-09-05"))
    assert "temporary assistance granted" in out


def test_assistance_first_is_for_emergencies_only(sh: Shell) -> None:
    # 民发〔2018〕23号 二(二): 「对于急难型临时救助…积极开展“先行救助”」; 「对于支出型临时救助，要
    # 严格执行申请、受理、审核、审批程序」
    hid = sh.household(1)
    case = json.loads(ok(sh("cases", "open", str(hid), "temporary", "--amount", "800", "--kind",
                            "expenditure", "--on", "2023-09-04", "--json")))  # fmt: skip
    line = error(act(sh, case["id"], "assist_first", on="2023-09-04"), "INVALID_TRANSITION")
    assert "急难型" in line


def test_refused_work_on_the_command_line_stops_only_that_members_benefit(sh: Shell) -> None:
    # 审核确认办法 art. 34: 「…连续3次拒绝接受介绍的…工作的，县级人民政府民政部门应当决定减发或者
    # 停发其本人的最低生活保障金」
    ok(sh("policy", "set", YUNNAN, "dibao.standard.urban", "800", "--from", "2023-01-01",
          "--source", "五华区低保标准(测试用示例,非正式文件)", who="approver"))  # fmt: skip
    hid = sh.household(1)
    cid = json.loads(ok(sh("cases", "open", str(hid), "dibao", "--on", "2023-09-04", "--json")))[
        "id"
    ]
    ok(
        act(
            sh, cid, "record_investigation", "investigators=甲", "investigators=乙", on="2023-09-05"
        )
    )
    ok(act(sh, cid, "record_first_review", on="2023-09-06"))
    ok(act(sh, cid, "start_publicity", on="2023-09-07"))
    ok(act(sh, cid, "confirm_case", on="2023-09-25"))
    worker = id_number(YUNNAN, 1)
    for _ in range(3):
        ok(act(sh, cid, "record_work_refusal", f"member={worker}", on="2024-03-05"))
    error(act(sh, cid, "exit_case", "reason=refused_work", on="2024-03-05"),
          "INVALID_TRANSITION")  # fmt: skip
    out = ok(act(sh, cid, "reduce_for_refused_work", f"member={worker}", on="2024-03-05",
                 who="approver"))  # fmt: skip
    assert "own benefit stopped from 2024-04-01: 600.00 → 300.00 yuan/month" in out
    assert show(sh, cid)["data"]["membersCovered"] == [id_number(YUNNAN, 2)]
