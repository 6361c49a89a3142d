"""The big screen in a real browser: a kiosk opens it with its token, it draws from locally
served ECharts and Socket.IO, and a new red warning appears without reloading.  No panel
is ever blank (it shows its content or 暂无) and every time reads 2026-12-02 14:05."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import requests

from tests.e2e.conftest import api_headers

pytestmark = pytest.mark.browser

LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
# What each panel holds: a chart's data points with a value, a list's rows with text.
PANELS_JS = """() => [...document.querySelectorAll('[data-empty-for]')].map((note) => {
  const target = document.getElementById(note.dataset.emptyFor);
  let items = 0;
  if (target.classList.contains('chart')) {
    const option = echarts.getInstanceByDom(target).getOption() || {};
    (option.series || []).forEach((s) => (s.data || []).forEach((d) => {
      const v = d !== null && typeof d === 'object' ? d.value : d;
      if (+v > 0) items += 1;
    }));
  } else {
    items = [...target.children].filter((c) => c.innerText.trim() !== '').length;
  }
  const shown = !note.hidden && note.getClientRects().length > 0;
  return { panel: note.dataset.emptyFor, items, says: shown ? note.innerText.trim() : null };
})"""


def open_screen(page: Any, live_server: str, live_cli: Any) -> str:
    token = live_cli("riskctl", "screen-token", "端到端测试大屏").split("token=")[1].strip()
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{live_server}/screen?token={token}")
    page.wait_for_selector("#link.live")
    page.wait_for_function("() => document.getElementById('count-red').textContent !== '–'")
    page.wait_for_timeout(500)  # let the charts draw
    return token


def assert_no_blank_panel(page: Any) -> None:
    panels = page.evaluate(PANELS_JS)
    assert len(panels) == 6, panels
    for panel in panels:
        if panel["items"]:
            assert panel["says"] is None, panel
        else:
            assert panel["says"] == "暂无", panel
    for section in page.locator("section").all():
        assert section.inner_text().strip(), section.get_attribute("class")
    text = page.locator("body").inner_text()
    for broken in ("undefined", "null", "NaN", "[object"):
        assert broken not in text, broken


def assert_times_zero_padded(page: Any) -> None:
    clock = page.locator("#clock").inner_text()
    assert LOCAL_TIME.fullmatch(clock), clock
    for moment in page.locator("time").all_inner_texts():
        assert LOCAL_TIME.fullmatch(moment), moment
    text = page.locator("body").inner_text()
    assert not re.search(r"\d{4}/\d{1,2}/\d{1,2}", text), "a date as 2026/12/2"


def test_every_panel_shows_something_or_says_so_and_times_are_zero_padded(
    page, live_server, live_cli
):
    token = open_screen(page, live_server, live_cli)
    assert_no_blank_panel(page)
    assert_times_zero_padded(page)
    # The feed shows the warnings of every level the snapshot holds, each named by the
    # policy's label, newest first.
    snap = requests.get(f"{live_server}/api/v1/screen/snapshot",
                        headers={"X-Screen-Token": token}, timeout=10).json()  # fmt: skip
    rows = page.evaluate("() => [...document.querySelectorAll('#ticker li')].map((li) => "
                         "({level: li.dataset.level, badge: li.querySelector('.badge')"
                         "?.textContent, unit: li.querySelector('b')?.textContent}))")  # fmt: skip
    assert {r["level"] for r in rows} == {e["level"] for e in snap["feed"]}
    for row in rows:
        assert row["badge"] == snap["level_labels"][row["level"]]["zh"], row
        assert row["unit"], row
    units = page.locator("#units li.unit b").all_inner_texts()
    assert units and set(units) <= {u["name"] for u in snap["units"]}
    page.shot_name = "screen-panels"


def test_a_screen_with_nothing_to_show_says_so_in_every_panel(page, live_server, live_cli):
    token = live_cli("riskctl", "screen-token", "端到端测试大屏").split("token=")[1].strip()
    snap = requests.get(f"{live_server}/api/v1/screen/snapshot",
                        headers={"X-Screen-Token": token}, timeout=10).json()  # fmt: skip
    # A quiet district (or a new installation): no unit in reach, nothing raised.
    quiet = {**snap, "levels": dict.fromkeys(snap["levels"], 0), "units": [], "nodes": [],
             "trend": [{"day": d["day"], "red": 0, "orange": 0, "yellow": 0}
                       for d in snap["trend"]],
             "latest_red": [], "ticker": [], "feed": [], "silences": []}  # fmt: skip
    page.route("**/api/v1/screen/snapshot", lambda route: route.fulfill(json=quiet))
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{live_server}/screen?token={token}")
    page.wait_for_selector("#link.live")
    page.wait_for_function("() => document.getElementById('count-red').textContent === '0'")
    panels = page.evaluate(PANELS_JS)
    assert [p["says"] for p in panels] == ["暂无"] * 6, panels
    assert_no_blank_panel(page)
    assert_times_zero_padded(page)
    page.shot_name = "screen-quiet"


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
        assert_no_blank_panel(page)
        assert_times_zero_padded(page)
        page.shot_name = "screen"  # saved by the fixture, with the console checked
    finally:
        restore = {"thresholds": before["thresholds"], "comment": "端到端测试结束"}
        requests.put(f"{live_server}/api/v1/policy", json=restore, headers=headers, timeout=10)
    outside = [u for u in page.requests_seen if not u.startswith(live_server.replace("http", "ws"))
               and not u.startswith(live_server)]  # fmt: skip
    assert outside == []
    assert errors == []
