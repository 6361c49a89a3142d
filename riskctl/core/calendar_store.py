"""Calendar overrides kept in the database, and the calendar every service uses.

An override says that a date is (or is not) a working day, whatever the ``holidays``
package says: the State Council's arrangement for next year may come out after the
package release we run.  Overrides are few and change a few times a year, so the
calendar built from them is cached per process for ``CACHE_SECONDS`` (other processes
see a change within that time) and rebuilt at once in the process that made the change.
"""

from __future__ import annotations

import threading
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from riskctl.core.access import Action, Principal, require
from riskctl.core.audit import Audited
from riskctl.core.calendar import WorkingCalendar
from riskctl.core.clock import utcnow
from riskctl.core.db import Base, DbSession
from riskctl.core.errors import NotFound, ValidationFailed

CACHE_SECONDS = 30.0
_zone = "Asia/Shanghai"
_cache: tuple[float, WorkingCalendar] | None = None
_lock = threading.Lock()


class CalendarOverride(Audited, Base):
    """A date that is a working day (``is_working``) or a day off, by decision of an
    administrator (e.g. next year's 调休 arrangement before the package knows it)."""

    __tablename__ = "calendar_override"
    __audit_label__ = "day"
    __audit_unit__ = None

    day: Mapped[date] = mapped_column(primary_key=True)
    is_working: Mapped[bool]
    reason: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def configure(timezone: str) -> None:
    """Set the zone in which days are counted (``RISKCTL_TIMEZONE``; called by create_app)."""
    global _zone
    _zone = timezone
    forget()


def zone() -> ZoneInfo:
    """The zone of local times (Asia/Shanghai unless configured otherwise)."""
    return ZoneInfo(_zone)


def local_date(moment: datetime | None = None) -> date:
    """The local day of ``moment`` (default: now).  A day in riskctl — a post held
    "from" a day, a step "on" a day — is a day in the platform's zone: at 07:00 in
    Beijing it is already the next day, though UTC has not turned yet."""
    return (moment or utcnow()).astimezone(zone()).date()


def forget() -> None:
    """Drop the cached calendar (after a change, and between tests)."""
    global _cache
    with _lock:
        _cache = None


def working_calendar(session: DbSession) -> WorkingCalendar:
    global _cache
    cached = _cache
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    rows = session.execute(sa.select(CalendarOverride.day, CalendarOverride.is_working)).all()
    calendar = WorkingCalendar({day: working for day, working in rows}, timezone=_zone)
    with _lock:
        _cache = (time.monotonic(), calendar)
    return calendar


def list_overrides(
    session: DbSession, *, start: date | None = None, end: date | None = None
) -> list[CalendarOverride]:
    stmt = sa.select(CalendarOverride).order_by(CalendarOverride.day)
    if start is not None:
        stmt = stmt.where(CalendarOverride.day >= start)
    if end is not None:
        stmt = stmt.where(CalendarOverride.day <= end)
    return list(session.scalars(stmt))


def set_override(
    session: DbSession, principal: Principal, day: date, *, is_working: bool, reason: str
) -> CalendarOverride:
    require(principal, Action.MANAGE_CALENDAR)
    if not reason.strip():
        raise ValidationFailed.at(
            "reason", _l("say why, e.g. 国务院办公厅关于2027年部分节假日安排的通知")
        )
    row = session.get(CalendarOverride, day)
    if row is None:
        row = CalendarOverride(day=day)
        session.add(row)
    row.is_working, row.reason = is_working, reason.strip()
    session.flush()
    forget()
    return row


def remove_override(session: DbSession, principal: Principal, day: date) -> None:
    require(principal, Action.MANAGE_CALENDAR)
    row = session.get(CalendarOverride, day)
    if row is None:
        raise NotFound(_l("no override for %(day)s", day=day.isoformat()), code="unknown_override")
    session.delete(row)
    session.flush()
    forget()
