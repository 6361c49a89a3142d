"""/api/v1 endpoints of 分析评估: frameworks and evaluations (api.md, round 2), unit risk
profiles, platform use, and the monthly reports with their files."""

from __future__ import annotations

from typing import Any

from flask import current_app, send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from riskctl.api import documents_errors
from riskctl.api.auth import current_principal, requires
from riskctl.assessment import profiles, reports, services, usage
from riskctl.core.access import Action
from riskctl.core.db import writes
from riskctl.core.inputs import Day, Int, Line
from riskctl.extensions import db
from riskctl.org.schemas import CODE, PageArgs, Strict, page_of

blp = Blueprint(
    "assessment",
    __name__,
    url_prefix="/api/v1",
    description="分析评估: performance evaluations, risk profiles, platform use, monthly reports",
)

KEY = validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$")


class FrameworkOut(Schema):
    key = fields.String()
    name = fields.String()
    version = fields.Integer()
    source = fields.String()
    max = fields.String()
    indicators = fields.Integer()


class FrameworkList(Schema):
    items = fields.List(fields.Nested(FrameworkOut))


class FrameworkArgs(Strict):
    version = Int(load_default=None, minimum=1, maximum=10_000)


class FrameworkDetail(Schema):
    key = fields.String()
    name = fields.String()
    version = fields.Integer()
    source = fields.String()
    max = fields.String()
    grades = fields.List(fields.Dict())
    groups = fields.List(fields.Dict(), metadata={"description": "groups → indicators → inputs"})
    deductions = fields.List(fields.Dict())


class EvaluationIn(Strict):
    framework = Line(required=True, validate=KEY)
    unit = Line(required=True, validate=CODE)
    year = Int(required=True, minimum=2000, maximum=2099)
    inputs = fields.Dict(
        keys=Line(),
        required=True,
        metadata={
            "description": "{indicator: {input: value}}; amounts in 万元 as decimal "
            'strings ("1102.86"), counts as whole numbers, percentages as decimal '
            "strings, yes_no as true/false, grades excellent|good|pass|fail"
        },
    )
    recorded = fields.Dict(
        keys=Line(),
        load_default=None,
        allow_none=True,
        metadata={"description": 'the evaluator\'s recorded scores {indicator: "2.70"}'},
    )
    draft = fields.Boolean(
        load_default=False,
        metadata={"description": "save with inputs missing (no total, no grade)"},
    )


class DryRunArgs(Strict):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "compute, save nothing"})


class EvaluationArgs(PageArgs):
    unit = Line(load_default=None, validate=CODE)
    year = Int(load_default=None, minimum=2000, maximum=2099)
    framework = Line(load_default=None, validate=KEY)


class EvaluationOut(Schema):
    id = fields.Integer(allow_none=True)
    unit = fields.String()
    unit_name = fields.String()
    year = fields.Integer()
    framework = fields.String()
    framework_name = fields.String()
    version = fields.Integer()
    status = fields.String(metadata={"description": "draft | final"})
    revision = fields.Integer()
    inputs = fields.Dict()
    recorded = fields.Dict(allow_none=True)
    result = fields.Dict(
        metadata={
            "description": "indicators (inputs, rate, score, recorded, reason, words), "
            "groups with subtotals, deductions, total, recorded_total, grade, missing, "
            "differences, warnings"
        },
    )
    created_by = fields.String(allow_none=True)
    updated_by = fields.String(allow_none=True)
    created_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)
    previous = fields.Dict(
        allow_none=True,
        metadata={"description": "the unit's previous final evaluation: year, total, deltas"},
    )


class EvaluationSummary(Schema):
    id = fields.Integer()
    unit = fields.String()
    unit_name = fields.String()
    year = fields.Integer()
    framework = fields.String()
    framework_name = fields.String()
    version = fields.Integer()
    status = fields.String()
    total = fields.String(allow_none=True)
    recorded_total = fields.String(allow_none=True)
    grade = fields.String(allow_none=True)
    differences = fields.Integer()
    missing = fields.Integer()
    revision = fields.Integer()
    updated_at = fields.DateTime()


EvaluationPage = page_of(EvaluationSummary, "EvaluationPage")


