"""audit chain: records carry their own digest; one sealer chains them

Writers used to read the chain head and hash against it under a lock held until commit,
which serialised every writing transaction.  Now each record stores the digest of its
own content, and the sealer (``riskctl.core.audit.seal_pending``) fills seq, prev_hash
and hash once.  Existing records get their digests and are re-chained in their old order
under the new link hash; the downgrade chains them back the old way.  The hashing rules
are copied here on purpose: a migration must keep working when the app's code moves on.

Revision ID: 3f2a9c1d7e55
Revises: 5bdb9707ed39
Create Date: 2026-11-24 19:10:00.000000

"""
import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "3f2a9c1d7e55"
down_revision = "5bdb9707ed39"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
CONTENT = ("at", "actor_id", "actor", "source", "action", "target_type", "target_id",
           "unit_id", "before", "after")


def _hash(fields):
    def default(value):
        if hasattr(value, "isoformat"):
            return value.isoformat()
        raise TypeError(type(value).__name__)

    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=default)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _at(value):
    # The app hashes aware UTC datetimes; SQLite hands them back naive.
    from datetime import UTC

    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _records(conn, order):
    table = sa.table(
        "audit_record",
        *(sa.column(name) for name in ("id", "seq", *CONTENT[1:-2])),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("before", sa.JSON), sa.column("after", sa.JSON),
    )
    rows = conn.execute(sa.select(table).order_by(sa.text(order))).mappings().all()
    return [{**row, "at": _at(row["at"])} for row in rows]


def upgrade():
    with op.batch_alter_table("audit_record") as batch:
        batch.add_column(sa.Column("digest", sa.String(length=64), nullable=True))
        batch.alter_column("seq", existing_type=sa.BigInteger(), nullable=True)
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=True)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=True)
    conn = op.get_bind()
    prev, updates = GENESIS, []
    for seq, row in enumerate(_records(conn, "seq, id"), start=1):
        digest = _hash({name: row[name] for name in CONTENT})
        link = _hash({"seq": seq, "id": row["id"], "digest": digest, "prev_hash": prev})
        updates.append({"rid": row["id"], "d": digest, "s": seq, "p": prev, "h": link})
        prev = link
    if updates:
        conn.execute(
            sa.text("UPDATE audit_record SET digest = :d, seq = :s, prev_hash = :p, hash = :h "
                    "WHERE id = :rid"),
            updates,
        )
    with op.batch_alter_table("audit_record") as batch:
        batch.alter_column("digest", existing_type=sa.String(length=64), nullable=False)
        batch.create_index(
            "ix_audit_record_unsealed", ["id"], unique=False,
            postgresql_where=sa.text("seq IS NULL"), sqlite_where=sa.text("seq IS NULL"),
        )


def downgrade():
    conn = op.get_bind()
    prev, updates = GENESIS, []
    # Unsealed records (seq NULL) come last, in id order, as the sealer would have put them.
    order = "CASE WHEN seq IS NULL THEN 1 ELSE 0 END, seq, id"
    for seq, row in enumerate(_records(conn, order), start=1):
        fields = {name: row[name] for name in CONTENT}
        link = _hash({**fields, "seq": seq, "prev_hash": prev})
        updates.append({"rid": row["id"], "s": seq, "p": prev, "h": link})
        prev = link
    if updates:
        # Two passes so that the unique seq never collides half-way.
        conn.execute(sa.text("UPDATE audit_record SET seq = -seq WHERE seq IS NOT NULL"))
        conn.execute(
            sa.text("UPDATE audit_record SET seq = :s, prev_hash = :p, hash = :h WHERE id = :rid"),
            updates,
        )
    with op.batch_alter_table("audit_record") as batch:
        batch.drop_index("ix_audit_record_unsealed")
        batch.drop_column("digest")
        batch.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
