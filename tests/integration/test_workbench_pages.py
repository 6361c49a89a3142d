"""The workbench pages of unit staff, through the Flask test client (the browser suite
drives the same pages in Chromium): my tasks, the start form built from a process's
fields, a task completed from its page, the block-mode refusal in plain Chinese, the item
page with its timeline and diagram, the warnings on my work with an explanation."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from riskctl.controls.models import ControlHit, HitOutcome
from riskctl.workflow.models import Item, Step
from tests.integration.test_pages import csrf_from, sign_in
from tests.integration.test_workflow import PROCUREMENT, Driver


@pytest.fixture
def as_person(app: Any, client: Any) -> Any:
    """A signed-in browser-like client per username (``client`` makes them isolated)."""

    def make(username: str) -> Any:
        browser = app.test_client()
        assert sign_in(browser, username).status_code == 302
        return browser

    return make


def post_form(browser: Any, url: str, data: dict[str, str]) -> Any:
    token = csrf_from(browser.get(url).get_data(as_text=True))
    return browser.post(url, data={**data, "csrf_token": token})


def test_staff_see_the_workbench_in_the_navigation(as_person):
    html = as_person("czj.wangfang").get("/work").get_data(as_text=True)
    nav = html.split('<nav class="sidebar"', 1)[1].split("</nav>", 1)[0]
    for text in ("工作台", "我的待办", "发起事项", "事项", "我的预警"):
        assert text in nav
    assert "系统管理" not in nav  # staff administer nothing
    assert "王芳 · 区财政局" in html  # the person and unit on every page


def test_the_start_form_is_built_from_the_process_fields(as_person):
    html = as_person("czj.wangfang").get("/work/start/procurement").get_data(as_text=True)
    assert '<label for="f-amount">预算金额' in html
    assert '<select id="f-method" name="fields.method"' in html
    assert '<option value="询价"' in html
    assert 'type="date" id="f-tender_start"' in html


def test_a_bad_start_form_shows_each_error_beside_its_field(as_person, session):
    browser = as_person("czj.wangfang")
    before = session.scalar(sa.select(sa.func.count()).select_from(Item))
    response = post_form(
        browser,
        "/work/start/procurement",
        {"title": "", "fields.amount": "12.345", "fields.method": "询价"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html
    assert re.search(r'id="error-title">请填写事项标题<', html), html
    assert re.search(r'id="error-fields-amount">预算金额：最多两位小数<', html), html
    assert 'value="12.345"' in html  # what was typed is kept
    assert session.scalar(sa.select(sa.func.count()).select_from(Item)) == before


def test_an_item_is_started_and_completed_by_two_people_from_the_pages(as_person, session):
    wangfang = as_person("czj.wangfang")
    response = post_form(
        wangfang,
        "/work/start/procurement",
        {
            "title": "页面测试：办公桌椅采购",
            "fields.budget_project": "2026年办公设备购置",
            "fields.item_category": "货物",
            "fields.method": "询价",
            "fields.amount": "86,000.00",
        },
    )
    assert response.status_code == 302
    item = session.scalar(sa.select(Item).where(Item.title == "页面测试：办公桌椅采购"))
    assert item is not None and item.fields["amount"] == "86000.00"
    # 王芳 is the purchaser: she lands on her own first task, 采购需求申报.
    task_url = response.headers["Location"]
    assert task_url.startswith("/tasks/")
    page = wangfang.get(task_url).get_data(as_text=True)
    assert "采购需求申报" in page and 'name="fields.amount"' in page
    done = post_form(wangfang, task_url, {"fields.amount": "86000.00", "comment": "按预算申报"})
    assert done.status_code == 302
    # The review waits for the section chief; 王芳 sees it but may not do it.
    item_page = wangfang.get(f"/items/{item.id}").get_data(as_text=True)
    assert "需求审核" in item_page and "办理：需求审核" not in item_page
    liqiang = as_person("czj.liqiang")
    tasks = liqiang.get("/work").get_data(as_text=True)
    review = re.search(r'href="(/tasks/\d+)">需求审核</a>', tasks)
    assert review, tasks
    assert post_form(liqiang, review.group(1), {"decision": "approve"}).status_code == 302
    steps = session.scalars(sa.select(Step).where(Step.item_id == item.id).order_by(Step.id))
    assert [(s.node, s.decision) for s in steps] == [
        ("start", None), ("request", None), ("review", "approve"),
    ]  # fmt: skip


def test_the_item_page_draws_the_path_taken_and_the_current_node(as_person, client, token_for):
    run = Driver(client, token_for)
    item = run.start("procurement", PROCUREMENT | {"method": "询价"})
    item = run.complete(item["tasks"][0])  # request
    html = as_person("czj.wangfang").get(f"/items/{item['id']}").get_data(as_text=True)
    diagram = html.split('<pre class="mermaid"', 1)[1].split("</pre>", 1)[0]
    ids = dict(re.findall(r"\s(n\d+)\[&#34;([^&]+?) · ", diagram))
    names = {name: node for node, name in ids.items()}
    assert f"class {names['采购需求申报']} visited" in diagram
    assert f"class {names['需求审核']} current" in diagram
    assert f"class {names['资金支付']} " not in diagram  # not reached
    assert "linkStyle" in diagram
    # The timeline: both steps, and the task that waits.
    assert html.index("采购需求申报") < html.index("等待 科室负责人")
    assert "/static/vendor/mermaid.min.js" in html


def test_a_block_mode_refusal_says_which_rule_and_which_earlier_step(
    as_person, client, token_for, session
):
    # 杨军 holds acceptor and asset_keeper: after accepting he may not also store.
    run = Driver(client, token_for)
    item = run.start("procurement", PROCUREMENT | {"method": "询价"})
    for _ in range(5):  # request, review, budget_check, inquiry, sign
        task = item["tasks"][0]
        item = run.complete(
            task, decision=task["decisions"][0]["key"] if task["decisions"] else None
        )
    item = run.complete(item["tasks"][0], who="czj.yangjun", decision="pass")
    accept = next(s for s in item["steps"] if s["node"] == "accept")
    store = item["tasks"][0]
    response = post_form(as_person("czj.yangjun"), f"/tasks/{store['id']}", {"comment": "入库"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    refusal = html.split('id="refusal"', 1)[1].split("</div>", 1)[0]
    assert "不能提交" in refusal
    assert "验收与保管不相容" in refusal
    assert "「履约验收」" in refusal and "「验收入库」" in refusal
    assert f"步骤 {accept['id']}" in refusal
    # Evidence kept: the refused attempt is a control hit, the task is still open.
    hit = session.scalar(
        sa.select(ControlHit).where(
            ControlHit.item_id == item["id"], ControlHit.outcome == HitOutcome.REFUSED
        )
    )
    assert hit is not None and hit.node == "store"
    assert run.item(item["id"])["tasks"][0]["id"] == store["id"]


def test_my_tasks_show_time_left_and_overdue(as_person, client, token_for, at):
    run = Driver(client, token_for)
    at(datetime(2026, 12, 7, 2, tzinfo=UTC))  # a Monday, 10:00 in Beijing
    item = run.start("procurement", PROCUREMENT)  # 采购需求申报: 3 working days
    browser = as_person("czj.wangfang")
    at(datetime(2026, 12, 7, 3, tzinfo=UTC))
    row = _row_of(browser.get("/work?q=测试procurement").get_data(as_text=True), item["id"])
    assert "剩余 3 个工作日" in row and "已超期" not in row
    at(datetime(2026, 12, 15, 3, tzinfo=UTC))  # due end of Thursday 10th; Fri, Mon, Tue late
    row = _row_of(browser.get("/work?q=测试procurement").get_data(as_text=True), item["id"])
    assert "已超期" in row and "超期 3 个工作日" in row


def _row_of(html: str, item_id: int) -> str:
    before, after = html.split(f'href="/items/{item_id}"', 1)
    return before.rsplit("<tr", 1)[1] + after.split("</tr>", 1)[0]


def test_a_staff_member_explains_a_warning_on_their_work(as_person, session, person):
    from riskctl.risk.models import EventStatus, Level, RiskEvent

    wangfang = person("czj.wangfang")
    event = RiskEvent(
        identity="test:explain", rule="late_step", level=Level.YELLOW, score=42.0,
        severity=2, factors={}, evidence={}, status=EventStatus.OPEN,
        unit_id=wangfang.unit_id, person_id=wangfang.id,
        subject="采购需求申报超期 2 个工作日", policy_version=1,
    )  # fmt: skip
    session.add(event)
    session.flush()
    browser = as_person("czj.wangfang")
    html = browser.get("/work/warnings").get_data(as_text=True)
    assert "采购需求申报超期 2 个工作日" in html and "黄色" in html
    response = post_form(
        browser, "/work/warnings", {"text": "供应商报价延迟，已催办。"}
    )  # the form lives on the list page; posting the list itself is not allowed
    assert response.status_code == 405
    token = csrf_from(html)
    done = browser.post(
        f"/work/warnings/{event.id}/explain",
        data={"text": "供应商报价延迟，已催办。", "csrf_token": token, "back": "//evil.example"},
    )
    assert done.status_code == 302 and done.headers["Location"] == "/work/warnings"
    session.refresh(event)
    assert event.status is EventStatus.EXPLAINED
    assert event.explanation == "供应商报价延迟，已催办。"
    # Someone else cannot explain it.
    other = as_person("czj.liujing")
    token = csrf_from(other.get("/work/warnings").get_data(as_text=True))
    refused = other.post(
        f"/work/warnings/{event.id}/explain", data={"text": "x", "csrf_token": token}
    )
    assert refused.status_code == 404  # not theirs: they do not even see it
    # The handler's empty explanation is refused with the reason, in Chinese.
    token = csrf_from(browser.get("/work/warnings").get_data(as_text=True))
    browser.post(f"/work/warnings/{event.id}/explain", data={"text": " ", "csrf_token": token})
    assert "未保存：请说明情况" in browser.get("/work/warnings").get_data(as_text=True)


def test_someone_without_the_post_sees_why_they_cannot_complete(as_person, client, token_for):
    run = Driver(client, token_for)
    item = run.start("procurement", PROCUREMENT)
    html = as_person("czj.liujing").get(f"/tasks/{item['tasks'][0]['id']}").get_data(as_text=True)
    assert "您未担任" in html and 'id="complete"' not in html


def test_other_units_items_are_not_found(as_person, client, token_for):
    item = Driver(client, token_for).start("procurement", PROCUREMENT)
    response = as_person("qjz.jiangtao").get(f"/items/{item['id']}")
    assert response.status_code == 404
    assert "未找到" in response.get_data(as_text=True) or "不存在" in response.get_data(
        as_text=True
    )


def test_the_language_a_person_chose_is_kept_for_their_next_sign_in(app, client, session):
    sign_in(client, "czj.wangfang")
    home = client.get("/").text
    client.post("/lang/en", data={"csrf_token": csrf_from(home), "next": "/work"})
    assert '<html lang="en">' in client.get("/work").text
    again = app.test_client()
    sign_in(again, "czj.wangfang")  # a new session: the choice comes from the person
    assert "<h1>My tasks</h1>" in again.get("/work").text.replace("\n", "").replace("  ", "")
    assert '<html lang="zh-CN">' in as_other(app, "czj.liqiang").get("/work").text


def as_other(app: Any, username: str) -> Any:
    browser = app.test_client()
    sign_in(browser, username)
    return browser


def test_a_step_done_meanwhile_is_not_done_twice(as_person, client, token_for):
    run = Driver(client, token_for)
    item = run.start("procurement", PROCUREMENT)
    task_url = f"/tasks/{item['tasks'][0]['id']}"
    browser = as_person("czj.wangfang")
    token = csrf_from(browser.get(task_url).text)  # the page is open …
    run.complete(item["tasks"][0])  # … while the step is done elsewhere
    response = browser.post(task_url, data={"csrf_token": token})
    assert response.status_code == 409  # the closed task offers no form any more


def test_an_inspector_finds_items_under_business_processing_not_items_twice(as_person):
    html = as_person("jw.liuhong").get("/items").get_data(as_text=True)
    nav = html.split('<nav class="sidebar"', 1)[1].split("</nav>", 1)[0]
    assert "业务处理" in nav and nav.count(">事项<") == 1
