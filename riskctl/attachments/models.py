"""Attachments: one row per file attached to an item (and maybe a step or task of it).

Audited: the row written on upload — with the file's SHA-256, size and type — is a record
of the audit chain, and so is a withdrawal.  Rows are never deleted: a wrong file is
withdrawn (撤回) with a reason and stays readable to those who may see the item.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from riskctl.core.audit import Audited
from riskctl.core.clock import utcnow
from riskctl.core.db import Base


class Attachment(Audited, Base):
    """附件: a file of evidence on an item."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"))  # the item's, for scoping
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id"), index=True)
    # Attached from an open task (the step it becomes), or to a step already done.
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("task.id"))
    step_id: Mapped[int | None] = mapped_column(sa.ForeignKey("step.id"))
    node: Mapped[str | None] = mapped_column(sa.String(40))
    filename: Mapped[str] = mapped_column(sa.String(255))  # sanitised, for display
    content_type: Mapped[str] = mapped_column(sa.String(100))  # from the content, not the client
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_withdrawn: Mapped[bool] = mapped_column(default=False)
    withdrawn_reason: Mapped[str | None] = mapped_column(sa.String(500))
    withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    withdrawn_at: Mapped[datetime | None]
