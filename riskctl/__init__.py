"""riskctl — 廉政风险防控平台.  ``create_app`` is the only application factory."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from flask import Flask, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

import config as riskctl_config
from riskctl.core.db import engine_url

Role = Literal["web", "scheduler"]


def create_app(
    env: str | None = None, overrides: Mapping[str, Any] | None = None, role: Role = "web"
) -> Flask:
    """``role="scheduler"``: the application of the production scheduler process
    (``flask riskctl scheduler``), which serves no page: its database, translations and
    the signals its jobs send, without the pages, the API, sign-in and Socket.IO — and
    without importing them (riskctl.extensions)."""
    settings = riskctl_config.load(env, overrides)
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent.parent / "instance"))
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Chinese text as is (api.md)
    _configure(app, settings)
    if role == "scheduler":
        _bind_scheduler(app, settings)
        return app
    _bind_extensions(app, settings)
    _register(app)
    return app


def role_of(argv: Sequence[str]) -> Role:
    """The role a process's command line asks for: ``flask … riskctl [--lang L] scheduler
    …`` runs the scheduler; anything else (gunicorn, the other commands) the web."""
    words = list(argv[1:])
    if "riskctl" not in words:
        return "web"
    after = words[words.index("riskctl") + 1 :]
    n = 0
    while n < len(after) and after[n].startswith("-"):
        n += 2 if after[n] == "--lang" else 1  # the group's one option with a value
    return "scheduler" if after[n : n + 1] == ["scheduler"] else "web"


def _bind_scheduler(app: Flask, settings: Any) -> None:
    from riskctl import models  # noqa: F401  (every mapper, for the jobs' queries)
    from riskctl.alerts import push
    from riskctl.core import calendar_store
    from riskctl.core.commands import riskctl_group
    from riskctl.core.db import configure_sqlite
    from riskctl.core.locale import outside_request
    from riskctl.education import jobs as education_jobs
    from riskctl.extensions import babel, db
    from riskctl.scheduler.cli import scheduler
    from riskctl.supervision import receivers as supervision_receivers

    db.init_app(app)
    calendar_store.configure(settings.TIMEZONE)
    configure_sqlite(settings.SQLITE_SYNCHRONOUS, settings.SQLITE_BUSY_TIMEOUT_MS)
    babel.init_app(app, locale_selector=outside_request)
    # What the web process connects too: a job's signal reaches the same receivers.
    supervision_receivers.connect()
    education_jobs.connect()
    # It serves no clients: it publishes to the web processes through Redis, or, without
    # Redis, reaches nobody (one role a process: this is for the whole process).
    if settings.REDIS_URL:
        push.use_message_queue(settings.REDIS_URL, settings.SOCKETIO_CHANNEL)
    else:
        push.use_no_clients()
    commands = riskctl_group()
    commands.add_command(scheduler)
    app.cli.add_command(commands)


def _configure(app: Flask, settings: Any) -> None:
    url = engine_url(settings.DATABASE_URL)
    if url.startswith("postgresql"):
        from riskctl.core.db import cache_long_statements

        cache_long_statements()
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    app.config.update(
        RISKCTL=settings,
        SECRET_KEY=settings.SECRET_KEY,
        SQLALCHEMY_DATABASE_URI=url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True} if not url.startswith("sqlite") else {},
        MAX_CONTENT_LENGTH=settings.MAX_BODY_BYTES,
        RISKCTL_UPLOAD_DIR=settings.UPLOAD_DIR,
        RISKCTL_ATTACHMENT_MAX_BYTES=settings.ATTACHMENT_MAX_BYTES,
        RISKCTL_STUDY_MATERIAL_MAX_BYTES=settings.STUDY_MATERIAL_MAX_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.SESSION_COOKIE_SECURE,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        RATELIMIT_STORAGE_URI=settings.REDIS_URL or "memory://",
        RATELIMIT_HEADERS_ENABLED=True,
        # Redis down: count in memory meanwhile rather than fail every login.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_SWALLOW_ERRORS=True,
        BABEL_DEFAULT_LOCALE=settings.DEFAULT_LOCALE,
        BABEL_DEFAULT_TIMEZONE=settings.TIMEZONE,
        API_TITLE="riskctl 廉政风险防控平台 API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Served from our own static files: no CDN on the intranet.
        OPENAPI_SWAGGER_UI_URL="/static/vendor/swagger-ui/",
    )
    if settings.PROXY_HOPS:
        hops = settings.PROXY_HOPS
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )
    logging.basicConfig(
        level=settings.LOG_LEVEL, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Alembic announces each of its plugins at INFO on every start; that is noise.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    from riskctl.scheduler import quiet_apscheduler

    quiet_apscheduler(settings.LOG_LEVEL)  # its every run at INFO; our jobs say what they did
    from riskctl.auth.kiosk import redact_access_logs

    redact_access_logs()  # a kiosk's ?token= never reaches the access log


def _bind_extensions(app: Flask, settings: Any) -> None:
    from riskctl import models  # noqa: F401  (the whole schema, for Alembic)
    from riskctl.api import api, handle_domain_error
    from riskctl.core import calendar_store
    from riskctl.core.busy import handle_database_error
    from riskctl.core.db import configure_sqlite
    from riskctl.core.errors import DomainError
    from riskctl.extensions import babel, csrf, db, limiter, login_manager, migrate, socketio
    from riskctl.web import render_error, select_locale

    db.init_app(app)
    _transaction_kinds(app)  # before any other hook can touch the database
    calendar_store.configure(settings.TIMEZONE)
    configure_sqlite(settings.SQLITE_SYNCHRONOUS, settings.SQLITE_BUSY_TIMEOUT_MS)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # type: ignore[assignment]
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    socketio.init_app(
        app, message_queue=settings.REDIS_URL, channel=settings.SOCKETIO_CHANNEL,
        async_mode="threading",
    )  # fmt: skip
    from riskctl.alerts import push, sockets  # noqa: F401  (push: the after-commit hook)

    sockets.register(socketio)
    api.page_error_handler = render_error
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "POST /api/v1/auth/token"}
    )
    api.spec.components.security_scheme(
        "cookieAuth",
        {
            "type": "apiKey",
            "in": "cookie",
            "name": "session",
            "description": "browser session; unsafe methods need X-CSRFToken",
        },
    )
    app.register_error_handler(DomainError, handle_domain_error)
    # A busy database (SQLite's one writer, a lock timeout) is a 503 with Retry-After.
    app.register_error_handler(sa.exc.OperationalError, handle_database_error)


def _transaction_kinds(app: Flask) -> None:
    from riskctl.core.db import begin_reading, begin_writing

    @app.before_request
    def transaction_kind() -> None:
        # Before anything touches the database (the login loads the person): a request
        # that only reads takes no write lock on SQLite (riskctl.core.db).
        view = app.view_functions.get(request.endpoint or "")
        view = getattr(getattr(view, "view_class", None), request.method.lower(), view)
        safe = request.method in ("GET", "HEAD", "OPTIONS")
        if getattr(view, "riskctl_reads_only", False) or (
            safe and not getattr(view, "riskctl_writes", False)
        ):
            begin_reading()
        else:
            begin_writing()

    @app.teardown_request
    def transaction_kind_done(_error: BaseException | None) -> None:
        begin_writing()  # a worker thread's next job or request starts from the default


def _register(app: Flask) -> None:
    from riskctl.admin.views import bp as admin_pages
    from riskctl.alerts.api import blp as alerts_api
    from riskctl.alerts.views import bp as alert_pages
    from riskctl.api import api
    from riskctl.api.health import blp as health_api
    from riskctl.assessment.api import blp as assessment_api
    from riskctl.assessment.cli import assessment_cli
    from riskctl.assessment.views import bp as assessment_pages
    from riskctl.attachments.api import blp as attachments_api
    from riskctl.attachments.cli import attachments_cli
    from riskctl.attachments.views import bp as attachment_pages
    from riskctl.auth.api import blp as auth_api
    from riskctl.auth.views import bp as auth_pages
    from riskctl.auth.views import note_session_seen
    from riskctl.backup import cli as backup_cli
    from riskctl.cli import riskctl_cli
    from riskctl.controls.api import blp as controls_api
    from riskctl.core import audit
    from riskctl.education import jobs as education_jobs
    from riskctl.education.api import blp as education_api
    from riskctl.education.views import bp as education_pages
    from riskctl.extensions import csrf, db
    from riskctl.meetings.api import blp as meetings_api
    from riskctl.meetings.views import bp as meeting_pages
    from riskctl.org.api import blp as org_api
    from riskctl.process.api import blp as process_api
    from riskctl.risk.api import blp as risk_api
    from riskctl.risk.views import bp as monitor_pages
    from riskctl.scheduler.cli import scheduler as scheduler_command
    from riskctl.supervision import receivers as supervision_receivers
    from riskctl.supervision.api import blp as supervision_api
    from riskctl.supervision.views import bp as supervision_pages
    from riskctl.web import bp as web_pages
    from riskctl.web import security_headers
    from riskctl.workflow.api import blp as items_api
    from riskctl.workflow.views import bp as workbench_pages

    for blueprint in (
        health_api,
        auth_api,
        org_api,
        process_api,
        items_api,
        meetings_api,
        attachments_api,
        controls_api,
        risk_api,
        alerts_api,
        supervision_api,
        assessment_api,
        education_api,
    ):
        # The API checks CSRF itself, and only for cookie sessions (riskctl.api.auth).
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    app.register_blueprint(auth_pages)
    app.register_blueprint(web_pages)
    app.register_blueprint(alert_pages)
    app.register_blueprint(workbench_pages)
    app.register_blueprint(meeting_pages)
    app.register_blueprint(attachment_pages)
    app.register_blueprint(monitor_pages)
    app.register_blueprint(admin_pages)
    app.register_blueprint(supervision_pages)
    # Talks and the ledger follow dispositions and leading posts through (blinker).
    supervision_receivers.connect()

    app.register_blueprint(assessment_pages)
    app.register_blueprint(education_pages)
    # 警示教育: study follows the resolution of red warnings (riskctl.risk.signals).
    education_jobs.connect()
    riskctl_cli.add_command(attachments_cli)
    riskctl_cli.add_command(assessment_cli)
    riskctl_cli.add_command(backup_cli.backup)
    riskctl_cli.add_command(backup_cli.restore)
    riskctl_cli.add_command(scheduler_command)
    app.cli.add_command(riskctl_cli)
    app.after_request(security_headers)

    @app.before_request
    def attribute_page_changes() -> None:
        # API calls identify their caller in riskctl.api.auth; pages here.
        if request.endpoint in (None, "static") or request.path.startswith("/api/"):
            return
        if current_user.is_authenticated:
            audit.act_as(
                db.session,
                audit.AuditActor(
                    current_user.id, current_user.username, f"web {request.remote_addr}"
                ),
            )

    # After the hooks above (the transaction's kind, the page's actor): the signed-in
    # session's last-seen time.
    app.before_request(note_session_seen)

    @app.context_processor
    def page_globals() -> dict[str, Any]:
        from riskctl.core.locale import LANGUAGES
        from riskctl.web import navigation, select_locale

        unread, nav = 0, []
        if current_user.is_authenticated and request.endpoint != "static":
            from riskctl.alerts.services import unread_count

            principal = current_user.principal()
            unread = unread_count(db.session, principal)
            nav = navigation(principal)
        return {
            "languages": LANGUAGES, "current_locale": select_locale(),
            "unread_notifications": unread, "nav": nav,
        }  # fmt: skip