@blp.route("/assessment/frameworks")
class Frameworks(MethodView):
    @requires(Action.VIEW_ASSESSMENT)
    @documents_errors(blp, 401, 403)
    @blp.response(200, FrameworkList)
    def get(self) -> Any:
        """The evaluation frameworks shipped with the platform (current versions)."""
        return {"items": services.list_frameworks(current_principal())}


@blp.route("/assessment/frameworks/<key>")
class FrameworkByKey(MethodView):
    @requires(Action.VIEW_ASSESSMENT)
    @documents_errors(blp, 401, 403, 404, 422)
    @blp.arguments(FrameworkArgs, location="query")
    @blp.response(200, FrameworkDetail)
    def get(self, args: dict[str, Any], key: str) -> Any:
        """A framework: groups, indicators with their inputs and scoring rules, deductions,
        grades (`?version=` for one an evaluation used before)."""
        return services.framework_view(db.session, current_principal(), key, args["version"])


@blp.route("/assessment/evaluations")
class Evaluations(MethodView):
    @requires(Action.VIEW_ASSESSMENT)
    @documents_errors(blp, 401, 403, 404, 422)
    @blp.arguments(EvaluationArgs, location="query")
    @blp.response(200, EvaluationPage)
    def get(self, args: dict[str, Any]) -> Any:
        """Evaluations within the caller's scope, newest year first."""
        page = services.list_evaluations(
            db.session,
            current_principal(),
            unit=args["unit"],
            year=args["year"],
            framework=args["framework"],
            limit=args["limit"],
            offset=args["offset"],
        )
        return {
            "items": services.summaries(db.session, list(page.items)),
            "total": page.total,
            "limit": page.limit,
            "offset": page.offset,
        }

    @requires(Action.EVALUATE)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    @blp.arguments(DryRunArgs, location="query")
    @blp.arguments(EvaluationIn)
    @blp.response(201, EvaluationOut)
    @blp.alt_response(
        200, schema=EvaluationOut, description="a revision of a saved one, or a dry run"
    )
    def post(self, args: dict[str, Any], data: dict[str, Any]) -> Any:
        """Compute a unit's evaluation for a year from raw inputs and save it (201; a
        second save revises it: 200).  `?dry_run=1` computes without saving (200).  A
        missing or non-numeric input, a zero denominator, a negative count: 422 with
        every problem at its path, e.g. `inputs.staff_control.staff_quota`."""
        saved = services.submit(
            db.session,
            current_principal(),
            framework=data["framework"],
            unit=data["unit"],
            year=data["year"],
            inputs=data["inputs"],
            recorded=data["recorded"],
            draft=data["draft"],
            dry_run=args["dry_run"],
        )
        if args["dry_run"]:
            db.session.rollback()
            return saved.view, 200
        db.session.commit()
        return saved.view, (201 if saved.created else 200)


@blp.route("/assessment/evaluations/<int:evaluation_id>")
class EvaluationById(MethodView):
    @requires(Action.VIEW_ASSESSMENT)
    @documents_errors(blp, 401, 403, 404)
    @blp.response(200, EvaluationOut)
    def get(self, evaluation_id: int) -> Any:
        """One evaluation: every indicator with its inputs, rate, score and rule in words,
        the subtotals, total, grade, the differences from the recorded scores with their
        reasons, and the comparison with the unit's previous year."""
        return services.evaluation_view(db.session, current_principal(), evaluation_id)


# ---------------------------------------------------------------- profiles and platform use


class PeriodArgs(Strict):
    first = Day(data_key="from", load_default=None, metadata={"description": "first day"})
    last = Day(data_key="to", load_default=None, metadata={"description": "last day"})


class ProfilesOut(Schema):
    first = fields.Date(data_key="from")
    last = fields.Date(data_key="to")
    formula = fields.Dict()
    areas = fields.List(fields.Dict())
    units = fields.List(fields.Dict(), metadata={"description": "ranked, highest index first"})
    heat = fields.List(fields.List(fields.Raw()))


