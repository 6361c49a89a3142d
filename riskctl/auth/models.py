from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskctl.core.audit import Audited
from riskctl.core.db import Base
from riskctl.org.models import Person


class ApiToken(Audited, Base):
    """A bearer token.  Only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "api_token"
    __audit_redact__ = frozenset({"token_hash"})
    __audit_unit__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # First characters of the token, so a person can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(sa.String(12))
    name: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


class SignInSession(Base):
    """A browser's signed-in session, so that the server can end it.

    The browser's signed session cookie carries a random key; only its SHA-256 is stored
    here.  A row ends at sign-out (that session only), or when the person's password
    changes or an administrator disables them (every session of the person).  Not
    ``Audited``: the events are (``auth.login``, ``auth.logout``,
    ``auth.sessions_ended``), the last-seen touches are not.
    """

    __tablename__ = "sign_in_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    # Written at most every few minutes (riskctl.auth.services.SEEN_EVERY), for purging
    # sessions abandoned without a sign-out.
    last_seen_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]
    # logout, password, disabled
    end_reason: Mapped[str | None] = mapped_column(sa.String(20))


class SignInUnlock(Base):
    """How often an administrator unlocked a username's sign-in.

    The failed-login counters (riskctl.auth.throttle) live in Redis or in each process's
    memory; their keys include this generation, so an unlock starts every counter of
    the username afresh, in every process, and from the CLI too.  The unlocks themselves
    are audited (``auth.unlocked``).
    """

    __tablename__ = "sign_in_unlock"

    username: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    generation: Mapped[int] = mapped_column(default=0)
    unlocked_at: Mapped[datetime]
