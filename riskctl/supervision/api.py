"""/api/v1 endpoints for talks (``/talks``), the supervision ledger (``/ledger``) and the
statistics of dispositions followed through (``/stats/follow-ups``)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request, send_file
from flask.views import MethodView
from flask_babel import gettext
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import RequestEntityTooLarge

from riskctl.api import documents_errors, error_response
from riskctl.api.auth import authenticated, current_principal, requires
from riskctl.core.access import Action
from riskctl.core.db import writes
from riskctl.core.inputs import Day, Id, Int, Line, Moment, Text
from riskctl.extensions import db
from riskctl.files.services import size_label, store_of
from riskctl.org.schemas import CODE, EmptyIn, PageArgs, Strict, page_of
from riskctl.supervision import ledger, statistics, talks
from riskctl.supervision.models import FindingSource, FindingStatus, TalkKind, TalkStatus

blp = Blueprint(
    "supervision", __name__, url_prefix="/api/v1",
    description="Talks (谈话) and the supervision ledger (督查工作台账)",
)  # fmt: skip
ENVELOPE_BYTES = 64 * 1024  # the multipart envelope on top of the file
FILE_KINDS = "PDF, JPEG, PNG or OFD"


def file_limit() -> int:
    return int(current_app.config["RISKCTL"].SUPERVISION_FILE_MAX_BYTES)


def _allow_upload_size(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Before anything reads the body: a file may be as large as its limit."""
    uploads = ("TalkFiles", "FindingFiles", ".talk_record", ".talk_scan", ".finding_act")
    if request.method == "POST" and (endpoint or "").endswith(uploads):
        request.max_content_length = max(
            file_limit() + ENVELOPE_BYTES, current_app.config.get("MAX_CONTENT_LENGTH") or 0
        )


blp.url_value_preprocessor(_allow_upload_size)


@blp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Response:
    message = gettext(
        "the file is larger than the limit of %(limit)s; nothing was uploaded",
        limit=size_label(file_limit()),
    )
    return error_response(413, "file_too_large", message)


# ---------------------------------------------------------------- shapes


class SubjectOut(Schema):
    person = fields.String(metadata={"description": "username"})
    label = fields.String(metadata={"description": "name, unit and posts"})
    confirmed_at = fields.DateTime(allow_none=True, metadata={"description": "确认"})


class FileOut(Schema):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    update_id = fields.Integer(allow_none=True)
    uploaded_by = fields.String()
    uploaded_by_label = fields.String()
    uploaded_at = fields.DateTime()


