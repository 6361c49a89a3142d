"""Concurrent writers, each with its own connection and transaction (real threads):
every change lands and the audit chain never forks."""

import threading

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from riskctl.core import audit
from riskctl.core.access import SYSTEM_ADMIN
from riskctl.extensions import db
from riskctl.org.models import Unit
from riskctl.org.services import save_unit
from tests.conftest import fresh_database, make_app

WRITERS, EACH = 6, 5


@pytest.fixture
def committed_app(backend, tmp_path):
    url, cleanup = fresh_database(backend, tmp_path)
    app = make_app(url)
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()
    cleanup()


def test_concurrent_audited_writes_all_land_on_one_unbroken_chain(committed_app):
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(EACH):
                with committed_app.app_context():
                    # Read first, then write: the pattern that deadlocks naive SQLite use.
                    db.session.scalar(sa.select(sa.func.count()).select_from(Unit))
                    unit = {"code": f"w{n}-{i}", "name": "并发", "kind": "department"}
                    save_unit(db.session, SYSTEM_ADMIN, unit)
                    db.session.commit()
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    with committed_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) == WRITERS * EACH
        assert audit.seal_pending(db.session) == WRITERS * EACH
        db.session.commit()
        report = audit.verify_chain(db.session)
        assert report.ok, report.first_break
        assert report.count == WRITERS * EACH
