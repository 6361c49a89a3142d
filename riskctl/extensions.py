"""Extension objects, created unbound; ``create_app`` binds them with ``init_app``."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from riskctl.core.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Counts failed logins only (see riskctl.auth.throttle); no limit applies by default.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# threading is pinned: an installed gevent would otherwise be auto-detected and break
# the Redis message queue (design.md §6).
socketio = SocketIO(async_mode="threading")
