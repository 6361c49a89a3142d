"""The administrators' pages (系统管理): units and posts, people with their post holdings
(the static incompatible-post check shown before saving), CSV import with every bad row,
process definitions (upload YAML with every problem at its path, adopt a template,
publish, compare versions), the risk policy with a preview of what it would raise, and
the working calendar's overrides.  Thin: forms are parsed here with the API's schemas,
the work is the services'."""

from __future__ import annotations

import difflib
import re
from datetime import date
from typing import Any

import yaml
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from riskctl.core import calendar_store, inputs
from riskctl.core.access import Action, Role, can
from riskctl.core.db import read_phase, writes
from riskctl.core.errors import DomainError, Refused, ValidationFailed, flatten_messages
from riskctl.extensions import db
from riskctl.org import importer
from riskctl.org import services as org
from riskctl.org.models import UnitKind, UnitLevel
from riskctl.org.schemas import PersonCreateIn, PersonIn, PostIn, UnitIn
from riskctl.process import services as processes
from riskctl.process.diagram import flowchart
from riskctl.process.models import ProcessDefinition, ProcessStatus
from riskctl.risk import services as risk
from riskctl.web import field_errors, form_line, int_arg, reader_message

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 30
POST_ROWS = 2  # blank post rows offered below a person's current holdings


@bp.before_request
@login_required  # type: ignore[untyped-decorator]
def _administrators_only() -> None:
    if not can(current_user.principal(), Action.MANAGE_ORG):
        abort(403)


def _problems(exc: ValidationError | DomainError) -> dict[str, list[str]]:
    if isinstance(exc, ValidationError):
        details = flatten_messages(exc.messages)
        return field_errors(ValidationFailed.listing(details))
    return field_errors(exc)


def _saved(message: str) -> None:
    db.session.commit()
    flash(message, "success")


# ---------------------------------------------------------------- units and posts


@bp.route("/units", methods=["GET", "POST"])
def units() -> Any:
    principal = current_user.principal()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            data = UnitIn().load({k: v for k, v in request.form.items() if k != "csrf_token" and v})
            unit, _new = org.save_unit(db.session, principal, data)
        except (ValidationError, DomainError) as exc:
            db.session.rollback()
            errors = _problems(exc)
        else:
            _saved(_("Unit %(name)s created.", name=unit.name))
            return redirect(url_for("admin.unit", code=unit.code))
    return render_template(
        "admin/units.html", units=org.units_overview(db.session, principal),
        kinds=[k.value for k in UnitKind], levels=[v.value for v in UnitLevel], errors=errors,
        form=request.form,
    ), 422 if errors else 200  # fmt: skip


@bp.route("/units/<code>", methods=["GET", "POST"])
def unit(code: str) -> Any:
    principal = current_user.principal()
    found = org.visible_unit(db.session, principal, code)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            raw: dict[str, Any] = {k: v for k, v in request.form.items() if k != "csrf_token" and v}
            # A checkbox says nothing when unticked: the form always says what the post is.
            raw["is_leading"] = "is_leading" in request.form
            data = PostIn().load(raw)
            post, new = org.save_post(db.session, principal, code, data, upsert=True)
        except (ValidationError, DomainError) as exc:
            db.session.rollback()
            errors = _problems(exc)
        else:
            _saved(_("Post %(name)s saved.", name=post.name) if not new
                   else _("Post %(name)s created.", name=post.name))  # fmt: skip
            return redirect(url_for("admin.unit", code=code))
    return _unit_page(found, errors=errors, form=request.form)


