"""A backup of an installation, and its restore into an empty one.

A backup is a directory::

    manifest.json                 what it holds: every part with its SHA-256 and size, the
                                  database's kind and migration, the audit chain's head
    database.sqlite3              SQLite: a copy made with SQLite's online backup API
    database.pgdump               PostgreSQL: ``pg_dump --format=custom``
    files/<aa>/<bb>/<sha256>      the file store (``riskctl.files``), laid out as it is

Both copies are safe while the application runs: SQLite's backup API copies a consistent
snapshot, and ``pg_dump`` reads one.  The database is copied first and the files after:
a file is written before the row naming it is committed and is never removed, so every
file a row of the copy names is in the backup (a later upload's file may come along,
unnamed and harmless).  The manifest is written last; a directory without one is not a
backup.

A restore goes only into an empty database, and only after every part has been checked
against the manifest (and the manifest against the SHA-256 the backup printed, when it
is given).  It puts the files back first, for the same reason, then the database; then
the audit chain is sealed and verified as ``flask riskctl audit verify`` does, and it
must reach the head the backup noted.

The caller owns the transaction: each function records its audit record and flushes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskctl.core import audit
from riskctl.core.clock import utcnow
from riskctl.core.db import DbSession
from riskctl.core.errors import Conflict, DomainError
from riskctl.files.storage import CHUNK, FileStore

MANIFEST = "manifest.json"
FORMAT = "riskctl-backup"
VERSION = 1
DATABASE_PART = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
FILES = "files"
_FILE_PART = re.compile(r"files/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SHOWN = 20  # problems listed at most; the count says how many there were


class BackupRefused(Conflict):
    code = "backup_refused"


class BackupDamaged(DomainError):
    """The backup is not whole: a part is missing, changed or unlisted, or the manifest
    cannot be read or is not the one the backup printed."""

    status = 422
    code = "backup_damaged"


class DatabaseNotEmpty(Conflict):
    code = "database_not_empty"


class ToolFailed(DomainError):
    """``pg_dump`` or ``pg_restore`` is missing or failed."""

    status = 500
    code = "backup_tool_failed"


@dataclass(frozen=True)
class Part:
    path: str  # relative to the backup directory, with "/"
    sha256: str
    size: int

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "size": self.size}


@dataclass(frozen=True)
class Made:
    dest: Path
    dialect: str
    revision: str | None
    manifest_sha256: str
    database: Part
    files: int
    files_bytes: int
    audit_head: tuple[int, str]
    # Stored files whose bytes no longer have the SHA-256 they are named by: copied as
    # they are (``flask riskctl attachments verify`` reports them on either side).
    altered: tuple[str, ...]


@dataclass(frozen=True)
class Manifest:
    sha256: str  # of manifest.json's bytes
    dialect: str
    revision: str | None
    created_at: str
    database: Part
    files: tuple[Part, ...]
    audit_head: tuple[int, str]


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    files_written: int
    files_present: int  # already in the store under their name, left as they were
    chain: audit.ChainReport
    reaches_head: bool  # the restored chain holds the head the backup noted


# ---------------------------------------------------------------- backup


def make_backup(session: DbSession, store: FileStore, dest: Path) -> Made:
    """Copy the database of ``session`` and the files of ``store`` into the new or empty
    directory ``dest`` and write the manifest; the backup is recorded on the audit chain
    (it is a copy of all the data: who took one, where, is evidence)."""
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupRefused(
            _l("%(path)s is not an empty directory: back up into a new or empty one",
               path=str(dest))
        )  # fmt: skip
    engine = session.get_bind().engine
    dialect = engine.dialect.name
    if dialect not in DATABASE_PART:
        raise BackupRefused(_l("cannot back up a %(dialect)s database", dialect=dialect))
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / DATABASE_PART[dialect]
    if dialect == "sqlite":
        revision, head = _dump_sqlite(engine, target)
    else:
        revision, head = _dump_postgresql(engine, target)
    database = _part_of(dest, target)
    # After the database: see the module's docstring.
    files: list[Part] = []
    altered: list[str] = []
    for digest in store.digests():
        copied = _copy(store.path_of(digest), dest / FILES / digest[:2] / digest[2:4] / digest)
        part = Part(f"{FILES}/{digest[:2]}/{digest[2:4]}/{digest}", *copied)
        files.append(part)
        if part.sha256 != digest:
            altered.append(digest)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": utcnow().isoformat(),
        "database": {"dialect": dialect, "revision": revision, **database.as_dict()},
        "audit_head": {"seq": head[0], "hash": head[1]},
        "files": [f.as_dict() for f in files],
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
    _write_durably(dest / MANIFEST, text)
    made = Made(
        dest=dest.resolve(), dialect=dialect, revision=revision,
        manifest_sha256=hashlib.sha256(text).hexdigest(), database=database, files=len(files),
        files_bytes=sum(f.size for f in files), audit_head=head, altered=tuple(altered),
    )  # fmt: skip
    audit.record(
        session, "backup.created", target_type="backup", target_id=made.manifest_sha256,
        after={
            "dest": str(made.dest), "database": dialect, "revision": revision,
            "database_sha256": database.sha256, "files": made.files,
            "files_bytes": made.files_bytes, "audit_seq": head[0], "altered": list(altered),
        },
    )  # fmt: skip
    session.flush()
    return made


def _dump_sqlite(engine: sa.Engine, target: Path) -> tuple[str | None, tuple[int, str]]:
    path = engine.url.database
    if not path or path == ":memory:":
        raise BackupRefused(_l("an in-memory database cannot be backed up"))
    # The online backup API: one step copies a consistent snapshot while the application
    # reads and writes (WAL: its writers are not held up by this reader).
    live, copy = sqlite3.connect(path, timeout=30), sqlite3.connect(target)
    with closing(live), closing(copy):
        live.backup(copy)
        # One self-contained file: no -wal beside it to forget.
        copy.execute("PRAGMA journal_mode=DELETE")
        revision = copy.execute("SELECT version_num FROM alembic_version").fetchone()
        head = copy.execute(
            "SELECT seq, hash FROM audit_record WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1"
        ).fetchone()
    return (
        revision[0] if revision else None,
        (int(head[0]), str(head[1])) if head else (0, audit.GENESIS_HASH),
    )


def _dump_postgresql(engine: sa.Engine, target: Path) -> tuple[str | None, tuple[int, str]]:
    # pg_dump reads the snapshot this transaction exports: the head noted in the manifest
    # is exactly the dump's.
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.scalar(sa.text("SELECT pg_export_snapshot()"))
            revision = conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
            head = audit.chain_head(conn)
            with _libpq(engine.url) as uri:
                _run(
                    ["pg_dump", "--format=custom", f"--snapshot={snapshot}",
                     f"--file={target}", f"--dbname={uri}"],
                )  # fmt: skip
    return revision, head


# ---------------------------------------------------------------- checking


def read_backup(src: Path, *, manifest_sha256: str | None = None) -> Manifest:
    """The manifest of the backup in ``src`` once every part has been found whole: there,
    of its size and SHA-256, and nothing in the directory that the manifest does not list.
    ``manifest_sha256``: the manifest's own SHA-256 as the backup printed it."""
    src = Path(src)
    try:
        text = (src / MANIFEST).read_bytes()
    except OSError:
        raise BackupDamaged(
            _l("%(path)s is not a riskctl backup: it has no %(manifest)s",
               path=str(src), manifest=MANIFEST)
        ) from None  # fmt: skip
    actual = hashlib.sha256(text).hexdigest()
    if manifest_sha256 is not None and actual != manifest_sha256.strip().lower():
        raise BackupDamaged(
            _l("the manifest's SHA-256 is %(actual)s, not %(expected)s: it was changed",
               actual=actual, expected=manifest_sha256)
        )  # fmt: skip
    manifest = _parse(text, actual)
    problems: list[dict[str, Any]] = []
    listed = {manifest.database.path}
    for part in (manifest.database, *manifest.files):
        listed.add(part.path)
        found = _hash(src / part.path) if (src / part.path).is_file() else None
        if found is None:
            problems.append({"path": part.path, "message": _l("missing")})
        elif found != (part.sha256, part.size):
            problems.append(
                {"path": part.path, "message": _l("its SHA-256 or size is not the manifest's")}
            )
    for path in sorted(p for p in src.rglob("*") if not p.is_dir()):
        name = path.relative_to(src).as_posix()
        if name != MANIFEST and name not in listed:
            problems.append({"path": name, "message": _l("not in the manifest")})
    if problems:
        raise BackupDamaged(
            _l("the backup is damaged: %(count)s part(s) do not match its manifest",
               count=len(problems)),
            details=problems[:_SHOWN],
        )  # fmt: skip
    return manifest


