"""The risk engine end to end: scans raise, re-score and close events; the lifecycle and
its permissions; escalation and freezing; the policy and its preview; statistics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from riskctl.alerts.models import Notification
from riskctl.core.audit import AuditRecord
from riskctl.org.models import PersonRole
from riskctl.risk import services as risk
from riskctl.risk.models import EventStatus, Level, RiskEvent, RiskScan
from riskctl.workflow import services as workflow
from riskctl.workflow.models import Item, ItemStatus
from tests.conftest import count
from tests.integration.test_pages import sign_in

START = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Beijing
MID = datetime(2026, 11, 11, 2, 0, tzinfo=UTC)  # the 申请 task two working days late
LATER = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # three weeks on


def _expense(session: Any, person: Any, amount: str = "800.00") -> int:
    outcome = workflow.start_item(
        session, person("czj.wangfang").principal(), "expense_reimbursement", "差旅报销",
        {"purpose": "差旅", "budget_line": "公用经费", "amount": amount},
    )  # fmt: skip
    return outcome.item_id


def _audits(session: Any, action: str) -> int:
    stmt = sa.select(sa.func.count()).select_from(AuditRecord).where(AuditRecord.action == action)
    return int(session.scalar(stmt))


def _events(session: Any, **where: Any) -> list[RiskEvent]:
    stmt = sa.select(RiskEvent).order_by(RiskEvent.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(RiskEvent, key) == value)
    return list(session.scalars(stmt))


def _scan(session: Any, **kw: Any) -> Any:
    from riskctl.core.access import SYSTEM_ADMIN

    return risk.scan_now(session, SYSTEM_ADMIN, **kw)


def test_an_overdue_task_raises_one_event_that_closes_when_the_task_is_done(session, person, at):
    at(START)
    item_id = _expense(session, person)
    at(MID)
    first = _scan(session)
    assert first.mode == "full"
    (event,) = _events(session, item_id=item_id, rule="step_overdue")
    assert event.node == "apply" and event.status is EventStatus.OPEN
    # the score is the product of its factors, and its level follows the thresholds
    f = event.factors
    product = f["severity"] * f["process"]["factor"] * f["node"]["factor"]
    product *= f["post"]["factor"] * f["person"]["factor"]
    assert event.score == round(min(100, product), 2)
    assert event.level is risk.current_policy(session).level(event.score)
    assert event.evidence["working_days_late"] == 2 and event.level is not Level.RED

    again = _scan(session)
    assert again.mode == "incremental" and again.raised == 0
    assert _scan(session, full=True).raised == 0
    assert len(_events(session, item_id=item_id, rule="step_overdue")) == 1

    at(LATER)  # the demo's post assignments start on the day the demo was loaded
    task = workflow.item_view(session, person("czj.wangfang").principal(), item_id)["tasks"][0]
    workflow.complete_task(session, person("czj.wangfang").principal(), task["id"])
    closed = _scan(session)
    assert closed.closed >= 1
    session.refresh(event)
    assert event.status is EventStatus.AUTO_CLOSED and event.closed_at is not None
    assert _audits(session, "risk_event.auto_close") >= 1


def test_a_red_whose_cause_is_gone_waits_for_a_disposition(session, person, at):
    at(START)
    item_id = _expense(session, person)
    at(LATER)
    _scan(session)
    (event,) = _events(session, item_id=item_id, rule="step_overdue")
    assert event.level is Level.RED and event.severity == 100
    task = workflow.item_view(session, person("czj.wangfang").principal(), item_id)["tasks"][0]
    workflow.complete_task(session, person("czj.wangfang").principal(), task["id"])
    _scan(session)
    session.refresh(event)
    assert event.status is EventStatus.OPEN and event.cause_cleared_at is not None


def test_the_item_view_carries_its_risk_events(client, session, person, token_for, at):
    at(START)
    item_id = _expense(session, person)
    at(LATER)
    _scan(session)
    body = client.get(f"/api/v1/items/{item_id}", headers=token_for("czj.zhoujie")).json
    assert [e["rule"] for e in body["risk_events"]] == ["step_overdue"]
    assert set(body["risk_events"][0]["factors"]) == {
        "severity",
        "process",
        "node",
        "post",
        "person",
    }


def test_the_handler_explains_and_the_discipline_leader_resolves(
    client, session, person, token_for, at
):
    at(START)
    item_id = _expense(session, person)
    at(LATER)
    _scan(session)
    (event,) = _events(session, item_id=item_id)
    event.level = Level.ORANGE
    session.flush()
    url = f"/api/v1/risk-events/{event.id}"
    hidden = client.post(f"{url}/explain", json={"text": "x"}, headers=token_for("czj.liqiang"))
    assert hidden.status_code == 404  # a colleague does not even see it
    refused = client.post(f"{url}/explain", json={"text": "x"}, headers=token_for("czj.zhoujie"))
    assert refused.status_code == 403  # the leader judges explanations, never writes them
    explained = client.post(
        f"{url}/explain", json={"text": "出差未归"}, headers=token_for("czj.wangfang")
    )
    assert explained.status_code == 200 and explained.json["status"] == "explained"
    bad = client.post(
        f"{url}/resolve", json={"disposition": "shrug"}, headers=token_for("czj.zhoujie")
    )
    assert bad.status_code == 422
    done = client.post(f"{url}/resolve", json={"disposition": "reminder_talk", "note": "已提醒"},
                       headers=token_for("czj.zhoujie"))  # fmt: skip
    assert done.status_code == 200, done.json
    assert (done.json["status"], done.json["disposition"], done.json["closed_by"]) == (
        "resolved", "reminder_talk", "czj.zhoujie",
    )  # fmt: skip
    assert done.json["disposition_form"] == "first"  # 谈话提醒 is of the first form
    again = client.post(f"{url}/dismiss", json={"reason": "x"}, headers=token_for("czj.zhoujie"))
    assert again.status_code == 409
    actions = {
        r.action
        for r in session.scalars(
            sa.select(AuditRecord).where(AuditRecord.target_id == str(event.id))
        )
    }
    assert {"risk_event.raise", "risk_event.explain", "risk_event.resolve"} <= actions


def _about(
    session: Any, person: Any, username: str, level: Level = Level.ORANGE, **kw: Any
) -> RiskEvent:
    who = person(username)
    event = RiskEvent(
        identity=f"test|{username}|{level}|{kw.get('item_id')}",
        rule=kw.pop("rule", "step_overdue"),
        unit_id=who.unit_id, person_id=who.id, severity=60, score=60.0, level=level,
        factors={}, evidence={}, status=EventStatus.OPEN, policy_version=0, **kw,
    )  # fmt: skip
    session.add(event)
    session.flush()
    return event


def test_nobody_acts_on_their_own_work_and_the_commission_watches_the_watcher(
    client, session, person, token_for
):
    own = _about(session, person, "czj.zhoujie")
    answer = client.post(f"/api/v1/risk-events/{own.id}/acknowledge", json={},
                         headers=token_for("czj.zhoujie"))  # fmt: skip
    assert answer.status_code == 403 and answer.json["error"]["code"] == "own_work"
    assert client.post(f"/api/v1/risk-events/{own.id}/acknowledge", json={},
                       headers=token_for("jw.liuhong")).status_code == 200  # fmt: skip

    session.add(PersonRole(person_id=person("czj.liqiang").id, role="discipline_leader"))
    session.flush()
    leader = _about(session, person, "czj.liqiang")
    answer = client.post(f"/api/v1/risk-events/{leader.id}/dismiss", json={"reason": "无"},
                         headers=token_for("czj.zhoujie"))  # fmt: skip
    assert answer.status_code == 403 and answer.json["error"]["code"] == "commission_only"

    red = _about(session, person, "czj.chenli", Level.RED)
    answer = client.post(f"/api/v1/risk-events/{red.id}/resolve",
                         json={"disposition": "no_problem"},
                         headers=token_for("czj.zhoujie"))  # fmt: skip
    assert answer.status_code == 403 and answer.json["error"]["code"] == "inspector_only"


def test_an_unexplained_orange_escalates_to_red_and_may_freeze_the_item(
    client, session, person, token_for, at
):
    at(START)
    item_id = _expense(session, person)
    risk.save_policy(
        session, _admin(person), {"rules": {"incompatible_posts": {"freeze_on_red": True}}}, "冻结"
    )
    waiting = _about(session, person, "czj.wangfang", item_id=item_id, rule="incompatible_posts",
                     level_since=START)  # fmt: skip
    explained = _about(session, person, "czj.chenli", level_since=START)
    explained.status = EventStatus.EXPLAINED
    at(START + timedelta(days=1))
    assert risk.escalate_now(session) == 0  # within two working days
    at(LATER)
    assert risk.escalate_now(session) == 1
    session.refresh(waiting)
    assert (waiting.level, waiting.escalated) == (Level.RED, True)
    assert session.get(Item, item_id).status is ItemStatus.FROZEN
    answer = client.post(f"/api/v1/risk-events/{waiting.id}/resolve",
                         json={"disposition": "letter_inquiry"},
                         headers=token_for("jw.liuhong"))  # fmt: skip
    assert answer.status_code == 200, answer.json
    session.expire_all()
    assert session.get(Item, item_id).status is ItemStatus.RUNNING


def _admin(person: Any) -> Any:
    return person("admin").principal()


def test_the_policy_is_versioned_validated_and_audited(client, session, token_for):
    h = token_for("admin")
    before = client.get("/api/v1/policy", headers=h).json
    assert before["thresholds"] == {"red": 80, "orange": 50, "yellow": 20}
    assert before["rules"]["procurement_splitting"]["name"] == "化整为零规避公开招标"
    bad = client.put(
        "/api/v1/policy", headers=h, json={"thresholds": {"red": 10, "orange": 50, "yellow": 20}}
    )
    assert bad.status_code == 422
    assert {d["path"] for d in bad.json["error"]["details"]} == {"thresholds"}
    good = client.put("/api/v1/policy", headers=h,
                      json={"thresholds": {"red": 85, "orange": 55, "yellow": 25},
                            "comment": "收紧"})  # fmt: skip
    assert good.status_code == 200 and good.json["version"] == before["version"] + 1
    assert good.json["comment"] == "收紧"
    assert _audits(session, "policy.update") == 1


def test_the_preview_raises_on_paper_and_writes_nothing(client, session, person, token_for, at):
    at(START)
    _expense(session, person, amount="99000.00")
    at(LATER)
    inspector = token_for("jw.liuhong")  # tokens are audited: issue them before counting
    admin = token_for("admin")
    tables = (RiskEvent, RiskScan, AuditRecord)
    before = [count(session, t) for t in tables]
    lower = {"thresholds": {"red": 80, "orange": 50, "yellow": 5}}
    answer = client.post("/api/v1/policy/preview", headers=inspector, json={"policy": lower})
    assert answer.status_code == 200, answer.json
    rules = {e["rule"] for e in answer.json["events"]}
    assert "step_overdue" in rules and answer.json["summary"]["total"] == len(answer.json["events"])
    assert {e["unit"] for e in answer.json["events"]} <= {"czj", "wjj"}  # the inspector's scope
    backtest = client.post("/api/v1/policy/preview", headers=admin,
                           json={"from": "2026-11-01", "to": "2026-11-24"})  # fmt: skip
    assert backtest.status_code == 200, backtest.json
    days = {d["day"]: d["events"] for d in backtest.json["days"]}
    assert days["2026-11-01"] == 0 or days["2026-11-01"] <= days["2026-11-24"]
    assert [count(session, t) for t in tables] == before


def test_risk_values_change_the_score(client, session, person, token_for, at):
    at(START)
    item_id = _expense(session, person)
    at(LATER)
    h = token_for("admin")
    answer = client.put("/api/v1/risk-values", headers=h,
                        json={"unit": "czj", "target": "node", "process": "expense_reimbursement",
                              "node": "apply", "risk": 5})  # fmt: skip
    assert answer.status_code == 200, answer.json
    values = client.get("/api/v1/risk-values?unit=czj", headers=h).json
    (expense,) = [p for p in values["processes"] if p["process"] == "expense_reimbursement"]
    assert {n["node"]: n["risk"] for n in expense["nodes"]}["apply"] == 5
    bad = client.put("/api/v1/risk-values", headers=h,
                     json={"unit": "czj", "target": "node", "process": "expense_reimbursement",
                           "node": "nowhere", "risk": 5})  # fmt: skip
    assert bad.status_code == 422
    _scan(session)
    (event,) = _events(session, item_id=item_id, rule="step_overdue")
    assert event.factors["node"] == {"risk": 5, "factor": 1.5}


def test_statistics_by_rule_level_and_day(client, session, person, token_for, at):
    at(START)
    _expense(session, person)
    _expense(session, person)
    at(LATER)
    _scan(session)
    h = token_for("czj.zhoujie")
    window = "from=2026-11-01T00:00:00%2B08:00&to=2026-12-01T00:00:00%2B08:00"
    by_rule = client.get(f"/api/v1/stats/risk?group_by=rule&{window}", headers=h).json
    overdue = [g for g in by_rule["groups"] if g["key"] == "step_overdue"]
    assert overdue and overdue[0]["count"] >= 2 and overdue[0]["label"] == "单环节超时"
    by_day = client.get(f"/api/v1/stats/risk?group_by=day&{window}", headers=h).json
    assert [g["key"] for g in by_day["groups"]] == ["2026-11-25"]
    assert sum(g["count"] for g in by_day["groups"]) == by_rule["total"]
    assert client.get("/api/v1/stats/risk?group_by=colour", headers=h).status_code == 422


def test_an_incremental_scan_judges_what_changed_since_the_last(session, person, at):
    at(LATER)
    assert _scan(session).mode == "full"
    workflow.start_item(
        session, person("czj.wangfang").principal(), "procurement", "电脑采购",
        {"budget_project": "日常办公", "item_category": "货物", "method": "询价",
         "amount": "990000.00"},
    )  # fmt: skip
    at(LATER + timedelta(minutes=1))
    result = _scan(session)
    assert result.mode == "incremental" and result.raised == 1
    (event,) = _events(session, rule="procurement_just_under_threshold")
    assert event.node == "request" and event.evidence["threshold"] == "1000000"
    at(LATER + timedelta(minutes=2))
    quiet = _scan(session)
    assert (quiet.mode, quiet.raised, quiet.closed) == ("incremental", 0, 0)
    session.refresh(event)
    assert event.status is EventStatus.OPEN  # not judged again, not closed


def test_a_warning_named_after_its_node_stays_one_warning_once_someone_completes_it(
    session, person, at
):
    """A field rule's warning names the last person who completed the node that writes
    the field.  Raised before anyone had, it is the same warning afterwards (it was closed
    and raised again, telling everyone twice); the person is filled in and told, as the
    level's route tells a handler, and nobody else is told again."""
    at(LATER)
    assert _scan(session).mode == "full"
    staff = person("czj.wangfang")
    item_id = workflow.start_item(
        session, staff.principal(), "procurement", "电脑采购",
        {"budget_project": "日常办公", "item_category": "货物", "method": "询价",
         "amount": "990000.00"},
    ).item_id  # fmt: skip
    at(LATER + timedelta(minutes=1))
    assert _scan(session).raised == 1
    (event,) = _events(session, rule="procurement_just_under_threshold", item_id=item_id)
    assert (event.node, event.person_id) == ("request", None)
    told = {n.id for n in session.scalars(sa.select(Notification))}

    (task,) = workflow.item_view(session, staff.principal(), item_id)["tasks"]
    assert task["node"] == "request"
    workflow.complete_task(session, staff.principal(), task["id"])
    at(LATER + timedelta(minutes=2))
    again = _scan(session)
    assert (again.raised, again.closed) == (0, 0)
    assert _events(session, rule="procurement_just_under_threshold", item_id=item_id) == [event]
    session.refresh(event)
    assert event.status is EventStatus.OPEN
    assert (event.node, event.person_id) == ("request", staff.id)
    new = [n for n in session.scalars(sa.select(Notification)) if n.id not in told]
    assert new and {(n.recipient_id, n.event_id) for n in new} == {(staff.id, event.id)}
    assert _audits(session, "risk_event.auto_close") == 0
    at(LATER + timedelta(minutes=3))
    assert _scan(session, full=True).raised == 0
    assert count(session, Notification) == len(told) + len(new)