def _unit_page(
    found: Any,
    *,
    errors: dict[str, list[str]] | None = None,
    form: Any = None,
    pair_errors: dict[str, list[str]] | None = None,
    pair_form: Any = None,
    edited: tuple[str, ...] = (),
) -> Any:
    from riskctl.controls import services as controls

    posts = org.list_posts(db.session, current_user.principal(), found.code, limit=500).items
    names = {p.code: p.name for p in posts}
    return render_template(
        "admin/unit.html", unit=found, posts=sorted(posts, key=lambda p: p.code),
        pairs=controls.post_pairs(db.session, found.id), post_names=names,
        errors=errors or {}, form=form or {}, pair_errors=pair_errors or {},
        pair_form=pair_form or {}, edited=edited, pair_modes=PAIR_MODES,
    ), 422 if errors or pair_errors else 200  # fmt: skip


PAIR_MODES = ("block", "flag")  # "off" is retiring, a button of its own


@bp.route("/units/<code>/pairs", methods=["POST"])
def unit_pairs(code: str) -> Any:
    """Add an incompatible post pair to the unit, change one's mode, name and basis (a
    platform default changed becomes the unit's own), or retire one (mode ``off``: the
    row and its audit trail stay)."""
    from riskctl.controls import services as controls
    from riskctl.controls.api import PairIn

    principal = current_user.principal()
    found = org.visible_unit(db.session, principal, code)
    form = request.form
    action = form.get("action", "add")
    prefix = "" if action == "add" else "edit-"
    posts = [form.get("post_a", "").strip(), form.get("post_b", "").strip()]
    try:
        if action == "retire":
            row = controls.retire_post_pair(db.session, principal, code, posts)
            _saved(_("%(name)s retired: it no longer applies in this unit. Give it a mode "
                     "again to put it back.", name=row.name))  # fmt: skip
        else:
            choose_post = _l("Choose one of the unit's posts.")
            missing = [
                {"path": path, "message": message}
                for path, value, message in (
                    ("posts[0]", posts[0], choose_post),
                    ("posts[1]", posts[1], choose_post),
                    ("mode", form.get("mode") if form.get("mode") in PAIR_MODES else "",
                     _l("Choose refuse or flag.")),
                )
                if not value
            ]  # fmt: skip
            if missing:
                raise _Missing.listing(missing)
            data = PairIn().load({"posts": posts, "mode": form["mode"],
                                  "name": form.get("name", "").strip() or None,
                                  "basis": form.get("basis", "").strip()})  # fmt: skip
            row = controls.set_post_pair(db.session, principal, code, data)
            _saved(_("Incompatible posts %(name)s saved.", name=row.name))
    except (ValidationError, DomainError) as exc:
        db.session.rollback()
        return _unit_page(found, pair_errors=_pair_problems(exc, prefix), pair_form=form,
                          edited=tuple(sorted(posts)) if prefix else ())  # fmt: skip
    return redirect(url_for("admin.unit", code=code, _anchor="pairs"))


class _Missing(ValidationFailed):
    """The pair form's own problems: a field left empty."""


_PAIR_FIELDS = {"posts[0]": "post_a", "posts[1]": "post_b", "posts": "post_b", "mode": "mode",
                "name": "name", "basis": "basis"}  # fmt: skip


def _pair_problems(exc: ValidationError | DomainError, prefix: str) -> dict[str, list[str]]:
    """The pair service's and schema's problems beside the form's fields, in the reader's
    language (the page's own words for the service's refusals of the posts); on a row's
    form (``prefix`` "edit-") the posts are fixed, so their problems go to the row."""
    service = isinstance(exc, DomainError)
    if isinstance(exc, ValidationError):
        details = flatten_messages(exc.messages)
    else:
        details = exc.details or [{"path": "", "message": exc.message}]
    found: dict[str, list[str]] = {}
    for detail in details:
        path, text = detail.get("path") or "", str(detail.get("message", ""))
        field = _PAIR_FIELDS.get(path, "")
        if prefix and field in ("post_a", "post_b"):
            field = ""
        if getattr(exc, "code", "") == "unknown_pair":
            text = _("This pair does not apply in this unit.")
        elif getattr(exc, "code", "") == "pair_off":
            text = _("This pair is already off in this unit.")
        elif service and path in ("posts[0]", "posts[1]") and not isinstance(exc, _Missing):
            text = _("Not a post of this unit.")
        elif service and path == "posts":
            text = _("Choose two different posts.")
        found.setdefault(f"{prefix}{field}" if field or not prefix else "edit", []).append(text)
    return found


