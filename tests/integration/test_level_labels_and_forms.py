"""Issue 17: level labels from the policy (黄牌警告 / 红牌督办, no orange) and the
statistics of dispositions by form (四种形态) and by disposition."""

from __future__ import annotations

import copy
import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from riskctl.alerts.models import Channel, Notification
from riskctl.risk import services as risk
from riskctl.risk.models import Level, RiskEvent, RiskPolicy
from riskctl.risk.policy import default_body
from tests.integration.test_admin_pages import post
from tests.integration.test_pages import sign_in
from tests.integration.test_risk import MID, START, _about, _events, _expense, _scan

TWO_LEVELS = {
    "labels": {
        "red": {"zh": "红牌督办", "en": "Red card"},
        "orange": {"used": False},
        "yellow": {"zh": "黄牌警告", "en": "Yellow card"},
    },
    # Every score from 2 to 99 is in the orange band, whatever the overdue rule scores.
    "thresholds": {"red": 100, "orange": 2, "yellow": 1},
}


def _two_levels(client: Any, h: dict[str, str]) -> dict[str, Any]:
    routing = copy.deepcopy(default_body()["routing"])
    # Yellow by SMS to the unit's discipline leader, so that the text can be read.
    routing["yellow"] = {"channels": ["in_app", "sms"], "notify": ["handler", "discipline_leader"]}
    answer = client.put("/api/v1/policy", headers=h, json={**TWO_LEVELS, "routing": routing})
    assert answer.status_code == 200, answer.json
    return answer.json  # type: ignore[no-any-return]


def test_without_orange_a_score_in_the_orange_band_is_a_yellow_card_everywhere(
    client, session, person, token_for, at
):
    at(START)
    item_id = _expense(session, person)
    policy = _two_levels(client, token_for("admin"))
    assert policy["labels"]["orange"] == {"zh": "橙色预警", "en": "Orange warning", "used": False}
    assert policy["labels"]["red"] == {"zh": "红牌督办", "en": "Red card"}
    at(MID)
    _scan(session)
    (event,) = _events(session, item_id=item_id, rule="step_overdue")
    assert 2 <= event.score < 100
    # With orange on, the same policy grades the score orange: it is the orange band.
    with_orange = risk.draft_policy(session, {"labels": {"orange": {"used": True}}})
    assert with_orange.level(event.score) is Level.ORANGE
    assert event.level is Level.YELLOW  # stored as yellow, the API's value

    sms = session.scalars(
        sa.select(Notification).where(
            Notification.event_id == event.id, Notification.channel == Channel.SMS
        )
    ).all()
    assert sms and all(n.body.startswith(f"【廉政风险】黄牌警告{event.id}：") for n in sms)
    assert all("预警" not in n.body and len(n.body) <= 70 for n in sms)
    in_app = session.scalars(
        sa.select(Notification).where(
            Notification.event_id == event.id, Notification.channel == Channel.IN_APP
        )
    ).all()
    assert in_app and all(n.title.startswith("黄牌警告") for n in in_app)

    api = client.get(f"/api/v1/risk-events/{event.id}", headers=token_for("jw.liuhong")).json
    assert (api["level"], api["level_label"], api["level_label_en"]) == (
        "yellow", "黄牌警告", "Yellow card",
    )  # fmt: skip

    screen = client.get("/api/v1/screen/snapshot", headers=token_for("jw.liuhong")).json
    assert screen["orange_used"] is False and screen["level_labels"]["red"]["zh"] == "红牌督办"
    mine = client.get("/api/v1/notifications", headers=token_for("czj.zhoujie")).json["items"]
    assert [n["level_label"] for n in mine if n["event_id"] == event.id] == ["黄牌警告"]

    sign_in(client, "jw.liuhong")
    page = client.get(f"/monitor/warnings/{event.id}").text
    assert 'data-value="yellow">黄牌警告</span>' in page and "黄色" not in page
    listing = client.get("/monitor/warnings?period=year").text
    assert "黄牌警告" in listing
    assert "条待处理黄牌警告" in client.get("/").text  # the home page's tile
    export = client.get("/monitor/warnings/export.csv?period=year").text
    assert any(row[1] == "黄牌警告" for row in csv.reader(io.StringIO(export.lstrip("\ufeff"))))
    with client.session_transaction() as s:
        s["lang"] = "en"
    english = client.get(f"/monitor/warnings/{event.id}").text
    assert 'data-value="yellow">Yellow card</span>' in english

    # Nothing waits to escalate: the explain-or-red wait is orange's.
    at(MID + timedelta(days=10))
    assert risk.escalate_now(session) == 0
    session.refresh(event)
    assert event.level is Level.YELLOW


