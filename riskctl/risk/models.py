"""Risk policy versions, process/node risk values, risk events, scans and daily figures."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from riskctl.core.audit import Audited
from riskctl.core.clock import utcnow
from riskctl.core.db import Base, value_enum


class Level(enum.StrEnum):
    RED = "red"  # 一级 / 高
    ORANGE = "orange"  # 二级 / 中
    YELLOW = "yellow"  # 三级 / 低

    @property
    def rank(self) -> int:
        return {"yellow": 1, "orange": 2, "red": 3}[self.value]


class EventStatus(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    EXPLAINED = "explained"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"
    AUTO_CLOSED = "auto_closed"


ACTIVE = (EventStatus.OPEN, EventStatus.ACKNOWLEDGED, EventStatus.EXPLAINED)
ACTIVE_VALUES = tuple(s.value for s in ACTIVE)


class Disposition(enum.StrEnum):
    """How a warning was disposed of.  The codes are stable (api.md); the words are the
    instruments of 监督执纪 (the first form, 第一种形态) and the usual outcomes of a process
    anomaly.  ``FORMS`` says which of the four forms (四种形态) a disposition is."""

    NO_PROBLEM = "no_problem"  # 经核实无问题（予以了结）
    CRITICISM = "criticism"  # 批评教育
    REMINDER_TALK = "reminder_talk"  # 谈话提醒
    LETTER_INQUIRY = "letter_inquiry"  # 约谈函询
    ADMONISHMENT = "admonishment"  # 诫勉
    SELF_EXAMINATION = "self_examination"  # 责令检查
    CIRCULATED_CRITICISM = "circulated_criticism"  # 通报批评
    RECTIFICATION = "rectification"  # 责令整改／督办 (the fault of a process, not a person)
    CASE_CLUE = "case_clue"  # 移交问题线索 (its form is for the case to decide)


# 监督执纪"第一种形态": 《中国共产党纪律处分条例》（2023年修订）第五条 names 谈话提醒、
# 批评教育、责令检查、诫勉; 《中国共产党党内监督条例》 the 约谈函询 beside them.  通报批评
# is named in neither, so it is not counted as a form here (docs/legal_basis.md §15).
# None: no form (nothing found, a process put right, a clue handed on, 通报批评).
FIRST_FORM = "first"
FORMS: dict[Disposition, str | None] = {
    Disposition.NO_PROBLEM: None,
    Disposition.CRITICISM: FIRST_FORM,
    Disposition.REMINDER_TALK: FIRST_FORM,
    Disposition.LETTER_INQUIRY: FIRST_FORM,
    Disposition.ADMONISHMENT: FIRST_FORM,
    Disposition.SELF_EXAMINATION: FIRST_FORM,
    Disposition.CIRCULATED_CRITICISM: None,
    Disposition.RECTIFICATION: None,
    Disposition.CASE_CLUE: None,
}


class RiskPolicy(Base):
    """One version of the risk policy; the highest version is in force.  Rows are never
    updated: a change is a new version, and the audit trail names who made it."""

    __tablename__ = "risk_policy"

    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    body: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    comment: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))


class RiskValue(Audited, Base):
    """A unit's risk value for one of its processes (``node`` empty) or one node of it.
    Kept apart from the definitions because published versions are immutable, while the
    commission re-grades risks without asking for a new version of the process."""

    __tablename__ = "risk_value"
    __table_args__ = (
        sa.UniqueConstraint("unit_id", "process", "node"),
        sa.CheckConstraint("risk BETWEEN 1 AND 5", name="risk_range"),
    )
    __audit_label__ = "process"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"))
    process: Mapped[str] = mapped_column(sa.String(40))
    node: Mapped[str] = mapped_column(sa.String(40), default="")
    risk: Mapped[int] = mapped_column(sa.SmallInteger)


class RiskEvent(Base):
    """风险事件: a situation a rule found, scored and graded.

    Identified by (rule, item, node, person, subject) — ``subject`` names what a rule
    about no single item is about (a supplier, a budget project in a year).  The partial
    unique index on ``identity`` lets at most one *active* event exist per identity, so
    that two scans, or a scan retried after a crash, can never raise it twice.
    """

    __tablename__ = "risk_event"
    __table_args__ = (
        sa.Index(
            "uq_risk_event_active_identity",
            "identity",
            unique=True,
            sqlite_where=sa.text("status IN ('open', 'acknowledged', 'explained')"),
            postgresql_where=sa.text("status IN ('open', 'acknowledged', 'explained')"),
        ),
        sa.Index("ix_risk_event_unit_created_at", "unit_id", "created_at"),
        # Every event of a situation, closed ones too: a scan looks up the last one a
        # person closed before raising the same situation again.
        sa.Index("ix_risk_event_identity", "identity"),
        sa.Index("ix_risk_event_status_level", "status", "level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    identity: Mapped[str] = mapped_column(sa.String(300))
    rule: Mapped[str] = mapped_column(sa.String(60))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"))
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("item.id"), index=True)
    node: Mapped[str | None] = mapped_column(sa.String(40))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"), index=True)
    post: Mapped[str | None] = mapped_column(sa.String(40))
    subject: Mapped[str | None] = mapped_column(sa.String(200))
    severity: Mapped[int] = mapped_column(sa.SmallInteger)
    score: Mapped[float]
    level: Mapped[Level] = mapped_column(value_enum(Level, "risk_level"))
    factors: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    evidence: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    status: Mapped[EventStatus] = mapped_column(value_enum(EventStatus, "risk_event_status"))
    policy_version: Mapped[int]
    # When the event reached its current level: the escalation wait counts from here.
    level_since: Mapped[datetime] = mapped_column(default=utcnow)
    escalated: Mapped[bool] = mapped_column(default=False)
    cause_cleared_at: Mapped[datetime | None]  # red events wait for a disposition
    explanation: Mapped[str | None] = mapped_column(sa.Text)
    explained_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    explained_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    acknowledged_at: Mapped[datetime | None]
    disposition: Mapped[Disposition | None] = mapped_column(
        value_enum(Disposition, "risk_disposition")
    )
    # Which of the four forms the disposition was when it was made (statistics by form).
    disposition_form: Mapped[str | None] = mapped_column(sa.String(20))
    closing_note: Mapped[str | None] = mapped_column(sa.Text)  # resolution note or reason
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The same situation was resolved or dismissed before, and came back because its
    # facts changed materially: that event, and what changed ({key, how, before, after}).
    reopens_id: Mapped[int | None] = mapped_column(sa.ForeignKey("risk_event.id"))
    reopen_reason: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)


class RiskEventOpinion(Base):
    """意见: what the unit's discipline team leader says on a warning of the unit, for
    the commission's inspectors who dispose of it (a red is theirs to close).  It
    changes nothing of the event's status; rows are never updated (issue 18)."""

    __tablename__ = "risk_event_opinion"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("risk_event.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Closed by a person: the same situation is not raised again unless its facts change.
CLOSED_BY_PERSON = (EventStatus.RESOLVED, EventStatus.DISMISSED)


class RiskScan(Base):
    """One scan: its mode, the time it looked at and what it changed.  The ``at`` of the
    latest finished scan is the watermark of the next incremental one."""

    __tablename__ = "risk_scan"

    id: Mapped[int] = mapped_column(primary_key=True)
    mode: Mapped[str] = mapped_column(sa.String(20))  # full | incremental
    at: Mapped[datetime] = mapped_column(index=True)
    policy_version: Mapped[int]
    scanned: Mapped[int] = mapped_column(default=0)
    raised: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    closed: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class RiskDailyFigure(Base):
    """The statistics snapshot: per day, unit and level, the events raised that day and
    those still active at its end — kept so that trends survive later re-grading."""

    __tablename__ = "risk_daily_figure"
    __table_args__ = (sa.UniqueConstraint("day", "unit_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"))
    level: Mapped[Level] = mapped_column(value_enum(Level, "risk_level"))
    raised: Mapped[int] = mapped_column(default=0)
    active: Mapped[int] = mapped_column(default=0)
