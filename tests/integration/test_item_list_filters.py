"""The items list (事项): filters by unit, process, period, person (started by / handled
by), status and title, each a choice by name; paging keeps the filters; processes and
units are named, never shown by their codes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from riskctl.workflow import views
from riskctl.workflow.models import Item
from tests.integration.test_pages import sign_in
from tests.integration.test_workflow import PROCUREMENT, START_FIELDS, Driver

EXPENSE = START_FIELDS["expense_reimbursement"]


@pytest.fixture
def run(client: Any, token_for: Any) -> Driver:
    return Driver(client, token_for)


def start(run: Driver, process: str, title: str, who: str = "czj.wangfang") -> dict[str, Any]:
    fields = PROCUREMENT if process == "procurement" else START_FIELDS[process]
    body = {"process": process, "title": title, "fields": fields}
    response = run.client.post("/api/v1/items", json=body, headers=run.token_for(who))
    assert response.status_code == 201, response.get_json()
    return response.json


def listed(client: Any, query: str = "", status: int = 200) -> list[str]:
    """The titles the items page lists for ``query``."""
    response = client.get(f"/items?{query}")
    assert response.status_code == status, response.text[:500]
    table = response.text.split('id="items"', 1)[1] if 'id="items"' in response.text else ""
    return re.findall(r'href="/items/\d+">([^<]+)</a>', table)


def test_the_list_names_processes_and_units_not_their_codes(client, run):
    start(run, "expense_reimbursement", "筛选测试：差旅费")
    sign_in(client, "czj.wangfang")
    html = client.get("/items?q=筛选测试").text
    row = html.split('id="items"', 1)[1].split("</table>", 1)[0]
    assert "支出报销" in row and "区财政局" in row
    assert "expense_reimbursement" not in row and ">czj<" not in row
    options = html.split('name="process"', 1)[1].split("</select>", 1)[0]
    assert '<option value="expense_reimbursement">支出报销</option>' in options
    # Staff see one unit: no unit filter to choose from.
    assert 'name="unit"' not in html


def test_an_inspector_filters_by_unit_among_those_in_scope(client, run):
    start(run, "procurement", "筛选测试：财政局采购")
    start(run, "procurement", "筛选测试：卫计局采购", who="wjj.wuhao")
    sign_in(client, "jw.liuhong")  # inspector of 区财政局 and 区卫计局
    html = client.get("/items").text
    units = html.split('name="unit"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="(\w+)">([^<]+)<', units) == [
        ("czj", "区财政局"), ("wjj", "区卫计局"),
    ]  # fmt: skip
    assert set(listed(client, "q=筛选测试")) == {"筛选测试：财政局采购", "筛选测试：卫计局采购"}
    assert listed(client, "q=筛选测试&unit=wjj") == ["筛选测试：卫计局采购"]
    # A unit outside the scope is an error beside the filter, not a silent "all".
    response = client.get("/items?unit=qjz")
    assert response.status_code == 422
    assert "不是可选项之一" in response.text


def test_the_process_filter_keeps_one_process(client, run):
    start(run, "procurement", "筛选测试：采购")
    start(run, "expense_reimbursement", "筛选测试：报销")
    sign_in(client, "czj.wangfang")
    assert listed(client, "q=筛选测试&process=expense_reimbursement") == ["筛选测试：报销"]
    assert listed(client, "q=筛选测试&process=procurement") == ["筛选测试：采购"]
    response = client.get("/items?process=no_such_process")
    assert response.status_code == 422 and "不是可选项之一" in response.text


def test_the_period_presets_bound_when_items_started(client, run, session):
    october = start(run, "expense_reimbursement", "筛选测试：十月")
    row = session.get(Item, october["id"])
    row.started_at = datetime(2026, 10, 15, 2, 0, tzinfo=UTC)  # the scene: started in October
    session.flush()
    start(run, "expense_reimbursement", "筛选测试：十二月")  # today, 1 December (test clock)
    sign_in(client, "czj.wangfang")
    assert set(listed(client, "q=筛选测试")) == {"筛选测试：十月", "筛选测试：十二月"}
    assert listed(client, "q=筛选测试&period=month") == ["筛选测试：十二月"]
    assert listed(client, "q=筛选测试&period=quarter") == ["筛选测试：十二月", "筛选测试：十月"]
    custom = "period=custom&from=2026-10-01&to=2026-10-31"
    assert listed(client, f"q=筛选测试&{custom}") == ["筛选测试：十月"]
    response = client.get("/items?period=custom&from=2026-10-31&to=2026-10-01")
    assert response.status_code == 422 and 'id="error-to"' in response.text


def test_the_person_filter_tells_who_started_from_who_handled(client, run):
    item = start(run, "expense_reimbursement", "筛选测试：李强审核的报销")
    item = run.complete(item["tasks"][0], fields=EXPENSE)  # 王芳 applies
    run.complete(item["tasks"][0], decision="approve")  # 李强, the section chief
    start(run, "expense_reimbursement", "筛选测试：未审核的报销")
    sign_in(client, "czj.zhoujie")
    html = client.get("/items").text
    people = html.split('name="person"', 1)[1].split("</select>", 1)[0]
    assert '<optgroup label="区财政局">' in people
    assert '<option value="czj.liqiang">李强</option>' in people
    assert '<option value="czj.wangfang">王芳</option>' in people
    both = {"筛选测试：李强审核的报销", "筛选测试：未审核的报销"}
    assert set(listed(client, "q=筛选测试&person=czj.wangfang&role=started")) == both
    assert listed(client, "q=筛选测试&person=czj.liqiang&role=handled") == [
        "筛选测试：李强审核的报销"
    ]
    assert listed(client, "q=筛选测试&person=czj.liqiang&role=started") == []
    # Starting an item is not handling a step of it.
    assert listed(client, "q=筛选测试&person=czj.wangfang&role=handled") == [
        "筛选测试：李强审核的报销"
    ]
    listed(client, "person=wjj.wuhao", status=422)  # someone else's unit: not a choice


def test_paging_goes_through_the_results_and_keeps_the_filters(client, run, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for n in (1, 2, 3):
        start(run, "expense_reimbursement", f"分页测试{n}")
    start(run, "procurement", "分页测试：采购")  # filtered out
    sign_in(client, "czj.wangfang")
    query = "q=分页测试&process=expense_reimbursement"
    first = client.get(f"/items?{query}").text
    assert listed(client, query) == ["分页测试3", "分页测试2"]
    assert "第 1–2 条，共 3 条" in first
    following = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert following, first
    url = following.group(1).replace("&amp;", "&")
    assert "process=expense_reimbursement" in url and "offset=2" in url
    second = client.get(url).text
    assert re.findall(r'href="/items/\d+">([^<]+)</a>', second.split('id="items"', 1)[1]) == [
        "分页测试1"
    ]
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_the_status_filter_still_works_with_the_others(client, run):
    item = start(run, "expense_reimbursement", "筛选测试：进行中")
    assert item["status"] == "running"
    sign_in(client, "czj.wangfang")
    assert listed(client, "q=筛选测试&status=running") == ["筛选测试：进行中"]
    assert listed(client, "q=筛选测试&status=completed") == []
    listed(client, "status=sleeping", status=422)
