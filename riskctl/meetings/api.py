"""/api/v1 endpoints for meetings: the record form of a meeting task, recording the
meeting (which completes the task), and an item's meetings (read-only)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from riskctl.api import documents_errors
from riskctl.api.auth import current_principal, requires
from riskctl.core.access import Action
from riskctl.core.inputs import Day, Line, Text
from riskctl.extensions import db
from riskctl.meetings import services
from riskctl.meetings.spec import VIEWS
from riskctl.org.schemas import Strict
from riskctl.workflow import services as workflow
from riskctl.workflow.api import ItemOut

blp = Blueprint(
    "meetings", __name__, url_prefix="/api/v1", description="Collective-decision meetings"
)


class MeetingRecusalIn(Strict):
    person = Line(required=True, metadata={"description": "username of a member expected"})
    reason = Line(required=True, validate=validate.Length(min=1, max=200))


class MeetingViewIn(Strict):
    person = Line(required=True, metadata={"description": "username of a member present"})
    view = Line(required=True, validate=validate.OneOf(VIEWS))
    text = Text(load_default="", validate=validate.Length(max=2000))


class MeetingIn(Strict):
    held_on = Day(required=True)
    topics_sent_on = Day(load_default=None, allow_none=True)
    present = fields.List(Line(), required=True, metadata={"description": "members present"})
    recused = fields.List(fields.Nested(MeetingRecusalIn), load_default=list)
    views = fields.List(
        fields.Nested(MeetingViewIn), load_default=list,
        metadata={"description": "each member's view, in speaking order"},
    )  # fmt: skip
    observers_present = fields.List(Line(), load_default=list)
    minutes = Text(required=True, validate=validate.Length(min=1, max=20000))
    decision = Line(
        load_default=None, allow_none=True,
        metadata={"description": "when the meeting did not approve: reject or return (缓议)"},
    )  # fmt: skip


class MeetingPersonOut(Schema):
    person = fields.String()
    name = fields.String()
    is_chair = fields.Boolean()


class MeetingFormOut(Schema):
    task = fields.Integer()
    item_id = fields.Integer()
    node = fields.String()
    name = fields.String()
    quorum = fields.String()
    quorum_label = fields.String()
    expected = fields.Integer()
    quorum_needed = fields.Integer()
    votes_needed = fields.Integer()
    members = fields.List(fields.Nested(MeetingPersonOut))
    observers = fields.List(fields.Nested(MeetingPersonOut))
    decisions = fields.List(fields.String())


class MeetingMemberOut(Schema):
    person = fields.String()
    name = fields.String()
    post = fields.String()
    is_chair = fields.Boolean()
    is_present = fields.Boolean()
    is_recused = fields.Boolean()
    recusal_reason = fields.String(allow_none=True)


class MeetingObserverOut(Schema):
    person = fields.String()
    name = fields.String()
    post = fields.String()
    is_present = fields.Boolean()


class MeetingViewOut(Schema):
    person = fields.String()
    name = fields.String()
    order = fields.Integer()
    view = fields.String()
    view_label = fields.String()
    text = fields.String(allow_none=True)
    is_chair = fields.Boolean()


class MeetingDissentOut(Schema):
    person = fields.String()
    name = fields.String()
    view = fields.String()
    text = fields.String(allow_none=True)


class MeetingOut(Schema):
    id = fields.Integer()
    item_id = fields.Integer()
    task_id = fields.Integer()
    step_id = fields.Integer()
    node = fields.String()
    held_on = fields.Date()
    topics_sent_on = fields.Date(allow_none=True)
    quorum = fields.String()
    expected = fields.Integer()
    present = fields.Integer()
    taking_part = fields.Integer()
    votes_for = fields.Integer()
    outcome = fields.String()
    outcome_label = fields.String()
    decision = fields.String(allow_none=True)
    minutes = fields.String()
    recorded_by = fields.String()
    recorded_at = fields.DateTime()
    members = fields.List(fields.Nested(MeetingMemberOut))
    observers = fields.List(fields.Nested(MeetingObserverOut))
    views = fields.List(fields.Nested(MeetingViewOut))
    dissent = fields.List(fields.Nested(MeetingDissentOut))


class MeetingList(Schema):
    items = fields.List(fields.Nested(MeetingOut))


class MeetingRecorded(Schema):
    item = fields.Nested(ItemOut)
    meeting = fields.Nested(MeetingOut)


@blp.route("/tasks/<int:task_id>/meeting")
class TaskMeeting(MethodView):
    @requires(Action.WORK_ITEMS)
    @documents_errors(blp, 401, 403, 404, 422)
    @blp.response(200, MeetingFormOut)
    def get(self, task_id: int) -> Any:
        """What recording this meeting needs: members expected today, chair, observer,
        quorum and the votes that carry it."""
        return services.meeting_form(db.session, current_principal(), task_id)

    @requires(Action.WORK_ITEMS)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    @blp.arguments(MeetingIn)
    @blp.response(200, MeetingRecorded)
    def post(self, data: dict[str, Any], task_id: int) -> Any:
        """Record the meeting of a meeting task and complete the task.

        The members expected come from the unit's posts on `held_on`; the outcome is
        counted on them (赞成票超过应到会成员半数) and gives the node's decision.  403
        `not_your_post`; 409 `task_not_open`; 422 with every problem of the record."""
        principal = current_principal()
        outcome, meeting_id = services.record_meeting(db.session, principal, task_id, data)
        db.session.commit()
        item = workflow.item_view(db.session, principal, outcome.item_id)
        meetings = services.meetings_of_item(db.session, principal, outcome.item_id)
        return {"item": item, "meeting": next(m for m in meetings if m["id"] == meeting_id)}


@blp.route("/items/<int:item_id>/meetings")
class ItemMeetings(MethodView):
    @requires(Action.VIEW_ITEMS)
    @documents_errors(blp, 401, 403, 404)
    @blp.response(200, MeetingList)
    def get(self, item_id: int) -> Any:
        """The meetings recorded on an item, oldest first (read-only)."""
        return {"items": services.meetings_of_item(db.session, current_principal(), item_id)}
