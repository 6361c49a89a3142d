"""The append-only, hash-chained audit trail.

Two steps, so that writers never wait for one another:

1. **Write.**  Every record is inserted in the transaction of the change it describes,
   with ``digest`` = SHA-256 of its own canonical content.  No lock, no read of the chain
   head: any number of transactions append at once.
2. **Seal.**  One sealer at a time (``seal_pending``: a scheduler job every few seconds,
   and ``flask riskctl audit verify``) gives committed, unsealed records their place in
   the chain: ``seq`` (1, 2, 3 …), ``prev_hash`` and ``hash`` = SHA-256 of (seq, id,
   digest, prev_hash).  Content columns are never written again; the chain columns are
   written exactly once.

A chain whose hash needs the previous row would serialise every writing transaction on
the chain head until its commit (measured: it caps four PostgreSQL writers at one
writer's rate); this design keeps the same proofs for everything sealed.
``verify_chain`` recomputes every digest and link and names the first break.

A digest is computed over a canonical text, so that it comes out the same when the record
is read back, whatever the writer's clock and the database: sorted-key JSON, UTF-8, and
every moment in UTC with microseconds (``canonical_time``: ``2026-11-25T01:00:00.000000Z``,
a naive value taken as UTC, as SQLite gives it back).  That is digest scheme 2, named in
each record's ``digest_scheme``.  Records of scheme 1 (written before 2026-12) rendered
``at`` as Python's ``isoformat`` of whatever the clock gave; one written on a clock in
Beijing (the demo history) covers ``…+08:00`` while the database returns UTC.  They are
checked by their own scheme and never rewritten: see ``digest_match``.

Model changes are recorded automatically: every model that mixes in ``Audited`` gets a
record per inserted, updated or deleted row at flush time, so no service can change
state without a trace.  Workflow steps, refusals, reads and exports of personal data,
logins and token use are recorded explicitly with ``record``.  The actor is the one
placed on the session with ``act_as`` (the web layer does it per request, the CLI and
scheduler per command/job).

Limits, stated plainly: a chain proves order and integrity of what it holds.  Rows cut
from its very end, or well-formed forgeries appended by someone with write access, cannot
be seen from the chain alone, which is why ``verify`` prints the head (seq and hash) for
operators to record outside the database.  A record not yet sealed (seconds old) is
protected by its digest against a change of content alone, not against deletion.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import Any, ClassVar, Literal, cast

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from riskctl.core.bulk import UnnestInsert
from riskctl.core.clock import utcnow
from riskctl.core.db import Base, DbSession
from riskctl.core.prepared import Prepared

GENESIS_HASH = "0" * 64
# How the digests written now are computed (see the module docstring); 1 = before 2026-12.
DIGEST_SCHEME = 2
# Serialises sealers (not writers) on PostgreSQL; SQLite serialises transactions anyway.
_PG_SEAL_LOCK_KEY = 0x72_69_73_6B_61_75  # "riskau"
_ACTOR_KEY = "riskctl.audit_actor"
_WRITTEN_KEY = "riskctl.audit_written"


class AuditRecord(Base):
    __tablename__ = "audit_record"
    __table_args__ = (
        # Finds the records waiting for the sealer without scanning the sealed trail.
        sa.Index(
            "ix_audit_record_unsealed",
            "id",
            postgresql_where=sa.text("seq IS NULL"),
            sqlite_where=sa.text("seq IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None]  # no foreign key: the trail outlives the people in it
    actor: Mapped[str] = mapped_column(sa.String(80))
    source: Mapped[str] = mapped_column(sa.String(80))
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    target_type: Mapped[str] = mapped_column(sa.String(40))
    target_id: Mapped[str | None] = mapped_column(sa.String(80))
    unit_id: Mapped[int | None]
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    # SHA-256 of the content above, written with the row, and the scheme it was computed
    # by.  A row that does not name its scheme was written before schemes existed.
    digest: Mapped[str] = mapped_column(sa.String(64))
    digest_scheme: Mapped[int] = mapped_column(
        sa.SmallInteger, default=DIGEST_SCHEME, server_default="1"
    )
    # The chain, written once by the sealer; NULL while the record waits to be sealed.
    seq: Mapped[int | None] = mapped_column(sa.BigInteger, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    hash: Mapped[str | None] = mapped_column(sa.String(64))


_TABLE = cast(sa.Table, AuditRecord.__table__)
_INSERT = sa.insert(_TABLE)  # built once: statement construction costs on the hot path
_INSERT_ONE = Prepared(_INSERT)  # a step's record: on SQLite's own cursor


@dataclass(frozen=True)
class AuditActor:
    id: int | None
    name: str
    source: str  # "web 10.0.0.5", "api 10.0.0.5", "cli", "scheduler"


SYSTEM = AuditActor(None, "system", "system")


def act_as(session: DbSession, actor: AuditActor) -> None:
    """Attribute this session's changes to ``actor`` until the session ends."""
    session.info[_ACTOR_KEY] = actor


