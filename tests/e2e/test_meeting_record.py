"""The meeting secretary (档案管理) records a 三重一大 meeting in the browser: the roster by
name and post, who was present, each member's view in the order spoken (the chair last),
the minutes — and the item goes on, its page showing the meeting."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
import requests

from tests.e2e.conftest import api_headers, sign_in
from tests.integration.test_meetings import SECRETARY, at_meeting
from tests.integration.test_workflow import START_FIELDS, Driver

pytestmark = pytest.mark.browser


class _Answer:
    def __init__(self, response: requests.Response) -> None:
        self.status_code = response.status_code
        self.json = response.json()

    def get_json(self) -> Any:
        return self.json


class _Http:
    """The test client's calls the integration tests' Driver makes, over HTTP."""

    def __init__(self, base: str) -> None:
        self.base = base

    def post(self, path: str, json: Any, headers: dict[str, str]) -> _Answer:
        return _Answer(requests.post(self.base + path, json=json, headers=headers, timeout=30))

    def get(self, path: str, headers: dict[str, str]) -> _Answer:
        return _Answer(requests.get(self.base + path, headers=headers, timeout=30))


def test_the_secretary_records_a_meeting_and_the_item_goes_on(page, live_server):
    tokens = cache(lambda who: api_headers(live_server, who))
    fields = START_FIELDS["major_decision"] | {"topic": "浏览器测试：会议室改造"}
    task = at_meeting(Driver(_Http(live_server), tokens), fields)

    sign_in(page, live_server, SECRETARY)
    page.goto(f"{live_server}/work")
    page.locator(f'a[href="/tasks/{task["id"]}"]').first.click()
    page.wait_for_url(f"{live_server}/tasks/{task['id']}/meeting")
    rows = page.locator("table.meeting-members tbody tr")
    assert rows.count() >= 2
    roster = rows.all_inner_texts()
    assert any("（区财政局·" in r for r in roster)  # name and post, never a username
    assert not any("czj." in r for r in roster)
    chair = next(i for i, r in enumerate(roster) if "（主持人）" in r)
    order = 1
    for i in range(rows.count()):
        row = rows.nth(i)
        row.locator('select[name^="view_"]').select_option("agree")
        place = rows.count() if i == chair else order
        row.locator('input[name^="order_"]').fill(str(place))
        if i != chair:
            order += 1
    page.fill("#minutes", "会议讨论了会议室改造议题，与会成员逐一发表意见，主持人最后表态。")
    page.click("#meeting button.primary")
    page.wait_for_url(f"{live_server}/items/{task['item_id']}")
    record = page.locator("#meetings")
    assert "同意" in record.inner_text() and "会议室改造议题" in record.inner_text()
    item = requests.get(f"{live_server}/api/v1/items/{task['item_id']}",
                        headers=tokens(SECRETARY), timeout=30).json()  # fmt: skip
    assert all(t["node"] != task["node"] for t in item["tasks"])  # the meeting node is done
