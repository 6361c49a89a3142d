"""/api/v1 endpoints of study (廉政教育): materials and their files, question banks (with
the XLSX import), study tasks, the caller's own study (progress, quiz) and statistics."""

from __future__ import annotations

import mimetypes
import time
from typing import Any

from flask import Response, current_app, request, send_file
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import RequestedRangeNotSatisfiable, RequestEntityTooLarge

from riskctl.api import documents_errors, error_response
from riskctl.api.auth import current_principal, requires
from riskctl.core.access import Action
from riskctl.core.db import switch_to_writing
from riskctl.core.inputs import Day, Id, Int, Line, Text
from riskctl.education import importer, library, services, spec, statistics, study
from riskctl.extensions import db
from riskctl.files.services import problem_error, size_label, store_of
from riskctl.files.storage import FileStore
from riskctl.org.schemas import CODE, PageArgs, Strict, page_of

# PDF.js loads its worker and viewer as ES modules: served as JavaScript, whatever the
# system's MIME table says of ".mjs".
mimetypes.add_type("text/javascript", ".mjs")

blp = Blueprint(
    "education", __name__, url_prefix="/api/v1",
    description=(
        "Integrity education (廉政教育): materials, study tasks, reading, quizzes, statistics"
    ),
)  # fmt: skip
ENVELOPE_BYTES = 64 * 1024  # the multipart envelope around an uploaded file


def material_limit() -> int:
    return int(current_app.config["RISKCTL_STUDY_MATERIAL_MAX_BYTES"])


def pace() -> spec.Pace:
    settings = current_app.config["RISKCTL"]
    return spec.Pace(settings.STUDY_HEARTBEAT_SECONDS, settings.STUDY_READ_SHARE)


