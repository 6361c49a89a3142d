"""The page shell every domain shares: home, language switch, error pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from riskctl.extensions import db
from riskctl.org import services as org

bp = Blueprint("web", __name__)
LANGUAGES = {"zh_CN": "中文", "en": "English"}


def select_locale() -> str:
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else "zh_CN"


@bp.route("/")
@login_required
def home() -> str:
    overview = org.overview_for(db.session, current_user.principal())
    return render_template(
        "home.html",
        overview=overview,
        current_posts=current_user.current_posts(org.today()),
        role_labels=role_labels(),
    )


def role_labels() -> dict[str, str]:
    return {
        "staff": _("Staff"),
        "discipline_leader": _("Discipline team leader"),
        "inspector": _("Inspector"),
        "admin": _("Administrator"),
    }


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str) -> Response:
    if code in LANGUAGES:
        session["lang"] = code
    target = request.form.get("next") or url_for("web.home")
    return redirect(target if target.startswith("/") and not target.startswith("//") else "/")


def render_error(error: HTTPException) -> Any:
    """HTML errors for pages; 429 on the login page explains the throttle."""
    status = error.code or 500
    if status == 429 and request.endpoint == "auth.login":
        from riskctl.auth.forms import LoginForm

        return render_template("auth/login.html", form=LoginForm(), throttled=True), 429
    titles = {
        400: _("Bad request"),
        403: _("You are not allowed to see this page."),
        404: _("Page not found."),
        405: _("Method not allowed."),
        413: _("The upload is too large."),
        429: _("Too many attempts; please try again later."),
    }
    message = titles.get(status, _("Something went wrong; it has been logged."))
    response = render_template("error.html", status=status, message=message)
    return response, status
