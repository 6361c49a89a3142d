"""/api/v1 endpoints for risk events, scans, the policy, risk values and statistics."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from riskctl.api import documents_errors
from riskctl.api.auth import authenticated, current_principal, requires
from riskctl.core.access import Action
from riskctl.core.db import reads_only
from riskctl.core.inputs import Day, Id, Int, Line, Moment, Text
from riskctl.extensions import db
from riskctl.org.schemas import CODE, POST_CODE, USERNAME, EmptyIn, PageArgs, Strict, page_of
from riskctl.risk import opinions, services, statistics
from riskctl.risk.models import Disposition, EventStatus, Level
from riskctl.risk.rules import REGISTRY
from riskctl.supervision import follow_ups

blp = Blueprint(
    "risk", __name__, url_prefix="/api/v1",
    description="Risk events (风险事件) and their handling, scans, policy, risk values, statistics",
)  # fmt: skip


class EventArgs(PageArgs):
    unit = Line(load_default=None, validate=CODE)
    level = Line(load_default=None, validate=validate.OneOf([v.value for v in Level]))
    status = Line(load_default=None, validate=validate.OneOf([s.value for s in EventStatus]))
    rule = Line(load_default=None, validate=validate.OneOf(list(REGISTRY)))
    item_id = Id(data_key="item", load_default=None)
    start = Moment(
        data_key="from", load_default=None, metadata={"description": "raised at or after"}
    )
    end = Moment(data_key="to", load_default=None, metadata={"description": "raised before"})


class FollowUpOut(Schema):
    kind = fields.String(metadata={"description": "talk | finding (the ledger's)"})
    id = fields.Integer(metadata={"description": "GET /talks/{id} or /ledger/{id}"})
    what = fields.String(metadata={"description": "the talk's kind, or rectification"})
    title = fields.String()
    state = fields.String(
        metadata={"description": "planned · held · cancelled (talks); rectifying · submitted · "
                  "verified (findings)"}
    )  # fmt: skip
    due_on = fields.Date()
    done_on = fields.Date(allow_none=True, metadata={"description": "held, or verified"})
    outcome = fields.String(metadata={"description": "held (by its due day) · late · open"})
    working_days_late = fields.Integer()
    people = fields.List(fields.String(allow_none=True), metadata={"description": "names"})


class RiskEventOut(Schema):
    id = fields.Integer()
    rule = fields.String()
    rule_name = fields.String()
    rule_name_en = fields.String()
    basis = fields.String(
        allow_none=True,
        metadata={"description": "the rule's legal basis (law and article), or that it is "
                  "the unit's own rule"},
    )  # fmt: skip
    level = fields.String()
    level_label = fields.String(
        metadata={"description": "what the policy calls the level (labels), e.g. 红色预警"}
    )
    level_label_en = fields.String()
    score = fields.Float()
    factors = fields.Dict(
        metadata={"description": "severity and, per level, risk value and factor"}
    )
    evidence = fields.Dict()
    status = fields.String()
    unit = fields.String()
    item_id = fields.Integer(allow_none=True)
    node = fields.String(allow_none=True)
    person = fields.String(allow_none=True)
    person_name = fields.String(allow_none=True)
    post = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)
    escalated = fields.Boolean()
    level_since = fields.DateTime()
    cause_cleared_at = fields.DateTime(allow_none=True)
    explanation = fields.String(allow_none=True)
    explained_by = fields.String(allow_none=True)
    explained_at = fields.DateTime(allow_none=True)
    acknowledged_by = fields.String(allow_none=True)
    acknowledged_at = fields.DateTime(allow_none=True)
    disposition = fields.String(allow_none=True)
    disposition_form = fields.String(
        allow_none=True,
        metadata={"description": "first: 第一种形态 (监督执纪); null: no form (nothing found, "
                  "a process put right, a clue handed on)"},
    )  # fmt: skip
    closing_note = fields.String(allow_none=True)
    closed_by = fields.String(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    policy_version = fields.Integer()
    reopens = fields.Integer(
        allow_none=True,
        metadata={"description": "the event a person resolved or dismissed about the same "
                  "situation, raised again because its facts changed materially"},
    )  # fmt: skip
    reopen_reason = fields.Dict(
        allow_none=True,
        metadata={"description": "what changed: {event, closed_as, key, how, before, after}; "
                  "how is more, new or changed; key 'level' when it is graver"},
    )  # fmt: skip
    evidence_explained = fields.Dict(
        metadata={"description": "one event only: the evidence in words, {zh, en}, each "
                  "{sentences, links, tables: [{title, header, rows}]}; a cell or a link is "
                  "{text, kind, id, href}; evidence stays as it was"},
    )  # fmt: skip
    follow_ups = fields.List(
        fields.Nested(FollowUpOut),
        metadata={"description": "one event only (and the answer of its lifecycle calls): the "
                  "talks and ledger findings its disposition ordered or that were entered from "
                  "it, those the caller may see, with their state"},
    )  # fmt: skip


EventPage = page_of(RiskEventOut, "RiskEventPage")


class ExplainIn(Strict):
    text = Text(required=True, validate=validate.Length(min=1, max=4000))


class ResolveIn(Strict):
    disposition = Line(
        required=True,
        validate=validate.OneOf([d.value for d in Disposition]),
        metadata={"description": "no_problem 经核实无问题（予以了结） · criticism 批评教育 · "
                  "reminder_talk 谈话提醒 · letter_inquiry 约谈函询 · admonishment 诫勉 · "
                  "self_examination 责令检查 · circulated_criticism 通报批评 · "
                  "rectification 责令整改／督办 · case_clue 移交问题线索"},
    )  # fmt: skip
    note = Text(load_default=None, validate=validate.Length(max=4000))
    follow_up = fields.Dict(
        load_default=None, allow_none=True,
        metadata={"description": "what follows the disposition through, each key optional "
                  "(a problem: 422 at follow_up.<key>, nothing written). A talk (reminder_talk, "
                  "letter_inquiry, admonishment): talker (username; default: who resolves), "
                  "due (date; default: some working days later; not in the past), subjects "
                  "(usernames; default: the person the warning is about), place, topic. A "
                  "rectification (rectification, entered in the ledger): due (the deadline), "
                  "responsible (username), measures, description"},
    )  # fmt: skip


class DismissIn(Strict):
    reason = Text(required=True, validate=validate.Length(min=1, max=4000))


class OpinionIn(Strict):
    text = Text(required=True, validate=validate.Length(min=1, max=4000))


class OpinionOut(Schema):
    id = fields.Integer()
    event_id = fields.Integer()
    text = fields.String()
    by = fields.String(allow_none=True, metadata={"description": "the author's username"})
    by_name = fields.String(allow_none=True)
    created_at = fields.DateTime()


class ScanIn(Strict):
    full = fields.Boolean(
        load_default=False, metadata={"description": "judge everything, not only what changed"}
    )


class ScanOut(Schema):
    mode = fields.String()
    at = fields.DateTime()
    scanned = fields.Integer(metadata={"description": "signals found and scored"})
    raised = fields.Integer()
    updated = fields.Integer()
    closed = fields.Integer()
    hints = fields.Integer(metadata={"description": "scored under the lowest threshold"})
    kept_closed = fields.Integer(
        metadata={"description": "found again, but resolved or dismissed before and "
                  "nothing material changed: not raised"}
    )  # fmt: skip


class PolicyIn(Strict):
    factors = fields.Dict(keys=Line(), values=fields.Raw())
    thresholds = fields.Dict(keys=Line(), values=fields.Raw())
    escalation = fields.Dict(keys=Line(), values=fields.Raw())
    routing = fields.Dict(keys=Line(), values=fields.Raw())
    alerts = fields.Dict(
        keys=Line(), values=fields.Raw(),
        metadata={"description": "repeat_hours, escalate_after_hours, ack_expires_hours, "
                  "quiet_hours {start, end}, sms_caps {per_recipient_per_hour, global_per_hour}"},
    )  # fmt: skip
    labels = fields.Dict(
        keys=Line(), values=fields.Raw(),
        metadata={"description": "level → {zh, en} (orange also used: true|false; off, its "
                  "band is yellow); merged per level and key"},
    )  # fmt: skip
    rules = fields.Dict(
        keys=Line(), values=fields.Dict(),
        metadata={
            "description": "rule code → {enabled, freeze_on_red, params: [{from, unit, values}]}"
            " (in answers also its name, description and legal basis)"
        },
    )  # fmt: skip
    comment = Text(load_default=None, validate=validate.Length(max=500))


class PolicyOut(Schema):
    version = fields.Integer()
    created_at = fields.DateTime(allow_none=True)
    created_by = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)
    factors = fields.Dict()
    thresholds = fields.Dict()
    escalation = fields.Dict()
    routing = fields.Dict()
    alerts = fields.Dict()
    labels = fields.Dict()
    rules = fields.Dict()


class PreviewIn(Strict):
    at = Moment(load_default=None, metadata={"description": "default: now"})
    policy = fields.Dict(
        load_default=None,
        metadata={"description": "changes to the current policy, as PUT /policy takes them"},
    )
    start = Day(data_key="from", load_default=None, metadata={"description": "back-test from"})
    end = Day(data_key="to", load_default=None, metadata={"description": "back-test to"})


class PreviewOut(Schema):
    policy_version = fields.Integer()
    at = fields.DateTime()
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    days = fields.List(fields.Dict())
    events = fields.List(fields.Dict())
    summary = fields.Dict()


class RiskValueIn(Strict):
    unit = Line(required=True, validate=CODE)
    target = Line(required=True, validate=validate.OneOf(services.TARGETS))
    process = Line(load_default=None)
    node = Line(load_default=None)
    post = Line(load_default=None, validate=POST_CODE)
    person = Line(load_default=None, validate=USERNAME)
    risk = Int(required=True, minimum=1, maximum=5)


class RiskValueArgs(Strict):
    unit = Line(required=True, validate=CODE)


class RiskValueOut(Schema):
    unit = fields.String()
    target = fields.String()
    process = fields.String(allow_none=True)
    node = fields.String(allow_none=True)
    post = fields.String(allow_none=True)
    person = fields.String(allow_none=True)
    risk = fields.Integer()


class RiskValuesOut(Schema):
    unit = fields.String()
    processes = fields.List(
        fields.Dict(),
        metadata={"description": "{process, name, risk, nodes: [{node, name, post, risk}]}"},
    )
    posts = fields.List(fields.Dict(), metadata={"description": "{post, name, risk}"})
    people = fields.List(fields.Dict(), metadata={"description": "{person, name, risk}"})


class StatsArgs(Strict):
    group_by = Line(required=True, validate=validate.OneOf(services.GROUPS))
    start = Moment(
        data_key="from", load_default=None, metadata={"description": "default: 30 days before to"}
    )
    end = Moment(data_key="to", load_default=None, metadata={"description": "default: now"})
    unit = Line(load_default=None, validate=CODE)


class StatsGroupOut(Schema):
    key = fields.String()
    label = fields.String()
    count = fields.Integer()
    mean_score = fields.Float()
    red = fields.Integer()
    orange = fields.Integer()
    yellow = fields.Integer()


class StatsOut(Schema):
    group_by = fields.String()
    start = fields.DateTime(data_key="from")
    end = fields.DateTime(data_key="to")
    total = fields.Integer()
    groups = fields.List(fields.Nested(StatsGroupOut))


class DispositionStatsArgs(Strict):
    start = Moment(
        data_key="from", load_default=None,
        metadata={"description": "resolved at or after; default: 30 days before to"},
    )  # fmt: skip
    end = Moment(data_key="to", load_default=None, metadata={"description": "default: now"})
    unit = Line(load_default=None, validate=CODE)


class DispositionRowOut(Schema):
    key = fields.String(
        metadata={"description": "by form: first (第一种形态; second … fourth if ever "
                  "stored), no_problem (经核实无问题), none (no form); by disposition: its code"}
    )  # fmt: skip
    label = fields.String()
    label_en = fields.String()
    form = fields.String(
        metadata={"description": "by disposition only: the by-form row it counts in"}
    )
    count = fields.Integer()
    red = fields.Integer()
    orange = fields.Integer()
    yellow = fields.Integer()


class DispositionStatsOut(Schema):
    start = fields.DateTime(data_key="from")
    end = fields.DateTime(data_key="to")
    total = fields.Integer(metadata={"description": "warnings resolved in the period"})
    dismissed = fields.Integer(metadata={"description": "dismissed in the period (no form)"})
    by_form = fields.List(fields.Nested(DispositionRowOut))
    by_disposition = fields.List(fields.Nested(DispositionRowOut))


@blp.route("/risk-events")
class RiskEvents(MethodView):
    @authenticated
    @documents_errors(blp, 401, 403, 404)
    @blp.arguments(EventArgs, location="query")
    @blp.response(200, EventPage)
    def get(self, args: dict[str, Any]) -> Any:
        """Risk events in the caller's reach (staff: those about their own work)."""
        page = services.list_events(db.session, current_principal(), **args)
        return {"items": services.event_views(db.session, page.items), "total": page.total,
                "limit": page.limit, "offset": page.offset}  # fmt: skip


