"""Study statistics (学习统计) by unit, post and task, the people overdue, a person's
study record, and the facts the overdue rule judges.

Counted over the assignments of published tasks in the caller's reach (discipline
leaders: their unit; inspectors: their scope; administrators: all), optionally of one
unit, one task, and due within a period:

- completion rate: completed ÷ assigned;
- pass rate: passed ÷ assignments whose task has a quiz (not taking it is not passing);
- average score: the mean of each person's best score, over those who took the quiz;
- overdue: not completed and past the due day (counted in working days).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskctl.core import audit, calendar_store
from riskctl.core.access import ALL_UNITS, Action, Principal, require, visible_units
from riskctl.core.clock import utcnow
from riskctl.core.db import DbSession
from riskctl.core.errors import NotFound, ValidationFailed
from riskctl.education import spec
from riskctl.education.models import (
    Assignment,
    ReadingProgress,
    StudyTask,
    StudyTaskMaterial,
    TaskStatus,
)
from riskctl.education.services import visible_task
from riskctl.education.study import assignment_views
from riskctl.org.models import Person, Post, Unit
from riskctl.org.services import filter_unit, person_labels


@dataclass(frozen=True)
class Row:
    id: int
    task_id: int
    title: str
    person_id: int
    unit_id: int
    post: str | None
    due_on: date
    completed_at: datetime | None
    best_score: int | None
    is_passed: bool
    has_quiz: bool


def _rows(
    session: DbSession, principal: Principal, *, unit: str | None, task_id: int | None,
    first: date | None, last: date | None,
) -> list[Row]:  # fmt: skip
    require(principal, Action.VIEW_STUDY)
    reach = visible_units(principal, Action.VIEW_STUDY)
    stmt = (
        sa.select(
            Assignment.id, Assignment.task_id, StudyTask.title, Assignment.person_id,
            Assignment.unit_id, Assignment.post, Assignment.due_on, Assignment.completed_at,
            Assignment.best_score, Assignment.passed_at, StudyTask.quiz_questions,
        )
        .join(StudyTask, StudyTask.id == Assignment.task_id)
        .where(StudyTask.status == TaskStatus.PUBLISHED)
    )  # fmt: skip
    if reach is not ALL_UNITS:
        stmt = stmt.where(Assignment.unit_id.in_(sorted(reach) or [-1]))  # type: ignore[arg-type]
    if unit is not None:
        found = filter_unit(session, principal, Action.VIEW_STUDY, unit)
        stmt = stmt.where(Assignment.unit_id == found.id)
    if task_id is not None:
        stmt = stmt.where(Assignment.task_id == visible_task(session, principal, task_id).id)
    if first is not None and last is not None and last < first:
        raise ValidationFailed.at("to", _l("the end of the period is before its start"))
    if first is not None:
        stmt = stmt.where(Assignment.due_on >= first)
    if last is not None:
        stmt = stmt.where(Assignment.due_on <= last)
    return [
        Row(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9] is not None, bool(r[10]))
        for r in session.execute(stmt.order_by(Assignment.id))
    ]


def _figures(rows: Iterable[Row], today: date) -> dict[str, Any]:
    rows = list(rows)
    assigned = len(rows)
    completed = sum(1 for r in rows if r.completed_at is not None)
    with_quiz = [r for r in rows if r.has_quiz]
    passed = sum(1 for r in with_quiz if r.is_passed)
    scores = [r.best_score for r in with_quiz if r.best_score is not None]
    return {
        "assigned": assigned, "completed": completed,
        "completion_rate": round(completed / assigned, 4) if assigned else None,
        "with_quiz": len(with_quiz), "quiz_taken": len(scores), "passed": passed,
        "pass_rate": round(passed / len(with_quiz), 4) if with_quiz else None,
        "average_score": round(sum(scores) / len(scores), 1) if scores else None,
        "overdue": sum(1 for r in rows if r.completed_at is None and r.due_on < today),
    }  # fmt: skip


def stats(
    session: DbSession, principal: Principal, *, unit: str | None = None,
    task_id: int | None = None, first: date | None = None, last: date | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Completion, pass rate, average score and overdue people, in total and by unit,
    post and task (see the module docstring)."""
    rows = _rows(session, principal, unit=unit, task_id=task_id, first=first, last=last)
    calendar = calendar_store.working_calendar(session)
    today = calendar.local_date(utcnow())
    units = dict(session.execute(sa.select(Unit.id, Unit.code)).all())  # type: ignore[arg-type]
    unit_names = dict(session.execute(sa.select(Unit.id, Unit.name)).all())  # type: ignore[arg-type]
    post_names: dict[str, str] = {}
    for code, name in session.execute(sa.select(Post.code, Post.name).order_by(Post.id.desc())):
        post_names[code] = name  # the oldest unit's name of a code wins (the demo's are one)

    def grouped(key: Any, label: Any) -> list[dict[str, Any]]:
        groups: dict[Any, list[Row]] = defaultdict(list)
        for r in rows:
            groups[key(r)].append(r)
        found = [{"key": k, "label": label(k, g), **_figures(g, today)} for k, g in groups.items()]
        return sorted(found, key=lambda g: (-g["assigned"], str(g["label"])))

    by_unit = grouped(lambda r: units.get(r.unit_id, ""),
                      lambda k, g: unit_names.get(g[0].unit_id, k))  # fmt: skip
    by_post = grouped(lambda r: r.post or "",
                      lambda k, g: post_names.get(k, k) if k else str(_l("No post")))  # fmt: skip
    by_task = grouped(lambda r: r.task_id, lambda k, g: g[0].title)
    late = [r for r in rows if r.completed_at is None and r.due_on < today]
    labels = person_labels(session, {r.person_id for r in late})
    usernames = dict(
        session.execute(
            sa.select(Person.id, Person.username).where(
                Person.id.in_(sorted({r.person_id for r in late}) or [-1])
            )
        ).all()  # type: ignore[arg-type]
    )
    overdue: list[dict[str, Any]] = sorted(
        (
            {"assignment_id": r.id, "person": usernames.get(r.person_id, ""),
             "person_label": labels.get(r.person_id, ""), "unit": units.get(r.unit_id, ""),
             "unit_name": unit_names.get(r.unit_id, ""), "post": r.post,
             "post_name": post_names.get(r.post or "", r.post), "task_id": r.task_id,
             "title": r.title, "due_on": r.due_on,
             "working_days_overdue": calendar.working_days_between(r.due_on, today)}
            for r in late
        ),
        key=lambda o: (-o["working_days_overdue"], o["unit"], o["person"]),
    )  # fmt: skip
    return {"total": _figures(rows, today), "by_unit": by_unit, "by_post": by_post,
            "by_task": by_task, "overdue": overdue}  # fmt: skip


