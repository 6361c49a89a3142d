"""REST API v1: the flask-smorest ``Api`` that serves ``/api/openapi.json`` and maps every
error, ours and the framework's, to the envelope of api.md::

    {"error": {"code": "snake_case", "message": "...", "details": [{"path": ..., "message": ...}]}}

flask-smorest was chosen because it keeps plain Flask blueprints (no app subclass),
derives the OpenAPI 3 document from the same marshmallow schemas that parse and validate
each request, and is maintained by the marshmallow-code organisation.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import flask_smorest
from flask import Flask, Response, current_app, jsonify, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from riskctl.api import guard
from riskctl.core.errors import DomainError, flatten_messages
from riskctl.core.inputs import ID_MAX

API_PREFIX = "/api/"

# HTTP status → stable code for errors the framework raises before our code runs.
_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
}


class ErrorDetailSchema(Schema):
    path = fields.String(metadata={"description": "where the problem is, e.g. `roles[1]`"})
    message = fields.String()
    row = fields.Integer(metadata={"description": "CSV line number (org import)"})
    file = fields.String(metadata={"description": "CSV part: units, posts or people"})
    rule = fields.String(metadata={"description": "the control rule that refused the action"})
    step = fields.Dict(metadata={"description": "the earlier step the rule pairs with"})


class ErrorBodySchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.List(fields.Nested(ErrorDetailSchema), required=True)


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def error_response(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "details": details or []}})
    response.status_code = status
    return response


def _webargs_messages(error: HTTPException) -> Any:
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    # webargs keys messages by location (json, query, files, form); our paths start
    # inside the body, so the location is dropped when there is a single one.
    if isinstance(messages, dict) and len(messages) == 1:
        messages = next(iter(messages.values()))
    return messages


def _webargs_details(messages: Any) -> list[dict[str, Any]]:
    """marshmallow's messages as api.md's details, in the caller's language
    (``flatten_messages`` translates marshmallow's own English: riskctl.core.schema_words)."""
    if not messages:
        return []
    return [{**d, "message": str(d["message"])} for d in flatten_messages(messages)]


def _framework_message(error: HTTPException, status: int) -> str:
    """An error werkzeug or Flask raised before our code ran, in the caller's language;
    a description given on purpose is kept."""
    if error.description != type(error).description:
        return str(error.description)
    words = {
        400: _l("the request is not valid"),
        401: _l("sign in, or send 'Authorization: Bearer <token>'"),
        403: _l("not allowed"),
        404: _l("nothing is at this address"),
        405: _l("this address does not take %(method)s", method=request.method),
        409: _l("this was changed meanwhile; reload and try again"),
        415: _l("this media type is not taken here"),
    }.get(status)
    return str(words) if words is not None else str(error.description or error.name)


class RiskctlApi(flask_smorest.Api):  # type: ignore[misc]
    ERROR_SCHEMA = ErrorSchema
    # flask-smorest handles every HTTPException app-wide; pages hand theirs to this.
    page_error_handler: Callable[[HTTPException], Any] = staticmethod(
        lambda error: error.get_response()
    )

    def init_app(self, app: Flask, *, spec_kwargs: dict[str, Any] | None = None) -> None:
        super().init_app(app, spec_kwargs=spec_kwargs)
        guard.install(app)
        # Path ids are documented with the bound the guard enforces.
        self.register_converter(IntegerConverter, _path_integer)

    def handle_http_exception(self, error: HTTPException) -> Any:
        if not is_api_request():
            return self.page_error_handler(error)
        status = error.code or 500
        messages = _webargs_messages(error)
        details = _webargs_details(messages)
        code = _HTTP_CODES.get(status, "error")
        message: Any
        if isinstance(error, CSRFError):
            code = "csrf_failed"
            message = _l("missing or wrong X-CSRFToken for a browser session")
        elif status == 400 and messages == ["Invalid JSON body."]:
            code, message = "malformed_json", _l("the request body is not valid JSON")
        elif status == 422:
            message = "; ".join(f"{d['path'] or 'body'}: {d['message']}" for d in details[:5])
            message = message or _l("the request is not valid")
        elif status == 429:
            message = _l("too many failed attempts; try again later")
        elif status == 413:
            limit = current_app.config.get("MAX_CONTENT_LENGTH")
            message = _l("the request body is larger than %(limit)s bytes", limit=limit)
        elif status >= 500:
            code, message = "internal_error", _l("internal error; it has been logged")
        else:
            message = _framework_message(error, status)
        response = error_response(status, code, str(message), details)
        for key, value in ((getattr(error, "data", None) or {}).get("headers") or {}).items():
            response.headers[key] = value
        if status == 405 and error.get_response().headers.get("Allow"):
            response.headers["Allow"] = error.get_response().headers["Allow"]
        return response


def _path_integer(converter: IntegerConverter) -> dict[str, Any]:
    return {"type": "integer", "minimum": 0, "maximum": ID_MAX}


def handle_domain_error(error: DomainError) -> Response:
    if error.keeps_writes:
        from riskctl.extensions import db

        db.session.commit()
    if not request.path.startswith("/api/"):
        from riskctl.web import render_domain_error

        return render_domain_error(error)  # type: ignore[no-any-return]
    return error_response(error.status, error.code, error.message, error.details)


api = RiskctlApi()


def documents_errors(blp: flask_smorest.Blueprint, *statuses: int) -> Callable[[Any], Any]:
    """Document the error responses an operation can give (envelope of api.md)."""

    def decorator(view: Any) -> Any:
        for status in statuses:
            view = blp.alt_response(status, response=HTTPStatus(status).name)(view)
        return view

    return decorator
