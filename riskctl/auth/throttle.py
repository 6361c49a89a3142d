"""Failed-login throttling: per username from one address, per address, per username.

Only failures count (``deduct_when``); once a limit is reached every attempt on that key
gets 429 until the window passes, the right password included, so guessing cannot go
on.  The limits (``RISKCTL_LOGIN_FAILURES_*``) are shared by the login page and
``POST /api/v1/auth/token``:

- per username *and* address (5 per 15 minutes): stops a guesser at one machine without
  locking the account for its owner at another;
- per address over all usernames (30 per 15 minutes): stops one machine trying many
  accounts;
- per username from any address (50 per hour): the account lock, against guessing spread
  over many machines.  One address alone never reaches it (it is stopped at 20 an hour).

An administrator's unlock (``flask riskctl user unlock``, the person's admin page) raises
the username's unlock generation, which is part of the username's keys: every count of
that username starts afresh.  Counters live in Redis when ``RISKCTL_REDIS_URL`` is set
(shared by all web processes), else in the process's memory; the generation lives in the
database, so an unlock from the CLI reaches every process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request
from flask_limiter.util import get_remote_address
from limits import parse_many

from riskctl.auth.services import unlock_generation
from riskctl.core.db import read_phase
from riskctl.extensions import db, limiter

F = TypeVar("F", bound=Callable[..., Any])
PER_USER_SCOPE = "login-user"


def attempted_username() -> str:
    name = request.form.get("username")
    if name is None:
        body = request.get_json(silent=True)
        name = body.get("username") if isinstance(body, dict) else None
    return str(name).strip().lower()[:64] if name else "-"


def user_key(username: str, generation: int) -> str:
    return f"user:{username}:{generation}"


def _user_key() -> str:
    if "login_user_key" not in g:
        name = attempted_username()
        generation = 0
        if name != "-":
            # Its own read transaction: the limiter asks before the view runs, and on
            # SQLite a sign-in must not wait for the write lock just to count failures.
            with read_phase(db.session):
                generation = unlock_generation(db.session, name)
        g.login_user_key = user_key(name, generation)
    return str(g.login_user_key)


def _user_address_key() -> str:
    return f"{_user_key()}@{get_remote_address()}"


def mark_failed_login() -> None:
    g.login_failed = True


def _failed(response: Any) -> bool:
    return bool(g.get("login_failed"))


def _settings() -> Any:
    return current_app.config["RISKCTL"]


def is_locked(username: str) -> bool:
    """Whether ``username`` has reached the per-username limit (the account lock) in this
    process's view of the counters (all processes' with Redis)."""
    key = user_key(username, unlock_generation(db.session, username))
    try:
        return any(
            not limiter.limiter.test(item, key, PER_USER_SCOPE)
            for item in parse_many(_settings().LOGIN_FAILURES_PER_USER)
        )
    except Exception:  # the counters' store is down: nothing to show
        current_app.logger.warning("login throttle storage unavailable", exc_info=True)
        return False


def throttle_failed_logins(view: F) -> F:
    per_user_and_address = limiter.shared_limit(
        lambda: _settings().LOGIN_FAILURES_PER_USER_AND_IP,
        scope="login-user-ip",
        key_func=_user_address_key,
        deduct_when=_failed,
    )
    per_address = limiter.shared_limit(
        lambda: _settings().LOGIN_FAILURES_PER_IP,
        scope="login-ip",
        key_func=get_remote_address,
        deduct_when=_failed,
    )
    per_user = limiter.shared_limit(
        lambda: _settings().LOGIN_FAILURES_PER_USER,
        scope=PER_USER_SCOPE,
        key_func=_user_key,
        deduct_when=_failed,
    )
    return per_address(per_user(per_user_and_address(view)))  # type: ignore[return-value]
