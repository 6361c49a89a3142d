"""/api/v1 endpoints for items (事项) and tasks."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from riskctl.api import documents_errors
from riskctl.api.auth import current_principal, requires
from riskctl.controls.api import ControlHitOut
from riskctl.core.access import Action
from riskctl.core.inputs import Line, Moment, Text
from riskctl.extensions import db
from riskctl.org.schemas import CODE, PageArgs, Strict, page_of
from riskctl.risk.api import RiskEventOut
from riskctl.workflow import services
from riskctl.workflow.models import ItemStatus

blp = Blueprint("items", __name__, url_prefix="/api/v1", description="Items, tasks and steps")

FIELDS_HELP = "field values by key; money as a decimal string in yuan, dates as YYYY-MM-DD"


class ItemIn(Strict):
    process = Line(required=True, metadata={"description": "process key"})
    title = Line(required=True, validate=validate.Length(min=1, max=200))
    fields_ = fields.Dict(
        data_key="fields", keys=Line(), load_default=dict,
        metadata={"description": FIELDS_HELP},
    )  # fmt: skip
    comment = Text(load_default=None, validate=validate.Length(max=2000))


class CompleteIn(Strict):
    decision = Line(load_default=None)
    fields_ = fields.Dict(
        data_key="fields", keys=Line(), load_default=dict,
        metadata={"description": FIELDS_HELP},
    )  # fmt: skip
    comment = Text(load_default=None, validate=validate.Length(max=2000))


class CancelIn(Strict):
    reason = Text(required=True, validate=validate.Length(min=1, max=500))


class ItemArgs(PageArgs):
    unit = Line(load_default=None, validate=CODE)
    process = Line(load_default=None)
    status = Line(load_default=None, validate=validate.OneOf([s.value for s in ItemStatus]))
    start = Moment(
        data_key="from", load_default=None, metadata={"description": "started at or after"}
    )
    end = Moment(data_key="to", load_default=None, metadata={"description": "started before"})


class DecisionOut(Schema):
    key = fields.String()
    label = fields.String()


class TaskOut(Schema):
    id = fields.Integer()
    item_id = fields.Integer()
    node = fields.String()
    name = fields.String()
    post = fields.String()
    post_name = fields.String(metadata={"description": "the post's name in the item's unit"})
    status = fields.String()
    due_at = fields.DateTime(allow_none=True)
    assignee = fields.String(allow_none=True)
    opened_at = fields.DateTime()
    decisions = fields.List(fields.Nested(DecisionOut))
    edits = fields.List(fields.String())
    kind = fields.String(
        metadata={"description": "task, or meeting: completed by POST /tasks/{id}/meeting"}
    )


class EarlierStepOut(Schema):
    id = fields.Integer()
    node = fields.String()
    name = fields.String()
    at = fields.DateTime()


class InterestOut(Schema):
    counterparty = fields.String()
    relation = fields.String()
    value = fields.String()


class BarOut(Schema):
    rule = fields.String(metadata={"description": "the block-mode rule's code"})
    name = fields.String(metadata={"description": "the rule's name"})
    earlier = fields.Nested(
        EarlierStepOut, metadata={"description": "an incompatible pair: the caller's earlier step"}
    )
    interest = fields.Nested(
        InterestOut, metadata={"description": "a conflict of interest: the declared relation"}
    )


class MyTaskOut(TaskOut):
    item_title = fields.String()
    process = fields.String()
    process_name = fields.String()
    barred = fields.List(
        fields.Nested(BarOut),
        metadata={"description": "block-mode rules that would refuse the caller completing "
                  "this task now (empty: none would); POST …/complete answers 422"},
    )  # fmt: skip


class StepOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    node = fields.String()
    name = fields.String()
    person = fields.String()
    person_name = fields.String()
    post = fields.String(allow_none=True)
    decision = fields.String(allow_none=True)
    changes = fields.Dict()
    comment = fields.String(allow_none=True)
    at = fields.DateTime()


class ItemSummaryOut(Schema):
    id = fields.Integer()
    process = fields.String()
    process_name = fields.String()
    version = fields.Integer()
    unit = fields.String()
    unit_name = fields.String(allow_none=True)
    title = fields.String()
    status = fields.String()
    revision = fields.Integer()
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)


class ItemOut(ItemSummaryOut):
    fields_ = fields.Dict(data_key="fields", attribute="fields")
    started_by = fields.String()
    started_by_name = fields.String(metadata={"description": "王芳（区财政局·经办人）"})
    cancel_reason = fields.String(allow_none=True)
    tasks = fields.List(fields.Nested(TaskOut))
    steps = fields.List(fields.Nested(StepOut))
    control_hits = fields.List(fields.Nested(ControlHitOut))
    risk_events = fields.List(fields.Nested(RiskEventOut))


ItemPage = page_of(ItemSummaryOut, "ItemPage")
MyTaskPage = page_of(MyTaskOut, "MyTaskPage")


@blp.route("/items")
class Items(MethodView):
    @requires(Action.VIEW_ITEMS)
    @documents_errors(blp, 401, 403)
    @blp.arguments(ItemArgs, location="query")
    @blp.response(200, ItemPage)
    def get(self, args: dict[str, Any]) -> Any:
        """Items the caller may see, newest first, filtered by unit, process, status, time."""
        return services.list_items(db.session, current_principal(), **args)

    @requires(Action.START_ITEMS)
    @documents_errors(blp, 401, 403, 422)
    @blp.arguments(ItemIn)
    @blp.response(201, ItemOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Start an item of a published process in the caller's unit."""
        principal = current_principal()
        outcome = services.start_item(
            db.session, principal, data["process"], data["title"], data["fields_"],
            comment=data["comment"],
        )  # fmt: skip
        db.session.commit()
        return services.item_view(db.session, principal, outcome.item_id)


