"""Issue 18: who a red warning tells (not, by default, the person it is about, and the
page says so), and the unit's discipline team leader's opinion (意见) on a warning he
may not close, which the inspector reads in its handling history."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from riskctl.core.audit import AuditRecord
from riskctl.core.errors import Conflict, Forbidden, ValidationFailed
from riskctl.risk import opinions
from riskctl.risk.models import EventStatus, Level, RiskEvent, RiskEventOpinion
from tests.integration.test_monitor_pages import warning
from tests.integration.test_pages import csrf_from, sign_in


def test_the_warning_page_says_the_person_a_red_is_about_was_not_told(client, session, person):
    red = warning(session, person, Level.RED, notify=True)
    session.commit()
    sign_in(client, "jw.hexiaoping")
    html = client.get(f"/monitor/warnings/{red.id}").get_data(as_text=True)
    assert 'data-not-told="handler"' in html
    assert "当事人未通知：按预警策略，红色预警由纪委决定是否告知当事人。" in html
    assert 'data-not-told="inspectors"' not in html  # they were told


def test_the_warning_page_of_a_yellow_says_the_commission_was_not_told(client, session, person):
    yellow = warning(session, person, Level.YELLOW, notify=True)
    session.commit()
    sign_in(client, "jw.hexiaoping")
    html = client.get(f"/monitor/warnings/{yellow.id}").get_data(as_text=True)
    assert "区纪委监察人员未通知：按预警策略，黄色预警不通知区纪委。" in html
    assert "本单位纪检组长未通知：按预警策略，黄色预警不通知纪检组长。" in html
    assert 'data-not-told="handler"' not in html  # the handler was told


def test_the_discipline_leader_gives_an_opinion_on_a_red_the_inspector_reads(
    app, client, session, person
):
    red = warning(session, person, Level.RED, notify=True)
    session.commit()
    sign_in(client, "czj.zhoujie")  # the unit's discipline team leader: cannot close a red
    html = client.get(f"/monitor/warnings/{red.id}").get_data(as_text=True)
    assert "提交意见" in html
    saved = client.post(
        f"/monitor/warnings/{red.id}/opinion",
        data={
            "csrf_token": csrf_from(html),
            "text": "经初步了解，系经办人请假所致，建议谈话提醒。",
        },
    )
    assert saved.status_code == 302
    session.expire_all()
    assert session.get(RiskEvent, red.id).status is EventStatus.OPEN  # not closed
    record = session.scalars(
        sa.select(AuditRecord).where(AuditRecord.action == "risk_event.opinion")
    ).one()
    assert record.target_id == str(red.id) and "谈话提醒" in record.after["text"]
    inspector = app.test_client()
    sign_in(inspector, "jw.hexiaoping")
    page = inspector.get(f"/monitor/warnings/{red.id}").get_data(as_text=True)
    assert "纪检组长意见" in page and "建议谈话提醒" in page and "周洁" in page


def test_opinions_over_the_api(client, session, person, token_for):
    red = warning(session, person, Level.RED)
    session.commit()
    url = f"/api/v1/risk-events/{red.id}/opinions"
    made = client.post(url, json={"text": "建议约谈"}, headers=token_for("czj.zhoujie"))
    assert made.status_code == 201, made.get_json()
    assert made.json["text"] == "建议约谈" and made.json["by"] == "czj.zhoujie"
    listed = client.get(url, headers=token_for("jw.liuhong")).json
    assert [o["text"] for o in listed] == ["建议约谈"]
    assert client.get(url, headers=token_for("czj.wangfang")).status_code == 403  # its subject
    empty = client.post(url, json={"text": "  "}, headers=token_for("czj.zhoujie"))
    assert empty.status_code == 422
    assert empty.json["error"]["details"][0]["path"] == "text"


def test_no_opinion_on_ones_own_warning_on_a_leader_or_on_a_closed_one(session, person: Any):
    leader = person("czj.zhoujie").principal()
    own = warning(session, person, Level.RED, who="czj.zhoujie", subject="本人")
    with pytest.raises(Forbidden):
        opinions.add_opinion(session, leader, own.id, "我的意见")
    closed = warning(session, person, Level.ORANGE, subject="已关闭")
    closed.status = EventStatus.RESOLVED
    session.flush()
    with pytest.raises(Conflict):
        opinions.add_opinion(session, leader, closed.id, "晚了")
    open_ = warning(session, person, Level.RED, subject="空")
    with pytest.raises(ValidationFailed):
        opinions.add_opinion(session, leader, open_.id, " ")
    inspector = person("jw.hexiaoping").principal()
    with pytest.raises(Forbidden):
        opinions.add_opinion(session, inspector, open_.id, "监察员不写意见")
    assert session.scalar(sa.select(sa.func.count()).select_from(RiskEventOpinion)) == 0
