"""Security headers on every answer: a Content-Security-Policy that allows only this
site's own files, no framing (the big screen only where configured), nosniff, a
referrer policy, HSTS behind TLS; and templates without inline code for the CSP to
refuse."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from riskctl.alerts import services as alerts
from riskctl.core.access import SYSTEM_ADMIN

TEMPLATES = Path(__file__).resolve().parents[2] / "riskctl" / "templates"


def directives(response: Any) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    found = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        found[name] = value
    return found


@pytest.mark.parametrize("path", ["/login", "/", "/api/v1/healthz", "/api/docs", "/no-such-page"])
def test_every_answer_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = directives(response)
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'self'"
    assert csp["form-action"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert "http" not in response.headers["Content-Security-Policy"]  # nothing external
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP


def test_only_a_page_that_draws_a_diagram_allows_inline_styles(client, session):
    """Mermaid writes <style> and style attributes into its SVG and takes no nonce."""
    from riskctl.process.models import ProcessDefinition
    from tests.integration.test_pages import sign_in

    sign_in(client, "admin")
    assert directives(client.get("/"))["style-src"] == "'self'"
    row = session.scalars(sa.select(ProcessDefinition).limit(1)).one()
    page = client.get(f"/admin/processes/{row.unit.code}/{row.key}/v{row.version}")
    assert page.status_code == 200 and "mermaid.min.js" in page.get_data(as_text=True)
    csp = directives(page)
    assert csp["style-src"] == "'self' 'unsafe-inline'"
    assert csp["script-src"] == "'self'"


def test_hsts_is_sent_over_https_only(client):
    secure = client.get("/login", base_url="https://riskctl.example")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_the_screen_is_not_framed_by_default(client, session):
    token, _ = alerts.create_kiosk(session, SYSTEM_ADMIN, "大厅")
    page = client.get(f"/screen?token={token}", follow_redirects=True)
    assert page.status_code == 200
    assert directives(page)["frame-ancestors"] == "'none'"
    assert page.headers["X-Frame-Options"] == "DENY"


def test_the_screen_may_be_framed_where_configured(app, client, session):
    token, _ = alerts.create_kiosk(session, SYSTEM_ADMIN, "门户")
    settings = app.config["RISKCTL"]
    framed = "https://portal.example 'self'"
    app.config["RISKCTL"] = settings.model_copy(update={"SCREEN_FRAME_ANCESTORS": framed})
    try:
        screen = client.get(f"/screen?token={token}", follow_redirects=True)
        assert screen.status_code == 200
        assert directives(screen)["frame-ancestors"] == framed
        assert "X-Frame-Options" not in screen.headers
        # only the screen: every other page still refuses every frame
        login = client.get("/login")
        assert directives(login)["frame-ancestors"] == "'none'"
        assert login.headers["X-Frame-Options"] == "DENY"
    finally:
        app.config["RISKCTL"] = settings


@pytest.mark.parametrize(
    "value", ["*", "https://portal.example; script-src *", "javascript:", "'unsafe-inline'"]
)
def test_a_bad_frame_ancestor_setting_is_refused_at_start(value):
    from config import ConfigError, load

    with pytest.raises(ConfigError, match="SCREEN_FRAME_ANCESTORS"):
        load("testing", {"SCREEN_FRAME_ANCESTORS": value})


def test_no_template_has_code_the_policy_would_refuse():
    """Inline scripts, event handler attributes and style attributes are refused by the
    CSP; data for scripts goes in <script type="application/json">, code in static/js."""
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                problems.append(f"{path.name}: inline {tag}")
        for attribute in re.findall(r"""\s(on[a-z]+|style)\s*=\s*["']""", text):
            problems.append(f"{path.name}: {attribute}= attribute")
        if re.search(r"<style\b", text):
            problems.append(f"{path.name}: <style> element")
    assert problems == []