def _parse(text: bytes, sha256: str) -> Manifest:
    def bad(why: str) -> BackupDamaged:
        return BackupDamaged(_l("the manifest cannot be read: %(why)s", why=why))

    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise bad(str(exc)) from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise bad(f"not a {FORMAT} manifest")
    if raw.get("version") != VERSION:
        raise bad(f"version {raw.get('version')!r}; this riskctl reads version {VERSION}")
    try:
        database, head = raw["database"], raw["audit_head"]
        dialect = database["dialect"]
        if dialect not in DATABASE_PART:
            raise bad(f"unknown database {dialect!r}")
        db_part = _part(database, exact=DATABASE_PART[dialect])
        files = tuple(_part(f) for f in raw["files"])
        audit_head = (int(head["seq"]), str(head["hash"]))
        revision = database.get("revision")
        created_at = datetime.fromisoformat(str(raw["created_at"])).isoformat()  # a moment
    except (KeyError, TypeError, ValueError) as exc:
        raise bad(f"{type(exc).__name__}: {exc}") from None
    if len({f.path for f in files}) != len(files):
        raise bad("a file is listed twice")
    return Manifest(
        sha256=sha256, dialect=dialect, revision=revision if isinstance(revision, str) else None,
        created_at=created_at, database=db_part, files=files, audit_head=audit_head,
    )  # fmt: skip


