"""POST/DELETE /api/v1/auth/token, GET /api/v1/me, and failed-login throttling."""

from datetime import timedelta

import sqlalchemy as sa

from riskctl.auth.models import ApiToken
from riskctl.core.audit import AuditRecord
from riskctl.org.demo import DEMO_PASSWORD

TOKEN = "/api/v1/auth/token"


def login(client, username, password=DEMO_PASSWORD):
    return client.post(TOKEN, json={"username": username, "password": password})


def test_a_token_is_issued_for_the_right_password_and_stored_only_hashed(client, session):
    response = login(client, "czj.wangfang")
    assert response.status_code == 201
    body = response.json
    assert body["token"].startswith("rk_")
    assert body["user"]["username"] == "czj.wangfang"
    assert body["expires_at"].endswith("+00:00")
    stored = session.scalars(sa.select(ApiToken.token_hash)).all()
    assert body["token"] not in stored
    assert len(stored[-1]) == 64


def test_the_token_authenticates_api_calls(client):
    token = login(client, "czj.wangfang").json["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json["unit"] == "czj"
    assert me.json["unit_info"]["name"] == "区财政局"
    assert {p["code"] for p in me.json["current_posts"]} == {"handler", "purchaser"}
    assert me.json["roles"] == ["staff"]


def test_wrong_password_and_unknown_user_get_the_same_401(client):
    wrong = login(client, "czj.wangfang", "not-the-password-1")
    unknown = login(client, "nobody.here", "not-the-password-1")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.json["error"]["code"] == "invalid_credentials"
    assert wrong.json["error"]["message"] == unknown.json["error"]["message"]


def test_failed_logins_are_audited_even_though_the_request_fails(client, session):
    login(client, "czj.wangfang", "not-the-password-1")
    actions = session.scalars(
        sa.select(AuditRecord.action).where(AuditRecord.target_id == "czj.wangfang")
    ).all()
    assert "auth.login_failed" in actions


def test_repeated_failures_for_one_user_are_throttled_even_with_the_right_password(client):
    for _ in range(5):
        assert login(client, "czj.liujing", "guess-123").status_code == 401
    throttled = login(client, "czj.liujing")
    assert throttled.status_code == 429
    assert throttled.json["error"]["code"] == "rate_limited"
    assert "Retry-After" in throttled.headers
    # Another user from the same address is not locked out by this user's failures.
    assert login(client, "czj.chenli").status_code == 201


def test_failures_across_many_usernames_are_throttled_per_address(app, client):
    settings = app.config["RISKCTL"]
    app.config["RISKCTL"] = settings.model_copy(update={"LOGIN_FAILURES_PER_IP": "3 per hour"})
    try:
        for name in ("a.one", "b.two", "c.three"):
            assert login(client, name, "guess-123").status_code == 401
        assert login(client, "czj.chenli").status_code == 429
        other_address = client.post(
            TOKEN,
            json={"username": "czj.chenli", "password": DEMO_PASSWORD},
            environ_base={"REMOTE_ADDR": "10.1.2.3"},
        )
        assert other_address.status_code == 201
    finally:
        app.config["RISKCTL"] = settings


def test_a_revoked_token_no_longer_works(client):
    token = login(client, "czj.wangfang").json["token"]
    header = {"Authorization": f"Bearer {token}"}
    assert client.delete(TOKEN, headers=header).status_code == 204
    again = client.get("/api/v1/me", headers=header)
    assert again.status_code == 401
    assert again.json["error"]["code"] == "invalid_token"


def test_an_expired_token_no_longer_works(client, session, person):
    from riskctl.auth.services import issue_token

    token, row = issue_token(session, person("czj.wangfang"), ttl=timedelta(hours=1))
    row.expires_at = row.created_at - timedelta(seconds=1)
    session.flush()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_an_inactive_persons_token_stops_working(client, session, person, token_for):
    header = token_for("czj.wangfang")
    person("czj.wangfang").is_active = False
    session.flush()
    assert client.get("/api/v1/me", headers=header).status_code == 401


def test_a_malformed_authorization_header_is_401_not_500(client):
    for value in ("Basic abc", "Bearer", "Bearer    ", "token"):
        response = client.get("/api/v1/me", headers={"Authorization": value})
        assert response.status_code == 401, value
        assert response.json["error"]["code"] == "invalid_token"


def test_token_request_validation_errors_name_the_field(client):
    response = client.post(TOKEN, json={"username": "czj.wangfang"})
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed"
    assert response.json["error"]["details"] == [{"path": "password", "message": "必填"}]
    # A program without a session asks for its language: the token request too.
    english = client.post(TOKEN, json={"username": "czj.wangfang"},
                          headers={"Accept-Language": "en"})  # fmt: skip
    assert english.json["error"]["details"] == [
        {"path": "password", "message": "Missing data for required field."}
    ]
