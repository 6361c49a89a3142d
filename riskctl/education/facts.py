"""The facts of study the risk scan judges (``riskctl.risk.rules.education``): read
set-based, as of the scan's moment, from the education domain's tables only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from riskctl.core.db import DbSession
from riskctl.education.models import (
    Assignment,
    ReadingProgress,
    StudyTask,
    StudyTaskMaterial,
    TaskStatus,
)


@dataclass(frozen=True)
class OverdueStudy:
    """An assignment not completed at ``at`` although its due day has passed."""

    assignment_id: int
    task_id: int
    title: str
    person_id: int
    unit_id: int
    post: str | None
    due_on: date
    materials: int
    materials_read: int
    has_quiz: bool
    best_score: int | None
    is_passed: bool


def overdue_facts(
    session: DbSession, at: datetime, today: date, unit_ids: Iterable[int] | None = None
) -> list[OverdueStudy]:
    """The study overdue at ``at`` (``today``: its local day) — of ``unit_ids``, or all
    — as the risk scan sees it: completed later counts as not completed then."""
    stmt = (
        sa.select(
            Assignment.id, Assignment.task_id, StudyTask.title, Assignment.person_id,
            Assignment.unit_id, Assignment.post, Assignment.due_on, Assignment.best_score,
            Assignment.passed_at, StudyTask.quiz_questions,
        )
        .join(StudyTask, StudyTask.id == Assignment.task_id)
        .where(
            StudyTask.status == TaskStatus.PUBLISHED, Assignment.due_on < today,
            Assignment.assigned_at <= at,
            sa.or_(Assignment.completed_at.is_(None), Assignment.completed_at > at),
        )
    )  # fmt: skip
    if unit_ids is not None:
        stmt = stmt.where(Assignment.unit_id.in_(sorted(set(unit_ids)) or [-1]))
    rows = session.execute(stmt).all()
    if not rows:
        return []
    ids = [r[0] for r in rows]
    totals = dict(
        session.execute(
            sa.select(StudyTaskMaterial.task_id, sa.func.count())
            .where(StudyTaskMaterial.task_id.in_(sorted({r[1] for r in rows})))
            .group_by(StudyTaskMaterial.task_id)
        ).all()  # type: ignore[arg-type]
    )
    read = dict(
        session.execute(
            sa.select(ReadingProgress.assignment_id, sa.func.count())
            .where(ReadingProgress.assignment_id.in_(ids), ReadingProgress.read_at <= at)
            .group_by(ReadingProgress.assignment_id)
        ).all()  # type: ignore[arg-type]
    )
    return [
        OverdueStudy(r[0], r[1], r[2], r[3], r[4], r[5], r[6], int(totals.get(r[1], 0)),
                     int(read.get(r[0], 0)), bool(r[9]), r[7],
                     r[8] is not None and r[8] <= at)
        for r in rows
    ]  # fmt: skip


def changed_units(session: DbSession, since: datetime) -> frozenset[int]:
    """Units whose study changed since ``since`` (assigned or completed): the risk scan
    judges their overdue study again between its daily full scans."""
    rows = session.execute(
        sa.select(Assignment.unit_id)
        .distinct()
        .where(sa.or_(Assignment.completed_at > since, Assignment.assigned_at > since))
    )
    return frozenset(r[0] for r in rows)
