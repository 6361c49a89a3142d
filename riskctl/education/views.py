"""Pages of study (廉政教育): 我的学习, the reading page (PDF viewer, video player or
article, with the heartbeat), the quiz, 学习管理 (materials, question banks with the XLSX
import, tasks), 学习统计 with its chart and exports, and a person's study record."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
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
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as Redirect

from riskctl.core import calendar_store, exports
from riskctl.core.access import Action, can
from riskctl.core.clock import utcnow
from riskctl.core.db import switch_to_writing, writes
from riskctl.core.errors import Conflict, DomainError, ValidationFailed
from riskctl.core.formatting import local_time
from riskctl.core.inputs import InputProblem
from riskctl.core.inputs import day as parse_day
from riskctl.education import importer, library, services, spec, statistics, study
from riskctl.education.api import allow_material_upload, material_limit, pace
from riskctl.extensions import db
from riskctl.files.services import size_label, store_of
from riskctl.org import services as org
from riskctl.risk.rules import REGISTRY
from riskctl.web import field_errors, select_locale

bp = Blueprint("education_pages", __name__, url_prefix="/study")
bp.url_value_preprocessor(allow_material_upload)


@bp.before_request
@login_required  # type: ignore[untyped-decorator]
def _signed_in() -> None:
    """Every study page needs a signed-in person."""


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Redirect:
    flash(_("Not uploaded: the file is larger than %(limit)s.", limit=size_label(material_limit())),
          "error")  # fmt: skip
    return redirect(url_for("education_pages.new_material"))


def _need(action: Action) -> Any:
    principal = current_user.principal()
    if not can(principal, action):
        abort(403)
    return principal


def status_labels() -> dict[str, str]:
    return {
        "open": _("In progress"), "overdue": _("Overdue"), "completed": _("Completed"),
        "not_started": _("Not started yet"),
    }  # fmt: skip


# ---------------------------------------------------------------- one's own study


@bp.route("")
def my_study() -> str:
    principal = _need(Action.STUDY)
    items = study.my_assignments(db.session, principal, pace())
    return render_template("education/my.html", items=items, statuses=status_labels())


@bp.route("/assignments/<int:assignment_id>/materials/<int:material_id>")
def read(assignment_id: int, material_id: int) -> str:
    principal = _need(Action.STUDY)
    assignment, material = study.reading(db.session, principal, assignment_id, material_id, pace())
    return render_template(
        "education/read.html", assignment=assignment, material=material,
        article=spec.render_article(material["body"]) if material["body"] else None,
        heartbeat=pace().heartbeat_seconds, statuses=status_labels(),
    )  # fmt: skip


@bp.route("/library/<int:material_id>")
def preview(material_id: int) -> str:
    """A material of the library, read outside any task (nothing is credited)."""
    principal = _need(Action.STUDY)
    row = library.get_material(db.session, principal, material_id)
    material = {**library.material_view(row), "body": row.body}
    return render_template(
        "education/read.html", assignment=None, material=material,
        article=spec.render_article(row.body) if row.body else None, heartbeat=0,
        statuses=status_labels(),
    )  # fmt: skip


@bp.route("/assignments/<int:assignment_id>/quiz", methods=["GET", "POST"])
def quiz(assignment_id: int) -> str | Redirect:
    principal = _need(Action.STUDY)
    if request.method == "POST":
        try:
            attempt, _new = study.start_quiz(db.session, principal, assignment_id)
        except Conflict as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for("education_pages.quiz", assignment_id=assignment_id))
        db.session.commit()
        return redirect(url_for("education_pages.attempt", attempt_id=attempt["id"]))
    assignment = study.my_assignment(db.session, principal, assignment_id, pace())
    if assignment["quiz"] is None:
        abort(404)
    return render_template("education/quiz.html", assignment=assignment, statuses=status_labels())


def answers_from(form: Mapping[str, Any], questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The answers of the quiz form: ``q<id>`` holds the letters chosen."""
    found = []
    for q in questions:
        chosen = form.getlist(f"q{q['id']}") if hasattr(form, "getlist") else []
        if chosen:
            found.append({"question": q["id"], "choice": "".join(sorted(chosen))})
    return found


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
def attempt(attempt_id: int) -> tuple[str, int] | Redirect:
    principal = _need(Action.STUDY)
    shown, assignment, task = study.attempt_page(db.session, principal, attempt_id)
    status = 200
    if request.method == "POST":
        try:
            study.submit_answers(db.session, principal, attempt_id,
                                 answers_from(request.form, shown["questions"]))  # fmt: skip
        except Conflict:
            db.session.rollback()
            flash(_("This attempt was submitted already."), "error")
        except ValidationFailed as exc:
            db.session.rollback()
            flash("; ".join(m for ms in field_errors(exc).values() for m in ms), "error")
            status = 422
        else:
            db.session.commit()
        if status == 200:
            return redirect(url_for("education_pages.attempt", attempt_id=attempt_id))
    return render_template(
        "education/attempt.html", attempt=shown, assignment_id=assignment.id,
        title=task.title, kinds=question_kinds(),
    ), status  # fmt: skip