def current_actor(session: DbSession) -> AuditActor:
    actor = session.info.get(_ACTOR_KEY)
    return actor if isinstance(actor, AuditActor) else SYSTEM


class Audited:
    """Mixin: changes to this model are recorded.  Redacted columns show as ``"***"``."""

    __audit_redact__: ClassVar[frozenset[str]] = frozenset()
    # Attribute used as the human-readable target id (code, username) instead of the key.
    __audit_label__: ClassVar[str | None] = None
    # Attribute holding the unit the row belongs to, for scoping audit reads.
    __audit_unit__: ClassVar[str | None] = "unit_id"


def canonical_time(moment: datetime) -> str:
    """A moment as digests see it: UTC, always with microseconds, ``Z``.

    The same instant gives the same text whether the writer's clock ran in Beijing or in
    UTC and whether the database gives it back aware (PostgreSQL) or naive (SQLite, UTC by
    contract)."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _plain(value: Any) -> Any:
    """``value`` as JSON-native data with one text per value: what ``before``/``after``
    store and what the digest covers.  Floats are Python's shortest round-trip repr;
    a Decimal keeps its scale ("12.50"), as the amount was written."""
    if isinstance(value, datetime):
        return canonical_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        # A set's iteration order changes from one process to the next (hash seeds).
        return sorted((_plain(v) for v in value), key=canonical)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    # Called only for what json cannot encode itself; yields the same text as _plain.
    plain = _plain(value)
    if plain is value:
        raise TypeError(f"cannot audit a {type(value).__name__}")
    return plain


def canonical(fields: Any) -> str:
    return json.dumps(
        fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_default
    )


def content_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(fields).encode("utf-8")).hexdigest()


CONTENT = (
    "at", "actor_id", "actor", "source", "action", "target_type", "target_id", "unit_id",
    "before", "after",
)  # fmt: skip


def record_digest(row: Any) -> str:
    """The digest of a record's content (a dict being written, or a row mapping), by the
    current scheme."""
    return content_hash({name: row[name] for name in CONTENT})


def _scheme_1_digest(row: Mapping[Any, Any], zone: tzinfo) -> str:
    """The digest as scheme 1 computed it for a writer whose clock ran in ``zone``.
    ``before``/``after`` were stored as the text that was hashed, so only ``at`` differs."""
    at = row["at"] if row["at"].tzinfo else row["at"].replace(tzinfo=UTC)
    return content_hash(
        {name: row[name] for name in CONTENT} | {"at": at.astimezone(zone).isoformat()}
    )


DigestMatch = Literal["canonical", "utc", "local"]


def digest_match(row: Mapping[Any, Any], local_zone: tzinfo) -> DigestMatch | None:
    """How a stored record's digest matches its content, by the record's own scheme;
    ``None``: it does not, the content was changed.

    Scheme 2: the canonical text only.  Scheme 1: ``at`` rendered in UTC (the wall clock
    is UTC) or, failing that, in the platform's zone ``local_zone`` (a clock in Beijing,
    as the demo history ran).  That lenience hides no change: ``at`` as stored fixes the
    instant, and both texts name that very instant, so the content hashed is the same
    content; a moved moment, or any other change, still matches neither.  The scheme
    column is not hashed, and need not be: a record's digest was computed by one scheme,
    and under any other its text differs, so changing the column breaks the record.
    """
    scheme = row["digest_scheme"]
    if scheme == DIGEST_SCHEME:
        return "canonical" if record_digest(row) == row["digest"] else None
    if scheme == 1:
        if _scheme_1_digest(row, UTC) == row["digest"]:
            return "utc"
        if _scheme_1_digest(row, local_zone) == row["digest"]:
            return "local"
    return None


def link_hash(seq: int, record_id: int, digest: str, prev_hash: str) -> str:
    """The chain hash: binds a record's digest to its place and to everything before it."""
    return content_hash({"seq": seq, "id": record_id, "digest": digest, "prev_hash": prev_hash})