def test_labels_that_do_not_hold_are_refused_with_their_paths(client, session, token_for):
    h = token_for("admin")
    before = client.get("/api/v1/policy", headers=h).json
    english = {**h, "Accept-Language": "en"}
    bad = client.put("/api/v1/policy", headers=english, json={"labels": {
        "red": {"zh": "", "used": False},
        "orange": {"used": "no"},
        "yellow": {"en": "Red warning"},
        "purple": {"zh": "紫色预警"},
    }})  # fmt: skip
    assert bad.status_code == 422
    assert {d["path"]: d["message"] for d in bad.json["error"]["details"]} == {
        "labels.red.zh": "must not be empty",
        "labels.red.used": "only orange can be turned off",
        "labels.orange.used": "must be true or false",
        "labels.yellow.en": "the same as Red's label",
        "labels.purple": "unknown level; expected red, orange or yellow",
    }
    long = {"red": {"zh": "红" * 11}, "yellow": {"en": " x"}}
    answer = client.put("/api/v1/policy", headers=h, json={"labels": long})  # in Chinese
    assert {d["path"]: d["message"] for d in answer.json["error"]["details"]} == {
        "labels.red.zh": "最多 10 个字符",
        "labels.yellow.en": "首尾不能有空格，不能换行",
    }
    assert client.get("/api/v1/policy", headers=h).json["version"] == before["version"]


def test_a_policy_stored_before_labels_keeps_working_with_the_default_words(
    client, session, person, token_for, at
):
    old = default_body()
    del old["labels"]
    session.add(RiskPolicy(version=1, body=old, comment="旧版本"))
    session.flush()
    h = token_for("admin")
    shown = client.get("/api/v1/policy", headers=h).json
    assert shown["version"] == 1 and shown["labels"]["red"] == {"zh": "红色预警",
                                                                "en": "Red warning"}  # fmt: skip
    at(START)
    item_id = _expense(session, person)
    at(MID)
    _scan(session)
    (event,) = _events(session, item_id=item_id, rule="step_overdue")
    api = client.get(f"/api/v1/risk-events/{event.id}", headers=token_for("jw.liuhong")).json
    assert api["level_label"] == {"yellow": "黄色预警", "orange": "橙色预警"}[api["level"]]
    sign_in(client, "jw.liuhong")
    page = client.get(f"/monitor/warnings/{event.id}").text
    assert {"yellow": "黄色", "orange": "橙色"}[api["level"]] in page  # today's badge
    changed = client.put("/api/v1/policy", headers=h, json={"labels": {"orange": {"used": False}}})
    assert changed.status_code == 200, changed.json
    assert changed.json["labels"]["red"]["zh"] == "红色预警"
    assert changed.json["labels"]["orange"]["used"] is False


NOVEMBER = "from=2026-11-01T00:00:00%2B08:00&to=2026-12-01T00:00:00%2B08:00"
IN_NOVEMBER = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _resolved(client: Any, token: dict[str, str], event: RiskEvent, disposition: str) -> None:
    answer = client.post(f"/api/v1/risk-events/{event.id}/resolve",
                         json={"disposition": disposition}, headers=token)  # fmt: skip
    assert answer.status_code == 200, answer.json


def _dispositions(session: Any, person: Any, client: Any, token_for: Any, at: Any) -> None:
    """Five resolutions and one dismissal in November in czj and nmj, one in October."""
    liuhong, sunwei = token_for("jw.liuhong"), token_for("jw.sunwei")
    at(datetime(2026, 10, 20, 2, 0, tzinfo=UTC))
    _resolved(client, liuhong, _about(session, person, "czj.liqiang", Level.RED), "admonishment")
    at(IN_NOVEMBER)
    _resolved(client, liuhong, _about(session, person, "czj.wangfang", Level.RED), "reminder_talk")
    _resolved(client, liuhong, _about(session, person, "czj.chenli"), "no_problem")
    _resolved(client, liuhong, _about(session, person, "czj.zhangmin"), "rectification")
    dismissed = _about(session, person, "czj.liujing", Level.YELLOW)
    answer = client.post(f"/api/v1/risk-events/{dismissed.id}/dismiss", json={"reason": "误报"},
                         headers=liuhong)  # fmt: skip
    assert answer.status_code == 200, answer.json
    _resolved(client, sunwei, _about(session, person, "nmj.gaopeng"), "criticism")
    _resolved(client, sunwei, _about(session, person, "nmj.luoxia", Level.RED), "case_clue")
    _about(session, person, "nmj.liangyu")  # still open: not counted


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {r["key"]: r["count"] for r in rows}