def question_kinds() -> dict[str, str]:
    return {"single": _("Single choice"), "multiple": _("Multiple choice"),
            "true_false": _("True or false")}  # fmt: skip


# ---------------------------------------------------------------- 学习管理


@bp.route("/manage")
def manage() -> str:
    principal = _need(Action.MANAGE_STUDY)
    tasks = services.list_tasks(db.session, principal, limit=200)
    materials = library.list_materials(db.session, principal, limit=200)
    return render_template(
        "education/manage.html", tasks=tasks.items, materials=materials.items,
        banks=library.list_banks(db.session, principal),
    )  # fmt: skip


@bp.route("/manage/materials/new", methods=["GET", "POST"])
def new_material() -> tuple[str, int] | Redirect:
    principal = _need(Action.MANAGE_STUDY)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        has_file = upload is not None and bool(upload.filename)
        raw = {k: request.form.get(k, "") for k in
               ("title", "category", "source", "expected_minutes", "tags", "body")}  # fmt: skip
        if has_file or not raw["body"].strip():
            raw["body"] = raw["body"] or None  # type: ignore[assignment]
        try:
            row = library.create_material(
                db.session, principal, store_of(current_app.config), raw,
                upload.stream if has_file and upload else None,
                upload.filename if has_file and upload else None, limit=material_limit(),
            )  # fmt: skip
        except DomainError as exc:
            db.session.rollback()
            errors, status = field_errors(exc), exc.status
        else:
            db.session.commit()
            flash(_("Material published: %(title)s.", title=row.title), "success")
            return redirect(url_for("education_pages.manage"))
    return render_template(
        "education/material_form.html", errors=errors, values=request.form,
        categories=library.CATEGORY_LABELS, limit=size_label(material_limit()),
    ), status  # fmt: skip


@bp.route("/manage/banks", methods=["POST"])
def new_bank() -> Redirect:
    principal = _need(Action.MANAGE_STUDY)
    try:
        bank = library.create_bank(db.session, principal, request.form.get("name", ""),
                                    request.form.get("description", ""))  # fmt: skip
    except DomainError as exc:
        db.session.rollback()
        flash(_("Not saved: %(why)s", why="; ".join(
            m for ms in field_errors(exc).values() for m in ms)), "error")  # fmt: skip
        return redirect(url_for("education_pages.manage"))
    db.session.commit()
    return redirect(url_for("education_pages.bank", bank_id=bank.id))


@bp.route("/manage/banks/template.xlsx")
def question_template() -> Response:
    _need(Action.MANAGE_STUDY)
    response = Response(importer.template_bytes(), content_type=exports.FORMATS["xlsx"])
    response.headers["Content-Disposition"] = 'attachment; filename="question-template.xlsx"'
    return response


@bp.route("/manage/banks/<int:bank_id>", methods=["GET", "POST"])
def bank(bank_id: int) -> tuple[str, int] | Redirect:
    principal = _need(Action.MANAGE_STUDY)
    found = library.get_bank(db.session, principal, bank_id)
    errors: dict[str, list[str]] = {}
    import_errors: list[dict[str, Any]] = []
    status = 200
    if request.method == "POST":
        try:
            if request.form.get("action") == "import":
                upload = request.files.get("file")
                if upload is None or not upload.filename:
                    raise ValidationFailed.at("file", _("choose a file first"))
                rows = importer.read_questions(upload.stream.read(), upload.filename)
                added = library.add_questions(db.session, principal, bank_id, rows, at="rows")
            else:
                kind = request.form.get("kind", "")
                options = [request.form.get(f"option_{x}", "").strip() for x in spec.LETTERS[:6]]
                while options and not options[-1]:
                    options.pop()
                added = library.add_questions(db.session, principal, bank_id, [{
                    "kind": kind, "text": request.form.get("text", ""), "options": options,
                    "answer": "".join(request.form.getlist("answer")),
                    "explanation": request.form.get("explanation", ""),
                }], at="question")  # fmt: skip
        except DomainError as exc:
            db.session.rollback()
            status = exc.status
            if request.form.get("action") == "import":
                import_errors = [{**d, "message": str(d["message"])} for d in exc.details]
            else:
                errors = {k.removeprefix("question[0]."): v for k, v in field_errors(exc).items()}
        else:
            db.session.commit()
            flash(_("%(n)d questions added.", n=len(added)), "success")
            return redirect(url_for("education_pages.bank", bank_id=bank_id))
        found = library.get_bank(db.session, principal, bank_id)
    return render_template(
        "education/bank.html", bank=library.bank_view(found), errors=errors,
        import_errors=import_errors, values=request.form, kinds=question_kinds(),
        letters=spec.LETTERS[:6],
    ), status  # fmt: skip


