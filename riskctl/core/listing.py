"""Lists as api.md answers them (newest first, limit/offset, total), within a scope."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from riskctl.core.access import ALL_UNITS, Action, Principal, visible_units
from riskctl.core.db import DbSession


@dataclass(frozen=True)
class Page:
    items: Sequence[Any]
    total: int
    limit: int
    offset: int


def unit_filter(principal: Principal, action: Action, column: Any) -> Any:
    """A WHERE clause keeping the rows of the units ``principal`` may ``action`` on."""
    reach = visible_units(principal, action)
    if reach is ALL_UNITS:
        return sa.true()
    return column.in_(sorted(reach)) if reach else sa.false()  # type: ignore[arg-type]


def paginate(session: DbSession, stmt: sa.Select[Any], limit: int, offset: int) -> Page:
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    items = session.scalars(stmt.limit(limit).offset(offset)).all()
    return Page(items, total, limit, offset)
