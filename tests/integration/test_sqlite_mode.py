"""SQLite runs in WAL mode with the configured synchronous level."""

import pytest
import sqlalchemy as sa

from riskctl.extensions import db
from tests.conftest import make_app


@pytest.mark.parametrize(("level", "number"), [("NORMAL", 1), ("FULL", 2)])
def test_a_sqlite_file_is_in_wal_mode(tmp_path, level, number):
    app = make_app(f"sqlite:///{tmp_path / 'wal.db'}", SQLITE_SYNCHRONOUS=level)
    try:
        with app.app_context():
            with db.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == number
                assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
            db.engine.dispose()
    finally:
        make_app(f"sqlite:///{tmp_path / 'reset.db'}")  # back to the default level
