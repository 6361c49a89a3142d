"""Fixtures shared by every test.

- ``backend``: integration tests run once against SQLite and once against PostgreSQL
  (``RISKCTL_TEST_DATABASE_URL``, default ``postgresql://postgres@127.0.0.1:5432/test``;
  each test session creates and drops its own database there).
- The migrations run once per backend and the demo data is loaded once; every test then
  runs inside a transaction that is rolled back (services' commits become savepoints).
- A test that needs a service that is not running skips on a laptop and fails in CI
  (``CI=true``).
- No test depends on the real date: the application's clock runs from ``TEST_NOW`` in
  every test (``at(moment)`` moves it), and the demo is loaded under ``DEMO_LOADED_AT``,
  three months before, as a real installation is used long after its data was loaded.
  ``.ci/run`` runs the suite again under a wall clock shifted far ahead (faketime).
"""

from __future__ import annotations

import contextvars
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import orm

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("RISKCTL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("RISKCTL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TEST_SECRET = "test-secret-key-" + "x" * 32
# "Now" in every test unless it moves the clock: a Tuesday, 10:00 in Beijing.
TEST_NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
# When the shared demo data was loaded: post holdings start that day.  Before every day a
# test works on as a demo person, and months before TEST_NOW.
DEMO_LOADED_AT = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)


def pin_clock(moment: datetime = TEST_NOW) -> None:
    """Set the application's clock to ``moment``, running from there."""
    from riskctl.core.clock import running_from, set_clock

    set_clock(running_from(moment))


def pytest_configure(config: pytest.Config) -> None:
    # Before any fixture of any scope: module fixtures that load data see the test clock.
    pin_clock()


def load_demo_data(session: Any) -> Any:
    """The demo people, posts and processes, loaded as on ``DEMO_LOADED_AT``."""
    from riskctl.core.access import SYSTEM_ADMIN
    from riskctl.org.demo import load_demo

    pin_clock(DEMO_LOADED_AT)
    try:
        return load_demo(session, SYSTEM_ADMIN)
    finally:
        pin_clock()


def need_service(name: str, problem: str) -> None:
    message = f"{name} is not available: {problem}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: a missing service is a failure)")
    pytest.skip(message)


def pg_admin_url() -> str:
    from riskctl.core.db import engine_url

    return engine_url(PG_URL)


def create_pg_database(prefix: str) -> str:
    """A fresh database next to the configured one; returns its URL."""
    admin = sa.create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        need_service("PostgreSQL", str(exc).splitlines()[0])
    finally:
        admin.dispose()
    return sa.make_url(pg_admin_url()).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    name = sa.make_url(url).database
    admin = sa.create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def fresh_database(backend: str, tmp: Path) -> tuple[str, Any]:
    """(url, cleanup) of an empty database of ``backend``."""
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'riskctl.db'}", lambda: None
    url = create_pg_database("riskctl_test")
    return url, lambda: drop_pg_database(url)


def make_app(url: str, **overrides: Any) -> Flask:
    from riskctl import create_app

    settings = {
        "DATABASE_URL": url,
        "SECRET_KEY": TEST_SECRET,
        "SCHEDULER_LOCK_FILE": str(Path(url.replace("sqlite:///", "")).parent / "s.lock")
        if url.startswith("sqlite")
        else "/tmp/riskctl-test-scheduler.lock",
    }
    settings.update(overrides)
    return create_app("testing", settings)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def _apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Flask]]:
    """Each backend's app, made once and kept for the whole session.  The ``backend``
    parameter switches back and forth as the tests of one file run on SQLite, then on
    PostgreSQL, and pytest-xdist hands a worker one file after another: a session fixture
    parametrized by it would be torn down and made again (migrations and the demo, seconds
    each) at every switch."""
    from riskctl.extensions import db

    apps: dict[str, Flask] = {}
    cleanups: list[Any] = []
    _apps_made.update(apps=apps, cleanups=cleanups, tmp=tmp_path_factory)
    yield apps
    for made in apps.values():
        with made.app_context():
            db.engine.dispose()
    for cleanup in cleanups:
        cleanup()


_apps_made: dict[str, Any] = {}


