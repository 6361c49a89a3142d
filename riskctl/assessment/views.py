"""The pages of 分析评估: evaluations (the form built from the framework, the result, its
exports), risk profiles, platform use, and the monthly reports."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from riskctl.assessment import export, profiles, reports, services, usage, words
from riskctl.core import calendar_store, inputs
from riskctl.core.access import Action, can, require
from riskctl.core.db import writes
from riskctl.core.errors import DomainError, ValidationFailed
from riskctl.extensions import db
from riskctl.web import field_errors, int_arg

bp = Blueprint("assessment_pages", __name__, url_prefix="/assessment")
FRAMEWORK = "dept_overall_expenditure"


@bp.before_request
@login_required  # type: ignore[untyped-decorator]
def _signed_in() -> None:
    """Every page here needs a signed-in person with the assessment's rights."""
    if not can(current_user.principal(), Action.VIEW_ASSESSMENT):
        abort(403)


# ---------------------------------------------------------------- evaluations


@bp.route("/")
def evaluations() -> str:
    principal = current_user.principal()
    page = services.list_evaluations(
        db.session,
        principal,
        unit=request.args.get("unit") or None,
        limit=50,
        offset=int_arg("offset"),
    )
    return render_template(
        "assessment/evaluations.html",
        page=page,
        rows=services.summaries(db.session, list(page.items)),
        frameworks=services.list_frameworks(principal),
        may_evaluate=can(principal, Action.EVALUATE),
    )


