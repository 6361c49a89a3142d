"""Pages under 监督: talks (the list, planning, a talk with its record, scans and
confirmations, annual plans), the supervision ledger (the list and its XLSX in the
offices' form, entering a finding — also from a warning, 转台账 — and a finding with its
progress, 销号 and 退回), and the statistics of dispositions followed through."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
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
from werkzeug.exceptions import RequestEntityTooLarge

from riskctl.core import calendar_store, exports
from riskctl.core.access import Action, can, may_ever
from riskctl.core.clock import utcnow
from riskctl.core.db import switch_to_writing
from riskctl.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from riskctl.core.formatting import local_time
from riskctl.core.inputs import InputProblem
from riskctl.core.inputs import day as parse_day
from riskctl.core.periods import PRESETS, period
from riskctl.extensions import db
from riskctl.files.services import size_label, store_of
from riskctl.org import services as org
from riskctl.supervision import ledger, people, statistics, talks, workbook
from riskctl.supervision.api import _allow_upload_size, file_limit
from riskctl.supervision.labels import FINDING_STATUSES, SOURCES, TALK_KINDS, TALK_STATUSES, label
from riskctl.supervision.models import TalkKind
from riskctl.web import field_errors, flash_not_saved, int_arg, select_locale

bp = Blueprint("supervision_pages", __name__, url_prefix="/supervision")
bp.url_value_preprocessor(_allow_upload_size)
PAGE_SIZE = 25


@bp.before_request
@login_required  # type: ignore[untyped-decorator]
def _signed_in() -> None:
    """Every supervision page needs a signed-in person."""


@bp.app_template_filter("supervision_label")
def _label(value: Any, kind: str) -> str:
    return label(value, kind)


@bp.app_template_filter("supervision_day")
def _show_day(value: Any) -> str:
    """A day as the pages show days (2026-12-10); none: a dash."""
    return value.isoformat() if value is not None else "—"


@bp.app_template_filter("supervision_size")
def _show_size(value: int) -> str:
    return str(size_label(value)) if value >= 1024 * 1024 else f"{max(value // 1024, 1)} KB"


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Any:
    flash(_("Not uploaded: the file is larger than %(limit)s.", limit=size_label(file_limit())),
          "error")  # fmt: skip
    return redirect(request.path.rsplit("/", 1)[0])


def _day(name: str, errors: dict[str, list[str]], *, required: bool = True) -> Any:
    raw = request.form.get(name, "").strip()
    if not raw:
        if required:
            errors.setdefault(name, []).append(_("required"))
        return None
    try:
        return parse_day(raw)
    except InputProblem:
        errors.setdefault(name, []).append(_("must be a date like 2026-11-24"))
        return None


def _file() -> Any:
    upload = request.files.get("file")
    return upload if upload is not None and upload.filename else None


def _choices() -> dict[str, Any]:
    return {"talk_kinds": TALK_KINDS, "talk_statuses": TALK_STATUSES, "sources": SOURCES,
            "finding_statuses": FINDING_STATUSES}  # fmt: skip


def _units(action: Action) -> list[tuple[str, str]]:
    """(code, name) of the units the caller reaches for ``action``."""
    return [(u["unit"].code, u["unit"].name) for u in _overview()
            if can(current_user.principal(), action, u["unit"].id)]  # fmt: skip


def _overview() -> list[dict[str, Any]]:
    principal = current_user.principal()
    if not may_ever(principal, Action.VIEW_ORG):
        return []
    return org.units_overview(db.session, principal)


# ---------------------------------------------------------------- talks


@bp.route("/talks")
def talk_list() -> Any:
    principal = current_user.principal()
    args = {k: v for k, v in request.args.items() if v and k != "offset"}
    try:
        page = talks.list_talks(
            db.session, principal, unit=args.get("unit"),
            kind=args.get("kind") if args.get("kind") in TALK_KINDS else None,
            status=args.get("status") if args.get("status") in TALK_STATUSES else None,
            mine=bool(args.get("mine")), overdue=bool(args.get("overdue")),
            limit=PAGE_SIZE, offset=int_arg("offset"),
        )  # fmt: skip
    except ValidationFailed:
        abort(422)
    return render_template(
        "supervision/talks.html", page=page, talks=talks.talk_views(db.session, page.items),
        args=args, units=_units(Action.VIEW_TALKS),
        may_plan=may_ever(principal, Action.MANAGE_TALKS),
        may_see_plans=may_ever(principal, Action.VIEW_TALKS), **_choices(),
    )  # fmt: skip


@bp.route("/talks/new", methods=["GET", "POST"])
def talk_new() -> Any:
    principal = current_user.principal()
    units = _units(Action.MANAGE_TALKS)
    if not units:
        abort(403)
    unit = request.values.get("unit") or units[0][0]
    if unit not in dict(units):
        abort(403)
    errors: dict[str, list[str]] = {}
    form = request.form
    if request.method == "POST":
        due = _day("due_on", errors)
        if not errors:
            try:
                talk = talks.plan_talk(
                    db.session, principal, kind=form.get("kind", ""), unit=unit,
                    talker=form.get("talker", ""), subjects=form.getlist("subjects"),
                    due_on=due, topic=form.get("topic", ""), place=form.get("place") or None,
                )  # fmt: skip
            except (ValidationFailed, Forbidden) as exc:
                db.session.rollback()
                errors = field_errors(exc)
            else:
                db.session.commit()
                flash(_("Talk planned."), "success")
                return redirect(url_for(".talk", talk_id=talk.id))
    found = people.unit_by_code(db.session, unit)
    today = calendar_store.local_date()
    return render_template(
        "supervision/talk_new.html", units=units, unit=unit, errors=errors, form=form,
        talkers=people.choices(db.session, people.talkers(db.session, found.id, today)),
        members=people.choices(db.session, people.members(db.session, found.id)),
        kinds=[k.value for k in TalkKind],
        today=today, **_choices(),
    ), 422 if errors else 200  # fmt: skip


def _talk_page(talk_id: int, errors: dict[str, list[str]] | None = None, status: int = 200) -> Any:
    principal = current_user.principal()
    found = talks.visible_talk(db.session, principal, talk_id)
    return render_template(
        "supervision/talk.html", t=talks.talk_views(db.session, [found])[0],
        may=talks.may(principal, found), errors=errors or {}, form=request.form,
        today=calendar_store.local_date(), limit=size_label(file_limit()),
        may_warning=found.risk_event_id is not None and can(principal, Action.VIEW_RISK,
                                                               found.unit_id),
    ), status  # fmt: skip


@bp.route("/talks/<int:talk_id>")
def talk(talk_id: int) -> Any:
    return _talk_page(talk_id)


@bp.route("/talks/<int:talk_id>/record", methods=["POST"])
def talk_record(talk_id: int) -> Any:
    """The talk held: its day, the record and, if chosen, a scan of it (one transaction:
    a scan refused records nothing)."""
    principal = current_user.principal()
    errors: dict[str, list[str]] = {}
    held_on = _day("held_on", errors)
    follow_up_on = _day("follow_up_on", errors, required=False)
    if errors:
        return _talk_page(talk_id, errors, 422)
    scan = _file()
    try:
        talks.record_talk(
            db.session, principal, talk_id, held_on=held_on,
            record=request.form.get("record", ""), follow_up_on=follow_up_on,
            scan=talks.Scan(store_of(current_app.config), scan.stream, scan.filename,
                            file_limit()) if scan else None,
        )  # fmt: skip
    except ValidationFailed as exc:
        db.session.rollback()
        return _talk_page(talk_id, field_errors(exc), 422)
    except DomainError as exc:
        flash_not_saved(exc)
    else:
        db.session.commit()
        flash(_("Talk recorded."), "success")
    return redirect(url_for(".talk", talk_id=talk_id))


@bp.route("/talks/<int:talk_id>/scan", methods=["POST"])
def talk_scan(talk_id: int) -> Any:
    scan = _file()
    if scan is None:
        return _talk_page(talk_id, {"file": [_("choose a file first")]}, 422)
    try:
        talks.add_scan(
            db.session, current_user.principal(), store_of(current_app.config), talk_id,
            scan.stream, scan.filename, limit=file_limit(),
        )  # fmt: skip
    except ValidationFailed as exc:
        db.session.rollback()
        return _talk_page(talk_id, field_errors(exc), 422)
    except DomainError as exc:
        flash_not_saved(exc)
    else:
        db.session.commit()
        flash(_("Scan uploaded."), "success")
    return redirect(url_for(".talk", talk_id=talk_id))


@bp.route("/talks/<int:talk_id>/<action>", methods=["POST"])
def talk_act(talk_id: int, action: str) -> Any:
    principal = current_user.principal()
    try:
        if action == "confirm":
            talks.confirm_talk(db.session, principal, talk_id)
        elif action == "cancel":
            talks.cancel_talk(db.session, principal, talk_id, request.form.get("reason", ""))
        else:
            abort(404)
    except ValidationFailed as exc:
        db.session.rollback()
        return _talk_page(talk_id, field_errors(exc), 422)
    except (Conflict, Forbidden) as exc:
        flash_not_saved(exc)
    else:
        db.session.commit()
        flash(_("Saved."), "success")
    return redirect(url_for(".talk", talk_id=talk_id))


@bp.route("/talks/<int:talk_id>/files/<int:file_id>/download")
def talk_file(talk_id: int, file_id: int) -> Any:
    principal = current_user.principal()
    talks.visible_talk(db.session, principal, talk_id)
    switch_to_writing(db.session)  # the download is recorded
    row, file = talks.open_file(db.session, principal, store_of(current_app.config), "talk",
                                talk_id, file_id)  # fmt: skip
    db.session.commit()
    return send_file(file, mimetype=row.content_type, as_attachment=True,
                     download_name=row.filename)  # fmt: skip


@bp.route("/talks/plans", methods=["GET", "POST"])
def plans() -> Any:
    principal = current_user.principal()
    if not may_ever(principal, Action.VIEW_TALKS):
        abort(403)
    errors: dict[str, list[str]] = {}
    managed = _units(Action.MANAGE_TALKS)
    form = request.form
    unit = request.values.get("unit") or (managed[0][0] if managed else None)
    if request.method == "POST":
        if unit not in dict(managed):
            abort(403)
        sessions = []
        for n in range(int(form.get("rows", "0") or 0) if form.get("rows", "").isdigit() else 0):
            if not (form.get(f"sessions-{n}-topic") or form.get(f"sessions-{n}-due_on")):
                continue
            due = _day(f"sessions-{n}-due_on", errors)
            sessions.append((n, due))
        year = form.get("year", "").strip()
        if not year.isdigit() or len(year) != 4:
            errors.setdefault("year", []).append(_("must be a year like 2027"))
        if not errors:
            try:
                talks.create_plan(
                    db.session, principal, unit=unit or "", year=int(year),
                    sessions=[talks.Session_(due, form.get(f"sessions-{n}-topic", ""),
                                             form.get(f"sessions-{n}-talker", ""),
                                             form.get(f"sessions-{n}-place") or None)
                              for n, due in sessions],
                    note=form.get("note") or None,
                )  # fmt: skip
            except (ValidationFailed, Conflict) as exc:
                db.session.rollback()
                errors = {k.replace("[", "-").replace("].", "-"): v
                          for k, v in field_errors(exc).items()}  # fmt: skip
            else:
                db.session.commit()
                flash(_("Annual plan saved."), "success")
                return redirect(url_for(".plans", unit=unit))
    talkers: list[tuple[str, str]] = []
    if unit in dict(managed):
        found = people.unit_by_code(db.session, unit or "")
        talkers = people.choices(
            db.session, people.talkers(db.session, found.id, calendar_store.local_date())
        )
    return render_template(
        "supervision/plans.html", plans=talks.list_plans(db.session, principal), managed=managed,
        unit=unit, talkers=talkers, errors=errors, form=form,
        year=calendar_store.local_date().year, **_choices(),
    ), 422 if errors else 200  # fmt: skip


# ---------------------------------------------------------------- the ledger


def _ledger_filters() -> dict[str, Any]:
    args = {k: v for k, v in request.args.items() if v and k not in ("offset", "sheets")}
    return {
        "unit": args.get("unit"),
        "status": args.get("status") if args.get("status") in FINDING_STATUSES else None,
        "source": args.get("source") if args.get("source") in SOURCES else None,
        "overdue": bool(args.get("overdue")),
    }


@bp.route("/ledger")
def ledger_list() -> Any:
    principal = current_user.principal()
    filters = _ledger_filters()
    try:
        page = ledger.list_findings(
            db.session, principal, **filters, mine=bool(request.args.get("mine")),
            limit=PAGE_SIZE, offset=int_arg("offset"),
        )  # fmt: skip
    except ValidationFailed:
        abort(422)
    return render_template(
        "supervision/ledger.html", page=page,
        findings=ledger.finding_views(db.session, page.items),
        args={k: v for k, v in request.args.items() if v and k != "offset"},
        units=_units(Action.VIEW_LEDGER), may_enter=may_ever(principal, Action.MANAGE_LEDGER),
        may_export=may_ever(principal, Action.VIEW_LEDGER) or bool(page.total), **_choices(),
    )  # fmt: skip


@bp.route("/ledger/export.xlsx")
def ledger_export() -> Response:
    """The ledger in the offices' form (序号、问题、来源、整改措施、责任单位/责任人、整改时限、
    整改进展、是否销号): one sheet per unit (``sheets=unit``) or one for all.  Audited."""
    principal = current_user.principal()
    filters = _ledger_filters()
    per_unit = request.args.get("sheets") == "unit"
    try:
        rows = ledger.ledger_rows(db.session, principal, **filters, limit=exports.MAX_ROWS)
    except ValidationFailed:
        abort(422)
    body = workbook.ledger_workbook(
        db.session, rows, per_unit=per_unit, title=_("Supervision ledger (督查工作台账)"),
        made_at=local_time(utcnow()), zh=select_locale() == "zh_CN",
    )  # fmt: skip
    switch_to_writing(db.session)
    described = {**{k: v for k, v in filters.items() if v}, "sheets": "unit" if per_unit else "one"}
    exports.record_export(db.session, "ledger", "xlsx", described, len(rows))
    db.session.commit()
    stamp = local_time(utcnow(), "%Y%m%d-%H%M")
    response = Response(body, content_type=exports.FORMATS["xlsx"])
    response.headers["Content-Disposition"] = f'attachment; filename="ledger-{stamp}.xlsx"'
    response.headers["X-Rows"] = str(len(rows))
    return response


@bp.route("/ledger/new", methods=["GET", "POST"])
def finding_new() -> Any:
    """Enter a finding; from a warning (``?event=``, 转台账) its unit and its evidence in
    words are filled in."""
    principal = current_user.principal()
    units = _units(Action.MANAGE_LEDGER)
    if not units:
        abort(403)
    event_id = request.values.get("event", "")
    event = None
    if event_id.isdigit() and len(event_id) < 10:
        from riskctl.risk import services as risk

        event = risk.visible_event(db.session, principal, int(event_id))
    unit = request.values.get("unit") or (
        people.unit_code(db.session, event.unit_id) if event is not None else units[0][0]
    )
    if unit not in dict(units):
        abort(403)
    errors: dict[str, list[str]] = {}
    form = request.form
    if request.method == "POST":
        deadline = _day("deadline", errors)
        if not errors:
            try:
                finding = ledger.create_finding(
                    db.session, principal, unit=unit, source=form.get("source", ""),
                    description=form.get("description") or None, deadline=deadline,
                    measures=form.get("measures") or None,
                    responsible=form.get("responsible") or None,
                    risk_event_id=event.id if event is not None else None,
                )  # fmt: skip
            except (ValidationFailed, Forbidden) as exc:
                db.session.rollback()
                errors = field_errors(exc)
            else:
                db.session.commit()
                flash(_("Finding entered in the ledger."), "success")
                return redirect(url_for(".finding", finding_id=finding.id))
    found = people.unit_by_code(db.session, unit or "")
    return render_template(
        "supervision/finding_new.html", units=units, unit=unit, errors=errors, form=form,
        event=event, described=ledger.describe(db.session, event) if event is not None else "",
        members=people.choices(db.session, people.members(db.session, found.id)),
        today=calendar_store.local_date(), **_choices(),
    ), 422 if errors else 200  # fmt: skip


def _finding_page(finding_id: int, errors: dict[str, list[str]] | None = None,
                  status: int = 200) -> Any:  # fmt: skip
    principal = current_user.principal()
    found = ledger.visible_finding(db.session, principal, finding_id)
    return render_template(
        "supervision/finding.html", f=ledger.finding_views(db.session, [found], history=True)[0],
        may=ledger.may(principal, found), errors=errors or {}, form=request.form,
        today=calendar_store.local_date(), limit=size_label(file_limit()),
        may_warning=found.risk_event_id is not None and can(principal, Action.VIEW_RISK,
                                                               found.unit_id),
    ), status  # fmt: skip


@bp.route("/ledger/<int:finding_id>")
def finding(finding_id: int) -> Any:
    return _finding_page(finding_id)


@bp.route("/ledger/<int:finding_id>/<action>", methods=["POST"])
def finding_act(finding_id: int, action: str) -> Any:
    principal = current_user.principal()
    form = request.form
    try:
        if action == "progress":
            evidence = _file()
            ledger.record_progress(
                db.session, principal, finding_id, text=form.get("text", ""),
                measures=form.get("measures") or None,
                evidence=talks.Scan(store_of(current_app.config), evidence.stream,
                                         evidence.filename, file_limit()) if evidence else None,
            )  # fmt: skip
        elif action == "submit":
            ledger.submit(db.session, principal, finding_id, form.get("text", ""))
        elif action == "verify":
            ledger.verify(db.session, principal, finding_id, form.get("note") or None)
        elif action == "return":
            errors: dict[str, list[str]] = {}
            deadline = _day("deadline", errors, required=False)
            if errors:
                return _finding_page(finding_id, errors, 422)
            ledger.send_back(db.session, principal, finding_id, form.get("reason", ""), deadline)
        else:
            abort(404)
    except ValidationFailed as exc:
        db.session.rollback()
        return _finding_page(finding_id, field_errors(exc), 422)
    except (Conflict, Forbidden) as exc:
        flash_not_saved(exc)
    else:
        db.session.commit()
        flash(_("Saved."), "success")
    return redirect(url_for(".finding", finding_id=finding_id))


@bp.route("/ledger/<int:finding_id>/files/<int:file_id>/download")
def finding_file(finding_id: int, file_id: int) -> Any:
    principal = current_user.principal()
    ledger.visible_finding(db.session, principal, finding_id)
    switch_to_writing(db.session)  # the download is recorded
    row, file = talks.open_file(db.session, principal, store_of(current_app.config), "finding",
                                finding_id, file_id)  # fmt: skip
    db.session.commit()
    return send_file(file, mimetype=row.content_type, as_attachment=True,
                     download_name=row.filename)  # fmt: skip


# ---------------------------------------------------------------- statistics


@bp.route("/statistics")
def follow_up_statistics() -> Any:
    principal = current_user.principal()
    if not can(principal, Action.VIEW_STATS):
        abort(403)
    errors: dict[str, list[str]] = {}
    today = calendar_store.local_date()
    try:
        chosen = period(request.args.get("period") or "year", today, request.args.get("from"),
                        request.args.get("to"))  # fmt: skip
    except ValidationFailed as exc:
        errors = field_errors(exc)
        chosen = period("year", today)
    unit = request.args.get("unit") or None
    units = _units(Action.VIEW_STATS)
    if unit is not None and unit not in dict(units):
        errors.setdefault("unit", []).append(_("not one of the choices"))
        unit = None
    start, end = chosen.bounds(calendar_store.zone())
    figures = statistics.follow_ups(db.session, principal, start=start, end=end, unit=unit)
    zh = select_locale() == "zh_CN"
    return render_template(
        "supervision/statistics.html", figures=figures, period=chosen, presets=PRESETS,
        units=units, unit=unit, errors=errors,
        period_label=f"{chosen.first.isoformat()} — {(chosen.last).isoformat()}",
        chart={
            "labels": [r["label"] if zh else r["label_en"] for r in figures["by_disposition"]],
            "held": [r["held"] for r in figures["by_disposition"]],
            "late": [r["late"] for r in figures["by_disposition"]],
            "open": [r["open"] for r in figures["by_disposition"]],
        },
    ), 422 if errors else 200  # fmt: skip