def test_statistics_count_resolutions_by_form_and_disposition_within_period_and_scope(
    client, session, person, token_for, at
):
    _dispositions(session, person, client, token_for, at)
    everything = client.get(f"/api/v1/stats/dispositions?{NOVEMBER}",
                            headers=token_for("admin")).json  # fmt: skip
    assert (everything["total"], everything["dismissed"]) == (5, 1)
    assert _counts(everything["by_form"]) == {"first": 2, "no_problem": 1, "none": 2}
    assert [r["label"] for r in everything["by_form"]] == ["第一种形态", "经核实无问题",
                                                           "未计入形态"]  # fmt: skip
    by_disposition = _counts(everything["by_disposition"])
    assert by_disposition == {
        "no_problem": 1, "criticism": 1, "reminder_talk": 1, "letter_inquiry": 0,
        "admonishment": 0,  # resolved in October
        "self_examination": 0, "circulated_criticism": 0, "rectification": 1, "case_clue": 1,
    }  # fmt: skip
    first = next(r for r in everything["by_form"] if r["key"] == "first")
    assert (first["red"], first["orange"], first["yellow"]) == (1, 1, 0)
    forms = {r["key"]: r["form"] for r in everything["by_disposition"]}
    assert (forms["reminder_talk"], forms["no_problem"], forms["case_clue"]) == (
        "first", "no_problem", "none",
    )  # fmt: skip
    october = client.get(
        "/api/v1/stats/dispositions?from=2026-10-01T00:00:00%2B08:00"
        "&to=2026-11-01T00:00:00%2B08:00", headers=token_for("admin"),
    ).json  # fmt: skip
    assert _counts(october["by_disposition"])["admonishment"] == 1 and october["total"] == 1

    # 刘红 oversees czj and wjj: nmj's resolutions are not in her figures.
    mine = client.get(f"/api/v1/stats/dispositions?{NOVEMBER}",
                      headers=token_for("jw.liuhong")).json  # fmt: skip
    assert (mine["total"], mine["dismissed"]) == (3, 1)
    assert _counts(mine["by_form"]) == {"first": 1, "no_problem": 1, "none": 1}
    assert _counts(mine["by_disposition"])["criticism"] == 0
    assert _counts(mine["by_disposition"])["case_clue"] == 0
    outside = client.get(f"/api/v1/stats/dispositions?{NOVEMBER}&unit=nmj",
                         headers=token_for("jw.liuhong"))  # fmt: skip
    assert outside.status_code == 403
    theirs = client.get(f"/api/v1/stats/dispositions?{NOVEMBER}&unit=nmj",
                        headers=token_for("jw.sunwei")).json  # fmt: skip
    assert _counts(theirs["by_form"]) == {"first": 1, "no_problem": 0, "none": 1}
    leader = client.get(f"/api/v1/stats/dispositions?{NOVEMBER}",
                        headers=token_for("czj.zhoujie")).json  # fmt: skip
    assert leader["total"] == 3  # the unit's own
    staff = client.get(f"/api/v1/stats/dispositions?{NOVEMBER}", headers=token_for("czj.wangfang"))
    assert staff.status_code == 403


def test_the_statistics_page_and_its_export_show_the_forms_in_scope(
    client, session, person, token_for, at
):
    _dispositions(session, person, client, token_for, at)
    sign_in(client, "jw.liuhong")
    window = "period=custom&from=2026-11-01&to=2026-11-30"
    page = client.get(f"/monitor/statistics?{window}").text
    assert "四种形态" in page and 'id="chart-forms"' in page and "js/dispositions.js" in page
    assert '<tr data-key="first"><th>第一种形态</th><td>1</td>' in page
    assert '<tr data-key="none"><th>未计入形态</th><td>1</td>' in page
    assert "已处置预警 3 条" in page and "撤销 1 条" in page
    narrow = client.get("/monitor/statistics?period=custom&from=2026-11-21&to=2026-11-30").text
    assert 'id="form-table"' not in narrow  # nothing resolved then
    export = client.get(f"/monitor/statistics/dispositions.csv?{window}")
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert rows[1][:3] == ["第一种形态", "", "1"]
    assert ["第一种形态", "谈话提醒", "1"] in [r[:3] for r in rows]
    assert not any(r[1] == "批评教育" and r[2] != "0" for r in rows[1:])  # nmj's, not hers


def test_the_policy_page_names_the_levels_and_shows_a_bad_label_at_its_field(client, session):
    sign_in(client, "admin")
    page = client.get("/admin/policy").text
    assert 'name="label-red-zh" value="红色预警"' in page and 'name="orange-used"' in page
    form = {f"factor-{k}": v for k, v in
            {"1": "0.6", "2": "0.8", "3": "1.0", "4": "1.25", "5": "1.5"}.items()}  # fmt: skip
    form.update({"threshold-red": "80", "threshold-orange": "50", "threshold-yellow": "20"})
    for code in re.findall(r'name="enabled-([a-z_]+)" [^>]*checked', page):
        form[f"enabled-{code}"] = "on"
    form.update({"labels-shown": "1", "label-red-zh": "红牌督办", "label-red-en": "Red card",
                 "label-orange-zh": "橙色预警", "label-orange-en": "Orange warning",
                 "label-yellow-zh": "黄牌警告", "label-yellow-en": "Yellow card"})  # fmt: skip
    bad = post(client, "/admin/policy", {**form, "label-red-zh": " ", "action": "save"})
    assert bad.status_code == 422 and 'id="error-labels-red-zh"' in bad.text
    saved = post(client, "/admin/policy", {**form, "action": "save", "comment": "两级"})
    assert saved.status_code == 302
    labels = risk.current_policy(session).labels
    assert (labels.orange_used, labels.name("red"), labels.name("yellow", "en")) == (
        False, "红牌督办", "Yellow card",
    )  # fmt: skip
    again = client.get("/admin/policy").text
    assert 'data-value="red">红牌督办</span>' in again
    assert re.search(r'name="orange-used" aria-label="[^"]*">', again)  # unchecked