def task_from_form(form: Any) -> dict[str, Any]:
    """The API's task from the page's form."""

    def listed(name: str) -> list[str]:
        text = form.get(name, "")
        return [
            x.strip() for x in text.replace("，", ",").replace("、", ",").split(",") if x.strip()
        ]

    def number(name: str, default: int) -> Any:
        value = form.get(name, "").strip()
        return int(value) if value.isdigit() and len(value) < 6 else (value or default)

    raw: dict[str, Any] = {
        "title": form.get("title", ""), "description": form.get("description", ""),
        "start_on": form.get("start_on", "") or None, "due_on": form.get("due_on", "") or None,
        "audience": {"units": form.getlist("units"), "posts": form.getlist("posts"),
                     "key_posts": bool(form.get("key_posts")), "roles": form.getlist("roles"),
                     "people": listed("people")},
        "materials": [int(m) for m in form.getlist("materials") if m.isdigit() and len(m) < 10],
        "sms_digest": bool(form.get("sms_digest")),
    }  # fmt: skip
    if form.get("bank"):
        raw["quiz"] = {"bank": number("bank", 0), "questions": number("questions", 10),
                       "pass_mark": number("pass_mark", 60),
                       "attempts": number("attempts", 3)}  # fmt: skip
    if form.getlist("follow_rules"):
        raw["follows"] = {
            "rules": form.getlist("follow_rules"), "posts": form.getlist("follow_posts"),
            "working_days": number("follow_days", services.DEFAULT_FOLLOW_DAYS),
        }  # fmt: skip
    return raw


@bp.route("/manage/tasks/new", methods=["GET", "POST"])
def new_task() -> tuple[str, int] | Redirect:
    principal = _need(Action.MANAGE_STUDY)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        try:
            task = services.create_task(db.session, principal, task_from_form(request.form),
                                        publish=request.form.get("publish") == "1")  # fmt: skip
        except DomainError as exc:
            db.session.rollback()
            errors, status = field_errors(exc), exc.status
            if exc.status == 403:
                errors.setdefault("audience", []).append(exc.message)
        else:
            db.session.commit()
            flash(_("Study task saved: %(title)s.", title=task.title), "success")
            return redirect(url_for("education_pages.task", task_id=task.id))
    zh = select_locale() == "zh_CN"
    return render_template(
        "education/task_form.html", errors=errors, values=request.form,
        units=_managed_units(principal), posts=_post_choices(),
        materials=library.material_choices(db.session), banks=library.bank_choices(db.session),
        roles=_role_labels(), rules=sorted(((c, r.name if zh else r.name_en)
                                            for c, r in REGISTRY.items()), key=lambda x: x[1]),
        today=calendar_store.local_date().isoformat(), key_risk=spec.KEY_POST_RISK,
    ), status  # fmt: skip


def _managed_units(principal: Any) -> list[tuple[str, str]]:
    return services.unit_choices(db.session, principal, Action.MANAGE_STUDY)


def _post_choices() -> list[tuple[str, str, int]]:
    return services.post_choices(db.session)


def _role_labels() -> dict[str, str]:
    from riskctl.web import role_labels

    return role_labels()


@bp.route("/manage/tasks/<int:task_id>", methods=["GET", "POST"])
def task(task_id: int) -> str | Redirect:
    principal = _need(Action.VIEW_STUDY)
    if request.method == "POST":
        if not can(principal, Action.MANAGE_STUDY):
            abort(403)
        try:
            services.publish_task(db.session, principal, task_id)
        except DomainError as exc:
            db.session.rollback()
            flash(_("Not published: %(why)s", why="; ".join(
                m for ms in field_errors(exc).values() for m in ms)), "error")  # fmt: skip
        else:
            db.session.commit()
            flash(_("Published: the audience is assigned."), "success")
        return redirect(url_for("education_pages.task", task_id=task_id))
    view = services.task_view(db.session, principal, task_id)
    people = statistics.detail_rows(db.session, principal, task_id=task_id)
    return render_template(
        "education/task.html", task=view, people=people, statuses=status_labels(),
        may_manage=can(principal, Action.MANAGE_STUDY), unit_names=org.unit_names(db.session),
        rule_names=_rule_names(), post_names=dict((c, n) for c, n, _r in _post_choices()),
    )  # fmt: skip


