"""Talks (谈话) and the supervision ledger (督查工作台账), with the files that prove them.

Every row is ``Audited``: planning, recording, confirming, progress, 销号 and 退回 are on
the audit chain, and so is each stored file's SHA-256.  Rows are never deleted: a talk
that is not needed any more is cancelled with a reason; a finding is returned, never
reopened by hand.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskctl.core.audit import Audited
from riskctl.core.clock import utcnow
from riskctl.core.db import Base, value_enum


class TalkKind(enum.StrEnum):
    """The kinds of talk; the three a disposition orders carry its code (risk.Disposition)."""

    COLLECTIVE = "collective"  # 集体廉政谈话 (annual plan of a unit)
    PRE_APPOINTMENT = "pre_appointment"  # 任前廉政谈话 (a leading post taken)
    REMINDER_TALK = "reminder_talk"  # 谈话提醒
    LETTER_INQUIRY = "letter_inquiry"  # 约谈函询
    ADMONISHMENT = "admonishment"  # 诫勉谈话


class TalkStatus(enum.StrEnum):
    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"


class TalkPlan(Audited, Base):
    """年度集体廉政谈话计划: a unit's collective integrity talks of a year (its sessions
    are talks of kind ``collective``)."""

    __tablename__ = "talk_plan"
    __table_args__ = (sa.UniqueConstraint("unit_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"))
    year: Mapped[int] = mapped_column(sa.SmallInteger)
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Talk(Audited, Base):
    """谈话: who talks to whom, by when, why; once held, when, the record and its scans."""

    __tablename__ = "talk"
    __table_args__ = (sa.Index("ix_talk_status_due_on", "status", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TalkKind] = mapped_column(value_enum(TalkKind, "talk_kind"))
    status: Mapped[TalkStatus] = mapped_column(value_enum(TalkStatus, "talk_status"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)  # the subjects'
    talker_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    due_on: Mapped[date]  # held on this day at the latest
    place: Mapped[str | None] = mapped_column(sa.String(200))
    topic: Mapped[str] = mapped_column(sa.String(500))  # 谈话事由
    plan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("talk_plan.id"), index=True)
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("post.id"))  # 任前: the post
    # A disposition followed through: the warning, its disposition and who disposed it.
    risk_event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("risk_event.id"), index=True)
    disposition: Mapped[str | None] = mapped_column(sa.String(40))
    disposed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    held_on: Mapped[date | None]
    record: Mapped[str | None] = mapped_column(sa.Text)  # 谈话记录
    follow_up_on: Mapped[date | None]  # 回访: when to check on the subject again
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    recorded_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500))
    cancelled_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id")
    )  # None: planned by the platform
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    subjects: Mapped[list[TalkSubject]] = relationship(
        back_populates="talk", order_by="TalkSubject.id", cascade="all, delete-orphan"
    )


class TalkSubject(Audited, Base):
    """A person talked to, and when they confirmed the record after signing in (确认)."""

    __tablename__ = "talk_subject"
    __table_args__ = (sa.UniqueConstraint("talk_id", "person_id"),)
    __audit_unit__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    talk_id: Mapped[int] = mapped_column(sa.ForeignKey("talk.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    confirmed_at: Mapped[datetime | None]

    talk: Mapped[Talk] = relationship(back_populates="subjects")


class FindingSource(enum.StrEnum):
    PATROL = "patrol"  # 巡察
    INSPECTION = "inspection"  # 督查
    AUDIT = "audit"  # 审计
    SPECIAL_CHECK = "special_check"  # 专项检查
    RISK_WARNING = "risk_warning"  # 风险预警 (转台账, or a disposition 责令整改)


class FindingStatus(enum.StrEnum):
    RECTIFYING = "rectifying"  # 整改中
    SUBMITTED = "submitted"  # 整改完成，申请销号
    VERIFIED = "verified"  # 已销号


class Finding(Audited, Base):
    """问题: a row of the supervision ledger, put right by its unit by a deadline."""

    __tablename__ = "finding"
    __table_args__ = (sa.Index("ix_finding_status_deadline", "status", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)  # 责任单位
    source: Mapped[FindingSource] = mapped_column(value_enum(FindingSource, "finding_source"))
    description: Mapped[str] = mapped_column(sa.Text)  # 问题
    measures: Mapped[str] = mapped_column(sa.Text, default="")  # 整改措施
    responsible_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"), index=True)
    deadline: Mapped[date]  # 整改时限
    status: Mapped[FindingStatus] = mapped_column(value_enum(FindingStatus, "finding_status"))
    risk_event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("risk_event.id"), index=True)
    disposition: Mapped[str | None] = mapped_column(sa.String(40))
    disposed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    submitted_at: Mapped[datetime | None]  # the latest 申请销号 (none after a return)
    returns: Mapped[int] = mapped_column(sa.SmallInteger, default=0)  # 退回 so far
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    verified_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class UpdateKind(enum.StrEnum):
    PROGRESS = "progress"  # 整改进展
    SUBMITTED = "submitted"  # 申请销号
    RETURNED = "returned"  # 退回
    VERIFIED = "verified"  # 销号


class FindingUpdate(Audited, Base):
    """A line of a finding's history: progress, a request for 销号, a return, 销号."""

    __tablename__ = "finding_update"
    __audit_unit__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("finding.id"), index=True)
    kind: Mapped[UpdateKind] = mapped_column(value_enum(UpdateKind, "finding_update_kind"))
    text: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class SupervisionFile(Audited, Base):
    """A stored file: a talk record's scan, or evidence of a finding's progress.  The
    bytes live in the file store under their SHA-256 (riskctl.files)."""

    __tablename__ = "supervision_file"
    __table_args__ = (
        sa.CheckConstraint("(talk_id IS NULL) <> (finding_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"))  # the owner's, for scoping
    talk_id: Mapped[int | None] = mapped_column(sa.ForeignKey("talk.id"), index=True)
    finding_id: Mapped[int | None] = mapped_column(sa.ForeignKey("finding.id"), index=True)
    update_id: Mapped[int | None] = mapped_column(sa.ForeignKey("finding_update.id"))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