def test_returns_over_the_limit_raise_a_warning_that_does_not_close_by_itself(session, person, at):
    at(LATER)
    item_id = _expense(session, person)
    staff, chief = person("czj.wangfang").principal(), person("czj.liqiang").principal()
    for _ in range(3):
        (apply,) = workflow.item_view(session, staff, item_id)["tasks"]
        workflow.complete_task(session, staff, apply["id"])
        (review,) = workflow.item_view(session, staff, item_id)["tasks"]
        workflow.complete_task(session, chief, review["id"], decision="return", comment="补充票据")
    _scan(session)
    (event,) = _events(session, item_id=item_id, rule="irregular_handling")
    assert event.subject == "returns" and event.evidence["returns"] == 3
    at(LATER + timedelta(days=1))
    _scan(session, full=True)  # a new day, a full scan: the returns are still a fact
    session.refresh(event)
    assert event.status is EventStatus.OPEN


def test_the_daily_figures_snapshot_is_idempotent(session, person, at):
    from riskctl.risk.models import RiskDailyFigure

    at(START)
    _expense(session, person)
    at(LATER)
    _scan(session)
    written = risk.snapshot_figures(session)
    rows = session.scalars(sa.select(RiskDailyFigure)).all()
    assert written == len(rows) >= 1
    assert sum(r.raised for r in rows) == len(_events(session))
    assert risk.snapshot_figures(session) == written
    assert len(session.scalars(sa.select(RiskDailyFigure)).all()) == len(rows)


