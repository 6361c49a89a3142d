"""The Chinese login page, sessions with CSRF, and the home page."""

import re

from riskctl.org.demo import DEMO_PASSWORD


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client, username="admin", password=DEMO_PASSWORD):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})  # fmt: skip


def test_the_login_page_speaks_chinese_by_default(client):
    page = client.get("/login")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in html
    for text in ("廉政风险防控平台", "登录", "用户名", "密码"):
        assert text in html


def test_pages_need_a_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_the_demo_admin_signs_in_and_sees_the_home_page(client):
    response = sign_in(client)
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "欢迎，系统管理员" in home
    assert "/static/vendor/echarts.min.js" in home
    assert "区财政局" in home  # the head-count chart's table


def test_a_wrong_password_shows_a_chinese_error_and_401(client):
    response = sign_in(client, password="wrong-password-1")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_a_login_form_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # still signed out


def test_repeated_failures_throttle_the_login_page_with_a_chinese_message(client):
    for _ in range(5):
        assert sign_in(client, "czj.cashier", "wrong-password-1").status_code == 401
    throttled = sign_in(client, "czj.cashier", "wrong-password-1")
    assert throttled.status_code == 429
    assert "登录失败次数过多" in throttled.get_data(as_text=True)


def test_open_redirects_after_login_are_ignored(client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login?next=//evil.example/", data={
        "username": "admin", "password": DEMO_PASSWORD, "csrf_token": token})  # fmt: skip
    assert response.headers["Location"] == "/"


def test_sign_out_ends_the_session(client):
    sign_in(client)
    home = client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(home)})
    assert client.get("/").status_code == 302


def test_english_is_available(client):
    sign_in(client)
    home = client.get("/").get_data(as_text=True)
    client.post("/lang/en", data={"csrf_token": csrf_from(home), "next": "/"})
    english = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "Integrity Risk Control Platform" in english


def test_a_browser_session_calls_the_api_and_needs_csrf_for_changes(client):
    sign_in(client)
    assert client.get("/api/v1/me").json["username"] == "admin"
    body = {"code": "sess", "name": "会话单位", "kind": "department"}
    refused = client.post("/api/v1/units", json=body)
    assert refused.status_code == 400
    assert refused.json["error"]["code"] == "csrf_failed"
    token = csrf_from(client.get("/").get_data(as_text=True))
    accepted = client.post("/api/v1/units", json=body, headers={"X-CSRFToken": token})
    assert accepted.status_code == 201


def test_unknown_pages_are_html_404s(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_the_api_documentation_is_served_without_a_cdn(client):
    html = client.get("/api/docs").get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()


def test_every_template_compiles(app):
    """A template error would otherwise show only on the page that uses it."""
    names = [n for n in app.jinja_env.list_templates() if n.endswith(".html")]
    assert len(names) > 20
    for name in names:
        app.jinja_env.get_template(name)
