"""/api/v1 endpoints for process definitions and templates."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from riskctl.api import documents_errors
from riskctl.api.auth import current_principal, requires
from riskctl.core.access import Action
from riskctl.core.db import reads_only
from riskctl.core.errors import ValidationFailed
from riskctl.core.inputs import ID_MAX, InputProblem, Int, Line, load_json
from riskctl.extensions import db
from riskctl.org.schemas import CODE, POST_CODE, PageArgs, Strict, page_of
from riskctl.process import interchange, services
from riskctl.process.models import ProcessStatus

blp = Blueprint(
    "processes", __name__, url_prefix="/api/v1", description="Process definitions and templates"
)

DEFINITION_BODY = {
    "required": True,
    "description": "A process definition in the format of api.md, as YAML or JSON.",
    "content": {
        "application/yaml": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "object"}},
    },
}


class UnitArgs(Strict):
    unit = Line(
        load_default=None,
        validate=CODE,
        metadata={"description": "unit code (default: the caller's unit)"},
    )


class ProcessArgs(UnitArgs):
    version = Int(load_default=None, minimum=1, maximum=ID_MAX)


class ProcessListArgs(PageArgs, UnitArgs):
    status = Line(
        load_default="published",
        validate=validate.OneOf([s.value for s in ProcessStatus]),
    )


class ProcessOut(Strict):
    key = fields.String()
    unit = fields.Function(lambda r: r.unit.code)
    version = fields.Integer()
    status = fields.Enum(ProcessStatus, by_value=True)
    name = fields.String()
    category = fields.String()
    risk = fields.Integer()
    template = fields.String(allow_none=True)
    created_at = fields.DateTime()
    published_at = fields.DateTime(allow_none=True)
    definition = fields.Dict(attribute="body")
    source = fields.String(allow_none=True)


ProcessPage = page_of(ProcessOut, "ProcessPage")


class ProblemOut(Schema):
    path = fields.String()
    message = fields.String()


class ValidationOut(Schema):
    ok = fields.Boolean()
    problems = fields.List(fields.Nested(ProblemOut))


class TemplateOut(Strict):
    key = fields.String()
    name = fields.String()
    category = fields.String()
    description = fields.String()


class TemplateDetailOut(TemplateOut):
    source = fields.String(metadata={"description": "the template's YAML"})
    definition = fields.Dict(attribute="raw")


class AdoptIn(Strict):
    template = Line(required=True)
    unit = Line(load_default=None, validate=CODE)
    key = Line(load_default=None, metadata={"description": "the unit's process key"})
    name = Line(
        load_default=None, validate=validate.Length(min=1, max=200),
        metadata={"description": "the unit's process name (a second adoption of a template "
                                 "needs its own key and name)"},
    )  # fmt: skip
    posts = fields.Dict(
        keys=Line(),
        values=Line(validate=POST_CODE),
        load_default=None,
        metadata={"description": "template post → the unit's post"},
    )
    limits = fields.Dict(
        keys=Line(), values=Line(), load_default=None,
        metadata={"description": "node → time limit, e.g. {\"review\": \"3wd\"}"},
    )  # fmt: skip
    risks = fields.Dict(
        keys=Line(), values=Int(strict=True), load_default=None,
        metadata={"description": "node (or \"process\") → risk value 1–5"},
    )  # fmt: skip
    publish = fields.Boolean(load_default=True)


def _definition_from_request() -> tuple[Any, str | None]:
    """The body as a structure, and its text when it came as YAML."""
    text = request.get_data(as_text=True)
    if not text.strip():
        raise ValidationFailed.at("", _l("send the definition as YAML or JSON in the body"))
    if request.mimetype == "application/json":
        try:
            return load_json(text), None
        except InputProblem as exc:
            raise ValidationFailed.at(exc.path, exc.message) from None
    return services.read_text(text), text


@blp.route("/processes")
class Processes(MethodView):
    @requires(Action.VIEW_PROCESSES)
    @documents_errors(blp, 401, 403, 404)
    @blp.arguments(ProcessListArgs, location="query")
    @blp.response(200, ProcessPage)
    def get(self, args: dict[str, Any]) -> Any:
        """Process versions the caller may see (default: the published ones)."""
        page = services.list_definitions(db.session, current_principal(), **args)
        return page

    @requires(Action.MANAGE_PROCESSES)
    @documents_errors(blp, 401, 403, 404, 422)
    @blp.arguments(UnitArgs, location="query")
    @blp.doc(requestBody=DEFINITION_BODY)
    @blp.response(201, ProcessOut)
    def post(self, args: dict[str, Any]) -> Any:
        """Create (or replace) the unit's draft of a process; 422 lists every problem."""
        raw, source = _definition_from_request()
        row = services.save_draft(
            db.session, current_principal(), raw, unit=args["unit"], source=source
        )
        db.session.commit()
        return row