class TalkOut(Schema):
    id = fields.Integer()
    kind = fields.String(
        metadata={"description": "collective 集体廉政谈话 · pre_appointment 任前廉政谈话 · "
                  "reminder_talk 谈话提醒 · letter_inquiry 约谈函询 · admonishment 诫勉谈话"}
    )  # fmt: skip
    status = fields.String(metadata={"description": "planned · held · cancelled"})
    unit = fields.String()
    unit_name = fields.String()
    talker = fields.String(metadata={"description": "username of who talks"})
    talker_label = fields.String()
    subjects = fields.List(fields.Nested(SubjectOut))
    due_on = fields.Date(metadata={"description": "held by this day at the latest"})
    place = fields.String(allow_none=True)
    topic = fields.String()
    plan_id = fields.Integer(allow_none=True, metadata={"description": "its annual plan"})
    post_name = fields.String(allow_none=True, metadata={"description": "任前: the post taken"})
    risk_event_id = fields.Integer(
        allow_none=True, metadata={"description": "the warning whose disposition ordered it"}
    )
    disposition = fields.String(allow_none=True)
    disposed_by = fields.String(allow_none=True)
    disposed_by_label = fields.String(allow_none=True)
    held_on = fields.Date(allow_none=True)
    record = fields.String(allow_none=True, metadata={"description": "谈话记录"})
    follow_up_on = fields.Date(allow_none=True, metadata={"description": "回访"})
    recorded_by = fields.String(allow_none=True)
    recorded_at = fields.DateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    created_by = fields.String(allow_none=True, metadata={"description": "null: the platform"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    outcome = fields.String(
        metadata={"description": "held (by its day) · late (held late or still not held past "
                  "it) · open (not due yet) · cancelled"}
    )  # fmt: skip
    working_days_late = fields.Integer()
    files = fields.List(fields.Nested(FileOut), metadata={"description": "the record's scans"})


TalkPage = page_of(TalkOut, "TalkPage")


class TalkArgs(PageArgs):
    unit = Line(load_default=None, validate=CODE)
    kind = Line(load_default=None, validate=validate.OneOf([k.value for k in TalkKind]))
    status = Line(load_default=None, validate=validate.OneOf([s.value for s in TalkStatus]))
    mine = fields.Boolean(load_default=False, metadata={"description": "those I take part in"})
    overdue = fields.Boolean(load_default=False, metadata={"description": "planned, past due"})


class TalkIn(Strict):
    kind = Line(required=True, validate=validate.OneOf([k.value for k in TalkKind]))
    unit = Line(required=True, validate=CODE)
    talker = Line(
        required=True,
        metadata={
            "description": "username: an inspector of the "
            "unit's scope, its discipline team leader or head"
        },
    )
    subjects = fields.List(Line(), required=True, metadata={"description": "usernames"})
    due_on = Day(required=True, metadata={"description": "not in the past"})
    topic = Line(required=True)
    place = Line(load_default=None, allow_none=True)


class RecordIn(Strict):
    held_on = Day(required=True)
    record = Text(required=True, metadata={"description": "谈话记录"})
    follow_up_on = Day(load_default=None, allow_none=True, metadata={"description": "回访"})


class ReasonIn(Strict):
    reason = Text(required=True, validate=validate.Length(min=1, max=talks.MAX_REASON))


class ScanUploadIn(Schema):
    file = Upload(required=True, metadata={"description": f"the file ({FILE_KINDS})"})


class SessionIn(Strict):
    due_on = Day(required=True)
    topic = Line(required=True)
    talker = Line(required=True, metadata={"description": "username"})
    place = Line(load_default=None, allow_none=True)


class PlanIn(Strict):
    unit = Line(required=True, validate=CODE)
    year = Int(required=True, minimum=2000, maximum=2099)
    sessions = fields.List(fields.Nested(SessionIn), required=True)
    subjects = fields.List(
        Line(), load_default=None, allow_none=True,
        metadata={"description": "usernames; default: every active person of the unit"},
    )  # fmt: skip
    note = Text(load_default=None, allow_none=True)


class PlanArgs(Strict):
    unit = Line(load_default=None, validate=CODE)
    year = Int(load_default=None, minimum=2000, maximum=2099)


class PlanOut(Schema):
    id = fields.Integer()
    unit = fields.String()
    unit_name = fields.String()
    year = fields.Integer()
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()
    talks = fields.List(fields.Nested(TalkOut))


class PlanList(Schema):
    items = fields.List(fields.Nested(PlanOut))


class UpdateOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "progress · submitted · returned · verified"})
    text = fields.String()
    at = fields.DateTime()
    author = fields.String()
    author_label = fields.String()