def _part(raw: Mapping[str, Any], *, exact: str | None = None) -> Part:
    path, sha256, size = raw["path"], raw["sha256"], raw["size"]
    # Only names a backup writes: nothing outside the directory or the store's layout.
    if not isinstance(path, str) or not (
        path == exact if exact else (m := _FILE_PART.fullmatch(path)) and m[3][:4] == m[1] + m[2]
    ):
        raise ValueError(f"part {path!r} is not a part of a backup")
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError(f"part {path!r}: not a SHA-256")
    if not isinstance(size, int) or size < 0:
        raise ValueError(f"part {path!r}: not a size")
    return Part(path, sha256, size)


# ---------------------------------------------------------------- restore


def restore_backup(
    session: DbSession, store: FileStore, src: Path, *, manifest_sha256: str | None = None
) -> Restored:
    """Restore the backup in ``src`` into the empty database of ``session`` and into
    ``store``, then seal and verify the audit chain; the restore is recorded on it."""
    src = Path(src)
    manifest = read_backup(src, manifest_sha256=manifest_sha256)
    engine = session.get_bind().engine
    dialect = engine.dialect.name
    if manifest.dialect != dialect:
        raise BackupRefused(
            _l("the backup holds a %(backup)s database; this installation's is %(target)s",
               backup=manifest.dialect, target=dialect)
        )  # fmt: skip
    tables = _tables(engine)
    if tables:
        raise DatabaseNotEmpty(
            _l("the database already has %(count)s table(s) (%(names)s …): restore only into "
               "an empty database — create a new one, or drop this one first",
               count=len(tables), names=", ".join(tables[:3]))
        )  # fmt: skip
    session.rollback()  # nothing read through the session may outlive the restore
    # The files before the database: see the module's docstring.
    written = present = 0
    for part in manifest.files:
        # Under the name the rows point at (a file altered in the source keeps its name).
        if store.put(part.path.rsplit("/", 1)[1], src / part.path):
            written += 1
        else:
            present += 1
    database = src / manifest.database.path
    if dialect == "sqlite":
        _load_sqlite(engine, database)
    else:
        with _libpq(engine.url) as uri:
            _run(
                ["pg_restore", "--single-transaction", "--exit-on-error", "--no-owner",
                 "--no-privileges", f"--dbname={uri}", str(database)],
            )  # fmt: skip
    engine.dispose()  # connections opened before the restore knew no tables
    # As `flask riskctl audit verify`: the records the source had not sealed yet first.
    audit.seal_pending(session)
    chain = audit.verify_chain(session)
    seq, hash_ = manifest.audit_head
    reaches = seq == 0 or session.scalar(
        sa.select(audit.AuditRecord.hash).where(audit.AuditRecord.seq == seq)
    ) == hash_  # fmt: skip
    audit.record(
        session, "backup.restored", target_type="backup", target_id=manifest.sha256,
        after={
            "src": str(src.resolve()), "created_at": manifest.created_at,
            "database": dialect, "revision": manifest.revision, "files": len(manifest.files),
            "audit_seq": seq, "chain_ok": chain.ok, "reaches_head": reaches,
        },
    )  # fmt: skip
    session.flush()
    return Restored(manifest, written, present, chain, reaches)


