"""A kiosk's token in ``/screen?token=…`` is taken once: the answer moves it into a
cookie and sends the browser to ``/screen`` without it, and the access log never shows
it."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from riskctl.alerts import services as alerts
from riskctl.core.access import SYSTEM_ADMIN

COOKIE = "riskctl_screen"


@pytest.fixture
def kiosk(session: Any) -> str:
    token, _ = alerts.create_kiosk(session, SYSTEM_ADMIN, "纪委大厅")
    session.flush()
    return token


def test_the_token_in_the_address_is_moved_into_a_cookie(client, kiosk):
    first = client.get(f"/screen?token={kiosk}")
    assert first.status_code == 302 and first.headers["Location"] == "/screen"
    (set_cookie,) = first.headers.getlist("Set-Cookie")
    assert set_cookie.startswith(f"{COOKIE}={kiosk};")
    for attribute in ("HttpOnly", "Path=/;", "SameSite=Lax", "Max-Age="):
        assert attribute in set_cookie, attribute
    page = client.get("/screen")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "screen-config" in html and kiosk not in html  # the page never holds the token
    assert client.get_cookie(COOKIE, path="/").value == kiosk


def test_the_cookie_alone_opens_the_screen_after_a_restart(app, kiosk):
    browser = app.test_client()
    browser.set_cookie(COOKIE, kiosk, path="/")
    assert browser.get("/screen").status_code == 200


def test_the_cookie_alone_loads_the_snapshot_and_joins_the_screen(app, kiosk):
    from riskctl.extensions import socketio

    browser = app.test_client()
    browser.set_cookie(COOKIE, kiosk, path="/")
    snapshot = browser.get("/api/v1/screen/snapshot")
    assert snapshot.status_code == 200 and "levels" in snapshot.json
    screen = socketio.test_client(app, namespace="/screen", flask_test_client=browser)
    assert screen.is_connected("/screen")
    screen.disconnect("/screen")
    stranger = app.test_client()
    stranger.set_cookie(COOKIE, "rks_wrong", path="/")
    assert stranger.get("/api/v1/screen/snapshot").status_code == 401


def test_a_kiosk_set_up_before_keeps_working_and_its_cookie_moves_to_the_site(app, kiosk):
    browser = app.test_client()
    browser.set_cookie(COOKIE, kiosk, path="/screen")  # as older versions kept it
    page = browser.get("/screen")
    assert page.status_code == 200
    cookies = page.headers.getlist("Set-Cookie")
    assert any(c.startswith(f"{COOKIE}={kiosk};") and "Path=/;" in c for c in cookies)
    assert any(c.startswith(f"{COOKIE}=;") and "Path=/screen" in c for c in cookies)


def test_a_wrong_token_in_the_address_is_refused_and_sets_nothing(client):
    refused = client.get("/screen?token=rks_wrong")
    assert refused.status_code == 403
    assert not any(c.startswith(COOKIE) for c in refused.headers.getlist("Set-Cookie"))


def test_a_revoked_kiosks_cookie_is_refused_and_dropped(app, client, session, kiosk):
    client.get(f"/screen?token={kiosk}")
    row = alerts.kiosk_for(session, kiosk)
    assert row is not None
    from riskctl.core.clock import utcnow

    row.revoked_at = utcnow()
    session.flush()
    refused = client.get("/screen")
    assert refused.status_code == 403
    assert f"{COOKIE}=;" in ";".join(refused.headers.getlist("Set-Cookie"))  # deleted
    assert client.get("/screen").status_code == 302  # now simply to the login page


def test_without_a_token_or_a_session_the_screen_asks_for_a_login(client):
    response = client.get("/screen")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_access_log_does_not_show_the_token(app, caplog):
    token = "rks_" + "s3cret" * 6
    line = f'"GET /screen?token={token}&x=1 HTTP/1.1" 302 -'
    caplog.set_level(logging.INFO, logger="gunicorn.access")
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        # what werkzeug's request handler logs for each request
        logging.getLogger("werkzeug").info("%s - - [%s] %s", "127.0.0.1", "01/Dec/2026", line)
        logging.getLogger("gunicorn.access").info(
            "%(h)s %(r)s", {"h": "127.0.0.1", "r": f"GET /api/v1/screen/snapshot?token={token}"}
        )
    text = caplog.text
    assert token not in text and "s3cret" not in text
    assert "token=[redacted]&x=1" in text
    assert "snapshot?token=[redacted]" in text
