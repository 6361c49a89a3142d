"""The page shell every domain shares: home, navigation by role, language switch, the
template filters, error pages."""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from riskctl.core import calendar_store, formatting, inputs
from riskctl.core.access import Action, Principal, can
from riskctl.core.errors import DomainError, ValidationFailed
from riskctl.core.inputs import INT64_MAX
from riskctl.core.locale import LANGUAGES, OUTSIDE_REQUEST
from riskctl.extensions import db
from riskctl.org import services as org

bp = Blueprint("web", __name__)


def _as_text(value: Any) -> Any:
    """A lazy translation put into words before it is printed in a template.  Flask-Babel's
    LazyString has ``__html__``, so Jinja would print it unescaped; a service's message may
    hold what someone typed (``no person '<b>…'``), so it is escaped like any text."""
    return str(value) if isinstance(value, LazyString) else value


@bp.record_once
def _escape_lazy_text(state: Any) -> None:
    state.app.jinja_env.finalize = _as_text


for _name, _filter in {
    "local": formatting.local_time, "yuan": formatting.yuan, "label": formatting.label,
    "badge": formatting.badge, "field_value": formatting.field_value,
    "due": formatting.due_time, "lines": formatting.escape_text,
}.items():  # fmt: skip
    bp.add_app_template_filter(_filter, _name)  # type: ignore[arg-type]


@bp.app_template_global()
def level_labels() -> Any:
    """The level labels of the policy in force, read once per request."""
    from riskctl.risk.labels import in_force

    if "level_labels" not in g:
        g.level_labels = in_force(db.session)
    return g.level_labels


def _configured_level_name(key: str) -> str | None:
    """A level's name in a badge or a column when the policy names it, in the reader's
    language; None (the built-in 红色/Red) outside a request or while it is the default."""
    if not has_request_context():
        return None
    labels, lang = level_labels(), select_locale()
    return None if labels.is_default(key, lang) else str(labels.short(key, lang))


formatting.name_levels(_configured_level_name)


@bp.app_template_global()
def level_name(key: str) -> str | None:
    """A warning of the level as a sentence names it (黄牌警告), when the policy names the
    level; None while it is the default, so that a page keeps its own words (红色预警)."""
    labels, lang = level_labels(), select_locale()
    return None if labels.is_default(key, lang) else str(labels.name(key, lang))


