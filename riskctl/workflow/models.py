"""Items, their open tasks and their steps.

These tables are written on the hot path of the platform with prebuilt Core statements
(``riskctl.workflow.services``); they are not ``Audited`` models because the service
writes one explicit audit record per step or refusal, which says more than row diffs.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, validates

from riskctl.core.clock import utcnow
from riskctl.core.db import Base, value_enum
from riskctl.workflow.rule_fields import RuleFieldColumns, rule_fields


class ItemStatus(enum.StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    FROZEN = "frozen"  # by the risk engine (a red warning on a freezing rule)


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # closed unfinished: item cancelled, or a branch ended


class StepKind(enum.StrEnum):
    START = "start"
    COMPLETE = "complete"
    CANCEL = "cancel"


# Items that have not ended, as SQL text: a partial index's condition, and the query that
# would use the index must say it the same way (SQLite matches the text, not a parameter).
RUNNING_ITEMS = "status IN ('running', 'frozen')"


class Item(Base, RuleFieldColumns):
    """事项: an instance of one published process version in one unit.  The form fields
    the risk rules judge are kept typed beside the JSON (``riskctl.workflow.rule_fields``)."""

    __tablename__ = "item"
    __table_args__ = (
        sa.Index("ix_item_unit_status", "unit_id", "status"),
        # The running items by age (the item-overdue rule): a year's items are mostly
        # ended, and a read of the running ones should not pass them.
        sa.Index(
            "ix_item_running_started_at", "started_at",
            sqlite_where=sa.text(RUNNING_ITEMS), postgresql_where=sa.text(RUNNING_ITEMS),
        ),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"))
    definition_id: Mapped[int] = mapped_column(sa.ForeignKey("process_definition.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    fields: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    status: Mapped[ItemStatus] = mapped_column(value_enum(ItemStatus, "item_status"))
    # Optimistic lock: every change is ``UPDATE … WHERE revision = <read>``.
    revision: Mapped[int] = mapped_column(default=1)
    joins: Mapped[dict[str, int]] = mapped_column(sa.JSON, default=dict)  # branches arrived
    started_by_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Indexed: the every-minute risk scan asks which items changed since the last one.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ended_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500))

    @validates("fields")
    def _type_fields(self, _key: str, value: dict[str, Any]) -> dict[str, Any]:
        # The engine writes through Core with ``rule_fields``; an item made or changed
        # through the ORM (fixtures, the demo) gets its typed columns here.
        for column, typed in rule_fields(value or {}).items():
            setattr(self, column, typed)
        return value


class Task(Base):
    """An open (or once open) node of an item, handled by whoever holds its post."""

    __tablename__ = "task"
    __table_args__ = (sa.Index("ix_task_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id"), index=True)
    node: Mapped[str] = mapped_column(sa.String(40))
    post: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[TaskStatus] = mapped_column(value_enum(TaskStatus, "task_status"))
    due_at: Mapped[datetime | None]
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))


class Step(Base):
    """The immutable record of what happened; an item's timeline is its steps."""

    __tablename__ = "step"
    # (item, person): "what has this person done on this item" for every step's controls;
    # its prefix serves the timeline.  An index on person alone would be chosen by SQLite
    # for that query and grow with the person's history.
    __table_args__ = (
        sa.Index("ix_step_item_id_person_id", "item_id", "person_id"),
        # The risk scan: completions at given nodes (payment, execution …) by index range;
        # the irregular-handling rule reads the few steps below, not all of them.
        sa.Index("ix_step_node_item_id", "node", "item_id"),
        sa.Index(
            "ix_step_returns", "item_id",
            sqlite_where=sa.text("decision = 'return'"),
            postgresql_where=sa.text("decision = 'return'"),
        ),
        sa.Index(
            "ix_step_untasked", "item_id",
            sqlite_where=sa.text("task_id IS NULL AND kind = 'complete'"),
            postgresql_where=sa.text("task_id IS NULL AND kind = 'complete'"),
        ),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id"))
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("task.id"))
    kind: Mapped[StepKind] = mapped_column(value_enum(StepKind, "step_kind"))
    node: Mapped[str] = mapped_column(sa.String(40))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    post: Mapped[str | None] = mapped_column(sa.String(40))
    decision: Mapped[str | None] = mapped_column(sa.String(40))
    changes: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)  # {field: [old, new]}
    comment: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