@blp.route("/assessment/profiles")
class Profiles(MethodView):
    @requires(Action.VIEW_ASSESSMENT)
    @documents_errors(blp, 401, 403, 422)
    @blp.arguments(PeriodArgs, location="query")
    @blp.response(200, ProfilesOut)
    def get(self, args: dict[str, Any]) -> Any:
        """廉政风险画像: per unit in scope its risk index (warnings weighted by level and
        score per 100 items handled), trend, heaviest processes, nodes and posts, rules
        firing most, dispositions by form; ranked; and the unit × business area heat map.
        Default period: the previous month."""
        return profiles.profiles(db.session, current_principal(), args["first"], args["last"])


class UsageArgs(Strict):
    month = Line(
        load_default=None,
        validate=validate.Regexp(r"^[0-9]{4}-[0-9]{2}$"),
        metadata={"description": "YYYY-MM; default the previous month"},
    )


class UsageOut(Schema):
    month = fields.String()
    first = fields.Date(data_key="from")
    last = fields.Date(data_key="to")
    working_days = fields.Integer()
    units = fields.List(fields.Dict(), metadata={"description": "dormant units first"})


@blp.route("/assessment/platform-use")
class PlatformUse(MethodView):
    @requires(Action.VIEW_ASSESSMENT)
    @documents_errors(blp, 401, 403, 422)
    @blp.arguments(UsageArgs, location="query")
    @blp.response(200, UsageOut)
    def get(self, args: dict[str, Any]) -> Any:
        """Platform use per unit in a month: people who signed in, items started, steps
        done, working days without activity, share of posts with nobody active, and the
        open `platform_unused` warnings; dormant units first."""
        return usage.platform_use(db.session, current_principal(), args["month"])


# ---------------------------------------------------------------- monthly reports


class ReportOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "monthly | on_demand"})
    title = fields.String()
    first = fields.Date(data_key="from")
    last = fields.Date(data_key="to")
    units = fields.List(fields.String())
    pdf_sha256 = fields.String()
    pdf_size = fields.Integer()
    pdf_pages = fields.Integer()
    xlsx_sha256 = fields.String()
    xlsx_size = fields.Integer()
    summary = fields.Dict()
    build_seconds = fields.Float()
    created_at = fields.DateTime()
    created_by = fields.String(allow_none=True)


ReportPage = page_of(ReportOut, "ReportPage")


class ReportIn(Strict):
    first = Day(data_key="from", required=True)
    last = Day(data_key="to", required=True)


class FileArgs(Strict):
    format = Line(required=True, validate=validate.OneOf(["pdf", "xlsx"]))


@blp.route("/assessment/reports")
class Reports(MethodView):
    @requires(Action.VIEW_REPORTS)
    @documents_errors(blp, 401, 403, 422)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, ReportPage)
    def get(self, args: dict[str, Any]) -> Any:
        """月度廉政风险分析报告 within the caller's scope (a report over units all in it),
        newest first."""
        return reports.list_reports(db.session, current_principal(), args["limit"], args["offset"])

    @requires(Action.VIEW_REPORTS)
    @documents_errors(blp, 401, 403, 422)
    @blp.arguments(ReportIn)
    @blp.response(201, ReportOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Build a report now for any period over the caller's scope (PDF and XLSX)."""
        principal = current_principal()
        row = reports.build_on_demand(
            db.session,
            principal,
            reports.store_of(current_app.config),
            data["first"],
            data["last"],
        )
        db.session.commit()
        return reports.report_view(db.session, row)


@blp.route("/assessment/reports/<int:report_id>/file")
class ReportFile(MethodView):
    @writes  # every download is audited
    @requires(Action.VIEW_REPORTS)
    @documents_errors(blp, 401, 403, 404, 409, 410, 422)
    @blp.arguments(FileArgs, location="query")
    @blp.response(200, content_type="application/octet-stream")
    def get(self, args: dict[str, Any], report_id: int) -> Any:
        """The report's PDF or XLSX, once its bytes were checked against the SHA-256
        recorded when it was built (410 `file_missing`, 409 `file_altered`); every
        download is on the audit chain."""
        found = reports.open_file(
            db.session,
            current_principal(),
            reports.store_of(current_app.config),
            report_id,
            args["format"],
        )
        db.session.commit()
        response = send_file(
            found.file,
            mimetype=found.content_type,
            as_attachment=True,
            download_name=found.filename,
            conditional=False,
            etag=found.sha256,
            max_age=0,
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"
        return response
