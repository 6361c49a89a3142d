"""The page shell every domain shares: home, navigation by role, language switch, the
template filters, error pages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from riskctl.core import formatting
from riskctl.core.access import Action, Principal, can
from riskctl.core.errors import DomainError
from riskctl.extensions import db
from riskctl.org import services as org

bp = Blueprint("web", __name__)
LANGUAGES = {"zh_CN": "中文", "en": "English"}

for _name, _filter in {
    "local": formatting.local_time, "yuan": formatting.yuan, "label": formatting.label,
    "badge": formatting.badge, "field_value": formatting.field_value,
    "due": formatting.due_time, "lines": formatting.escape_text,
}.items():  # fmt: skip
    bp.add_app_template_filter(_filter, _name)  # type: ignore[arg-type]


def navigation(principal: Principal) -> list[tuple[str, list[tuple[str, str]]]]:
    """The menu: one section per kind of work the person's roles allow."""
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    if principal.unit_id is not None and can(principal, Action.WORK_ITEMS):
        sections.append((_("Workbench"), [
            (_("My tasks"), "workbench.tasks"),
            (_("Start an item"), "workbench.start"),
            (_("Items"), "workbench.items"),
            (_("Warnings on my work"), "workbench.warnings"),
        ]))  # fmt: skip
    elif can(principal, Action.VIEW_ITEMS):
        sections.append((_("Items"), [(_("Items"), "workbench.items")]))
    if can(principal, Action.VIEW_STATS):
        monitor = [
            (_("Warnings"), "monitor.warnings"),
            (_("Statistics"), "monitor.statistics"),
        ]
        if can(principal, Action.VIEW_ALERTS):
            monitor.append((_("Notification log"), "monitor.notification_log"))
        if can(principal, Action.VIEW_SCREEN):
            monitor.append((_("Big screen"), "alerts_pages.screen"))
        sections.append((_("Monitor"), monitor))
    if can(principal, Action.MANAGE_ORG):
        sections.append((_("Administration"), [
            (_("Units and posts"), "admin.units"),
            (_("People"), "admin.people"),
            (_("Processes"), "admin.processes_list"),
            (_("Risk values"), "admin.risk_values"),
            (_("Risk policy"), "admin.policy"),
            (_("Working calendar"), "admin.calendar"),
        ]))  # fmt: skip
    # Pages land area by area: a link shows once its page exists.
    known = current_app.view_functions
    return [
        (title, kept)
        for title, links in sections
        if (kept := [(text, endpoint) for text, endpoint in links if endpoint in known])
    ]


def select_locale() -> str:
    """The language chosen in this session, else the person's own choice, else Chinese."""
    chosen = session.get("lang")
    if chosen is None and current_user and current_user.is_authenticated:
        chosen = current_user.locale
    return chosen if chosen in LANGUAGES else "zh_CN"


@bp.route("/")
@login_required
def home() -> str:
    principal = current_user.principal()
    overview = org.overview_for(db.session, principal)
    return render_template(
        "home.html",
        overview=overview,
        current_posts=current_user.current_posts(org.today()),
        role_labels=role_labels(),
        todo=to_do(principal),
    )


def to_do(principal: Principal) -> dict[str, Any]:
    """What waits for this person, by role: the home page's first lines."""
    from riskctl.core.clock import utcnow
    from riskctl.risk import services as risk
    from riskctl.workflow import services as workflow

    found: dict[str, Any] = {}
    if principal.unit_id is not None and can(principal, Action.WORK_ITEMS):
        tasks = workflow.my_tasks(db.session, principal, limit=500).items
        now = utcnow()
        found["tasks"] = len(tasks)
        found["overdue"] = sum(
            1 for t in tasks if t["due_at"] and formatting.as_utc(t["due_at"]) < now
        )
        found["my_warnings"] = risk.list_events(
            db.session, principal, mine=True, status="open", limit=1
        ).total
    if can(principal, Action.VIEW_RISK):
        found["open"] = {
            level: risk.list_events(db.session, principal, status="open", level=level,
                                    limit=1).total
            for level in ("red", "orange", "yellow")
        }  # fmt: skip
    return found


def role_labels() -> dict[str, str]:
    return {
        "staff": _("Staff"),
        "discipline_leader": _("Discipline team leader"),
        "inspector": _("Inspector"),
        "admin": _("Administrator"),
    }


@bp.route("/favicon.ico")
def favicon() -> Response:
    """Pages we do not template (the API docs) make the browser ask for /favicon.ico."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str) -> Response:
    if code in LANGUAGES:
        session["lang"] = code
        if current_user.is_authenticated:  # kept for the person's next sign-in
            current_user.locale = code
            db.session.commit()
    return redirect(local_path(request.form.get("next"), url_for("web.home")))


def local_path(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site, else ``default``: a form's "back" address
    must not send anyone elsewhere (open redirect)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


def render_domain_error(error: DomainError) -> Any:
    """A service's refusal on a page that did not catch it: the error page in the reader's
    words, with the service's own message as the detail."""
    message = _error_titles().get(error.status, _("The request could not be done."))
    return (
        render_template("error.html", status=error.status, message=message, detail=error.message),
        error.status,
    )


