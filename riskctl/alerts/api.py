"""/api/v1 endpoints: the notification log, in-app notifications, silences, the big
screen's snapshot and kiosk tokens, and Twilio's delivery status webhook."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from twilio.request_validator import RequestValidator

from riskctl.alerts import services
from riskctl.alerts.models import Channel, Status
from riskctl.api import documents_errors
from riskctl.api.auth import authenticated, current_principal, requires
from riskctl.auth import kiosk
from riskctl.core.access import Action
from riskctl.core.errors import Forbidden, NotAuthenticated, NotFound
from riskctl.core.inputs import Id, Line, Moment, Text
from riskctl.extensions import db
from riskctl.org.schemas import CODE, EmptyIn, PageArgs, Strict, page_of
from riskctl.risk.models import Level
from riskctl.risk.rules import REGISTRY

blp = Blueprint(
    "alerts", __name__, url_prefix="/api/v1",
    description="Notifications (SMS, in-app, screen), silences, the big screen, SMS callbacks",
)  # fmt: skip


class AlertArgs(PageArgs):
    channel = Line(load_default=None, validate=validate.OneOf([c.value for c in Channel]))
    status = Line(load_default=None, validate=validate.OneOf([s.value for s in Status]))
    event = Id(load_default=None, metadata={"description": "a risk event's id"})


class AttemptOut(Schema):
    backend = fields.String()
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    outcome = fields.String(allow_none=True)
    provider_sid = fields.String(allow_none=True)
    http_status = fields.Integer(allow_none=True)
    error_code = fields.String(allow_none=True)
    error_message = fields.String(allow_none=True)


class AlertOut(Schema):
    id = fields.Integer()
    channel = fields.String()
    kind = fields.String(
        metadata={"description": "raised, escalated, repeat, resolved, summary, digest, watch"}
    )
    status = fields.String()
    level = fields.String(allow_none=True)
    level_label = fields.String(
        allow_none=True, metadata={"description": "what the policy calls the level"}
    )
    unit = fields.String(allow_none=True)
    event_id = fields.Integer(allow_none=True)
    item_id = fields.Integer(allow_none=True)
    recipient = fields.String(allow_none=True)
    recipient_name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True, metadata={"description": "masked"})
    title = fields.String()
    body = fields.String()
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    read_at = fields.DateTime(allow_none=True)
    provider_sid = fields.String(allow_none=True)
    delivery_status = fields.String(
        allow_none=True, metadata={"description": "the furthest status Twilio reported"}
    )
    error_code = fields.String(allow_none=True)
    error_message = fields.String(allow_none=True)
    duplicate_suspected = fields.Boolean(
        metadata={"description": "resent after an unknown outcome: may have arrived twice"}
    )
    attempts = fields.List(fields.Nested(AttemptOut))


AlertPage = page_of(AlertOut, "AlertPage")


class NotificationArgs(PageArgs):
    unread = fields.Boolean(load_default=False)


class NotificationOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    level = fields.String(allow_none=True)
    level_label = fields.String(
        allow_none=True, metadata={"description": "what the policy calls the level"}
    )
    title = fields.String()
    body = fields.String()
    event_id = fields.Integer(allow_none=True)
    item_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class NotificationPage(Schema):
    items = fields.List(fields.Nested(NotificationOut))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()
    unread = fields.Integer(metadata={"description": "the caller's unread count (the bell)"})


class ReadOut(Schema):
    marked = fields.Integer()
    unread = fields.Integer()


class SilenceArgs(Strict):
    active = fields.Boolean(load_default=True)


class MatcherIn(Strict):
    """What a silence mutes: plain values only (a matcher is compared, never queried)."""

    unit = Line(validate=CODE, metadata={"description": "unit code"})
    rule = Line(validate=validate.OneOf(list(REGISTRY)))
    level = Line(validate=validate.OneOf([lv.value for lv in Level]))
    item = Id(strict=True, metadata={"description": "an item's id"})


class SilenceIn(Strict):
    matcher = fields.Nested(
        MatcherIn, required=True,
        metadata={"description": "any of unit (code), rule, level, item (id); all must match"},
    )  # fmt: skip
    starts_at = Moment(load_default=None, metadata={"description": "default: now"})
    ends_at = Moment(required=True)
    reason = Text(required=True, validate=validate.Length(min=1, max=500))


class SilenceOut(Schema):
    id = fields.Integer()
    matcher = fields.Dict()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    reason = fields.String()
    author = fields.String(allow_none=True)
    active = fields.Boolean()
    created_at = fields.DateTime()


class SnapshotOut(Schema):
    generated_at = fields.DateTime()
    seq = fields.Integer(metadata={"description": "apply only pushed events with a later seq"})
    levels = fields.Dict()
    level_labels = fields.Dict(
        metadata={"description": "level → {zh, en} as the policy names them (labels)"}
    )
    orange_used = fields.Boolean(metadata={"description": "false: no orange tile"})
    units = fields.List(fields.Dict())
    trend = fields.List(fields.Dict(), metadata={"description": "raised per day, 30 days"})
    nodes = fields.List(fields.Dict(), metadata={"description": "riskiest process/node"})
    latest_red = fields.List(fields.Dict())
    ticker = fields.List(fields.Dict())
    feed = fields.List(
        fields.Dict(),
        metadata={"description": "the latest warnings of every level, the latest to reach "
                  "its level first (id, seq, level, unit, rule, rule_name, score, status, at)"},
    )  # fmt: skip
    timezone = fields.String(metadata={"description": "the zone of local times on the screen"})
    silences = fields.List(fields.Dict())


class KioskIn(Strict):
    name = Line(required=True, validate=validate.Length(min=1, max=80))


class KioskOut(Schema):
    id = fields.Integer()
    name = fields.String()
    token = fields.String(metadata={"description": "shown once: /screen?token=…"})


@blp.route("/alerts")
class Alerts(MethodView):
    @requires(Action.VIEW_ALERTS)
    @documents_errors(blp, 401, 403, 422)
    @blp.arguments(AlertArgs, location="query")
    @blp.response(200, AlertPage)
    def get(self, args: dict[str, Any]) -> Any:
        """Notifications with delivery status and attempts (phones masked), newest first."""
        return services.list_alerts(
            db.session, current_principal(), channel=args["channel"], status=args["status"],
            event_id=args["event"], limit=args["limit"], offset=args["offset"],
        )  # fmt: skip


@blp.route("/notifications")
class MyNotifications(MethodView):
    @authenticated
    @documents_errors(blp, 401, 422)
    @blp.arguments(NotificationArgs, location="query")
    @blp.response(200, NotificationPage)
    def get(self, args: dict[str, Any]) -> Any:
        """The caller's in-app notifications and unread count (also pushed over Socket.IO)."""
        return services.my_notifications(db.session, current_principal(), **args)