@blp.route("/items/<int:item_id>")
class ItemById(MethodView):
    @requires(Action.VIEW_ITEMS)
    @documents_errors(blp, 401, 403, 404)
    @blp.response(200, ItemOut)
    def get(self, item_id: int) -> Any:
        """An item with its timeline (steps), open tasks and control hits."""
        return services.item_view(db.session, current_principal(), item_id)


@blp.route("/items/<int:item_id>/cancel")
class CancelItem(MethodView):
    @requires(Action.CANCEL_ITEMS)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    @blp.arguments(CancelIn)
    @blp.response(200, ItemOut)
    def post(self, data: dict[str, Any], item_id: int) -> Any:
        """Cancel a running item, with the reason (admin)."""
        principal = current_principal()
        services.cancel_item(db.session, principal, item_id, data["reason"])
        db.session.commit()
        return services.item_view(db.session, principal, item_id)


@blp.route("/tasks")
class MyTasks(MethodView):
    @requires(Action.WORK_ITEMS)
    @documents_errors(blp, 401, 403)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, MyTaskPage)
    def get(self, args: dict[str, Any]) -> Any:
        """The caller's open tasks (by the posts they hold), soonest due first."""
        return services.my_tasks(db.session, current_principal(), **args)


@blp.route("/tasks/<int:task_id>/complete")
class CompleteTask(MethodView):
    @requires(Action.WORK_ITEMS)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    @blp.arguments(CompleteIn)
    @blp.response(200, ItemOut)
    def post(self, data: dict[str, Any], task_id: int) -> Any:
        """Complete a task and advance its item.

        403 `not_your_post`; 409 `task_not_open` or `stale_revision`; 422
        `incompatible_posts` (block-mode rule; `details` name the rule and the earlier
        step) or `conflict_of_interest`: refusals are recorded as control hits."""
        principal = current_principal()
        outcome = services.complete_task(
            db.session, principal, task_id, decision=data["decision"], values=data["fields_"],
            comment=data["comment"],
        )  # fmt: skip
        db.session.commit()
        return services.item_view(db.session, principal, outcome.item_id)
