"""``flask riskctl attachments verify``: hash every stored file again."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from riskctl.attachments import services
from riskctl.core import audit
from riskctl.extensions import db

attachments_cli = AppGroup("attachments", help="Files attached to items.")

_LABELS = {"missing": _l("the file is missing"), "altered": _l("the file was altered")}


@attachments_cli.command("verify")
def verify() -> None:
    """Check that every attachment's file is stored and still has its SHA-256; exit 1
    when one is missing or altered (each one found is recorded on the audit chain)."""
    audit.act_as(db.session, audit.AuditActor(None, "cli", "cli attachments verify"))
    checked, bad = services.verify_all(db.session, services.store_of(current_app.config))
    db.session.commit()
    if not bad:
        click.echo(_("attachments OK: %(count)d file(s) checked", count=checked))
        return
    for f in bad:
        click.echo(
            _(
                "attachment %(id)d (item %(item)d, %(file)s): %(health)s, sha256 %(sha)s",
                id=f.id, item=f.item_id, file=f.filename, health=_LABELS[f.health],
                sha=f.sha256,
            ),
            err=True,
        )  # fmt: skip
    click.echo(
        _("attachments BROKEN: %(bad)d of %(count)d file(s)", bad=len(bad), count=checked),
        err=True,
    )
    sys.exit(1)