@blp.route("/risk-events/<int:event_id>")
class RiskEventById(MethodView):
    @authenticated
    @documents_errors(blp, 401, 404)
    @blp.response(200, RiskEventOut)
    def get(self, event_id: int) -> Any:
        event = services.visible_event(db.session, current_principal(), event_id)
        view = services.event_views(db.session, [event])[0]
        view["evidence_explained"] = {
            lang: services.explained_evidence(db.session, event, lang).as_dict()
            for lang in ("zh", "en")
        }
        return _with_follow_ups(view)


def _with_follow_ups(view: dict[str, Any]) -> dict[str, Any]:
    """The talks and findings that follow the warning through (riskctl.supervision),
    combined here: risk's services know nothing of them."""
    found = follow_ups.of_events(db.session, current_principal(), [view["id"]])
    return view | {"follow_ups": found[view["id"]]}


def _answer(event: Any) -> Any:
    db.session.commit()
    return _with_follow_ups(services.event_views(db.session, [event])[0])


@blp.route("/risk-events/<int:event_id>/explain")
class ExplainEvent(MethodView):
    @requires(Action.EXPLAIN_RISK)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    @blp.arguments(ExplainIn)
    @blp.response(200, RiskEventOut)
    def post(self, data: dict[str, Any], event_id: int) -> Any:
        """The handler's explanation (an orange explained in time does not escalate)."""
        return _answer(services.explain(db.session, current_principal(), event_id, data["text"]))


