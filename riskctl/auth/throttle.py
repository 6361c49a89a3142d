"""Failed-login throttling, per username and per client address.

Only failures count (``deduct_when``); once a limit is reached every attempt on that key
gets 429 until the window passes, the right password included, so guessing cannot go
on.  The limits are shared by the login page and ``POST /api/v1/auth/token``.  Counters
live in Redis when ``RISKCTL_REDIS_URL`` is set (shared by all web processes), else in
the process's memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request
from flask_limiter.util import get_remote_address

from riskctl.extensions import limiter

F = TypeVar("F", bound=Callable[..., Any])


def attempted_username() -> str:
    name = request.form.get("username")
    if name is None:
        body = request.get_json(silent=True)
        name = body.get("username") if isinstance(body, dict) else None
    return "user:" + (str(name).strip().lower()[:64] if name else "-")


def mark_failed_login() -> None:
    g.login_failed = True


def _failed(response: Any) -> bool:
    return bool(g.get("login_failed"))


def _settings() -> Any:
    return current_app.config["RISKCTL"]


def throttle_failed_logins(view: F) -> F:
    per_user = limiter.shared_limit(
        lambda: _settings().LOGIN_FAILURES_PER_USER,
        scope="login-user",
        key_func=attempted_username,
        deduct_when=_failed,
    )
    per_ip = limiter.shared_limit(
        lambda: _settings().LOGIN_FAILURES_PER_IP,
        scope="login-ip",
        key_func=get_remote_address,
        deduct_when=_failed,
    )
    return per_ip(per_user(view))  # type: ignore[return-value]
