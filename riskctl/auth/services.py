"""Passwords, sign-in, browser sessions and bearer tokens.  Knows nothing of Flask's
request."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from riskctl.auth.models import ApiToken, SignInSession, SignInUnlock
from riskctl.core import audit
from riskctl.core.access import Action, Principal, require
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
        raise ValidationFailed.at(
            path, _l("must be at least %(count)s characters", count=MIN_PASSWORD_LENGTH)
        )
    if password.isdigit() or password.isalpha():
        raise ValidationFailed.at(path, _l("must mix letters with digits or symbols"))


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
        raise NotFound(_l("no person '%(username)s'", username=username))
    revoked = _revoke_live_tokens(session, person.id, utcnow())
    session.flush()
    return revoked


def _revoke_live_tokens(session: DbSession, person_id: int, now: datetime) -> int:
    rows = session.scalars(
        sa.select(ApiToken).where(ApiToken.person_id == person_id, ApiToken.revoked_at.is_(None))
    ).all()
    for row in rows:
        row.revoked_at = now
    return len(rows)


def purge_expired_tokens(session: DbSession, *, older_than: timedelta = timedelta(days=30)) -> int:
    """Delete tokens that expired or were revoked long ago (their use stays audited), and
    browser sessions ended or unseen that long (an abandoned session's cookie then no
    longer signs anyone in).  Returns the number of tokens deleted."""
    cutoff: datetime = utcnow() - older_than
    rows = session.scalars(
        sa.select(ApiToken).where(
            sa.or_(ApiToken.expires_at < cutoff, ApiToken.revoked_at < cutoff)
        )
    ).all()
    for row in rows:
        session.delete(row)
    session.execute(
        sa.delete(SignInSession).where(
            sa.or_(SignInSession.ended_at < cutoff, SignInSession.last_seen_at < cutoff)
        ),
        execution_options={"synchronize_session": False},
    )
    session.flush()
    return len(rows)


# ---------------------------------------------------------------- browser sessions

# How often a live session's last_seen_at is written: not on every request.
SEEN_EVERY = timedelta(minutes=5)


def start_session(session: DbSession, person: Person) -> str:
    """A new server-side session for ``person``; returns the key for the session cookie
    (only its digest is stored)."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        SignInSession(
            key_hash=token_digest(key), person_id=person.id, created_at=now, last_seen_at=now
        )
    )
    session.flush()
    return key


def live_session(session: DbSession, key: str | None) -> SignInSession | None:
    """The session ``key`` names, unless it ended (or never existed)."""
    if not key or not isinstance(key, str):
        return None
    digest = token_digest(key)
    row = session.scalar(sa.select(SignInSession).where(SignInSession.key_hash == digest))
    return row if row is not None and row.ended_at is None else None


def mark_seen(row: SignInSession) -> bool:
    """Note that the session was used now; True if that changed the row (to be saved)."""
    now = utcnow()
    if now - row.last_seen_at < SEEN_EVERY:
        return False
    row.last_seen_at = now
    return True


def end_session(session: DbSession, key: str | None, *, reason: str = "logout") -> bool:
    row = live_session(session, key)
    if row is None:
        return False
    row.ended_at, row.end_reason = utcnow(), reason
    session.flush()
    return True


def end_access_of(session: DbSession, person: Person, reason: str) -> tuple[int, int]:
    """End every browser session and revoke every bearer token of ``person`` (their
    password changed, or they were disabled); audited when anything was live.  Returns
    (sessions, tokens) ended."""
    now = utcnow()
    sessions = session.scalars(
        sa.select(SignInSession).where(
            SignInSession.person_id == person.id, SignInSession.ended_at.is_(None)
        )
    ).all()
    for row in sessions:
        row.ended_at, row.end_reason = now, reason
    tokens = _revoke_live_tokens(session, person.id, now)
    if sessions or tokens:
        audit.record(
            session,
            "auth.sessions_ended",
            target_type="person",
            target_id=person.username,
            unit_id=person.unit_id,
            after={"reason": reason, "sessions": len(sessions), "tokens": tokens},
        )
    return len(sessions), tokens


def _credentials_change(person: Person) -> str | None:
    """Why ``person``'s sessions and tokens must end, judged from the pending changes:
    a new password over an old one, or active → inactive."""
    attrs = sa.inspect(person).attrs
    password = attrs.password_hash.history
    # An unknown old value (not loaded) counts as a change; a first password does not.
    if password.added and password.added[0] and (not password.deleted or password.deleted[0]):
        return "password"
    active = attrs.is_active.history
    if active.added == [False] and active.deleted != [False]:
        return "disabled"
    return None


@event.listens_for(Session, "before_flush")
def _end_access_on_credentials_change(session: Session, flush_context: Any, instances: Any) -> None:
    # Every path that changes a password or disables a person (the CLI, the admin page,
    # the API, the CSV import) flushes the person: ending their access here, in the same
    # transaction, leaves none of them to forget it.
    for obj in list(session.dirty):
        if isinstance(obj, Person) and obj.id is not None:
            reason = _credentials_change(obj)
            if reason is not None:
                end_access_of(session, obj, reason)


# ---------------------------------------------------------------- sign-in locks


def unlock_generation(session: DbSession, username: str) -> int:
    """How often ``username``'s sign-in was unlocked (part of the throttle's keys)."""
    found = session.scalar(
        sa.select(SignInUnlock.generation).where(SignInUnlock.username == username)
    )
    return int(found or 0)


def unlock_sign_in(session: DbSession, principal: Principal, username: str) -> Person:
    """Start every failed-login count of ``username`` afresh (an administrator's unlock
    after the account locked); audited."""
    person = find_person(session, username)
    if person is None:
        raise NotFound(_l("no person '%(username)s'", username=username), code="unknown_person")
    require(principal, Action.MANAGE_ORG, person.unit_id)
    row = session.get(SignInUnlock, person.username)
    if row is None:
        row = SignInUnlock(username=person.username, generation=0, unlocked_at=utcnow())
        session.add(row)
    row.generation += 1
    row.unlocked_at = utcnow()
    audit.record(
        session,
        "auth.unlocked",
        target_type="person",
        target_id=person.username,
        unit_id=person.unit_id,
    )
    session.flush()
    return person


# ---------------------------------------------------------------- sign-ins (read-only)


def sign_ins(
    session: DbSession, start: datetime, end: datetime
) -> list[tuple[int, int | None, datetime]]:
    """(person id, their unit id, moment) of every successful sign-in in ``[start, end)``, pages and
    API tokens alike, read from the audit trail (``auth.login``), which keeps them for
    good; the browser sessions' table is purged after a month."""
    record = audit.AuditRecord
    rows = session.execute(
        sa.select(record.actor_id, record.unit_id, record.at).where(
            record.action == "auth.login",
            record.at >= start,
            record.at < end,
            record.actor_id.is_not(None),
        )
    )
    return [(person, unit, at) for person, unit, at in rows if person is not None]
