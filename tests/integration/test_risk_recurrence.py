"""A warning a person closed stays closed: the next scans find the same situation and
leave it alone (no new event, no SMS, no in-app notice) — until its facts change
materially, when the new event points at the closed one and says what changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from riskctl.alerts.models import Notification
from riskctl.risk import services as risk
from riskctl.risk.models import EventStatus, RiskEvent
from riskctl.workflow import services as workflow
from riskctl.workflow.models import Item
from tests.conftest import count
from tests.integration.test_pages import sign_in
from tests.integration.test_risk import LATER, MID, START, _expense, _scan

NEXT_DAY = datetime(2026, 11, 12, 2, 0, tzinfo=UTC)  # three days late: still the same level
NEAR = {"budget_project": "2026年信息化设备", "item_category": "货物", "method": "竞争性磋商",
        "amount": "3900000.00"}  # fmt: skip


def _events(session: Any, item_id: int, rule: str) -> list[RiskEvent]:
    stmt = sa.select(RiskEvent).where(RiskEvent.item_id == item_id, RiskEvent.rule == rule)
    return list(session.scalars(stmt.order_by(RiskEvent.id)))


def _near_threshold(session: Any, person: Any, at: Any) -> tuple[int, RiskEvent]:
    """A purchase budgeted just under the open-tender threshold, and its warning."""
    at(START)
    principal = person("czj.wangfang").principal()
    item_id = workflow.start_item(session, principal, "procurement", "信息化设备采购", NEAR).item_id
    _scan(session, full=True)
    (event,) = _events(session, item_id, "procurement_just_under_threshold")
    return item_id, event


def test_a_dismissed_warning_is_not_raised_again_by_the_next_scans(
    client, session, person, token_for, at
):
    item_id, event = _near_threshold(session, person, at)
    answer = client.post(f"/api/v1/risk-events/{event.id}/dismiss",
                         json={"reason": "核实无问题：预算按实际需求编制"},
                         headers=token_for("jw.liuhong"))  # fmt: skip
    assert answer.status_code == 200, answer.json
    notices = count(session, Notification)

    at(START + timedelta(hours=2))
    again = _scan(session, full=True)
    assert again.raised == 0 and again.kept_closed >= 1
    assert _scan(session, full=True).kept_closed >= 1
    assert [e.id for e in _events(session, item_id, "procurement_just_under_threshold")] == [
        event.id
    ]
    assert count(session, Notification) == notices  # no fresh SMS or in-app notice
    body = client.post("/api/v1/scan", json={"full": True}, headers=token_for("admin")).json
    assert body["raised"] == 0 and body["kept_closed"] >= 1


def test_a_higher_amount_brings_it_back_linked_to_the_closed_one(
    client, session, person, token_for, at
):
    item_id, closed = _near_threshold(session, person, at)
    risk.resolve(session, person("jw.liuhong").principal(), closed.id, "no_problem", "已核实")
    item = session.get(Item, item_id)
    item.fields = {**item.fields, "amount": "3960000.00"}  # the budget was raised
    session.flush()

    at(MID)
    result = _scan(session, full=True)
    assert result.raised >= 1
    closed_again, back = _events(session, item_id, "procurement_just_under_threshold")
    assert closed_again.id == closed.id and closed_again.status is EventStatus.RESOLVED
    assert back.status is EventStatus.OPEN and back.reopens_id == closed.id
    reason = back.reopen_reason
    assert (reason["event"], reason["closed_as"], reason["key"], reason["how"]) == (
        closed.id, "resolved", "amount", "more",
    )  # fmt: skip
    assert (reason["before"], reason["after"]) == ("3900000.00", "3960000.00")
    shown = client.get(f"/api/v1/risk-events/{back.id}", headers=token_for("jw.liuhong")).json
    assert shown["reopens"] == closed.id and shown["reopen_reason"]["key"] == "amount"
    sign_in(client, "jw.liuhong")
    page = client.get(f"/monitor/warnings/{back.id}").text
    assert f'href="/monitor/warnings/{closed.id}"' in page and "再次预警" in page
    # the warning names what it rests on
    assert "依据：《政府采购法》第八条、第二十七条、第二十八条" in page
    assert shown["basis"].startswith("《政府采购法》第八条、第二十七条")


def test_a_lateness_dismissed_stays_closed_until_it_is_graver(session, person, at):
    at(START)
    item_id = _expense(session, person)
    at(MID)
    _scan(session, full=True)
    (first,) = _events(session, item_id, "step_overdue")
    risk.dismiss(session, person("czj.zhoujie").principal(), first.id, "出差在外，已说明")

    at(NEXT_DAY)  # one more day late, the same level: still closed
    assert _scan(session, full=True).kept_closed >= 1
    assert len(_events(session, item_id, "step_overdue")) == 1

    at(LATER)  # much later: graver than when it was dismissed
    _scan(session, full=True)
    _, back = _events(session, item_id, "step_overdue")
    assert back.reopens_id == first.id and back.level.rank > first.level.rank
    assert back.reopen_reason["key"] == "level"
    assert back.reopen_reason["before"] == first.level.value


def test_the_policy_preview_says_which_findings_stay_closed(client, session, person, token_for,
                                                             at):  # fmt: skip
    item_id, event = _near_threshold(session, person, at)
    risk.dismiss(session, person("jw.liuhong").principal(), event.id, "核实无问题")
    preview = client.post("/api/v1/policy/preview", json={}, headers=token_for("admin")).json
    rule = "procurement_just_under_threshold"
    mine = [e for e in preview["events"] if e["item_id"] == item_id and e["rule"] == rule]
    assert len(mine) == 1 and mine[0]["kept_closed"] and not mine[0]["existing"]