@pytest.fixture(scope="session")
def app(backend: str, _apps: dict[str, Flask]) -> Flask:
    """One migrated database with the demo data per backend, for the whole session."""
    if backend not in _apps:
        url, cleanup = fresh_database(backend, _apps_made["tmp"].mktemp(backend))
        _apps_made["cleanups"].append(cleanup)
        _apps[backend] = with_demo(make_app(url))
    return _apps[backend]


def with_demo(app: Flask) -> Flask:
    """``app``'s database migrated and loaded with the demo data (committed)."""
    from flask_migrate import upgrade

    from riskctl.extensions import db

    with app.app_context():
        upgrade()
        load_demo_data(db.session)
        db.session.commit()
        db.session.remove()
    return app


@pytest.fixture
def session(app: Flask) -> Iterator[Any]:
    """The test's database session; everything the test writes is rolled back."""
    from riskctl.extensions import db, limiter

    with app.app_context():
        limiter.reset()
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        # A plain SQLAlchemy Session: Flask-SQLAlchemy's own ignores `bind` and would
        # pick the engine.  Scoped per app context like Flask-SQLAlchemy's.
        db.session = orm.scoped_session(
            orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=_app_ctx_id,
        )
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture(autouse=True)
def _test_clock() -> Iterator[None]:
    """Every test starts at ``TEST_NOW``, whatever an earlier test did to the clock."""
    pin_clock()
    yield
    pin_clock()


@pytest.fixture(autouse=True)
def _forget_cached_rows() -> Iterator[None]:
    """Process-wide caches of rows: a rolled-back row's id may be handed out again."""
    yield
    from riskctl.core import calendar_store
    from riskctl.process.services import forget_published

    forget_published()
    calendar_store.forget()


class IsolatedClient(FlaskClient):
    """Runs each request in an empty context, as a real server would.

    The test body holds an app context for its session; without this, Flask would reuse
    it for the request and ``g`` (where Flask-Login keeps the user) would leak from one
    request into the next.  The request's own session joins the test's transaction.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def client(app: Flask, session: Any) -> FlaskClient:
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def person(session: Any) -> Any:
    """Look up a demo person by username."""
    from riskctl.auth.services import find_person

    def get(username: str) -> Any:
        found = find_person(session, username)
        assert found is not None, username
        return found

    return get


@pytest.fixture
def token_for(session: Any, person: Any) -> Any:
    """A bearer header for a demo person, issued without the (slow) password hash."""
    from riskctl.auth.services import issue_token

    cache: dict[str, dict[str, str]] = {}

    def header(username: str) -> dict[str, str]:
        if username not in cache:
            value, _ = issue_token(session, person(username), ttl=timedelta(hours=1))
            cache[username] = {"Authorization": f"Bearer {value}"}
        return cache[username]

    return header


@pytest.fixture
def at() -> Iterator[Any]:
    """Stop the application's clock at ``moment``: ``at(moment)``; reset after the test."""
    from riskctl.core.clock import set_clock

    def move(moment: Any) -> None:
        set_clock(lambda: moment)

    yield move
    pin_clock()


def bearer_for(app: Flask, username: str) -> dict[str, str]:
    """A committed bearer token of a demo person on ``app``'s own database (tests that run
    real transactions, outside the rolled-back ``session``)."""
    from riskctl.auth.services import find_person, issue_token
    from riskctl.extensions import db

    with app.app_context():
        person = find_person(db.session, username)
        assert person is not None, username
        value, _ = issue_token(db.session, person, ttl=timedelta(hours=1))
        db.session.commit()
        db.session.remove()
    return {"Authorization": f"Bearer {value}"}


def count(session: Any, model: Any) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(model)))


@pytest.fixture
def store(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """This test's own directory of uploaded files (``riskctl.files``), set on the app."""
    from riskctl.files.storage import FileStore

    monkeypatch.setitem(app.config, "RISKCTL_UPLOAD_DIR", str(tmp_path / "uploads"))
    return FileStore(tmp_path / "uploads")


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """Generated file bytes carry a random part (and so a varying size once zipped): name
    them all alike, so that every pytest-xdist worker collects the same test ids (pytest
    numbers ids that would repeat)."""
    if isinstance(val, bytes | bytearray):
        return "bytes"
    return None
