"""Meeting records: one per completed meeting node, and one row per person it concerns.

Audited like the organisation's tables: every row written is in the audit chain.  A
record is written once, with the step that completed its node, and never changed.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskctl.core.audit import Audited
from riskctl.core.clock import utcnow
from riskctl.core.db import Base, value_enum


class Quorum(enum.StrEnum):
    HALF = "half"  # more than half of the members expected
    TWO_THIRDS = "two_thirds"  # two thirds or more (干部任免)


class MeetingOutcome(enum.StrEnum):
    APPROVED = "approved"  # 赞成票超过应到会成员半数
    NOT_APPROVED = "not_approved"


class AttendeeRole(enum.StrEnum):
    MEMBER = "member"  # 应到会成员, a voter
    OBSERVER = "observer"  # 列席监督 (纪检组长), not a voter


class MemberView(enum.StrEnum):
    AGREE = "agree"  # 同意
    DISAGREE = "disagree"  # 不同意
    DEFER = "defer"  # 缓议


class Meeting(Audited, Base):
    """会议记录: the collective discussion that completed a meeting node of an item."""

    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id"), index=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("task.id"), unique=True)
    step_id: Mapped[int] = mapped_column(sa.ForeignKey("step.id"), unique=True)
    node: Mapped[str] = mapped_column(sa.String(40))
    held_on: Mapped[date]
    topics_sent_on: Mapped[date | None]  # 议题材料送达与会成员之日
    quorum: Mapped[Quorum] = mapped_column(value_enum(Quorum, "meeting_quorum"))
    expected: Mapped[int] = mapped_column(sa.SmallInteger)  # 应到会成员数
    present: Mapped[int] = mapped_column(sa.SmallInteger)  # 实到 (recused included)
    taking_part: Mapped[int] = mapped_column(sa.SmallInteger)  # present, not recused
    votes_for: Mapped[int] = mapped_column(sa.SmallInteger)
    outcome: Mapped[MeetingOutcome] = mapped_column(value_enum(MeetingOutcome, "meeting_outcome"))
    decision: Mapped[str | None] = mapped_column(sa.String(40))  # the node's decision
    minutes: Mapped[str] = mapped_column(sa.Text)  # 会议记录, dissent stated in it
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    attendees: Mapped[list[MeetingAttendee]] = relationship(
        back_populates="meeting", order_by="MeetingAttendee.id"
    )


class MeetingAttendee(Audited, Base):
    """A member expected at the meeting, or its observer: present or not, recused or
    not, and the view they gave in their place in the speaking order."""

    __tablename__ = "meeting_attendee"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "person_id"),
        sa.UniqueConstraint("meeting_id", "speaking_order"),
    )
    __audit_unit__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    role: Mapped[AttendeeRole] = mapped_column(value_enum(AttendeeRole, "attendee_role"))
    post: Mapped[str] = mapped_column(sa.String(40))
    is_chair: Mapped[bool] = mapped_column(default=False)
    is_present: Mapped[bool] = mapped_column(default=False)
    is_recused: Mapped[bool] = mapped_column(default=False)
    recusal_reason: Mapped[str | None] = mapped_column(sa.String(200))
    speaking_order: Mapped[int | None] = mapped_column(sa.SmallInteger)  # 1 spoke first
    view: Mapped[MemberView | None] = mapped_column(value_enum(MemberView, "member_view"))
    view_text: Mapped[str | None] = mapped_column(sa.Text)

    meeting: Mapped[Meeting] = relationship(back_populates="attendees")
