"""``flask riskctl backup DEST_DIR`` and ``flask riskctl restore SRC_DIR``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from riskctl.backup import services
from riskctl.core import audit
from riskctl.core.errors import DomainError
from riskctl.core.formatting import local_time
from riskctl.extensions import db
from riskctl.files.services import store_of


def _fail(exc: DomainError) -> NoReturn:
    db.session.rollback()
    lines = [_("%(message)s (code %(code)s)", message=exc.message, code=exc.code)]
    lines += [f"  - {d['path']}: {d['message']}" for d in exc.details]
    raise click.ClickException("\n".join(lines))


@click.command("backup")
@with_appcontext
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
def backup(dest: Path) -> None:
    """Back up the database and the stored files into DEST (a new or empty directory);
    safe while riskctl runs."""
    audit.act_as(db.session, audit.AuditActor(None, "cli", "cli backup"))
    # As `audit verify` does: the records waiting for the sealer take their place in the
    # chain first, so that the head the backup notes covers them.
    audit.seal_pending(db.session)
    db.session.commit()
    try:
        made = services.make_backup(db.session, store_of(current_app.config), dest)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(
        _("backup written to %(dest)s: the %(dialect)s database (%(size)s bytes, migration "
          "%(revision)s, audit chain up to seq %(seq)s) and %(files)s stored file(s) "
          "(%(bytes)s bytes)",
          dest=str(made.dest), dialect=made.dialect, size=made.database.size,
          revision=made.revision or "-", seq=made.audit_head[0], files=made.files,
          bytes=made.files_bytes)
    )  # fmt: skip
    for digest in made.altered:
        click.echo(
            _("warning: the stored file %(sha256)s no longer has its SHA-256; it was copied "
              "as it is", sha256=digest),
            err=True,
        )  # fmt: skip
    click.echo(
        _("manifest SHA-256: %(sha256)s — keep it apart from the backup, and give it to "
          "`flask riskctl restore --manifest-sha256`", sha256=made.manifest_sha256)
    )  # fmt: skip


@click.command("restore")
@with_appcontext
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--manifest-sha256",
    default=None,
    help="the manifest's SHA-256 that the backup printed: refuse another manifest",
)
@click.option("--check", is_flag=True, help="only check the backup against its manifest")
def restore(src: Path, manifest_sha256: str | None, check: bool) -> None:
    """Restore the backup in SRC into this installation's database, which must be empty
    (create it, do not migrate it), and its file store; then verify the audit chain."""
    try:
        if check:
            manifest = services.read_backup(src, manifest_sha256=manifest_sha256)
            click.echo(
                _("backup OK: the %(dialect)s database and %(files)s file(s) match the "
                  "manifest of %(created_at)s",
                  dialect=manifest.dialect, files=len(manifest.files),
                  created_at=local_time(manifest.created_at))
            )  # fmt: skip
            return
        audit.act_as(db.session, audit.AuditActor(None, "cli", "cli restore"))
        done = services.restore_backup(
            db.session, store_of(current_app.config), src, manifest_sha256=manifest_sha256
        )
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    manifest = done.manifest
    click.echo(
        _("restored the %(dialect)s database of %(created_at)s (migration %(revision)s) and "
          "%(files)s stored file(s) (%(present)s were there already)",
          dialect=manifest.dialect, created_at=local_time(manifest.created_at),
          revision=manifest.revision or "-", files=done.files_written,
          present=done.files_present)
    )  # fmt: skip
    chain = done.chain
    if not chain.ok:
        brk = chain.first_break
        assert brk is not None
        click.echo(
            _("audit chain BROKEN at seq %(seq)s (row id %(row)s): %(reason)s",
              seq=brk.seq if brk.seq is not None else "-", row=brk.row_id, reason=brk.reason),
            err=True,
        )  # fmt: skip
        sys.exit(1)
    if not done.reaches_head:
        click.echo(
            _("the restored audit chain does not hold the head the backup noted (seq %(seq)s): "
              "records are missing", seq=manifest.audit_head[0]),
            err=True,
        )  # fmt: skip
        sys.exit(1)
    click.echo(
        _("audit chain OK: %(count)s sealed records; head seq %(seq)s hash %(hash)s",
          count=chain.count, seq=chain.head_seq, hash=chain.head_hash)
    )  # fmt: skip
    click.echo(_("if this riskctl is newer than the backup, run `flask db upgrade` now"))
