"""The secretary's page: record a meeting task's meeting (and so complete the task)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from riskctl.core.calendar_store import local_date
from riskctl.core.errors import Conflict, Forbidden, ValidationFailed
from riskctl.extensions import db
from riskctl.meetings import services, spec
from riskctl.org import services as org
from riskctl.web import field_errors
from riskctl.workflow import services as workflow

bp = Blueprint("meeting_pages", __name__)


@bp.before_request
@login_required  # type: ignore[untyped-decorator]
def _signed_in() -> None:
    """Every meeting page needs a signed-in person."""


def record_from_form(form: Mapping[str, str], members: list[dict[str, Any]],
                     observers: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    """The API's record from the form: one row per member expected (present, recused and
    why, place in the speaking order, view and words)."""
    present, recused, spoken = [], [], []
    for n, member in enumerate(members):
        who = member["person"]
        if form.get(f"present_{who}"):
            present.append(who)
        if form.get(f"recused_{who}"):
            recused.append({"person": who, "reason": form.get(f"reason_{who}", "").strip()})
        view = form.get(f"view_{who}", "")
        if view:
            order = form.get(f"order_{who}", "").strip()
            place = int(order) if order.isdigit() else 1000 + n
            spoken.append((place, n, {"person": who, "view": view,
                                      "text": form.get(f"text_{who}", "").strip()}))  # fmt: skip
    return {
        "held_on": form.get("held_on", "").strip() or None,
        "topics_sent_on": form.get("topics_sent_on", "").strip() or None,
        "present": present,
        "recused": recused,
        "views": [v for _p, _n, v in sorted(spoken, key=lambda s: (s[0], s[1]))],
        "observers_present": [
            o["person"] for o in observers if form.get(f"observer_{o['person']}")
        ],
        "minutes": form.get("minutes", ""),
        "decision": form.get("decision") or None,
    }


@bp.route("/tasks/<int:task_id>/meeting", methods=["GET", "POST"])
def record(task_id: int) -> tuple[str, int] | Response:
    principal = current_user.principal()
    page = workflow.task_page(db.session, principal, task_id)
    if page.node.meeting is None:
        return redirect(url_for("workbench.task", task_id=task_id))
    form = services.meeting_form(db.session, principal, task_id)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        if not page.may_complete:
            abort(409)
        raw = record_from_form(request.form, form["members"], form["observers"])
        try:
            outcome, _meeting = services.record_meeting(db.session, principal, task_id, raw)
        except ValidationFailed as exc:
            db.session.rollback()
            errors, status = field_errors(exc), 422
        except (Conflict, Forbidden):
            db.session.rollback()
            flash(_("Nothing was submitted: this step was done or the item changed meanwhile."),
                  "error")  # fmt: skip
            return redirect(url_for("workbench.item", item_id=page.task.item_id))
        else:
            db.session.commit()
            flash(_("Meeting recorded: %(node)s.", node=page.node.name), "success")
            return redirect(url_for("workbench.item", item_id=outcome.item_id))
    return render_template(
        "meetings/record.html",
        page=page,
        item=page.item,
        form=form,
        errors=errors,
        values=request.form,
        today=local_date().isoformat(),
        views=spec.VIEW_LABELS,
        decisions={d.key: d.label for d in page.node.decisions if d.key != "approve"},
        post_names=org.post_names(db.session, page.item["unit"]),
        unit_names=org.unit_names(db.session),
    ), status
