"""The workbench (工作台) of unit staff: my tasks, start an item, a task, an item with its
timeline and diagram, and the warnings on my work with a box to explain them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from riskctl.attachments import services as attachments
from riskctl.core import calendar_store
from riskctl.core.access import Action, can
from riskctl.core.clock import utcnow
from riskctl.core.errors import Conflict, Forbidden, Refused, ValidationFailed
from riskctl.core.formatting import local_time, remaining
from riskctl.core.periods import PRESETS, Period, period
from riskctl.extensions import db
from riskctl.meetings import services as meetings
from riskctl.org import services as org
from riskctl.process.diagram import flowchart
from riskctl.process.fields import FieldSpec
from riskctl.risk import services as risk
from riskctl.web import field_errors, flash_not_saved, form_line, int_arg, local_path
from riskctl.workflow import services as workflow
from riskctl.workflow.choices import ItemChoices, item_choices

bp = Blueprint("workbench", __name__)
PAGE_SIZE = 20


@bp.before_request
@login_required  # type: ignore[untyped-decorator]
def _signed_in() -> None:
    """Every workbench page needs a signed-in person."""


def form_values(specs: Iterable[FieldSpec], form: Mapping[str, str]) -> dict[str, Any]:
    """The posted ``fields.<key>`` inputs as the services take them: empty inputs are left
    out on a start form, sent as "clear" (None) on a task; yes/no as booleans."""
    values: dict[str, Any] = {}
    for spec in specs:
        name = f"fields.{spec.key}"
        if name not in form:
            continue
        raw = form[name].strip()
        if spec.type == "bool":
            values[spec.key] = {"true": True, "false": False}.get(raw)
        elif spec.type == "money":
            values[spec.key] = raw.replace("¥", "").replace("，", ",") or None
        else:
            values[spec.key] = raw or None
    return values


@bp.route("/work")
def tasks() -> str:
    principal = current_user.principal()
    search = request.args.get("q", "").strip() or None
    page = workflow.my_tasks(
        db.session, principal, search=search, limit=PAGE_SIZE, offset=int_arg("offset")
    )
    now, calendar = utcnow(), calendar_store.working_calendar(db.session)
    due = {t["id"]: remaining(t["due_at"], now, calendar) for t in page.items}
    return render_template("workbench/tasks.html", page=page, due=due, q=search or "")


@bp.route("/work/start")
def start() -> str:
    processes = workflow.startable(db.session, current_user.principal())
    return render_template("workbench/start.html", processes=processes)


@bp.route("/work/start/<process>", methods=["GET", "POST"])
def start_item(process: str) -> tuple[str, int] | Response:
    principal = current_user.principal()
    published = workflow.start_form(db.session, principal, process)
    definition = published.definition
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        values = form_values(definition.fields, request.form)
        try:
            title = form_line("title")
            outcome = workflow.start_item(
                db.session,
                principal,
                process,
                title,
                {k: v for k, v in values.items() if v is not None},
                comment=request.form.get("comment") or None,
            )
        except ValidationFailed as exc:
            _keep_or_roll_back(exc)
            errors = field_errors(exc, {f.label: f.label for f in definition.fields})
        else:
            db.session.commit()
            flash(_("Item %(id)d started.", id=outcome.item_id), "success")
            return redirect(_next_page(outcome))
    page = render_template(
        "workbench/start_item.html",
        published=published,
        definition=definition,
        required=workflow.fields_required_at_start(definition),
        primary=workflow.fields_asked_at_start(definition),
        values=values,
        title=request.form.get("title", ""),
        comment=request.form.get("comment", ""),
        errors=errors,
    )
    return page, 422 if errors else 200


def _keep_or_roll_back(exc: ValidationFailed) -> None:
    # A block-mode refusal is evidence: its control hit and audit record stay.
    if exc.keeps_writes:
        db.session.commit()
    else:
        db.session.rollback()


def _next_page(outcome: workflow.Outcome) -> str:
    """After an action: the next task that is the caller's, else the item."""
    mine = workflow.my_open_task_ids(db.session, current_user.principal(), outcome.item_id)
    for task_id, _node in outcome.opened:
        if task_id in mine:
            return url_for("workbench.task", task_id=task_id)
    return url_for("workbench.item", item_id=outcome.item_id)


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
def task(task_id: int) -> tuple[str, int] | Response:
    principal = current_user.principal()
    page = workflow.task_page(db.session, principal, task_id)
    if page.node.meeting is not None:  # completed by recording the meeting, not a click
        return redirect(url_for("meeting_pages.record", task_id=task_id))
    errors: dict[str, list[str]] = {}
    refusal: Refused | None = None
    values: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        if not page.may_complete and page.why_not != "barred":
            abort(409)  # a barred attempt goes on to be refused, and recorded as evidence
        specs = [page.definition.field_map[k] for k in page.node.edits]
        values = form_values(specs, request.form)
        try:
            outcome = workflow.complete_task(
                db.session,
                principal,
                task_id,
                decision=request.form.get("decision") or None,
                values=values,
                comment=request.form.get("comment") or None,
            )
        except Refused as exc:
            db.session.commit()
            refusal, status = exc, 422
        except ValidationFailed as exc:
            db.session.rollback()
            errors, status = field_errors(exc, {s.label: s.label for s in specs}), 422
        except (Conflict, Forbidden) as exc:
            db.session.rollback()
            flash(
                _("Nothing was submitted: this step was done or the item changed meanwhile.")
                if isinstance(exc, Conflict)
                else _("Nothing was submitted: you may not do this step."),
                "error",
            )
            return redirect(url_for("workbench.item", item_id=page.task.item_id))
        else:
            db.session.commit()
            for flagged in outcome.flagged:  # done, but the person is told it was flagged
                flash(flag_note(flagged), "warning")
            if not outcome.flagged:
                flash(_("Step done: %(node)s.", node=page.node.name), "success")
            return redirect(_next_page(outcome))
    fields = page.item["fields"]
    return render_template(
        "workbench/task.html",
        page=page,
        item=page.item,
        values={**fields, **{k: v for k, v in values.items() if v is not None}},
        errors=errors,
        unit_names=org.unit_names(db.session),
        post_names=org.post_names(db.session, page.item["unit"]),
        refusal=refusal_reasons(refusal) if refusal else None,
        comment=request.form.get("comment", ""),
        diagram=item_diagram(page.definition, page.item),
        due=remaining(page.task.due_at, utcnow(), calendar_store.working_calendar(db.session)),
        attachments=attachments.panel(
            db.session, principal, attachments.store_of(current_app.config), page.task.item_id
        ),
    ), status