def _tables(engine: sa.Engine) -> list[str]:
    if engine.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        query = (
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        )
    with engine.connect() as conn:
        return sorted(conn.scalars(sa.text(query)))


def _load_sqlite(engine: sa.Engine, database: Path) -> None:
    path = engine.url.database
    if not path or path == ":memory:":
        raise BackupRefused(_l("cannot restore into an in-memory database"))
    engine.dispose()
    # The backup API again, the other way: the target may be open in other processes.
    copy = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    target = sqlite3.connect(path, timeout=30)
    with closing(copy), closing(target):
        copy.backup(target)


# ---------------------------------------------------------------- helpers


@contextmanager
def _libpq(url: sa.URL) -> Iterator[str]:
    """The URL for pg_dump/pg_restore.  A password goes into a private password file the
    URL names (libpq's ``passfile``), removed afterwards: never on a command line that
    every user of the machine can read (ps), nor into this process's environment."""
    # (Not ``url.set(password=None)``: None there means "keep it".)
    plain = sa.URL.create(
        "postgresql", username=url.username, host=url.host, port=url.port,
        database=url.database, query=url.query,
    )  # fmt: skip
    if url.password is None:
        yield plain.render_as_string(hide_password=False)
        return

    def field(value: object) -> str:  # the .pgpass format escapes ":" and "\\"
        return str(value).replace("\\", "\\\\").replace(":", "\\:")

    line = ":".join(field(v) for v in (url.host or "*", url.port or "*",
                                       url.database or "*", url.username or "*",
                                       url.password))  # fmt: skip
    with tempfile.TemporaryDirectory() as private:  # created 0700
        passfile = Path(private) / "pgpass"
        passfile.touch(mode=0o600)
        passfile.write_text(line + "\n", encoding="utf-8")
        yield plain.update_query_dict({"passfile": str(passfile)}).render_as_string(
            hide_password=False
        )


def _run(args: list[str]) -> None:
    try:
        done = subprocess.run(args, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise ToolFailed(
            _l("%(tool)s is not installed (PostgreSQL's client programs, e.g. the "
               "postgresql-client package)", tool=args[0])
        ) from None  # fmt: skip
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()][-5:]
        raise ToolFailed(
            _l("%(tool)s failed (exit status %(status)s): %(error)s",
               tool=args[0], status=done.returncode, error=" / ".join(lines))
        )  # fmt: skip


def _hash(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _part_of(root: Path, path: Path) -> Part:
    return Part(path.relative_to(root).as_posix(), *_hash(path))


def _copy(source: Path, target: Path) -> tuple[str, int]:
    """Copy a file, hashing the bytes as they are copied; (sha256, size)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with source.open("rb") as file, target.open("xb") as out:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest(), size


def _write_durably(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    with tmp.open("xb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
