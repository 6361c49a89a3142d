"""Unit staff at work in Chromium: the demo roles sign in and find their menus; a
procurement item is started from its form and completed by two people; a block-mode
bar is explained before anyone tries; the pages switch to English."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.conftest import api_headers, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("username", "sections", "landing", "heading"),
    [
        ("czj.wangfang", ["工作台", "监督", "廉政教育"], "/work", "我的待办"),
        ("czj.zhoujie", ["工作台", "监督", "廉政教育"], "/monitor/warnings", "预警"),
        (
            "jw.hexiaoping",
            ["业务处理", "监督", "分析评估", "廉政教育"],
            "/monitor/statistics",
            "风险预警统计",
        ),
        (
            "admin",
            ["工作台", "监督", "分析评估", "廉政教育", "系统管理"],
            "/admin/units",
            "单位与岗位",
        ),
    ],
)
def test_each_demo_role_signs_in_and_finds_their_work(
    page, live_server, username, sections, landing, heading
):
    sign_in(page, live_server, username)
    menu = page.locator("nav.sidebar h2").all_text_contents()
    assert menu == sections
    page.click(f"nav.sidebar a[href='{landing}']")
    page.wait_for_url(f"{live_server}{landing}")
    assert page.locator("main h1").first.inner_text().startswith(heading)
    page.shot_name = f"role-{username}"


def test_a_procurement_item_is_started_and_completed_by_two_people(page, live_server):
    sign_in(page, live_server, "czj.wangfang")
    page.click("nav.sidebar >> text=发起事项")
    page.click("ul.tiles >> text=政府采购")
    page.fill("#title", "浏览器测试：会议桌椅采购")
    page.fill("#f-budget_project", "2026年办公设备购置")
    page.select_option("#f-item_category", "货物")
    page.select_option("#f-method", "询价")
    page.fill("#f-amount", "56,000.00")
    page.click("button.primary >> text=发起事项")
    # 王芳 is the purchaser: her first task, 采购需求申报, opens with the fields filled.
    page.wait_for_selector("h1 >> text=采购需求申报")
    assert page.input_value("#f-amount") == "56000.00"
    page.fill("#comment", "按预算申报")
    page.click("button.primary >> text=提交")
    page.wait_for_selector(".flash.success")
    item_url = page.url
    assert "/items/" in item_url
    assert "需求审核" in page.locator("ol.timeline").inner_text()
    page.click("button >> text=退出")

    sign_in(page, live_server, "czj.liqiang")  # the section chief reviews
    page.click("nav.sidebar >> text=我的待办")
    page.fill("#q", "会议桌椅")
    page.click("button >> text=搜索")
    page.click("#tasks >> text=需求审核")
    page.check("input[name=decision][value=approve]")
    page.fill("#comment", "同意")
    page.click("button.primary >> text=提交")
    page.wait_for_selector(".flash.success")
    page.goto(item_url)
    timeline = page.locator("ol.timeline").inner_text()
    assert "需求审核" in timeline and "李强" in timeline and "同意" in timeline
    page.wait_for_selector("pre.mermaid svg")  # the diagram, drawn by the local Mermaid
    assert page.locator("pre.mermaid svg g.current").count() == 1
    assert page.locator("pre.mermaid svg g.visited").count() >= 3
    page.shot_name = "item"
    page.full_page = True


def test_my_tasks(page, live_server):
    sign_in(page, live_server, "czj.wangfang")
    page.goto(f"{live_server}/work")
    assert page.locator("#tasks tbody tr").count() >= 1
    assert page.locator("#tasks .due").count() >= 1
    page.shot_name = "workbench"


def test_a_block_mode_bar_names_the_rule_and_the_earlier_step(page, live_server):
    # The scene through the API: a 询价 procurement up to the acceptance, which 杨军 (验收人
    # and 资产保管) does; then he opens the storing task in the browser.
    def post(path: str, who: str, body: dict) -> dict:
        response = requests.post(f"{live_server}/api/v1{path}", json=body,
                                 headers=api_headers(live_server, who), timeout=10)  # fmt: skip
        assert response.status_code in (200, 201), response.text
        return response.json()

    item = post("/items", "czj.wangfang", {
        "process": "procurement", "title": "浏览器测试：验收与保管",
        "fields": {"budget_project": "2026年办公设备购置", "item_category": "货物",
                   "method": "询价", "amount": "30000.00"},
    })  # fmt: skip
    who = {"request": "czj.wangfang", "review": "czj.liqiang", "budget_check": "czj.zhangmin",
           "inquiry": "czj.wangfang", "sign": "czj.wangfang", "accept": "czj.yangjun"}  # fmt: skip
    while item["tasks"][0]["node"] != "store":
        task = item["tasks"][0]
        body = {"decision": task["decisions"][0]["key"]} if task["decisions"] else {}
        item = post(f"/tasks/{task['id']}/complete", who[task["node"]], body)
    store = item["tasks"][0]
    sign_in(page, live_server, "czj.yangjun")
    page.goto(f"{live_server}/work")  # told in the list, before trying
    row = page.locator("#tasks tr", has=page.locator(f"a[href='/tasks/{store['id']}']"))
    assert "不可办理" in row.inner_text() and "验收与保管不相容" in row.inner_text()
    page.goto(f"{live_server}/tasks/{store['id']}")
    barred = page.locator("#barred")
    barred.wait_for()
    text = barred.inner_text()
    assert "不可办理" in text and "验收与保管不相容" in text and "「履约验收」" in text
    assert page.locator("button.primary >> text=提交").is_disabled()
    page.shot_name = "refusal"


def test_the_pages_switch_to_english(page, live_server):
    sign_in(page, live_server, "czj.wangfang")
    page.goto(f"{live_server}/work")
    page.click("nav.langs >> text=English")
    page.wait_for_selector("html[lang=en]")
    assert page.locator("main h1").first.inner_text() == "My tasks"
    assert page.locator("nav.sidebar h2").all_text_contents() == [
        "Workbench",
        "Monitor",
        "Integrity education",
    ]
    assert page.url.endswith("/work")
    page.click("nav.langs >> text=中文")  # the session keeps the choice; put it back
    page.wait_for_selector("html[lang=zh-CN]")


def test_an_administrator_adds_a_person_with_posts_of_their_unit(page, live_server):
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/admin/people/new")
    page.fill("#username", "wjj.browser")
    page.fill("#name", "浏览器测试员")
    page.fill("#phone", "+8613900001234")
    page.select_option("#unit", "wjj")  # the post lists follow the unit
    assert "采购经办" in page.locator("select[name=posts-0-code]").inner_text()
    page.select_option("select[name=posts-0-code]", "cashier")
    page.select_option("select[name=posts-1-code]", "accountant")
    page.click("button >> text=检查岗位冲突")
    assert "保存将被拒绝" in page.locator("#post-check").inner_text()
    page.select_option("select[name=posts-1-code]", "")
    page.fill("#password", "a-long-password-2026")
    page.click("button.primary >> text=保存")
    page.wait_for_selector(".flash.success")
    assert page.url.endswith("/admin/people/wjj.browser")
