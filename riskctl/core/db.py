"""Declarative base, constraint naming and the column types every model shares."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, TypeAlias

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Session, registry, scoped_session

# One naming convention so that Alembic can name, find and drop every constraint on
# both SQLite (batch mode) and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, whatever the database keeps.

    SQLite has no time zones, so naive values there are UTC by contract; a naive value
    handed to us by Python code is a bug and is refused rather than guessed at.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; riskctl stores aware UTC datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        # SQLite keeps the ISO text SQLAlchemy wrote ("2026-11-25 02:00:00.000000", UTC);
        # ``fromisoformat`` reads it several times faster than the dialect's regex, which
        # the risk scan notices over a hundred thousand rows.
        def process(value: Any) -> datetime | None:
            if value is None:
                return None
            parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
            if parsed.tzinfo is None:
                return parsed.replace(tzinfo=UTC)  # type: ignore[no-any-return]
            return parsed.astimezone(UTC)  # type: ignore[no-any-return]

        return process


def value_enum(enum_class: type[enum.Enum], name: str) -> sa.Enum:
    """An enum stored by its value (readable in SQL, stable when members are renamed)."""
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(str(m.value)) for m in enum_class) + 8,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    # A registry of our own: Flask-SQLAlchemy accepts it, and it carries both the
    # naming convention and the rule that every ``Mapped[datetime]`` is UTC-aware.
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )
    metadata = registry.metadata

    def __repr__(self) -> str:
        ident = getattr(self, "code", None) or getattr(self, "id", None)
        return f"<{type(self).__name__} {ident}>"


_sqlite_synchronous = "NORMAL"


def configure_sqlite(synchronous: str) -> None:
    """The ``synchronous`` level of SQLite connections opened from now on (settings)."""
    global _sqlite_synchronous
    if synchronous not in ("NORMAL", "FULL"):
        raise ValueError(f"SQLITE_SYNCHRONOUS must be NORMAL or FULL, not {synchronous!r}")
    _sqlite_synchronous = synchronous


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # pysqlite opens transactions lazily and breaks SAVEPOINT; let SQLAlchemy emit BEGIN
    # itself (see the "Serializable isolation / Savepoints" notes of the SQLite dialect).
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        # WAL: readers never wait for the writer, and a commit appends instead of
        # rewriting pages.  (An in-memory database answers "memory" and stays so.)
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={_sqlite_synchronous}")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn: sa.Connection) -> None:
    # IMMEDIATE takes the write lock at the start.  With a deferred BEGIN, two
    # transactions that both read and then write deadlock and one fails at once with
    # "database is locked" (busy_timeout cannot help); this way the second waits.
    # SQLite is the single-machine mode, so serialising transactions costs little.
    # Straight to the driver: this runs once per transaction, and SQLAlchemy's execution
    # path would cost more than SQLite's own BEGIN.
    if conn.dialect.name == "sqlite":
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]


def engine_url(url: str | None) -> str:
    """``postgresql://`` would pick psycopg2, which riskctl does not install: use psycopg 3."""
    if not url:
        raise ValueError("no database URL")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


# Services accept a plain Session or Flask-SQLAlchemy's scoped proxy of one.
DbSession: TypeAlias = Session | scoped_session[Any]