def _row(entry: dict[str, Any]) -> dict[str, Any]:
    """The row to insert for ``entry``: its content as stored, its digest and scheme."""
    row = {**entry, "before": _plain(entry["before"]), "after": _plain(entry["after"])}
    row["digest"], row["digest_scheme"] = record_digest(row), DIGEST_SCHEME
    return row


def _append(session: DbSession, entries: list[dict[str, Any]]) -> None:
    """Insert ``entries`` on the session's connection (works inside a flush).  No lock."""
    if not entries:
        return
    rows = [_row(entry) for entry in entries]
    connection = session.connection()
    if len(rows) == 1:  # the common case (a step)
        _INSERT_ONE.rowcount(connection, rows[0])
    elif connection.dialect.name == "postgresql":
        _UNNEST.execute(connection, rows)
    else:
        connection.execute(_INSERT, rows)
    session.info[_WRITTEN_KEY] = session.info.get(_WRITTEN_KEY, 0) + len(rows)


ROW_COLUMNS = (*CONTENT, "digest", "digest_scheme")  # a row as inserted
# Many records at once on PostgreSQL (a scan's thousands of warnings): one statement
# whatever their number (riskctl.core.bulk).
_UNNEST = UnnestInsert(_TABLE, list(ROW_COLUMNS))


def insert_from(source: sa.FromClause, prefix: str) -> sa.Insert:
    """``INSERT INTO audit_record … SELECT`` one record per row of ``source``, its values
    the bind parameters ``<prefix><column>`` (``ROW_COLUMNS``) given by ``row_of``: for a
    caller that sends the record within a larger statement (a step's writes in one round
    trip on PostgreSQL).  Build it once; the caller calls ``counted`` when it landed."""
    values = [sa.bindparam(prefix + name, type_=_TABLE.c[name].type) for name in ROW_COLUMNS]
    return sa.insert(_TABLE).from_select(list(ROW_COLUMNS), sa.select(*values).select_from(source))


