"""Who takes part in supervision, read from the organisation (never written): who may
talk to a unit's people, who may be made responsible for a finding, names for readers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskctl.core.access import Role
from riskctl.core.db import DbSession
from riskctl.core.errors import ValidationFailed
from riskctl.org.models import InspectorScope, Person, PersonRole, Post, PostAssignment, Unit
from riskctl.org.services import person_labels, unit_code_is


@dataclass(frozen=True)
class Someone:
    id: int
    username: str
    name: str
    unit_id: int | None


def _held_on(day: date) -> sa.ColumnElement[bool]:
    return sa.and_(
        PostAssignment.valid_from <= day,
        sa.or_(PostAssignment.valid_to.is_(None), PostAssignment.valid_to >= day),
    )


def talkers(session: DbSession, unit_id: int, day: date) -> list[int]:
    """Who may talk to the people of a unit (谈话人), in this order: the commission's
    inspectors whose scope holds the unit, the unit's discipline team leaders, and the
    unit's heads (holders of its leading posts on ``day``).  Active people only."""
    inspectors = session.scalars(
        sa.select(Person.id)
        .join(InspectorScope, InspectorScope.person_id == Person.id)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(InspectorScope.unit_id == unit_id, PersonRole.role == Role.INSPECTOR,
               Person.is_active.is_(True))
        .order_by(Person.id)
    ).all()  # fmt: skip
    heads = leading_holders(session, unit_id, day)
    return list(dict.fromkeys([*inspectors, *leaders(session, unit_id), *heads]))


def leaders(session: DbSession, unit_id: int) -> list[int]:
    """The unit's active discipline team leaders (纪检组长)."""
    return list(
        session.scalars(
            sa.select(Person.id)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(Person.unit_id == unit_id, PersonRole.role == Role.DISCIPLINE_LEADER,
                   Person.is_active.is_(True))
            .order_by(Person.id)
        ).all()
    )  # fmt: skip


def leading_holders(session: DbSession, unit_id: int, day: date) -> list[int]:
    """The active holders of the unit's leading posts (领导职务) on ``day``."""
    return list(
        session.scalars(
            sa.select(Person.id)
            .join(PostAssignment, PostAssignment.person_id == Person.id)
            .join(Post, Post.id == PostAssignment.post_id)
            .where(Post.unit_id == unit_id, Post.is_leading.is_(True), _held_on(day),
                   Person.is_active.is_(True))
            .distinct()
            .order_by(Person.id)
        ).all()
    )  # fmt: skip


def post_holders(session: DbSession, unit_id: int, post: str, day: date) -> list[int]:
    return list(
        session.scalars(
            sa.select(Person.id)
            .join(PostAssignment, PostAssignment.person_id == Person.id)
            .join(Post, Post.id == PostAssignment.post_id)
            .where(Post.unit_id == unit_id, Post.code == post, _held_on(day),
                   Person.is_active.is_(True))
            .distinct()
            .order_by(Person.id)
        ).all()
    )  # fmt: skip


def members(session: DbSession, unit_id: int) -> list[int]:
    """The unit's active people."""
    return list(
        session.scalars(
            sa.select(Person.id)
            .where(Person.unit_id == unit_id, Person.is_active.is_(True))
            .order_by(Person.id)
        ).all()
    )


def _lookup(session: DbSession, username: str) -> Someone | None:
    row = session.execute(
        sa.select(Person.id, Person.username, Person.name, Person.unit_id).where(
            Person.username == str(username).strip().lower(), Person.is_active.is_(True)
        )
    ).first()
    return None if row is None else Someone(row.id, row.username, row.name, row.unit_id)


def by_username(session: DbSession, username: str, path: str) -> Someone:
    """An active person by username, or 422 at ``path``."""
    found = _lookup(session, username)
    if found is None:
        raise ValidationFailed.at(path, _l("no such person: %(who)s", who=username))
    return found


def of_unit(session: DbSession, usernames: Sequence[str], unit_id: int, path: str) -> list[Someone]:
    """The active people of a unit named by ``usernames``; every stranger is a problem
    at ``path[i]`` (all named together)."""
    found: list[Someone] = []
    problems: list[dict[str, Any]] = []
    for n, username in enumerate(usernames):
        person = _lookup(session, username)
        if person is None:
            problems.append({"path": f"{path}[{n}]",
                             "message": _l("no such person: %(who)s", who=username)})  # fmt: skip
        elif person.unit_id != unit_id:
            problems.append({"path": f"{path}[{n}]", "message": _l("not a person of the unit")})
        elif person not in found:
            found.append(person)
    if problems:
        raise ValidationFailed(
            "; ".join(f"{p['path']}: {p['message']}" for p in problems), details=problems
        )
    return found


def unit_by_code(session: DbSession, code: str, path: str = "unit") -> Unit:
    unit = session.scalar(sa.select(Unit).where(unit_code_is(code or "")))
    if unit is None:
        raise ValidationFailed.at(path, _l("no such unit: %(code)s", code=code))
    return unit


def unit_code(session: DbSession, unit_id: int) -> str:
    return session.get_one(Unit, unit_id).code


def usernames(session: DbSession, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return dict(
        session.execute(sa.select(Person.id, Person.username).where(Person.id.in_(wanted))).all()  # type: ignore[arg-type]
    )


def choices(session: DbSession, ids: Iterable[int]) -> list[tuple[str, str]]:
    """(username, 王芳（区财政局·经办人）) of ``ids``, in their order: a form's options."""
    ordered = list(dict.fromkeys(ids))
    names = usernames(session, ordered)
    labels = person_labels(session, set(ordered))
    return [(names[i], labels.get(i, names[i])) for i in ordered if i in names]


__all__ = [
    "Someone", "by_username", "choices", "leaders", "leading_holders", "members", "of_unit",
    "person_labels", "post_holders", "talkers", "unit_by_code", "unit_code", "usernames",
]  # fmt: skip