# ---------------------------------------------------------------- people


@bp.route("/people")
@writes  # every read of people is audited
def people() -> str:
    principal = current_user.principal()
    unit_code = request.args.get("unit") or None
    search = request.args.get("q", "").strip() or None
    page = org.list_people(db.session, principal, unit_code=unit_code, search=search,
                           limit=PAGE_SIZE, offset=int_arg("offset"))  # fmt: skip
    db.session.commit()  # the read is audited (personal data)
    return render_template(
        "admin/people.html", page=page, units=org.units_overview(db.session, principal),
        unit_code=unit_code, q=search or "", today=org.today(),
    )  # fmt: skip


def _person_form(form: Any) -> dict[str, Any]:
    """The person form as the API's person body: posts from the numbered rows."""
    posts = []
    for n in range(int(form.get("post_rows", "0") or 0)):
        code = form.get(f"posts-{n}-code", "").strip()
        if code:
            posts.append({"code": code, "valid_from": form.get(f"posts-{n}-from") or None,
                          "valid_to": form.get(f"posts-{n}-to") or None})  # fmt: skip
    return {
        "username": form.get("username", "").strip(), "name": form.get("name", "").strip(),
        "phone": form.get("phone", "").strip(), "unit": form.get("unit") or None,
        "roles": form.getlist("roles"), "risk": form.get("risk") or 3,
        "posts": posts, "scope": form.getlist("scope") if "inspector" in form.getlist("roles")
        else [], "is_active": form.get("is_active") == "on",
        "password": form.get("password") or None,
    }  # fmt: skip


@bp.route("/people/new", methods=["GET", "POST"], defaults={"username": None})
@bp.route("/people/<username>", methods=["GET", "POST"])
@writes  # every read of people is audited
def person(username: str | None) -> Any:
    principal = current_user.principal()
    existing = org.visible_person(db.session, principal, username) if username else None
    units = org.units_overview(db.session, principal)
    errors: dict[str, list[str]] = {}
    conflicts: list[dict[str, str]] | None = None
    if request.method == "POST":
        body = _person_form(request.form)
        if existing is not None:
            body["username"] = existing.username
        if body["unit"]:
            conflicts = org.check_posts(db.session, principal, body["unit"],
                                        [p["code"] for p in body["posts"]])  # fmt: skip
        if request.form.get("action") != "check":
            schema = PersonIn() if existing is not None else PersonCreateIn()
            try:
                data = schema.load({k: v for k, v in body.items() if v is not None or k == "unit"})
                saved, _new = org.save_person(db.session, principal, data,
                                              upsert=existing is not None)  # fmt: skip
            except Refused as exc:
                db.session.commit()  # the refused attempt is a control hit: evidence
                errors = _problems(exc)
            except (ValidationError, DomainError) as exc:
                db.session.rollback()
                errors = _problems(exc)
            else:
                _saved(_("%(name)s saved.", name=saved.name))
                return redirect(url_for("admin.person", username=saved.username))
        values = body
    elif existing is not None:
        today = org.today()
        values = {
            "username": existing.username, "name": existing.name, "phone": existing.phone,
            "unit": existing.unit.code if existing.unit else None,
            "roles": [r.value for r in existing.roles], "risk": existing.risk,
            "scope": [u["unit"].code for u in units if u["unit"].id in existing.scope_unit_ids],
            "is_active": existing.is_active,
            "posts": [{"code": a.post.code, "valid_from": a.valid_from, "valid_to": a.valid_to}
                      for a in existing.assignments if a.valid_to is None or a.valid_to >= today],
        }  # fmt: skip
    else:
        values = {"roles": ["staff"], "risk": 3, "is_active": True, "posts": [],
                  "unit": request.args.get("unit")}  # fmt: skip
    if request.method == "GET":
        db.session.commit()  # reading a person's record is audited (personal data)
    unit_posts = {
        u["unit"].code: [(p.code, p.name) for p in sorted(u["unit"].posts, key=lambda p: p.code)]
        for u in units
    }
    return render_template(
        "admin/person.html", existing=existing, values=values, errors=errors,
        conflicts=conflicts, units=units, unit_posts=unit_posts,
        rows=len(values.get("posts") or []) + POST_ROWS, roles=[r.value for r in Role],
    ), 422 if errors else 200  # fmt: skip


