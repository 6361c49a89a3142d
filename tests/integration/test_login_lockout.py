"""The login throttle: wrong passwords are counted per username *and* address first, so
failures from one machine do not lock the account for everyone; the account itself
locks only at a much higher count, from any address, until the window passes or an
administrator unlocks it (CLI or the person's admin page), which is audited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from riskctl.core.audit import AuditRecord
from riskctl.org.demo import DEMO_PASSWORD
from tests.integration.test_pages import csrf_from, sign_in

TOKEN = "/api/v1/auth/token"
WRONG = "guess-1234"


def attempt(client: Any, username: str, password: str, address: str = "127.0.0.1") -> int:
    response = client.post(
        TOKEN,
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )
    return int(response.status_code)


@pytest.fixture
def low_account_limit(app: Any) -> Iterator[None]:
    """The account locks after 6 failures (the default is much higher)."""
    settings = app.config["RISKCTL"]
    app.config["RISKCTL"] = settings.model_copy(update={"LOGIN_FAILURES_PER_USER": "6 per hour"})
    yield
    app.config["RISKCTL"] = settings


def lock(client: Any, username: str) -> None:
    for n in range(6):  # three machines, two failures each: under the per-address limit
        assert attempt(client, username, WRONG, f"10.0.0.{n % 3 + 1}") == 401
    assert attempt(client, username, DEMO_PASSWORD, "10.0.9.9") == 429


def audited_unlocks(session: Any, username: str) -> list[str]:
    return list(
        session.scalars(
            sa.select(AuditRecord.source).where(
                AuditRecord.action == "auth.unlocked", AuditRecord.target_id == username
            )
        )
    )


def test_failures_from_one_address_do_not_lock_the_account_elsewhere(client):
    for _ in range(5):
        assert attempt(client, "czj.liujing", WRONG, "10.0.0.66") == 401
    assert attempt(client, "czj.liujing", DEMO_PASSWORD, "10.0.0.66") == 429
    # The person at their own desk still signs in.
    assert attempt(client, "czj.liujing", DEMO_PASSWORD, "10.0.0.7") == 201


def test_the_default_account_limit_is_much_higher_than_the_per_address_one(app):
    settings = app.config["RISKCTL"]
    from limits import parse

    per_pair = parse(settings.LOGIN_FAILURES_PER_USER_AND_IP)
    per_user = parse(settings.LOGIN_FAILURES_PER_USER)
    assert per_user.amount >= 10 * per_pair.amount


def test_the_account_locks_at_the_higher_count_from_any_address(client, low_account_limit):
    lock(client, "czj.liujing")
    assert attempt(client, "czj.liujing", DEMO_PASSWORD, "10.0.8.8") == 429
    assert attempt(client, "czj.chenli", DEMO_PASSWORD, "10.0.8.8") == 201  # others are not


def test_an_administrator_unlocks_an_account_from_the_cli(app, client, session, low_account_limit):
    lock(client, "czj.liujing")
    result = app.test_cli_runner().invoke(args=["riskctl", "user", "unlock", "czj.liujing"])
    assert result.exit_code == 0, result.output
    assert "czj.liujing" in result.output
    assert attempt(client, "czj.liujing", DEMO_PASSWORD, "10.0.9.9") == 201
    assert audited_unlocks(session, "czj.liujing") == ["cli user unlock"]


def test_unlocking_also_clears_the_per_address_counts(app, client):
    for _ in range(5):
        assert attempt(client, "czj.liujing", WRONG) == 401
    assert attempt(client, "czj.liujing", DEMO_PASSWORD) == 429
    unlocked = app.test_cli_runner().invoke(args=["riskctl", "user", "unlock", "czj.liujing"])
    assert unlocked.exit_code == 0
    assert attempt(client, "czj.liujing", DEMO_PASSWORD) == 201


def test_unlocking_an_unknown_person_fails_on_the_cli(app):
    result = app.test_cli_runner().invoke(args=["riskctl", "user", "unlock", "nobody.here"])
    assert result.exit_code != 0 and "nobody.here" in result.output


def test_an_administrator_unlocks_an_account_on_the_person_page(
    app, client, session, low_account_limit
):
    lock(client, "czj.liujing")
    admin = app.test_client()
    sign_in(admin, "admin")
    page = admin.get("/admin/people/czj.liujing").get_data(as_text=True)
    assert 'action="/admin/people/czj.liujing/unlock"' in page
    assert "登录已锁定" in page  # the page says the account is locked
    unlocked = admin.post("/admin/people/czj.liujing/unlock", data={"csrf_token": csrf_from(page)})
    assert unlocked.status_code == 302
    assert unlocked.headers["Location"] == "/admin/people/czj.liujing"
    assert "已解除" in admin.get("/admin/people/czj.liujing").get_data(as_text=True)
    assert attempt(client, "czj.liujing", DEMO_PASSWORD, "10.0.9.9") == 201
    assert [s.split()[0] for s in audited_unlocks(session, "czj.liujing")] == ["web"]


def test_only_administrators_unlock(app, client):
    sign_in(client, "jw.hexiaoping")
    token = csrf_from(client.get("/").get_data(as_text=True))
    refused = client.post("/admin/people/czj.liujing/unlock", data={"csrf_token": token})
    assert refused.status_code == 403
    without_csrf = app.test_client()
    sign_in(without_csrf, "admin")
    assert without_csrf.post("/admin/people/czj.liujing/unlock").status_code == 400
