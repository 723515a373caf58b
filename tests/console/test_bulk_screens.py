"""The bulk engine's screens in Chromium, on `doudi demo load`'s data, with the internet blocked:
the annual review (年度复核: a snapshot, a run over a county with its scope, progress per unit,
the proposals with their reasons and full traces, the "no change" batch confirmed by the county
that confirms dibao in Shanxi and audited on the case) and the reform simulation (政策模拟: a
population, overrides, baseline beside reform in total and per county, the chart and the CSV),
each page without console errors and with no serious axe violation; an analyst sees
aggregates and never a person; officials cannot review or simulate outside their jurisdiction,
and are told so next to the field, in Chinese.

The demo (core/demo.py): 城区 (140302) yq-county (county approver), 郊区 (140311) jq-township and
jq-county; case 1 (张志刚, 城区) in payment, case 2 (李红梅, 郊区) in publicity. Dibao is confirmed
by the county in Yangquan (dibao.approval.confirming_level = county).
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.support.console import PASSWORD, Served, Tab

# A bulk job (a snapshot, DuckDB) takes a second alone, far more on a loaded CI machine.
BULK_JOB_MS = 180_000
DEMO_PEOPLE = ("张志刚", "刘芳", "张子涵", "李红梅", "李明轩", "郭建军")
ID_NUMBER = re.compile(r"\d{17}[\dX]")


@pytest.fixture(scope="module")
def analyst(served: Served) -> str:
    """An analyst of Shanxi (the demo has none): aggregates of simulations only."""
    served.cli("users", "add", "sx-analyst", "--role", "analyst", "--jurisdiction", "140000")
    served.cli("users", "passwd", "sx-analyst", "--password-stdin", stdin=PASSWORD + "\n")
    return "sx-analyst"


def checked(tab: Tab, label: str) -> None:
    """The page as it is: no alert, a screenshot, no serious axe violation, every control
    labelled."""
    page = tab.page
    assert page.locator(".alert").count() == 0, page.locator(".alert").all_inner_texts()
    tab.shot(label)
    serious = tab.axe()
    assert serious == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in serious]
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input,select,textarea')]
        .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length)
                     && !e.getAttribute('aria-label'))
        .map(e => e.outerHTML)""")
    assert unlabelled == []


def nav(tab: Tab) -> list[str]:
    return tab.page.locator("header nav a").all_inner_texts()


def graphql_from_page(tab: Tab, query: str) -> dict:
    """The query sent with the page's session token (the console is only a client)."""
    return tab.page.evaluate(
        """async (query) => {
        const s = JSON.parse(localStorage.getItem('doudi.session'));
        const r = await fetch('/graphql', {method: 'POST', body: JSON.stringify({query}),
          headers: {'Content-Type': 'application/json', Authorization: 'Bearer ' + s.token}});
        return await r.json(); }""",
        query,
    )


def test_an_annual_review_of_a_county_and_its_no_change_batch(tab: Tab) -> None:
    tab.sign_in_as("yq-county")
    page = tab.go("/reviews")
    assert "年度复核" in nav(tab) and "政策模拟" in nav(tab)
    page.locator("#runs-title").wait_for()
    checked(tab, "reviews")

    # a snapshot of the county, then a review of that snapshot
    page.get_by_role("button", name=re.compile("生成快照")).click()
    notice = page.locator("#snap-title ~ .notice")
    notice.wait_for(timeout=BULK_JOB_MS)
    snapshot = notice.locator("code").inner_text()
    tab.settle()
    assert snapshot in page.locator("#snap-title ~ .table-wrap").inner_text()
    assert page.locator("#rv-run-j").input_value() == "140302"
    page.select_option("#rv-run-snapshot", snapshot)
    assert page.locator("#rv-in-payment").is_checked()  # the default scope
    assert page.locator("#rv-applicants").is_checked()
    page.get_by_role("button", name="开始复核").click()
    page.wait_for_url(re.compile(r"/reviews/\d+$"), timeout=BULK_JOB_MS)
    tab.settle()
    assert "已完成" in page.locator("h1").inner_text()
    facts = page.locator("dl.facts").inner_text()
    assert snapshot in facts and "在保对象" in facts

    # progress per unit (the county: the demo's households carry no township)
    progress = page.locator("#progress-title + table").inner_text()
    assert "140302" in progress and "完成" in progress

    # case 1's proposal: continue, with its reason in Chinese; its full trace on demand
    row = page.locator("#tasks tr", has=page.locator('a[href="/cases/1"]'))
    reason = row.locator(".reason").inner_text()
    assert re.fullmatch(r"继续保障：家庭人均收入 [\d.]+ 元低于保障标准 [\d.]+ 元：整户纳入；"
                        r"金额 [\d.]+ 元不变", reason), reason  # fmt: skip
    row.get_by_role("button", name="查看完整依据").click()
    trace = page.locator("#tasks div.trace")
    trace.wait_for()
    assert "逐户引擎与批量结果一致" in trace.inner_text()
    trace.locator("details summary").click()
    assert "dibao.standard.urban" in trace.inner_text()
    # who confirms here, with the source: the county, in Yangquan
    level = page.locator("section[aria-labelledby=confirm-title] .card").inner_text()
    assert "县级民政部门" in level and "二(五)" in level
    checked(tab, "review-run")

    # the "no change" batch, confirmed by the county approver: audited on each case
    page.get_by_role("button", name="确认“无变化”的任务").click()
    done = page.locator("section[aria-labelledby=confirm-title] .notice")
    done.wait_for(timeout=BULK_JOB_MS)
    assert re.search(r"已确认：[1-9]", done.inner_text())
    tab.settle()
    row = page.locator("#tasks tr", has=page.locator('a[href="/cases/1"]'))
    assert "已确认" in row.inner_text() and "yq-county" in row.inner_text()
    tab.shot("review-confirmed")
    row.locator('a[href="/cases/1"]').click()
    page.wait_for_url("**/cases/1")
    tab.settle()
    history = page.locator("#history-title + *").inner_text()
    assert "复核" in history and "yq-county" in history


