"""The screens of issue 13 (knowing the people) in Chromium, on `doudi demo load`'s data, with
the internet blocked: 花名册 (a register with a bad row refused at its row and column, nothing
imported, then imported; the publicity list with ID numbers masked), 数据比对 (a death list
imported, a comparison run, the finding closed by the case step after a dismissal without
reasons was refused at the field), 核对 (a verification requested with a legal supporter, a
manual report), 低收入人口 (a recognition refused without a category, then stored, tagged and
flagged); each page loads without console errors and axe finds nothing serious; a township
official of one county does not see another county's findings; village clerks get no
department-data screens and auditors no form that writes.

The demo (core/demo.py): 城区 (140302) officials yq-clerk, yq-township, yq-county; 郊区
(140311) jq-township, jq-county; sx-auditor (Shanxi). This module adds its own household and
dibao case in 郊区, taken to payment through the API (``people``), so the death it records
touches no case the other console tests use.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from core.demo import demo_id_number
from tests.support.console import Served, Tab

TODAY = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def days_ago(n: int) -> str:
    return (TODAY - dt.timedelta(days=n)).isoformat()


class Api:
    """GraphQL as an official (the set-up this module needs beside what its pages do)."""

    def __init__(self, served: Served, name: str) -> None:
        self.served = served
        self.token = served.sign_in(name)["token"]

    def __call__(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        result = self.served.graphql(query, variables, token=self.token)
        assert not result.get("errors"), result["errors"]
        payload = next(iter(result["data"].values()))
        if isinstance(payload, dict) and "userErrors" in payload:
            assert payload["userErrors"] == [], payload["userErrors"]
        return payload


@pytest.fixture(scope="module")
def people(served: Served) -> dict[str, str]:
    """A household of two in 郊区 (140311) with a dibao case in payment, through Shanxi's chain
    (the township investigates, reviews and publishes; the county verifies and confirms)."""
    town, county = Api(served, "jq-township"), Api(served, "jq-county")
    head = demo_id_number("140311", "1971-04-05", 61, "m")
    spouse = demo_id_number("140311", "1973-08-09", 62, "f")
    household = town(
        "mutation($i: HouseholdInput!) { createHousehold(input: $i) { household { id } "
        "userErrors { field message code } } }",
        {"i": {"county": "140311", "area": "urban", "incomeClass": "stable",
               "propertyWithinLocalRules": True,
               "members": [{"idNumber": head, "name": "周建军", "relation": "head"},
                           {"idNumber": spouse, "name": "吴秀兰", "relation": "spouse"}],
               "income": [{"kind": "wages", "monthlyAmount": 300, "regular": True}]}},
    )["household"]  # fmt: skip
    case = town(
        'mutation($h: ID!, $on: Date) { submitApplication(householdId: $h, program: "dibao", '
        "on: $on) { case { id version } userErrors { field message code } } }",
        {"h": household["id"], "on": days_ago(30)},
    )["case"]
    version = case["version"]

    def step(api: Api, mutation: str, on: str, **args: tuple[str, Any]) -> str:
        nonlocal version
        decl = "".join(f", ${k}: {kind}" for k, (kind, _) in args.items())
        give = "".join(f", {k}: ${k}" for k in args)
        q = (f"mutation($id: ID!, $v: Int!, $on: Date{decl}) {{ {mutation}(id: $id, "
             f"expectedVersion: $v, on: $on{give}) {{ case {{ version state }} "
             "userErrors { field message code } } }")  # fmt: skip
        values = {k: value for k, (_, value) in args.items()}
        done = api(q, {"id": case["id"], "v": version, "on": on, **values})["case"]
        version = done["version"]
        return str(done["state"])

    step(town, "recordInvestigation", days_ago(29), investigators=("[String!]!", ["王", "李"]),
         findings=("String!", "属实"), method=("String!", "home_visit"))  # fmt: skip
    step(town, "recordFirstReview", days_ago(28), opinion=("String!", "符合条件"))
    step(town, "startPublicity", days_ago(27))
    step(county, "recordVerification", days_ago(15), passed=("Boolean!", True),
         notes=("String!", "核对通过"))  # fmt: skip
    assert step(county, "confirmCase", days_ago(15)) == "active"
    return {"case": case["id"], "household": household["id"], "head": head, "spouse": spouse}


def serious(tab: Tab) -> list[Any]:
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in tab.axe()]


def unlabelled(page: Any) -> list[str]:
    return list(
        page.evaluate("""() => [...document.querySelectorAll('input,select,textarea')]
        .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length)
                     && !e.getAttribute('aria-label'))
        .map(e => e.outerHTML)""")
    )


PAGES = [
    ("registers", "yq-clerk", "/registers", "#imp-file"),
    ("registers-county", "yq-county", "/registers?j=140302", "#ros-program"),
    ("comparison", "jq-county", "/comparison?j=140311", "#sup-open"),
    ("verification", "jq-county", "/verification?case={case}", "#vr-title"),
    ("verification-household", "jq-county", "/verification?household={household}", "#vh-title"),
    ("lowincome", "yq-township", "/lowincome?j=140302", "#li-list-title"),
]


@pytest.mark.parametrize(("label", "who", "path", "shows"), PAGES, ids=[p[0] for p in PAGES])
def test_every_people_page_loads_offline_and_accessibly(
    tab: Tab, people: dict[str, str], label: str, who: str, path: str, shows: str
) -> None:
    tab.sign_in_as(who)
    page = tab.go(path.format(**people))
    page.locator(shows).first.wait_for()
    assert page.locator(".alert").count() == 0, page.locator(".alert").all_inner_texts()
    tab.shot(label)
    assert serious(tab) == []
    assert unlabelled(page) == []


def _register(rows: list[list[str]]) -> str:
    head = ["户编号", "县区代码", "城乡类别", "收入类型", "财产符合当地规定", "姓名", "身份证号",
            "与户主关系", "劳动能力", "工资性收入(元/月)"]  # fmt: skip
    return "\n".join(",".join(r) for r in [head, *rows]) + "\n"


def test_a_register_with_a_bad_row_is_refused_at_its_row_and_column_then_imported(
    tab: Tab, served: Served, tmp_path
) -> None:
    a = demo_id_number("140302", "1975-03-04", 71, "m")
    b = demo_id_number("140302", "1978-05-06", 72, "f")
    c = demo_id_number("140302", "1960-01-01", 73, "m")
    wrong = b[:-1] + ("0" if b[-1] != "0" else "1")  # a mistyped check digit
    urban = ["140302", "城市", "常年收入无变化", "是"]
    rural = ["140302", "农村", "常年收入无变化", "是"]
    rows = [["H1", *urban, "王大明", a, "户主", "有劳动能力", "800"],
            ["H1", *urban, "李小花", wrong, "配偶", "有劳动能力", ""],
            ["H2", *rural, "赵老汉", c, "户主", "完全丧失劳动能力", ""]]  # fmt: skip
    bad = tmp_path / "花名册-有错.csv"
    bad.write_text(_register(rows), encoding="utf-8")
    clerk = Api(served, "yq-clerk")
    search = 'query { householdSearch(jurisdiction: "140302", text: "王大明") { id } }'

    tab.sign_in_as("yq-clerk")
    page = tab.go("/registers")
    with page.expect_download() as template:  # the template, from the API
        page.click("#tpl-xlsx")
    assert template.value.suggested_filename == "家庭成员花名册模板.xlsx"
    assert Path(template.value.path()).read_bytes()[:2] == b"PK"  # an XLSX (a zip)

    page.set_input_files("#imp-file", str(bad))
    page.get_by_role("button", name="检查（试导入，不写入）").click()
    problems = page.locator("#imp-problems")
    problems.wait_for()
    cell = problems.locator("tr[data-row='3'][data-column='身份证号']")
    assert "第 3 行" in cell.inner_text() and "校验码不符" in cell.inner_text()
    assert "未导入任何数据" in problems.inner_text()
    assert page.locator("#imp-file").get_attribute("aria-invalid") == "true"
    assert page.get_by_role("button", name="确认导入").count() == 0
    tab.shot("register-bad-row")
    assert clerk(search) == []  # nothing imported

    rows[1][6] = b  # the check digit corrected
    good = tmp_path / "花名册.csv"
    good.write_text(_register(rows), encoding="gb18030")  # as Excel saves it in China
    page.set_input_files("#imp-file", str(good))
    page.get_by_role("button", name="检查（试导入，不写入）").click()
    checked = page.locator(".notice", has_text="检查通过")
    checked.wait_for()
    assert "新建 2" in checked.inner_text() and "3 名成员" in checked.inner_text()
    assert clerk(search) == []  # a dry run writes nothing
    page.get_by_role("button", name="确认导入").click()
    done = page.locator(".notice", has_text="已导入")
    done.wait_for()
    assert "新建 2" in done.inner_text()
    tab.shot("register-imported")
    assert len(clerk(search)) == 1

    # the same file again: nothing changes
    page.set_input_files("#imp-file", str(good))
    page.get_by_role("button", name="检查（试导入，不写入）").click()
    again = page.locator(".notice", has_text="检查通过")
    again.wait_for()
    assert "无变化 2" in again.inner_text() and "新建 0" in again.inner_text()
    page = tab.go("/households?j=140302&q=王大明")  # and the household is there to work on
    assert "王大明" in page.locator("table.data").inner_text()


def test_the_publicity_list_shows_id_numbers_masked(tab: Tab) -> None:
    tab.sign_in_as("yq-county")
    page = tab.go("/registers?j=140302")
    page.select_option("#pub-program", "dibao")
    page.get_by_role("button", name="在页面上查看").click()
    table = page.locator("table.publicity")
    table.wait_for()
    text = table.inner_text()
    assert "张志刚" in text  # case 1 of the demo, in payment
    assert re.search(r"1403\*{10}0819", text)
    assert not re.search(r"\d{17}[\dX]", text)
    assert "身份证号(隐去)" in text
    tab.shot("publicity-list")
    with page.expect_download() as register:  # the register out, in the template's columns
        page.click("#exp-csv")
    text = Path(register.value.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("户编号,县区代码") and "张志刚" in text and "导出人: yq-county" in text
    with page.expect_download() as roster:  # the roster for 医保 (full IDs: county only)
        page.fill("#ros-dept", "医保")
        page.click("#ros-xlsx")
    assert roster.value.suggested_filename == "roster-dibao-140302.xlsx"


def test_run_a_comparison_and_resolve_a_finding(
    tab: Tab, served: Served, people: dict[str, str], tmp_path
) -> None:
    deaths = tmp_path / "死亡人员.csv"
    deaths.write_text(
        f"身份证号,姓名,死亡日期\n{people['spouse']},吴秀兰,{days_ago(5)}\n"
        f"{demo_id_number('140311', '1940-02-02', 63, 'm')},不在保人员,{days_ago(6)}\n",
        encoding="utf-8",
    )
    tab.sign_in_as("jq-county")
    page = tab.go("/comparison?j=140311")
    page.select_option("#ib-kind", "deaths")
    page.select_option("#ib-dept", "公安")
    page.fill("#ib-date", days_ago(2))
    page.set_input_files("#ib-file", str(deaths))
    page.get_by_role("button", name="检查（不写入）").click()
    page.locator(".notice", has_text="2 条记录可以导入").wait_for()
    page.get_by_role("button", name="确认导入").click()
    page.locator(".notice", has_text="已导入批次").wait_for()
    tab.settle()
    expect(page.locator("#bt-title + *")).to_contain_text("死亡人员")  # the list read again

    page.get_by_role("button", name=re.compile("开始比对")).click()
    result = page.locator("#run-result")
    result.wait_for()
    assert re.search(r"比中 1，\s*新疑点 1", result.inner_text())
    tab.settle()
    row = page.locator("#finding-list tr", has_text="吴秀兰")
    assert "在保对象家庭成员已死亡" in row.inner_text()
    assert f"/cases/{people['case']}" in row.inner_html()
    assert re.search(r"\d{4}-\d{2}-\d{2}", row.inner_text())  # due, in working days
    assert "个工作日" in row.inner_text()
    expect(page.locator("#sup-open")).to_have_text("1")
    tab.shot("comparison")
    href = row.locator("a").first.get_attribute("href")
    finding = href.rsplit("/", 1)[1]

    # the township verifies it (the task's level): the page, then a dismissal without reasons
    # refused at the field, then the death recorded through the case workflow
    tab.sign_in_as("jq-township")
    page = tab.go(href)
    page.locator("#resolve-title").wait_for()
    text = page.inner_text("main")
    assert "死亡人员未按规定及时退出社会救助" in text  # the source's words
    assert "dibao.investigation.start_within_working_days" in text  # how the due date was found
    assert page.locator("table.record").inner_text().count(days_ago(5)) == 1
    assert page.locator(".alert").count() == 0
    tab.shot("finding")
    assert serious(tab) == []
    assert unlabelled(page) == []
    page.select_option("#rs-outcome", "dismissed")
    page.get_by_role("button", name=re.compile("^办结")).click()
    error = page.locator("#rs-reasons-error")
    error.wait_for()
    assert "a dismissal needs the reasons" in error.inner_text()
    tab.shot("dismiss-refused")
    page.select_option("#rs-outcome", "case_step")
    page.select_option("#rs-action", "record_death")
    assert page.locator("#rs-in-idNumber").input_value() == people["spouse"]  # prefilled
    page.get_by_role("button", name=re.compile("^办结")).click()
    page.locator("#resolved-notice").wait_for()
    assert "已办结" in page.locator("#resolved-notice").inner_text()
    tab.settle()
    outcome = page.locator("section[aria-labelledby=task-title] .card").inner_text()
    assert "登记死亡" in outcome
    tab.shot("finding-resolved")
    page = tab.go(f"/cases/{people['case']}")
    assert "登记死亡" in page.locator("#history-title + *").inner_text()
    on_case = page.locator("section[aria-labelledby=case-findings-title]").inner_text()
    assert "在保对象家庭成员已死亡" in on_case and "已办结" in on_case  # the case lists it

    # supervision: nothing open any more; the finding is listed among the resolved
    page = tab.go("/comparison?j=140311&status=resolved")
    expect(page.locator("#sup-open")).to_have_text("0")
    expect(page.locator("#finding-list")).to_contain_text("吴秀兰")

    # a township official of 城区 sees neither 郊区's findings nor this one
    tab.sign_in_as("yq-township")
    page = tab.go("/comparison?j=140311")
    assert "超出您的管辖范围" in page.locator(".alert").first.inner_text()
    assert "吴秀兰" not in page.inner_text("body")
    page = tab.go(f"/findings/{finding}")
    assert "超出您的管辖范围" in page.locator(".alert").first.inner_text()
    assert "吴秀兰" not in page.inner_text("body")
    assert page.locator("#resolve-title").count() == 0
    tab.shot("finding-forbidden")
    page = tab.go("/comparison?j=140302")  # their own county: no finding of 郊区
    assert "吴秀兰" not in page.inner_text("body")


def test_verification_requested_with_a_supporter_and_a_manual_report(
    tab: Tab, people: dict[str, str]
) -> None:
    tab.sign_in_as("jq-county")
    page = tab.go(f"/verification?case={people['case']}")
    page.locator("#rq-title").wait_for()
    supporter = demo_id_number("140311", "1995-06-07", 64, "m")
    page.get_by_role("button", name="添加义务人").click()
    page.fill("#rq-s0-name", "周小军")
    page.fill("#rq-s0-id", supporter)
    page.fill("#rq-s0-rel", "子女")
    page.get_by_role("button", name="发起核对").click()
    page.locator("#vf-notice").wait_for()
    tab.settle()
    report = page.locator("article.report").first
    text = report.inner_text()
    assert "核对平台" in text and "周小军" in text and "义务人" in text
    tab.shot("verification-report")

    page.get_by_role("button", name="登记人工核对报告").click()  # no number
    error = page.locator("#mn-number-error")
    error.wait_for()
    assert "number" in error.inner_text()
    page.fill("#mn-number", "郊核〔2026〕12号")
    page.fill("#mn-notes", "县级核对平台纸质报告")
    page.get_by_role("button", name="登记人工核对报告").click()
    expect(page.locator("#vf-notice")).to_contain_text("郊核〔2026〕12号")
    expect(page.locator("article.report")).to_have_count(2)  # the reports read again
    expect(page.locator("section[aria-labelledby=vr-title]")).to_contain_text("人工登记")
    assert serious(tab) == []
    # the household's page leads to the reports of each of its cases
    page = tab.go(f"/households/{people['household']}")
    page.get_by_role("link", name=re.compile("核对")).last.click()
    page.locator("#vh-title").wait_for()
    expect(page.locator("article.report")).to_have_count(2)
    assert "郊核〔2026〕12号" in page.inner_text("main")
    assert serious(tab) == []


def test_low_income_recognised_tagged_and_flagged(tab: Tab) -> None:
    person = demo_id_number("140302", "1958-09-10", 74, "f")
    tab.sign_in_as("yq-township")
    page = tab.go("/lowincome?j=140302")
    page.fill("#rc-name", "钱桂英")
    page.fill("#rc-id", person)
    page.fill("#rc-decision", "城区民政局低保边缘家庭认定")
    page.get_by_role("button", name="认定", exact=True).click()
    error = page.locator("#rc-other-error")  # no category: refused next to the categories
    error.wait_for()
    assert "categories" in error.inner_text()
    page.check("#rc-cat-marginal")
    page.check("#rc-tag-3")  # 住房救助
    page.get_by_role("button", name="认定", exact=True).click()
    page.locator(".notice", has_text="钱桂英").wait_for()
    row = page.locator("tr", has_text=person)
    expect(row).to_contain_text("低保边缘家庭")
    expect(row).to_contain_text("住房救助")

    row.get_by_role("button", name="变更 钱桂英").click()
    form = page.locator("form.change")
    form.locator("select[id$='-change']").select_option("flag")
    form.get_by_role("button", name="办理").click()
    form.locator("[id$='-reason-error']").wait_for()  # a flag needs its reason
    form.locator("input[id$='-reason']").fill("家庭成员新增重病")
    form.get_by_role("button", name="办理").click()
    page.locator("form.change").wait_for(state="detached")
    expect(page.locator("tr", has_text=person)).to_contain_text("待重新评估")  # read again
    tab.shot("lowincome")
    page = tab.go("/lowincome?j=140302&flagged=1")
    assert person in page.locator("table.lowincome").inner_text()


def test_navigation_by_role_and_auditors_read_only(tab: Tab) -> None:
    tab.sign_in_as("yq-clerk")  # village clerks: registers, not department data
    page = tab.go("/registers")
    nav = page.locator("header nav").inner_text()
    assert "花名册" in nav and "低收入人口" in nav
    assert "数据比对" not in nav and "核对" not in nav

    tab.sign_in_as("sx-auditor")  # auditors read everything in Shanxi and write nothing
    page = tab.go("/comparison?j=140302")
    nav = page.locator("header nav").inner_text()
    assert "数据比对" in nav and "核对" in nav
    page.locator("#sup-open").wait_for()
    assert page.locator("#run-title").count() == 0
    assert page.locator("#ib-title").count() == 0
    page = tab.go("/registers?j=140302")
    assert page.locator("#imp-file").count() == 0
    assert page.locator("#ros-program").count() == 0
    page = tab.go("/lowincome?j=140302")
    page.locator("#li-list-title").wait_for()
    assert page.locator("#rc-title").count() == 0
    assert page.get_by_role("button", name=re.compile("^变更")).count() == 0
    tab.shot("auditor-lowincome")
