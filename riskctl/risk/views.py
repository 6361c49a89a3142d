"""The monitor (监督) of discipline team leaders and inspectors: live warnings with
filters by period, unit, process, node, level, rule and status; a warning with its
score's factors, evidence, lifecycle and the item's timeline; statistics by period
(风险分时间段查询及统计); the notification log; CSV/XLSX exports, each audited."""

from __future__ import annotations

from datetime import timedelta
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
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from riskctl.alerts import services as alerts
from riskctl.alerts.models import Channel, Status
from riskctl.alerts.outbox import Notifier
from riskctl.attachments import services as attachments
from riskctl.core import calendar_store, exports
from riskctl.core.access import Action, Role, can
from riskctl.core.clock import utcnow
from riskctl.core.db import switch_to_writing
from riskctl.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from riskctl.core.formatting import label, local_time
from riskctl.core.periods import PRESETS, Period, period
from riskctl.extensions import db
from riskctl.org import services as org
from riskctl.risk import opinions
from riskctl.risk import services as risk
from riskctl.risk import statistics as disposition_stats
from riskctl.risk.models import Disposition, EventStatus, Level
from riskctl.supervision import follow_ups
from riskctl.web import field_errors, flash_not_saved, int_arg, local_path, select_locale
from riskctl.workflow import services as workflow

bp = Blueprint("monitor", __name__, url_prefix="/monitor")
PAGE_SIZE = 25
STAT_GROUPS = ("day", "unit", "level", "rule", "node", "process")


@bp.before_request
@login_required  # type: ignore[untyped-decorator]
def _may_monitor() -> None:
    if not can(current_user.principal(), Action.VIEW_RISK):
        abort(403)


class Filters:
    """The monitor's filters from the query string; a bad value is an error beside its
    field, never a silent "all"."""

    def __init__(self, args: Any, choices: risk.Choices) -> None:
        self.errors: dict[str, list[str]] = {}
        self.args = {k: v.strip() for k, v in args.items() if v.strip()}
        today = calendar_store.working_calendar(db.session).local_date(utcnow())
        try:
            self.period = period(self.args.get("period"), today, self.args.get("from"),
                                 self.args.get("to"))  # fmt: skip
        except ValidationFailed as exc:
            self.errors.update(field_errors(exc))
            self.period = period("month", today)
        self.unit = self._one("unit", [c for c, _n in choices.units])
        self.process = self._one("process", [k for k, _n in choices.processes])
        self.node = self._one("node", [k for ns in choices.nodes.values() for k, _n in ns])
        self.level = self._one("level", [lv.value for lv in Level])
        self.rule = self._one("rule", [c for c, _n, _e in choices.rules])
        self.status = self._one("status", [s.value for s in EventStatus])

    def _one(self, name: str, allowed: list[str]) -> str | None:
        value = self.args.get(name)
        if value is not None and value not in allowed:
            self.errors.setdefault(name, []).append(_("not one of the choices"))
            return None
        return value

    def bounds(self) -> tuple[Any, Any]:
        return self.period.bounds(calendar_store.zone())

    def for_events(self) -> dict[str, Any]:
        start, end = self.bounds()
        return {
            "unit": self.unit, "process": self.process, "node": self.node, "level": self.level,
            "rule": self.rule, "status": self.status, "start": start, "end": end,
        }  # fmt: skip

    def described(self) -> dict[str, Any]:
        """The filters as the audit record of an export keeps them."""
        return {**self.args, "from": self.period.first.isoformat(),
                "to": self.period.last.isoformat()}  # fmt: skip


def _period_label(p: Period) -> str:
    return f"{p.first.isoformat()} — {p.last.isoformat()}"


@bp.route("/warnings")
def warnings() -> Any:
    principal = current_user.principal()
    choices = risk.monitor_choices(db.session, principal)
    filters = Filters(request.args, choices)
    page = risk.list_events(
        db.session, principal, **filters.for_events(), limit=PAGE_SIZE, offset=int_arg("offset")
    )
    context = {
        "page": page, "events": risk.event_views(db.session, page.items), "filters": filters,
        "titles": workflow.item_titles(db.session, {e.item_id for e in page.items if e.item_id}),
        "choices": choices, "presets": PRESETS, "unit_names": org.unit_names(db.session),
        "period_label": _period_label(filters.period),
    }  # fmt: skip
    if request.args.get("partial"):  # the live list reloads only its table
        return render_template("monitor/_warning_table.html", **context)
    return render_template("monitor/warnings.html", **context), 422 if filters.errors else 200


