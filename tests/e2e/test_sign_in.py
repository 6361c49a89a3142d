"""In a real browser against a served riskctl: the Chinese login page, the demo admin signs
in, the home page draws its chart from locally served ECharts, nothing comes from outside."""

import pytest

from riskctl.org.demo import DEMO_PASSWORD
from tests.e2e.conftest import submit_login

pytestmark = pytest.mark.browser


def test_the_demo_admin_signs_in_and_sees_the_home_chart(page, live_server):
    page.goto(f"{live_server}/login")
    assert "登录" in page.title()
    assert page.locator("label[for=username]").inner_text() == "用户名"
    submit_login(page, live_server, "admin", DEMO_PASSWORD)
    page.wait_for_url(f"{live_server}/")
    assert page.locator("h1").inner_text() == "欢迎，系统管理员"
    # ECharts drew the head-count chart (a canvas inside the chart element).
    page.wait_for_selector("#headcount canvas")
    assert page.evaluate("typeof echarts") == "object"
    outside = [u for u in page.requests_seen if not u.startswith(live_server)]
    assert outside == [], "the page fetched something from outside the server"


def test_a_wrong_password_shows_the_chinese_error(page, live_server):
    submit_login(page, live_server, "admin", "wrong-password-1")
    assert "用户名或密码错误" in page.locator(".flash.error").inner_text()
    assert page.url.startswith(f"{live_server}/login")
    # The refused login answers 401, which Chromium reports on the console: expected here.
    page.console_errors[:] = [e for e in page.console_errors if "401" not in e]


def test_the_api_documentation_page_loads_swagger_locally(page, live_server):
    page.goto(f"{live_server}/api/docs")
    page.wait_for_selector(".swagger-ui .info")
    assert "riskctl" in page.locator(".swagger-ui .info").inner_text()