def interrupted(served: Served, run: str, status: str) -> None:
    """Put run ``run`` back in the state a run is left in when its server stops while it stores
    the units (``running``), or when storing failed (``failed``): no unit stored, no task."""
    with closing(sqlite3.connect(served.data_dir / "doudi.sqlite3")) as db, db:
        db.execute(
            "UPDATE review_runs SET status = ?, finished_at = NULL, error = ? WHERE id = ?",
            (status, "the database went away (test)" if status == "failed" else None, run),
        )
        db.execute("UPDATE review_progress SET stored = 0, done = 0 WHERE run_id = ?", (run,))
        db.execute("DELETE FROM review_tasks WHERE run_id = ?", (run,))  # fmt: skip


def test_a_running_review_is_followed_until_done_and_a_failed_one_resumed(
    tab: Tab, served: Served
) -> None:
    token = served.sign_in("yq-county")["token"]
    run_review = 'mutation { runAnnualReview(jurisdiction: "140302") { review { id } } }'
    answer = served.graphql(run_review, token=token, timeout=BULK_JOB_MS / 1000)
    run = answer["data"]["runAnnualReview"]["review"]["id"]
    interrupted(served, run, "running")
    tab.sign_in_as("yq-county")
    asked: list[str] = []
    tab.page.on("request", lambda r: r.post_data and "query Review(" in r.post_data
                and asked.append(r.url))  # fmt: skip
    page = tab.go(f"/reviews/{run}")
    assert "进行中" in page.locator("h1").inner_text()
    assert "0 / " in page.locator("#progress-title + table").inner_text()
    assert page.locator("#tasks").count() == 0
    tab.shot("review-running")
    before = len(asked)
    page.wait_for_timeout(2500)  # (the events reach the test only while it waits on the page)
    assert len(asked) >= before + 2  # polled while it runs
    # it goes on elsewhere (here: resumed over the API); the page follows it to the end
    resume = f'mutation {{ resumeAnnualReview(id: "{run}") {{ review {{ status }} }} }}'
    answer = served.graphql(resume, token=token, timeout=BULK_JOB_MS / 1000)
    assert answer["data"]["resumeAnnualReview"]["review"] == {"status": "done"}
    page.locator("h1", has_text="已完成").wait_for()
    page.locator("#tasks").wait_for()
    tab.settle()
    assert "0 / " not in page.locator("#progress-title + table").inner_text()
    asked.clear()
    page.wait_for_timeout(1500)
    assert asked == []  # no more polling once done

    # a failed run says why, and the county approver resumes it from the page
    interrupted(served, run, "failed")
    page = tab.go(f"/reviews/{run}")
    assert "失败" in page.locator("h1").inner_text()
    assert "the database went away" in page.locator("dl.facts").inner_text()
    page.get_by_role("button", name="继续未完成的复核").click()
    page.locator("h1", has_text="已完成").wait_for(timeout=BULK_JOB_MS)
    page.locator("#tasks tbody.task").first.wait_for()
    tab.shot("review-resumed")


