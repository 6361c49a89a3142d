"""Level labels (the policy's labels section): grading without orange, the words of the
texts, and the defaults that keep today's words."""

from __future__ import annotations

from riskctl.alerts.models import Kind
from riskctl.alerts.outbox import message_for
from riskctl.risk.labels import LevelLabels
from riskctl.risk.models import EventStatus, Level, RiskEvent
from riskctl.risk.policy import Policy, default_body, merged

CARDS = {"red": {"zh": "红牌督办", "en": "Red card"}, "orange": {"used": False},
         "yellow": {"zh": "黄牌警告", "en": "Yellow card"}}  # fmt: skip


def _event(level: Level) -> RiskEvent:
    return RiskEvent(id=7, rule="step_overdue", level=level, status=EventStatus.OPEN)


def test_without_orange_its_band_is_yellow_and_red_stays_red() -> None:
    body = merged(default_body(), {"labels": CARDS}, set())
    two, three = Policy(2, body), Policy(1, default_body())
    assert [three.level(s) for s in (85, 65, 25, 10)] == [
        Level.RED, Level.ORANGE, Level.YELLOW, None,
    ]  # fmt: skip
    assert [two.level(s) for s in (85, 65, 50, 25, 10)] == [
        Level.RED, Level.YELLOW, Level.YELLOW, Level.YELLOW, None,
    ]  # fmt: skip
    assert two.labels.levels == (Level.RED, Level.YELLOW)
    # the orange words are kept for the day orange is turned on again
    assert body["labels"]["orange"] == {"zh": "橙色预警", "en": "Orange warning", "used": False}


def test_the_default_labels_keep_todays_words() -> None:
    labels = LevelLabels.of(default_body())
    assert LevelLabels.of({}) == labels  # a policy stored before labels
    assert [labels.name(lv) for lv in ("red", "orange", "yellow")] == [
        "红色预警", "橙色预警", "黄色预警",
    ]  # fmt: skip
    assert [labels.short(lv) for lv in ("red", "orange", "yellow")] == ["红色", "橙色", "黄色"]
    assert labels.short("red", "en") == "Red" and labels.abbreviation("orange") == "橙"
    raised = message_for(_event(Level.ORANGE), "区财政局", Kind.RAISED, "upgrade", None)
    assert raised.sms == "【廉政风险】升级为橙色预警7：区财政局「单环节超时」，请登录平台处理。"
    escalated = message_for(_event(Level.RED), "区财政局", Kind.RAISED, "escalated", None)
    assert escalated.title == "预警 7 逾期未说明，升为红色"
    assert "已升为红色预警" in escalated.body


def test_configured_labels_name_the_level_in_every_text() -> None:
    labels = LevelLabels.of(merged(default_body(), {"labels": CARDS}, set()))
    assert (labels.short("yellow"), labels.name("yellow", "en")) == ("黄牌警告", "Yellow card")
    event = _event(Level.YELLOW)
    raised = message_for(event, "区财政局", Kind.RAISED, "", None, labels=labels)
    assert raised.sms == "【廉政风险】黄牌警告7：区财政局「单环节超时」，请登录平台处理。"
    assert raised.title == "黄牌警告 7：区财政局「单环节超时」"
    repeat = message_for(event, "区财政局", Kind.REPEAT, "", "差旅报销", labels=labels)
    assert repeat.body == "区财政局「单环节超时」的黄牌警告尚未处理。（事项：差旅报销）"
    red = message_for(_event(Level.RED), "区财政局", Kind.RAISED, "escalated", None, labels=labels)
    assert red.sms.endswith("已升为红牌督办，请登录平台处理。")
    assert labels.abbreviation("red") == "红"  # 红牌督办 and 黄牌警告 start differently