@blp.route("/processes/validate")
class ValidateProcess(MethodView):
    @reads_only
    @requires(Action.MANAGE_PROCESSES)
    @documents_errors(blp, 401, 403, 404)
    @blp.arguments(UnitArgs, location="query")
    @blp.doc(requestBody=DEFINITION_BODY)
    @blp.response(200, ValidationOut)
    def post(self, args: dict[str, Any]) -> Any:
        """Check a definition against the unit's posts without saving anything."""
        raw, _ = _definition_from_request()
        result = services.validate_only(db.session, current_principal(), raw, unit=args["unit"])
        return {"ok": result.ok, "problems": [p.as_dict() for p in result.problems]}


@blp.route("/processes/<key>")
class ProcessByKey(MethodView):
    @requires(Action.VIEW_PROCESSES)
    @documents_errors(blp, 401, 403, 404)
    @blp.arguments(ProcessArgs, location="query")
    @blp.response(200, ProcessOut)
    def get(self, args: dict[str, Any], key: str) -> Any:
        """A process: the published version, or `?version=`."""
        return services.get_definition(
            db.session, current_principal(), key, unit=args["unit"], version=args["version"]
        )


@blp.route("/processes/<key>/publish")
class PublishProcess(MethodView):
    @requires(Action.MANAGE_PROCESSES)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    @blp.arguments(UnitArgs, location="query")
    @blp.response(200, ProcessOut)
    def post(self, args: dict[str, Any], key: str) -> Any:
        """Publish the latest draft; the previously published version is retired."""
        row = services.publish(db.session, current_principal(), key, unit=args["unit"])
        db.session.commit()
        return row


@blp.route("/processes/adopt")
class AdoptTemplate(MethodView):
    @requires(Action.MANAGE_PROCESSES)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    @blp.arguments(AdoptIn)
    @blp.response(201, ProcessOut)
    def post(self, data: dict[str, Any]) -> Any:
        """A unit adopts a template, adjusting posts, time limits and risk values.  409
        (`already_adopted`) when the unit has a process from the template with this key
        or name: a second adoption needs its own key and name."""
        row = services.adopt(
            db.session,
            current_principal(),
            data["template"],
            unit=data["unit"],
            key=data["key"],
            name=data["name"],
            posts=data["posts"],
            limits=data["limits"],
            risks=data["risks"],
            publish_now=data["publish"],
        )
        db.session.commit()
        return row


@blp.route("/process-templates")
class Templates(MethodView):
    @requires(Action.VIEW_PROCESSES)
    @documents_errors(blp, 401, 403)
    @blp.response(200, TemplateOut(many=True))
    def get(self) -> Any:
        """The templates shipped with riskctl."""
        return list(services.templates())


@blp.route("/process-templates/<key>")
class TemplateByKey(MethodView):
    @requires(Action.VIEW_PROCESSES)
    @documents_errors(blp, 401, 403, 404)
    @blp.response(200, TemplateDetailOut)
    def get(self, key: str) -> Any:
        return services.template(key)


# ---------------------------------------------------------------- BPMN 2.0 (issue 22)

BPMN_BODY = {
    "required": True,
    "description": "A BPMN 2.0 file (XML): riskctl's own export, or drawn in Camunda "
                   "Modeler, bpmn.io or SpiffWorkflow.",
    "content": {"application/xml": {"schema": {"type": "string"}},
                "application/bpmn+xml": {"schema": {"type": "string"}}},
}  # fmt: skip


class BpmnImportArgs(UnitArgs):
    keep_problems = fields.Boolean(
        load_default=False,
        metadata={"description": "save the draft even when the definition has problems (it "
                                 "cannot be published until they are fixed); elements "
                                 "riskctl cannot run are refused regardless"},
    )  # fmt: skip
    template = Line(
        load_default=None,
        metadata={"description": "the shipped template this drawing started from"},
    )


class BpmnFindingOut(Schema):
    path = fields.String()
    element = fields.String(metadata={"description": "the BPMN element's id"})
    name = fields.String()
    message = fields.String()