@blp.route("/notifications/<int:notification_id>/read")
class ReadNotification(MethodView):
    @authenticated
    @documents_errors(blp, 401, 404)
    @blp.arguments(EmptyIn)
    @blp.response(200, ReadOut)
    def post(self, _data: dict[str, Any], notification_id: int) -> Any:
        marked = services.mark_read(db.session, current_principal(), notification_id)
        db.session.commit()
        return {"marked": marked, "unread": services.unread_count(db.session, current_principal())}


@blp.route("/notifications/read-all")
class ReadAllNotifications(MethodView):
    @authenticated
    @documents_errors(blp, 401)
    @blp.arguments(EmptyIn)
    @blp.response(200, ReadOut)
    def post(self, _data: dict[str, Any]) -> Any:
        marked = services.mark_read(db.session, current_principal(), None)
        db.session.commit()
        return {"marked": marked, "unread": 0}


@blp.route("/silences")
class Silences(MethodView):
    @requires(Action.VIEW_ALERTS)
    @documents_errors(blp, 401, 403, 422)
    @blp.arguments(SilenceArgs, location="query")
    @blp.response(200, SilenceOut(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Silences over the units in reach (``active=false``: also past and future)."""
        return services.list_silences(db.session, current_principal(), active=args["active"])

    @requires(Action.MANAGE_SILENCES)
    @documents_errors(blp, 401, 403, 422)
    @blp.arguments(SilenceIn)
    @blp.response(201, SilenceOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Mute matching SMS and screen notifications (in-app ones are still written) from
        `starts_at` to `ends_at`; an inspector names a unit of their scope; audited."""
        answer = services.create_silence(db.session, current_principal(), **data)
        db.session.commit()
        return answer


@blp.route("/silences/<int:silence_id>/expire")
class ExpireSilence(MethodView):
    @requires(Action.MANAGE_SILENCES)
    @documents_errors(blp, 401, 403, 404, 409)
    @blp.arguments(EmptyIn)
    @blp.response(200, SilenceOut)
    def post(self, _data: dict[str, Any], silence_id: int) -> Any:
        answer = services.expire_silence(db.session, current_principal(), silence_id)
        db.session.commit()
        return answer


def screen_token() -> str | None:
    """A kiosk's token: a program's header or query, or the kiosk browser's cookie."""
    return (
        request.headers.get("X-Screen-Token") or request.args.get("token") or kiosk.cookie_token()
    )


@blp.route("/screen/snapshot")
class ScreenSnapshot(MethodView):
    @documents_errors(blp, 401, 403)
    @blp.response(200, SnapshotOut)
    @blp.doc(
        parameters=[{"name": "token", "in": "query", "schema": {"type": "string"},
                     "description": "a kiosk token (or the X-Screen-Token header)"}]
    )  # fmt: skip
    def get(self) -> Any:
        """What the big screen shows now (aggregates only).  A kiosk token sees every
        unit; an inspector the units of their scope."""
        token = screen_token()
        if token is not None:
            if services.kiosk_for(db.session, token) is None:
                raise NotAuthenticated(
                    "the screen token is invalid or revoked", code="invalid_token"
                )
            return services.snapshot(db.session, services.screen_reach(None))
        return services.snapshot(db.session, services.screen_reach(current_principal()))


@blp.route("/screens")
class Screens(MethodView):
    @requires(Action.MANAGE_SCREENS)
    @documents_errors(blp, 401, 403, 422)
    @blp.arguments(KioskIn)
    @blp.response(201, KioskOut)
    def post(self, data: dict[str, Any]) -> Any:
        """A kiosk token for a big screen (read-only, aggregates only); shown once."""
        token, kiosk = services.create_kiosk(db.session, current_principal(), data["name"])
        db.session.commit()
        return {"id": kiosk.id, "name": kiosk.name, "token": token}


@blp.route("/webhooks/twilio/status")
class TwilioStatus(MethodView):
    @documents_errors(blp, 403, 404)
    @blp.response(200, Schema.from_dict({"known": fields.Boolean()}, name="CallbackOut"))
    def post(self) -> Any:
        """Twilio's delivery status callback.  The `X-Twilio-Signature` is checked against
        the URL Twilio called (behind a proxy: set RISKCTL_PROXY_HOPS so that the URL is
        rebuilt from X-Forwarded-*); idempotent; the furthest status is kept."""
        token = current_app.config["RISKCTL"].TWILIO_AUTH_TOKEN
        if not token:
            raise NotFound("SMS callbacks are not configured (no Twilio auth token)")
        params = request.form.to_dict()
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(token).validate(request.url, params, signature):
            raise Forbidden("the Twilio signature does not match", code="invalid_signature")
        known = services.apply_delivery_status(
            db.session, params.get("MessageSid", ""), params.get("MessageStatus", ""),
            params.get("ErrorCode"),
        )  # fmt: skip
        db.session.commit()
        return {"known": known}