def row_of(
    session: DbSession,
    action: str,
    prefix: str,
    *,
    target_type: str,
    target_id: Any = None,
    unit_id: int | None = None,
    after: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The bind parameters of ``insert_from`` for the record ``record`` would write."""
    row = _row(_entry(current_actor(session), action, target_type, target_id, unit_id, None, after))
    return {prefix + name: row[name] for name in ROW_COLUMNS}


def counted(session: DbSession, written: int = 1) -> None:
    """Count records a caller inserted itself (``insert_from``) as written by the session."""
    session.info[_WRITTEN_KEY] = session.info.get(_WRITTEN_KEY, 0) + written


def records_written(session: DbSession) -> int:
    """How many records this session has written so far (to tell a change from none)."""
    return int(session.info.get(_WRITTEN_KEY, 0))


def _entry(
    actor: AuditActor,
    action: str,
    target_type: str,
    target_id: Any,
    unit_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any]:
    # Whole seconds, as the trail has always shown them (the canonical text of a moment
    # has a fixed precision either way, so the digest survives the round trip).
    return {
        "at": utcnow().replace(microsecond=0),
        "actor_id": actor.id,
        "actor": actor.name,
        "source": actor.source,
        "action": action,
        "target_type": target_type,
        "target_id": None if target_id is None else str(target_id),
        "unit_id": unit_id,
        "before": before,
        "after": after,
    }


def record(
    session: DbSession,
    action: str,
    *,
    target_type: str,
    target_id: Any = None,
    unit_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor: AuditActor | None = None,
) -> None:
    """Record an event that is not a model change: a step, a refusal, a login, an export."""
    entry = _entry(
        actor or current_actor(session), action, target_type, target_id, unit_id, before, after
    )
    _append(session, [entry])


@dataclass(frozen=True)
class Event:
    """An event to record with others at once (``record_many``)."""

    action: str
    target_type: str
    target_id: Any = None
    unit_id: int | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


def record_many(
    session: DbSession, events: Iterable[Event], actor: AuditActor | None = None
) -> None:
    """Record several events in one insert (a scan's raised warnings), in their order."""
    who = actor or current_actor(session)
    _append(session, [
        _entry(who, e.action, e.target_type, e.target_id, e.unit_id, e.before, e.after)
        for e in events
    ])  # fmt: skip


def _columns(obj: Any, *, old: bool) -> dict[str, Any]:
    state = inspect(obj)
    redact = type(obj).__audit_redact__
    values: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if old:
            history = state.attrs[key].history
            value = history.deleted[0] if history.deleted else state.dict.get(key)
        else:
            value = state.dict.get(key)
        values[key] = "***" if key in redact and value is not None else value
    return values


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    redact = type(obj).__audit_redact__
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        if attr.key in redact:
            old, new = ("***" if old is not None else None), "***"
        before[attr.key], after[attr.key] = old, new
    return before, after


def _target(obj: Any) -> tuple[str, Any, int | None]:
    cls = type(obj)
    state = inspect(obj)
    label = cls.__audit_label__
    ident = state.dict.get(label) if label else None
    if ident is None:
        identity = state.identity or inspect(obj).mapper.primary_key_from_instance(obj)
        ident = identity[0] if identity and len(identity) == 1 else _plain(list(identity or []))
    unit_id = state.dict.get(cls.__audit_unit__) if cls.__audit_unit__ else None
    return cls.__tablename__, ident, unit_id


@event.listens_for(Session, "after_flush")
def _record_model_changes(session: DbSession, flush_context: Any) -> None:
    actor = current_actor(session)
    entries: list[dict[str, Any]] = []
    for obj in session.new:
        if isinstance(obj, Audited):
            kind, ident, unit_id = _target(obj)
            entries.append(
                _entry(
                    actor, f"{kind}.created", kind, ident, unit_id, None, _columns(obj, old=False)
                )
            )
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj, include_collections=False):
            before, after = _changes(obj)
            if after:
                kind, ident, unit_id = _target(obj)
                entries.append(
                    _entry(actor, f"{kind}.updated", kind, ident, unit_id, before, after)
                )
    for obj in session.deleted:
        if isinstance(obj, Audited):
            kind, ident, unit_id = _target(obj)
            entries.append(
                _entry(
                    actor, f"{kind}.deleted", kind, ident, unit_id, _columns(obj, old=True), None
                )
            )
    _append(session, entries)


# ---------------------------------------------------------------- sealing


def _head(conn: sa.Connection) -> tuple[int, str]:
    """(seq, hash) of the newest sealed record; (0, genesis) for an empty chain."""
    table = _TABLE
    head = conn.execute(
        sa.select(table.c.seq, table.c.hash)
        .where(table.c.seq.is_not(None))
        .order_by(table.c.seq.desc())
        .limit(1)
    ).first()
    return (head.seq, head.hash) if head else (0, GENESIS_HASH)


def chain_head(conn: sa.Connection) -> tuple[int, str]:
    """(seq, hash) of the newest sealed record (a backup notes it, and its restore checks
    that the chain restored reaches it)."""
    return _head(conn)


def seal_pending(session: DbSession, *, batch: int = 5000) -> int:
    """Chain every committed record that is not sealed yet, in id order; returns how many.

    Only sealers take the lock, so writers never wait.  A record whose transaction
    commits after a later one was sealed simply takes the next place: the chain's order
    is the order of sealing.
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_SEAL_LOCK_KEY)))
    table = _TABLE
    seq, prev = _head(conn)
    sealed = 0
    while True:
        pending = conn.execute(
            sa.select(table.c.id, table.c.digest)
            .where(table.c.seq.is_(None))
            .order_by(table.c.id)
            .limit(batch)
        ).all()
        if not pending:
            return sealed
        links = []
        for record_id, digest in pending:
            seq += 1
            prev_hash, prev = prev, link_hash(seq, record_id, digest, prev)
            links.append({"rid": record_id, "s": seq, "p": prev_hash, "h": prev})
        conn.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("rid"), table.c.seq.is_(None))
            .values(seq=sa.bindparam("s"), prev_hash=sa.bindparam("p"), hash=sa.bindparam("h")),
            links,
        )
        sealed += len(links)


@dataclass(frozen=True)
class ChainBreak:
    seq: int | None  # None: a record not sealed yet
    row_id: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    count: int  # sealed records checked
    head_seq: int
    head_hash: str
    first_break: ChainBreak | None
    pending: int = 0  # records not sealed yet (their digests are checked too)
    # Records of scheme 1 whose digest covered their moment in the platform's zone.
    local_time: int = 0

    @property
    def ok(self) -> bool:
        return self.first_break is None


def verify_chain(
    session: DbSession, *, batch: int = 2000, local_zone: tzinfo | None = None
) -> ChainReport:
    """Walk the sealed chain in order and report the first record that does not fit,
    then check the digests of the records still waiting for the sealer.

    ``local_zone``: the platform's zone for records of scheme 1 (``digest_match``);
    default ``RISKCTL_TIMEZONE``."""
    if local_zone is None:
        from riskctl.core import calendar_store  # it imports this module

        local_zone = calendar_store.zone()
    expected_seq, prev, count, local = 1, GENESIS_HASH, 0, 0
    table = _TABLE
    sealed = (
        sa.select(table)
        .where(table.c.seq.is_not(None))
        .order_by(table.c.seq)
        .execution_options(yield_per=batch)
    )
    # Plain rows, not ORM objects (several times faster), streamed in batches (a
    # server-side cursor on PostgreSQL) and closed even on an early return.
    rows = session.execute(sealed).mappings()
    try:
        for row in rows:
            count += 1
            reason = None
            seq = row["seq"]
            if seq != expected_seq:
                what = "deleted" if seq > expected_seq else "inserted or renumbered"
                reason = f"sequence jumps from {expected_seq - 1} to {seq}: a row was {what}"
            elif row["prev_hash"] != prev:
                reason = "prev_hash does not match the previous row: a row was inserted or removed"
            elif (match := digest_match(row, local_zone)) is None:
                reason = "content does not match its hash: the row was changed"
            elif link_hash(seq, row["id"], row["digest"], prev) != row["hash"]:
                reason = "content does not match its hash: the row or its link was changed"
            if reason:
                brk = ChainBreak(seq, row["id"], reason)
                return ChainReport(count, seq, row["hash"], brk, local_time=local)
            if match == "local":
                local += 1
            expected_seq, prev = seq + 1, row["hash"]
    finally:
        rows.close()
    pending = 0
    waiting = session.execute(
        sa.select(table).where(table.c.seq.is_(None)).order_by(table.c.id)
    ).mappings()
    for row in waiting:
        pending += 1
        match = digest_match(row, local_zone)
        if match is None:
            waiting.close()
            brk = ChainBreak(None, row["id"], "content does not match its digest (not sealed yet)")
            return ChainReport(count, expected_seq - 1, prev, brk, pending, local)
        if match == "local":
            local += 1
    return ChainReport(count, expected_seq - 1, prev, None, pending, local)