@bp.route("/warnings/<int:event_id>")
def warning(event_id: int) -> str:
    return _warning_page(event_id)


def _warning_page(
    event_id: int, resolve_errors: dict[str, list[str]] | None = None,
    resolve_values: Any = None,
) -> str:  # fmt: skip
    principal = current_user.principal()
    event = risk.visible_event(db.session, principal, event_id)
    view = risk.event_views(db.session, [event])[0]
    item = definition = diagram = None
    posts: dict[str, str] = {}
    if event.item_id is not None and can(principal, Action.VIEW_ITEMS, event.unit_id):
        from riskctl.workflow.views import item_diagram

        item = workflow.item_view(db.session, principal, event.item_id)
        definition = workflow.definition_of_item(db.session, event.item_id)
        diagram = item_diagram(definition, item)
        posts = org.post_names(db.session, item["unit"])
    told = can(principal, Action.VIEW_ALERTS, event.unit_id)
    # The evidence in words, its items linked for a reader who may open them.
    may_open = can(principal, Action.VIEW_ITEMS, event.unit_id)
    explained = risk.explained_evidence(
        db.session, event, select_locale(),
        lambda i: url_for("workbench.item", item_id=i) if may_open else None,
    )  # fmt: skip
    return render_template(
        "monitor/warning.html", e=view, item=item, definition=definition, diagram=diagram,
        explained=explained, show_raw=Role.ADMIN in principal.roles,
        may_handle=can(principal, Action.HANDLE_RISK, event.unit_id),
        may_close_red=can(principal, Action.CLOSE_RED, event.unit_id),
        may_opine=can(principal, Action.OPINE_RISK, event.unit_id),
        opinions=opinions.opinion_views(db.session, event)
        if opinions.may_read(principal, event) else [],
        dispositions=[d.value for d in Disposition],
        unit_names=org.unit_names(db.session), post_names=posts,
        notifications=alerts.list_alerts(
            db.session, principal, channel=None, status=None, event_id=event.id, limit=100
        ).items if told else None,
        # Who the level's route leaves out, and why (the subject of a red, by default).
        not_told=Notifier(db.session, risk.current_policy(db.session)).not_told(event)
        if told else [],
        # What its disposition ordered (talks, rectifications): the supervision module's,
        # combined here, in the view; risk's services know nothing of it.
        follow_ups=follow_ups.of_events(db.session, principal, [event.id])[event.id],
        may_ledger=can(principal, Action.MANAGE_LEDGER, event.unit_id),
        follow_up_form=follow_ups.resolve_form(db.session, principal, event),
        resolve_errors=resolve_errors or {}, resolve_values=resolve_values or {},
    )  # fmt: skip


@bp.route("/warnings/<int:event_id>/print")
def warning_print(event_id: int) -> str:
    """The warning's disposition form (预警处置单) to print and file, seen as on its page."""
    principal = current_user.principal()
    event = risk.visible_event(db.session, principal, event_id)
    view = risk.event_views(db.session, [event])[0]
    item = definition = None
    posts: dict[str, str] = {}
    files: list[dict[str, Any]] = []
    if event.item_id is not None and can(principal, Action.VIEW_ITEMS, event.unit_id):
        item = workflow.item_view(db.session, principal, event.item_id)
        definition = workflow.definition_of_item(db.session, event.item_id)
        posts = org.post_names(db.session, item["unit"])
        files = attachments.attachments_of_item(
            db.session, principal, event.item_id, attachments.store_of(current_app.config)
        )
    handlers = (event.acknowledged_by_id, event.explained_by_id, event.closed_by_id)
    # The views name the handlers by username; the form names them as people sign.
    names = dict(org.person_names(db.session, {i for i in handlers if i}).values())
    return render_template(
        "monitor/warning_print.html", e=view, item=item, definition=definition, files=files,
        follow_ups=follow_ups.of_events(db.session, principal, [event.id])[event.id],
        unit_names=org.unit_names(db.session), post_names=posts, names=names, now=utcnow(),
    )  # fmt: skip


