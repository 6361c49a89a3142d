"""Issue 18, the big screen (大屏): its snapshot feeds warnings of every level, newest
first, shows each unit by name with its open counts and the trend by level, and still
exposes nothing about a person; the page has a 暂无 for every panel."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from riskctl.alerts import services as alerts
from riskctl.alerts.outbox import Notifier
from riskctl.core.access import SYSTEM_ADMIN
from riskctl.core.clock import utcnow
from riskctl.org.models import Unit
from riskctl.risk import services as risk
from riskctl.risk.models import EventStatus, Level, RiskEvent

PANELS = ("chart-levels", "units", "chart-trend", "chart-nodes", "reds", "ticker")


@pytest.fixture
def kiosk(session: Any) -> str:
    token, _ = alerts.create_kiosk(session, SYSTEM_ADMIN, "纪委大厅")
    session.flush()
    return token


def _warning(
    session: Any, person: Any, level: Level, ago: timedelta, unit: str = "czj",
    who: str = "czj.wangfang",
) -> RiskEvent:  # fmt: skip
    """A warning that reached ``level`` ``ago``, notified as a scan would."""
    now = utcnow()
    since = now - ago
    event = RiskEvent(
        identity=f"screen:{unit}:{who}:{level.value}:{since.timestamp()}", rule="item_overdue",
        unit_id=session.scalar(sa.select(Unit.id).where(Unit.code == unit)), node="apply",
        person_id=person(who).id, post="handler", subject="王芳的报销单", severity=100,
        score={Level.RED: 95.0, Level.ORANGE: 60.0, Level.YELLOW: 25.0}[level], level=level,
        factors={}, evidence={}, status=EventStatus.OPEN, policy_version=0, level_since=since,
        created_at=since, updated_at=since,
    )  # fmt: skip
    session.add(event)
    session.flush()
    notifier = Notifier(session, risk.current_policy(session), now)
    notifier.raised(event)
    notifier.flush()
    return event


def _snapshot(client: Any, kiosk: str) -> dict[str, Any]:
    answer = client.get("/api/v1/screen/snapshot", headers={"X-Screen-Token": kiosk})
    assert answer.status_code == 200
    return dict(answer.json)


def test_the_feed_holds_every_level_newest_first(client, session, person, kiosk):
    yellow = _warning(session, person, Level.YELLOW, timedelta(minutes=30))
    orange = _warning(session, person, Level.ORANGE, timedelta(hours=1), unit="nmj",
                      who="nmj.gaopeng")  # fmt: skip
    red = _warning(session, person, Level.RED, timedelta(hours=2))
    snap = _snapshot(client, kiosk)
    mine = [e for e in snap["feed"] if e["id"] in {yellow.id, orange.id, red.id}]
    assert [e["id"] for e in mine] == [yellow.id, orange.id, red.id]
    assert [e["level"] for e in mine] == ["yellow", "orange", "red"]
    moments = [datetime.fromisoformat(e["at"]) for e in snap["feed"]]
    assert moments == sorted(moments, reverse=True)
    assert all(m.tzinfo is not None for m in moments)
    first = mine[0]
    assert first["unit"] == "区财政局" and first["rule"] == "item_overdue" and first["rule_name"]
    assert first["score"] == 25.0 and first["status"] == "open"
    # Only red goes to the screen by default: its row carries its pushed seq, so that a
    # pushed row and the next snapshot agree; the others have none.
    assert mine[2]["seq"] == snap["seq"] > 0 and mine[0]["seq"] == mine[1]["seq"] == 0
    # the words for each level come with it (the policy's labels)
    assert {lv: snap["level_labels"][lv]["zh"] for lv in ("red", "orange", "yellow")} == {
        "red": "红色预警", "orange": "橙色预警", "yellow": "黄色预警"}  # fmt: skip
    assert snap["timezone"] == "Asia/Shanghai"
    # the fields the screen has always read are still there
    for field in ("generated_at", "seq", "levels", "units", "trend", "nodes", "latest_red",
                  "ticker", "silences", "orange_used"):  # fmt: skip
        assert field in snap, field


def test_the_feed_is_bounded_and_an_upgrade_comes_to_the_top(client, session, person, kiosk):
    events = [_warning(session, person, Level.YELLOW, timedelta(minutes=40 + n))
              for n in range(alerts.FEED_ROWS + 5)]  # fmt: skip
    oldest = events[-1]
    oldest.level, oldest.level_since = Level.RED, utcnow()
    session.flush()
    feed = _snapshot(client, kiosk)["feed"]
    assert len(feed) == alerts.FEED_ROWS
    assert feed[0]["id"] == oldest.id and feed[0]["level"] == "red"


def test_units_show_names_and_open_counts_and_the_trend_counts_each_level(
    client, session, person, kiosk
):
    for level in (Level.RED, Level.ORANGE, Level.ORANGE, Level.YELLOW):
        _warning(session, person, level, timedelta(minutes=10))
    closed = _warning(session, person, Level.RED, timedelta(minutes=5))
    closed.status = EventStatus.RESOLVED
    session.flush()
    snap = _snapshot(client, kiosk)
    czj = next(u for u in snap["units"] if u["code"] == "czj")
    assert czj["name"] == "区财政局" and czj["worst"] == "red"
    assert czj["red"] >= 1 and czj["orange"] >= 2 and czj["yellow"] >= 1
    assert all(u["name"] and u["name"] != u["code"] for u in snap["units"])
    assert len(snap["trend"]) == 30
    today = snap["trend"][-1]
    assert today["day"] == "2026-12-01"  # the local day of TEST_NOW (10:00 in Beijing)
    assert today["red"] >= 2 and today["orange"] >= 2 and today["yellow"] >= 1


def test_the_snapshot_shows_no_person_or_subject(client, session, person, kiosk):
    for level in Level:
        _warning(session, person, level, timedelta(minutes=3))
    text = json.dumps(_snapshot(client, kiosk), ensure_ascii=False)
    for secret in ("王芳", "czj.wangfang", "+86", "报销单", "phone", "person", "subject"):
        assert secret not in text, secret


def test_an_inspectors_feed_keeps_to_their_units(client, session, person, token_for):
    inside = _warning(session, person, Level.YELLOW, timedelta(minutes=1))
    outside = _warning(session, person, Level.YELLOW, timedelta(minutes=1), unit="nmj",
                       who="nmj.gaopeng")  # fmt: skip
    answer = client.get("/api/v1/screen/snapshot", headers=token_for("jw.liuhong"))
    ids = {e["id"] for e in answer.json["feed"]}
    assert inside.id in ids and outside.id not in ids


def test_every_panel_of_the_page_has_its_placeholder(client, kiosk):
    client.get(f"/screen?token={kiosk}")
    page = client.get("/screen").get_data(as_text=True)
    for panel in PANELS:
        assert f'data-empty-for="{panel}" hidden>暂无</p>' in page, panel
    assert '"timezone": "Asia/Shanghai"' in page
