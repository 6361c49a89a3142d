"""Core statements compiled once and run on SQLite's own cursor: the step path's few
statements, where SQLAlchemy's execution layer costs more than SQLite itself.

Measured on the 2-core workplace machine (docs/benchmarks.md, "durable steps"): a
statement through ``Connection.execute`` spends ~60 µs in SQLAlchemy (cache lookup,
execution context, parameter and result set-up, events) above SQLite's ~25 µs, and a
step is six of them.  A ``Prepared`` statement is compiled once per dialect and set of
columns; each run converts the parameters with the types' own bind processors (JSON,
UTC moments, enums by value: exactly what SQLAlchemy would send), executes on the DBAPI
cursor of the connection the session already holds (same transaction, begun as the app
begins it) and converts the results with the types' result processors.

On any other database the statement goes through ``Connection.execute`` unchanged: on
PostgreSQL the round trip dominates, and SQLAlchemy's disconnect handling matters there.
Driver errors are wrapped as SQLAlchemy's (``sa.exc.OperationalError`` for "database is
locked"), as callers expect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the parameters in the order of the placeholders
    fixed: dict[str, Any]  # parameters with a value of their own (literals)
    binds: dict[str, Callable[[Any], Any] | None]
    results: tuple[tuple[str, Callable[[Any], Any] | None], ...]


class Prepared:
    """A Core statement run on SQLite's cursor; elsewhere through SQLAlchemy.

    An INSERT or UPDATE whose SET/VALUES come from the parameters' keys is compiled per
    set of keys, as SQLAlchemy does; every placeholder must be given or be a literal
    (no Python-side column defaults are filled in)."""

    def __init__(self, statement: sa.Executable) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, frozenset[str]], _Compiled] = {}

    def _compile(self, dialect: Dialect, keys: frozenset[str]) -> _Compiled:
        found = self._compiled.get((dialect.name, keys))
        if found is not None:
            return found
        is_dml = isinstance(self.statement, sa.Insert | sa.Update)
        compiled = self.statement.compile(  # type: ignore[attr-defined]
            dialect=dialect,
            column_keys=sorted(keys) if is_dml else None,
        )
        if dialect.name != "sqlite" or compiled.positiontup is None:
            raise TypeError(f"{dialect.name}: Prepared runs on SQLite only")
        sql = compiled.string
        names = tuple(compiled.positiontup)
        for name in names:  # left for execution time by SQLAlchemy (a separator): a "?"
            if f"__[POSTCOMPILE_{name}]" in sql:
                if compiled.binds[name].expanding:
                    raise TypeError(f"an expanding parameter ({name}) cannot be prepared")
                sql = sql.replace(f"__[POSTCOMPILE_{name}]", "?")
        fixed = {}
        binds: dict[str, Callable[[Any], Any] | None] = {}
        for name in names:
            bind = compiled.binds[name]
            if name not in keys:
                if bind.value is None and bind.callable is None:
                    raise KeyError(f"parameter {name!r} of a prepared statement not given")
                fixed[name] = bind.effective_value
            binds[name] = bind.type.dialect_impl(dialect).bind_processor(dialect)
        results: list[tuple[str, Callable[[Any], Any] | None]] = []
        # A SELECT's columns through their types; RETURNING (an id) as the driver gives
        # it.  (Not ``exported_columns`` of a DML statement: it is memoised, and copied
        # into every statement later derived from it, e.g. with ``.returning()``.)
        selected = self.statement.selected_columns if isinstance(self.statement, sa.Select) else ()
        for column in selected:
            processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
            results.append((str(column.key), processor))
        found = _Compiled(sql, names, fixed, binds, tuple(results))
        self._compiled[(dialect.name, keys)] = found
        return found

    def _run(self, conn: sa.Connection, params: Mapping[str, Any]) -> tuple[Any, _Compiled]:
        compiled = self._compile(conn.dialect, frozenset(params))
        values = []
        for name in compiled.names:
            value = params[name] if name in params else compiled.fixed[name]
            process = compiled.binds[name]
            values.append(value if process is None or value is None else process(value))
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled.sql, values)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise sa.exc.DBAPIError.instance(
                compiled.sql, values, exc, conn.dialect.loaded_dbapi.Error
            ) from exc
        return cursor, compiled

    def rows(self, conn: sa.Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The rows of a SELECT, each a dict by column key."""
        if conn.dialect.name != "sqlite":
            return [dict(r._mapping) for r in conn.execute(self.statement, params)]
        cursor, compiled = self._run(conn, params)
        found = []
        for raw in cursor.fetchall():
            row = {}
            for (key, process), value in zip(compiled.results, raw, strict=True):
                row[key] = value if process is None else process(value)
            found.append(row)
        cursor.close()
        return found

    def scalar(self, conn: sa.Connection, params: Mapping[str, Any]) -> Any:
        """The first column of the one row (an INSERT … RETURNING id)."""
        if conn.dialect.name != "sqlite":
            return conn.execute(self.statement, params).scalar_one()
        cursor, _compiled = self._run(conn, params)
        ((value, *_rest),) = cursor.fetchall()
        cursor.close()
        return value

    def rowcount(self, conn: sa.Connection, params: Mapping[str, Any]) -> int:
        """How many rows an UPDATE matched."""
        if conn.dialect.name != "sqlite":
            return int(conn.execute(self.statement, params).rowcount)  # type: ignore[attr-defined]
        cursor, _compiled = self._run(conn, params)
        count = int(cursor.rowcount)
        cursor.close()
        return count
