"""audit_record.digest_scheme: digests over a canonical text (UTC moments), old ones kept

Digest scheme 1 hashed ``at`` as Python's isoformat of whatever the writer's clock gave,
so a record written on a clock in Beijing (the demo history) covers ``…+08:00`` while the
database gives the moment back in UTC, and ``audit verify`` called it changed.  Scheme 2
hashes every moment as UTC with microseconds (``2026-11-25T01:00:00.000000Z``); the app
writes scheme 2 from this revision on and checks each record by its own scheme.

Upgrade, existing rows: one column is added, ``digest_scheme`` = 1 for every existing row
(its server default; instant on PostgreSQL, ``ALTER TABLE ADD COLUMN`` on SQLite).
Nothing else is read or written: no content, digest, seq, prev_hash or hash changes, the
chain's head stays what operators recorded, and no record is re-sealed.  (Records of
scheme 1 written on a local clock verify because ``verify_chain`` also accepts their
moment rendered in the platform's zone: the same instant; see docs/decisions.md.)

Downgrade: the code before this revision computes every digest by scheme 1, so the
records of scheme 2 are re-digested by scheme 1 (``at`` in UTC, as that code renders it
when it reads the row back) and the chain is re-linked from the first of them to the
head: their ``digest``, and ``prev_hash``/``hash`` of that row and every later one,
change — record the new head, which is logged.  Before writing anything the downgrade
checks every link of the chain and the digest of every scheme-2 record, and refuses
(nothing written) if one does not match: it never re-seals over a break.  Records of
scheme 1 keep their digests.  Then the column is dropped.

The hashing rules are copied here on purpose: a migration must keep working when the
app's code moves on.

Revision ID: 0fd6533b001b
Revises: a7c3e9d14b20
Create Date: 2026-12-01 21:30:00.000000

"""
import hashlib
import json
import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0fd6533b001b"
down_revision = "a7c3e9d14b20"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
CONTENT = ("at", "actor_id", "actor", "source", "action", "target_type", "target_id",
           "unit_id", "before", "after")
LINK = ("id", "seq", "digest", "prev_hash", "hash", "digest_scheme")
log = logging.getLogger("alembic.runtime.migration")


def upgrade():
    # A constant default: SQLite adds the column in place, without copying the trail.
    with op.batch_alter_table("audit_record") as batch:
        batch.add_column(sa.Column("digest_scheme", sa.SmallInteger(), server_default="1",
                                   nullable=False))


def _utc(moment):
    # SQLite hands moments back naive (UTC by contract); PostgreSQL in the session's zone.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _hash(fields, scheme=1):
    def default(value):
        if isinstance(value, datetime) and scheme == 2:
            return _utc(value).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
        if hasattr(value, "isoformat"):
            return value.isoformat()
        raise TypeError(type(value).__name__)

    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=default)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _link(seq, record_id, digest, prev):
    return _hash({"seq": seq, "id": record_id, "digest": digest, "prev_hash": prev})


def _table():
    return sa.table(
        "audit_record",
        *(sa.column(name) for name in LINK + CONTENT[1:-2]),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("before", sa.JSON), sa.column("after", sa.JSON),
    )


def _refuse(where, reason):
    raise RuntimeError(
        f"audit chain broken at {where}: {reason}; the downgrade re-seals nothing over a "
        "break (nothing was written). Run `flask riskctl audit verify` and investigate."
    )


def downgrade():
    conn = op.get_bind()
    table = _table()
    link_columns = [table.c[name] for name in LINK]
    # 1. Every link of the sealed chain, streamed; where the records of scheme 2 begin.
    first, prev, expected = None, GENESIS, 1
    sealed = (sa.select(*link_columns).where(table.c.seq.is_not(None)).order_by(table.c.seq)
              .execution_options(yield_per=5000))
    for row in conn.execute(sealed).mappings():
        if row["seq"] != expected or row["prev_hash"] != prev:
            _refuse(f"seq {row['seq']}", "a row is missing, inserted or renumbered")
        if _link(row["seq"], row["id"], row["digest"], prev) != row["hash"]:
            _refuse(f"seq {row['seq']}", "its link does not match")
        if first is None and row["digest_scheme"] == 2:
            first = row["seq"]
        prev, expected = row["hash"], row["seq"] + 1
    # 2. From there on, and among the records not sealed yet: check and re-digest scheme 2.
    affected = (table.c.seq >= first) if first is not None else sa.false()
    affected = sa.or_(affected, sa.and_(table.c.seq.is_(None), table.c.digest_scheme == 2))
    rows = conn.execute(
        sa.select(table).where(affected)
        .order_by(sa.case((table.c.seq.is_(None), 1), else_=0), table.c.seq, table.c.id)
    ).mappings().all()
    updates, redigested = [], 0
    prev = None
    for row in rows:
        digest = row["digest"]
        if row["digest_scheme"] == 2:
            fields = {name: row[name] for name in CONTENT}
            if _hash(fields, scheme=2) != digest:
                where = f"seq {row['seq']}" if row["seq"] is not None else f"row id {row['id']}"
                _refuse(where, "its content does not match its digest")
            digest = _hash({**fields, "at": _utc(row["at"])}, scheme=1)
            redigested += 1
        if row["seq"] is None:
            updates.append({"rid": row["id"], "d": digest, "p": None, "h": None})
            continue
        prev = row["prev_hash"] if prev is None else prev
        link = _link(row["seq"], row["id"], digest, prev)
        updates.append({"rid": row["id"], "d": digest, "p": prev, "h": link})
        prev = link
    if updates:
        conn.execute(
            sa.text("UPDATE audit_record SET digest = :d, prev_hash = :p, hash = :h "
                    "WHERE id = :rid"),
            updates,
        )
    if redigested:
        relinked = (f"; chain re-linked from seq {first}, new head seq {expected - 1} hash "
                    f"{prev}: record it outside the database" if first is not None
                    else " (none was sealed: the head is unchanged)")
        log.warning("audit chain: %d record(s) of digest scheme 2 re-digested by scheme 1%s",
                    redigested, relinked)
    # SQLite (3.35+) drops the column in place too: no copy of the trail.
    with op.batch_alter_table("audit_record", recreate="never") as batch:
        batch.drop_column("digest_scheme")