@blp.route("/risk-events/<int:event_id>/acknowledge")
class AcknowledgeEvent(MethodView):
    @requires(Action.HANDLE_RISK)
    @documents_errors(blp, 401, 403, 404, 409)
    @blp.arguments(EmptyIn)
    @blp.response(200, RiskEventOut)
    def post(self, _data: dict[str, Any], event_id: int) -> Any:
        return _answer(services.acknowledge(db.session, current_principal(), event_id))


@blp.route("/risk-events/<int:event_id>/resolve")
class ResolveEvent(MethodView):
    @requires(Action.HANDLE_RISK)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    @blp.arguments(ResolveIn)
    @blp.response(200, RiskEventOut)
    def post(self, data: dict[str, Any], event_id: int) -> Any:
        """Close with a disposition (red: inspectors only); a frozen item runs again.

        谈话提醒, 约谈函询 and 诫勉 plan a talk, 责令整改 enters a finding in the supervision
        ledger (`follow_up` says who, by when; defaults otherwise); the answer's
        `follow_ups` names them.  A `follow_up` problem is a 422 at its path
        (`follow_up.due`): nothing is written, the warning stays open."""
        return _answer(
            services.resolve(
                db.session,
                current_principal(),
                event_id,
                data["disposition"],
                data["note"],
                follow_up=data["follow_up"],
            )
        )


