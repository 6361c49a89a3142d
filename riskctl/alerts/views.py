"""The big screen page (``/screen``) and the in-app notifications page."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from riskctl.alerts import services
from riskctl.core.access import Action, can
from riskctl.core.listing import Page
from riskctl.extensions import db
from riskctl.web import int_arg

bp = Blueprint("alerts_pages", __name__)
PAGE_SIZE = 30


@bp.route("/screen")
def screen() -> str | Response:
    """1920×1080, read-only: a kiosk opens it with its token; an inspector signed in."""
    token = request.args.get("token")
    if token:
        if services.kiosk_for(db.session, token) is None:
            abort(403)
    elif not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    elif not can(current_user.principal(), Action.VIEW_SCREEN):
        abort(403)
    return render_template("alerts/screen.html", token=token)


@bp.route("/notifications")
@login_required  # type: ignore[untyped-decorator]
def notifications() -> str:
    principal = current_user.principal()
    found = services.my_notifications(
        db.session, principal, unread=False, limit=PAGE_SIZE, offset=int_arg("offset")
    )
    page = Page(found["items"], found["total"], found["limit"], found["offset"])
    # Seen here: read.  The page shows which were new before this visit.
    services.mark_read(db.session, principal, None)
    db.session.commit()
    return render_template(
        "alerts/notifications.html", page=page, can_monitor=can(principal, Action.VIEW_RISK)
    )
