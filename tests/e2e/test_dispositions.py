"""An inspector's disposition shows in the statistics by form (四种形态), table and chart."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.conftest import api_headers, sign_in

pytestmark = pytest.mark.browser


def test_a_disposition_is_counted_by_form_on_the_statistics_page(page, live_server):
    admin, inspector = api_headers(live_server, "admin"), api_headers(live_server, "jw.hexiaoping")
    scan = requests.post(f"{live_server}/api/v1/scan", json={}, headers=admin, timeout=60)
    assert scan.status_code == 200, scan.text
    before = requests.get(f"{live_server}/api/v1/stats/dispositions", headers=inspector,
                          timeout=10).json()  # fmt: skip
    first = {r["key"]: r["count"] for r in before["by_form"]}["first"]
    events = requests.get(f"{live_server}/api/v1/risk-events?status=open&limit=1",
                          headers=inspector, timeout=10).json()["items"]  # fmt: skip
    assert events, "the demo history raises warnings"
    done = requests.post(f"{live_server}/api/v1/risk-events/{events[0]['id']}/resolve",
                         json={"disposition": "reminder_talk", "note": "浏览器测试"},
                         headers=inspector, timeout=10)  # fmt: skip
    assert done.status_code == 200, done.text

    sign_in(page, live_server, "jw.hexiaoping")
    page.goto(f"{live_server}/monitor/statistics?period=year")
    page.wait_for_selector("#chart-forms canvas")
    row = page.locator('#form-table tr[data-key="first"]')
    assert row.locator("th").inner_text() == "第一种形态"
    assert int(row.locator("td").first.inner_text()) == first + 1
    talk = page.locator('#disposition-table tr[data-key="reminder_talk"] td')
    assert talk.first.inner_text() == "谈话提醒" and int(talk.nth(2).inner_text()) >= 1
    page.locator("#dispositions").scroll_into_view_if_needed()
    page.wait_for_timeout(500)  # the chart’s first frame
    page.full_page = True
