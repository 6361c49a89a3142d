"""The process designer (系统管理 → 业务流程 → 设计): draw and adapt a process in the
browser with bpmn-js, our attributes in a side panel of pickers, the validator's problems
on the elements while drawing; import a BPMN file; compare a draft with the published
version on the diagram.  Thin: the page's script talks to the API (validate-bpmn,
import-bpmn, publish), these views only say what to load and the words to use."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from riskctl.admin.views import bp
from riskctl.core import formatting, inputs
from riskctl.core.errors import DomainError, ValidationFailed
from riskctl.extensions import db
from riskctl.org import services as org
from riskctl.process import interchange
from riskctl.process import services as processes
from riskctl.process.definition import DECISION_LABELS
from riskctl.process.fields import FIELD_TYPES
from riskctl.web import int_arg


def _posts(unit_code: str) -> list[list[str]]:
    posts = org.list_posts(db.session, current_user.principal(), unit_code, limit=500).items
    return sorted(([p.code, p.name] for p in posts), key=lambda p: p[0])


@bp.route("/processes/<unit_code>/design")
def design_process(unit_code: str) -> Any:
    """The designer, on the unit's process ``?key=`` (its draft, else its published
    version) or on a shipped ``?template=``."""
    principal = current_user.principal()
    found = processes.managed_unit(db.session, principal, unit_code)
    key, template = request.args.get("key"), request.args.get("template")
    draft = published = None
    if template:
        try:
            chosen = processes.template(template)
        except DomainError:
            abort(404)
        source = url_for("processes.TemplateBpmn", key=chosen.key)
        title, key = chosen.name, chosen.key
        # A unit that adopted it before: saving makes the next version of that process.
        draft, published = interchange.latest_versions(db.session, principal, key,
                                                       unit=found.code)  # fmt: skip
    elif key:
        draft, published = interchange.latest_versions(db.session, principal, key,
                                                       unit=found.code)  # fmt: skip
        row = draft or published
        if row is None:
            abort(404)
        template = row.template
        source = url_for("processes.ProcessBpmn", key=row.key, unit=found.code,
                         version=row.version)  # fmt: skip
        title = row.name
    else:
        abort(404)
    config = {
        "unit": found.code,
        "template": template,
        "source": source,
        "validate": url_for("processes.ValidateBpmn", unit=found.code),
        "save": url_for(
            "processes.ImportBpmn", unit=found.code, keep_problems="true", template=template or None
        ),
        "publish": url_for("processes.PublishProcess", key="__key__", unit=found.code),
        "back": url_for("admin.processes_list", unit=found.code),
        "compare": url_for("admin.compare_design", unit_code=found.code, key="__key__"),
        "published": published.version if published is not None else None,
        "has_draft": draft is not None,
        "key": key,
        "posts": _posts(found.code),
        "decisions": DECISION_LABELS,
        "categories": [[k, str(v)] for k, v in formatting.CATEGORIES.items()],
        "field_types": [[t, _field_type(t)] for t in FIELD_TYPES],
        "words": _words(),
        "modeler_words": _modeler_words(),
    }
    return render_template("admin/process_design.html", unit=found, title=title,
                           config=config, draft=draft, published=published)  # fmt: skip


@bp.route("/processes/<unit_code>/<key>/diff")
def compare_design(unit_code: str, key: str) -> Any:
    """Two versions' diagrams side by side, what changed coloured on each (default: the
    published version and the draft)."""
    principal = current_user.principal()
    found = org.visible_unit(db.session, principal, unit_code)
    draft, published = interchange.latest_versions(db.session, principal, key,
                                                   unit=found.code)  # fmt: skip
    a = int_arg("a", published.version if published else 0, minimum=0, maximum=inputs.ID_MAX)
    b = int_arg("b", draft.version if draft else 0, minimum=0, maximum=inputs.ID_MAX)
    if not a or not b:
        flash(_("There is nothing to compare yet: a draft and a published version are needed."),
              "error")  # fmt: skip
        return redirect(url_for("admin.processes_list", unit=found.code))
    old, new, changes = interchange.differences(db.session, principal, key, unit=found.code,
                                                old=a, new=b)  # fmt: skip
    config = {
        "old": url_for("processes.ProcessBpmn", key=key, unit=found.code, version=a),
        "new": url_for("processes.ProcessBpmn", key=key, unit=found.code, version=b),
        "changes": changes.as_dict(),
        "modeler_words": _modeler_words(),
    }
    return render_template("admin/process_diff.html", unit=found, old=old, new=new,
                           changes=changes, config=config)  # fmt: skip


@bp.route("/processes/import-bpmn", methods=["GET", "POST"])
def import_bpmn() -> Any:
    """A BPMN file from another tool (or riskctl) as the unit's draft, problems and all;
    what cannot run is listed, element by element, and nothing is saved."""
    principal = current_user.principal()
    units = org.units_overview(db.session, principal)
    unit_code = request.values.get("unit") or (units[0]["unit"].code if units else "")
    refused: list[dict[str, str]] = []
    if request.method == "POST":
        upload = request.files.get("file")
        data = upload.read() if upload is not None and upload.filename else b""
        try:
            if not data:
                raise ValidationFailed.at("file", _("Choose a BPMN file."))
            row, checked = interchange.save_bpmn(
                db.session, principal, data, unit=unit_code, keep_problems=True,
                max_bytes=_bpmn_limit(),
            )  # fmt: skip
        except DomainError as exc:
            db.session.rollback()
            refused = exc.details or [{"path": "", "message": exc.message}]
        else:
            db.session.commit()
            said = _("Draft %(key)s v%(version)d saved from the BPMN file.", key=row.key,
                     version=row.version)  # fmt: skip
            if checked.problems:
                said += " " + _("It has %(n)d problem(s), shown on the diagram: fix them "
                                "before publishing.", n=len(checked.problems))  # fmt: skip
            flash(said, "success")
            return redirect(url_for("admin.design_process", unit_code=unit_code, key=row.key))
    return render_template(
        "admin/process_import.html", units=units, unit_code=unit_code, refused=refused,
    ), 422 if refused else 200  # fmt: skip


def _bpmn_limit() -> int:
    return int(current_app.config["RISKCTL"].PROCESS_BPMN_MAX_BYTES)


def _field_type(kind: str) -> str:
    names: dict[str, str] = {
        "text": _("Text"), "money": _("Amount (yuan)"), "int": _("Whole number"),
        "date": _("Date"), "choice": _("Choice"), "bool": _("Yes/no"),
        "reference": _("Another item"),
    }  # fmt: skip
    return names.get(kind, kind)


def _words() -> dict[str, str]:
    """The designer's own words, for its script."""
    return {
        "process": _("Process"), "name": _("Name"), "key": _("Code"),
        "category": _("Category"), "risk": _("Risk value"), "description": _("Description"),
        "coi": _("Conflicts of interest"), "coi_block": _("refuse"), "coi_flag": _("flag"),
        "coi_off": _("do not check"), "fields": _("Form fields"), "field_label": _("Label"),
        "field_type": _("Type"), "required": _("Required"), "choices": _("Choices (one a line)"),
        "counterparty": _("Counterparty (checked against declared interests)"),
        "reference": _("Process of the item referred to (its code)"),
        "add_field": _("Add a field"), "remove": _("Remove"),
        "task": _("Task"), "meeting": _("Meeting"), "start": _("Start"), "end": _("End"),
        "exclusive": _("Exclusive gateway"), "parallel": _("Parallel gateway"),
        "flow": _("Way"), "pair": _("Incompatible pair"),
        "post": _("Post"), "choose_post": _("Choose a post"), "starter_post": _("Post that starts"),
        "anyone": _("anyone of the unit"),
        "limit": _("Time limit"), "no_limit": _("no time limit"),
        "wd": _("working days"), "d": _("calendar days"), "h": _("hours"),
        "watch": _("Risk node (the discipline team leader is told when an item enters it)"),
        "edits": _("Fields filled in at this step"), "decisions": _("Decisions"),
        "custom_decision": _("Other decision (code and label)"), "add": _("Add"),
        "members": _("Members (posts expected at the meeting)"), "chair": _("Chair"),
        "observer": _("Observer (attends, does not vote)"), "none": _("none"),
        "quorum": _("Quorum"), "quorum_half": _("more than half of the members present"),
        "quorum_two_thirds": _("two thirds of the members present"),
        "result": _("Ends as"), "completed": _("completed"), "rejected": _("rejected"),
        "condition": _("Condition"), "always": _("always (the only way on)"),
        "default": _("otherwise (the default way)"), "by_decision": _("by the decision taken"),
        "by_fields": _("by the fields"), "all": _("all of these hold"),
        "any": _("any of these holds"), "add_test": _("Add a test"),
        "field": _("Field"), "value": _("Value"), "yes": _("yes"), "no": _("no"),
        "pair_with": _("Incompatible with another task…"),
        "pick_second": _("Now click the other task of the pair (Esc cancels)."),
        "not_a_task": _("Pick a task or a meeting."),
        "mode": _("Mode"), "mode_block": _("refuse (the second is not allowed)"),
        "mode_flag": _("flag (allowed, raises a warning)"),
        "pair_name": _("Name of the pair"), "basis": _("Basis (law and article, or unit rule)"),
        "delete_pair": _("Delete the pair"), "show_pairs": _("Show incompatible pairs"),
        "save": _("Save draft"), "publish": _("Publish"), "compare": _("Compare with published"),
        "download": _("Download BPMN"), "back": _("Back to the processes"),
        "checking": _("Checking…"), "no_problem": _("No problem: ready to publish."),
        "problems": _("%(n)s problem(s): publishing waits until they are fixed."),
        "saved": _("Draft v%(v)s saved."), "saved_problems": _("Draft v%(v)s saved with problems."),
        "published": _("Published as v%(v)s; running items keep their version."),
        "not_saved": _("Not saved"), "not_published": _("Not published"),
        "unsaved": _("Changes not saved yet."), "save_first": _("Save the draft first."),
        "refused": _("Cannot be run"), "note": _("Note"), "process_level": _("The process"),
        "loading_failed": _("The diagram could not be loaded."),
        "op_eq": "=", "op_ne": "≠", "op_gt": ">", "op_ge": "≥", "op_lt": "<", "op_le": "≤",
        "op_in": _("one of"), "op_not_in": _("none of"),
        "risk_node": _("risk"), "pair_link": _("incompatible"),
        "otherwise": _("otherwise"),
    }  # fmt: skip


