"""The console in Chromium, on `doudi demo load`'s data, with the internet blocked: every page
loads without console errors; sign-in and lockout; five provinces compared and a source
opened; a dibao case through Shanxi's chain (its step forms generated from caseActionSpecs);
a held payment released; a township officer kept out of a neighbouring county's case; an
auditor shown ID numbers masked; axe-core finds nothing serious; the keyboard reaches
everything.

The demo (core/demo.py): 城区 (140302) officials yq-clerk, yq-township, yq-county; 郊区
(140311) jq-township, jq-county; sx-admin and sx-auditor (Shanxi); case 1 (张志刚, 城区) in
payment with its payment held (no account), case 2 (李红梅, 郊区) in publicity since two days
ago.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from core.demo import demo_id_number
from tests.support.console import Served, Tab

FIVE = "522700,140300,530000,450326,640121"
TODAY = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def days_ago(n: int) -> str:
    return (TODAY - dt.timedelta(days=n)).isoformat()


# Pages, who sees them, and something each must show once loaded.
PAGES = [
    ("explorer", None, f"/explorer?j={FIVE}&date=2024-01-01&prefix=dibao.phase_out", ".matrix"),
    ("signin", None, "/signin", "#signin-password"),
    ("inbox", "yq-county", "/inbox?state=active", "table.data"),
    ("case", "yq-county", "/cases/1", "#steps-title"),
    ("households", "yq-clerk", "/households?j=140302&q=张", "table.data"),
    ("household", "yq-clerk", "/households/4", "#preview-title"),
    ("household-new", "yq-clerk", "/households/new", "#hf-county"),
    ("payments", "yq-county", "/payments?j=140302", "#held-title"),
    ("calendar", "yq-county", "/calendar", "table.month"),
    ("admin", "sx-admin", "/admin", "#new-user-title"),
]


@pytest.mark.parametrize(("label", "who", "path", "shows"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_loads_offline_and_accessibly(tab: Tab, label, who, path, shows) -> None:
    if who:
        tab.sign_in_as(who)
    page = tab.go(path)
    page.locator(shows).first.wait_for()
    assert page.locator(".alert").count() == 0, page.locator(".alert").all_inner_texts()
    tab.shot(label)
    serious = tab.axe()
    assert serious == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in serious]
    # every control has a label (axe checks it too; this names the offender plainly)
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input,select,textarea')]
        .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length)
                     && !e.getAttribute('aria-label'))
        .map(e => e.outerHTML)""")
    assert unlabelled == []


def test_graphiql_is_served_from_local_assets(tab: Tab) -> None:
    page = tab.page
    page.goto(tab.served.url + "/graphql")
    page.locator(".graphiql-container").wait_for(timeout=30000)
    page.wait_for_load_state("networkidle")
    tab.shot("graphiql")
    csp = page.evaluate("() => document.querySelector('script[src*=graphiql]') !== null")
    assert csp


