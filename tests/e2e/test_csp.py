"""The pages work under the Content-Security-Policy, which runs no inline code and takes
nothing from outside: a violation is a console error, which fails the test (page
fixture).  The screen, the charts and the API documentation have tests of their own."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser


def test_the_unit_picker_and_the_process_diagram_work_under_the_policy(page, live_server):
    sign_in(page, live_server, "admin")
    response = page.goto(f"{live_server}/admin/processes")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    # Choosing another unit reloads the page with it (static/js/page.js, no onchange=).
    picker = page.locator("select#unit")
    other = picker.locator("option").nth(1).get_attribute("value")
    picker.select_option(other)
    page.wait_for_url(re.compile(rf".*[?&]unit={other}"))
    # A process version's diagram is drawn by Mermaid (static/js/diagram.js).
    page.locator("a[href*='/v']").first.click()
    page.wait_for_selector("pre.mermaid svg")
    page.shot_name = "process_diagram"
