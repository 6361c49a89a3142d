"""The alerts API (notification log, in-app notifications, silences, screen snapshot and
kiosks), the /screen page, and the Socket.IO namespace that pushes to screens and bells."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from riskctl.alerts import dispatch
from riskctl.alerts.outbox import Notifier
from riskctl.alerts.sms import ConsoleBackend
from riskctl.core.access import SYSTEM_ADMIN
from riskctl.core.clock import utcnow
from riskctl.extensions import socketio
from riskctl.org.models import Unit
from riskctl.risk import services as risk
from riskctl.risk.models import EventStatus, Level, RiskEvent
from tests.integration.test_monitor_pages import warning
from tests.integration.test_pages import csrf_from, sign_in


def _red(session: Any, person: Any, unit: str = "czj", who: str = "czj.wangfang") -> RiskEvent:
    """A red warning raised now and notified, as a scan would."""
    now = utcnow()
    event = RiskEvent(
        identity=f"api:{unit}:{who}:{now.timestamp()}", rule="item_overdue",
        unit_id=session.scalar(sa.select(Unit.id).where(Unit.code == unit)), node="apply",
        person_id=person(who).id, post="handler", severity=100, score=95.0, level=Level.RED,
        factors={}, evidence={}, status=EventStatus.OPEN, policy_version=0, level_since=now,
        created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(event)
    session.flush()
    notifier = Notifier(session, risk.current_policy(session), now)
    notifier.raised(event)
    notifier.flush()
    return event


@pytest.fixture
def kiosk(session: Any) -> str:
    from riskctl.alerts import services

    token, _ = services.create_kiosk(session, SYSTEM_ADMIN, "纪委大厅")
    return token


def test_the_notification_log_shows_delivery_with_masked_phones(client, session, person, token_for):
    red = _red(session, person)
    nmj = _red(session, person, unit="nmj", who="nmj.gaopeng")
    dispatch.dispatch_sms(session, ConsoleBackend(), risk.current_policy(session))
    body = client.get("/api/v1/alerts?channel=sms&limit=200", headers=token_for("jw.liuhong")).json
    events = {a["event_id"] for a in body["items"]}
    assert red.id in events and nmj.id not in events  # 区农牧局 is outside her scope
    sample = next(a for a in body["items"] if a["event_id"] == red.id)
    assert sample["status"] == "sent" and sample["phone"].count("*") == 4
    assert sample["attempts"][0]["outcome"] == "sent" and sample["provider_sid"]
    assert client.get("/api/v1/alerts", headers=token_for("czj.zhoujie")).status_code == 403
    bad = client.get("/api/v1/alerts?channel=fax", headers=token_for("jw.liuhong"))
    assert bad.status_code == 422


def test_the_bell_counts_unread_and_marks_them_read(client, session, person, token_for):
    _red(session, person)
    _red(session, person, who="czj.liqiang")
    me = token_for("czj.zhoujie")
    body = client.get("/api/v1/notifications?unread=true", headers=me).json
    assert body["unread"] == 2 and len(body["items"]) == 2
    first = body["items"][0]
    assert first["title"].startswith("红色预警") and first["read_at"] is None
    read = client.post(f"/api/v1/notifications/{first['id']}/read", headers=me, json={})
    assert read.json == {"marked": 1, "unread": 1}
    assert client.post("/api/v1/notifications/read-all", headers=me, json={}).json["marked"] == 1
    assert client.get("/api/v1/notifications", headers=me).json["unread"] == 0
    # someone else's notification is not there to mark
    theirs = client.post(f"/api/v1/notifications/{first['id']}/read",
                         headers=token_for("czj.wangfang"), json={})  # fmt: skip
    assert theirs.status_code == 404


def test_silences_are_validated_listed_and_expired(client, session, token_for):
    h = token_for("jw.liuhong")
    ends = (utcnow() + timedelta(hours=2)).isoformat()
    matcher = {"unit": "czj", "colour": "red", "rule": "nope"}
    bad = client.post("/api/v1/silences", headers=h,
                      json={"matcher": matcher, "ends_at": ends, "reason": "x"})  # fmt: skip
    assert bad.status_code == 422
    assert {d["path"] for d in bad.json["error"]["details"]} == {"matcher.colour", "matcher.rule"}
    past = (utcnow() - timedelta(hours=1)).isoformat()
    late = client.post(
        "/api/v1/silences",
        headers=h,
        json={"matcher": {"unit": "czj"}, "ends_at": past, "reason": "x"},
    )
    assert late.status_code == 422 and late.json["error"]["details"][0]["path"] == "ends_at"
    made = client.post("/api/v1/silences", headers=h, json={
        "matcher": {"unit": "czj", "rule": "step_overdue"}, "ends_at": ends,
        "reason": "年底集中报销"})  # fmt: skip
    assert made.status_code == 201 and made.json["active"] and made.json["author"] == "jw.liuhong"
    listed = client.get("/api/v1/silences", headers=h).json
    assert [s["id"] for s in listed] == [made.json["id"]]
    ended = client.post(f"/api/v1/silences/{made.json['id']}/expire", headers=h, json={})
    assert ended.status_code == 200 and not ended.json["active"]
    assert client.get("/api/v1/silences", headers=h).json == []
    again = client.post(f"/api/v1/silences/{made.json['id']}/expire", headers=h, json={})
    assert again.status_code == 409


def test_the_snapshot_holds_aggregates_only(client, session, person, kiosk, token_for):
    red = _red(session, person)
    answer = client.get("/api/v1/screen/snapshot", headers={"X-Screen-Token": kiosk})
    assert answer.status_code == 200
    snap = answer.json
    assert snap["levels"]["red"] >= 1 and len(snap["trend"]) == 30
    czj = next(u for u in snap["units"] if u["code"] == "czj")
    assert czj["worst"] == "red" and czj["red"] >= 1
    assert snap["latest_red"][0]["id"] == red.id and snap["latest_red"][0]["unit"] == "区财政局"
    assert snap["ticker"][0]["seq"] == snap["seq"] and snap["ticker"][0]["level"] == "red"
    text = json.dumps(snap, ensure_ascii=False)
    assert "王芳" not in text and "czj.wangfang" not in text and "+86" not in text
    # the token also works in the URL (a kiosk's browser opens /screen?token=…)
    assert client.get(f"/api/v1/screen/snapshot?token={kiosk}").status_code == 200
    bad = client.get("/api/v1/screen/snapshot?token=rks_nope")
    assert bad.status_code == 401 and bad.json["error"]["code"] == "invalid_token"
    # an inspector sees the units of their scope only
    mine = client.get("/api/v1/screen/snapshot", headers=token_for("jw.liuhong")).json
    assert {u["code"] for u in mine["units"]} == {"czj", "wjj"}


def test_a_kiosk_is_made_by_an_admin_and_opens_the_screen_page(app, client, token_for):
    made = client.post("/api/v1/screens", headers=token_for("admin"), json={"name": "大厅"})
    assert made.status_code == 201 and made.json["token"].startswith("rks_")
    page = client.get(f"/screen?token={made.json['token']}", follow_redirects=True)
    assert page.status_code == 200 and page.request.path == "/screen"  # token into a cookie
    html = page.get_data(as_text=True)
    assert "vendor/echarts.min.js" in html and "vendor/socket.io.min.js" in html
    assert "//cdn" not in html and "http" not in html.split("<body")[0].replace("http-equiv", "")
    assert client.get("/screen?token=rks_wrong").status_code == 403
    assert app.test_client().get("/screen").status_code == 302  # to the login page


# ---------------------------------------------------------------- Socket.IO


def _received(sio: Any, name: str) -> list[dict[str, Any]]:
    """The ``name`` events received so far (reading them empties the client's queue)."""
    return [m["args"][0] for m in sio.get_received("/screen") if m["name"] == name]


def _by_name(sio: Any) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for m in sio.get_received("/screen"):
        found.setdefault(m["name"], []).append(m["args"][0])
    return found


def test_a_kiosk_receives_a_red_warning_when_it_commits(app, client, session, person, kiosk):
    screen = socketio.test_client(app, namespace="/screen", auth={"token": kiosk},
                                  flask_test_client=client)  # fmt: skip
    assert screen.is_connected("/screen")
    seq_before = client.get("/api/v1/screen/snapshot", headers={"X-Screen-Token": kiosk}).json[
        "seq"
    ]
    red = _red(session, person)
    assert _received(screen, "warning") == []  # nothing before the commit
    session.commit()
    (pushed,) = _received(screen, "warning")
    assert pushed["event_id"] == red.id and pushed["level"] == "red" and pushed["seq"] > seq_before
    assert "王芳" not in json.dumps(pushed, ensure_ascii=False)
    screen.disconnect("/screen")


def test_a_rolled_back_change_pushes_nothing(app, client, session, person, kiosk):
    screen = socketio.test_client(app, namespace="/screen", auth={"token": kiosk},
                                  flask_test_client=client)  # fmt: skip
    nested = session.begin_nested()
    _red(session, person)
    nested.rollback()
    session.rollback()
    session.commit()
    assert _received(screen, "warning") == []
    screen.disconnect("/screen")


def test_signed_in_people_get_their_own_notifications_and_their_scope(app, client, session, person):
    sign_in(client, "jw.sunwei")  # inspector of 区农牧局, 区人社局, 前进镇 — not 区财政局
    sio = socketio.test_client(app, namespace="/screen", flask_test_client=client)
    assert sio.is_connected("/screen")
    _red(session, person)  # 区财政局
    nmj = _red(session, person, unit="nmj", who="nmj.gaopeng")
    session.commit()
    received = _by_name(sio)
    assert [w["event_id"] for w in received["warning"]] == [nmj.id]
    notes = [n["event_id"] for n in received["notification"]]
    assert notes == [nmj.id]  # in-app: told of 区农牧局's red only
    sio.disconnect("/screen")


def test_a_connection_without_a_login_or_token_is_refused(app, client):
    sio = socketio.test_client(app, namespace="/screen", flask_test_client=client)
    assert not sio.is_connected("/screen")
    bad = socketio.test_client(app, namespace="/screen", auth={"token": "rks_bad"},
                               flask_test_client=client)  # fmt: skip
    assert not bad.is_connected("/screen")


def test_listing_notifications_is_not_reading_them_opening_or_marking_is(client, session, person):
    sign_in(client, "czj.zhoujie")
    event = _red(session, person)
    _red(session, person, who="czj.liqiang")
    session.commit()
    home = client.get("/").get_data(as_text=True)
    assert 'id="unread" data-count="2"' in home and "js/bell.js" in home
    page = client.get("/notifications").get_data(as_text=True)
    assert "区财政局「整体超时」" in page and page.count('class="unread') == 2
    assert 'data-count="2"' in client.get("/").get_data(as_text=True)  # still unread
    from riskctl.alerts.models import Channel, Notification

    mine = session.scalars(
        sa.select(Notification.id).where(Notification.event_id == event.id,
                                         Notification.recipient_id == person("czj.zhoujie").id,
                                         Notification.channel == Channel.IN_APP)
    ).one()  # fmt: skip
    opened = client.get(f"/notifications/{mine}/open")
    assert opened.status_code == 302 and opened.location.endswith(f"/monitor/warnings/{event.id}")
    assert 'data-count="1"' in client.get("/").get_data(as_text=True)
    token = csrf_from(client.get("/notifications").get_data(as_text=True))
    marked = client.post("/notifications/read", data={"csrf_token": token})
    assert marked.status_code == 302
    assert 'data-count="0"' in client.get("/").get_data(as_text=True)
    assert client.get("/notifications/999999/open").status_code == 404


def test_a_burst_too_large_to_push_becomes_one_resync(app, client, session, person, kiosk,
                                                      monkeypatch):  # fmt: skip
    from riskctl.alerts import outbox

    monkeypatch.setattr(outbox, "PUSH_LIMIT", 3)
    screen = socketio.test_client(app, namespace="/screen", auth={"token": kiosk},
                                  flask_test_client=client)  # fmt: skip
    _red(session, person)
    _red(session, person, who="czj.liqiang")  # 2 × (4 in-app + 1 screen) rows: 10 > 3
    session.commit()
    received = _by_name(screen)
    assert len(received.get("warning", [])) + len(received.get("notification", [])) == 0
    assert len(received["resync"]) == 1  # the first 3 pushes were in-app, to people
    screen.disconnect("/screen")


def test_the_snapshot_shows_only_the_silences_of_the_screens_units_in_iso_dates(
    client, session, person, kiosk, token_for
):
    from riskctl.alerts.models import Silence

    _red(session, person)
    now = utcnow()
    for matcher, reason in (({"unit": "qjz"}, "前进镇集中整改"), ({"unit": "czj"}, "年底集中报销"),
                            ({"level": "yellow"}, "全区黄色预警暂停")):  # fmt: skip
        session.add(Silence(matcher=matcher, starts_at=now, ends_at=now + timedelta(hours=2),
                            reason=reason))  # fmt: skip
    session.flush()
    mine = client.get("/api/v1/screen/snapshot", headers=token_for("jw.liuhong")).json
    assert {s["reason"] for s in mine["silences"]} == {"年底集中报销", "全区黄色预警暂停"}
    every = client.get("/api/v1/screen/snapshot", headers={"X-Screen-Token": kiosk}).json
    assert "前进镇集中整改" in {s["reason"] for s in every["silences"]}
    for moment in (every["latest_red"][0]["created_at"], every["ticker"][0]["at"],
                   every["silences"][0]["ends_at"], every["generated_at"]):  # fmt: skip
        assert datetime.fromisoformat(moment).tzinfo is not None, moment


def test_a_screen_is_signalled_of_every_level_at_once(app, client, session, person, kiosk):
    """Orange and yellow are not pushed as warnings (the policy routes red to the screen)
    but the screen is told to reload its feed and counts at once, with ids and the level
    only (a kiosk sees aggregates)."""
    screen = socketio.test_client(app, namespace="/screen", auth={"token": kiosk},
                                  flask_test_client=client)  # fmt: skip
    yellow = warning(session, person, Level.YELLOW, notify=True)
    orange = warning(session, person, Level.ORANGE, unit="nmj", who="nmj.gaopeng", notify=True)
    session.commit()
    received = _by_name(screen)
    assert "warning" not in received
    signals = {(s["event_id"], s["level"], s["kind"]) for s in received["risk_event"]}
    assert signals == {(yellow.id, "yellow", "raised"), (orange.id, "orange", "raised")}
    assert all(set(s) == {"unit_id", "event_id", "level", "kind"} for s in received["risk_event"])
    screen.disconnect("/screen")


def test_a_warning_nobody_is_told_of_still_signals_the_screens(
    app, client, session, person, kiosk, monkeypatch
):
    """A unit without anyone the route names (区纪委 has no 纪检组长): no notification is
    written, yet the screens and monitors must reload (found by bench/deploy.py)."""
    monkeypatch.setattr(Notifier, "audience", lambda self, event, notify: [])
    screen = socketio.test_client(app, namespace="/screen", auth={"token": kiosk},
                                  flask_test_client=client)  # fmt: skip
    yellow = warning(session, person, Level.YELLOW, notify=True)
    session.commit()
    received = _by_name(screen)
    assert "notification" not in received and "warning" not in received
    assert {(s["event_id"], s["kind"]) for s in received["risk_event"]} == {(yellow.id, "raised")}
    screen.disconnect("/screen")