def _modeler_words() -> dict[str, str]:
    """bpmn-js's own English words (context pad, menus, editing) in the reader's language."""
    return {
        "Activate the hand tool": _("Move the canvas"),
        "Activate hand tool": _("Move the canvas"),
        "Activate the lasso tool": _("Select several elements"),
        "Activate lasso tool": _("Select several elements"),
        "Activate the create/remove space tool": _("Make or remove space"),
        "Activate create/remove space tool": _("Make or remove space"),
        "Activate the global connect tool": _("Connect two elements"),
        "Activate global connect tool": _("Connect two elements"),
        "Append end event": _("Append an end"), "Append EndEvent": _("Append an end"),
        "Append gateway": _("Append a gateway"), "Append Gateway": _("Append a gateway"),
        "Append task": _("Append a task"), "Append Task": _("Append a task"),
        "Change type": _("Change the kind"), "Change element": _("Change the kind"),
        "Delete": _("Delete"), "Remove": _("Delete"),
        "Connect using sequence flow": _("Connect to the next step"),
        "Connect to other element": _("Connect to the next step"),
        "Connect using association": _("Connect"),
        "Connect using Sequence/MessageFlow or Association": _("Connect to the next step"),
        "Start event": _("Start"), "End event": _("End"), "Task": _("Task"),
        "User task": _("Task"), "Exclusive gateway": _("Exclusive gateway"),
        "Parallel gateway": _("Parallel gateway"), "Search in diagram": _("Search"),
        "Search": _("Search"), "No matching entries found.": _("Nothing found."),
        "Gateways": _("Gateways"), "Tasks": _("Tasks"), "Events": _("Events"),
    }  # fmt: skip