def flag_note(flagged: workflow.Flagged) -> str:
    """A flag-mode hit as the person who did the step is told: which rule, and the earlier
    step of theirs it pairs with (or the declared interest)."""
    reason = flagged.reason
    if "interest" in reason:
        return str(
            _(
                "Done. Note: you declared a relation (%(relation)s) to “%(counterparty)s”, and "
                "this item concerns “%(value)s”; this is recorded as it happened, for the "
                "discipline inspectors.",
                **reason["interest"],
            )
        )
    earlier = reason.get("earlier") or {}
    facts = {
        "earlier": earlier.get("name", ""),
        "at": local_time(earlier.get("at")),
        "rule": reason["name"],
    }
    if flagged.outcome == "mitigated":
        return str(
            _(
                "Done. Note: this step and “%(earlier)s”, which you handled on this item at "
                "%(at)s, are incompatible posts (%(rule)s); an approved mitigation applies, and "
                "this is recorded as it happened, for the discipline inspectors.",
                **facts,
            )
        )
    return str(
        _(
            "Done. Note: this step and “%(earlier)s”, which you handled on this item at %(at)s, "
            "are incompatible posts (%(rule)s); this is recorded as it happened, for the "
            "discipline inspectors.",
            **facts,
        )
    )


def refusal_reasons(refusal: Refused) -> list[dict[str, Any]]:
    """A block-mode refusal as the page explains it: each rule with the earlier step of
    the caller that it pairs with (incompatible posts), or the declared interest."""
    reasons: list[dict[str, Any]] = []
    for detail in refusal.details:
        if detail.get("path") == "rule":
            reasons.append({"rule": detail.get("rule"), "name": detail.get("message")})
        elif detail.get("path") == "step" and reasons:
            reasons[-1]["earlier"] = detail["step"]
    return reasons or [{"rule": refusal.code, "name": refusal.message}]


def item_diagram(definition: Any, item: Mapping[str, Any]) -> str:
    ended = item["status"] if item["status"] in ("completed", "rejected") else None
    return flowchart(
        definition,
        visited={s["node"] for s in item["steps"]},
        current={t["node"] for t in item["tasks"]},
        ended=ended,
        posts=org.post_names(db.session, item["unit"]),
    )


ITEM_STATUSES = ("running", "completed", "rejected", "cancelled", "frozen")
PERSON_ROLES = ("handled", "started")


