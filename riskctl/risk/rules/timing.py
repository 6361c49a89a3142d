"""Lateness (单环节超时, 整体超时), counted in working days of the Chinese calendar."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar

import sqlalchemy as sa

from riskctl.risk.evidence import Explanation, Words, say
from riskctl.risk.facts import ItemFact, ScanData, TaskFact
from riskctl.risk.rules.base import Context, Material, Param, Rule, Signal, grow
from riskctl.workflow.models import Item


class StepOverdue(Rule):
    code = "step_overdue"
    material = (Material("task", "new", "待办任务", "task"),)
    name = "单环节超时"
    name_en = "Step overdue"
    description = "环节超过办理时限仍未办结；严重程度随超时的工作日数增加。"
    description_en = "A step still open past its time limit; severity grows with working days late."
    params: ClassVar[Mapping[str, Param]] = {
        "base": Param(20, "int", "severity on the first day late"),
        "per_working_day": Param(10, "number", "added for each working day late"),
    }
    daily = True

    def collect(self, data: ScanData) -> list[TaskFact]:
        return data.overdue_tasks()

    def evaluate(self, facts: Sequence[TaskFact], ctx: Context) -> list[Signal]:
        signals = []
        for task in facts:
            if task.due_at >= ctx.at:
                continue
            # Due at 24:00 of its last day: that day, not the next, is the one it had.
            last_day = ctx.calendar.local_date(task.due_at - timedelta(microseconds=1))
            late = ctx.calendar.working_days_between(last_day, ctx.today)
            params = ctx.params(task.unit_id)
            signals.append(
                Signal(
                    self.code, task.unit_id,
                    grow(params["base"], params["per_working_day"], late - 1),
                    {"task": task.id, "due_at": task.due_at.isoformat(), "working_days_late": late},
                    item_id=task.item_id, definition_id=task.definition_id, node=task.node,
                    post=task.post, person_id=task.assignee_id,
                )
            )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w, late = words, evidence.get("working_days_late")
        due = w.due(evidence.get("due_at"))
        return Explanation((
            say(w.t("待办任务", "The task "), w.task(evidence.get("task")),
                w.t(f"的办理时限为{due}，已超过{w.days(late, working=True)}仍未办结。",
                    f" was due {due}; it is still open, {w.days(late, working=True)} late.")),
        ))  # fmt: skip


class ItemOverdue(Rule):
    code = "item_overdue"
    name = "整体超时"
    name_en = "Item overdue"
    description = "事项自发起起超过该类业务的整体办理时限（工作日）仍未办结。"
    description_en = "An item still running past the overall limit of its category (working days)."
    params: ClassVar[Mapping[str, Param]] = {
        "limits": Param(
            {"procurement": 60, "construction": 500, "assets": 40, "finance": 20,
             "contract": 60, "major_decision": 30, "other": 30},
            "int_map", "working days by process category; 'other' for the rest",
        ),
        "base": Param(20, "int"),
        "per_working_day": Param(5, "number"),
    }  # fmt: skip
    daily = True

    def collect(self, data: ScanData) -> list[ItemFact]:
        # Working days never outnumber calendar days: an item can be late only once more
        # calendar days than its (smallest) limit have passed since it started.
        from riskctl.process.models import ProcessDefinition

        limits: dict[str, int] = {}
        for given in data.values(self.code, "limits"):
            for category, days in given.items():
                limits[category] = min(days, limits.get(category, days))
        other = limits.pop("other", None)
        category = ProcessDefinition.category
        # The youngest an item can be and still be late, as one range first: what the
        # index on the running items' start can serve (the ways below are per process).
        shortest = min([*limits.values(), *([other] if other is not None else [])], default=None)
        if shortest is None:
            return []
        ways = [
            sa.and_(category == c, Item.started_at < data.scope.at - timedelta(days=d))
            for c, d in limits.items()
        ]
        if other is not None:
            started = Item.started_at < data.scope.at - timedelta(days=other)
            ways.append(sa.and_(category.not_in(sorted(limits) or [""]), started))
        oldest_start = Item.started_at < data.scope.at - timedelta(days=shortest)
        return data.running_items(where=sa.and_(oldest_start, sa.or_(sa.false(), *ways)))

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        signals = []
        for item in facts:
            params = ctx.params(item.unit_id)
            limits = params["limits"]
            limit = limits.get(item.category, limits.get("other"))
            if limit is None:
                continue
            started = item.started_day
            late = ctx.calendar.working_days_between(started, ctx.today) - int(limit)
            if late <= 0:
                continue
            signals.append(
                Signal(
                    self.code, item.unit_id,
                    grow(params["base"], params["per_working_day"], late - 1),
                    {"started_at": item.started_at.isoformat(), "limit_working_days": limit,
                     "working_days_late": late},
                    item_id=item.id, definition_id=item.definition_id,
                    person_id=item.started_by_id,
                )
            )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        started, limit = w.moment(evidence.get("started_at")), evidence.get("limit_working_days")
        late = evidence.get("working_days_late")
        return Explanation((
            say(w.t(f"事项于{started}发起，该类业务的整体办理时限为{w.days(limit, working=True)}，"
                    f"已超出{w.days(late, working=True)}仍未办结。",
                    f"The item started {started}; its category allows "
                    f"{w.days(limit, working=True)} in all, and it is still running, "
                    f"{w.days(late, working=True)} over.")),
        ))  # fmt: skip
