"""Statements run on SQLite's own cursor (``riskctl.core.prepared``) write and read what
SQLAlchemy would, and fail as SQLAlchemy would."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from riskctl.core.db import UTCDateTime, value_enum
from riskctl.core.prepared import Prepared


class Colour(enum.StrEnum):
    RED = "red"
    GREEN = "green"


meta = sa.MetaData()
thing = sa.Table(
    "thing", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(10), unique=True, nullable=False),
    sa.Column("colour", value_enum(Colour, "colour"), nullable=False),
    sa.Column("data", sa.JSON),
    sa.Column("at", UTCDateTime()),
)  # fmt: skip
AT = datetime(2026, 12, 7, 1, 2, 3, 456789, tzinfo=UTC)


@pytest.fixture
def conn() -> Iterator[sa.Connection]:
    engine = sa.create_engine("sqlite://")
    meta.create_all(engine)
    with engine.begin() as connection:
        yield connection
    engine.dispose()


def test_an_insert_and_a_select_round_trip_every_type(conn: sa.Connection) -> None:
    insert = Prepared(sa.insert(thing).returning(thing.c.id))
    new = insert.scalar(
        conn, {"code": "a", "colour": Colour.GREEN, "data": {"金额": [1, "2.50"]}, "at": AT}
    )
    # Written as SQLAlchemy writes: read back through SQLAlchemy.
    row = conn.execute(sa.select(thing).where(thing.c.id == new)).one()
    assert (row.colour, row.data, row.at) == (Colour.GREEN, {"金额": [1, "2.50"]}, AT)
    # Read as SQLAlchemy reads, literals in the statement included.
    select = Prepared(
        sa.select(thing.c.colour, thing.c.data, thing.c.at).where(
            thing.c.code == sa.bindparam("code"), thing.c.colour != Colour.RED
        )
    )
    assert select.rows(conn, {"code": "a"}) == [
        {"colour": Colour.GREEN, "data": {"金额": [1, "2.50"]}, "at": AT}
    ]


def test_an_update_counts_the_rows_it_matched(conn: sa.Connection) -> None:
    conn.execute(sa.insert(thing), {"code": "a", "colour": Colour.RED})
    update = Prepared(sa.update(thing).where(thing.c.code == sa.bindparam("b_code")))
    assert update.rowcount(conn, {"b_code": "a", "colour": Colour.GREEN}) == 1
    assert update.rowcount(conn, {"b_code": "zz", "colour": Colour.GREEN}) == 0
    assert conn.scalar(sa.select(thing.c.colour)) is Colour.GREEN


def test_a_driver_error_is_raised_as_sqlalchemys(conn: sa.Connection) -> None:
    insert = Prepared(sa.insert(thing))
    insert.rowcount(conn, {"code": "a", "colour": Colour.RED})
    with pytest.raises(sa.exc.IntegrityError):
        insert.rowcount(conn, {"code": "a", "colour": Colour.RED})


def test_a_parameter_left_out_is_refused_rather_than_sent_as_null(conn: sa.Connection) -> None:
    select = Prepared(sa.select(thing.c.id).where(thing.c.code == sa.bindparam("code")))
    with pytest.raises(KeyError):
        select.rows(conn, {})
