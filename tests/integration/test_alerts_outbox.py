"""Routing a risk event change into notifications: who is told, over which channel, once;
silences, inhibition, resolved notices, reminders, escalation and the digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from riskctl.alerts import dispatch
from riskctl.alerts.models import Channel, Kind, Notification, Silence, Status
from riskctl.alerts.outbox import Notifier
from riskctl.alerts.sms import ConsoleBackend
from riskctl.core.access import SYSTEM_ADMIN
from riskctl.org.models import Unit
from riskctl.risk import services as risk
from riskctl.risk.models import EventStatus, Level, RiskEvent
from riskctl.workflow import services as workflow

START = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Beijing
MID = datetime(2026, 11, 11, 2, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Beijing, outside quiet hours


def _event(session: Any, person: Any, level: Level, *, who: str = "czj.wangfang",
           item_id: int | None = None, rule: str = "step_overdue") -> RiskEvent:  # fmt: skip
    unit_id = session.scalar(sa.select(Unit.id).where(Unit.code == "czj"))
    event = RiskEvent(
        identity=f"test:{level.value}:{who}:{item_id}:{rule}", rule=rule, unit_id=unit_id,
        item_id=item_id, node="apply", person_id=person(who).id, post="handler", severity=50,
        score=60.0, level=level, factors={}, evidence={}, status=EventStatus.OPEN,
        policy_version=0, level_since=LATER, created_at=LATER, updated_at=LATER,
    )  # fmt: skip
    session.add(event)
    session.flush()
    return event


def _expense(session: Any, person: Any) -> int:
    return workflow.start_item(
        session, person("czj.wangfang").principal(), "expense_reimbursement", "差旅报销",
        {"purpose": "差旅", "budget_line": "公用经费", "amount": "800.00"},
    ).item_id  # fmt: skip


def _told(session: Any, event: RiskEvent, kind: Kind = Kind.RAISED) -> dict[str, set[str]]:
    rows = session.execute(
        sa.select(Notification.channel, Notification.recipient_id, Notification.status).where(
            Notification.event_id == event.id, Notification.kind == kind
        )
    ).all()
    from riskctl.org.models import Person

    names = dict(session.execute(sa.select(Person.id, Person.username)).all())
    told: dict[str, set[str]] = {}
    for channel, recipient, status in rows:
        told.setdefault(channel.value, set()).add(f"{names.get(recipient, '-')}:{status.value}")
    return told


def _notify(session: Any, event: RiskEvent, at: datetime = LATER) -> int:
    notifier = Notifier(session, risk.current_policy(session), at)
    notifier.raised(event)
    return notifier.flush()


def test_each_level_reaches_the_people_and_channels_its_route_names(session, person, at):
    at(LATER)
    yellow = _event(session, person, Level.YELLOW, who="czj.wangfang")
    orange = _event(session, person, Level.ORANGE, who="czj.liqiang")
    red = _event(session, person, Level.RED, who="czj.zhangmin")
    for event in (yellow, orange, red):
        _notify(session, event)
    assert _told(session, yellow) == {"in_app": {"czj.wangfang:sent"}}
    assert _told(session, orange) == {
        "in_app": {"czj.liqiang:sent", "czj.zhoujie:sent"},
        "sms": {"czj.liqiang:pending", "czj.zhoujie:pending"},
    }
    # red: the unit's leader, the commission's inspectors whose scope holds 区财政局 and
    # the screen; not the person it is about (the commission decides whether to tell them)
    everyone = ("czj.zhoujie", "jw.hexiaoping", "jw.liuhong")
    assert _told(session, red) == {
        "in_app": {f"{p}:sent" for p in everyone},
        "sms": {f"{p}:pending" for p in everyone},
        "screen": {"-:sent"},
    }
    sms = session.scalars(
        sa.select(Notification).where(
            Notification.event_id == red.id, Notification.channel == Channel.SMS
        )
    ).all()
    for row in sms:
        # short, Chinese, and nothing the recipient may not see: no name, no amount
        assert row.body.startswith("【廉政风险】红色预警") and len(row.body) <= 70
        assert "张敏" not in row.body and row.phone and row.phone.startswith("+86")


def test_a_red_warning_does_not_tell_the_person_it_is_about_by_default(session, person, at):
    at(LATER)
    orange = _event(session, person, Level.ORANGE, who="czj.liqiang")
    red = _event(session, person, Level.RED, who="czj.wangfang")
    for event in (orange, red):
        _notify(session, event)
    assert "czj.liqiang:pending" in _told(session, orange)["sms"]  # who must explain it
    told = _told(session, red)
    assert not any(s.startswith("czj.wangfang:") for c in told.values() for s in c)
    notifier = Notifier(session, risk.current_policy(session), LATER)
    assert notifier.not_told(red) == [("handler", "policy")]
    assert notifier.not_told(orange) == [("inspectors", "policy")]


def test_a_stored_policy_that_tells_the_handler_of_a_red_keeps_doing_so(session, person, at):
    at(LATER)
    admin = person("admin").principal()
    routing = risk.current_policy(session).body["routing"]
    red_route = {**routing["red"], "notify": ["handler", "discipline_leader", "inspectors"]}
    risk.save_policy(session, admin, {"routing": {**routing, "red": red_route}}, "告知当事人")
    red = _event(session, person, Level.RED, who="czj.wangfang")
    _notify(session, red)
    assert "czj.wangfang:pending" in _told(session, red)["sms"]
    assert Notifier(session, risk.current_policy(session), LATER).not_told(red) == []


def test_a_warning_about_a_discipline_leader_goes_to_the_commission(session, person, at):
    at(LATER)
    orange = _event(session, person, Level.ORANGE, who="czj.zhoujie")
    _notify(session, orange)
    told = _told(session, orange)
    assert "czj.zhoujie:pending" in told["sms"]  # the handler: it is about their own work
    assert {"jw.hexiaoping:pending", "jw.liuhong:pending"} <= told["sms"]
    assert len(told["sms"]) == 3  # and no other leader of the unit


def test_notifications_are_written_once_however_often_a_change_is_reported(session, person, at):
    at(LATER)
    red = _event(session, person, Level.RED)
    first = _notify(session, red)
    assert first == 7  # 3 in-app, 3 SMS, 1 screen
    assert _notify(session, red) == 0
    assert (
        session.scalar(sa.select(sa.func.count()).where(Notification.event_id == red.id)) == first
    )


def test_scans_notify_new_warnings_and_upgrades_but_never_twice(session, person, at):
    at(START)
    item_id = _expense(session, person)
    at(MID)
    risk.scan_now(session, SYSTEM_ADMIN)
    (event,) = session.scalars(
        sa.select(RiskEvent).where(RiskEvent.item_id == item_id, RiskEvent.rule == "step_overdue")
    ).all()
    assert event.level is not Level.RED
    at(LATER)  # now late enough to be red: an upgrade notifies at once
    risk.scan_now(session, SYSTEM_ADMIN)
    session.refresh(event)
    assert event.level is Level.RED
    rows = session.scalars(sa.select(Notification).where(Notification.event_id == event.id)).all()
    upgrade = [n for n in rows if n.level == "red" and n.channel is Channel.IN_APP]
    # the handler's post has no holder on the old day in the demo; the leader and the
    # inspectors are told, and the screen
    assert {n.recipient_id for n in upgrade} >= {person("czj.zhoujie").id, person("jw.liuhong").id}
    assert all(n.title.startswith("升级为红色预警") for n in upgrade)
    assert any(n.channel is Channel.SCREEN for n in rows)
    assert all(n.dedupe_key.startswith(f"ev{event.id}:") for n in rows)
    risk.scan_now(session, SYSTEM_ADMIN, full=True)
    risk.scan_now(session, SYSTEM_ADMIN)
    assert session.scalar(
        sa.select(sa.func.count()).where(Notification.event_id == event.id)
    ) == len(rows)


def test_a_silence_mutes_sms_and_screen_but_keeps_the_in_app_record(session, person, at):
    at(LATER)
    hour = timedelta(hours=1)
    session.add(
        Silence(matcher={"unit": "czj", "rule": "step_overdue"}, starts_at=LATER - hour,
                ends_at=LATER + hour, reason="年底集中报销，已知晓")
    )  # fmt: skip
    red = _event(session, person, Level.RED)
    other_rule = _event(session, person, Level.RED, who="czj.liqiang", rule="item_overdue")
    _notify(session, red)
    _notify(session, other_rule)
    told = _told(session, red)
    assert all(s.endswith(":silenced") for s in told["sms"] | told["screen"])
    assert all(s.endswith(":sent") for s in told["in_app"])
    assert all(s.endswith(":pending") for s in _told(session, other_rule)["sms"])


def test_a_higher_warning_on_the_same_item_inhibits_lower_pages(session, person, at):
    at(LATER)
    item_id = _expense(session, person)
    red = _event(session, person, Level.RED, item_id=item_id)
    orange = _event(session, person, Level.ORANGE, who="czj.liqiang", item_id=item_id,
                    rule="item_overdue")  # fmt: skip
    _notify(session, red)
    _notify(session, orange)
    assert all(s.endswith(":pending") for s in _told(session, red)["sms"])
    assert all(s.endswith(":inhibited") for s in _told(session, orange)["sms"])
    assert all(s.endswith(":sent") for s in _told(session, orange)["in_app"])


def test_closing_a_warning_tells_whoever_was_told(session, person, at):
    at(LATER)
    red = _event(session, person, Level.RED)
    _notify(session, red)
    policy = risk.current_policy(session)
    result = dispatch.dispatch_sms(session, ConsoleBackend(), policy, now=lambda: LATER)
    assert result.sent == 3
    risk.resolve(session, person("jw.hexiaoping").principal(), red.id, "no_problem", "已核实")
    told = _told(session, red, Kind.RESOLVED)
    assert told["in_app"] == {f"{p}:sent" for p in ("czj.zhoujie", "jw.hexiaoping", "jw.liuhong")}
    assert len(told["sms"]) == 3 and told["screen"] == {"-:sent"}
    body = session.scalar(
        sa.select(Notification.body).where(
            Notification.event_id == red.id, Notification.kind == Kind.RESOLVED,
            Notification.channel == Channel.SMS,
        ).limit(1)
    )  # fmt: skip
    assert body == f"【廉政风险】预警{red.id}（区财政局「单环节超时」）已处置。"


def test_reminders_repeat_while_unacknowledged_and_pause_while_acknowledged(session, person, at):
    at(LATER)
    red = _event(session, person, Level.RED)
    _notify(session, red)
    policy = risk.current_policy(session)  # red: every 4 hours; acknowledgement lasts 72
    assert dispatch.tick(session, policy, at=LATER + timedelta(hours=3))["reminded"] == 0
    assert dispatch.tick(session, policy, at=LATER + timedelta(hours=4, minutes=1))["reminded"] == 1
    dispatch.tick(session, policy, at=LATER + timedelta(hours=5))  # same round: nothing new
    assert len(_told(session, red, Kind.REPEAT)["sms"]) == 3
    red.status, red.acknowledged_at = EventStatus.ACKNOWLEDGED, LATER + timedelta(hours=5)
    assert dispatch.tick(session, policy, at=LATER + timedelta(hours=30))["reminded"] == 0
    # the acknowledgement expires: the reminders resume
    late = dispatch.tick(session, policy, at=LATER + timedelta(hours=5 + 72, minutes=1))
    assert late["reminded"] == 1
    rounds = set(session.scalars(sa.select(Notification.dedupe_key).where(
        Notification.event_id == red.id, Notification.kind == Kind.REPEAT)))  # fmt: skip
    assert {k.split(":")[2] for k in rounds} == {"repeat1", "repeat19"}  # 77 h: the 19th round


def test_an_unacknowledged_orange_escalates_to_the_commission(session, person, at):
    at(LATER)
    orange = _event(session, person, Level.ORANGE)
    _notify(session, orange)
    policy = risk.current_policy(session)  # orange: escalate after 8 hours
    assert dispatch.tick(session, policy, at=LATER + timedelta(hours=7))["escalated"] == 0
    assert dispatch.tick(session, policy, at=LATER + timedelta(hours=8))["escalated"] == 1
    told = _told(session, orange, Kind.ESCALATED)
    # only those red would tell and orange did not: the inspectors
    assert told["sms"] == {"jw.hexiaoping:pending", "jw.liuhong:pending"}
    body = session.scalar(sa.select(Notification.body).where(
        Notification.event_id == orange.id, Notification.kind == Kind.ESCALATED,
        Notification.channel == Channel.SMS).limit(1))  # fmt: skip
    assert "8小时未确认" in body


def test_quiet_hours_hold_orange_sms_for_a_morning_digest_but_never_red(session, person, at):
    night = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 23:00 in Beijing
    at(night)
    orange = _event(session, person, Level.ORANGE)
    red = _event(session, person, Level.RED, who="czj.liqiang")
    for event in (orange, red):
        _notify(session, event, night)
    policy = risk.current_policy(session)
    result = dispatch.dispatch_sms(session, ConsoleBackend(), policy, now=lambda: night)
    assert result.held == 2 and result.sent == 3  # red: not to the person it is about
    assert all(s.endswith(":held") for s in _told(session, orange)["sms"])
    assert dispatch.tick(session, policy, at=night + timedelta(hours=2))["digests"] == 0
    morning = datetime(2026, 11, 24, 23, 40, tzinfo=UTC)  # 07:40
    assert dispatch.tick(session, policy, at=morning)["digests"] == 2
    digests = session.scalars(sa.select(Notification).where(Notification.kind == Kind.DIGEST)).all()
    assert {d.body for d in digests} == {"【廉政风险】夜间共有1条（橙1）预警，请登录平台查看。"}
    assert all(s.endswith(":digested") for s in _told(session, orange)["sms"])
    sent = dispatch.dispatch_sms(session, ConsoleBackend(), policy, now=lambda: morning)
    assert sent.sent == 2


def test_an_sms_cap_turns_the_overflow_into_one_summary(session, person, at):
    at(LATER)
    policy = risk.current_policy(session)
    body = {**policy.body, "alerts": {**policy.alerts,
            "sms_caps": {"per_recipient_per_hour": 2, "global_per_hour": 1000}}}  # fmt: skip
    capped = type(policy)(policy.version, body, policy.unit_codes)
    rules = ("step_overdue", "item_overdue", "late_contract", "tender_period")
    events = [_event(session, person, Level.ORANGE, rule=r) for r in rules]
    notifier = Notifier(session, capped, LATER)
    for event in events:
        notifier.raised(event)
    notifier.flush()
    result = dispatch.dispatch_sms(session, ConsoleBackend(), capped, now=lambda: LATER)
    assert result.sent == 4 and result.capped == 4  # two each for the handler and the leader
    summaries = session.scalars(
        sa.select(Notification).where(Notification.kind == Kind.SUMMARY)
    ).all()
    assert len(summaries) == 2 and all(s.status is Status.PENDING for s in summaries)
    next_hour = LATER + timedelta(hours=1)
    later = dispatch.dispatch_sms(session, ConsoleBackend(), capped, now=lambda: next_hour)
    assert later.sent == 2
    for summary in summaries:
        session.refresh(summary)
        assert (
            summary.body == "【廉政风险】近1小时另有2条（橙2）预警短信未逐条发送，请登录平台查看。"
        )
    assert (
        session.scalar(sa.select(sa.func.count()).where(Notification.status == Status.SUMMARISED))
        == 4
    )


def test_an_item_entering_a_watched_risk_node_tells_the_discipline_leader(session, person, at):
    from riskctl.risk.models import RiskValue

    at(LATER)
    unit_id = session.scalar(sa.select(Unit.id).where(Unit.code == "czj"))
    # 区财政局 grades its reimbursement application a risk node (5): it is watched
    session.add(RiskValue(unit_id=unit_id, process="expense_reimbursement", node="apply", risk=5))
    session.flush()
    risk.scan_now(session, SYSTEM_ADMIN)  # what was opened before is not news now
    before = session.scalar(sa.select(sa.func.count()).where(Notification.kind == Kind.WATCH))
    at(LATER + timedelta(minutes=5))
    item_id = _expense(session, person)
    at(LATER + timedelta(minutes=6))
    assert risk.scan_now(session, SYSTEM_ADMIN).watched == 1
    rows = session.scalars(
        sa.select(Notification).where(Notification.kind == Kind.WATCH,
                                      Notification.item_id == item_id)
    ).all()  # fmt: skip
    assert [(n.channel, n.recipient_id) for n in rows] == [
        (Channel.IN_APP, person("czj.zhoujie").id)
    ]
    assert rows[0].title == "风险节点提醒：区财政局「支出报销·报销申请」"
    at(LATER + timedelta(minutes=7))
    risk.scan_now(session, SYSTEM_ADMIN, full=True)  # seen again: not told again
    after = session.scalar(sa.select(sa.func.count()).where(Notification.kind == Kind.WATCH))
    assert after == before + 1
