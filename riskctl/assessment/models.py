"""Frameworks as stored for evaluations, evaluations, and the monthly reports' files.

Audited: every evaluation saved or revised and every report built is on the audit chain
(a report's SHA-256s with it, so that a file altered on disk is told apart).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from riskctl.core.audit import Audited
from riskctl.core.clock import utcnow
from riskctl.core.db import Base, value_enum


class EvaluationStatus(enum.StrEnum):
    DRAFT = "draft"  # inputs may be missing; no total
    FINAL = "final"  # every input given; counts year on year and for the risk rules


class ReportKind(enum.StrEnum):
    MONTHLY = "monthly"  # the scheduler's, for the previous month
    ON_DEMAND = "on_demand"  # asked for, any period


class AssessmentFramework(Audited, Base):
    """A version of a framework as it was when an evaluation used it.  The shipped file
    is the current version; a stored version is never changed, so an old evaluation can
    always be shown and recomputed by the rules it was scored with."""

    __tablename__ = "assessment_framework"
    __table_args__ = (sa.UniqueConstraint("key", "version"),)
    __audit_unit__ = None
    __audit_label__ = "key"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(40))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    sha256: Mapped[str] = mapped_column(sa.String(64))  # of the body's canonical JSON
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)


class Evaluation(Audited, Base):
    """One unit's evaluation for a year under a framework: the raw inputs, the
    evaluator's recorded scores where given, and the computed result (every indicator,
    the subtotals, total, grade and differences).  One per unit, year and framework;
    saving again revises it (the audit chain keeps every revision)."""

    __tablename__ = "evaluation"
    __table_args__ = (sa.UniqueConstraint("unit_id", "framework_key", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    year: Mapped[int] = mapped_column(sa.SmallInteger)
    framework_key: Mapped[str] = mapped_column(sa.String(40))
    framework_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment_framework.id"))
    status: Mapped[EvaluationStatus] = mapped_column(
        value_enum(EvaluationStatus, "evaluation_status")
    )
    inputs: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    recorded: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    result: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    total: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2))
    recorded_total: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2))
    grade: Mapped[str | None] = mapped_column(sa.String(20))
    revision: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Report(Audited, Base):
    """月度廉政风险分析报告: a report of a period over a set of units, built once into a
    PDF and an XLSX kept in the file store under their SHA-256 (never in the database).
    The scheduler builds one monthly report per distinct inspection scope; the partial
    unique index makes a second build of the same month and scope impossible."""

    __tablename__ = "assessment_report"
    __table_args__ = (
        sa.Index(
            "uq_assessment_report_monthly",
            "period_first",
            "scope_key",
            unique=True,
            sqlite_where=sa.text("kind = 'monthly'"),
            postgresql_where=sa.text("kind = 'monthly'"),
        ),
    )
    __audit_unit__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReportKind] = mapped_column(value_enum(ReportKind, "assessment_report_kind"))
    period_first: Mapped[date]
    period_last: Mapped[date]
    # The units reported on (sorted ids) and a digest of them, to find "the same scope".
    unit_ids: Mapped[list[int]] = mapped_column(sa.JSON)
    scope_key: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(200))
    pdf_sha256: Mapped[str] = mapped_column(sa.String(64))
    pdf_size: Mapped[int]
    pdf_pages: Mapped[int] = mapped_column(sa.SmallInteger)
    xlsx_sha256: Mapped[str] = mapped_column(sa.String(64))
    xlsx_size: Mapped[int]
    summary: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # headline figures for the list
    build_seconds: Mapped[float]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
