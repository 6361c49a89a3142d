"""Process definitions as stored: one row per version of a unit's process."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskctl.core.audit import Audited
from riskctl.core.clock import utcnow
from riskctl.core.db import Base, value_enum
from riskctl.org.models import Unit


class ProcessStatus(enum.StrEnum):
    DRAFT = "draft"  # editable; replaced in place by the next upload
    PUBLISHED = "published"  # immutable; new items start on the latest published version
    RETIRED = "retired"  # immutable; items that started on it keep running on it


class ProcessDefinition(Audited, Base):
    """A version of a unit's process.  ``body`` is the definition in the structure of
    api.md (the parsed YAML/JSON); ``source`` keeps the text as uploaded, comments and
    all, so that what an administrator wrote is what they get back."""

    __tablename__ = "process_definition"
    __table_args__ = (
        sa.UniqueConstraint("unit_id", "key", "version"),
        sa.CheckConstraint("risk BETWEEN 1 AND 5", name="risk_range"),
    )
    __audit_label__ = "key"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    key: Mapped[str] = mapped_column(sa.String(40))
    version: Mapped[int]
    status: Mapped[ProcessStatus] = mapped_column(value_enum(ProcessStatus, "process_status"))
    name: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(20))
    risk: Mapped[int] = mapped_column(sa.SmallInteger)
    body: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    # Where the designer draws the nodes and arrows (riskctl.process.layout): beside the
    # definition, never in it, so that a moved box changes no version's meaning.  None:
    # drawn automatically.
    layout: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    source: Mapped[str | None] = mapped_column(sa.Text)
    template: Mapped[str | None] = mapped_column(sa.String(40))  # adopted from
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))

    unit: Mapped[Unit] = relationship()