def navigation(principal: Principal) -> list[tuple[str, list[tuple[str, str]]]]:
    """The menu: one section per kind of work the person's roles allow."""
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    if principal.unit_id is not None and can(principal, Action.WORK_ITEMS):
        sections.append((_("Workbench"), [
            (_("My tasks"), "workbench.tasks"),
            *([(_("Start an item"), "workbench.start")]
              if can(principal, Action.START_ITEMS) else []),
            (_("Items"), "workbench.items"),
            (_("Warnings on my work"), "workbench.warnings"),
        ]))  # fmt: skip
    elif can(principal, Action.VIEW_ITEMS):
        # 业务处理, the source platform's name for the business module.
        sections.append((_("Business processing"), [(_("Items"), "workbench.items")]))
    # Talks and the ledger: everyone sees those they take part in or answer for.
    supervision = [(_("Talks"), "supervision_pages.talk_list"),
                   (_("Supervision ledger"), "supervision_pages.ledger_list")]  # fmt: skip
    if can(principal, Action.VIEW_STATS):
        monitor = [
            (_("Warnings"), "monitor.warnings"),
            (_("Statistics"), "monitor.statistics"),
            *supervision,
            (_("Dispositions followed through"), "supervision_pages.follow_up_statistics"),
        ]
        if can(principal, Action.VIEW_ALERTS):
            monitor.append((_("Notification log"), "monitor.notification_log"))
        if can(principal, Action.VIEW_SCREEN):
            monitor.append((_("Big screen"), "alerts_pages.screen"))
        sections.append((_("Monitor"), monitor))
    elif principal.unit_id is not None or can(principal, Action.VIEW_TALKS):
        sections.append((_("Monitor"), supervision))
    if can(principal, Action.VIEW_ASSESSMENT):
        sections.append((_("Assessment"), [
            (_("Performance evaluations"), "assessment_pages.evaluations"),
            (_("Risk profiles"), "assessment_pages.profile_page"),
            (_("Platform use"), "assessment_pages.platform_use"),
            *([(_("Monthly reports"), "assessment_pages.report_list")]
              if can(principal, Action.VIEW_REPORTS) else []),
        ]))  # fmt: skip
    if can(principal, Action.STUDY):  # 廉政教育
        study = [(_("My study"), "education_pages.my_study")]
        if can(principal, Action.MANAGE_STUDY):
            study.append((_("Study management"), "education_pages.manage"))
        if can(principal, Action.VIEW_STUDY):
            study.append((_("Study statistics"), "education_pages.statistics_page"))
        sections.append((_("Integrity education"), study))
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
    """The reader's language.  Pages (and the API called from them with the browser's
    session): the language chosen in this session, else the person's own choice, else
    Chinese.  A program — the API with a bearer token, or without a browser session (a
    script asking for its token): its Accept-Language, else the token's person's choice,
    else Chinese.  Outside a request (the CLI, the scheduler's jobs): ``OUTSIDE_REQUEST``,
    Chinese unless the command asked for English.  Error messages and codes' names
    follow it; the codes never change."""
    if not has_request_context():
        return OUTSIDE_REQUEST.get()
    if request.path.startswith("/api/") and _a_program():
        asked = request.accept_languages.best_match(["zh-CN", "zh", "en"])
        if asked is not None:
            return "en" if asked == "en" else "zh_CN"
        person = g.get("person")
        chosen = person.locale if person is not None else None
    else:
        chosen = session.get("lang")
        if chosen is None and current_user and current_user.is_authenticated:
            chosen = current_user.locale
    return chosen if chosen in LANGUAGES else "zh_CN"


def _a_program() -> bool:
    """An API call from a program rather than from a page: a browser sends its own
    Accept-Language (often not the reader's choice), a program the one it wants."""
    if "Authorization" in request.headers:
        return True
    return "lang" not in session and not current_user.is_authenticated


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
        found["can_start"] = can(principal, Action.START_ITEMS)
    if can(principal, Action.VIEW_RISK):
        found["open"] = {
            level: risk.list_events(db.session, principal, status="open", level=level,
                                    limit=1).total
            for level in ("red", "orange", "yellow")
        }  # fmt: skip
    if can(principal, Action.MANAGE_CALENDAR):
        # This year, and from October the next (the notice comes out in the autumn):
        # working days still guessed until an administrator enters the notice.
        calendar = calendar_store.working_calendar(db.session)
        today = calendar_store.local_date()
        years = [today.year] + ([today.year + 1] if today.month >= 10 else [])
        if provisional := [y for y in years if calendar.is_provisional(y)]:
            found["calendar_provisional"] = provisional
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
    """``target`` if it is a path on this site, else ``default``.

    The one check for every redirect target taken from a request (``next`` after signing
    in or switching the language, a form's ``back``): an open redirect is a phishing aid,
    and a line break in a Location header is a 500 (or worse, a forged header).  Browsers
    drop tabs and line breaks inside a URL and read a backslash as a slash, so
    ``/\t/evil.example`` and ``/\\evil.example`` lead to another host: any control
    character or backslash refuses the target, as does a scheme or a host, and the same
    again once percent-decoded (a proxy on the way may decode it)."""
    if target and _is_local_path(target) and _is_local_path(unquote(target)):
        return target
    return default