def allow_material_upload(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Before anything reads the body: a material's upload may be as large as the
    material limit (videos), every other request only as ``MAX_BODY_BYTES``."""
    if request.method == "POST" and (endpoint or "").endswith(("Materials", ".new_material")):
        request.max_content_length = max(
            material_limit() + ENVELOPE_BYTES, current_app.config.get("MAX_CONTENT_LENGTH") or 0
        )


blp.url_value_preprocessor(allow_material_upload)


@blp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Response:
    message = _l("the file is larger than the limit of %(limit)s; nothing was uploaded",
                 limit=size_label(material_limit()))  # fmt: skip
    return error_response(413, "file_too_large", str(message))


# ---------------------------------------------------------------- schemas


class StudyMaterialIn(Strict):
    title = Line(required=True, validate=validate.Length(min=1, max=services.MAX_TITLE))
    category = Line(required=True, validate=validate.OneOf(
        ["party_rules", "warning_case", "integrity_culture"]))  # fmt: skip
    source = Line(required=True, validate=validate.Length(min=1, max=services.MAX_TITLE),
                  metadata={"description": "出处: the rule, the case report"})  # fmt: skip
    expected_minutes = Int(required=True, minimum=1, maximum=library.MAX_MINUTES)
    tags = Line(load_default="", metadata={"description": "tags separated by commas"})
    file = Upload(load_default=None, metadata={"description": "a PDF, MP4 or WebM file"})
    body = Text(load_default=None, validate=validate.Length(max=library.MAX_ARTICLE),
                metadata={"description": "an article in Markdown (no HTML), "
                          "instead of a file"})  # fmt: skip


class StudyMaterialArgs(PageArgs):
    category = Line(load_default=None, validate=validate.OneOf(
        ["party_rules", "warning_case", "integrity_culture"]))  # fmt: skip


class StudyMaterialOut(Schema):
    id = fields.Integer()
    title = fields.String()
    kind = fields.String(metadata={"description": "pdf | video | article"})
    kind_label = fields.String()
    category = fields.String()
    category_label = fields.String()
    tags = fields.List(fields.String())
    source = fields.String()
    expected_minutes = fields.Integer()
    filename = fields.String(allow_none=True)
    content_type = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True)
    sha256 = fields.String(allow_none=True)
    has_file = fields.Boolean()
    created_at = fields.DateTime()


class StudyMaterialDetailOut(StudyMaterialOut):
    body = fields.String(allow_none=True, metadata={"description": "an article's Markdown"})


class QuizOptionOut(Schema):
    letter = fields.String()
    text = fields.String()


class QuizQuestionsIn(Strict):
    questions = fields.List(fields.Raw(), required=True,
                            metadata={"description":
                                      "[{kind, text, options, answer, explanation}]"})  # fmt: skip


class QuizQuestionOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    text = fields.String()
    options = fields.List(fields.Nested(QuizOptionOut))
    answer = fields.String()
    explanation = fields.String()


class QuestionBankIn(Strict):
    name = Line(required=True, validate=validate.Length(min=1, max=100))
    description = Text(load_default="", validate=validate.Length(max=2000))


class QuestionBankOut(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    questions = fields.Integer()
    created_at = fields.DateTime()


class QuestionBankDetailOut(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    created_at = fields.DateTime()
    questions = fields.List(fields.Nested(QuizQuestionOut))


class QuestionBankList(Schema):
    items = fields.List(fields.Nested(QuestionBankOut))


class QuestionImportIn(Schema):
    file = Upload(required=True, metadata={"description": "the XLSX template, filled in"})


class QuestionImportOut(Schema):
    imported = fields.Integer()
    bank = fields.Nested(QuestionBankOut)


class StudyAudienceIn(Strict):
    units = fields.List(Line(validate=CODE), load_default=list)
    posts = fields.List(Line(), load_default=list,
                        metadata={"description": "post codes, in every unit of the "
                                  "audience"})  # fmt: skip
    key_posts = fields.Boolean(load_default=False, metadata={
        "description": f"重点岗位: posts whose risk value is {spec.KEY_POST_RISK} or "
        "more"})  # fmt: skip
    roles = fields.List(Line(validate=validate.OneOf(list(spec.ROLES))), load_default=list)
    people = fields.List(Line(), load_default=list, metadata={"description": "usernames"})


class StudyFollowsIn(Strict):
    rules = fields.List(Line(), required=True)
    posts = fields.List(Line(), load_default=list)
    working_days = Int(load_default=services.DEFAULT_FOLLOW_DAYS, minimum=1, maximum=60)


class StudyQuizIn(Strict):
    bank = Id(required=True)
    questions = Int(load_default=10, minimum=1, maximum=services.MAX_QUIZ)
    pass_mark = Int(load_default=60, minimum=1, maximum=100)
    attempts = Int(load_default=3, minimum=1, maximum=services.MAX_ATTEMPTS)


class StudyTaskIn(Strict):
    title = Line(required=True, validate=validate.Length(min=1, max=services.MAX_TITLE))
    description = Text(load_default="", validate=validate.Length(max=5000))
    start_on = Day(required=True)
    due_on = Day(required=True)
    audience = fields.Nested(StudyAudienceIn, load_default=None, metadata={
        "description": "people of `units` (default: every unit in your scope) holding one "
        "of `posts`, a key post or one of `roles` (everyone there when none of these is "
        "given), and the `people` named"})  # fmt: skip
    follows = fields.Nested(StudyFollowsIn, load_default=None, metadata={
        "description": "警示教育: when a red warning of one of `rules` is resolved in a unit, "
        "the unit's holders of `posts` (default: the warning's post) are assigned this "
        "task"})  # fmt: skip
    materials = fields.List(Id(), required=True)
    quiz = fields.Nested(StudyQuizIn, load_default=None)
    sms_digest = fields.Boolean(load_default=False, metadata={
        "description": "a morning SMS to those overdue (working days)"})  # fmt: skip
    publish = fields.Boolean(load_default=True, metadata={
        "description": "publish now (assign the audience), or keep a draft"})  # fmt: skip


class StudyTaskArgs(PageArgs):
    unit = Line(load_default=None, validate=CODE)
    status = Line(load_default=None, validate=validate.OneOf(["draft", "published"]))


class StudyQuizOut(Schema):
    bank = fields.Integer(allow_none=True)
    questions = fields.Integer()
    pass_mark = fields.Integer()
    attempts = fields.Integer()


class StudyTaskOut(Schema):
    id = fields.Integer()
    title = fields.String()
    description = fields.String()
    status = fields.String()
    start_on = fields.Date()
    due_on = fields.Date()
    audience = fields.Dict()
    follows = fields.Dict(allow_none=True)
    units = fields.List(fields.String(), metadata={"description": "the units it reaches"})
    materials = fields.List(fields.Nested(StudyMaterialOut))
    quiz = fields.Nested(StudyQuizOut, allow_none=True)
    sms_digest = fields.Boolean()
    created_at = fields.DateTime()
    published_at = fields.DateTime(allow_none=True)
    assigned = fields.Integer(metadata={"description": "in the units you see"})
    completed = fields.Integer()
    overdue = fields.Integer()


class StudyMaterialProgressOut(StudyMaterialOut):
    seconds = fields.Integer(metadata={"description": "reading time credited by the server"})
    required_seconds = fields.Integer()
    is_read = fields.Boolean()
    read_at = fields.DateTime(allow_none=True)


class MyStudyQuizOut(Schema):
    questions = fields.Integer()
    pass_mark = fields.Integer()
    attempts_allowed = fields.Integer()
    attempts_used = fields.Integer()
    best_score = fields.Integer(allow_none=True)
    is_passed = fields.Boolean()
    open_attempt = fields.Integer(allow_none=True)
    scores = fields.List(fields.Integer())


class StudyAssignmentOut(Schema):
    id = fields.Integer()
    task_id = fields.Integer()
    title = fields.String()
    description = fields.String()
    start_on = fields.Date()
    due_on = fields.Date()
    source = fields.String(metadata={"description": "audience | joined | warning"})
    status = fields.String(metadata={"description": "open | overdue | completed | not_started"})
    working_days_overdue = fields.Integer()
    assigned_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    materials = fields.List(fields.Nested(StudyMaterialProgressOut))
    materials_read = fields.Integer()
    quiz = fields.Nested(MyStudyQuizOut, allow_none=True)


class MyStudyArgs(Strict):
    status = Line(load_default=None, validate=validate.OneOf(
        ["open", "overdue", "completed", "not_started"]))  # fmt: skip


class MyStudyOut(Schema):
    items = fields.List(fields.Nested(StudyAssignmentOut))
    heartbeat_seconds = fields.Integer()


class StudyProgressIn(Strict):
    material = Id(required=True)
    seconds = Int(required=True, minimum=0, maximum=3600, metadata={
        "description": "seconds the page was seen since its last heartbeat: an upper bound "
        "of what the server credits"})  # fmt: skip


class StudyProgressOut(Schema):
    material = fields.Integer()
    credited = fields.Integer(metadata={"description": "seconds this heartbeat added"})
    seconds = fields.Integer()
    required_seconds = fields.Integer()
    is_read = fields.Boolean()
    assignment_completed = fields.Boolean()
    heartbeat_seconds = fields.Integer()


class DrawnQuestionOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    text = fields.String()
    options = fields.List(fields.Nested(QuizOptionOut))
    given = fields.String(metadata={"description": "after submission: the letters given"})
    answer = fields.String(metadata={"description": "after submission only"})
    explanation = fields.String(metadata={"description": "after submission only"})
    is_right = fields.Boolean(metadata={"description": "after submission only"})


class QuizAttemptOut(Schema):
    id = fields.Integer()
    assignment_id = fields.Integer()
    number = fields.Integer()
    attempts_allowed = fields.Integer()
    pass_mark = fields.Integer()
    started_at = fields.DateTime()
    submitted_at = fields.DateTime(allow_none=True)
    questions = fields.List(fields.Nested(DrawnQuestionOut))
    score = fields.Integer(allow_none=True)
    correct = fields.Integer(allow_none=True)
    total = fields.Integer(allow_none=True)
    is_passed = fields.Boolean(allow_none=True)


class QuizResultOut(QuizAttemptOut):
    assignment_completed = fields.Boolean()
    attempts_left = fields.Integer()


class QuizAnswersIn(Strict):
    answers = fields.List(fields.Raw(), required=True, metadata={
        "description": "[{question, choice}] for the questions drawn; one not answered is "
        "wrong"})  # fmt: skip


class StudyStatsArgs(Strict):
    unit = Line(load_default=None, validate=CODE)
    task = Id(load_default=None)
    first = Day(data_key="from", load_default=None, metadata={"description": "due on or after"})
    last = Day(data_key="to", load_default=None, metadata={"description": "due on or before"})


class StudyFiguresOut(Schema):
    assigned = fields.Integer()
    completed = fields.Integer()
    completion_rate = fields.Float(allow_none=True)
    with_quiz = fields.Integer()
    quiz_taken = fields.Integer()
    passed = fields.Integer()
    pass_rate = fields.Float(allow_none=True, metadata={"description": "passed ÷ with_quiz"})
    average_score = fields.Float(allow_none=True, metadata={"description": "of best scores"})
    overdue = fields.Integer()


class StudyGroupOut(StudyFiguresOut):
    key = fields.Raw(metadata={"description": "unit code, post code or task id"})
    label = fields.String()


class StudyOverdueOut(Schema):
    assignment_id = fields.Integer()
    person = fields.String()
    person_label = fields.String()
    unit = fields.String()
    unit_name = fields.String()
    post = fields.String(allow_none=True)
    post_name = fields.String(allow_none=True)
    task_id = fields.Integer()
    title = fields.String()
    due_on = fields.Date()
    working_days_overdue = fields.Integer()


class StudyStatsOut(Schema):
    total = fields.Nested(StudyFiguresOut)
    by_unit = fields.List(fields.Nested(StudyGroupOut))
    by_post = fields.List(fields.Nested(StudyGroupOut))
    by_task = fields.List(fields.Nested(StudyGroupOut))
    overdue = fields.List(fields.Nested(StudyOverdueOut))


# ---------------------------------------------------------------- materials


@blp.route("/education/materials")
class Materials(MethodView):
    @requires(Action.STUDY)
    @documents_errors(blp, 401, 403, 422)
    @blp.arguments(StudyMaterialArgs, location="query")
    @blp.response(200, page_of(StudyMaterialOut, "MaterialPage"))
    def get(self, args: dict[str, Any]) -> Any:
        """The study library (学习资料), newest first."""
        return library.list_materials(db.session, current_principal(), **args)

    @requires(Action.MANAGE_STUDY)
    @documents_errors(blp, 401, 403, 413, 422)
    @blp.arguments(StudyMaterialIn, location="form", content_type="multipart/form-data")
    @blp.response(201, StudyMaterialDetailOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Publish a material (multipart): a PDF or a video (MP4, WebM) in part `file`,
        judged by its content; or an article in `body` (Markdown, no HTML).  Its SHA-256
        is on the audit chain; larger than the limit: 413."""
        found = request.files.get("file")  # the part of the multipart body documented above
        row = library.create_material(
            db.session, current_principal(), store_of(current_app.config), data,
            found.stream if found and found.filename else None,
            found.filename if found else None,
            limit=material_limit(),
        )  # fmt: skip
        db.session.commit()
        return {**library.material_view(row), "body": row.body}


@blp.route("/education/materials/<int:material_id>")
class MaterialById(MethodView):
    @requires(Action.STUDY)
    @documents_errors(blp, 401, 403, 404)
    @blp.response(200, StudyMaterialDetailOut)
    def get(self, material_id: int) -> Any:
        """One material (an article with its Markdown)."""
        row = library.get_material(db.session, current_principal(), material_id)
        return {**library.material_view(row), "body": row.body}


# A stored file hashed again less than this long ago, whose size and change time are the
# same, is served without hashing it again: a video's player asks for many ranges, and
# each would otherwise read the whole file.
VERIFIED_FOR = 600.0
_verified: dict[str, tuple[int, int, float]] = {}


def _recently_verified(store: FileStore, sha256: str | None) -> bool:
    if sha256 is None or (seen := _verified.get(sha256)) is None:
        return False
    try:
        stat = store.path_of(sha256).stat()
    except OSError:
        return False
    fresh = time.monotonic() - seen[2] < VERIFIED_FOR
    return fresh and seen[:2] == (stat.st_size, stat.st_ctime_ns)


def _note_verified(store: FileStore, sha256: str | None) -> None:
    if sha256 is not None:
        stat = store.path_of(sha256).stat()
        _verified[sha256] = (stat.st_size, stat.st_ctime_ns, time.monotonic())


@blp.route("/education/materials/<int:material_id>/file")
class MaterialFile(MethodView):
    @requires(Action.STUDY)
    @documents_errors(blp, 401, 403, 404, 409, 410)
    @blp.response(200, content_type="application/octet-stream")
    @blp.alt_response(206, description="the part a Range header asked for")
    def get(self, material_id: int) -> Any:
        """The material's file (PDF, MP4 or WebM) with Range support (a video seeks), once
        its bytes were checked against the SHA-256 recorded at upload: 410 `file_missing`,
        409 `file_altered` (both recorded on the audit chain)."""
        store = store_of(current_app.config)
        principal = current_principal()
        sha256 = library.get_material(db.session, principal, material_id).sha256
        trusted = _recently_verified(store, sha256)
        row, health, file = library.material_file(
            db.session, principal, store, material_id, trusted=trusted
        )
        if file is None:
            switch_to_writing(db.session)  # a read so far: the record takes the lock
            library.record_file_problem(db.session, row, health)
            raise problem_error(health)  # committed with the record (keeps_writes)
        if not trusted:
            _note_verified(store, row.sha256)
        sent = send_file(
            file, mimetype=row.content_type or "application/octet-stream", as_attachment=True,
            download_name=row.filename or f"material-{row.id}", conditional=False,
            etag=row.sha256 or False, max_age=0,
        )  # fmt: skip
        # A file object tells send_file no size, so it would answer no range: the size
        # recorded at upload (and checked) is the file's.
        size = int(row.size or 0)
        sent.content_length = size
        try:
            response = sent.make_conditional(
                request.environ, accept_ranges=True, complete_length=size
            )
        except RequestedRangeNotSatisfiable:
            file.close()
            raise
        response.headers["Cache-Control"] = "private, no-cache"
        return response


# ---------------------------------------------------------------- question banks


@blp.route("/education/question-banks")
class Banks(MethodView):
    @requires(Action.MANAGE_STUDY)
    @documents_errors(blp, 401, 403)
    @blp.response(200, QuestionBankList)
    def get(self) -> Any:
        """The question banks (题库), with their number of questions."""
        return {"items": library.list_banks(db.session, current_principal())}

    @requires(Action.MANAGE_STUDY)
    @documents_errors(blp, 401, 403, 422)
    @blp.arguments(QuestionBankIn)
    @blp.response(201, QuestionBankOut)
    def post(self, data: dict[str, Any]) -> Any:
        """A new, empty question bank."""
        principal = current_principal()
        bank = library.create_bank(db.session, principal, data["name"], data["description"])
        db.session.commit()
        return next(b for b in library.list_banks(db.session, principal) if b["id"] == bank.id)


@blp.route("/education/question-banks/<int:bank_id>")
class BankById(MethodView):
    @requires(Action.MANAGE_STUDY)
    @documents_errors(blp, 401, 403, 404)
    @blp.response(200, QuestionBankDetailOut)
    def get(self, bank_id: int) -> Any:
        """A bank with its questions and their keys (for those who manage study only)."""
        return library.bank_view(library.get_bank(db.session, current_principal(), bank_id))


@blp.route("/education/question-banks/<int:bank_id>/questions")
class BankQuestions(MethodView):
    @requires(Action.MANAGE_STUDY)
    @documents_errors(blp, 401, 403, 404, 422)
    @blp.arguments(QuizQuestionsIn)
    @blp.response(201, QuestionBankDetailOut)
    def post(self, data: dict[str, Any], bank_id: int) -> Any:
        """Add questions: single, multiple (two right options or more) or true_false.
        All or none: every problem is listed with its path (`questions[2].answer`)."""
        principal = current_principal()
        library.add_questions(db.session, principal, bank_id, data["questions"])
        db.session.commit()
        return library.bank_view(library.get_bank(db.session, principal, bank_id))


@blp.route("/education/question-banks/<int:bank_id>/import")
class BankImport(MethodView):
    @requires(Action.MANAGE_STUDY)
    @documents_errors(blp, 401, 403, 404, 422)
    @blp.arguments(QuestionImportIn, location="files")
    @blp.response(200, QuestionImportOut)
    def post(self, files: dict[str, Any], bank_id: int) -> Any:
        """Import questions from the XLSX template (page 学习管理 offers it).  All or
        nothing: each problem is listed with its `row`, `column` and message."""
        principal = current_principal()
        library.get_bank(db.session, principal, bank_id)
        upload = files["file"]
        rows = importer.read_questions(upload.stream.read(), upload.filename)
        added = library.add_questions(db.session, principal, bank_id, rows, at="rows")
        db.session.commit()
        bank = next(b for b in library.list_banks(db.session, principal) if b["id"] == bank_id)
        return {"imported": len(added), "bank": bank}


# ---------------------------------------------------------------- study tasks


@blp.route("/education/tasks")
class Tasks(MethodView):
    @requires(Action.VIEW_STUDY)
    @documents_errors(blp, 401, 403, 404, 422)
    @blp.arguments(StudyTaskArgs, location="query")
    @blp.response(200, page_of(StudyTaskOut, "StudyTaskPage"))
    def get(self, args: dict[str, Any]) -> Any:
        """The study tasks you see (your units', or those you wrote), newest first."""
        return services.list_tasks(db.session, current_principal(), **args)

    @requires(Action.MANAGE_STUDY)
    @documents_errors(blp, 401, 403, 422)
    @blp.arguments(StudyTaskIn)
    @blp.response(201, StudyTaskOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a study task, and publish it (default): its audience becomes one
        assignment per person, each told in-app.  422 with every problem and its path
        (unknown codes, a due day before the start or not a working day, a quiz whose bank
        has too few questions); 403 for units or people outside your scope."""
        principal = current_principal()
        publish = data.pop("publish")
        task = services.create_task(db.session, principal, data, publish=publish)
        db.session.commit()
        return services.task_view(db.session, principal, task.id)


@blp.route("/education/tasks/<int:task_id>")
class TaskById(MethodView):
    @requires(Action.VIEW_STUDY)
    @documents_errors(blp, 401, 403, 404)
    @blp.response(200, StudyTaskOut)
    def get(self, task_id: int) -> Any:
        """One study task with its progress in the units you see."""
        return services.task_view(db.session, current_principal(), task_id)


@blp.route("/education/tasks/<int:task_id>/publish")
class TaskPublish(MethodView):
    @requires(Action.MANAGE_STUDY)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    @blp.response(200, StudyTaskOut)
    def post(self, task_id: int) -> Any:
        """Publish a draft (checked again as a whole); 409 when published already."""
        principal = current_principal()
        services.publish_task(db.session, principal, task_id)
        db.session.commit()
        return services.task_view(db.session, principal, task_id)


# ---------------------------------------------------------------- one's own study


@blp.route("/education/my")
class MyStudy(MethodView):
    @requires(Action.STUDY)
    @documents_errors(blp, 401, 403, 422)
    @blp.arguments(MyStudyArgs, location="query")
    @blp.response(200, MyStudyOut)
    def get(self, args: dict[str, Any]) -> Any:
        """我的学习: your assignments with their due days, the reading credited to each
        material and the quiz's state (open ones first)."""
        items = study.my_assignments(db.session, current_principal(), pace(), **args)
        return {"items": items, "heartbeat_seconds": pace().heartbeat_seconds}


@blp.route("/education/assignments/<int:assignment_id>/progress")
class Progress(MethodView):
    @requires(Action.STUDY)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    @blp.arguments(StudyProgressIn)
    @blp.response(200, StudyProgressOut)
    def post(self, data: dict[str, Any], assignment_id: int) -> Any:
        """A heartbeat of the reading page.  The server credits at most the wall time
        since the previous heartbeat of this material (and at most 1.5 heartbeats), never
        more than `seconds`; the first heartbeat starts the clock.  422 for a material not
        in the task; 404 for an assignment not yours."""
        found = study.record_progress(
            db.session, current_principal(), assignment_id, data["material"], data["seconds"],
            pace(),
        )  # fmt: skip
        db.session.commit()
        return found


@blp.route("/education/assignments/<int:assignment_id>/quiz")
class StartQuiz(MethodView):
    @requires(Action.STUDY)
    @documents_errors(blp, 401, 403, 404, 409)
    @blp.response(201, QuizAttemptOut)
    @blp.alt_response(200, schema=QuizAttemptOut, description="the attempt still open")
    def post(self, assignment_id: int) -> Any:
        """Start the quiz: questions drawn at random from the task's bank, without their
        key.  An attempt still open is given back (200) rather than drawn again.  409:
        no quiz, materials not read yet, passed already, no attempt left."""
        found, new = study.start_quiz(db.session, current_principal(), assignment_id)
        db.session.commit()
        return found, 201 if new else 200


@blp.route("/education/quiz-attempts/<int:attempt_id>/answers")
class Answers(MethodView):
    @requires(Action.STUDY)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    @blp.arguments(QuizAnswersIn)
    @blp.response(200, QuizResultOut)
    def post(self, data: dict[str, Any], attempt_id: int) -> Any:
        """Submit an attempt's answers, checked on the server: the score (out of 100),
        whether it passes, and now the key.  Once per attempt: 409 after.  422 for an
        answer to a question not drawn, with its path."""
        found = study.submit_answers(db.session, current_principal(), attempt_id, data["answers"])
        db.session.commit()
        return found


# ---------------------------------------------------------------- statistics


@blp.route("/education/stats")
class Stats(MethodView):
    @requires(Action.VIEW_STUDY)
    @documents_errors(blp, 401, 403, 404, 422)
    @blp.arguments(StudyStatsArgs, location="query")
    @blp.response(200, StudyStatsOut)
    def get(self, args: dict[str, Any]) -> Any:
        """Completion and pass rates, average scores and the people overdue, in total and
        by unit, post and task, of the study due in `from`…`to` (days) in your reach."""
        return statistics.stats(
            db.session, current_principal(), unit=args["unit"], task_id=args["task"],
            first=args["first"], last=args["last"],
        )  # fmt: skip
