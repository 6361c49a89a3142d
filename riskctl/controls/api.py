"""/api/v1 endpoints for control rules, mitigations, control hits and the calendar."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from riskctl.api import documents_errors
from riskctl.api.auth import authenticated, current_principal, requires
from riskctl.controls import services
from riskctl.controls.models import ControlKind, ControlMode, HitOutcome
from riskctl.core import calendar_store
from riskctl.core.access import Action
from riskctl.core.errors import NotFound
from riskctl.core.inputs import Day, Id, InputProblem, Line, day
from riskctl.extensions import db
from riskctl.org.models import Person, Unit
from riskctl.org.schemas import CODE, POST_CODE, USERNAME, PageArgs, Strict, page_of
from riskctl.org.services import visible_unit

blp = Blueprint(
    "controls", __name__, url_prefix="/api/v1",
    description="Incompatible posts, mitigations, control hits, working calendar",
)  # fmt: skip


class PairIn(Strict):
    posts = fields.List(Line(validate=POST_CODE), required=True, validate=validate.Length(equal=2))
    mode = Line(required=True, validate=validate.OneOf([m.value for m in ControlMode]))
    name = Line(load_default=None, validate=validate.Length(max=200))
    basis = Line(
        load_default=None, validate=validate.Length(max=500),
        metadata={"description": "the law, standard or rule the pair rests on (absent: kept)"},
    )  # fmt: skip


class PairOut(Schema):
    posts = fields.Function(lambda p: [p.post_a, p.post_b])
    mode = fields.Function(lambda p: p.mode.value)
    name = fields.String()
    basis = fields.String()
    rule = fields.String()
    unit_specific = fields.Boolean()


class MitigationIn(Strict):
    unit = Line(required=True, validate=CODE)
    rule = Line(
        required=True,
        validate=validate.Length(min=3, max=120),
        metadata={"description": "posts:a~b, conflict_of_interest, or <process>:<rule code>"},
    )
    person = Line(load_default=None, validate=USERNAME)
    name = Line(required=True, validate=validate.Length(min=2, max=200))
    approver = Line(required=True, validate=USERNAME)
    valid_from = Day(required=True)
    valid_to = Day(required=True)


class MitigationOut(Schema):
    id = fields.Integer()
    unit = fields.Function(lambda m: _unit_code(m.unit_id))
    rule = fields.String()
    person = fields.Function(lambda m: _username(m.person_id))
    name = fields.String()
    approver = fields.Function(lambda m: _username(m.approver_id))
    valid_from = fields.Date()
    valid_to = fields.Date()
    created_at = fields.DateTime()


def _unit_code(unit_id: int) -> str | None:
    return db.session.scalar(sa.select(Unit.code).where(Unit.id == unit_id))


def _username(person_id: int | None) -> str | None:
    if person_id is None:
        return None
    return db.session.scalar(sa.select(Person.username).where(Person.id == person_id))


class HitArgs(PageArgs):
    unit = Line(load_default=None, validate=CODE)
    item_id = Id(data_key="item", load_default=None)
    kind = Line(load_default=None, validate=validate.OneOf([k.value for k in ControlKind]))
    outcome = Line(load_default=None, validate=validate.OneOf([o.value for o in HitOutcome]))


class ControlHitOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    rule = fields.String()
    rule_name = fields.String()
    mode = fields.String()
    outcome = fields.String()
    unit = fields.String()
    person = fields.String(allow_none=True)
    item_id = fields.Integer(allow_none=True)
    node = fields.String(allow_none=True)
    step_id = fields.Integer(allow_none=True)
    earlier_step_id = fields.Integer(allow_none=True)
    mitigation_id = fields.Integer(allow_none=True)
    evidence = fields.Dict()
    at = fields.DateTime()


class OverrideIn(Strict):
    is_working = fields.Boolean(required=True)
    reason = Line(required=True, validate=validate.Length(min=1, max=200))


class OverrideArgs(Strict):
    start = Day(data_key="from", load_default=None)
    end = Day(data_key="to", load_default=None)


class OverrideOut(Schema):
    day = fields.Date()
    is_working = fields.Boolean()
    reason = fields.String()
    created_at = fields.DateTime()


MitigationPage = page_of(MitigationOut, "MitigationPage")
HitPage = page_of(ControlHitOut, "ControlHitPage")


@blp.route("/units/<code>/incompatible-posts")
class UnitPostPairs(MethodView):
    @authenticated
    @documents_errors(blp, 401, 404)
    @blp.response(200, PairOut(many=True))
    def get(self, code: str) -> Any:
        """The unit's incompatible post pairs: platform defaults and its own."""
        unit = visible_unit(db.session, current_principal(), code)
        return services.post_pairs(db.session, unit.id)

    @requires(Action.MANAGE_CONTROLS)
    @documents_errors(blp, 401, 403, 404, 422)
    @blp.arguments(PairIn)
    @blp.response(201, PairOut(many=True))
    def post(self, data: dict[str, Any], code: str) -> Any:
        """Add or change a pair for the unit (mode `off` switches a default off)."""
        services.set_post_pair(db.session, current_principal(), code, data)
        db.session.commit()
        unit = visible_unit(db.session, current_principal(), code)
        return services.post_pairs(db.session, unit.id)