def detail_rows(
    session: DbSession, principal: Principal, *, unit: str | None = None,
    task_id: int | None = None, first: date | None = None, last: date | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """One row per assignment, as an export names it: people, units, posts by name."""
    rows = _rows(session, principal, unit=unit, task_id=task_id, first=first, last=last)
    calendar = calendar_store.working_calendar(session)
    today = calendar.local_date(utcnow())
    labels = person_labels(session, {r.person_id for r in rows})
    unit_names = dict(session.execute(sa.select(Unit.id, Unit.name)).all())  # type: ignore[arg-type]
    post_names = {c: n for c, n in session.execute(sa.select(Post.code, Post.name))}
    totals = dict(
        session.execute(
            sa.select(StudyTaskMaterial.task_id, sa.func.count()).group_by(
                StudyTaskMaterial.task_id
            )
        ).all()  # type: ignore[arg-type]
    )
    read = dict(
        session.execute(
            sa.select(ReadingProgress.assignment_id, sa.func.count())
            .where(ReadingProgress.read_at.is_not(None),
                   ReadingProgress.assignment_id.in_([r.id for r in rows] or [-1]))
            .group_by(ReadingProgress.assignment_id)
        ).all()  # type: ignore[arg-type]
    )  # fmt: skip
    found = []
    for r in rows:
        late = r.completed_at is None and r.due_on < today
        found.append({
            "person_label": labels.get(r.person_id, ""), "unit_name": unit_names.get(r.unit_id, ""),
            "post_name": post_names.get(r.post or "", r.post or ""), "title": r.title,
            "due_on": r.due_on, "status": "completed" if r.completed_at else
            ("overdue" if late else "open"),
            "working_days_overdue": calendar.working_days_between(r.due_on, today) if late else 0,
            "materials_read": int(read.get(r.id, 0)), "materials": int(totals.get(r.task_id, 0)),
            "has_quiz": r.has_quiz, "best_score": r.best_score, "is_passed": r.is_passed,
            "completed_at": r.completed_at,
        })  # fmt: skip
    return found


def person_record(
    session: DbSession, principal: Principal, username: str, pace: spec.Pace
) -> dict[str, Any]:
    """学习档案: a person's study, completed and open, for themselves and for those who
    supervise their unit (a read of personal data: recorded on the audit chain)."""
    person = session.scalar(sa.select(Person).where(Person.username == username))
    own = person is not None and person.id == principal.person_id
    if person is None or not (own or person.unit_id in visible_units(principal, Action.VIEW_STUDY)):
        raise NotFound(_l("no person %(code)s", code=username), code="unknown_person")
    rows = list(
        session.scalars(
            sa.select(Assignment)
            .join(StudyTask, StudyTask.id == Assignment.task_id)
            .where(Assignment.person_id == person.id, StudyTask.status == TaskStatus.PUBLISHED)
            .order_by(Assignment.completed_at.is_(None), Assignment.completed_at.desc(),
                      Assignment.due_on)
        )
    )  # fmt: skip
    if not own:
        audit.record(
            session, "education.record_read", target_type="person", target_id=username,
            unit_id=person.unit_id, after={"assignments": len(rows)},
        )  # fmt: skip
    views = assignment_views(session, rows, pace)
    return {
        "person": person.username,
        "person_label": person_labels(session, {person.id}).get(person.id, person.name),
        "completed": [v for v in views if v["status"] == "completed"],
        "open": [v for v in views if v["status"] != "completed"],
    }
