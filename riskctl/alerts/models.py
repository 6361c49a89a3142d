"""Notifications (the outbox), their delivery attempts, silences and screen kiosks."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from riskctl.core.audit import Audited
from riskctl.core.clock import utcnow
from riskctl.core.db import Base, value_enum


class Channel(enum.StrEnum):
    IN_APP = "in_app"
    SMS = "sms"
    SCREEN = "screen"


class Kind(enum.StrEnum):
    RAISED = "raised"  # a new warning, or one that reached a higher level
    ESCALATED = "escalated"  # not acknowledged within the wait: the next level's audience
    REPEAT = "repeat"  # still unacknowledged (or the acknowledgement expired)
    RESOLVED = "resolved"  # the warning closed
    SUMMARY = "summary"  # the SMS a cap held back, counted in one message
    DIGEST = "digest"  # the SMS quiet hours held back, in one morning message
    WATCH = "watch"  # an item entered a watched risk node
    REMINDER = "reminder"  # a talk or a rectification falls due soon (riskctl.supervision)
    STUDY = "study"  # study assigned, due soon, or overdue (riskctl.education.notices)

    NOTICE = "notice"  # another domain's news for a person (a monthly report is ready …)


class Status(enum.StrEnum):
    PENDING = "pending"  # SMS waiting for the dispatcher (or its next attempt)
    SENDING = "sending"  # an attempt started and its outcome is not recorded yet
    UNKNOWN = "unknown"  # timeout or 5xx: reconciled with the provider before any resend
    SENT = "sent"  # accepted by the provider (SMS) or delivered (in-app, screen)
    FAILED = "failed"  # refused for good (bad number ...), or no phone number
    HELD = "held"  # quiet hours: waits for the morning digest
    DIGESTED = "digested"  # counted in a digest SMS
    CAPPED = "capped"  # over an SMS cap: counted in a summary SMS
    SUMMARISED = "summarised"
    SILENCED = "silenced"  # a silence matched when it was written
    INHIBITED = "inhibited"  # a higher-level warning on the same item is active


# How far each provider status is along the way; a callback never moves a message back.
DELIVERY_ORDER = {
    "accepted": 1, "scheduled": 1, "queued": 2, "sending": 3, "sent": 4,
    "delivered": 5, "read": 6, "undelivered": 5, "failed": 5, "canceled": 5,
}  # fmt: skip


class Notification(Base):
    """One message to one recipient over one channel; never deleted.

    ``dedupe_key`` is unique: the event change that caused the row names it, so a scan
    run twice or retried after a crash can never write the same notification twice.
    """

    __tablename__ = "notification"
    __table_args__ = (
        sa.Index("ix_notification_channel_status", "channel", "status"),
        sa.Index("ix_notification_recipient_created", "recipient_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    channel: Mapped[Channel] = mapped_column(value_enum(Channel, "notification_channel"))
    kind: Mapped[Kind] = mapped_column(value_enum(Kind, "notification_kind"))
    status: Mapped[Status] = mapped_column(value_enum(Status, "notification_status"))
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("risk_event.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("item.id"))
    level: Mapped[str | None] = mapped_column(sa.String(10))
    recipient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    # The number at the time of writing: a later change of the person's phone does not
    # redirect a message already on its way.
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    provider_sid: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    delivery_status: Mapped[str | None] = mapped_column(sa.String(20))
    error_code: Mapped[str | None] = mapped_column(sa.String(20))
    error_message: Mapped[str | None] = mapped_column(sa.String(500))
    sent_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    # A message sent twice is possible only after an unknown outcome; it is recorded.
    duplicate_suspected: Mapped[bool] = mapped_column(default=False)


class DeliveryAttempt(Base):
    """One try to hand an SMS to the provider, written before the request is made: an
    attempt without ``finished_at`` is one the dispatcher died in."""

    __tablename__ = "delivery_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(sa.ForeignKey("notification.id"), index=True)
    backend: Mapped[str] = mapped_column(sa.String(20))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # sent | retry | unknown | failed | reconciled_sent | reconciled_absent
    outcome: Mapped[str | None] = mapped_column(sa.String(20))
    provider_sid: Mapped[str | None] = mapped_column(sa.String(64))
    http_status: Mapped[int | None]
    error_code: Mapped[str | None] = mapped_column(sa.String(20))
    error_message: Mapped[str | None] = mapped_column(sa.String(500))


class Silence(Audited, Base):
    """Mutes notifications whose event matches every key of ``matcher`` (unit, rule,
    level, item) between ``starts_at`` and ``ends_at``; shown on the monitor and screen."""

    __tablename__ = "silence"
    __audit_unit__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    matcher: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime] = mapped_column(index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    reason: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScreenKiosk(Audited, Base):
    """A big screen's read-only token (aggregates only).  Only its SHA-256 is stored."""

    __tablename__ = "screen_kiosk"
    __audit_redact__ = frozenset({"token_hash"})
    __audit_unit__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
