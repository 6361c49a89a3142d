"""The printed forms, seen by whoever may see the page they come from: a warning's
disposition form (预警处置单) and an item's handling record (流转记录), each with the
unit, the facts, the history by name in local time and the signature lines."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from riskctl.risk.models import Disposition, EventStatus, Level
from tests.integration.test_monitor_pages import warning
from tests.integration.test_pages import sign_in
from tests.integration.test_workflow import START_FIELDS, Driver

SIGNATURES = ("经办人（签字）", "纪检组长（签字）", "监察员（签字）")


@pytest.fixture
def reviewed(client: Any, token_for: Any) -> dict[str, Any]:
    """A 区财政局 expense claim applied for by 王芳 and approved by 李强."""
    run = Driver(client, token_for)
    fields = START_FIELDS["expense_reimbursement"]
    body = {"process": "expense_reimbursement", "title": "打印测试：差旅费", "fields": fields}
    response = client.post("/api/v1/items", json=body, headers=token_for("czj.wangfang"))
    assert response.status_code == 201, response.get_json()
    item = run.complete(response.json["tasks"][0], fields=fields)
    body = {"decision": "approve", "comment": "同意报销"}
    response = client.post(f"/api/v1/tasks/{item['tasks'][0]['id']}/complete", json=body,
                           headers=token_for("czj.liqiang"))  # fmt: skip
    assert response.status_code == 200, response.get_json()
    return response.json


def test_the_item_record_lists_the_steps_in_order_by_name_in_local_time(client, reviewed):
    sign_in(client, "czj.wangfang")
    page = client.get(f"/items/{reviewed['id']}").text
    assert f'href="/items/{reviewed["id"]}/print">打印</a>' in page  # the link on the item
    response = client.get(f"/items/{reviewed['id']}/print")
    assert response.status_code == 200
    html = response.text
    assert "事项流转记录单" in html and "单位：区财政局" in html and "支出报销" in html
    steps = html.split('class="grid steps"', 1)[1].split("</table>", 1)[0]
    order = [steps.index(s) for s in ("发起事项", "报销申请", "科室负责人审核")]
    assert order == sorted(order)
    assert "王芳" in steps and "李强" in steps and "czj.liqiang" not in steps
    assert "同意报销" in steps and "2026-12-01 10:00" in steps  # 02:00 UTC, in Beijing
    for line in SIGNATURES:
        assert line in html
    assert 'class="sidebar"' not in html  # no menu on paper
    assert "/static/css/print.css" in html and "<script>" not in html


def test_the_item_record_is_for_those_who_see_the_item(client, reviewed):
    sign_in(client, "jw.liuhong")  # an inspector of 区财政局
    assert client.get(f"/items/{reviewed['id']}/print").status_code == 200
    other = client.application.test_client()
    sign_in(other, "wjj.wuhao")  # staff of 区卫计局
    assert other.get(f"/items/{reviewed['id']}/print").status_code == 404
    assert other.get("/items/999999/print").status_code == 404


def test_the_disposition_form_has_the_facts_the_history_and_the_signatures(
    client, session, person, reviewed
):
    event = warning(session, person, Level.ORANGE, rule="item_overdue", subject="报销超期")
    event.item_id = reviewed["id"]
    event.acknowledged_by_id = person("czj.zhoujie").id
    event.acknowledged_at = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    event.status, event.disposition = EventStatus.RESOLVED, Disposition.REMINDER_TALK
    event.closed_by_id, event.closed_at = person("czj.zhoujie").id, event.acknowledged_at
    event.closing_note = "已提醒经办人按时办理"
    session.flush()
    sign_in(client, "czj.zhoujie")
    response = client.get(f"/monitor/warnings/{event.id}/print")
    assert response.status_code == 200
    html = response.text
    assert "廉政风险预警处置单" in html and "单位：区财政局" in html and f"编号：{event.id}" in html
    facts = html.split('class="grid facts"', 1)[1].split("</table>", 1)[0]
    assert "橙色" in facts and "72.50" in facts and "王芳" in facts  # level, score, person
    assert "打印测试：差旅费" in facts and "2026-12-01 10:00" in facts  # item, when raised
    history = html.split('class="grid history"', 1)[1].split("</table>", 1)[0]
    assert "周洁" in history and "czj.zhoujie" not in history  # handlers by name
    assert "2026-12-01 11:00" in history and "已提醒经办人按时办理" in history
    assert "科室负责人审核" in html.split('class="grid steps"', 1)[1]  # the item's record
    for line in SIGNATURES:
        assert line in html


def test_the_disposition_form_is_for_those_who_see_the_warning(client, session, person):
    event = warning(session, person, Level.YELLOW, unit="czj")
    elsewhere = warning(session, person, Level.YELLOW, unit="qjz", who="qjz.jiangtao")
    sign_in(client, "jw.liuhong")  # inspector of 区财政局 and 区卫计局, not 前进镇
    assert client.get(f"/monitor/warnings/{event.id}/print").status_code == 200
    assert client.get(f"/monitor/warnings/{elsewhere.id}/print").status_code == 404
    staff = client.application.test_client()
    sign_in(staff, "czj.wangfang")  # staff: no monitor
    assert staff.get(f"/monitor/warnings/{event.id}/print").status_code == 403


def test_the_item_record_lists_its_files_with_their_digests_and_state(
    client, token_for, reviewed, store
):
    from tests import files
    from tests.integration.test_attachments import upload

    kept = upload(client, token_for, reviewed["id"], files.pdf(), "报销单据.pdf")
    gone = upload(client, token_for, reviewed["id"], files.png(), "发票照片.png")
    store.path_of(gone["sha256"]).unlink()
    sign_in(client, "czj.wangfang")
    html = client.get(f"/items/{reviewed['id']}/print").text
    table = html.split('class="grid files"', 1)[1].split("</table>", 1)[0]
    assert "报销单据.pdf" in table and f"SHA-256 {kept['sha256']}" in table
    assert "完好" in table and "文件缺失" in table and "王芳" in table
    assert "czj.wangfang" not in table


def test_an_item_without_files_says_so_on_paper(client, reviewed, store):
    sign_in(client, "czj.wangfang")
    assert "没有附件。" in client.get(f"/items/{reviewed['id']}/print").text


def test_the_disposition_form_lists_the_items_files(
    client, token_for, session, person, reviewed, store
):
    from tests import files
    from tests.integration.test_attachments import upload

    kept = upload(client, token_for, reviewed["id"], files.pdf(), "报销单据.pdf")
    event = warning(session, person, Level.ORANGE, rule="item_overdue", subject="报销超期")
    event.item_id = reviewed["id"]
    session.flush()
    sign_in(client, "czj.zhoujie")
    html = client.get(f"/monitor/warnings/{event.id}/print").text
    assert "事项的附件" in html
    table = html.split('class="grid files"', 1)[1].split("</table>", 1)[0]
    assert "报销单据.pdf" in table and kept["sha256"] in table and "完好" in table
