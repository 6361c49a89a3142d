"""Passwords, sign-in and bearer tokens.  Knows nothing of Flask's request."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from riskctl.auth.models import ApiToken
from riskctl.core import audit
from riskctl.core.clock import utcnow
from riskctl.core.db import DbSession
from riskctl.core.errors import NotFound, ValidationFailed
from riskctl.org.models import Person

MIN_PASSWORD_LENGTH = 8
TOKEN_PREFIX = "rk_"
# Compared against when the username is unknown, so that a wrong username costs as
# much time as a wrong password and does not reveal which accounts exist.
_DUMMY_HASH = generate_password_hash("riskctl-timing-equaliser", method="scrypt")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def check_password_rules(password: str, path: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.at(path, f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if password.isdigit() or password.isalpha():
        raise ValidationFailed.at(path, "must mix letters with digits or symbols")


def set_password(session: DbSession, person: Person, password: str) -> None:
    check_password_rules(password)
    person.password_hash = hash_password(password)
    session.flush()


def find_person(session: DbSession, username: str) -> Person | None:
    return session.scalar(sa.select(Person).where(Person.username == username.strip().lower()))


def authenticate(session: DbSession, username: str, password: str, *, source: str) -> Person | None:
    """The person if the credentials are right and the account active; audited either way."""
    person = find_person(session, username)
    stored = person.password_hash if person and person.password_hash else _DUMMY_HASH
    # Always hash, even for an unknown user, so that timing reveals nothing.
    password_ok = check_password_hash(stored, password)
    actor = audit.AuditActor(person.id if person else None, username[:80], source)
    if person is not None and person.is_active and person.password_hash and password_ok:
        audit.record(
            session,
            "auth.login",
            target_type="person",
            target_id=person.username,
            unit_id=person.unit_id,
            actor=actor,
        )
        return person
    audit.record(
        session, "auth.login_failed", target_type="person", target_id=username[:80], actor=actor
    )
    return None


def token_digest(token: str) -> str:
    """How secret tokens are stored (API tokens, screen kiosks): their SHA-256."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(
    session: DbSession, person: Person, *, ttl: timedelta, name: str = "api"
) -> tuple[str, ApiToken]:
    """A new bearer token for ``person``; the plain token is returned only here."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(
        person_id=person.id,
        token_hash=token_digest(token),
        prefix=token[:10],
        name=name,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(row)
    session.flush()
    return token, row


def person_for_token(session: DbSession, token: str) -> tuple[Person, ApiToken] | None:
    row = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    if row is None or not row.is_usable(utcnow()) or not row.person.is_active:
        return None
    return row.person, row


def revoke_token(session: DbSession, row: ApiToken) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()


def revoke_tokens_of(session: DbSession, username: str) -> int:
    person = find_person(session, username)
    if person is None:
        raise NotFound(f"no person {username!r}")
    rows = session.scalars(
        sa.select(ApiToken).where(ApiToken.person_id == person.id, ApiToken.revoked_at.is_(None))
    ).all()
    for row in rows:
        revoke_token(session, row)
    return len(rows)


def purge_expired_tokens(session: DbSession, *, older_than: timedelta = timedelta(days=30)) -> int:
    """Delete tokens that expired or were revoked long ago (their use stays audited)."""
    cutoff: datetime = utcnow() - older_than
    rows = session.scalars(
        sa.select(ApiToken).where(
            sa.or_(ApiToken.expires_at < cutoff, ApiToken.revoked_at < cutoff)
        )
    ).all()
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)
