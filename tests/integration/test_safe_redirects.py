"""Every redirect target taken from a request goes through one helper: after signing in
(``next``), after a language switch (``next``) and after a monitor or workbench action
(``back``), a hostile value leads home (or back to the page the action belongs to), never
to another site, and never to a 500."""

from __future__ import annotations

from typing import Any

import pytest

from riskctl.org.demo import DEMO_PASSWORD
from riskctl.risk.models import Level
from tests.integration.test_monitor_pages import warning
from tests.integration.test_pages import csrf_from, sign_in

HOSTILE = [
    "/\t/evil.example",
    "//evil.example",
    "\\\\evil.example",
    "/\\evil.example",
    "https://evil.example",
    "javascript:alert(1)",
    "/\r\nSet-Cookie: stolen=1",
    "/%2F/evil.example",
    "/%5Cevil.example",
]


def location(response: Any) -> str:
    assert response.status_code == 302, response.status_code
    return str(response.headers["Location"])


@pytest.mark.parametrize("target", HOSTILE)
def test_login_ignores_a_hostile_next(client, target):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "admin", "password": DEMO_PASSWORD, "csrf_token": token},
    )
    assert location(response) == "/"


def test_login_with_a_crlf_in_next_is_not_a_500(client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=/%0D%0ASet-Cookie:%20stolen=1",
        data={"username": "admin", "password": DEMO_PASSWORD, "csrf_token": token},
    )
    assert location(response) == "/"
    assert "stolen" not in str(response.headers)


def test_login_keeps_a_path_on_this_site(client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=/monitor/warnings%3Fperiod%3Dtoday",
        data={"username": "admin", "password": DEMO_PASSWORD, "csrf_token": token},
    )
    assert location(response) == "/monitor/warnings?period=today"


@pytest.mark.parametrize("target", HOSTILE)
def test_the_language_switch_ignores_a_hostile_next(client, target):
    sign_in(client)
    token = csrf_from(client.get("/").get_data(as_text=True))
    response = client.post("/lang/en", data={"csrf_token": token, "next": target})
    assert location(response) == "/"


def test_the_language_switch_returns_to_the_page(client):
    sign_in(client)
    token = csrf_from(client.get("/").get_data(as_text=True))
    response = client.post("/lang/en", data={"csrf_token": token, "next": "/work?offset=30"})
    assert location(response) == "/work?offset=30"


@pytest.mark.parametrize("target", HOSTILE)
def test_a_monitor_action_ignores_a_hostile_back(client, session, person, target):
    event = warning(session, person, Level.ORANGE)
    session.commit()
    sign_in(client, "czj.zhoujie")
    token = csrf_from(client.get(f"/monitor/warnings/{event.id}").get_data(as_text=True))
    response = client.post(
        f"/monitor/warnings/{event.id}/acknowledge", data={"csrf_token": token, "back": target}
    )
    assert location(response) == f"/monitor/warnings/{event.id}"