def test_irregular_handling_reads_the_same_in_sql_and_for_a_few_items(session, person, at):
    """The full judgement (SQL, partial indexes, a window) and the narrow one (the items'
    steps in Python) find the same returns, untasked completions and back-dating."""
    from riskctl.risk.facts import ScanData, Scope
    from riskctl.workflow.models import Step, StepKind

    at(LATER)
    item_id = _expense(session, person)
    who = person("czj.liqiang").id
    session.add_all([
        Step(item_id=item_id, task_id=None, kind=StepKind.COMPLETE, node="chief", person_id=who,
             post="section_chief", decision="return", at=LATER),
        Step(item_id=item_id, task_id=None, kind=StepKind.COMPLETE, node="chief", person_id=who,
             post="section_chief", decision="approve", at=LATER - timedelta(days=2)),
    ])  # fmt: skip
    session.flush()
    moment = LATER + timedelta(minutes=5)
    full = [f for f in ScanData(session, Scope(moment)).handling() if f.item_id == item_id]
    narrow = ScanData(session, Scope(moment, frozenset({item_id}), frozenset())).handling()
    assert full == narrow
    (fact,) = narrow
    assert (fact.returns, fact.untasked, fact.backdated, fact.after_end) == (1, 2, 1, 0)


def test_a_rescore_updates_the_event_and_an_upgrade_restarts_its_wait(session, person, at):
    at(START)
    item_id = _expense(session, person)
    at(MID)
    _scan(session)
    (event,) = _events(session, item_id=item_id, rule="step_overdue")
    first_level, first_score, first_since = event.level, event.score, event.level_since
    at(LATER)
    _scan(session)
    (again,) = _events(session, item_id=item_id, rule="step_overdue")
    assert again.id == event.id and again.score > first_score
    assert again.level.rank > first_level.rank and again.level_since > first_since
    assert _audits(session, "risk_event.regrade") >= 1


