"""Many rows into one table on PostgreSQL: ``INSERT … SELECT * FROM unnest(arrays)``.

A multi-row ``INSERT … VALUES (…), (…), …`` is a new statement for every number of rows:
psycopg converts its thousands of placeholders anew each time (it is too long for its
cache) and PostgreSQL plans it anew.  Here every column travels as one array parameter,
so the statement is the same text whatever the number of rows — converted once, prepared
by psycopg after a few uses — and a batch costs one round trip.  The values go through
each column's own type first (enums by value, JSON, UTC datetimes), exactly as an ORM or
Core insert would write them.

SQLite keeps its ordinary executemany inserts: it has no arrays, and its statements
are in-process calls.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UnnestInsert:
    """One ``INSERT … SELECT FROM unnest(…)`` statement for ``table``'s ``columns``,
    optionally skipping rows that conflict on ``conflict`` (a unique index's columns,
    with its ``conflict_where`` when the index is partial) and returning ``returning``
    (typed as the columns are: enums, JSON and datetimes come back as Python values)."""

    def __init__(
        self, table: sa.Table, columns: Sequence[str], *, conflict: Sequence[str] = (),
        conflict_where: str = "", returning: Sequence[str] = (),
    ) -> None:  # fmt: skip
        self.table = table
        self.columns = [table.c[name] for name in columns]
        # Columns left out that have a constant default (``default=0``): the default, as a
        # Core insert would write it.  A column with a computed default must be given.
        self.defaults = {
            c.name: c.default.arg  # type: ignore[attr-defined]
            for c in table.columns
            if c.name not in columns and c.default is not None and c.default.is_scalar
        }
        self.columns += [table.c[name] for name in self.defaults]
        self.conflict = tuple(conflict)
        self.conflict_where = conflict_where
        self.returning = [table.c[name] for name in returning]
        self._built: tuple[Dialect, sa.TextClause, list[Any]] | None = None

    def _build(self, dialect: Dialect) -> tuple[sa.TextClause, list[Any]]:
        if self._built is not None and self._built[0] is dialect:
            return self._built[1], self._built[2]
        quote = dialect.identifier_preparer.quote
        arrays = ", ".join(
            f"CAST(:{c.name} AS {c.type.compile(dialect=dialect)}[])" for c in self.columns
        )
        names = ", ".join(quote(c.name) for c in self.columns)
        sql = f"INSERT INTO {quote(self.table.name)} ({names}) SELECT * FROM unnest({arrays})"
        if self.conflict:
            sql += f" ON CONFLICT ({', '.join(quote(c) for c in self.conflict)})"
            if self.conflict_where:
                sql += f" WHERE {self.conflict_where}"
            sql += " DO NOTHING"
        statement = sa.text(sql)
        if self.returning:
            sql += " RETURNING " + ", ".join(quote(c.name) for c in self.returning)
            statement = sa.text(sql).columns(*self.returning)  # type: ignore[assignment]
        processors = [_processor(c, dialect) for c in self.columns]
        self._built = (dialect, statement, processors)
        return statement, processors

    def execute(
        self, connection: sa.Connection, rows: Iterable[Mapping[str, Any]]
    ) -> sa.Result[Any]:
        """Insert ``rows`` (each with every column named) in one statement."""
        statement, processors = self._build(connection.dialect)
        rows = list(rows)
        params: dict[str, list[Any]] = {}
        for column, process in zip(self.columns, processors, strict=True):
            if column.name in self.defaults:
                values = [self.defaults[column.name]] * len(rows)
            else:
                values = [row[column.name] for row in rows]
            params[column.name] = [process(v) for v in values] if process else values
        return connection.execute(statement, params)


def _processor(column: sa.Column[Any], dialect: Dialect) -> Any:
    """How one value of ``column`` is written.  JSON is serialised here: psycopg would
    wrap each value itself, which an array of them does not get."""
    if isinstance(column.type, sa.JSON):
        dumps = getattr(dialect, "_json_serializer", None) or json.dumps
        as_null = column.type.none_as_null

        def process(value: Any) -> Any:
            return None if value is None and as_null else dumps(value)

        return process
    return column.type.bind_processor(dialect)