@bp.route("/import", methods=["GET", "POST"])
def import_org() -> Any:
    principal = current_user.principal()
    result = None
    rejected: list[dict[str, Any]] = []
    if request.method == "POST":
        files = {
            part: upload.read()
            for part in importer.PARTS
            if (upload := request.files.get(part)) is not None and upload.filename
        }
        try:
            result = importer.import_org(db.session, principal, files,
                                         partial=request.form.get("partial") == "on")  # fmt: skip
        except ValidationFailed as exc:
            db.session.rollback()
            rejected = exc.details
            flash(_("Nothing was imported: %(n)d problem(s), listed below.", n=len(rejected)),
                  "error")  # fmt: skip
        else:
            db.session.commit()
            rejected = result.errors
            flash(_("Imported: %(created)d created, %(updated)d updated.",
                    created=result.created, updated=result.updated), "success")  # fmt: skip
    return render_template(
        "admin/import.html", result=result, rejected=rejected, parts=importer.PARTS
    ), 422 if rejected and result is None else 200


# ---------------------------------------------------------------- processes


@bp.route("/processes")
def processes_list() -> Any:
    principal = current_user.principal()
    units = org.units_overview(db.session, principal)
    unit_code = request.values.get("unit") or (units[0]["unit"].code if units else None)
    page = processes.list_definitions(db.session, principal, unit=unit_code, status=None,
                                      limit=500)  # fmt: skip
    by_key: dict[str, list[ProcessDefinition]] = {}
    for row in sorted(page.items, key=lambda r: (r.key, -r.version)):
        by_key.setdefault(row.key, []).append(row)
    return render_template(
        "admin/processes.html", units=units, unit_code=unit_code, by_key=by_key,
        templates=processes.templates(),
    )  # fmt: skip


@bp.route("/processes/adopt", methods=["GET", "POST"])
def adopt_process() -> Any:
    """A unit adopts a template: each template post given one of the unit's posts (the
    same code by default), each task's time limit and risk value, the process's key and
    name.  A second adoption of a template needs its own key and name (409 otherwise)."""
    principal = current_user.principal()
    unit_code = request.values.get("unit", "")
    found = org.visible_unit(db.session, principal, unit_code)
    try:
        chosen = processes.template(request.values.get("template", ""))
    except DomainError:
        abort(404)
    parts = processes.template_parts(chosen)
    unit_posts = sorted(((p.code, p.name) for p in org.list_posts(
        db.session, principal, found.code, limit=500).items), key=lambda p: p[0])  # fmt: skip
    codes = {code for code, _name in unit_posts}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = request.form
        values = {k: v.strip() for k, v in form.items()}
        change, errors = _adoption_change(values, parts)
        if not errors:
            try:
                row = processes.adopt(
                    db.session, principal, chosen.key, unit=found.code,
                    publish_now=form.get("publish") == "on", **change,
                )  # fmt: skip
            except processes.AlreadyAdopted as exc:
                db.session.rollback()
                errors = _already_adopted(exc)
            except DomainError as exc:
                db.session.rollback()
                errors = _adoption_problems(exc, chosen)
            else:
                _saved(_("%(name)s v%(version)d adopted.", name=row.name, version=row.version))
                return redirect(url_for("admin.processes_list", unit=found.code))
    else:
        values = {"key": chosen.key, "name": chosen.name, "publish": "on",
                  "risk-process": str(parts.risk)}  # fmt: skip
        values |= {f"post-{p}": p if p in codes else "" for p, _used in parts.posts}
        values |= {f"limit-{t.key}": t.limit or "" for t in parts.tasks}
        values |= {f"risk-{t.key}": str(t.risk or "") for t in parts.tasks}
    return render_template(
        "admin/process_adopt.html", unit=found, template=chosen, parts=parts,
        unit_posts=unit_posts, values=values, errors=errors,
    ), (409 if "adopted" in errors else 422) if errors else 200  # fmt: skip