def _error_titles() -> dict[int, str]:
    return {
        400: _("Bad request"),
        403: _("You are not allowed to see this page."),
        404: _("Page not found."),
        405: _("Method not allowed."),
        409: _("This was changed meanwhile; reload the page and try again."),
        413: _("The upload is too large."),
        422: _("The input is not valid."),
        429: _("Too many attempts; please try again later."),
    }


def render_error(error: HTTPException) -> Any:
    """HTML errors for pages; 429 on the login page explains the throttle."""
    status = error.code or 500
    if status == 429 and request.endpoint == "auth.login":
        from riskctl.auth.forms import LoginForm

        return render_template("auth/login.html", form=LoginForm(), throttled=True), 429
    message = _error_titles().get(status, _("Something went wrong; it has been logged."))
    response = render_template("error.html", status=status, message=message)
    return response, status


# Messages of the engine and the field checks, as a page shows them beside the field: the
# API keeps them in English; these are their msgids, so that extraction finds them.
_PROBLEMS = [
    (r"^(?P<label>.+) is required at (?P<node>.+)$", _l("%(label)s is required at %(node)s")),
    (r"^(?P<label>.+) is required$", _l("%(label)s is required")),
    (r"^(?P<label>.+) must be one of (?P<choices>.+)$",
     _l("%(label)s must be one of %(choices)s")),
    (r"^choose one of: (?P<choices>.+)$", _l("choose one of: %(choices)s")),
]  # fmt: skip
_FIELD_PROBLEMS = {
    text: message
    for text, message in {
        "must be text": _l("must be text"),
        "must be a whole number": _l("must be a whole number"),
        "is out of range": _l("is out of range"),
        "must be a date like 2026-11-24": _l("must be a date like 2026-11-24"),
        'must be an amount in yuan, e.g. "1234.50"': _l('must be an amount in yuan, e.g. "1234.50"'),  # noqa: E501
        "must have at most two decimal places": _l("must have at most two decimal places"),
        "must be between 0 and 9,999,999,999,999.99": _l("must be between 0 and 9,999,999,999,999.99"),  # noqa: E501
        "must be true or false": _l("must be true or false"),
        "must be the id of an item": _l("must be the id of an item"),
        "cannot be changed at this step": _l("cannot be changed at this step"),
        "unknown field": _l("unknown field"),
        "give the item a title": _l("give the item a title"),
        "say what happened": _l("say what happened"),
        # marshmallow's and the org schemas' messages (admin forms)
        "Missing data for required field.": _l("Missing data for required field."),
        "Not a valid integer.": _l("Not a valid integer."),
        "Not a valid date.": _l("Not a valid date."),
        "Field may not be null.": _l("Field may not be null."),
        "String does not match expected pattern.": _l("String does not match expected pattern."),
        "must not be before valid_from": _l("must not be before valid_from"),
        "use international format, e.g. +8613800000000": _l(
            "use international format, e.g. +8613800000000"
        ),
        "at least one role": _l("at least one role"),
        "a mainland number must be an 11-digit mobile number after +86": _l(
            "a mainland number must be an 11-digit mobile number after +86"
        ),
        "use 1–32 lowercase letters, digits, '_', '-' or '.', starting with a letter or digit": _l(
            "use 1–32 lowercase letters, digits, '_', '-' or '.', starting with a letter or digit"
        ),
        "use 3–64 lowercase letters, digits, '_', '-' or '.'": _l(
            "use 3–64 lowercase letters, digits, '_', '-' or '.'"
        ),
        "must be between 1 and 5": _l("must be between 1 and 5"),
        "already exists": _l("already exists"),
    }.items()
}  # fmt: skip


def reader_message(message: str, labels: Mapping[str, str] | None = None) -> str:
    """A service's problem message in the reader's language (known ones; others as is)."""
    for pattern, template in _PROBLEMS:
        match = re.match(pattern, message)
        if match:
            return str(template) % match.groupdict()
    if message in _FIELD_PROBLEMS:
        return str(_FIELD_PROBLEMS[message])
    for label in sorted(labels or {}, key=len, reverse=True):
        rest = message.removeprefix(f"{label} ")
        if rest != message and rest in _FIELD_PROBLEMS:
            return str(_("%(label)s: %(problem)s", label=label, problem=_FIELD_PROBLEMS[rest]))
    return message


def field_errors(
    error: DomainError, labels: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """A service's validation problems by form field path (``fields.amount``, ``title``)."""
    found: dict[str, list[str]] = {}
    for detail in error.details or [{"path": "", "message": error.message}]:
        found.setdefault(detail.get("path") or "", []).append(
            reader_message(str(detail.get("message", "")), labels)
        )
    return found


def int_arg(name: str, default: int = 0) -> int:
    """A non-negative whole number from the query string; anything else is the default."""
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else default


def flash_not_saved(error: DomainError) -> None:
    """Undo the failed action's writes and say why on the next page."""
    db.session.rollback()
    why = "; ".join(m for ms in field_errors(error).values() for m in ms)
    flash(_("Not saved: %(why)s", why=why), "error")
