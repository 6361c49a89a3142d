"""/api/v1 endpoints for process definitions and templates."""

from __future__ import annotations

from typing import Any

from flask import request
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
from riskctl.process import services
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
