"""Control rules kept in the database and the hits every check leaves behind."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from riskctl.core.audit import Audited
from riskctl.core.clock import utcnow
from riskctl.core.db import Base, value_enum


class ControlKind(enum.StrEnum):
    DYNAMIC = "dynamic"  # one person completed both nodes of a pair on one item
    STATIC = "static"  # one person holds two incompatible posts
    CONFLICT_OF_INTEREST = "conflict_of_interest"  # related to the item's counterparty


class ControlMode(enum.StrEnum):
    BLOCK = "block"
    FLAG = "flag"
    OFF = "off"  # a unit switching a platform default off (static pairs only)


class HitOutcome(enum.StrEnum):
    REFUSED = "refused"  # block mode: the action did not happen
    FLAGGED = "flagged"  # flag mode: the action happened and is scored by the risk engine
    MITIGATED = "mitigated"  # flag mode under a valid mitigation: recorded, scored nothing


class PostIncompatibility(Audited, Base):
    """Two posts that no person may hold at once.  ``unit_id`` NULL: a platform default
    that applies to every unit unless the unit has its own row for the same pair.

    A pair is never deleted: retiring it sets its mode ``off``, so the audit trail and
    the hits that cite its rule keep pointing at a row that says what it was."""

    __tablename__ = "post_incompatibility"
    __table_args__ = (
        sa.UniqueConstraint("unit_id", "post_a", "post_b"),
        sa.CheckConstraint("post_a < post_b", name="ordered_pair"),
    )
    __audit_label__ = "name"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    post_a: Mapped[str] = mapped_column(sa.String(40))
    post_b: Mapped[str] = mapped_column(sa.String(40))
    mode: Mapped[ControlMode] = mapped_column(value_enum(ControlMode, "control_mode"))
    name: Mapped[str] = mapped_column(sa.String(200))
    # The text the pair rests on (law, standard, the unit's own rule); empty: not given.
    basis: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")


class Mitigation(Audited, Base):
    """A named compensating control (e.g. 双人复核) approved for a flag-mode rule in a
    unit, for one person or everyone, over a validity period."""

    __tablename__ = "mitigation"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    rule: Mapped[str] = mapped_column(sa.String(120))  # the control hit's rule code
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    name: Mapped[str] = mapped_column(sa.String(200))
    approver_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ControlHit(Base):
    """A control rule touched: who, what, where, the outcome, and the evidence.

    Written by the workflow and org services, refusals included; read and scored by the
    risk engine.  Never updated."""

    __tablename__ = "control_hit"
    __table_args__ = (sa.Index("ix_control_hit_unit_at", "unit_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ControlKind] = mapped_column(value_enum(ControlKind, "control_kind"))
    rule: Mapped[str] = mapped_column(sa.String(120))
    rule_name: Mapped[str] = mapped_column(sa.String(200))
    mode: Mapped[ControlMode] = mapped_column(value_enum(ControlMode, "control_mode"))
    outcome: Mapped[HitOutcome] = mapped_column(value_enum(HitOutcome, "hit_outcome"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"))
    # None only for a person refused at creation (the username is in the evidence).
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("item.id"), index=True)
    node: Mapped[str | None] = mapped_column(sa.String(40))
    step_id: Mapped[int | None] = mapped_column(sa.ForeignKey("step.id"))  # None when refused
    earlier_step_id: Mapped[int | None] = mapped_column(sa.ForeignKey("step.id"))
    mitigation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("mitigation.id"))
    evidence: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    at: Mapped[datetime] = mapped_column(default=utcnow)
