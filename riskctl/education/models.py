"""Study (廉政教育): materials, question banks, study tasks, each person's assignment, the
reading credited to it and the quiz attempts.

Audited: every row that changes what a person must study or has achieved — a material
(with its file's SHA-256), a question, a task and its materials and units, an assignment
(assigned, completed, its best score), a quiz attempt (drawn, submitted).  The credited
reading time (``ReadingProgress``) is written by the reading page's heartbeats every
half minute, so it is not a mixin row: a record per heartbeat would bury the chain in
noise.  What counts is on the chain all the same — the moment a material is read
(``education.material_read``) and the completion of the assignment.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskctl.core.audit import Audited
from riskctl.core.clock import utcnow
from riskctl.core.db import Base, value_enum


class MaterialKind(enum.StrEnum):
    PDF = "pdf"  # an uploaded PDF, shown by the local PDF.js viewer
    VIDEO = "video"  # an uploaded MP4 or WebM, played by the browser
    ARTICLE = "article"  # text written in the page (Markdown, no HTML)


class MaterialCategory(enum.StrEnum):
    PARTY_RULES = "party_rules"  # 党纪法规
    WARNING_CASE = "warning_case"  # 警示教育案例
    INTEGRITY_CULTURE = "integrity_culture"  # 廉洁文化


class QuestionKind(enum.StrEnum):
    SINGLE = "single"  # 单选题
    MULTIPLE = "multiple"  # 多选题: all the right options and none other
    TRUE_FALSE = "true_false"  # 判断题: A 正确 / B 错误


class TaskStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class AssignmentSource(enum.StrEnum):
    AUDIENCE = "audience"  # in the audience when the task was published
    JOINED = "joined"  # came into the audience later (took up a post): the next sync
    WARNING = "warning"  # 警示教育: a red warning of a rule the task follows was resolved


class Material(Audited, Base):
    """学习资料: a file kept outside the database (its SHA-256 here, so on the chain) or
    an article written in the page."""

    __tablename__ = "study_material"
    __audit_unit__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[MaterialKind] = mapped_column(value_enum(MaterialKind, "study_material_kind"))
    category: Mapped[MaterialCategory] = mapped_column(
        value_enum(MaterialCategory, "study_material_category")
    )
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    source: Mapped[str] = mapped_column(sa.String(200))  # 出处: the rule, the case report
    expected_minutes: Mapped[int] = mapped_column(sa.SmallInteger)
    body: Mapped[str | None] = mapped_column(sa.Text)  # an article's Markdown
    filename: Mapped[str | None] = mapped_column(sa.String(255))
    content_type: Mapped[str | None] = mapped_column(sa.String(100))
    size: Mapped[int | None] = mapped_column(sa.BigInteger)
    sha256: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuestionBank(Audited, Base):
    """题库: the questions a task's quiz draws from."""

    __tablename__ = "question_bank"
    __audit_unit__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    questions: Mapped[list[Question]] = relationship(back_populates="bank", order_by="Question.id")


class Question(Audited, Base):
    """A question with its options (A, B, C …) and the key: the letters of the right
    options.  The key never leaves the server before an attempt is submitted."""

    __tablename__ = "question"
    __audit_unit__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("question_bank.id"), index=True)
    kind: Mapped[QuestionKind] = mapped_column(value_enum(QuestionKind, "question_kind"))
    text: Mapped[str] = mapped_column(sa.Text)
    options: Mapped[list[str]] = mapped_column(sa.JSON)
    answer: Mapped[list[str]] = mapped_column(sa.JSON)  # e.g. ["A"], ["A", "C"]
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    bank: Mapped[QuestionBank] = relationship(back_populates="questions")