@blp.route("/risk-events/<int:event_id>/dismiss")
class DismissEvent(MethodView):
    @requires(Action.HANDLE_RISK)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    @blp.arguments(DismissIn)
    @blp.response(200, RiskEventOut)
    def post(self, data: dict[str, Any], event_id: int) -> Any:
        return _answer(services.dismiss(db.session, current_principal(), event_id, data["reason"]))


@blp.route("/risk-events/<int:event_id>/opinions")
class EventOpinions(MethodView):
    @authenticated
    @documents_errors(blp, 401, 403, 404)
    @blp.response(200, OpinionOut(many=True))
    def get(self, event_id: int) -> Any:
        """The discipline team leader's opinions (意见), oldest first: for the unit's
        leaders and the inspectors whose scope holds it."""
        return opinions.opinions(db.session, current_principal(), event_id)

    @requires(Action.OPINE_RISK)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    @blp.arguments(OpinionIn)
    @blp.response(201, OpinionOut)
    def post(self, data: dict[str, Any], event_id: int) -> Any:
        """The unit's discipline team leader's opinion on an active warning (a red too),
        for the inspectors; the warning stays as it is (not on their own work)."""
        opinion = opinions.add_opinion(db.session, current_principal(), event_id, data["text"])
        db.session.commit()
        return opinions.view(db.session, opinion)


