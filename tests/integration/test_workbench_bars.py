"""A person barred from a step is told before they try (我的待办 and the task page), and a
step let through by a flag-mode rule says so on completion — on SQLite and PostgreSQL,
through the pages as unit staff use them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from riskctl.controls.models import ControlHit
from tests.integration.test_pages import sign_in
from tests.integration.test_workbench_pages import post_form
from tests.integration.test_workflow import PROCUREMENT, Driver, _first, _give_post

BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def browser(app: Any, client: Any) -> Any:
    """A signed-in browser-like client per username (``client`` makes them isolated)."""

    def make(username: str) -> Any:
        made = app.test_client()
        assert sign_in(made, username).status_code == 302
        return made

    return make


def _row(html: str, task_id: int) -> str:
    before, after = html.split(f'href="/tasks/{task_id}"', 1)
    return before.rsplit("<tr", 1)[1] + after.split("</tr>", 1)[0]


def _hit_count(session: Any, item_id: int) -> int:
    query = sa.select(sa.func.count()).select_from(ControlHit).where(ControlHit.item_id == item_id)
    return session.scalar(query) or 0


def _accepted_by_yangjun(run: Driver) -> dict[str, Any]:
    """A 询价 procurement up to 验收入库, 履约验收 done by 杨军 (acceptor and asset keeper)."""
    item = run.start("procurement", PROCUREMENT | {"method": "询价"})
    for _ in range(5):  # request, review, budget_check, inquiry, sign
        item = run.complete(item["tasks"][0], decision=_first(item["tasks"][0]))
    item = run.complete(item["tasks"][0], who="czj.yangjun", decision="pass")
    assert item["tasks"][0]["node"] == "store"
    return item


def test_my_tasks_show_a_block_pair_bar_before_the_person_tries(
    browser, client, token_for, session
):
    item = _accepted_by_yangjun(Driver(client, token_for))
    store = item["tasks"][0]
    yangjun = browser("czj.yangjun")
    row = _row(yangjun.get("/work").text, store["id"])
    assert "不可办理" in row
    told = "您已办理本事项的「履约验收」，按「验收与保管不相容」不能办理此步骤，请由其他同事办理"
    assert told in row
    # The task page says it too, and its form cannot be sent.
    page = yangjun.get(f"/tasks/{store['id']}").text
    barred = page.split('id="barred"', 1)[1].split("</div>", 1)[0]
    assert "不可办理" in barred and "「验收与保管不相容」" in barred
    form = page.split('id="complete"', 1)[1].split("</form>", 1)[0]
    assert '<fieldset class="field" disabled>' in form
    # Looking is not trying: nothing was recorded.
    assert _hit_count(session, item["id"]) == 0
    # The colleague who may store sees the task plainly.
    other = _row(browser("czj.sunyan").get("/work").text, store["id"])
    assert "不可办理" not in other
    page = browser("czj.sunyan").get(f"/tasks/{store['id']}").text
    assert 'id="barred"' not in page and '<fieldset class="field" disabled>' not in page


def test_trying_a_barred_step_anyway_is_refused_and_recorded(browser, client, token_for, session):
    item = _accepted_by_yangjun(Driver(client, token_for))
    store = item["tasks"][0]
    response = post_form(browser("czj.yangjun"), f"/tasks/{store['id']}", {"comment": "入库"})
    assert response.status_code == 422
    assert 'id="refusal"' in response.text and 'id="barred"' not in response.text
    assert _hit_count(session, item["id"]) == 1


def test_a_declared_interest_that_blocks_is_shown_in_the_list(
    browser, client, token_for, session, person
):
    from datetime import date

    from riskctl.org.models import ConflictOfInterest

    session.add(ConflictOfInterest(person_id=person("czj.zhangmin").id, counterparty="华信科技",
                                   relation="配偶任职", declared_on=date(2026, 1, 5)))  # fmt: skip
    session.flush()
    run = Driver(client, token_for)
    item = run.start("procurement", PROCUREMENT | {"method": "询价"})
    for _ in range(3):
        item = run.complete(item["tasks"][0], decision=_first(item["tasks"][0]))
    item = run.complete(item["tasks"][0], fields={"supplier": "华信科技有限公司", "bidders": 3})
    while item["tasks"][0]["node"] != "pay_review":
        item = run.complete(item["tasks"][0], decision=_first(item["tasks"][0]))
    review = item["tasks"][0]
    row = _row(browser("czj.zhangmin").get("/work").text, review["id"])
    assert "不可办理" in row
    assert "您申报与「华信科技」存在配偶任职关系，本事项涉及「华信科技有限公司」" in row
    assert _hit_count(session, item["id"]) == 0


def test_completing_a_flag_pair_says_it_was_flagged(browser, client, token_for, session):
    # 王芳 wrote the requirement and, made acceptor, accepts: 需求提出与验收宜分离 (flag).
    _give_post(session, "czj.wangfang", "acceptor")
    _give_post(session, "czj.liqiang", "purchaser")
    run = Driver(client, token_for)
    item = run.start("procurement", PROCUREMENT | {"method": "询价"})
    for _ in range(4):
        item = run.complete(item["tasks"][0], decision=_first(item["tasks"][0]))
    item = run.complete(item["tasks"][0], who="czj.liqiang")  # sign (签订与验收: block)
    accept = item["tasks"][0]
    assert accept["node"] == "accept"
    wangfang = browser("czj.wangfang")
    assert "不可办理" not in _row(wangfang.get("/work").text, accept["id"])  # flag: not barred
    done = post_form(wangfang, f"/tasks/{accept['id']}", {"decision": "pass"})
    assert done.status_code == 302
    landed = wangfang.get(done.headers["Location"]).text
    request = next(s for s in item["steps"] if s["node"] == "request")
    moment = datetime.fromisoformat(request["at"])
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    at = moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    note = (
        f"已办理。注意：本步骤与您于 {at} 在本事项中办理的「采购需求申报」属不相容岗位"
        "（需求提出与验收宜分离），已如实记录，供纪检监督。"
    )
    assert note in landed, re.findall(r'<p class="flash[^"]*"[^>]*>[^<]*</p>', landed)
    assert "已办理：履约验收。" not in landed  # one message, not two
    # The API's answer carries the hit with the step it accompanies.
    after = run.item(item["id"])
    step = next(s for s in after["steps"] if s["node"] == "accept")
    (hit,) = after["control_hits"]
    assert (hit["outcome"], hit["step_id"], hit["earlier_step_id"]) == (
        "flagged", step["id"], request["id"],
    )  # fmt: skip


def test_the_bars_of_a_long_list_cost_the_same_few_queries(client, token_for, session, person):
    # 李强, made purchaser too, writes each requirement; 需求审核 is then barred for him.
    from riskctl.workflow import services as workflow

    _give_post(session, "czj.liqiang", "purchaser")
    run = Driver(client, token_for)
    reviews = []
    for _ in range(4):
        item = run.start("procurement", PROCUREMENT)
        reviews.append(run.complete(item["tasks"][0], who="czj.liqiang")["tasks"][0]["id"])
    principal = person("czj.liqiang").principal()
    connection = session.connection()

    def statements(limit: int) -> tuple[int, dict[int, Any]]:
        seen: list[str] = []

        def count(*args: Any) -> None:
            seen.append(args[2])

        sa.event.listen(connection, "before_cursor_execute", count)
        try:
            page = workflow.my_tasks(session, principal, search="测试procurement", limit=limit)
        finally:
            sa.event.remove(connection, "before_cursor_execute", count)
        return len(seen), {t["id"]: t["barred"] for t in page.items}

    statements(1)  # warm the caches of process versions and the calendar
    few, _ = statements(1)
    many, barred = statements(50)
    assert many == few
    assert all(barred[r] and barred[r][0]["rule"] == "request~review" for r in reviews)


def test_the_tasks_api_says_who_is_barred_and_names_posts_and_processes(client, token_for, session):
    item = _accepted_by_yangjun(Driver(client, token_for))
    store = item["tasks"][0]
    assert store["post_name"] == "资产管理员"

    def mine(username: str) -> dict[str, Any]:
        answer = client.get("/api/v1/tasks?limit=500", headers=token_for(username))
        assert answer.status_code == 200
        return next(t for t in answer.json["items"] if t["id"] == store["id"])

    barred = mine("czj.yangjun")
    assert barred["process_name"] == "政府采购" and barred["post_name"] == "资产管理员"
    [bar] = barred["barred"]
    assert bar["name"] == "验收与保管不相容"
    assert bar["earlier"]["node"] == "accept" and bar["earlier"]["name"] == "履约验收"
    assert mine("czj.sunyan")["barred"] == []
    assert _hit_count(session, item["id"]) == 0  # listing is not trying


def test_the_items_api_names_units_processes_and_starters(client, token_for):
    item = Driver(client, token_for).start("procurement", PROCUREMENT)
    assert item["unit_name"] == "区财政局" and item["process_name"] == "政府采购"
    assert item["started_by_name"].startswith("王芳（区财政局")
    listed = client.get("/api/v1/items?limit=5", headers=token_for("czj.wangfang")).json
    row = next(i for i in listed["items"] if i["id"] == item["id"])
    assert row["unit_name"] == "区财政局" and row["process_name"] == "政府采购"
