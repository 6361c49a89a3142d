"""/api/v1 endpoints for attachments: list and upload an item's files, read one, download
its content (checked against its SHA-256), withdraw it."""

from __future__ import annotations

import base64
from typing import Any

from flask import Response, current_app, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import RequestEntityTooLarge

from riskctl.api import documents_errors, error_response
from riskctl.api.auth import current_principal, requires
from riskctl.attachments import services
from riskctl.core.access import Action
from riskctl.core.db import reads_only, writes
from riskctl.core.errors import ValidationFailed
from riskctl.core.inputs import Id, Text
from riskctl.extensions import db
from riskctl.org.schemas import Strict

blp = Blueprint(
    "attachments", __name__, url_prefix="/api/v1", description="Attachments: files of evidence"
)
# The multipart envelope (boundaries, part headers, the other fields) on top of the file.
ENVELOPE_BYTES = 64 * 1024


def upload_limit() -> int:
    return int(current_app.config["RISKCTL_ATTACHMENT_MAX_BYTES"])


def allow_upload_size(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Before anything reads the body (CSRF, the input guard): an upload may be as large
    as the attachment limit, not only as the platform's usual request limit."""
    if request.method == "POST" and (endpoint or "").endswith(("ItemAttachments", ".upload")):
        request.max_content_length = max(
            upload_limit() + ENVELOPE_BYTES, current_app.config.get("MAX_CONTENT_LENGTH") or 0
        )


blp.url_value_preprocessor(allow_upload_size)


@blp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Response:
    limit = services.size_label(upload_limit())
    return error_response(413, "file_too_large", f"文件超过 {limit} 的上限，未上传")


class UploadIn(Schema):
    file = Upload(required=True, metadata={"description": "the file (PDF, JPEG, PNG, OFD, "
                                                          "DOCX, XLSX or plain text)"})  # fmt: skip


class UploadWhere(Strict):
    task = Id(load_default=None, metadata={"description": "an open task of yours on the item"})
    step = Id(load_default=None, metadata={"description": "a step of the item you did"})


class WithdrawIn(Strict):
    reason = Text(required=True, validate=validate.Length(min=1, max=services.MAX_REASON))


class AttachmentOut(Schema):
    id = fields.Integer()
    item_id = fields.Integer()
    task_id = fields.Integer(allow_none=True)
    step_id = fields.Integer(allow_none=True)
    node = fields.String(allow_none=True)
    node_name = fields.String(allow_none=True)
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_by = fields.String()
    uploaded_by_name = fields.String()
    uploaded_at = fields.DateTime()
    is_withdrawn = fields.Boolean()
    withdrawn_reason = fields.String(allow_none=True)
    withdrawn_by = fields.String(allow_none=True)
    withdrawn_at = fields.DateTime(allow_none=True)
    file_status = fields.String(
        allow_none=True, metadata={"description": "ok | missing | altered (file hashed again)"}
    )


class AttachmentList(Schema):
    items = fields.List(fields.Nested(AttachmentOut))


@blp.route("/items/<int:item_id>/attachments")
class ItemAttachments(MethodView):
    @requires(Action.VIEW_ITEMS)
    @documents_errors(blp, 401, 403, 404)
    @blp.response(200, AttachmentList)
    def get(self, item_id: int) -> Any:
        """The files attached to an item, oldest first, each hashed again (`file_status`)."""
        store = services.store_of(current_app.config)
        return {
            "items": services.attachments_of_item(db.session, current_principal(), item_id, store)
        }

    @reads_only  # until the file is received: no write lock held during the upload
    @requires(Action.VIEW_ITEMS)
    @documents_errors(blp, 401, 403, 404, 409, 413, 422)
    @blp.arguments(UploadWhere, location="query")
    @blp.arguments(UploadIn, location="files")
    @blp.response(201, AttachmentOut)
    def post(self, where: dict[str, Any], files: dict[str, Any], item_id: int) -> Any:
        """Attach a file (multipart, part `file`) to an item, or to one of its open tasks
        (`?task=`) or steps (`?step=`).

        The item's starter or a holder of one of its open tasks only (403).  The type is
        judged by the content and must agree with the extension (422); larger than the
        limit: 413.  The file is stored once per SHA-256; the record is audited."""
        upload = files.get("file")
        if upload is None:
            raise ValidationFailed.at("file", "请选择要上传的文件")
        principal = current_principal()
        row = services.attach(
            db.session, principal, services.store_of(current_app.config), item_id,
            upload.stream, upload.filename, limit=upload_limit(), task_id=where["task"],
            step_id=where["step"],
        )  # fmt: skip
        db.session.commit()
        return services.attachment_view(db.session, principal, row.id)


@blp.route("/attachments/<int:attachment_id>")
class AttachmentById(MethodView):
    @requires(Action.VIEW_ITEMS)
    @documents_errors(blp, 401, 403, 404)
    @blp.response(200, AttachmentOut)
    def get(self, attachment_id: int) -> Any:
        """One attachment: its name, type, size and SHA-256, and whether the stored file
        still has that SHA-256 (`file_status`)."""
        store = services.store_of(current_app.config)
        return services.attachment_view(db.session, current_principal(), attachment_id, store)


@blp.route("/attachments/<int:attachment_id>/content")
class AttachmentContent(MethodView):
    @writes  # every download is audited
    @requires(Action.VIEW_ITEMS)
    @documents_errors(blp, 401, 403, 404, 409, 410)
    @blp.response(200, content_type="application/octet-stream")
    def get(self, attachment_id: int) -> Any:
        """The file, as an attachment (never shown inline), once its bytes were checked
        against the SHA-256 recorded at upload: 410 `file_missing`, 409 `file_altered`
        (both recorded on the audit chain).  A withdrawn file: its uploader and the
        unit's supervisors only (403)."""
        store = services.store_of(current_app.config)
        row, file = services.open_content(db.session, current_principal(), store, attachment_id)
        db.session.commit()
        response = send_file(
            file, mimetype=row.content_type, as_attachment=True, download_name=row.filename,
            conditional=False, etag=row.sha256, max_age=0,
        )  # fmt: skip
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["Digest"] = f"sha-256={_b64(row.sha256)}"
        return response


def _b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


@blp.route("/attachments/<int:attachment_id>/withdraw")
class AttachmentWithdraw(MethodView):
    @requires(Action.VIEW_ITEMS)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    @blp.arguments(WithdrawIn)
    @blp.response(200, AttachmentOut)
    def post(self, data: dict[str, Any], attachment_id: int) -> Any:
        """撤回: mark a wrong file withdrawn, with the reason (the uploader only).  Nothing
        is deleted; the file stays readable to its uploader and the unit's supervisors."""
        principal = current_principal()
        services.withdraw(db.session, principal, attachment_id, data["reason"])
        db.session.commit()
        return services.attachment_view(db.session, principal, attachment_id)
