"""How the pages show values: local times, yuan, and every enum with its name and colour.

The labels are lazy strings with English message ids, translated by the zh_CN catalogue,
so one place names a level 红色 for a Chinese reader and "Red" for an English one.  The
filters take plain values (as the services return them) and never touch the request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from riskctl.core import calendar_store
from riskctl.core.calendar import WorkingCalendar

LEVELS: Mapping[str, Any] = {"red": _l("Red"), "orange": _l("Orange"), "yellow": _l("Yellow")}
EVENT_STATUSES: Mapping[str, Any] = {
    "open": _l("Open"),
    "acknowledged": _l("Acknowledged"),
    "explained": _l("Explained"),
    "resolved": _l("Resolved"),
    "dismissed": _l("Dismissed"),
    "auto_closed": _l("Closed automatically"),
}
DISPOSITIONS: Mapping[str, Any] = {
    "no_problem": _l("Verified: no problem (closed)"),
    "criticism": _l("Criticism and education"),
    "reminder_talk": _l("Reminder talk"),
    "letter_inquiry": _l("Talk or letter of inquiry"),
    "admonishment": _l("Admonishment"),
    "self_examination": _l("Ordered to examine oneself"),
    "circulated_criticism": _l("Circulated criticism"),
    "rectification": _l("Ordered to rectify (supervised)"),
    "case_clue": _l("Handed over as a case clue"),
}
DISPOSITION_FORMS: Mapping[str, Any] = {
    "first": _l("first form"), "second": _l("second form"), "third": _l("third form"),
    "fourth": _l("fourth form"),
}  # fmt: skip
ITEM_STATUSES: Mapping[str, Any] = {
    "running": _l("In progress"),
    "completed": _l("Completed"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
    "frozen": _l("Frozen"),
}
_INSTANT = timedelta(microseconds=1)
TASK_STATUSES: Mapping[str, Any] = {
    "open": _l("To do"),
    "completed": _l("Done"),
    "cancelled": _l("Closed unfinished"),
}
CATEGORIES: Mapping[str, Any] = {
    "procurement": _l("Government procurement"),
    "construction": _l("Construction projects"),
    "assets": _l("Assets"),
    "finance": _l("Revenue and expenditure"),
    "contract": _l("Contracts"),
    "major_decision": _l("Major decisions"),
    "talk": _l("Talks"),
    "ledger": _l("Ledgers"),
    "other": _l("Other"),
}
DELIVERY_STATUSES: Mapping[str, Any] = {
    "pending": _l("Waiting"),
    "sending": _l("Sending"),
    "unknown": _l("Outcome being checked"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    "held": _l("Held for quiet hours"),
    "digested": _l("In the morning digest"),
    "capped": _l("Over the cap"),
    "summarised": _l("In a summary"),
    "silenced": _l("Silenced"),
    "inhibited": _l("Inhibited"),
}
CHANNELS: Mapping[str, Any] = {"in_app": _l("In-app"), "sms": _l("SMS"), "screen": _l("Screen")}
NOTIFICATION_KINDS: Mapping[str, Any] = {
    "raised": _l("New warning or higher level"),
    "escalated": _l("Escalated: not acknowledged in time"),
    "repeat": _l("Reminder: still not acknowledged"),
    "resolved": _l("Warning closed"),
    "summary": _l("Summary of messages over the cap"),
    "digest": _l("Morning digest of the quiet hours"),
    "watch": _l("Item entered a watched node"),
    "reminder": _l("Reminder: a talk or a rectification falls due"),
    "notice": _l("Notice"),
    "study": _l("Study assigned or due"),
}
CONTROL_OUTCOMES: Mapping[str, Any] = {
    "refused": _l("Refused"),
    "flagged": _l("Flagged"),
    "mitigated": _l("Mitigated"),
}
STEP_KINDS: Mapping[str, Any] = {
    "start": _l("Started"),
    "complete": _l("Completed"),
    "cancel": _l("Cancelled"),
}
# Statuses that colour like a level: the badge classes of the stylesheet.
TONES = {
    "red": "red", "orange": "orange", "yellow": "yellow", "frozen": "red", "refused": "red",
    "rejected": "red", "failed": "red", "flagged": "orange", "unknown": "orange",
    "open": "orange", "running": "blue", "completed": "green", "resolved": "green",
    "sent": "green", "done": "green",
}  # fmt: skip
KINDS: Mapping[str, Mapping[str, Any]] = {
    "level": LEVELS, "event_status": EVENT_STATUSES, "disposition": DISPOSITIONS,
    "item_status": ITEM_STATUSES, "task_status": TASK_STATUSES, "category": CATEGORIES,
    "delivery": DELIVERY_STATUSES, "channel": CHANNELS, "notification": NOTIFICATION_KINDS,
    "control": CONTROL_OUTCOMES,
    "step": STEP_KINDS, "form": DISPOSITION_FORMS,
}  # fmt: skip


# The risk policy may name the levels (黄牌警告, 红牌督办: riskctl.risk.labels); the page
# shell installs the lookup, so that core imports no domain.  None: the built-in name.
def _built_in(_key: str) -> str | None:
    return None


_level_name: Callable[[str], str | None] = _built_in


def name_levels(lookup: Callable[[str], str | None]) -> None:
    global _level_name
    _level_name = lookup


def label(value: Any, kind: str) -> str:
    """The reader's name of an enum value; an unknown value is shown as it is."""
    if value is None:
        return "—"
    key = getattr(value, "value", value)
    if kind == "level" and key in LEVELS and (named := _level_name(key)) is not None:
        return named
    return str(KINDS[kind].get(key, key))


