"""The supervision pages through the Flask test client: the warning page's resolve form
with the follow-up's fields and its errors beside them, the talk recorded with a scan and
confirmed, the ledger and its export in the offices' form, the statistics, the leading
post in the administrator's form, a reminder opening its page."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from riskctl.core.audit import AuditRecord
from riskctl.core.calendar_store import local_date
from riskctl.org.models import Post, Unit
from riskctl.risk.models import EventStatus, RiskEvent
from riskctl.supervision.models import SupervisionFile, Talk, TalkStatus
from riskctl.supervision.reminders import send_reminders
from tests import files
from tests.integration.test_pages import csrf_from, sign_in
from tests.integration.test_supervision import (
    INSPECTOR,
    LEADER,
    STAFF,
    enter,
    later,
    plan,
    red,
)


@pytest.fixture
def as_person(app: Any, client: Any) -> Any:
    def make(username: str) -> Any:
        browser = app.test_client()
        assert sign_in(browser, username).status_code == 302
        return browser

    return make


def post(browser: Any, page: str, action: str, data: dict[str, Any], **kwargs: Any) -> Any:
    token = csrf_from(browser.get(page).get_data(as_text=True))
    return browser.post(action, data={**data, "csrf_token": token}, **kwargs)


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def test_the_warning_page_asks_for_the_talk_and_shows_a_past_due_day_beside_its_field(
    as_person, session
):
    event_id = red(session)
    browser = as_person(INSPECTOR)
    page = f"/monitor/warnings/{event_id}"
    html = text(browser.get(page))
    assert 'name="follow_up.talk_due"' in html and 'name="follow_up.rectify_due"' in html
    assert 'id="to-ledger"' in html  # 转台账 for who keeps the unit's ledger
    talker = re.search(r'<select id="follow-up-talker".*?</select>', html, re.S).group(0)
    assert 'value="jw.liuhong" selected' in talker and "周洁（区财政局·纪检组长）" in talker
    refused = post(browser, page, f"{page}/resolve", {
        "disposition": "reminder_talk", "note": "约谈本人", "follow_up.talk_due": later(-2),
        "follow_up.talker": INSPECTOR})  # fmt: skip
    assert refused.status_code == 422
    html = text(refused)
    assert 'id="error-follow_up-due"' in html and "不得早于今天" in html
    assert "约谈本人" in html and 'value="reminder_talk" selected' in html  # kept as typed
    assert session.get(RiskEvent, event_id).status is EventStatus.OPEN
    done = post(browser, page, f"{page}/resolve", {
        "disposition": "reminder_talk", "note": "约谈本人", "follow_up.talk_due": later(4),
        "follow_up.talker": LEADER, "follow_up.place": "局纪检组办公室"})  # fmt: skip
    assert done.status_code == 302
    (talk,) = session.scalars(sa.select(Talk)).all()
    assert (talk.due_on.isoformat(), talk.place, talk.risk_event_id) == (
        later(4), "局纪检组办公室", event_id)  # fmt: skip
    shown = text(browser.get(page))
    follow = shown[shown.index('id="follow-ups"') :]
    assert f"/supervision/talks/{talk.id}" in follow and "谈话提醒" in follow and "待谈话" in follow


def test_a_talker_records_the_talk_with_a_scan_and_the_subject_confirms_it(
    as_person,
    client,
    token_for,
    session,
    store,
):
    talk = plan(client, token_for)
    talker = as_person(INSPECTOR)
    listed = text(talker.get("/supervision/talks"))
    assert f'data-talk="{talk["id"]}"' in listed and "王芳（区财政局" in listed
    page = f"/supervision/talks/{talk['id']}"
    multipart = {"content_type": "multipart/form-data"}
    wrong = post(talker, page, f"{page}/record", {
        "held_on": local_date().isoformat(), "record": "谈话内容",
        "file": (io.BytesIO(files.docx()), "记录.docx")}, **multipart)  # fmt: skip
    assert wrong.status_code == 422 and 'id="error-file"' in text(wrong)
    assert session.get(Talk, talk["id"]).status is TalkStatus.PLANNED  # nothing recorded
    future = post(talker, page, f"{page}/record", {
        "held_on": later(2), "record": "谈话内容"})  # fmt: skip
    assert future.status_code == 422 and "不得晚于今天" in text(future)
    done = post(talker, page, f"{page}/record", {
        "held_on": local_date().isoformat(), "record": "指出采购需求不规范，本人表示接受。",
        "file": (io.BytesIO(files.pdf()), "谈话记录.pdf")}, **multipart)  # fmt: skip
    assert done.status_code == 302
    assert session.scalar(sa.select(sa.func.count()).select_from(SupervisionFile)) == 1
    subject = as_person(STAFF)
    html = text(subject.get(page))
    assert 'id="confirm-form"' in html and "谈话记录.pdf" in html and 'id="record-form"' not in html
    assert post(subject, page, f"{page}/confirm", {}).status_code == 302
    html = text(subject.get(page))
    assert "已于" in html and 'id="confirm-form"' not in html


def test_the_ledger_exports_in_the_offices_form_one_sheet_or_one_per_unit(
    as_person, client, token_for, session
):
    enter(client, token_for)
    enter(client, token_for, who=INSPECTOR, unit="wjj", responsible="wjj.wuhao",
          description="=HYPERLINK(\"x\")公车使用登记不全")  # fmt: skip
    browser = as_person(INSPECTOR)
    listed = text(browser.get("/supervision/ledger"))
    assert "公务接待超标准" in listed and "巡察" in listed and "整改中" in listed
    one = browser.get("/supervision/ledger/export.xlsx")
    assert one.status_code == 200 and one.headers["X-Rows"] == "2"
    book = load_workbook(io.BytesIO(one.data))
    (sheet,) = book.worksheets
    assert sheet["A1"].value == "督查工作台账"
    assert [c.value for c in sheet[3]] == ["序号", "问题", "来源", "整改措施", "责任单位/责任人",
                                           "整改时限", "整改进展", "是否销号"]  # fmt: skip
    first = [c.value for c in sheet[4]]
    assert first[0] == 1 and first[2] == "巡察" and first[4] == "区财政局 / 王芳"
    assert first[5].date() == local_date() + timedelta(days=20) and first[7] == "否"
    assert sheet["B5"].value.startswith("=HYPERLINK") and sheet["B5"].quotePrefix  # never a formula
    split = browser.get("/supervision/ledger/export.xlsx?sheets=unit")
    per_unit = load_workbook(io.BytesIO(split.data))
    assert per_unit.sheetnames == ["区财政局", "区卫计局"]
    assert per_unit["区卫计局"]["A1"].value == "区卫计局 · 督查工作台账"
    exported = session.scalars(
        sa.select(AuditRecord.after).where(AuditRecord.action == "export.ledger")
    ).all()
    assert [e["rows"] for e in exported] == [2, 2]
    staff = text(as_person(STAFF).get("/supervision/ledger"))
    assert "公务接待超标准" in staff and "公车使用登记不全" not in staff


def test_the_supervision_pages_are_in_the_menu_and_speak_chinese(
    as_person, client, token_for, session
):
    event_id = red(session)
    client.post(f"/api/v1/risk-events/{event_id}/resolve", headers=token_for(INSPECTOR),
                json={"disposition": "rectification"})  # fmt: skip
    inspector = as_person(INSPECTOR)
    nav = text(inspector.get("/supervision/statistics"))
    assert "处置落实情况" in nav and "督查工作台账" in nav and "谈话" in nav
    assert 'id="chart-follow-ups"' in nav and 'data-key="rectification"' in nav
    pages = (
        "/supervision/talks/plans",
        "/supervision/talks/new",
        f"/supervision/ledger/new?event={event_id}",
        "/supervision/ledger?overdue=1",
    )
    for page in pages:
        assert inspector.get(page).status_code == 200, page
    prefilled = text(inspector.get(f"/supervision/ledger/new?event={event_id}"))
    assert f"风险预警 #{event_id}「单环节超时」" in prefilled
    staff = as_person(STAFF)
    staff_nav = text(staff.get("/supervision/talks"))
    menu = staff_nav.split('<nav class="sidebar"', 1)[1].split("</nav>", 1)[0]
    assert "谈话" in menu and "督查工作台账" in menu and "处置落实情况" not in menu
    assert staff.get("/supervision/statistics").status_code == 403


def test_a_post_is_marked_leading_in_the_administrators_form(as_person, session):
    admin = as_person("admin")
    page = "/admin/units/czj"
    saved = post(admin, page, page, {"code": "leader", "name": "分管领导", "risk": "4",
                                     "is_leading": "1"})  # fmt: skip
    assert saved.status_code == 302
    czj = session.scalar(sa.select(Unit.id).where(Unit.code == "czj"))
    leader = session.scalar(sa.select(Post).where(Post.unit_id == czj, Post.code == "leader"))
    assert leader.is_leading is True
    assert 'data-leading="leader">是' in text(admin.get(page))
    post(admin, page, page, {"code": "leader", "name": "分管领导", "risk": "4"})
    session.refresh(leader)
    assert leader.is_leading is False


def test_a_reminder_opens_the_talk_it_is_about(as_person, client, token_for, session):
    talk = plan(client, token_for, due_on=later(1))
    send_reminders(session, lead_working_days=3)
    browser = as_person(INSPECTOR)
    listed = text(browser.get("/notifications"))
    assert "谈话提醒：谈话提醒应于" in listed
    opened = re.search(r'href="(/notifications/\d+/open)">查看', listed).group(1)
    assert browser.get(opened).headers["Location"] == f"/supervision/talks/{talk['id']}"