@blp.route("/scan")
class Scan(MethodView):
    @requires(Action.RUN_SCAN)
    @documents_errors(blp, 401, 403, 409)
    @blp.arguments(ScanIn)
    @blp.response(200, ScanOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Run one risk scan now: `{scanned, raised, updated, closed}`."""
        result = services.scan_now(db.session, current_principal(), full=data["full"])
        db.session.commit()
        return result.as_dict()


@blp.route("/policy")
class PolicyView(MethodView):
    @requires(Action.VIEW_POLICY)
    @documents_errors(blp, 401, 403)
    @blp.response(200, PolicyOut)
    def get(self) -> Any:
        """The policy in force, with every rule's description, defaults and parameters."""
        return services.policy_view(db.session, current_principal())

    @requires(Action.MANAGE_POLICY)
    @documents_errors(blp, 401, 403, 422)
    @blp.arguments(PolicyIn)
    @blp.response(200, PolicyOut)
    def put(self, data: dict[str, Any]) -> Any:
        """A new version: the sections given replace the current ones (rules: per rule
        and setting); every problem is reported with its path; audited."""
        comment = data.pop("comment", None)
        services.save_policy(db.session, current_principal(), data, comment)
        db.session.commit()
        return services.policy_view(db.session, current_principal())


@blp.route("/policy/preview")
class PolicyPreview(MethodView):
    @reads_only
    @requires(Action.PREVIEW_POLICY)
    @documents_errors(blp, 401, 403, 422)
    @blp.arguments(PreviewIn)
    @blp.response(200, PreviewOut)
    def post(self, data: dict[str, Any]) -> Any:
        """What a scan would raise at `at` under `policy` (what-if), or on each day from
        `from` to `to` (back-test, at most 92 days); writes nothing."""
        answer = services.preview(db.session, current_principal(), **data)
        db.session.rollback()
        return answer


@blp.route("/risk-values")
class RiskValues(MethodView):
    @authenticated
    @documents_errors(blp, 401, 403, 404, 422)
    @blp.arguments(RiskValueArgs, location="query")
    @blp.response(200, RiskValuesOut)
    def get(self, args: dict[str, Any]) -> Any:
        """A unit's risk values (风险值, 1–5) on processes, nodes, posts and people."""
        return services.risk_values(db.session, current_principal(), args["unit"])

    @requires(Action.MANAGE_RISK_VALUES)
    @documents_errors(blp, 401, 403, 404, 422)
    @blp.arguments(RiskValueIn)
    @blp.response(200, RiskValueOut)
    def put(self, data: dict[str, Any]) -> Any:
        """Set one risk value; the next scan scores with it."""
        answer = services.set_risk_value(db.session, current_principal(), **data)
        db.session.commit()
        return answer


@blp.route("/stats/risk")
class RiskStats(MethodView):
    @requires(Action.VIEW_STATS)
    @documents_errors(blp, 401, 403, 404, 422)
    @blp.arguments(StatsArgs, location="query")
    @blp.response(200, StatsOut)
    def get(self, args: dict[str, Any]) -> Any:
        """Counts and mean scores of the events raised in a time range, by unit, process,
        node, level, rule or day (风险分时间段查询及统计)."""
        return services.stats(db.session, current_principal(), **args)


@blp.route("/stats/dispositions")
class DispositionStats(MethodView):
    @requires(Action.VIEW_STATS)
    @documents_errors(blp, 401, 403, 404, 422)
    @blp.arguments(DispositionStatsArgs, location="query")
    @blp.response(200, DispositionStatsOut)
    def get(self, args: dict[str, Any]) -> Any:
        """The warnings resolved in a time range, by form (四种形态: 第一种形态 …, and
        经核实无问题) and by disposition, each with its count per level."""
        return statistics.dispositions(db.session, current_principal(), **args)
