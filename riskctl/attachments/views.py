"""Pages: upload a file from an item's page or a task's page, withdraw one.  The item and
task pages list the attachments (``templates/attachments/_panel.html``); downloads go
through the API's content endpoint, which the browser session may call."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from riskctl.attachments import services
from riskctl.attachments.api import allow_upload_size, upload_limit
from riskctl.core.db import reads_only
from riskctl.core.errors import DomainError
from riskctl.extensions import db
from riskctl.web import local_path

bp = Blueprint("attachment_pages", __name__)
bp.url_value_preprocessor(allow_upload_size)


@bp.before_request
@login_required  # type: ignore[untyped-decorator]
def _signed_in() -> None:
    """Every attachment page needs a signed-in person."""


def _back(item_id: int) -> str:
    return local_path(request.form.get("back"), url_for("workbench.item", item_id=item_id))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Response:
    limit = services.size_label(upload_limit())
    flash(_("Not uploaded: the file is larger than %(limit)s.", limit=limit), "error")
    item_id = (request.view_args or {}).get("item_id")
    target = url_for("workbench.item", item_id=item_id) if item_id else url_for("workbench.items")
    return redirect(target)


def _int(name: str) -> int | None:
    raw = request.form.get(name, "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@bp.route("/items/<int:item_id>/attachments", methods=["POST"])
@reads_only  # until the file is received: no write lock held during the upload
def upload(item_id: int) -> Response:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Not uploaded: %(why)s", why=_("choose a file first")), "error")
        return redirect(_back(item_id))
    try:
        row = services.attach(
            db.session, current_user.principal(), services.store_of(current_app.config),
            item_id, upload.stream, upload.filename, limit=upload_limit(), task_id=_int("task"),
        )  # fmt: skip
    except DomainError as exc:
        db.session.rollback()
        why = "; ".join(str(d.get("message", "")) for d in exc.details) or exc.message
        flash(_("Not uploaded: %(why)s", why=why), "error")
    else:
        db.session.commit()
        flash(_("File attached: %(name)s.", name=row.filename), "success")
    return redirect(_back(item_id))


@bp.route("/attachments/<int:attachment_id>/withdraw", methods=["POST"])
def withdraw(attachment_id: int) -> Response:
    principal = current_user.principal()
    try:
        row = services.withdraw(
            db.session, principal, attachment_id, request.form.get("reason", "")
        )
    except DomainError as exc:
        db.session.rollback()
        why = "; ".join(str(d.get("message", "")) for d in exc.details) or exc.message
        flash(_("Not withdrawn: %(why)s", why=why), "error")
        return redirect(local_path(request.form.get("back"), url_for("workbench.items")))
    db.session.commit()
    flash(_("Attachment withdrawn: %(name)s.", name=row.filename), "success")
    return redirect(_back(row.item_id))