def inputs_from_form(form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The API's ``inputs`` and ``recorded`` from the form's ``inputs.<indicator>.<input>``
    and ``recorded.<indicator>`` fields (empty ones left out: a draft may lack them)."""
    found: dict[str, dict[str, Any]] = {}
    recorded: dict[str, Any] = {}
    for name, value in form.items():
        value = value.strip()
        parts = name.split(".")
        if not value:
            continue
        if parts[0] == "inputs" and len(parts) == 3:
            found.setdefault(parts[1], {})[parts[2]] = value
        elif parts[0] == "recorded" and len(parts) == 2:
            recorded[parts[1]] = value
    return found, recorded


def _values_of(row: Any) -> dict[str, str]:
    """A saved evaluation as the form's values."""
    values: dict[str, str] = {}
    for indicator, given in (row.inputs or {}).items():
        for key, value in given.items():
            shown = ("yes" if value else "no") if isinstance(value, bool) else str(value)
            values[f"inputs.{indicator}.{key}"] = shown
    for indicator, value in (row.recorded or {}).items():
        values[f"recorded.{indicator}"] = str(value)
    return values


@bp.route("/evaluations/new", methods=["GET", "POST"])
def evaluate() -> tuple[str, int] | Response:
    principal = current_user.principal()
    require(principal, Action.EVALUATE)
    source = request.form if request.method == "POST" else request.args
    framework = source.get("framework") or FRAMEWORK
    units = profiles.units_in_reach(db.session, principal, Action.EVALUATE)
    unit = source.get("unit") or (units[0].code if units else "")
    year = source.get("year") or str(calendar_store.local_date().year - 1)
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = dict(request.form)
    status = 200
    if request.method == "POST":
        found, recorded = inputs_from_form(request.form)
        try:
            saved = services.submit(
                db.session,
                principal,
                framework=framework,
                unit=unit,
                year=year,
                inputs=found,
                recorded=recorded or None,
                draft=request.form.get("action") == "draft",
            )
        except ValidationFailed as exc:
            db.session.rollback()
            errors, status = field_errors(exc), 422
        else:
            db.session.commit()
            if saved.view["status"] == "draft":
                flash(
                    _(
                        "Draft saved: %(n)s inputs still missing.",
                        n=len(saved.view["result"]["missing"]),
                    ),
                    "success",
                )
            else:
                flash(_("Evaluation saved."), "success")
            return redirect(url_for(".evaluation", evaluation_id=saved.view["id"]))
    elif unit:
        try:
            row = services.saved_inputs(db.session, principal, unit, year, framework)
        except DomainError:
            row = None
        if row is not None:
            values = _values_of(row)
    shape = services.framework_view(db.session, principal, framework)
    return render_template(
        "assessment/form.html",
        framework=shape,
        units=units,
        unit=unit,
        year=year,
        values=values,
        errors=errors,
    ), status


@bp.route("/evaluations/<int:evaluation_id>")
def evaluation(evaluation_id: int) -> str:
    principal = current_user.principal()
    view = services.evaluation_view(db.session, principal, evaluation_id)
    shape = services.framework_view(db.session, principal, view["framework"], view["version"])
    history = services.history(db.session, principal, view["unit"], view["framework"])
    groups = [
        {"name": g["name"], "max": g["max"], "score": g["score"], "recorded": g["recorded"]}
        for g in view["result"]["groups"]
    ]
    return render_template(
        "assessment/result.html",
        view=view,
        framework=shape,
        history=history,
        chart={
            "groups": groups,
            "names": {"max": _("Maximum"), "score": _("Computed"), "recorded": _("Recorded")},
        },
        may_evaluate=can(principal, Action.EVALUATE),
        input_value=words.input_value,
    )


@bp.route("/evaluations/<int:evaluation_id>/export.<fmt>")
@writes  # every export is audited
def export_evaluation(evaluation_id: int, fmt: str) -> Response:
    if fmt not in ("xlsx", "pdf"):
        abort(404)
    principal = current_user.principal()
    view = services.evaluation_view(db.session, principal, evaluation_id)
    shape = services.framework_view(db.session, principal, view["framework"], view["version"])
    body = export.xlsx(view, shape) if fmt == "xlsx" else export.pdf(view)
    services.record_export(db.session, principal, evaluation_id, fmt)
    db.session.commit()
    name = f"{view['unit_name']}_{view['year']}_{view['framework_name']}.{fmt}"
    response = Response(body, content_type=reports.CONTENT_TYPES[fmt])
    response.headers["Content-Disposition"] = _attachment(name)
    return response


def _attachment(name: str) -> str:
    from urllib.parse import quote

    return (
        f"attachment; filename=evaluation.{name.rsplit('.', 1)[-1]}; filename*=UTF-8''{quote(name)}"
    )


# ---------------------------------------------------------------- profiles and use


def _day(name: str) -> date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return inputs.day(value)
    except inputs.InputProblem as exc:
        raise ValidationFailed.at(name, exc.message) from None


@bp.route("/profiles")
def profile_page() -> str:
    principal = current_user.principal()
    found = profiles.profiles(db.session, principal, _day("from"), _day("to"))
    top = found["units"][:8]
    chart = {
        "units": [u["unit_name"] for u in found["units"]],
        "areas": [a["name"] for a in found["areas"]],
        "heat": found["heat"],
        "months": found["months"],
        "trends": [{"name": u["unit_name"], "values": u["trend"]} for u in top],
    }
    return render_template("assessment/profiles.html", found=found, chart=chart)


@bp.route("/platform-use")
def platform_use() -> str:
    found = usage.platform_use(
        db.session, current_user.principal(), request.args.get("month") or None
    )
    return render_template("assessment/usage.html", found=found)


# ---------------------------------------------------------------- reports


@bp.route("/reports", methods=["GET", "POST"])
def report_list() -> tuple[str, int] | Response:
    principal = current_user.principal()
    require(principal, Action.VIEW_REPORTS)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        try:
            first = _form_day("from")
            last = _form_day("to")
            row = reports.build_on_demand(
                db.session, principal, reports.store_of(current_app.config), first, last
            )
        except ValidationFailed as exc:
            db.session.rollback()
            errors, status = field_errors(exc), 422
        else:
            db.session.commit()
            flash(_("Report built."), "success")
            return redirect(url_for(".report", report_id=row.id))
    month = profiles.previous_month(calendar_store.local_date())
    found = reports.list_reports(db.session, principal, 50, int_arg("offset"))
    return render_template(
        "assessment/reports.html", found=found, errors=errors, values=request.form, month=month
    ), status


def _form_day(name: str) -> date:
    try:
        return inputs.day(request.form.get(name, "").strip())
    except inputs.InputProblem as exc:
        raise ValidationFailed.at(name, exc.message) from None


@bp.route("/reports/<int:report_id>")
def report(report_id: int) -> str:
    principal = current_user.principal()
    row = reports.visible_report(db.session, principal, report_id)
    view = reports.report_view(db.session, row)
    images = reports.chart_images(view["summary"])
    return render_template("assessment/report.html", view=view, images=images)


@bp.route("/reports/<int:report_id>/<fmt>")
@writes  # every download is audited
def report_file(report_id: int, fmt: str) -> Response:
    if fmt not in reports.CONTENT_TYPES:
        abort(404)
    found = reports.open_file(
        db.session, current_user.principal(), reports.store_of(current_app.config), report_id, fmt
    )
    db.session.commit()
    response = send_file(
        found.file,
        mimetype=found.content_type,
        as_attachment=True,
        download_name=found.filename,
        conditional=False,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
