"""``flask riskctl attachments verify``: hash every stored file again."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from riskctl.attachments import services
from riskctl.core import audit
from riskctl.extensions import db

attachments_cli = AppGroup("attachments", help="Files attached to items.")

_LABELS = {"missing": "文件缺失", "altered": "文件已被改动"}


@attachments_cli.command("verify")
def verify() -> None:
    """Check that every attachment's file is stored and still has its SHA-256; exit 1
    when one is missing or altered (each one found is recorded on the audit chain)."""
    audit.act_as(db.session, audit.AuditActor(None, "cli", "cli attachments verify"))
    checked, bad = services.verify_all(db.session, services.store_of(current_app.config))
    db.session.commit()
    if not bad:
        click.echo(f"attachments OK: {checked} file(s) checked")
        return
    for f in bad:
        click.echo(
            f"attachment {f.id} (item {f.item_id}, {f.filename}): {f.health} "
            f"({_LABELS[f.health]}), sha256 {f.sha256}",
            err=True,
        )
    click.echo(f"attachments BROKEN: {len(bad)} of {checked} file(s)", err=True)
    sys.exit(1)
