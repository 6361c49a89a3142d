"""The big screen page (``/screen``) and the in-app notifications page."""

from __future__ import annotations

from flask import Blueprint, abort, after_this_request, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from riskctl.alerts import services
from riskctl.auth import kiosk
from riskctl.core.access import Action, can
from riskctl.core.db import switch_to_writing
from riskctl.core.listing import Page
from riskctl.extensions import db
from riskctl.web import int_arg, local_path

bp = Blueprint("alerts_pages", __name__)
PAGE_SIZE = 30


@bp.route("/screen")
def screen() -> str | Response:
    """1920×1080, read-only: a kiosk opens it with its token; an inspector signed in.
    The kiosk's ``?token=`` is taken once and moved into a cookie (riskctl.auth.kiosk)."""
    given = request.args.get("token")
    if given is not None:
        if services.kiosk_for(db.session, given) is None:
            abort(403)
        return kiosk.remember(redirect(url_for("alerts_pages.screen")), given)
    token = kiosk.cookie_token()
    if token:
        if services.kiosk_for(db.session, token) is None:  # revoked meanwhile
            after_this_request(kiosk.forget)
            abort(403)
        # Kept fresh (a kiosk used every day never expires), and moved from the path
        # older versions gave it to the whole site, where the snapshot and socket see it.
        after_this_request(lambda response: kiosk.remember(response, token))
    elif not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    elif not can(current_user.principal(), Action.VIEW_SCREEN):
        abort(403)
    return render_template("alerts/screen.html")


@bp.route("/notifications")
@login_required  # type: ignore[untyped-decorator]
def notifications() -> str:
    principal = current_user.principal()
    found = services.my_notifications(
        db.session, principal, unread=False, limit=PAGE_SIZE, offset=int_arg("offset")
    )
    page = Page(found["items"], found["total"], found["limit"], found["offset"])
    # Listing is not reading: a notification is read when it is opened or marked.
    return render_template(
        "alerts/notifications.html", page=page, can_monitor=can(principal, Action.VIEW_RISK)
    )


@bp.route("/notifications/<int:notification_id>/open")
@login_required  # type: ignore[untyped-decorator]
def open_notification(notification_id: int) -> Response:
    """Opening one reads it, and goes to what it is about."""
    principal = current_user.principal()
    found = services.my_notification(db.session, principal, notification_id)
    switch_to_writing(db.session)
    services.mark_read(db.session, principal, notification_id)
    db.session.commit()
    if found["event_id"] and can(principal, Action.VIEW_RISK):
        return redirect(url_for("monitor.warning", event_id=found["event_id"]))
    if found["item_id"]:
        return redirect(url_for("workbench.item", item_id=found["item_id"]))
    home = url_for("alerts_pages.notifications")
    return redirect(local_path(found["path"], home) if found["path"] else home)


@bp.route("/notifications/read", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
def mark_notifications_read() -> Response:
    """One (``id``) or all of them, by an explicit click."""
    principal = current_user.principal()
    raw = request.form.get("id")
    services.mark_read(db.session, principal, int(raw) if raw and raw.isdigit() else None)
    db.session.commit()
    return redirect(url_for("alerts_pages.notifications", offset=int_arg("offset") or None))