def _adoption_change(
    values: dict[str, str], parts: processes.TemplateParts
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The adopt form as ``adopt``'s changes: only what differs from the template."""
    errors: dict[str, list[str]] = {}
    posts: dict[str, str] = {}
    limits: dict[str, str] = {}
    risks: dict[str, int] = {}
    for post, _used in parts.posts:
        mapped = values.get(f"post-{post}", "")
        if not mapped:
            errors[f"post-{post}"] = [_("Choose one of the unit's posts.")]
        elif mapped != post:
            posts[post] = mapped
    for task in parts.tasks:
        limit = values.get(f"limit-{task.key}", "")
        if task.limit and not limit:
            errors[f"limit-{task.key}"] = [_limit_help()]
        elif limit and limit != task.limit:
            limits[task.key] = limit
    for node, given in [("process", parts.risk), *((t.key, t.risk) for t in parts.tasks)]:
        text = values.get(f"risk-{node}", "")
        if not text and given is None:
            continue
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 5:
            errors[f"risk-{node}"] = [_("must be between 1 and 5")]
        elif int(text) != given:
            risks[node] = int(text)
    change = {"key": values.get("key") or None, "name": values.get("name") or None,
              "posts": posts, "limits": limits, "risks": risks}  # fmt: skip
    return change, errors


def _limit_help() -> str:
    return str(_("Write a time limit such as 3wd (working days), 20d (calendar days) or 48h "
                 "(hours)."))  # fmt: skip


def _already_adopted(exc: processes.AlreadyAdopted) -> dict[str, list[str]]:
    said = _("This unit already adopted the template as %(key)s (%(name)s): adopting it again "
             "would make a second identical process. To run a second one on purpose, give it "
             "a different process key and a different name, e.g. 政府采购（分散采购） beside "
             "政府采购.", key=exc.existing_key, name=exc.existing_name)  # fmt: skip
    return {
        "adopted": [str(said)],
        "key": [str(_("%(key)s is the key of the adoption in place.", key=exc.existing_key))],
        "name": [str(_("%(name)s is the name of the adoption in place.",
                       name=exc.existing_name))],
    }  # fmt: skip


def _adoption_problems(exc: DomainError, chosen: processes.Template) -> dict[str, list[str]]:
    """``adopt``'s problems beside the adopt form's fields, in the reader's language:
    ``posts.x`` → ``post-x``, ``limits.x`` → ``limit-x``, ``risks.x`` → ``risk-x``, a
    node's post the definition refused → that template post's select; the rest above."""
    nodes = chosen.raw.get("nodes", [])
    found: dict[str, list[str]] = {}
    for detail in exc.details or [{"path": "", "message": exc.message}]:
        path, message = detail.get("path") or "", str(detail.get("message", ""))
        head, _dot, rest = path.partition(".")
        field, text = "", reader_message(message)
        if path == "key":
            field, text = "key", _("Use a lowercase letter, then up to 39 lowercase letters, "
                                   "digits, '_' or '-'.")  # fmt: skip
        elif path == "name":
            field, text = "name", _("Give a name of 1 to %(n)d characters.", n=processes.MAX_NAME)
        elif head == "posts":
            field, text = f"post-{rest}", _("The template has no such post.")
        elif head == "limits":  # the service's words: no such task, not a time limit …
            field = f"limit-{rest}"
        elif head == "risks":
            field, text = f"risk-{rest}", _("must be between 1 and 5")
        elif (post := re.fullmatch(r"nodes\[(\d+)\]\.post", path)) is not None:
            index = int(post.group(1))
            if index < len(nodes) and nodes[index].get("post"):
                field, text = f"post-{nodes[index]['post']}", _("Not a post of this unit.")
        said = found.setdefault(field, [])
        if str(text) not in said:  # a post used by several steps: said once
            said.append(str(text))
    return found


@bp.route("/processes/upload", methods=["GET", "POST"])
def upload_process() -> Any:
    principal = current_user.principal()
    units = org.units_overview(db.session, principal)
    unit_code = request.values.get("unit") or None
    text = request.form.get("text", "")
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        text = upload.read().decode("utf-8", errors="replace")
    problems: list[dict[str, Any]] | None = None
    if request.method == "POST":
        try:
            raw = processes.read_text(text)
            if request.form.get("action") == "save":
                row = processes.save_draft(db.session, principal, raw, unit=unit_code,
                                           source=text)  # fmt: skip
                _saved(_("Draft %(key)s v%(version)d saved; publish it when ready.",
                         key=row.key, version=row.version))  # fmt: skip
                return redirect(url_for("admin.processes_list", unit=unit_code))
            checked = processes.validate_only(db.session, principal, raw, unit=unit_code)
            problems = processes.problems_as_details(checked.problems)
        except DomainError as exc:
            db.session.rollback()
            problems = exc.details or [{"path": "", "message": exc.message}]
    return render_template(
        "admin/process_upload.html", units=units, unit_code=unit_code, text=text,
        problems=problems,
    ), 422 if problems else 200  # fmt: skip


@bp.route("/processes/<unit_code>/<key>/v<int:version>")
def process(unit_code: str, key: str, version: int) -> str:
    principal = current_user.principal()
    row = processes.get_definition(db.session, principal, key, unit=unit_code, version=version)
    problems: list[dict[str, str]] = []
    if row.status is ProcessStatus.DRAFT:  # a draft from the designer may have problems
        checked = processes.check(db.session, row.unit_id, row.body)
        problems = processes.problems_as_details(checked.problems)
    definition = processes.compiled(row) if not problems else None
    others = processes.list_definitions(db.session, principal, unit=unit_code, status=None,
                                        limit=500).items  # fmt: skip
    return render_template(
        "admin/process.html", row=row, unit_code=unit_code, text=_source(row),
        diagram=flowchart(definition, posts=org.post_names(db.session, unit_code))
        if definition is not None else None, definition=definition, problems=problems,
        versions=sorted((r.version for r in others if r.key == key), reverse=True),
    )  # fmt: skip


def _source(row: ProcessDefinition) -> str:
    return row.source or yaml.safe_dump(row.body, allow_unicode=True, sort_keys=False)


@bp.route("/processes/<unit_code>/<key>/publish", methods=["POST"])
def publish_process(unit_code: str, key: str) -> Response:
    try:
        row = processes.publish(db.session, current_user.principal(), key, unit=unit_code)
    except DomainError as exc:
        db.session.rollback()
        why = "; ".join(f"{d.get('path') or ''} {d['message']}" for d in exc.details[:5])
        flash(_("Not published: %(why)s", why=why or exc.message), "error")
    else:
        _saved(_("%(name)s v%(version)d published; running items keep their version.",
                 name=row.name, version=row.version))  # fmt: skip
    return redirect(url_for("admin.processes_list", unit=unit_code))


@bp.route("/processes/<unit_code>/<key>/compare")
def compare_processes(unit_code: str, key: str) -> str:
    principal = current_user.principal()
    a, b = (int_arg(n, 1, minimum=1, maximum=inputs.ID_MAX) for n in ("a", "b"))
    old = processes.get_definition(db.session, principal, key, unit=unit_code, version=a)
    new = processes.get_definition(db.session, principal, key, unit=unit_code, version=b)
    table = difflib.HtmlDiff(wrapcolumn=70).make_table(
        _source(old).splitlines(), _source(new).splitlines(), f"v{a}", f"v{b}",
        context=True, numlines=3,
    )  # fmt: skip
    return render_template("admin/process_compare.html", old=old, new=new, table=table,
                           unit_code=unit_code, same=_source(old) == _source(new))  # fmt: skip


# ---------------------------------------------------------------- risk policy


def _policy_change(form: Any, current: dict[str, Any]) -> dict[str, Any]:
    """The sections the form changes, as the API's policy body; numbers stay text when
    they are not numbers, so that the policy's own checks name the field."""

    def number(text: str) -> Any:
        try:
            return float(text) if "." in text else int(text)
        except ValueError:
            return text

    change: dict[str, Any] = {
        "factors": {k: number(form.get(f"factor-{k}", "")) for k in current["factors"]},
        "thresholds": {k: number(form.get(f"threshold-{k}", "")) for k in current["thresholds"]},
        "rules": {},
    }
    if form.get("labels-shown"):  # the labels fieldset was on the page that posted
        change["labels"] = {
            lv: {lang: form.get(f"label-{lv}-{lang}", "").strip() for lang in ("zh", "en")}
            for lv in ("red", "orange", "yellow")
        }
        change["labels"]["orange"]["used"] = form.get("orange-used") == "on"
    for code in current["rules"]:
        params_text = form.get(f"params-{code}", "").strip()
        try:
            params = inputs.load_yaml(params_text) if params_text else []
        except inputs.InputProblem:
            params = params_text  # not a list: the policy check says so at its path
        change["rules"][code] = {
            "enabled": form.get(f"enabled-{code}") == "on",
            "freeze_on_red": form.get(f"freeze-{code}") == "on",
            "params": params if params is not None else [],
        }
    return change


@bp.route("/policy", methods=["GET", "POST"])
def policy() -> Any:
    principal = current_user.principal()
    current = risk.policy_view(db.session, principal)
    errors: dict[str, list[str]] = {}
    preview = baseline = None
    form: Any = None
    if request.method == "POST":
        form = request.form
        change = _policy_change(form, current)
        try:
            if form.get("action") == "save":
                saved = risk.save_policy(db.session, principal, change,
                                         form.get("comment") or None)  # fmt: skip
                _saved(_("Policy version %(v)d saved; the next scan uses it.", v=saved.version))
                return redirect(url_for("admin.policy"))
            with read_phase(db.session):  # minutes at scale: no write lock held
                preview = risk.preview(db.session, principal, policy=change)
                baseline = risk.preview(db.session, principal)
        except DomainError as exc:
            db.session.rollback()
            errors = _problems(exc)
    return render_template(
        "admin/policy.html", current=current, form=form, errors=errors, preview=preview,
        baseline=baseline, yaml_dump=lambda v: yaml.safe_dump(v, allow_unicode=True)
        if v else "",
    ), 422 if errors else 200  # fmt: skip


# ---------------------------------------------------------------- risk values


@bp.route("/risk-values", methods=["GET", "POST"])
def risk_values() -> Any:
    """风险值 on the four levels of one unit, in one form; only changed values are saved."""
    principal = current_user.principal()
    units = org.units_overview(db.session, principal)
    unit_code = request.values.get("unit") or (units[0]["unit"].code if units else "")
    current = risk.risk_values(db.session, principal, unit_code)
    if request.method == "POST":
        changed = 0
        try:
            for target, keys, value in _risk_value_rows(current):
                chosen = request.form.get(_risk_field(target, keys))
                # isascii: str.isdigit also takes "²", which int() refuses.
                if chosen and chosen.isascii() and chosen.isdigit() and int(chosen) != value:
                    risk.set_risk_value(db.session, principal, unit=unit_code, target=target,
                                        risk=int(chosen), **keys)  # fmt: skip
                    changed += 1
        except DomainError as exc:
            db.session.rollback()
            flash(_("Not saved: %(why)s", why=exc.message), "error")
        else:
            _saved(_("%(n)d risk value(s) changed; the next scan scores with them.", n=changed))
            return redirect(url_for("admin.risk_values", unit=unit_code))
    return render_template(
        "admin/risk_values.html", units=units, unit_code=unit_code, values=current,
        field=_risk_field,
    )  # fmt: skip


def _risk_field(target: str, keys: dict[str, str]) -> str:
    return ":".join([target, *keys.values()])


def _risk_value_rows(current: dict[str, Any]) -> list[tuple[str, dict[str, str], int]]:
    rows: list[tuple[str, dict[str, str], int]] = []
    for p in current["processes"]:
        rows.append(("process", {"process": p["process"]}, p["risk"]))
        rows += [("node", {"process": p["process"], "node": n["node"]}, n["risk"])
                 for n in p["nodes"]]  # fmt: skip
    rows += [("post", {"post": p["post"]}, p["risk"]) for p in current["posts"]]
    rows += [("person", {"person": p["person"]}, p["risk"]) for p in current["people"]]
    return rows


# ---------------------------------------------------------------- calendar


@bp.route("/calendar", methods=["GET", "POST"])
def calendar() -> Any:
    principal = current_user.principal()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            if request.form.get("action") == "remove":
                day = inputs.day(request.form.get("day", ""))
                calendar_store.remove_override(db.session, principal, day)
                _saved(_("Override of %(day)s removed.", day=day.isoformat()))
            else:
                try:
                    day = inputs.day(request.form.get("day", ""))
                except inputs.InputProblem as exc:
                    raise ValidationFailed.at("day", exc.message) from None
                calendar_store.set_override(
                    db.session, principal, day, is_working=request.form.get("is_working") == "1",
                    reason=form_line("reason"),
                )  # fmt: skip
                _saved(_("Override of %(day)s saved.", day=day.isoformat()))
            return redirect(url_for("admin.calendar"))
        except (DomainError, ValueError) as exc:
            db.session.rollback()
            errors = _problems(exc) if isinstance(exc, DomainError) else {"day": [str(exc)]}
    year = int_arg("year", org.today().year, minimum=inputs.FIRST_DAY.year,
                   maximum=inputs.LAST_DAY.year)  # fmt: skip
    overrides = calendar_store.list_overrides(db.session, start=date(year, 1, 1),
                                              end=date(year, 12, 31))  # fmt: skip
    working = calendar_store.working_calendar(db.session)
    return render_template(
        "admin/calendar.html", overrides=overrides, year=year, errors=errors,
        form=request.form, months=_months(year, working),
        provisional=working.is_provisional(year),
    ), 422 if errors else 200  # fmt: skip


def _months(year: int, working: Any) -> list[tuple[int, list[list[tuple[date, bool] | None]]]]:
    """The year as month grids (weeks of Monday … Sunday) of (day, is working day)."""
    import calendar as stdlib_calendar

    grid = stdlib_calendar.Calendar(firstweekday=0)
    return [
        (month, [[(d, working.is_working_day(d)) if d.month == month else None for d in week]
                 for week in grid.monthdatescalendar(year, month)])
        for month in range(1, 13)
    ]  # fmt: skip


# The process designer's pages live in a module of their own, on this blueprint.
from riskctl.admin import designer as _designer  # noqa: E402,F401
