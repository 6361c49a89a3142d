"""The study's periodic work (scheduler job ``education.tick``) and its part in the
warnings' lifecycle (警示教育).

``tick`` (every few minutes; idempotent):

- people who came into a published task's audience since it was published (took up one
  of its posts, joined one of its units) are assigned it — until its due day; their due
  day is the task's, or five working days from today when that leaves them less;
- two working days before an assignment's due day, its person is reminded in-app (once);
- on a working day's morning, after the quiet hours, a person overdue on a task that asks
  for it gets one SMS counting their overdue tasks (``notices.overdue_digest``).

``on_warning_closed`` follows ``riskctl.risk.signals.warning_closed``: when a red warning
is resolved (with a disposition other than 经核实无问题) in a unit, every published task
that follows the warning's rule and runs that day is assigned to the unit's holders of the
posts the task names — or of the warning's own post, or the person it is about — due
``working_days`` (default 10) working days later, in the close's transaction.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time
from typing import Any

import sqlalchemy as sa

from riskctl.core import calendar_store
from riskctl.core.clock import utcnow
from riskctl.core.db import DbSession
from riskctl.education import notices, spec
from riskctl.education.models import (
    Assignment,
    AssignmentSource,
    StudyTask,
    StudyTaskUnit,
    TaskStatus,
)
from riskctl.education.services import Resolved, assign, posts_held, resolve
from riskctl.org.models import Person, Post, PostAssignment
from riskctl.risk.models import RiskEvent

JOINER_WORKING_DAYS = 5  # the least time a late joiner is given
REMIND_WORKING_DAYS = 2


def tick(session: DbSession, *, quiet_end: time, at: datetime | None = None) -> dict[str, int]:
    """The periodic work above; ``quiet_end``: the end of the alerts' quiet hours
    (local), after which the morning SMS may go.  The caller commits."""
    now = at or utcnow()
    calendar = calendar_store.working_calendar(session)
    today = calendar.local_date(now)
    joined = sync_audiences(session, today)
    # Reminders: due within the next two working days, not completed, not reminded yet.
    horizon = calendar.add_working_days(today, REMIND_WORKING_DAYS)
    soon = session.execute(
        sa.select(Assignment, StudyTask.title)
        .join(StudyTask, StudyTask.id == Assignment.task_id)
        .where(
            StudyTask.status == TaskStatus.PUBLISHED, Assignment.completed_at.is_(None),
            Assignment.reminded_at.is_(None), Assignment.due_on >= today,
            Assignment.due_on <= horizon, Assignment.start_on <= today,
        )
    ).all()  # fmt: skip
    for assignment, _title in soon:
        assignment.reminded_at = now
    reminded = notices.due_soon(session, [(a, t) for a, t in soon], now)
    digests = 0
    local = now.astimezone(calendar_store.zone())
    if calendar.is_working_day(today) and notices.in_morning(local, quiet_end):
        late = session.execute(
            sa.select(Assignment.person_id, Assignment.unit_id)
            .join(StudyTask, StudyTask.id == Assignment.task_id)
            .where(
                StudyTask.status == TaskStatus.PUBLISHED, StudyTask.is_sms_digest.is_(True),
                Assignment.completed_at.is_(None), Assignment.due_on < today,
            )
        ).all()  # fmt: skip
        counts = Counter(pid for pid, _u in late)
        units = dict(late)
        overdue: dict[int, tuple[int | None, int]] = {
            pid: (units[pid], n) for pid, n in counts.items()
        }
        digests = notices.overdue_digest(session, overdue, today, now)
    session.flush()
    return {"joined": joined, "reminded": reminded, "digests": digests}


def sync_audiences(session: DbSession, today: Any) -> int:
    """Assign the tasks running today to the people their audience names now and did
    not when they were published (or when last synced)."""
    calendar = calendar_store.working_calendar(session)
    running = session.scalars(
        sa.select(StudyTask).where(
            StudyTask.status == TaskStatus.PUBLISHED, StudyTask.due_on >= today,
        )
    ).all()  # fmt: skip
    made = 0
    for task in running:
        audience, problems = spec.read_audience(task.audience)
        if problems or audience.is_empty:
            continue
        found = resolve(session, audience, [u.unit_id for u in task.units], today)
        have = set(
            session.scalars(sa.select(Assignment.person_id).where(Assignment.task_id == task.id))
        )
        new = [r for pid, r in found.items() if pid not in have]
        if not new:
            continue
        start = max(task.start_on, today)
        due = max(task.due_on, calendar.add_working_days(today, JOINER_WORKING_DAYS))
        made += len(assign(session, task, new, AssignmentSource.JOINED, start, due))
    return made


def on_warning_closed(sender: Any, *, session: DbSession, event: Any, **_: Any) -> None:
    """警示教育 (see the module docstring).  Runs in the close's transaction."""
    if not isinstance(event, RiskEvent):
        return
    if getattr(event.status, "value", event.status) != "resolved":
        return
    if getattr(event.level, "value", event.level) != "red":
        return
    if getattr(event.disposition, "value", event.disposition) in (None, "no_problem"):
        return
    calendar = calendar_store.working_calendar(session)
    now = utcnow()
    today = calendar.local_date(now)
    tasks = [
        t for t in session.scalars(
            sa.select(StudyTask).where(
                StudyTask.status == TaskStatus.PUBLISHED, StudyTask.follows.is_not(None),
                StudyTask.start_on <= today, StudyTask.due_on >= today,
            ).order_by(StudyTask.id)
        )
        if event.rule in (t.follows or {}).get("rules", [])
    ]  # fmt: skip
    for task in tasks:
        follows = task.follows or {}
        posts = list(follows.get("posts") or ([event.post] if event.post else []))
        people = _holders(session, event.unit_id, posts, today)
        if not posts and event.person_id is not None:
            unit = session.scalar(sa.select(Person.unit_id).where(Person.id == event.person_id))
            if unit is not None:
                held = posts_held(session, {event.person_id: unit}, today).get(event.person_id, {})
                riskiest = max(held, key=lambda p: (held[p], p)) if held else None
                people = [Resolved(event.person_id, unit, riskiest)]
        if not people:
            continue
        if event.unit_id not in {u.unit_id for u in task.units}:
            task.units.append(StudyTaskUnit(unit_id=event.unit_id))
        due = calendar.add_working_days(today, int(follows.get("working_days") or 10))
        assign(session, task, people, AssignmentSource.WARNING, today, due,
               risk_event_id=event.id)  # fmt: skip


def _holders(session: DbSession, unit_id: int, posts: list[str], day: Any) -> list[Resolved]:
    if not posts:
        return []
    rows = session.execute(
        sa.select(PostAssignment.person_id, Post.code, Post.risk)
        .join(Post, Post.id == PostAssignment.post_id)
        .join(Person, Person.id == PostAssignment.person_id)
        .where(
            Post.unit_id == unit_id, Post.code.in_(posts), Person.is_active.is_(True),
            PostAssignment.valid_from <= day,
            sa.or_(PostAssignment.valid_to.is_(None), PostAssignment.valid_to >= day),
        )
    ).all()  # fmt: skip
    best: dict[int, tuple[int, str]] = {}
    for pid, code, risk in rows:
        if pid not in best or (risk, code) > best[pid]:
            best[pid] = (int(risk), code)
    return [Resolved(pid, unit_id, code) for pid, (_r, code) in sorted(best.items())]


def connect() -> None:
    """Follow the warnings' closes (called once by the app factory)."""
    from riskctl.risk import signals

    signals.warning_closed.connect(on_warning_closed)