class StudyTask(Audited, Base):
    """学习任务: materials, an optional quiz, an audience and the days it runs.

    ``audience`` is what the author chose (unit codes, post codes, 重点岗位, roles,
    usernames); the people it named when published are the assignments.  ``follows``
    makes it a warning-education task (警示教育): the rules whose red warnings, once
    resolved in a unit, assign it to that unit's holders of the posts involved."""

    __tablename__ = "study_task"
    __audit_unit__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[TaskStatus] = mapped_column(value_enum(TaskStatus, "study_task_status"))
    start_on: Mapped[date]
    due_on: Mapped[date]
    audience: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    follows: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    bank_id: Mapped[int | None] = mapped_column(sa.ForeignKey("question_bank.id"))
    quiz_questions: Mapped[int] = mapped_column(sa.SmallInteger, default=0)  # 0: no quiz
    pass_mark: Mapped[int] = mapped_column(sa.SmallInteger, default=60)  # score out of 100
    max_attempts: Mapped[int] = mapped_column(sa.SmallInteger, default=3)
    # 逾期短信晨报: the people overdue on this task get a morning SMS (working days).
    is_sms_digest: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    published_at: Mapped[datetime | None]

    materials: Mapped[list[StudyTaskMaterial]] = relationship(
        order_by="StudyTaskMaterial.position", cascade="all, delete-orphan"
    )
    units: Mapped[list[StudyTaskUnit]] = relationship(cascade="all, delete-orphan")


class StudyTaskMaterial(Audited, Base):
    __tablename__ = "study_task_material"
    __table_args__ = (sa.UniqueConstraint("task_id", "material_id"),)
    __audit_unit__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("study_task.id", ondelete="CASCADE"))
    material_id: Mapped[int] = mapped_column(sa.ForeignKey("study_material.id"), index=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger)


class StudyTaskUnit(Audited, Base):
    """A unit the task's audience reaches: who may see and manage the task (its author,
    the discipline leaders and inspectors of these units, administrators)."""

    __tablename__ = "study_task_unit"

    task_id: Mapped[int] = mapped_column(
        sa.ForeignKey("study_task.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), primary_key=True, index=True)


class Assignment(Audited, Base):
    """One person's study of one task: when it starts and falls due, and when it was
    completed (every material read and, with a quiz, the quiz passed)."""

    __tablename__ = "study_assignment"
    __table_args__ = (sa.UniqueConstraint("task_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("study_task.id"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    # The post that brought the person in (or their riskiest post in the unit): the
    # statistics by post and the overdue warning's post factor.
    post: Mapped[str | None] = mapped_column(sa.String(40))
    source: Mapped[AssignmentSource] = mapped_column(
        value_enum(AssignmentSource, "study_assignment_source")
    )
    # 警示教育: the resolved red warning that assigned it (no foreign key: risk's table).
    risk_event_id: Mapped[int | None]
    start_on: Mapped[date]
    due_on: Mapped[date] = mapped_column(index=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    best_score: Mapped[int | None] = mapped_column(sa.SmallInteger)
    passed_at: Mapped[datetime | None]
    # The in-app reminder two working days before the due day went out (once).
    reminded_at: Mapped[datetime | None]


class ReadingProgress(Base):
    """The reading time the server credited to one material of one assignment, from the
    reading page's heartbeats (not audited per heartbeat: see the module docstring)."""

    __tablename__ = "study_reading_progress"
    __table_args__ = (sa.UniqueConstraint("assignment_id", "material_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("study_assignment.id", ondelete="CASCADE")
    )
    material_id: Mapped[int] = mapped_column(sa.ForeignKey("study_material.id"))
    seconds: Mapped[int] = mapped_column(default=0)  # credited
    first_beat_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_beat_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class QuizAttempt(Audited, Base):
    """One try at a task's quiz: the questions drawn (in the order shown), the answers
    given, the score.  Submitted once."""

    __tablename__ = "quiz_attempt"
    __table_args__ = (sa.UniqueConstraint("assignment_id", "number"),)
    __audit_unit__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("study_assignment.id"), index=True)
    number: Mapped[int] = mapped_column(sa.SmallInteger)  # 1, 2 … max_attempts
    question_ids: Mapped[list[int]] = mapped_column(sa.JSON)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    answers: Mapped[dict[str, list[str]] | None] = mapped_column(sa.JSON)
    submitted_at: Mapped[datetime | None]
    correct: Mapped[int | None] = mapped_column(sa.SmallInteger)
    score: Mapped[int | None] = mapped_column(sa.SmallInteger)
    is_passed: Mapped[bool] = mapped_column(default=False)
