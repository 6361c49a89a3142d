"""Sign-in pages and the session user loader."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from riskctl.auth import services
from riskctl.auth.forms import LoginForm
from riskctl.auth.throttle import mark_failed_login, throttle_failed_logins
from riskctl.core import audit
from riskctl.extensions import db, login_manager
from riskctl.org.models import Person

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> Person | None:
    person = db.session.get(Person, int(user_id)) if user_id.isdigit() else None
    return person if person is not None and person.is_active else None


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login is a phishing aid.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("web.home")


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
            db.session.commit()
            session.clear()  # no session fixation across the sign-in
            login_user(person)
            return redirect(_safe_next(request.args.get("next")))
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
