"""What the items list (事项) offers to filter by, within the caller's reach: units,
processes and the people who started or handled an item — by name, never by code."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from riskctl.core.access import Action, Principal, require
from riskctl.core.db import DbSession
from riskctl.core.listing import unit_filter
from riskctl.org.models import Person, Unit
from riskctl.process.models import ProcessDefinition
from riskctl.workflow.models import Item, Step


@dataclass(frozen=True)
class ItemChoices:
    units: list[tuple[str, str]]  # (code, name)
    processes: list[tuple[str, str]]  # (key, name of its newest version)
    people: list[tuple[str, str, str]]  # (username, name, unit name)


def item_choices(session: DbSession, principal: Principal) -> ItemChoices:
    require(principal, Action.VIEW_ITEMS)
    units = session.execute(
        sa.select(Unit.code, Unit.name)
        .where(unit_filter(principal, Action.VIEW_ITEMS, Unit.id))
        .order_by(Unit.id)
    ).all()
    names: dict[str, str] = {}
    for key, name in session.execute(
        sa.select(ProcessDefinition.key, ProcessDefinition.name)
        .where(unit_filter(principal, Action.VIEW_ITEMS, ProcessDefinition.unit_id))
        .order_by(ProcessDefinition.version)
    ):
        names[key] = name  # the newest version names the process
    in_reach = unit_filter(principal, Action.VIEW_ITEMS, Item.unit_id)
    someone = sa.union(
        sa.select(Item.started_by_id.label("id")).where(in_reach),
        sa.select(Step.person_id.label("id")).join(Item, Item.id == Step.item_id).where(in_reach),
    ).subquery()
    people = session.execute(
        sa.select(Person.username, Person.name, Unit.name)
        .join(someone, someone.c.id == Person.id)
        .join(Unit, Unit.id == Person.unit_id)
        .where(unit_filter(principal, Action.VIEW_PEOPLE, Person.unit_id))
        .order_by(Unit.id, Person.name, Person.username)
    ).all()
    return ItemChoices(
        units=[(code, name) for code, name in units],
        processes=sorted(names.items(), key=lambda kv: (kv[1], kv[0])),
        people=[(username, name, unit) for username, name, unit in people],
    )
