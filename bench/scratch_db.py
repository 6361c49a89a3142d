"""A throw-away PostgreSQL database next to a given one, for a bench run."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import sqlalchemy as sa


def fresh_postgres(admin_url: str, prefix: str) -> tuple[str, Callable[[], None]]:
    """(url, drop) of a new database on the server of ``admin_url``."""
    from riskctl.core.db import engine_url

    admin = sa.create_engine(engine_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop
