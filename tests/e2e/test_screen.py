"""The big screen in a real browser: a kiosk opens it with its token, it draws from locally
served ECharts and Socket.IO, and a new red warning appears without reloading."""

from __future__ import annotations

import time

import pytest
import requests

from tests.e2e.conftest import api_headers

pytestmark = pytest.mark.browser


def test_a_new_red_appears_on_the_big_screen_without_reloading(page, live_server, live_cli):
    token = live_cli("riskctl", "screen-token", "端到端测试大屏").split("token=")[1].strip()
    errors: list[str] = []  # console errors fail the test in the page fixture; these are HTTP
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{live_server}/screen?token={token}")
    page.wait_for_selector("#link.live")
    page.wait_for_selector("#units li.unit")
    page.wait_for_selector("#chart-trend canvas")
    reds = int(page.locator("#count-red").inner_text())
    seq = page.evaluate("Math.max(0, ...[...document.querySelectorAll('#ticker li')]"
                        ".map(li => +li.dataset.seq))")  # fmt: skip

    # An administrator lowers the red threshold and scans: warnings already open become
    # red, and the screen is told at once.
    headers = api_headers(live_server, "admin")
    before = requests.get(f"{live_server}/api/v1/policy", headers=headers, timeout=10).json()
    lowered = {"thresholds": {"red": 21, "orange": 15, "yellow": 10}, "comment": "端到端测试"}
    assert requests.put(f"{live_server}/api/v1/policy", json=lowered, headers=headers,
                        timeout=10).status_code == 200  # fmt: skip
    try:
        scan = requests.post(f"{live_server}/api/v1/scan", json={"full": True},
                             headers=headers, timeout=60)  # fmt: skip
        committed = time.monotonic()
        assert scan.status_code == 200 and scan.json()["updated"] > 0
        # Predicates as functions: Playwright evaluates a bare expression with eval(),
        # which the page's Content-Security-Policy refuses (as it should).
        page.wait_for_function(
            f"() => [...document.querySelectorAll('#ticker li')].some("
            f"li => +li.dataset.seq > {seq} && li.dataset.level === 'red')",
            timeout=10_000,
        )
        seen = time.monotonic() - committed
        print(f"the red reached the screen {seen * 1000:.0f} ms after the scan answered")
        # the tiles follow from a fresh snapshot a moment later
        page.wait_for_function(
            f"() => +document.getElementById('count-red').textContent > {reds}", timeout=10_000
        )
        page.wait_for_timeout(1500)  # let the charts finish their transition
        page.shot_name = "screen"  # saved by the fixture, with the console checked
    finally:
        restore = {"thresholds": before["thresholds"], "comment": "端到端测试结束"}
        requests.put(f"{live_server}/api/v1/policy", json=restore, headers=headers, timeout=10)
    outside = [u for u in page.requests_seen if not u.startswith(live_server.replace("http", "ws"))
               and not u.startswith(live_server)]  # fmt: skip
    assert outside == []
    assert errors == []
