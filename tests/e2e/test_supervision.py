"""A disposition followed through, in Chromium: an inspector disposes of a red warning
with 谈话提醒 and names the unit's discipline team leader as the talker; the talk is in
the talker's list, the talker records it; the warning shows the talk held."""

from __future__ import annotations

import re

import pytest
import requests

from tests.e2e.conftest import api_headers, sign_in

pytestmark = pytest.mark.browser
INSPECTOR = "jw.hexiaoping"  # scope: the five pilot units


def test_a_red_disposed_with_a_reminder_talk_is_held_and_the_warning_shows_it(
    page, live_server, browser
):
    headers = api_headers(live_server, INSPECTOR)
    reds = requests.get(f"{live_server}/api/v1/risk-events?level=red&status=open&limit=50",
                        headers=headers, timeout=10).json()["items"]  # fmt: skip
    event = next(e for e in reds if e["person"])  # a warning about someone's work
    sign_in(page, live_server, INSPECTOR)
    page.goto(f"{live_server}/monitor/warnings/{event['id']}")
    assert page.locator("#follow-up-talk").is_hidden()
    page.select_option("#disposition", "reminder_talk")
    assert page.locator("#follow-up-talk").is_visible()
    assert page.locator("#follow-up-rectification").is_hidden()
    talker = page.locator("#follow-up-talker option", has_text="纪检组长").first
    username = talker.get_attribute("value")
    page.select_option("#follow-up-talker", username)
    page.fill("#note", "浏览器测试：谈话提醒")
    page.fill("#follow-up-place", "局纪检组办公室")
    page.click("form[action$='/resolve'] button.primary")
    page.wait_for_selector("#follow-ups [data-follow-up-kind='talk']")
    planned = page.locator("#follow-ups [data-follow-up-kind='talk']")
    assert planned.get_attribute("data-state") == "planned" and "待谈话" in planned.inner_text()

    talker_tab = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    try:
        mine = talker_tab.new_page()
        errors: list[str] = []
        mine.on("pageerror", lambda e: errors.append(str(e)))
        mine.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        sign_in(mine, live_server, username)
        mine.goto(f"{live_server}/supervision/talks?mine=1")
        row = mine.locator("#talks tr", has_text="落实预警").first
        assert "谈话提醒" in row.inner_text() and "待谈话" in row.inner_text()
        row.locator("a").first.click()
        mine.wait_for_selector("#record-form")
        assert "局纪检组办公室" in mine.locator("#talk").inner_text()
        mine.fill("#record-text", "指出该事项办理中存在的问题，本人表示接受，立即整改。")
        mine.click("#record-form button.primary")
        mine.wait_for_selector("#record")
        assert mine.locator("#talk").get_attribute("data-status") == "held"
        assert re.search(r"\d{4}-\d{2}-\d{2}", mine.locator("#held-on").inner_text())
        assert errors == []
    finally:
        talker_tab.close()

    page.reload()
    held = page.locator("#follow-ups [data-follow-up-kind='talk']")
    assert held.get_attribute("data-state") == "held" and "已开展" in held.inner_text()
    page.locator("#follow-ups").scroll_into_view_if_needed()