def test_acknowledge_needs_no_body(client, session, person, token_for):
    event = _about(session, person, "czj.chenli")
    answer = client.post(f"/api/v1/risk-events/{event.id}/acknowledge",
                         headers=token_for("czj.zhoujie"))  # fmt: skip
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "acknowledged"


@pytest.mark.parametrize(
    ("disposition", "form", "words"),
    [("no_problem", None, "经核实无问题（予以了结）"), ("criticism", "first", "批评教育"),
     ("reminder_talk", "first", "谈话提醒"), ("letter_inquiry", "first", "约谈函询"),
     ("admonishment", "first", "诫勉"), ("self_examination", "first", "责令检查"),
     ("circulated_criticism", None, "通报批评"), ("rectification", None, "责令整改／督办"),
     ("case_clue", None, "移交问题线索")],
)  # fmt: skip
def test_each_disposition_is_recorded_with_its_form_and_shown_in_its_words(
    client, session, person, token_for, at, disposition, form, words
):
    at(START)
    item_id = _expense(session, person)
    at(LATER)
    _scan(session)
    (event,) = _events(session, item_id=item_id)
    done = client.post(f"/api/v1/risk-events/{event.id}/resolve",
                       json={"disposition": disposition, "note": "处置"},
                       headers=token_for("jw.liuhong"))  # fmt: skip
    assert done.status_code == 200, done.json
    assert done.json["disposition_form"] == form
    session.refresh(event)
    assert event.disposition_form == form
    sign_in(client, "jw.liuhong")
    page = client.get(f"/monitor/warnings/{event.id}").text
    assert words in page and (("第一种形态" in page) == (form == "first"))


def test_the_policy_says_each_rules_legal_basis(client, token_for):
    rules = client.get("/api/v1/policy", headers=token_for("admin")).json["rules"]
    assert rules["procurement_short_tender_period"]["basis"].startswith("《政府采购法》第三十五条")
    assert rules["step_overdue"]["basis"] == "单位内部管理规定（无上位法依据）"