class BpmnCheckOut(Schema):
    ok = fields.Boolean()
    problems = fields.List(
        fields.Nested(BpmnFindingOut),
        metadata={"description": "the definition's problems, each with the element it is about"},
    )
    refused = fields.List(
        fields.Nested(BpmnFindingOut),
        metadata={"description": "elements riskctl cannot run, each with what to do about it"},
    )
    notes = fields.List(
        fields.Nested(BpmnFindingOut),
        metadata={
            "description": "elements left out on purpose (notes, data objects, merging gateways)"
        },
    )
    conditions = fields.Dict(
        metadata={"description": "sequence flow id → its condition as riskctl reads it"}
    )
    keys = fields.Dict(metadata={"description": "element id → the node key it is saved as"})


class DraftOut(ProcessOut):
    problems = fields.List(fields.Nested(BpmnFindingOut))
    notes = fields.List(fields.Nested(BpmnFindingOut))


class _Saved:
    """The draft saved, with the problems it was saved with and the notes."""

    def __init__(self, row: Any, checked: interchange.Checked) -> None:
        self.row, self.problems, self.notes = row, checked.problems, checked.notes

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)


def _bpmn_from_request() -> bytes:
    data = request.get_data()
    if not data.strip():
        raise ValidationFailed.at("", _l("send the BPMN file (XML) in the body"))
    return data


def _bpmn_limit() -> int:
    return int(current_app.config["RISKCTL"].PROCESS_BPMN_MAX_BYTES)


def _xml(text: str, name: str) -> Response:
    response = Response(text, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.bpmn"'
    return response


@blp.route("/processes/<key>/bpmn")
class ProcessBpmn(MethodView):
    @requires(Action.VIEW_PROCESSES)
    @documents_errors(blp, 401, 403, 404)
    @blp.arguments(ProcessArgs, location="query")
    @blp.response(200, content_type="application/xml")
    def get(self, args: dict[str, Any], key: str) -> Any:
        """A process version as BPMN 2.0 XML with its diagram (BPMNDI); riskctl's own
        attributes in the namespace `urn:riskctl:bpmn:1`.  The published version, or
        `?version=`."""
        row, text = interchange.export_version(
            db.session, current_principal(), key, unit=args["unit"], version=args["version"]
        )
        return _xml(text, f"{row.key}-v{row.version}")


@blp.route("/process-templates/<key>/bpmn")
class TemplateBpmn(MethodView):
    @requires(Action.VIEW_PROCESSES)
    @documents_errors(blp, 401, 403, 404)
    @blp.response(200, content_type="application/xml")
    def get(self, key: str) -> Any:
        """A shipped template as BPMN 2.0 XML, laid out automatically."""
        return _xml(interchange.export_template(current_principal(), key), key)


@blp.route("/processes/import-bpmn")
class ImportBpmn(MethodView):
    @requires(Action.MANAGE_PROCESSES)
    @documents_errors(blp, 401, 403, 404, 413, 422)
    @blp.arguments(BpmnImportArgs, location="query")
    @blp.doc(requestBody=BPMN_BODY)
    @blp.response(201, DraftOut)
    def post(self, args: dict[str, Any]) -> Any:
        """Save a BPMN file as the unit's draft of its process (key: `riskctl:key`, else
        the process id), with its layout.  422 `bpmn_not_runnable` lists each element
        riskctl cannot run (timers, messages, scripts, inclusive gateways, sub-processes,
        repeated tasks …) with its id, name and what to do; 422 `invalid_definition` the
        definition's problems with their elements (unless `keep_problems`).  Not XML, a
        DTD or entities: 422; larger than the limit: 413."""
        row, checked = interchange.save_bpmn(
            db.session, current_principal(), _bpmn_from_request(), unit=args["unit"],
            max_bytes=_bpmn_limit(), keep_problems=args["keep_problems"],
            template=args["template"],
        )  # fmt: skip
        db.session.commit()
        return _Saved(row, checked)


@blp.route("/processes/validate-bpmn")
class ValidateBpmn(MethodView):
    @reads_only
    @requires(Action.MANAGE_PROCESSES)
    @documents_errors(blp, 401, 403, 404, 413, 422)
    @blp.arguments(UnitArgs, location="query")
    @blp.doc(requestBody=BPMN_BODY)
    @blp.response(200, BpmnCheckOut)
    def post(self, args: dict[str, Any]) -> Any:
        """Check a BPMN drawing against the unit's posts without saving anything: the
        designer calls it on every change and puts each problem on its element."""
        checked = interchange.check_bpmn(
            db.session, current_principal(), _bpmn_from_request(), unit=args["unit"],
            max_bytes=_bpmn_limit(),
        )  # fmt: skip
        return checked.as_dict()