@bp.route("/warnings/<int:event_id>/<action>", methods=["POST"])
def act(event_id: int, action: str) -> Any:
    principal = current_user.principal()
    form = request.form
    try:
        if action == "acknowledge":
            risk.acknowledge(db.session, principal, event_id)
        elif action == "resolve":
            disposition = form.get("disposition", "")
            try:
                risk.resolve(db.session, principal, event_id, disposition,
                             form.get("note") or None,
                             follow_up=follow_ups.from_form(form, disposition))  # fmt: skip
            except ValidationFailed as exc:
                if not any(d["path"].startswith("follow_up") for d in exc.details):
                    raise
                # What the follow-up needs is shown beside its field, as it was typed.
                db.session.rollback()
                return _warning_page(event_id, field_errors(exc), form), 422
        elif action == "dismiss":
            risk.dismiss(db.session, principal, event_id, form.get("reason", ""))
        elif action == "opinion":
            opinions.add_opinion(db.session, principal, event_id, form.get("text", ""))
        else:
            abort(404)
    except (ValidationFailed, Conflict, Forbidden) as exc:
        flash_not_saved(exc)
    else:
        db.session.commit()
        flash(_("Saved."), "success")
    back = url_for("monitor.warning", event_id=event_id)
    return redirect(local_path(form.get("back"), back))


@bp.route("/warnings/export.<fmt>")
def export_warnings(fmt: str) -> Response:
    """The filtered warnings as the list names them: units, processes, items, nodes and
    people by name, levels, statuses and dispositions in words, local times.  The unit's
    and the rule's codes come last, for an administrator who matches rows against the
    policy, the API or an import."""
    principal = current_user.principal()
    exports.check_format(fmt)
    filters = Filters(request.args, risk.monitor_choices(db.session, principal))
    if filters.errors:
        abort(422)
    page = risk.list_events(
        db.session, principal, **filters.for_events(), limit=exports.MAX_ROWS, offset=0
    )
    headers = [_("Number"), _("Level"), _("Score"), _("Warning"), _("Unit"), _("Process"),
               _("Item"), _("Node"), _("Person"), _("What"), _("Status"), _("Raised"),
               _("Explanation"), _("Explained by"), _("Disposition"), _("Closing note"),
               _("Closed by"), _("Closed at"), _("Unit code"), _("Rule code")]  # fmt: skip
    rows = _warning_rows(risk.event_views(db.session, page.items))
    return _download("warnings", fmt, filters.described(), headers, rows, page.total)


def _warning_rows(events: list[dict[str, Any]]) -> list[list[Any]]:
    zh = select_locale() == "zh_CN"
    units = org.unit_names(db.session)
    items = workflow.item_briefs(db.session, {e["item_id"] for e in events if e["item_id"]})
    # A warning about an open task names the post's holders (as its page does).
    unnamed = {e["unit"] for e in events if e["post"] and not e["person_label"]}
    posts = {u: org.post_names(db.session, u) for u in unnamed}
    rows = []
    for e in events:
        item = items.get(e["item_id"]) if e["item_id"] else None
        person = e["person_label"]
        if person is None and e["post"]:
            post = posts.get(e["unit"], {}).get(e["post"], e["post"])
            person = _("holders of %(post)s", post=post)
        disposition: str | None = None
        if e["disposition"]:
            disposition = label(e["disposition"], "disposition")
            if e["disposition_form"]:
                disposition += f"（{label(e['disposition_form'], 'form')}）"
        rows.append([
            e["id"], label(e["level"], "level"), round(e["score"], 1),
            e["rule_name"] if zh else e["rule_name_en"], units.get(e["unit"] or "", e["unit"]),
            item.process_name if item else None,
            f"#{e['item_id']} {item.title}" if item else None,
            # A node is named by the item's version; without an item, its key means nothing.
            item.node_names.get(e["node"], e["node"]) if item and e["node"] else None,
            person, (e["subject_text"] if zh else e["subject_text_en"]) or None,
            label(e["status"], "event_status"), local_time(e["created_at"]),
            e["explanation"], e["explained_by_label"], disposition, e["closing_note"],
            e["closed_by_label"], local_time(e["closed_at"]) if e["closed_at"] else None,
            e["unit"], e["rule"],
        ])  # fmt: skip
    return rows