@blp.route("/mitigations")
class Mitigations(MethodView):
    @requires(Action.VIEW_CONTROLS)
    @documents_errors(blp, 401, 403)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, MitigationPage)
    def get(self, args: dict[str, Any]) -> Any:
        return services.list_mitigations(db.session, current_principal(), **args)

    @requires(Action.MANAGE_CONTROLS)
    @documents_errors(blp, 401, 403, 422)
    @blp.arguments(MitigationIn)
    @blp.response(201, MitigationOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Record a compensating control that turns a flag-mode rule's hits into mitigated
        hits, for one person or the whole unit, over at most a year."""
        row = services.create_mitigation(db.session, current_principal(), data)
        db.session.commit()
        return row


@blp.route("/control-hits")
class ControlHits(MethodView):
    @requires(Action.VIEW_CONTROLS)
    @documents_errors(blp, 401, 403, 404)
    @blp.arguments(HitArgs, location="query")
    @blp.response(200, HitPage)
    def get(self, args: dict[str, Any]) -> Any:
        """Every control hit — refused, flagged, mitigated — newest first."""
        return services.list_hits(db.session, current_principal(), **args)


@blp.route("/calendar/overrides")
class CalendarOverrides(MethodView):
    @authenticated
    @documents_errors(blp, 401)
    @blp.arguments(OverrideArgs, location="query")
    @blp.response(200, OverrideOut(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Dates an administrator declared working days or days off."""
        return calendar_store.list_overrides(db.session, start=args["start"], end=args["end"])


@blp.route("/calendar/overrides/<day>")
class CalendarOverride(MethodView):
    @requires(Action.MANAGE_CALENDAR)
    @documents_errors(blp, 401, 403, 404, 422)
    @blp.arguments(OverrideIn)
    @blp.response(200, OverrideOut)
    def put(self, data: dict[str, Any], day: str) -> Any:
        """Declare a date a working day or a day off (wins over the holidays package)."""
        row = calendar_store.set_override(
            db.session, current_principal(), _day(day), is_working=data["is_working"],
            reason=data["reason"],
        )  # fmt: skip
        db.session.commit()
        return row

    @requires(Action.MANAGE_CALENDAR)
    @documents_errors(blp, 401, 403, 404)
    @blp.response(204)
    def delete(self, day: str) -> Any:
        calendar_store.remove_override(db.session, current_principal(), _day(day))
        db.session.commit()
        return None


def _day(text: str) -> date:
    try:
        return day(text)
    except InputProblem as exc:
        raise NotFound(
            _l("'%(day)s': %(problem)s", day=text, problem=exc.message), code="not_found"
        ) from None