def _is_local_path(target: str) -> bool:
    if not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(unicodedata.category(c) == "Cc" for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def render_domain_error(error: DomainError) -> Any:
    """A service's refusal on a page that did not catch it: the error page in the reader's
    words, with the service's own message as the detail."""
    message = _error_titles().get(error.status, _("The request could not be done."))
    detail = "; ".join(
        f"{d['path']}: {reader_message(str(d['message']))}" if d.get("path")
        else reader_message(str(d["message"]))
        for d in error.details or [{"message": error.message}]
    )  # fmt: skip
    return (
        render_template("error.html", status=error.status, message=message, detail=detail),
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


# The services' messages are put into words when read (riskctl.core.errors), so a page
# shows them as they come.  The process definitions' own checks (process/definition.py)
# still say a few in plain English; until they are translations too, a page shows these.
_STILL_ENGLISH = {
    "must be text": _l("must be text"),
    "must be true or false": _l("must be true or false"),
}


def reader_message(message: str) -> str:
    """A service's problem message as a page shows it: in the reader's words."""
    known = _STILL_ENGLISH.get(message)
    return message if known is None else str(known)


def field_errors(error: DomainError) -> dict[str, list[str]]:
    """A service's validation problems by form field path (``fields.amount``, ``title``)."""
    found: dict[str, list[str]] = {}
    for detail in error.details or [{"path": "", "message": error.message}]:
        found.setdefault(detail.get("path") or "", []).append(
            reader_message(str(detail.get("message", "")))
        )
    return found


def int_arg(name: str, default: int = 0, *, minimum: int = 0, maximum: int = INT64_MAX) -> int:
    """A whole number from the query string within ``minimum``..``maximum``, or
    ``default`` when it is absent or empty; anything else is a 422 naming it."""
    value = request.args.get(name, "").strip()
    if not value:
        return default
    try:
        return inputs.whole_number(value, minimum=minimum, maximum=maximum)
    except inputs.InputProblem as exc:
        raise ValidationFailed.at(name, exc.message) from None


def form_line(name: str) -> str:
    """A single-line form field (a title, a short reason): every control character is
    refused with a 422 naming it (free text is checked for every request: api.guard)."""
    value = request.form.get(name, "")
    problem = inputs.text_problem(value, single_line=True)
    if problem:
        raise ValidationFailed.at(name, problem)
    return value


def flash_not_saved(error: DomainError) -> None:
    """Undo the failed action's writes and say why on the next page."""
    db.session.rollback()
    why = "; ".join(m for ms in field_errors(error).values() for m in ms)
    flash(_("Not saved: %(why)s", why=why), "error")


# ---------------------------------------------------------------- security headers

# Every script, style, image, font and connection is this site's own (static/vendor is
# built from npm, nothing comes from a CDN), so the policy allows nothing else; pages keep
# no inline code (static/js).  Data URIs: images Swagger UI and Mermaid draw with.
_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
))  # fmt: skip
HSTS_SECONDS = 365 * 24 * 3600
FRAMED_ENDPOINTS = frozenset({"alerts_pages.screen"})


@bp.app_template_global("csp_allow_inline_styles")
def allow_inline_styles() -> str:
    """Called by a template that draws with Mermaid: Mermaid writes a <style> element and
    style attributes into each diagram's SVG and has no CSP nonce, so that page's policy
    allows inline styles (never inline scripts).  Every other page keeps ``'self'``."""
    g.csp_inline_styles = True
    return ""


def security_headers(response: Response) -> Response:
    """Sets the headers every answer carries (an ``after_request`` hook).

    Only the big screen may be framed, and only by the sources configured in
    ``RISKCTL_SCREEN_FRAME_ANCESTORS``; there ``X-Frame-Options`` is left out, as it can
    name no origin.  HSTS only on a request that came in over TLS (behind a proxy:
    ``RISKCTL_PROXY_HOPS`` makes ``X-Forwarded-Proto`` count)."""
    framers: list[str] = []
    if request.endpoint in FRAMED_ENDPOINTS:
        framers = current_app.config["RISKCTL"].SCREEN_FRAME_ANCESTORS.split()
    if not framers:
        response.headers["X-Frame-Options"] = "DENY"
    ancestors = " ".join(framers) or "'none'"
    styles = "'self' 'unsafe-inline'" if g.get("csp_inline_styles") else "'self'"
    response.headers["Content-Security-Policy"] = (
        f"{_POLICY}; style-src {styles}; frame-ancestors {ancestors}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = f"max-age={HSTS_SECONDS}"
    return response
