"""Extension objects, created unbound; ``create_app`` binds them with ``init_app``.

``db`` and ``babel`` are what every process needs.  The others serve requests (sign-in,
CSRF, the login throttle, Socket.IO) or migrations, and are made on first use: the
scheduler process (``flask riskctl scheduler``) serves no page and migrates nothing, and
importing Flask-SocketIO (with its clients' aiohttp and requests), Flask-Limiter or
Alembic there would cost it tens of megabytes (docs/benchmarks.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask_babel import Babel
from flask_sqlalchemy import SQLAlchemy

from riskctl.core.db import Base

if TYPE_CHECKING:
    from flask_limiter import Limiter
    from flask_login import LoginManager
    from flask_migrate import Migrate
    from flask_socketio import SocketIO
    from flask_wtf import CSRFProtect

    migrate: Migrate
    login_manager: LoginManager
    csrf: CSRFProtect
    limiter: Limiter
    socketio: SocketIO

db = SQLAlchemy(model_class=Base)
babel = Babel()


def _migrate() -> Any:
    from flask_migrate import Migrate

    return Migrate()


def _login_manager() -> Any:
    from flask_login import LoginManager

    return LoginManager()


def _csrf() -> Any:
    from flask_wtf import CSRFProtect

    return CSRFProtect()


def _limiter() -> Any:
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    # Counts failed logins only (see riskctl.auth.throttle); no limit applies by default.
    return Limiter(key_func=get_remote_address, default_limits=[])


def _socketio() -> Any:
    from flask_socketio import SocketIO

    # threading is pinned: an installed gevent would otherwise be auto-detected and break
    # the Redis message queue (design.md §6).
    return SocketIO(async_mode="threading")


_MADE_ON_FIRST_USE: dict[str, Callable[[], Any]] = {
    "migrate": _migrate,
    "login_manager": _login_manager,
    "csrf": _csrf,
    "limiter": _limiter,
    "socketio": _socketio,
}
_making = threading.Lock()


def __getattr__(name: str) -> Any:
    # Called only while ``name`` is not yet a global of this module: made once, then an
    # ordinary global (one object per process, as before).
    make = _MADE_ON_FIRST_USE.get(name)
    if make is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _making:
        found = globals().get(name)
        if found is None:
            found = globals()[name] = make()
        return found
