"""How much each unit works in the platform, read-only: the items started, the steps
done (by whom and on which days) and the items handled in a period.  Read by the
assessment's platform use and risk profiles (a domain reads another through services)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from riskctl.core.db import DbSession
from riskctl.workflow.models import Item, Step


def steps_in(
    session: DbSession, start: datetime, end: datetime, unit_ids: Iterable[int] | None = None
) -> list[tuple[int, int, datetime]]:
    """(unit id, person id, moment) of every step done in ``[start, end)``."""
    stmt = (
        sa.select(Item.unit_id, Step.person_id, Step.at)
        .join(Item, Item.id == Step.item_id)
        .where(Step.at >= start, Step.at < end)
    )
    if unit_ids is not None:
        stmt = stmt.where(Item.unit_id.in_(sorted(set(unit_ids)) or [-1]))
    return [(u, p, at) for u, p, at in session.execute(stmt)]


def items_started(
    session: DbSession, start: datetime, end: datetime, unit_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """Unit id → items started in ``[start, end)``."""
    stmt = (
        sa.select(Item.unit_id, sa.func.count())
        .where(Item.started_at >= start, Item.started_at < end)
        .group_by(Item.unit_id)
    )
    if unit_ids is not None:
        stmt = stmt.where(Item.unit_id.in_(sorted(set(unit_ids)) or [-1]))
    return {u: n for u, n in session.execute(stmt)}


def items_handled(
    session: DbSession, start: datetime, end: datetime, unit_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """Unit id → items that had at least one step in ``[start, end)`` (handled in the
    platform then)."""
    stmt = (
        sa.select(Item.unit_id, sa.func.count(sa.distinct(Step.item_id)))
        .join(Item, Item.id == Step.item_id)
        .where(Step.at >= start, Step.at < end)
        .group_by(Item.unit_id)
    )
    if unit_ids is not None:
        stmt = stmt.where(Item.unit_id.in_(sorted(set(unit_ids)) or [-1]))
    return {u: n for u, n in session.execute(stmt)}
