"""Units, posts and people.  People are also the login users."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from riskctl.core.access import Principal, Role
from riskctl.core.audit import Audited
from riskctl.core.clock import utcnow
from riskctl.core.db import Base, value_enum

RISK_VALUES = range(1, 6)  # 1 低 … 3 neutral … 5 高


class UnitKind(enum.StrEnum):
    COMMISSION = "commission"  # 纪委监委
    DEPARTMENT = "department"  # 局、委、办
    TOWNSHIP = "township"  # 乡镇、街道


class UnitLevel(enum.StrEnum):
    """The government level a unit's budget belongs to: it decides which procurement
    thresholds apply (政府采购法 第八条、第二十七条: the State Council sets the central
    figures, each province its own)."""

    CENTRAL = "central"  # 中央预算单位
    PROVINCIAL = "provincial"  # 省级
    CITY = "city"  # 市级
    COUNTY = "county"  # 县级（区、县）
    TOWNSHIP = "township"  # 乡镇、街道

    @property
    def is_central(self) -> bool:
        return self is UnitLevel.CENTRAL


def _risk_check(column: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} BETWEEN 1 AND 5", name=f"{column}_range")


class Unit(Audited, Base):
    __tablename__ = "unit"
    __audit_label__ = "code"
    __audit_unit__ = "id"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    # The code in lower case, unique: codes compare case-insensitively
    # (``services.unit_code_is``), so the database refuses the second of two units saved
    # at once as ``CZJ-01`` and ``czj-01``.  A plain column rather than an index on
    # lower(code): SQLite's reflection skips expression indexes, and a batch migration
    # of the table would silently drop one.
    code_key: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[UnitKind] = mapped_column(value_enum(UnitKind, "unit_kind"))
    level: Mapped[UnitLevel] = mapped_column(
        value_enum(UnitLevel, "unit_level"), default=UnitLevel.COUNTY,
        server_default=UnitLevel.COUNTY.value,
    )  # fmt: skip
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id])
    posts: Mapped[list[Post]] = relationship(back_populates="unit", order_by="Post.code")

    @validates("code")
    def _keep_key(self, _key: str, code: str) -> str:
        self.code_key = code.lower()
        return code


class Post(Audited, Base):
    __tablename__ = "post"
    __table_args__ = (sa.UniqueConstraint("unit_id", "code"), _risk_check("risk"))
    __audit_label__ = "code"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(60))
    risk: Mapped[int] = mapped_column(sa.SmallInteger, default=3)

    unit: Mapped[Unit] = relationship(back_populates="posts")


class Person(Audited, Base):
    __tablename__ = "person"
    __table_args__ = (_risk_check("risk"),)
    __audit_label__ = "username"
    __audit_redact__ = frozenset({"password_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    # Optional only for a platform administrator bootstrapped from the CLI before any
    # unit exists; everyone else belongs to a unit and can receive SMS.
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    risk: Mapped[int] = mapped_column(sa.SmallInteger, default=3)
    # None: the account exists (e.g. imported) but cannot log in until a password is set.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    # The page language the person chose (zh_CN, en); none: the platform's default.
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit | None] = relationship()
    role_rows: Mapped[list[PersonRole]] = relationship(
        cascade="all, delete-orphan", order_by="PersonRole.role"
    )
    scope_rows: Mapped[list[InspectorScope]] = relationship(cascade="all, delete-orphan")
    assignments: Mapped[list[PostAssignment]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="PostAssignment.id"
    )
    conflicts: Mapped[list[ConflictOfInterest]] = relationship(
        cascade="all, delete-orphan", order_by="ConflictOfInterest.id"
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.role_rows)

    @property
    def scope_unit_ids(self) -> frozenset[int]:
        return frozenset(s.unit_id for s in self.scope_rows)

    def current_posts(self, on: date) -> list[Post]:
        return [a.post for a in self.assignments if a.is_valid_on(on)]

    def principal(self) -> Principal:
        return Principal(self.id, self.unit_id, self.roles, self.scope_unit_ids)

    # Flask-Login protocol (the loader lives in riskctl.auth).
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class PersonRole(Audited, Base):
    __tablename__ = "person_role"
    __audit_unit__ = None

    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(value_enum(Role, "role"), primary_key=True)


class InspectorScope(Audited, Base):
    """A unit that an inspector oversees."""

    __tablename__ = "inspector_scope"

    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), primary_key=True, index=True)

    unit: Mapped[Unit] = relationship()


class PostAssignment(Audited, Base):
    """A person holds a post from ``valid_from`` up to and including ``valid_to``."""

    __tablename__ = "post_assignment"
    __table_args__ = (
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_range"),
    )
    __audit_unit__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("post.id"), index=True)
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]

    person: Mapped[Person] = relationship(back_populates="assignments")
    post: Mapped[Post] = relationship()

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class ConflictOfInterest(Audited, Base):
    """A declared relation between a person and a supplier or organisation (利益冲突申报)."""

    __tablename__ = "conflict_of_interest"
    __audit_unit__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    counterparty: Mapped[str] = mapped_column(sa.String(200))
    relation: Mapped[str] = mapped_column(sa.String(100))
    declared_on: Mapped[date]