def test_review_refusals_are_shown_next_to_the_field_in_chinese(tab: Tab) -> None:
    # a county approver of 郊区 cannot review 城区
    tab.sign_in_as("jq-county")
    page = tab.go("/reviews")
    page.fill("#rv-run-j", "140302")
    page.get_by_role("button", name="开始复核").click()
    error = page.locator("#rv-run-j-error")
    error.wait_for()
    assert "超出您的管辖范围" in error.inner_text()
    assert page.locator("#rv-run-j").get_attribute("aria-invalid") == "true"
    page.fill("#rv-run-j", "999999")
    page.get_by_role("button", name="开始复核").click()
    page.locator("#rv-run-j-error", has_text="行政区划代码无效").wait_for()
    tab.shot("review-refused")

    # a township officer starts no review (none offered, and the API refuses it too)
    tab.sign_in_as("jq-township")
    page = tab.go("/reviews")
    page.locator("p[role=note]", has_text="不能发起年度复核").wait_for()
    assert page.locator("#rv-run-j").count() == 0
    refused = graphql_from_page(tab, 'mutation { runAnnualReview(jurisdiction: "140311") '
                                     "{ review { id } userErrors { field code } } }")  # fmt: skip
    assert refused["data"]["runAnnualReview"]["userErrors"] == [
        {"field": "jurisdiction", "code": "FORBIDDEN"}
    ]
    # ... and reads no run outside the county
    page = tab.go("/reviews?j=140302")
    assert "超出您的管辖范围" in page.locator(".alert").first.inner_text()


def test_a_reform_simulation_with_its_chart_and_csv(tab: Tab, analyst: str) -> None:
    # the analyst signs in through the form and lands on the simulation (no inbox: no person)
    page = tab.go("/signin")
    page.fill("#signin-name", analyst)
    page.fill("#signin-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/simulate")
    tab.settle()
    assert nav(tab) == ["政策浏览", "政策模拟", "GraphQL 接口"]
    checked(tab, "simulate")

    page.fill("#sim-j", "140300")
    page.fill("#sim-r0-name", "城市标准提高10%")
    page.fill("#sim-r0-o0-path", "dibao.standard.urbn")  # a typo: refused next to the field
    page.fill("#sim-r0-o0-at", "140300")
    page.fill("#sim-r0-o0-value", "1.1")
    page.fill("#sim-r0-o0-from", "2024-01-01")
    page.get_by_role("button", name="开始模拟").click()
    error = page.locator("#sim-r0-o0-path-error")
    error.wait_for(timeout=BULK_JOB_MS)
    assert "未知参数" in error.inner_text() and "dibao.standard.urban" in error.inner_text()
    page.fill("#sim-r0-o0-path", "dibao.standard.urban")
    page.get_by_role("button", name="开始模拟").click()
    result = page.locator("#result")
    result.wait_for(timeout=BULK_JOB_MS)
    tab.settle()
    totals = page.locator("#totals tbody tr").first.inner_text()
    assert "合计" in totals and "城市标准提高10%" in totals
    counties = page.locator("#counties").inner_text()
    assert "城区 140302" in counties and "郊区 140311" in counties
    urban = page.locator("#counties tbody tr", has_text="城区 140302").locator("td")
    assert urban.nth(11).inner_text().startswith("+")  # monthly cost change: up
    page.locator("#sim-chart svg").wait_for()  # drawn by ECharts
    assert "城区" in page.locator("#sim-chart").inner_text()
    checked(tab, "simulate-result")

    # aggregates only: nobody's name or ID number anywhere on the page
    body = page.inner_text("body")
    assert not any(name in body for name in DEMO_PEOPLE) and not ID_NUMBER.search(body)

    with page.expect_download() as info:
        page.get_by_role("button", name="下载结果（CSV）").click()
    csv = Path(info.value.path()).read_text(encoding="utf-8")
    assert csv.startswith("\ufeff情景 scenario,")
    assert "城市标准提高10%,dibao,140302,城区" in csv and ",total,合计," in csv