def _download(
    what: str, fmt: str, described: dict[str, Any], headers: list[str], rows: list[Any],
    total: int,
) -> Response:  # fmt: skip
    body = exports.table_file(fmt, headers, rows)
    switch_to_writing(db.session)  # the rows were read without a lock; the record takes it
    exports.record_export(db.session, what, fmt, described, len(rows))
    db.session.commit()
    stamp = local_time(utcnow(), "%Y%m%d-%H%M")
    response = Response(body, content_type=exports.FORMATS[fmt])  # charset said once
    response.headers["Content-Disposition"] = f'attachment; filename="{what}-{stamp}.{fmt}"'
    response.headers["X-Rows"] = str(len(rows))
    response.headers["X-Total"] = str(total)
    return response


@bp.route("/statistics")
def statistics() -> Any:
    principal = current_user.principal()
    if not can(principal, Action.VIEW_STATS):
        abort(403)
    choices = risk.monitor_choices(db.session, principal)
    filters = Filters(request.args, choices)
    start, end = filters.bounds()
    figures = risk.stats_by(db.session, principal, group_bys=STAT_GROUPS, start=start,
                            end=end, unit=filters.unit)  # fmt: skip
    node_names = {
        f"{p}/{k}": f"{dict(choices.processes).get(p, p)}·{n}"
        for p, ns in choices.nodes.items()
        for k, n in ns
    }
    charts = {
        group: [
            {"key": g["key"], "label": node_names.get(g["key"], g["label"]),
             "count": g["count"], "mean": g["mean_score"],
             "red": g["red"], "orange": g["orange"], "yellow": g["yellow"]}
            for g in result["groups"]
        ]
        for group, result in figures.items()
    }  # fmt: skip
    charts["level"] = [dict(g, label=label(g["key"], "level")) for g in charts["level"]]
    # A trend has every day of the period, and the comparison every unit in reach: a
    # day or a unit without warnings is a zero, not a gap.
    blank = {"count": 0, "mean": 0.0, "red": 0, "orange": 0, "yellow": 0}
    by_day = {g["key"]: g for g in charts["day"]}
    charts["day"] = [
        by_day.get(d, {"key": d, "label": d, **blank})
        for d in (
            (filters.period.first + timedelta(days=n)).isoformat()
            for n in range(filters.period.days)
        )
    ]
    by_unit = {g["key"]: g for g in charts["unit"]}
    shown = [(c, n) for c, n in choices.units if filters.unit in (None, c)]
    charts["unit"] = [by_unit.get(c, {"key": c, "label": n, **blank}) for c, n in shown]
    charts["unit"].sort(key=lambda g: (-g["count"], g["key"]))
    forms = disposition_stats.dispositions(db.session, principal, start=start, end=end,
                                           unit=filters.unit)  # fmt: skip
    form_keys = {f["key"] for f in forms["by_form"]} | {d["form"] for d in forms["by_disposition"]}
    return render_template(
        "monitor/statistics.html", filters=filters, choices=choices, presets=PRESETS,
        charts=charts, total=figures["level"]["total"], period_label=_period_label(filters.period),
        forms=forms, export_args={k: v for k, v in filters.args.items() if k != "fmt"},
        form_names={key: _form_label(key) for key in form_keys},
        disposition_names={d["key"]: label(d["key"], "disposition")
                           for d in forms["by_disposition"]},
    ), 422 if filters.errors else 200  # fmt: skip


