"""Readiness checks of the services riskctl depends on."""

from __future__ import annotations

import sqlalchemy as sa

from riskctl.core.db import DbSession


def check_database(session: DbSession) -> str | None:
    """None when the database answers, else the problem."""
    try:
        session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        return f"database: {type(exc).__name__}"
    return None


def check_redis(url: str | None) -> str | None:
    if not url:
        return None
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        return f"redis: {type(exc).__name__}"
    return None
