"""Sign-in pages, the session user loader, and the administrators' sign-in unlock."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from riskctl.auth import services
from riskctl.auth.forms import LoginForm
from riskctl.auth.throttle import is_locked, mark_failed_login, throttle_failed_logins
from riskctl.core import audit
from riskctl.extensions import db, login_manager
from riskctl.org.models import Person
from riskctl.web import local_path

bp = Blueprint("auth", __name__)
# The key of the server-side session (riskctl.auth.models.SignInSession), kept in the
# signed session cookie beside Flask-Login's user id.
SESSION_KEY = "sid"


@login_manager.user_loader
def load_user(user_id: str) -> Person | None:
    """The signed-in person, only while their server-side session lives: the signed
    cookie alone proves nothing once that session ended (sign-out, a password change,
    being disabled)."""
    row = services.live_session(db.session, session.get(SESSION_KEY))
    if row is None or str(row.person_id) != user_id:
        return None
    person = db.session.get(Person, row.person_id)
    if person is None or not person.is_active:
        return None
    g.sign_in_session = row
    return person


def note_session_seen() -> None:
    """A ``before_request`` hook (the last one, riskctl.create_app): note that the
    session was used, at most every few minutes (services.SEEN_EVERY).  Before any view
    wrote anything, so this commit holds only the last-seen time; best effort: if the
    database is busy the time waits for a later request, the request goes on."""
    if request.endpoint == "static" or SESSION_KEY not in session:
        return
    if current_user.is_authenticated and services.mark_seen(g.sign_in_session):
        try:
            db.session.commit()
        except sa.exc.OperationalError:
            db.session.rollback()


@bp.route("/login", methods=["GET", "POST"])
@throttle_failed_logins
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("web.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        person = services.authenticate(
            db.session,
            form.username.data,
            form.password.data,
            source=f"web {request.remote_addr}",
        )
        if person is not None:
            key = services.start_session(db.session, person)
            db.session.commit()
            session.clear()  # no session fixation across the sign-in
            login_user(person)
            session[SESSION_KEY] = key
            return redirect(local_path(request.args.get("next"), url_for("web.home")))
        mark_failed_login()
        db.session.commit()  # keep the audit record of the failure
        flash(_("Wrong username or password."), "error")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    services.end_session(db.session, session.get(SESSION_KEY), reason="logout")
    audit.record(
        db.session,
        "auth.logout",
        target_type="person",
        target_id=current_user.username,
        unit_id=current_user.unit_id,
    )
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.app_template_global("sign_in_locked")
def sign_in_locked(username: str) -> bool:
    """For the admin person page: whether the account lock is on."""
    return is_locked(username)


@bp.route("/admin/people/<username>/unlock", methods=["POST"])
@login_required
def unlock(username: str) -> Response:
    person = services.unlock_sign_in(db.session, current_user.principal(), username)
    db.session.commit()
    flash(_("Sign-in of %(name)s unlocked: wrong passwords count from zero again.",
            name=person.name), "success")  # fmt: skip
    return redirect(url_for("admin.person", username=person.username))