def badge(value: Any, kind: str) -> Markup:
    """The label in a coloured pill (红/橙/黄 for levels)."""
    if value is None:
        return Markup("—")
    key = getattr(value, "value", value)
    tone = TONES.get(key, "grey")
    return Markup('<span class="badge tone-{}" data-value="{}">{}</span>').format(
        tone, key, label(key, kind)
    )


def as_utc(moment: datetime) -> datetime:
    """An aware UTC moment (SQLite hands stored moments back naive, in UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def local_time(moment: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC moment in the platform's time zone (Asia/Shanghai)."""
    if moment is None or moment == "":
        return "—"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return as_utc(moment).astimezone(calendar_store.zone()).strftime(fmt)


def due_time(moment: datetime | None) -> str:
    """A due time; midnight is shown as 24:00 of the day before (the limit's last day)."""
    if moment is None:
        return "—"
    local = as_utc(moment).astimezone(calendar_store.zone())
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return (local - _INSTANT).strftime("%Y-%m-%d") + " 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


def yuan(value: Any) -> str:
    """Money as ¥ with thousands separators and two decimals; text that is no amount as is."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"¥{amount:,.2f}"


def field_value(value: Any, kind: str) -> str:
    """A stored process field as a reader expects it (api.md stores money and dates as text)."""
    if value is None or value == "":
        return "—"
    if kind == "money":
        return yuan(value)
    if kind == "bool":
        return str(_l("Yes") if value else _l("No"))
    if kind == "int" and isinstance(value, int):
        return f"{value:,}"
    return str(value)


def remaining(
    due_at: datetime | None, now: datetime, calendar: WorkingCalendar
) -> tuple[str, str] | None:
    """How long until a task is due, in working days (hours on its last day), and a tone:
    ``("剩余 3 个工作日", "ok")``, ``("剩余 5 小时", "soon")``, ``("超期 2 个工作日", "late")``."""
    if due_at is None:
        return None
    due_at = as_utc(due_at)
    # A limit in days falls due at 24:00 local time: that is still its last day.
    today, due_day = calendar.local_date(now), calendar.local_date(due_at - _INSTANT)
    if due_at <= now:
        if now - due_at < timedelta(days=1):
            hours = max(int((now - due_at).total_seconds() // 3600), 1)
            return str(_l("%(n)d h overdue", n=hours)), "late"
        late = max(calendar.working_days_between(due_day, today), 1)
        return str(_l("%(n)d working days overdue", n=late)), "late"
    days = calendar.working_days_between(today, due_day)
    if days <= 0 or due_at - now < timedelta(days=1):
        hours = max(int((due_at - now).total_seconds() // 3600), 1)
        return str(_l("%(n)d h left", n=hours)), "soon"
    return str(_l("%(n)d working days left", n=days)), ("soon" if days <= 1 else "ok")


def escape_text(value: Any) -> Markup:
    """Text with its line breaks kept (explanations, comments)."""
    return Markup("<br>").join(escape(line) for line in str(value or "").splitlines())
