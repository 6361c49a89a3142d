"""What study tells people, through the platform's outbox (``riskctl.alerts.outbox``):

- in-app when a task is assigned to them, and two working days before it falls due;
- a morning SMS on working days to those overdue on a task that asks for it
  (``is_sms_digest``), one per person and day, counting their overdue tasks.

Rows are written in the caller's transaction with a dedupe key naming the change, so a
job run twice tells nobody twice.  The SMS goes through the dispatcher like every other:
it waits out the quiet hours and counts against the caps.  Like the warnings' messages,
the texts are written in Chinese when they are stored, and an SMS says no title and no
name: only that study is overdue, and where to do it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa

from riskctl.alerts.models import Channel, Kind, Status
from riskctl.alerts.outbox import write
from riskctl.org.models import Person

SMS_TAG = "【廉政教育】"
MORNING_ENDS = time(12, 0)  # the digest goes out after the quiet hours, before noon


def _row(key: str, channel: Channel, person_id: int, unit_id: int | None, title: str,
         body: str, data: dict[str, Any], now: datetime, phone: str | None = None
         ) -> dict[str, Any]:  # fmt: skip
    sms = channel is Channel.SMS
    status = (Status.PENDING if phone else Status.FAILED) if sms else Status.SENT
    return {
        "dedupe_key": key, "channel": channel, "kind": Kind.STUDY, "status": status,
        "unit_id": unit_id, "recipient_id": person_id, "phone": phone, "title": title[:200],
        "body": body, "data": data, "created_at": now,
        "next_attempt_at": now if status is Status.PENDING else None,
        "sent_at": now if status is Status.SENT else None,
        "error_message": "no phone number" if sms and not phone else None,
    }  # fmt: skip


def _page(assignment_id: int) -> str:
    """Where a notice opens (the bell's notifications follow ``data.link``): 我的学习 at the
    assignment.  A path, not ``url_for``: notices are written by jobs without a request."""
    return f"/study#assignment-{assignment_id}"


def _due(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def assigned(session: Any, task: Any, assignments: Sequence[Any], now: datetime) -> int:
    """新的学习任务: one in-app notice per new assignment."""
    rows = [
        _row(f"study{a.id}:assigned", Channel.IN_APP, a.person_id, a.unit_id,
             f"新的学习任务：{task.title}",
             f"请于{_due(a.due_on)}前在「我的学习」中完成学习任务「{task.title}」。",
             {"study_task": task.id, "assignment": a.id, "link": _page(a.id)}, now)
        for a in assignments
    ]  # fmt: skip
    return write(session, rows)


def due_soon(session: Any, found: Iterable[tuple[Any, str]], now: datetime) -> int:
    """学习任务即将到期: ``found`` holds (assignment, task title)."""
    rows = [
        _row(f"study{a.id}:due_soon", Channel.IN_APP, a.person_id, a.unit_id,
             f"学习任务即将到期：{title}",
             f"学习任务「{title}」将于{_due(a.due_on)}到期，请尽快完成。",
             {"study_task": a.task_id, "assignment": a.id, "link": _page(a.id)}, now)
        for a, title in found
    ]  # fmt: skip
    return write(session, rows)


def overdue_digest(
    session: Any, overdue: dict[int, tuple[int | None, int]], today: date, now: datetime
) -> int:
    """One SMS per person (id → (unit id, overdue tasks)) for ``today``."""
    phones = dict(
        session.execute(
            sa.select(Person.id, Person.phone).where(Person.id.in_(sorted(overdue) or [-1]))
        ).all()
    )
    rows = [
        _row(f"study-digest:{pid}:{today:%Y%m%d}", Channel.SMS, pid, unit_id, "学习任务逾期提醒",
             f"{SMS_TAG}您有{count}项学习任务已逾期，请登录平台在「我的学习」中完成。",
             {"overdue": count}, now, phones.get(pid))
        for pid, (unit_id, count) in sorted(overdue.items())
    ]  # fmt: skip
    return write(session, rows)


def in_morning(local: datetime, quiet_end: time) -> bool:
    """After the quiet hours' end and before noon, local time."""
    return quiet_end <= local.time() < MORNING_ENDS