def test_an_analyst_cannot_see_a_person(tab: Tab, analyst: str) -> None:
    tab.sign_in_as(analyst)
    for path in ("/cases/1", "/households?j=140302&q=张志刚", "/reviews?j=140000", "/inbox"):
        page = tab.go(path)
        alert = page.locator(".alert").first
        alert.wait_for()
        assert "您没有权限" in alert.inner_text(), path
        body = page.inner_text("body")
        assert not any(name in body for name in DEMO_PEOPLE) and not ID_NUMBER.search(body)
    tab.shot("analyst-refused")
    for query in ("{ household(id: 4) { id } }", '{ annualReviews(jurisdiction: "140000") { id } }',
                  '{ reviewTask(id: "1") { reason } }', '{ case(id: 1) { id } }',
                  '{ snapshots { id households } }'):  # fmt: skip
        answer = graphql_from_page(tab, query)
        if "errors" in answer:
            assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN", query
        else:  # snapshots: metadata only, never a household
            assert all(set(s) == {"id", "households"} for s in answer["data"]["snapshots"])
    snap = graphql_from_page(tab, 'mutation { takeSnapshot(jurisdiction: "140300") '
                                  "{ snapshot { id } userErrors { code } } }")  # fmt: skip
    assert snap["data"]["takeSnapshot"]["userErrors"] == [{"code": "FORBIDDEN"}]


def test_a_township_officer_cannot_simulate_outside_their_county(tab: Tab) -> None:
    tab.sign_in_as("jq-township")  # 郊区 140311
    page = tab.go("/simulate")
    assert page.locator("#sim-j").input_value() == "140311"
    page.fill("#sim-j", "140302")
    page.get_by_role("button", name="开始模拟").click()
    error = page.locator("#sim-j-error")
    error.wait_for(timeout=BULK_JOB_MS)
    assert "超出您的管辖范围" in error.inner_text()
    assert page.locator("#result").count() == 0
    tab.shot("simulate-refused")
    page.fill("#sim-j", "140311")
    page.fill("#sim-r0-o0-at", "140311")
    page.get_by_role("button", name="开始模拟").click()
    page.locator("#counties").wait_for(timeout=BULK_JOB_MS)
    assert "郊区 140311" in page.locator("#counties").inner_text()
    assert page.locator(".field-error").count() == 0


def test_a_simulation_link_reproduces_the_view(tab: Tab, analyst: str) -> None:
    """The simulation keeps its settings in the address, as the explorer does: the population,
    the date, the programs and every reform with its overrides. Opened again (a link sent to a
    colleague, a reload), the page fills the form the same way and runs the simulation."""
    tab.sign_in_as(analyst)
    page = tab.go("/simulate")
    page.fill("#sim-j", "140300")
    page.fill("#sim-day", "2025-06-30")
    page.check("#sim-p-tekun")
    page.fill("#sim-r0-name", "城市标准提高10%")
    page.fill("#sim-r0-o0-at", "140300")
    page.fill("#sim-r0-o0-value", "1.1")
    page.fill("#sim-r0-o0-from", "2024-01-01")
    page.get_by_role("button", name="添加参数修改").click()
    page.fill("#sim-r0-o1-path", "tekun.standard.basic")
    page.fill("#sim-r0-o1-at", "140000")
    page.select_option("#sim-r0-o1-kind", "value")
    page.fill("#sim-r0-o1-value", "1200")
    page.fill("#sim-r0-o1-from", "2025-01-01")
    page.fill("#sim-r0-o1-until", "2025-12-31")
    page.get_by_role("button", name="开始模拟").click()
    page.locator("#result").wait_for(timeout=BULK_JOB_MS)
    tab.settle()
    link = page.url
    assert "/simulate?" in link and "j=140300" in link and "date=2025-06-30" in link
    totals = page.locator("#totals").inner_text()
    assert "特困" in totals and "城市标准提高10%" in totals

    # the link, opened anew: the same form, the same result, without pressing anything
    page = tab.go("/")
    page = tab.go(link.removeprefix(tab.served.url))
    page.locator("#result").wait_for(timeout=BULK_JOB_MS)
    tab.settle()
    assert page.locator("#sim-j").input_value() == "140300"
    assert page.locator("#sim-day").input_value() == "2025-06-30"
    assert page.locator("#sim-p-tekun").is_checked() and page.locator("#sim-p-dibao").is_checked()
    assert page.locator("#sim-r0-name").input_value() == "城市标准提高10%"
    assert page.locator("#sim-r0-o0-path").input_value() == "dibao.standard.urban"
    assert page.locator("#sim-r0-o0-value").input_value() == "1.1"
    assert page.locator("#sim-r0-o1-kind").input_value() == "value"
    assert page.locator("#sim-r0-o1-value").input_value() == "1200"
    assert page.locator("#sim-r0-o1-until").input_value() == "2025-12-31"
    assert page.locator("#totals").inner_text() == totals
    checked(tab, "simulate-link")