class FindingOut(Schema):
    id = fields.Integer()
    unit = fields.String(metadata={"description": "责任单位"})
    unit_name = fields.String()
    source = fields.String(
        metadata={"description": "patrol 巡察 · inspection 督查 · audit 审计 · special_check "
                  "专项检查 · risk_warning 风险预警"}
    )  # fmt: skip
    description = fields.String(metadata={"description": "问题"})
    measures = fields.String(metadata={"description": "整改措施"})
    responsible = fields.String(allow_none=True, metadata={"description": "责任人 (username)"})
    responsible_label = fields.String(allow_none=True)
    deadline = fields.Date(metadata={"description": "整改时限"})
    status = fields.String(metadata={"description": "rectifying · submitted · verified (销号)"})
    risk_event_id = fields.Integer(allow_none=True)
    disposition = fields.String(allow_none=True)
    disposed_by = fields.String(allow_none=True)
    disposed_by_label = fields.String(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    returns = fields.Integer(metadata={"description": "退回 so far"})
    verified_by = fields.String(allow_none=True)
    verified_by_label = fields.String(allow_none=True)
    verified_at = fields.DateTime(allow_none=True)
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    latest_progress = fields.String(allow_none=True)
    latest_progress_at = fields.DateTime(allow_none=True)
    outcome = fields.String(
        metadata={"description": "held (verified by its deadline) · late · open"}
    )
    working_days_late = fields.Integer()
    updates = fields.List(fields.Nested(UpdateOut), metadata={"description": "one finding only"})
    files = fields.List(fields.Nested(FileOut), metadata={"description": "one finding only"})


FindingPage = page_of(FindingOut, "FindingPage")


class FindingArgs(PageArgs):
    unit = Line(load_default=None, validate=CODE)
    status = Line(load_default=None, validate=validate.OneOf([s.value for s in FindingStatus]))
    source = Line(load_default=None, validate=validate.OneOf([s.value for s in FindingSource]))
    overdue = fields.Boolean(load_default=False, metadata={"description": "past the deadline"})
    mine = fields.Boolean(load_default=False, metadata={"description": "I am responsible"})


class FindingIn(Strict):
    unit = Line(load_default=None, validate=CODE,
                metadata={"description": "责任单位; default: the warning's unit"})  # fmt: skip
    source = Line(
        load_default="inspection", validate=validate.OneOf([s.value for s in FindingSource]),
        metadata={"description": "risk_warning when a warning is given"},
    )  # fmt: skip
    description = Text(
        load_default=None, allow_none=True,
        metadata={"description": "问题; default with a warning: it in words"},
    )  # fmt: skip
    measures = Text(load_default=None, allow_none=True)
    responsible = Line(load_default=None, allow_none=True, metadata={"description": "username"})
    deadline = Day(required=True, metadata={"description": "not in the past"})
    risk_event = Id(load_default=None, metadata={"description": "转台账: the warning's id"})


class ProgressIn(Strict):
    text = Text(required=True)
    measures = Text(load_default=None, allow_none=True,
                    metadata={"description": "replaces the rectification measures"})  # fmt: skip


class SubmitIn(Strict):
    text = Text(load_default=None, allow_none=True)


class VerifyIn(Strict):
    note = Text(load_default=None, allow_none=True)


class ReturnIn(Strict):
    reason = Text(required=True, validate=validate.Length(min=1, max=talks.MAX_REASON))
    deadline = Day(load_default=None, allow_none=True, metadata={"description": "a new deadline"})


class EvidenceArgs(Strict):
    update = Id(load_default=None, metadata={"description": "a progress update of the finding"})


class FollowUpStatsArgs(Strict):
    start = Moment(
        data_key="from", load_default=None,
        metadata={"description": "disposed at or after; default: 30 days before to"},
    )  # fmt: skip
    end = Moment(data_key="to", load_default=None, metadata={"description": "default: now"})
    unit = Line(load_default=None, validate=CODE)


class FollowUpRowOut(Schema):
    key = fields.String(metadata={"description": "a disposition's code, or a form (first, none)"})
    label = fields.String()
    label_en = fields.String()
    form = fields.String(metadata={"description": "by disposition: the form it counts in"})
    count = fields.Integer()
    held = fields.Integer(metadata={"description": "done by the due day"})
    late = fields.Integer(metadata={"description": "done late, or not done past the due day"})
    open = fields.Integer(metadata={"description": "not done, not due yet"})
    cancelled = fields.Integer(metadata={"description": "talks cancelled (not counted)"})


class FollowUpStatsOut(Schema):
    start = fields.DateTime(data_key="from")
    end = fields.DateTime(data_key="to")
    total = fields.Integer()
    by_form = fields.List(fields.Nested(FollowUpRowOut))
    by_disposition = fields.List(fields.Nested(FollowUpRowOut))


# ---------------------------------------------------------------- talks


def _talk(talk_id: int) -> dict[str, Any]:
    found = talks.visible_talk(db.session, current_principal(), talk_id)
    return talks.talk_views(db.session, [found])[0]


@blp.route("/talks")
class Talks(MethodView):
    @authenticated
    @documents_errors(blp, 401, 422)
    @blp.arguments(TalkArgs, location="query")
    @blp.response(200, TalkPage)
    def get(self, args: dict[str, Any]) -> Any:
        """The talks the caller may see, the latest due first: those they take part in,
        and the unit's (discipline team leader), the scope's (inspectors), all (admins)."""
        page = talks.list_talks(db.session, current_principal(), **args)
        return {"items": talks.talk_views(db.session, page.items), "total": page.total,
                "limit": page.limit, "offset": page.offset}  # fmt: skip

    @requires(Action.MANAGE_TALKS)
    @documents_errors(blp, 401, 403, 422)
    @blp.arguments(TalkIn)
    @blp.response(201, TalkOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Plan a talk (the unit's discipline team leader, the inspectors of its scope).
        403 for a unit out of reach; 422 names every wrong field (a due day in the past,
        a talker who may not talk to the unit, a subject of another unit)."""
        talk = talks.plan_talk(db.session, current_principal(), **data)
        db.session.commit()
        return _talk(talk.id)


@blp.route("/talks/<int:talk_id>")
class TalkById(MethodView):
    @authenticated
    @documents_errors(blp, 401, 404)
    @blp.response(200, TalkOut)
    def get(self, talk_id: int) -> Any:
        return _talk(talk_id)


@blp.route("/talks/<int:talk_id>/record")
class RecordTalk(MethodView):
    @authenticated
    @documents_errors(blp, 401, 403, 404, 409, 422)
    @blp.arguments(RecordIn)
    @blp.response(200, TalkOut)
    def post(self, data: dict[str, Any], talk_id: int) -> Any:
        """The talk was held: its day and record (the talker, or who plans the unit's
        talks).  409 when it is not planned any more."""
        talks.record_talk(db.session, current_principal(), talk_id, **data)
        db.session.commit()
        return _talk(talk_id)


@blp.route("/talks/<int:talk_id>/files")
class TalkFiles(MethodView):
    @authenticated
    @documents_errors(blp, 401, 403, 404, 409, 413, 422)
    @blp.arguments(ScanUploadIn, location="files")
    @blp.response(201, FileOut)
    def post(self, files: dict[str, Any], talk_id: int) -> Any:
        """A scan of the talk's record (multipart, part `file`): PDF, JPEG, PNG or OFD,
        judged by its content (422 otherwise), at most the configured size (413).  The
        row with the SHA-256 is on the audit chain."""
        upload = files.get("file")
        row = talks.add_scan(
            db.session, current_principal(), store_of(current_app.config), talk_id,
            upload.stream if upload else None, upload.filename if upload else None,  # type: ignore[arg-type]
            limit=file_limit(),
        )  # fmt: skip
        db.session.commit()
        return next(f for f in _talk(talk_id)["files"] if f["id"] == row.id)


@blp.route("/talks/<int:talk_id>/files/<int:file_id>")
class TalkFile(MethodView):
    @writes  # the download is audited
    @authenticated
    @documents_errors(blp, 401, 404, 409, 410)
    @blp.response(200, description="the file's content")
    def get(self, talk_id: int, file_id: int) -> Any:
        """A scan of a talk the caller may see, checked against its SHA-256 (410 gone,
        409 altered); every download is on the audit chain."""
        principal = current_principal()
        talks.visible_talk(db.session, principal, talk_id)
        return _download(talks.open_file(db.session, principal, store_of(current_app.config),
                                         "talk", talk_id, file_id))  # fmt: skip


def _download(found: Any) -> Any:
    row, file = found
    db.session.commit()
    return send_file(file, mimetype=row.content_type, as_attachment=True,
                     download_name=row.filename)  # fmt: skip


@blp.route("/talks/<int:talk_id>/confirm")
class ConfirmTalk(MethodView):
    @authenticated
    @documents_errors(blp, 401, 403, 404, 409)
    @blp.arguments(EmptyIn)
    @blp.response(200, TalkOut)
    def post(self, _data: dict[str, Any], talk_id: int) -> Any:
        """确认: a person talked to confirms the record, signed in as themselves (403 for
        anyone else; 409 before it is recorded or when confirmed already)."""
        talks.confirm_talk(db.session, current_principal(), talk_id)
        db.session.commit()
        return _talk(talk_id)


@blp.route("/talks/<int:talk_id>/cancel")
class CancelTalk(MethodView):
    @authenticated
    @documents_errors(blp, 401, 403, 404, 409, 422)
    @blp.arguments(ReasonIn)
    @blp.response(200, TalkOut)
    def post(self, data: dict[str, Any], talk_id: int) -> Any:
        talks.cancel_talk(db.session, current_principal(), talk_id, data["reason"])
        db.session.commit()
        return _talk(talk_id)


@blp.route("/talks/plans")
class TalkPlans(MethodView):
    @requires(Action.VIEW_TALKS)
    @documents_errors(blp, 401, 403, 422)
    @blp.arguments(PlanArgs, location="query")
    @blp.response(200, PlanList)
    def get(self, args: dict[str, Any]) -> Any:
        """Annual plans of 集体廉政谈话 within reach, with their talks."""
        return {"items": talks.list_plans(db.session, current_principal(), **args)}

    @requires(Action.MANAGE_TALKS)
    @documents_errors(blp, 401, 403, 409, 422)
    @blp.arguments(PlanIn)
    @blp.response(201, PlanOut)
    def post(self, data: dict[str, Any]) -> Any:
        """A unit's annual plan of 集体廉政谈话: its talks of the year, each with its
        talker, to every active person of the unit unless `subjects` says whom.  409 when
        the unit has a plan for the year already."""
        principal = current_principal()
        sessions = [talks.Session_(**s) for s in data.pop("sessions")]
        plan = talks.create_plan(db.session, principal, sessions=sessions, **data)
        db.session.commit()
        found = talks.list_plans(db.session, principal, unit=data["unit"], year=plan.year)
        return next(p for p in found if p["id"] == plan.id)


# ---------------------------------------------------------------- the ledger


def _finding(finding_id: int) -> dict[str, Any]:
    found = ledger.visible_finding(db.session, current_principal(), finding_id)
    return ledger.finding_views(db.session, [found], history=True)[0]


@blp.route("/ledger")
class Ledger(MethodView):
    @authenticated
    @documents_errors(blp, 401, 422)
    @blp.arguments(FindingArgs, location="query")
    @blp.response(200, FindingPage)
    def get(self, args: dict[str, Any]) -> Any:
        """The findings the caller may see, newest first: those they are responsible
        for, and the unit's (discipline team leader), the scope's (inspectors), all
        (admins)."""
        page = ledger.list_findings(db.session, current_principal(), **args)
        return {"items": ledger.finding_views(db.session, page.items), "total": page.total,
                "limit": page.limit, "offset": page.offset}  # fmt: skip

    @requires(Action.MANAGE_LEDGER)
    @documents_errors(blp, 401, 403, 404, 422)
    @blp.arguments(FindingIn)
    @blp.response(201, FindingOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Enter a finding (the unit's discipline team leader, the inspectors of its
        scope): 403 for a unit out of reach.  With `risk_event` (转台账) the warning's
        unit and its evidence in words are the defaults."""
        principal = current_principal()
        finding = ledger.create_finding(
            db.session, principal, risk_event_id=data.pop("risk_event"), **data
        )
        db.session.commit()
        return _finding(finding.id)


@blp.route("/ledger/<int:finding_id>")
class FindingById(MethodView):
    @authenticated
    @documents_errors(blp, 401, 404)
    @blp.response(200, FindingOut)
    def get(self, finding_id: int) -> Any:
        """A finding with its history (progress, 销号, 退回) and its evidence."""
        return _finding(finding_id)


@blp.route("/ledger/<int:finding_id>/progress")
class FindingProgress(MethodView):
    @authenticated
    @documents_errors(blp, 401, 403, 404, 409, 422)
    @blp.arguments(ProgressIn)
    @blp.response(201, UpdateOut)
    def post(self, data: dict[str, Any], finding_id: int) -> Any:
        """整改进展 (the person responsible, or who keeps the unit's ledger); evidence
        files go to `/ledger/{id}/files?update=` with the update's id."""
        row = ledger.record_progress(db.session, current_principal(), finding_id, **data)
        db.session.commit()
        return next(u for u in _finding(finding_id)["updates"] if u["id"] == row.id)


@blp.route("/ledger/<int:finding_id>/files")
class FindingFiles(MethodView):
    @authenticated
    @documents_errors(blp, 401, 403, 404, 409, 413, 422)
    @blp.arguments(EvidenceArgs, location="query")
    @blp.arguments(ScanUploadIn, location="files")
    @blp.response(201, FileOut)
    def post(self, args: dict[str, Any], files: dict[str, Any], finding_id: int) -> Any:
        """Evidence of the rectification (multipart, part `file`: PDF, JPEG, PNG or OFD,
        judged by content: 422 otherwise; too large: 413), on one of its updates
        (`?update=`) or on the finding."""
        upload = files.get("file")
        row = ledger.add_evidence(
            db.session, current_principal(), store_of(current_app.config), finding_id,
            upload.stream if upload else None, upload.filename if upload else None,  # type: ignore[arg-type]
            limit=file_limit(), update_id=args["update"],
        )  # fmt: skip
        db.session.commit()
        return next(f for f in _finding(finding_id)["files"] if f["id"] == row.id)


@blp.route("/ledger/<int:finding_id>/files/<int:file_id>")
class FindingFile(MethodView):
    @writes  # the download is audited
    @authenticated
    @documents_errors(blp, 401, 404, 409, 410)
    @blp.response(200, description="the file's content")
    def get(self, finding_id: int, file_id: int) -> Any:
        principal = current_principal()
        ledger.visible_finding(db.session, principal, finding_id)
        return _download(talks.open_file(db.session, principal, store_of(current_app.config),
                                         "finding", finding_id, file_id))  # fmt: skip


@blp.route("/ledger/<int:finding_id>/submit")
class SubmitFinding(MethodView):
    @authenticated
    @documents_errors(blp, 401, 403, 404, 409, 422)
    @blp.arguments(SubmitIn)
    @blp.response(200, FindingOut)
    def post(self, data: dict[str, Any], finding_id: int) -> Any:
        """整改完成，申请销号 (the person responsible, or who keeps the unit's ledger)."""
        ledger.submit(db.session, current_principal(), finding_id, data["text"] or "")
        db.session.commit()
        return _finding(finding_id)


@blp.route("/ledger/<int:finding_id>/verify")
class VerifyFinding(MethodView):
    @authenticated
    @documents_errors(blp, 401, 403, 404, 409, 422)
    @blp.arguments(VerifyIn)
    @blp.response(200, FindingOut)
    def post(self, data: dict[str, Any], finding_id: int) -> Any:
        """销号: the inspectors whose scope holds the unit only (403 for anyone else, and
        for the person responsible)."""
        ledger.verify(db.session, current_principal(), finding_id, data["note"])
        db.session.commit()
        return _finding(finding_id)


@blp.route("/ledger/<int:finding_id>/return")
class ReturnFinding(MethodView):
    @authenticated
    @documents_errors(blp, 401, 403, 404, 409, 422)
    @blp.arguments(ReturnIn)
    @blp.response(200, FindingOut)
    def post(self, data: dict[str, Any], finding_id: int) -> Any:
        """退回: back to work (a new deadline if given); inspectors of the scope only, and
        only a finding awaiting verification (409 otherwise)."""
        ledger.send_back(db.session, current_principal(), finding_id, data["reason"],
                         data["deadline"])  # fmt: skip
        db.session.commit()
        return _finding(finding_id)


# ---------------------------------------------------------------- statistics


@blp.route("/stats/follow-ups")
class FollowUpStats(MethodView):
    @requires(Action.VIEW_STATS)
    @documents_errors(blp, 401, 403, 404, 422)
    @blp.arguments(FollowUpStatsArgs, location="query")
    @blp.response(200, FollowUpStatsOut)
    def get(self, args: dict[str, Any]) -> Any:
        """Dispositions followed through (谈话提醒, 约谈函询, 诫勉 → talks; 责令整改 →
        rectifications), ordered in a time range: by form (四种形态) and by disposition,
        each by outcome — done by the due day, late, under way."""
        return statistics.follow_ups(db.session, current_principal(), **args)