@bp.route("/statistics/dispositions.<fmt>")
def export_dispositions(fmt: str) -> Response:
    """The statistics by form and by disposition (the page's two tables in one sheet)."""
    principal = current_user.principal()
    if not can(principal, Action.VIEW_STATS):
        abort(403)
    exports.check_format(fmt)
    filters = Filters(request.args, risk.monitor_choices(db.session, principal))
    if filters.errors:
        abort(422)
    start, end = filters.bounds()
    forms = disposition_stats.dispositions(db.session, principal, start=start, end=end,
                                           unit=filters.unit)  # fmt: skip
    headers = [_("Counted as"), _("Disposition"), _("Warnings"), label("red", "level"),
               label("orange", "level"), label("yellow", "level")]  # fmt: skip
    rows = [[_form_label(f["key"]), None, f["count"], f["red"], f["orange"], f["yellow"]]
            for f in forms["by_form"]]  # fmt: skip
    rows += [[_form_label(d["form"]), label(d["key"], "disposition"), d["count"], d["red"],
              d["orange"], d["yellow"]] for d in forms["by_disposition"]]  # fmt: skip
    return _download("dispositions", fmt, filters.described(), headers, rows, len(rows))


def _form_label(key: str) -> str:
    """A by-form row as a reader names it (第一种形态, 经核实无问题, 未计入形态)."""
    if key == disposition_stats.NO_PROBLEM:
        return str(_("Verified: no problem"))
    if key == disposition_stats.NO_FORM:
        return str(_("No form counted"))
    return label(key, "form")


@bp.route("/notifications")
def notification_log() -> str:
    principal = current_user.principal()
    if not can(principal, Action.VIEW_ALERTS):
        abort(403)
    channel = request.args.get("channel") or None
    status = request.args.get("status") or None
    channel = channel if channel in {c.value for c in Channel} else None
    status = status if status in {s.value for s in Status} else None
    page = alerts.list_alerts(
        db.session, principal, channel=channel, status=status,
        limit=PAGE_SIZE, offset=int_arg("offset"),
    )  # fmt: skip
    return render_template(
        "monitor/notifications.html", page=page, channel=channel, status=status,
        channels=[c.value for c in Channel], statuses=[s.value for s in Status],
        unit_names=org.unit_names(db.session),
    )  # fmt: skip


@bp.route("/notifications/export.<fmt>")
def export_notifications(fmt: str) -> Response:
    """The notification log as its page shows it: kinds, levels and statuses in words,
    the unit and the recipient by name, local times.  What an administrator needs to
    follow an SMS up with the provider (the unit's code, the provider's own status and
    error) comes last, as the provider gave it."""
    principal = current_user.principal()
    if not can(principal, Action.VIEW_ALERTS):
        abort(403)
    exports.check_format(fmt)
    channel = request.args.get("channel") or None
    status = request.args.get("status") or None
    try:
        page = alerts.list_alerts(db.session, principal, channel=channel, status=status,
                                  limit=exports.MAX_ROWS)  # fmt: skip
    except (ValueError, DomainError):
        abort(422)
    units = org.unit_names(db.session)
    people = org.labels_by_username(db.session, {r for n in page.items if (r := n["recipient"])})
    headers = [_("Number"), _("Channel"), _("Kind"), _("Level"), _("Unit"), _("Recipient"),
               _("Phone"), _("Text"), _("Status"), _("Written"), _("Sent at"), _("Warning No."),
               _("Unit code"), _("Provider status"), _("Error")]  # fmt: skip
    rows = [
        [n["id"], label(n["channel"], "channel"), label(n["kind"], "notification"),
         label(n["level"], "level") if n["level"] else None,
         units.get(n["unit"], n["unit"]) if n["unit"] else None,
         people.get(n["recipient"] or "") or (_("big screen") if n["channel"] == "screen"
                                              else None),
         n["phone"], n["body"], label(n["status"], "delivery"), local_time(n["created_at"]),
         local_time(n["sent_at"]) if n["sent_at"] else None,
         f"#{n['event_id']}" if n["event_id"] else None, n["unit"], n["delivery_status"],
         " ".join(x for x in (n["error_code"], n["error_message"]) if x) or None]
        for n in page.items
    ]  # fmt: skip
    described = {"channel": channel, "status": status}
    return _download("notifications", fmt, described, headers, rows, page.total)