class ItemFilters:
    """The items list's filters from the query string.  As on the monitor, a bad value is
    an error beside its field, never a silent "all"; without a period every item counts."""

    def __init__(self, args: Mapping[str, str], choices: ItemChoices) -> None:
        self.errors: dict[str, list[str]] = {}
        self.args = {k: v.strip() for k, v in args.items() if v.strip()}
        self.search = self.args.get("q")
        self.period: Period | None = None
        if self.args.get("period", "all") != "all" or "from" in self.args or "to" in self.args:
            today = calendar_store.working_calendar(db.session).local_date(utcnow())
            try:
                self.period = period(self.args.get("period"), today, self.args.get("from"),
                                     self.args.get("to"))  # fmt: skip
            except ValidationFailed as exc:
                self.errors.update(field_errors(exc))
        self.status = self._one("status", list(ITEM_STATUSES))
        self.unit = self._one("unit", [c for c, _n in choices.units])
        self.process = self._one("process", [k for k, _n in choices.processes])
        self.person = self._one("person", [u for u, _n, _u in choices.people])
        self.person_role = self._one("role", list(PERSON_ROLES)) or "handled"

    def _one(self, name: str, allowed: list[str]) -> str | None:
        value = self.args.get(name)
        if value is not None and value not in allowed:
            self.errors.setdefault(name, []).append(_("not one of the choices"))
            return None
        return value

    def for_items(self) -> dict[str, Any]:
        start = end = None
        if self.period is not None:
            start, end = self.period.bounds(calendar_store.zone())
        return {
            "unit": self.unit, "process": self.process, "status": self.status,
            "start": start, "end": end, "search": self.search, "person": self.person,
            "person_role": self.person_role,
        }  # fmt: skip


@bp.route("/items")
def items() -> tuple[str, int]:
    principal = current_user.principal()
    if not can(principal, Action.VIEW_ITEMS):
        abort(403)
    choices = item_choices(db.session, principal)
    filters = ItemFilters(request.args, choices)
    page = workflow.list_items(
        db.session, principal, **filters.for_items(), limit=PAGE_SIZE, offset=int_arg("offset")
    )
    return render_template(
        "workbench/items.html", page=page, filters=filters, choices=choices, presets=PRESETS,
        statuses=ITEM_STATUSES,
    ), 422 if filters.errors else 200  # fmt: skip


@bp.route("/items/<int:item_id>")
def item(item_id: int) -> str:
    principal = current_user.principal()
    view = workflow.item_view(db.session, principal, item_id)
    definition = workflow.definition_of_item(db.session, item_id)
    mine = workflow.my_open_task_ids(db.session, principal, item_id)
    return render_template(
        "workbench/item.html",
        item=view,
        definition=definition,
        diagram=item_diagram(definition, view),
        my_task_ids=mine,
        meetings=meetings.meetings_of_item(db.session, principal, item_id),
        attachments=attachments.panel(
            db.session, principal, attachments.store_of(current_app.config), item_id
        ),
        unit_names=org.unit_names(db.session),
        post_names=org.post_names(db.session, view["unit"]),
        can_monitor=can(principal, Action.VIEW_RISK)
        and "monitor.warning" in current_app.view_functions,
    )


@bp.route("/items/<int:item_id>/print")
def item_print(item_id: int) -> str:
    """The item's handling record (流转记录) to print and file, seen as on its page."""
    principal = current_user.principal()
    view = workflow.item_view(db.session, principal, item_id)
    store = attachments.store_of(current_app.config)
    return render_template(
        "workbench/item_print.html",
        item=view,
        files=attachments.attachments_of_item(db.session, principal, item_id, store),
        definition=workflow.definition_of_item(db.session, item_id),
        unit_names=org.unit_names(db.session),
        post_names=org.post_names(db.session, view["unit"]),
        now=utcnow(),
    )


@bp.route("/work/warnings")
def warnings() -> str:
    principal = current_user.principal()
    page = risk.list_events(
        db.session, principal, mine=True, limit=PAGE_SIZE, offset=int_arg("offset")
    )
    return render_template(
        "workbench/warnings.html", page=page, events=risk.event_views(db.session, page.items)
    )


@bp.route("/work/warnings/<int:event_id>/explain", methods=["POST"])
def explain(event_id: int) -> Response:
    try:
        risk.explain(db.session, current_user.principal(), event_id, request.form.get("text", ""))
    except (ValidationFailed, Conflict, Forbidden) as exc:
        flash_not_saved(exc)
    else:
        db.session.commit()
        flash(_("Your explanation is recorded."), "success")
    return redirect(local_path(request.form.get("back"), url_for("workbench.warnings")))