def _rule_names() -> dict[str, str]:
    zh = select_locale() == "zh_CN"
    return {code: rule.name if zh else rule.name_en for code, rule in REGISTRY.items()}


# ---------------------------------------------------------------- statistics


class Filters:
    """The statistics' filters from the query string: a bad value is an error beside its
    field (422), never a silent "all"."""

    def __init__(self, args: Mapping[str, str], units: list[tuple[str, str]],
                 tasks: list[tuple[int, str]]) -> None:  # fmt: skip
        self.errors: dict[str, list[str]] = {}
        self.args = {k: v.strip() for k, v in args.items() if v.strip()}
        self.unit = self.args.get("unit")
        if self.unit is not None and self.unit not in [c for c, _n in units]:
            self.errors["unit"] = [_("not one of the choices")]
            self.unit = None
        self.task: int | None = None
        if "task" in self.args:
            raw = self.args["task"]
            if raw.isdigit() and int(raw) in [i for i, _t in tasks]:
                self.task = int(raw)
            else:
                self.errors["task"] = [_("not one of the choices")]
        self.first, self.last = self._day("from"), self._day("to")
        if self.first and self.last and self.last < self.first:
            self.errors["to"] = [_("the end of the period is before its start")]
            self.last = None

    def _day(self, name: str) -> date | None:
        if name not in self.args:
            return None
        try:
            return parse_day(self.args[name])
        except InputProblem:
            self.errors[name] = [_("must be a date like 2026-11-24")]
            return None

    def query(self) -> dict[str, Any]:
        return {"unit": self.unit, "task_id": self.task, "first": self.first, "last": self.last}


def _stat_units(principal: Any) -> list[tuple[str, str]]:
    return services.unit_choices(db.session, principal, Action.VIEW_STUDY)


@bp.route("/statistics")
def statistics_page() -> tuple[str, int]:
    principal = _need(Action.VIEW_STUDY)
    units, tasks = _stat_units(principal), services.task_choices(db.session, principal)
    filters = Filters(request.args, units, tasks)
    figures = statistics.stats(db.session, principal, **filters.query())
    chart = {
        "labels": [g["label"] for g in figures["by_unit"]],
        "completion": [round((g["completion_rate"] or 0) * 100, 1) for g in figures["by_unit"]],
        "pass": [round((g["pass_rate"] or 0) * 100, 1) if g["pass_rate"] is not None else None
                 for g in figures["by_unit"]],
        "overdue": [g["overdue"] for g in figures["by_unit"]],
    }  # fmt: skip
    return render_template(
        "education/statistics.html", figures=figures, filters=filters, units=units,
        tasks=tasks, chart=chart,
        export_args={k: v for k, v in filters.args.items() if k in ("unit", "task", "from", "to")},
    ), 422 if filters.errors else 200  # fmt: skip


@bp.route("/statistics/export.<fmt>")
@writes  # every export is on the audit chain
def export(fmt: str) -> Response:
    """One row per person and task, as the page names them; audited like the monitor's."""
    principal = _need(Action.VIEW_STUDY)
    exports.check_format(fmt)
    units, tasks = _stat_units(principal), services.task_choices(db.session, principal)
    filters = Filters(request.args, units, tasks)
    if filters.errors:
        abort(422)
    rows = statistics.detail_rows(db.session, principal, **filters.query())
    statuses = status_labels()
    headers = [_("Person"), _("Unit"), _("Post"), _("Study task"), _("Due"), _("Status"),
               _("Working days overdue"), _("Materials read"), _("Quiz"), _("Best score"),
               _("Completed at")]  # fmt: skip
    table = [
        [r["person_label"], r["unit_name"], r["post_name"], r["title"], r["due_on"].isoformat(),
         statuses.get(r["status"], r["status"]), r["working_days_overdue"] or None,
         f"{r['materials_read']}/{r['materials']}",
         (_("Passed") if r["is_passed"] else _("Not passed")) if r["has_quiz"] else _("No quiz"),
         r["best_score"], local_time(r["completed_at"]) if r["completed_at"] else None]
        for r in rows
    ]  # fmt: skip
    body = exports.table_file(fmt, headers, table)
    switch_to_writing(db.session)
    described = {**filters.args}
    exports.record_export(db.session, "study", fmt, described, len(table))
    db.session.commit()
    stamp = local_time(utcnow(), "%Y%m%d-%H%M")
    response = Response(body, content_type=exports.FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="study-{stamp}.{fmt}"'
    response.headers["X-Rows"] = str(len(table))
    return response


@bp.route("/people/<username>")
@writes  # a supervisor's read of a person's record is audited
def record(username: str) -> str:
    principal = _need(Action.STUDY)
    found = statistics.person_record(db.session, principal, username, pace())
    db.session.commit()
    return render_template("education/record.html", record=found, statuses=status_labels())
