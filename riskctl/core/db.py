"""Declarative base, constraint naming and the column types every model shares."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from decimal import Decimal
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


class Cents(sa.types.TypeDecorator[Decimal]):
    """Money (a ``Decimal`` of yuan with two places, as ``inputs.money`` makes it) kept as
    whole cents: exact and native on both databases (SQLite has no decimal type, and
    SQLAlchemy would go through floats there), cheap to read, and ordered for an index."""

    impl = sa.BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        cents = value.scaleb(2)
        if cents != cents.to_integral_value():
            raise ValueError(f"{value} has more than two decimal places")
        return int(cents)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        # A closure of our own: the default goes through process_result_value with the
        # dialect for every value, which a scan over 100,000 items notices.
        def process(value: int | None) -> Decimal | None:
            return None if value is None else Decimal(value).scaleb(-2)

        return process


class Day(sa.types.TypeDecorator[date]):
    """A calendar day; on SQLite read with ``date.fromisoformat`` (several times faster
    than the dialect's regex)."""

    impl = sa.Date
    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def process(value: Any) -> date | None:
            if value is None or isinstance(value, date):
                return value
            return date.fromisoformat(value)

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
_sqlite_busy_timeout_ms = 5000


def configure_sqlite(synchronous: str, busy_timeout_ms: int = 5000) -> None:
    """The ``synchronous`` level and busy timeout of SQLite connections opened from now
    on (settings)."""
    global _sqlite_synchronous, _sqlite_busy_timeout_ms
    if synchronous not in ("NORMAL", "FULL"):
        raise ValueError(f"SQLITE_SYNCHRONOUS must be NORMAL or FULL, not {synchronous!r}")
    _sqlite_synchronous = synchronous
    _sqlite_busy_timeout_ms = int(busy_timeout_ms)


def cache_long_statements() -> None:
    """Let psycopg keep its conversion of our long statements.  It caches the parsing of
    a query's placeholders only for queries of at most 4,096 bytes and 50 parameters
    (``psycopg._queries``); a step's single statement on PostgreSQL (the item's update
    with its 40 typed fields, the task, the step, the audit record) has more, so psycopg
    parsed it again at every step — a tenth of a step's CPU (docs/benchmarks.md).  Our
    statements are a fixed few, so the cache (128 entries) stays small.  The limits are
    psycopg's own module settings; should a release drop them, this changes nothing."""
    try:
        from psycopg import _queries
    except ImportError:  # pragma: no cover  (SQLite only)
        return
    if hasattr(_queries, "MAX_CACHED_STATEMENT_PARAMS"):
        _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, 400)
    if hasattr(_queries, "MAX_CACHED_STATEMENT_LENGTH"):
        _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, 32768)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # pysqlite opens transactions lazily and breaks SAVEPOINT; let SQLAlchemy emit BEGIN
    # itself (see the "Serializable isolation / Savepoints" notes of the SQLite dialect).
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={_sqlite_busy_timeout_ms}")
        # WAL: readers never wait for the writer, and a commit appends instead of
        # rewriting pages.  (An in-memory database answers "memory" and stays so.)
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={_sqlite_synchronous}")
        cursor.close()


# How SQLite transactions begin in this context (a request, a job, a command): "write"
# (IMMEDIATE) or "read" (DEFERRED).  PostgreSQL ignores it (MVCC: readers never lock).
_begin_mode: ContextVar[str] = ContextVar("riskctl_sqlite_begin", default="write")


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn: sa.Connection) -> None:
    # A writer begins IMMEDIATE: it takes the write lock at the start.  With a deferred
    # BEGIN, two transactions that both read and then write deadlock and one fails at
    # once with "database is locked" (busy_timeout cannot help); this way the second
    # waits.  A reader begins DEFERRED and takes no lock at all: in WAL mode it reads a
    # snapshot while a writer works, so a long scan or import never makes a page wait.
    # Straight to the driver: this runs once per transaction, and SQLAlchemy's execution
    # path would cost more than SQLite's own BEGIN.
    if conn.dialect.name == "sqlite":
        begin = "BEGIN IMMEDIATE" if _begin_mode.get() == "write" else "BEGIN"
        try:
            conn.connection.driver_connection.execute(begin)  # type: ignore[union-attr]
        except Exception as exc:  # the driver's own error: SQLAlchemy does not wrap it here
            raise sa.exc.OperationalError(begin, None, exc) from exc


def begin_reading() -> None:
    """The transactions of this context from now on only read (GET requests, previews):
    on SQLite they take no write lock.  A reader that writes after all (an audit record
    of what it read) takes the lock at that write; if a writer committed meanwhile it
    gets "database is locked" at once, which the web answers as 503 busy."""
    _begin_mode.set("read")


def begin_writing() -> None:
    _begin_mode.set("write")


def switch_to_writing(session: DbSession) -> None:
    """A reader that must write after all (the audit record of an export): its read
    transaction ends, and the next one takes the write lock at its start (SQLite)."""
    if _begin_mode.get() == "read" and session.get_bind().dialect.name == "sqlite":
        session.commit()
    _begin_mode.set("write")


def writes(view: Any) -> Any:
    """Mark a GET view that writes (the audit record of reading personal data): its
    transaction takes the write lock at the start, rather than failing at the write when
    another writer committed while it read (SQLite)."""
    view.riskctl_writes = True
    return view


def reads_only(view: Any) -> Any:
    """Mark a view that only reads although its method is POST (a preview, a validation):
    its transaction takes no write lock on SQLite."""
    view.riskctl_reads_only = True
    return view


@contextmanager
def read_phase(session: DbSession) -> Iterator[None]:
    """Run the block in a transaction of its own that only reads, ending the current
    transaction first (its writes are committed) — so that on SQLite a long computation
    (a scan's judging) holds no write lock, and the writes that follow take it briefly.
    On PostgreSQL nothing changes: one transaction, as before."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    session.commit()
    token = _begin_mode.set("read")
    try:
        yield
        session.rollback()  # a read transaction: nothing to keep, the snapshot ends
    finally:
        _begin_mode.reset(token)


def is_busy(error: BaseException) -> bool:
    """The database could not give a lock in time (SQLite locked, PostgreSQL lock
    timeout or deadlock): try again later, nothing is wrong with the request."""
    if not isinstance(error, sa.exc.OperationalError | sa.exc.DBAPIError):
        return False
    orig = getattr(error, "orig", None)
    text = str(orig or error).lower()
    if "database is locked" in text or "database table is locked" in text:
        return True
    sqlstate = getattr(orig, "sqlstate", None)
    return sqlstate in ("55P03", "40P01", "40001")  # lock_not_available, deadlock, serialization


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
