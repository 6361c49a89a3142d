"""/api/v1/readyz checks the database and, when configured, Redis."""

import pytest
import redis

from tests.conftest import REDIS_URL, make_app, need_service


@pytest.fixture
def redis_url():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        need_service("Redis", str(exc))
    return REDIS_URL


def test_ready_when_the_database_answers(client):
    body = client.get("/api/v1/readyz").json
    assert body == {"status": "ready", "checks": {"database": "ok", "redis": "not configured"}}


@pytest.mark.redis
def test_ready_with_redis_configured_and_up(app, redis_url):
    settings = app.config["RISKCTL"]
    app.config["RISKCTL"] = settings.model_copy(update={"REDIS_URL": redis_url})
    try:
        body = app.test_client().get("/api/v1/readyz").json
    finally:
        app.config["RISKCTL"] = settings
    assert body["checks"]["redis"] == "ok"


def test_not_ready_when_redis_is_down(app):
    settings = app.config["RISKCTL"]
    app.config["RISKCTL"] = settings.model_copy(update={"REDIS_URL": "redis://127.0.0.1:1/0"})
    try:
        response = app.test_client().get("/api/v1/readyz")
    finally:
        app.config["RISKCTL"] = settings
    assert response.status_code == 503
    assert response.json["status"] == "not_ready"
    assert response.json["checks"]["redis"].startswith("redis:")


def test_not_ready_when_the_database_is_unreachable(tmp_path):
    app = make_app("postgresql://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/api/v1/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"].startswith("database:")


@pytest.mark.redis
def test_rate_limits_are_shared_through_redis_when_configured(redis_url, tmp_path):
    """Two web processes share login-failure counters through Redis."""
    from flask_migrate import upgrade

    from riskctl.extensions import limiter

    url = f"sqlite:///{tmp_path / 'x.db'}"
    first, second = make_app(url, REDIS_URL=redis_url), make_app(url, REDIS_URL=redis_url)
    with first.app_context():
        upgrade()
        limiter.reset()
    body = {"username": "shared.counter", "password": "wrong-pass-1"}
    for _ in range(5):
        assert first.test_client().post("/api/v1/auth/token", json=body).status_code == 401
    response = second.test_client().post("/api/v1/auth/token", json=body)
    assert response.status_code == 429
    with first.app_context():
        limiter.reset()