def test_sign_in_lockout_and_sign_out(tab: Tab, served: Served) -> None:
    served.cli("users", "add", "lock-me", "--role", "township_officer", "--jurisdiction", "140302")
    served.cli("users", "passwd", "lock-me", "--password-stdin", stdin="the right password 1\n")
    page = tab.go("/signin")
    page.fill("#signin-name", "lock-me")
    page.fill("#signin-password", "a wrong password")
    page.click("button[type=submit]")
    error = page.locator("#signin-password-error")
    error.wait_for()
    assert "用户名或密码错误" in error.inner_text()
    assert page.locator("#signin-password").get_attribute("aria-invalid") == "true"
    tab.shot("wrong-password")
    for _ in range(4):
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
    locked = page.locator("#signin-name-error")
    locked.wait_for()
    assert "账户已锁定" in locked.inner_text() and "15 minutes" in locked.inner_text()
    page.fill("#signin-password", "the right password 1")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "账户已锁定" in page.locator("#signin-name-error").inner_text()
    tab.shot("locked")

    # a user who is not locked signs in, lands in the inbox, and signs out again
    page.fill("#signin-name", "yq-township")
    page.fill("#signin-password", "an example password for the demo")
    page.click("button[type=submit]")
    page.wait_for_url("**/inbox")
    assert "yq-township" in page.locator(".me").inner_text()
    token = page.evaluate("() => JSON.parse(localStorage.getItem('doudi.session')).token")
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/signin")
    assert page.evaluate("() => localStorage.getItem('doudi.session')") is None
    me = served.graphql("{ me { name } }", token=token)
    assert me["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"  # revoked, not just forgotten


def test_compare_five_provinces_and_open_a_source(tab: Tab) -> None:
    page = tab.go("/explorer")
    page.fill("#ex-codes", "")
    page.get_by_role("button", name="五省对比").click()
    page.fill("#ex-date", "2024-01-01")
    page.select_option("#ex-prefix", "dibao.phase_out")
    page.get_by_role("button", name="对比", exact=True).click()
    tab.settle()
    headers = page.locator("table.matrix thead th").all_inner_texts()
    assert len(headers) == 6 and "640121" in headers[-1] and "522700" in headers[1]
    path = page.locator("code", has_text=re.compile(r"^dibao\.phase_out\.max_months$"))
    row = page.locator("table.matrix tbody tr", has=path)
    assert "differs" in (row.get_attribute("class") or "")
    assert "不同" in row.locator("th").inner_text()
    cell = row.locator("td").nth(4)  # 640121 永宁县
    assert "18" in cell.inner_text() and "640121" in cell.inner_text()  # value, layer
    assert "2020-12-16" in cell.inner_text()  # the date it took effect
    cell.locator("button.cell").click()
    panel = page.locator("section.panel")
    panel.locator("blockquote").first.wait_for()
    text = panel.inner_text()
    assert "永民发〔2020〕138号" in text and "可给予最多18个月的渐退期" in text
    assert "覆盖的值" in text
    panel.locator(".chart svg").wait_for()  # the history chart, drawn by ECharts
    assert "sel=dibao.phase_out.max_months%40640121" in page.url
    tab.shot("source")
    url = page.url
    page.goto(url)  # the link reproduces the view
    tab.settle()
    page.locator("section.panel blockquote").first.wait_for()
    assert page.locator("#ex-prefix").input_value() == "dibao.phase_out"
    page.fill("#ex-date", "2023-06-01")
    page.get_by_role("button", name="对比", exact=True).click()
    tab.settle()
    violations = page.locator("ul.violations")
    violations.wait_for()
    assert "民发〔2022〕83号" in violations.inner_text()
    assert "永民发〔2020〕138号" in violations.inner_text()


def _step(page, tab: Tab, action: str, on: str, fill: dict[str, str] | None = None) -> None:
    """Open the form of an open step, fill it, submit, and wait for the new state."""
    version = page.locator("dl.facts dt", has_text=re.compile("^版本$")).locator("+ dd")
    before = version.inner_text()
    page.get_by_role("button", name=re.compile(f"办理：{action}$")).click()
    form = page.locator("form", has=page.get_by_role("button", name=re.compile(f"办理：{action}$")))
    for name, value in (fill or {}).items():
        field = form.locator(f"[id$='-{name}']")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.locator("[id$='-on']").fill(on)
    form.get_by_role("button", name=re.compile(f"办理：{action}$")).click()
    page.locator(".notice", has_text=action).wait_for()
    # the notice shows before the case is read again: wait for the new version, not only for
    # no loading indicator (the new read may not have started yet)
    expect(version).not_to_have_text(before)
    tab.settle()


def test_a_dibao_case_through_shanxis_chain(tab: Tab) -> None:
    # the village clerk records a new household and accepts its application, 20 days ago
    tab.sign_in_as("yq-clerk")
    page = tab.go("/households/new")
    head = demo_id_number("140302", "1979-02-11", 91, "m")
    child = demo_id_number("140302", "2010-07-01", 92, "f")
    page.fill("#hf-county", "140302")
    page.select_option("#hf-area", "urban")
    page.select_option("#hf-property", "true")
    page.fill("#hf-m0-name", "测试户主")
    page.fill("#hf-m0-id", head[:-1] + ("0" if head[-1] != "0" else "1"))  # a wrong check digit
    page.get_by_role("button", name="添加成员").click()
    page.fill("#hf-m1-name", "测试子女")
    page.fill("#hf-m1-id", child)
    page.get_by_role("button", name="添加收入").click()
    page.fill("#hf-i0-amount", "600")
    page.get_by_role("button", name="保存").click()
    error = page.locator("#hf-m0-id-error")
    error.wait_for()
    assert "身份证号无效" in error.inner_text()  # next to the field, in Chinese
    tab.shot("household-error")
    page.fill("#hf-m0-id", head)
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/households/\d+$"))
    tab.settle()
    page.fill("#ap-on", days_ago(20))
    page.get_by_role("button", name="受理申请").last.click()
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    tab.settle()
    case_url = page.url.replace(tab.served.url, "")
    assert "已受理" in page.locator("h1").inner_text()

    # the township: home visit by two, first review, publicity
    tab.sign_in_as("yq-township")
    page = tab.go(case_url)
    visit = {"investigators": "王建国\n李淑芬", "findings": "属实"}
    _step(page, tab, "入户调查", days_ago(19), visit)
    _step(page, tab, "初审", days_ago(18), {"opinion": "符合条件"})
    _step(page, tab, "开始公示", days_ago(17))
    assert "公示中" in page.locator("h1").inner_text()
    tab.shot("in-publicity")

    # the county: confirmation is refused until the verification passed (Shanxi)
    tab.sign_in_as("yq-county")
    page = tab.go(case_url)
    others = page.locator("details", has_text="其他步骤")
    others.locator("summary").click()
    assert "须先完成经济状况核对" in others.inner_text()
    _step(page, tab, "经济状况核对", days_ago(9), {"passed": "true", "notes": "核对通过"})
    _step(page, tab, "审核确认", days_ago(9))
    assert "保障中" in page.locator("h1").inner_text()
    history = page.locator("#history-title + *").inner_text()
    for step in ("受理申请", "入户调查", "初审", "开始公示", "经济状况核对", "审核确认"):
        assert step in history
    decision = page.locator("section[aria-labelledby=decision-title]").inner_text()
    assert "dibao.verification.required_before_approval" in decision
    tab.shot("confirmed")

    # a step that must wait says until when: case 2 of 郊区 is in publicity since 2 days ago
    tab.sign_in_as("jq-county")
    page = tab.go("/cases/2")
    wait = page.locator("p.wait", has_text="审核确认")
    wait.wait_for()
    text = wait.inner_text()
    assert "公示期未结束" in text and re.search(r"\d{4}-\d{2}-\d{2}", text)
    tab.shot("must-wait")


def test_release_a_held_payment(tab: Tab) -> None:
    tab.sign_in_as("yq-county")
    page = tab.go(f"/payments?j=140302&month={TODAY:%Y-%m}")
    held = page.locator("#held-title + p + table")
    held.wait_for()
    assert "一卡通" in held.inner_text()  # the reason
    tab.shot("held")
    held.get_by_role("link", name=re.compile("补录住户")).first.click()
    tab.settle()
    page.get_by_role("button", name="编辑住户").click()
    page.select_option("#hf-pa-holder", index=1)
    page.fill("#hf-pa-bank", "中国农业银行阳泉分行")
    page.fill("#hf-pa-number", "12")
    page.get_by_role("button", name="保存").click()
    page.locator("#hf-pa-number-error").wait_for()  # 8 to 30 digits, next to the field
    page.fill("#hf-pa-number", "6228480012345678")
    page.get_by_role("button", name="保存").click()
    page.get_by_text("6228480012345678").wait_for()  # saved, and shown
    page = tab.go(f"/payments?j=140302&month={TODAY:%Y-%m}")
    page.get_by_role("button", name=re.compile("生成本月发放")).click()
    notice = page.locator(".notice")
    notice.wait_for()
    assert re.search(r"解除暂停 1", notice.inner_text())
    tab.settle()
    # case 1's payment is no longer held (a case another test confirmed may be, without account)
    held = page.locator("section[aria-labelledby=held-title]")
    assert held.locator('a[href="/cases/1"]').count() == 0
    row = page.locator("#list-title + * tr", has=page.locator('a[href="/cases/1"]'))
    assert "待发放" in row.inner_text()
    tab.shot("released")


def test_a_township_officer_cannot_see_or_act_on_a_neighbouring_county(tab: Tab) -> None:
    tab.sign_in_as("jq-township")  # 郊区 140311; case 1 is in 城区 140302
    page = tab.go("/cases/1")
    alert = page.locator(".alert").first
    alert.wait_for()
    assert "超出您的管辖范围" in alert.inner_text()
    assert "张志刚" not in page.inner_text("body")
    assert page.locator("#steps-title").count() == 0
    tab.shot("forbidden-case")
    page = tab.go("/inbox?j=140302&state=active")
    assert "超出您的管辖范围" in page.locator(".alert").first.inner_text()
    page = tab.go("/households?j=140302&q=张志刚")
    assert "超出您的管辖范围" in page.locator(".alert").first.inner_text()
    # acting through the API from the page is refused too (the console is only a client)
    result = page.evaluate("""async () => {
        const s = JSON.parse(localStorage.getItem('doudi.session'));
        const query = 'mutation { recordHomeVisit(id: "1", expectedVersion: 6, '
          + 'investigators: ["a","b"]) { case { id } userErrors { code } } }';
        const r = await fetch('/graphql', {method: 'POST', body: JSON.stringify({query}),
          headers: {'Content-Type': 'application/json', Authorization: 'Bearer ' + s.token}});
        return (await r.json()).data.recordHomeVisit.userErrors[0].code; }""")
    assert result == "FORBIDDEN"


def test_an_auditor_sees_id_numbers_masked_and_no_form_that_needs_them(tab: Tab) -> None:
    # the numbers are masked by the server (Household.idNumbersMasked); the page says so and
    # offers neither the edit form nor the preview, which would send the masked numbers back
    tab.sign_in_as("sx-auditor")
    page = tab.go("/households/4")
    page.locator("p[role=note]", has_text="身份证号已遮蔽").wait_for()
    text = page.inner_text("body")
    assert "********" in text
    assert not re.search(r"\d{17}[\dX]", text)  # no ID number in full anywhere
    assert page.get_by_role("button", name="编辑住户").count() == 0
    assert page.locator("#preview-title").count() == 0
    assert page.locator(".alert").count() == 0
    tab.shot("household-masked")
    assert tab.axe() == []
    # the clerk who handles it sees them in full, and may edit and preview
    tab.sign_in_as("yq-clerk")
    page = tab.go("/households/4")
    page.locator("#preview-title").wait_for()
    assert re.search(r"\d{17}[\dX]", page.inner_text("body"))
    assert page.get_by_role("button", name="编辑住户").count() == 1


def test_keyboard_reaches_the_explorer_and_opens_a_source(tab: Tab) -> None:
    page = tab.go(f"/explorer?j={FIVE}&date=2024-01-01&prefix=dibao.phase_out")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    for _ in range(60):  # tab through the controls to the first value of the matrix
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('cell')"):
            break
    else:
        pytest.fail("no matrix cell reachable by keyboard")
    page.keyboard.press("Enter")
    page.locator("section.panel h3").first.wait_for()  # value, layer, source (if any)
    assert page.evaluate("() => document.activeElement.classList.contains('panel')")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the panel's close button
    page.locator("section.panel").wait_for(state="detached")


def test_refused_work_and_the_review_s_choice_in_chinese_on_a_case_in_payment(tab: Tab) -> None:
    """The steps and inputs of issue 9 in the forms generated from caseActionSpecs: labelled and
    their allowed values named in Chinese; a refused job recorded for one member (审核确认办法
    art. 34: 「连续3次拒绝…」), then the county's reduction of that member's benefit refused until
    the limit is reached, the refusal in Chinese."""
    tab.sign_in_as("yq-county")
    page = tab.go("/cases/1")
    spouse = page.locator("section[aria-labelledby=hh-title] tr", has_text="刘芳")
    spouse_id = spouse.locator("code").inner_text()
    assert re.fullmatch(r"\d{17}[\dX]", spouse_id)

    page.get_by_role("button", name=re.compile("办理：复核$")).click()
    review = page.locator("form", has=page.get_by_role("button", name=re.compile("办理：复核$")))
    assert review.locator("label[for$='-outcome']").inner_text().startswith("处理结果")
    outcome = review.locator("select[id$='-outcome'] option").all_inner_texts()
    assert outcome == ["—", "给予渐退期", "退出"]
    cause = review.locator("select[id$='-cause'] option").all_inner_texts()
    assert cause == ["—", "就业", "自主创业"]
    assert review.locator("label[for$='-causeMember']").inner_text().startswith("就业或创业的成员")
    tab.shot("review-form")

    _step(page, tab, "登记拒绝就业", TODAY.isoformat(),
          {"member": spouse_id, "goodReason": "false", "note": "拒绝公益岗位"})  # fmt: skip
    history = page.locator("#history-title + *").inner_text()
    assert "登记拒绝就业" in history

    action = "减发或停发本人低保金"
    page.get_by_role("button", name=re.compile(f"办理：{action}$")).click()
    form = page.locator("form", has=page.get_by_role("button", name=re.compile(f"办理：{action}$")))
    assert form.locator("label[for$='-member']").inner_text().startswith("成员")
    form.locator("[id$='-member']").fill(spouse_id)
    form.get_by_role("button", name=re.compile(f"办理：{action}$")).click()
    refusal = form.get_by_text("拒绝就业次数未达到退出条件")
    refusal.wait_for()
    assert "refused 1 time in a row" in form.inner_text()  # the API's own words beside it
    tab.shot("reduce-refused")


@pytest.mark.parametrize("who", ["sx-admin", "yq-county", "yq-clerk"])
def test_the_header_keeps_to_one_line_at_1366_pixels(tab: Tab, who: str) -> None:
    """At 1366 px wide (the tests' window: a common office screen) the header keeps the name,
    every page the role opens (a province administrator's thirteen), the language switch and
    the user — with role and jurisdiction — on one line."""
    tab.sign_in_as(who)
    page = tab.go("/explorer")
    assert page.viewport_size == {"width": 1366, "height": 900}
    boxes = page.evaluate("""() => [...document.querySelectorAll(
        'header.top > .brand, header nav li, header .who > *')].map(e => {
          const r = e.getBoundingClientRect(); return [e.innerText, r.top + r.height / 2, r.right];
        })""")
    centres = [centre for _text, centre, _right in boxes]
    assert max(centres) - min(centres) < 8, boxes  # one row: every item centred alike
    assert max(right for *_x, right in boxes) <= 1366, boxes
    assert page.locator("header.top").bounding_box()["height"] < 70
    me = page.locator(".me").inner_text()
    assert who in me and "·" in me  # role · jurisdiction under the name
    tab.shot(f"header-{who}")
