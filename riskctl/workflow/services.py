"""Items and tasks: load, call the pure engine, check the controls, persist — one
transaction per action.

The step path (``complete_task``) is the hottest write of the platform, so it runs on
prebuilt Core statements (building a statement costs more than executing it on SQLite)
and reads what it needs in one round trip: the task with its item, the item's open
tasks, whether the caller holds the task's post, which nodes of the item the caller has
done and whether they declared any interest.  The caller's earlier steps and declarations
are read only when that says a rule may fire.  A step then writes: the item under its
revision, the task closed, the step, the next task(s) and the audit record.  On SQLite
those are five statements on the driver's own cursor (``riskctl.core.prepared``); on
PostgreSQL, where each statement is a round trip, they are one data-modifying statement
(``_step_in_one_statement``), the step's id drawn from its sequence by the load.

Concurrency is optimistic: every write to an item is ``UPDATE item … WHERE revision =
<the revision read>``.  Of two people completing one task at once exactly one update
matches; the other finds the task closed on its retry and gets 409.  Completions of
*different* open tasks of one item (parallel branches) retry and both land.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import ARRAY

from riskctl.controls import services as controls
from riskctl.controls.models import ControlKind, ControlMode, HitOutcome
from riskctl.core import audit
from riskctl.core.access import Action, Principal, can, require, visible_units
from riskctl.core.calendar_store import local_date, working_calendar
from riskctl.core.clock import utcnow
from riskctl.core.db import DbSession
from riskctl.core.errors import Conflict, Forbidden, Joined, NotFound, Refused, ValidationFailed
from riskctl.core.listing import Page, unit_filter
from riskctl.core.prepared import Prepared
from riskctl.meetings.spec import Tally
from riskctl.org.models import ConflictOfInterest, Person, Post, PostAssignment, Unit
from riskctl.org.services import filter_unit, person_labels, person_names, post_names
from riskctl.process.conditions import Problem
from riskctl.process.definition import Definition, NodeSpec
from riskctl.process.models import ProcessDefinition, ProcessStatus
from riskctl.process.services import Published, latest_published, published_by_id
from riskctl.workflow import engine
from riskctl.workflow.models import Item, ItemStatus, Step, StepKind, Task, TaskStatus
from riskctl.workflow.rule_fields import rule_fields

ATTEMPTS = 3  # optimistic retries when another branch of the item moved first

_item = cast(sa.Table, Item.__table__)
_task = cast(sa.Table, Task.__table__)
_step = cast(sa.Table, Step.__table__)
_assignment = cast(sa.Table, PostAssignment.__table__)
_post = cast(sa.Table, Post.__table__)
_coi = cast(sa.Table, ConflictOfInterest.__table__)

_holds_post = (
    sa.select(sa.literal(1))
    .select_from(_assignment.join(_post, _post.c.id == _assignment.c.post_id))
    .where(
        _assignment.c.person_id == sa.bindparam("person"),
        _post.c.unit_id == _item.c.unit_id,
        _post.c.code == _task.c.post,
        _assignment.c.valid_from <= sa.bindparam("day"),
        sa.or_(_assignment.c.valid_to.is_(None), _assignment.c.valid_to >= sa.bindparam("day")),
    )
    .exists()
)
_steps_of_caller = sa.alias(_step, "mine")
_my_nodes = (
    sa.select(sa.func.aggregate_strings(_steps_of_caller.c.node, ","))
    .where(
        _steps_of_caller.c.item_id == _item.c.id,
        _steps_of_caller.c.person_id == sa.bindparam("person"),
    )
    .scalar_subquery()
)
_declares = sa.select(_coi.c.id).where(_coi.c.person_id == sa.bindparam("person")).exists()

# The task, its item, every open task of that item, and what the controls need to know
# about the caller (holds the post? which nodes of this item done? declared interests?),
# in one round trip: a step is a handful of statements, and each one costs.
_LOAD = (
    sa.select(
        _task.c.id,
        _task.c.node,
        _task.c.post,
        _task.c.status,
        _item.c.id.label("item_id"),
        _item.c.unit_id,
        _item.c.definition_id,
        _item.c.status.label("item_status"),
        _item.c.revision,
        _item.c.fields,
        _item.c.joins,
        _holds_post.label("holds_post"),
        _my_nodes.label("my_nodes"),
        _declares.label("declares"),
    )
    .join(_item, _item.c.id == _task.c.item_id)
    .where(
        _task.c.item_id
        == sa.select(_task.c.item_id).where(_task.c.id == sa.bindparam("task")).scalar_subquery(),
        sa.or_(_task.c.status == TaskStatus.OPEN, _task.c.id == sa.bindparam("task")),
    )
)
# PostgreSQL: the same, and the id the step will get, drawn from its sequence once per
# load (an uncorrelated subquery runs once), so that the audit record's digest, which
# covers the step id, is computed before the writes go out in one statement.
_LOAD_PG = _LOAD.add_columns(
    sa.select(sa.func.nextval(sa.func.pg_get_serial_sequence("step", "id")))
    .scalar_subquery()
    .label("step_id")
)
_POSTS = (
    sa.select(_post.c.code)
    .join(_assignment, _assignment.c.post_id == _post.c.id)
    .where(
        _assignment.c.person_id == sa.bindparam("person"),
        _assignment.c.valid_from <= sa.bindparam("day"),
        sa.or_(_assignment.c.valid_to.is_(None), _assignment.c.valid_to >= sa.bindparam("day")),
    )
)
_MY_STEPS = (
    sa.select(_step.c.id, _step.c.node, _step.c.at)
    .where(_step.c.item_id == sa.bindparam("item"), _step.c.person_id == sa.bindparam("person"))
    .order_by(_step.c.id)  # oldest first: a pair names the latest earlier step
)
_DECLARED = sa.select(_coi.c.counterparty, _coi.c.relation).where(
    _coi.c.person_id == sa.bindparam("person")
)
_UPDATE_ITEM = (
    sa.update(_item)
    .where(_item.c.id == sa.bindparam("b_item"), _item.c.revision == sa.bindparam("b_revision"))
    .values(revision=_item.c.revision + 1)
)
_CLOSE_TASK = sa.update(_task).where(
    _task.c.id == sa.bindparam("b_task"), _task.c.status == TaskStatus.OPEN
)
_CLOSE_LEFTOVERS = sa.update(_task).where(
    _task.c.item_id == sa.bindparam("b_item"),
    _task.c.status == TaskStatus.OPEN,
    _task.c.node.in_(sa.bindparam("b_nodes", expanding=True)),
)
_INSERT_ITEM = sa.insert(_item).returning(_item.c.id)
_INSERT_STEP = sa.insert(_step).returning(_step.c.id)
_INSERT_TASK = sa.insert(_task).returning(_task.c.id)
# The step path's statements on SQLite's own cursor (``riskctl.core.prepared``: there
# SQLAlchemy's execution layer costs more than SQLite), through SQLAlchemy elsewhere.
_LOAD_Q = Prepared(_LOAD)
_LOAD_PG_Q = Prepared(_LOAD_PG)
_UPDATE_ITEM_Q = Prepared(_UPDATE_ITEM)
_CLOSE_TASK_Q = Prepared(_CLOSE_TASK)
_INSERT_STEP_Q = Prepared(_INSERT_STEP)
_INSERT_TASK_Q = Prepared(_INSERT_TASK)


def _item_written(advance: engine.Advance, now: datetime) -> dict[str, Any]:
    """The item columns a step writes, in one place: whatever else is derived from the
    data belongs here too, so that it lands in the same UPDATE under the revision."""
    fields = dict(advance.state.fields)
    return {
        "fields": fields,
        "status": ItemStatus(advance.state.status),
        "joins": dict(advance.state.joins),
        "updated_at": now,
        "ended_at": now if advance.ended else None,
        **rule_fields(fields),  # the typed copy the risk scan reads
    }


_STEP_COLUMNS = ("id", "task_id", "kind", "node", "person_id", "post", "decision", "changes",
                 "comment", "at")  # fmt: skip
_ONE_STATEMENT: dict[tuple[tuple[str, ...], int, bool], sa.Select[Any]] = {}


def _step_in_one_statement(
    item_columns: tuple[str, ...], opened: int, cancels: bool
) -> sa.Select[Any]:
    """A step's writes as one data-modifying statement (PostgreSQL): the item updated
    under its revision, the task closed, the leftovers cancelled, the step, the next
    tasks and the audit record inserted — each only if the item update matched, so a
    stale revision writes nothing.  On loopback each statement is a round trip of
    ~110-165 µs, and the five writes were five of them.  Answers how many item rows
    moved, how many tasks closed and the new tasks' ids; built once per shape."""
    key = (item_columns, opened, cancels)
    found = _ONE_STATEMENT.get(key)
    if found is not None:
        return found

    def bound(table: sa.Table, prefix: str, name: str, value: Any = None) -> Any:
        return sa.bindparam(prefix + name, value, type_=table.c[name].type)

    now = bound(_task, "b_", "opened_at")
    moved = (
        _UPDATE_ITEM.values({name: bound(_item, "i_", name) for name in item_columns})
        .returning(_item.c.id)
        .cte("moved")
    )
    closed = (
        sa.update(_task)
        .where(
            _task.c.id == sa.bindparam("b_task"),
            _task.c.item_id == moved.c.id,
            _task.c.status == TaskStatus.OPEN,
        )
        .values(
            status=bound(_task, "t_", "status", TaskStatus.COMPLETED),
            closed_at=now,
            closed_by_id=bound(_task, "b_", "closed_by_id"),
        )
        .returning(_task.c.id)
        .cte("closed")
    )
    writes: list[Any] = []
    if cancels:
        # Not the completed task (another part of this statement closes it), and not the
        # tasks opened below: every part sees the rows as they were before the statement.
        writes.append(
            sa.update(_task)
            .where(
                _task.c.item_id == moved.c.id,
                _task.c.status == TaskStatus.OPEN,
                _task.c.id != sa.bindparam("b_task"),
                _task.c.node == sa.any_(sa.bindparam("b_nodes", type_=ARRAY(sa.String))),
            )
            .values(status=bound(_task, "x_", "status", TaskStatus.CANCELLED), closed_at=now)
            .cte("leftovers")
        )
    writes.append(
        sa.insert(_step)
        .from_select(
            ["item_id", *_STEP_COLUMNS],
            sa.select(moved.c.id, *(bound(_step, "s_", name) for name in _STEP_COLUMNS)),
        )
        .cte("step")
    )
    writes.append(audit.insert_from(moved, "a_").cte("record"))
    is_open = bound(_task, "n_", "status", TaskStatus.OPEN)
    tasks = [
        sa.insert(_task)
        .from_select(
            ["item_id", "node", "post", "status", "due_at", "opened_at"],
            sa.select(
                moved.c.id,
                bound(_task, f"n{i}_", "node"),
                bound(_task, f"n{i}_", "post"),
                is_open,
                bound(_task, f"n{i}_", "due_at"),
                now,
            ),
        )
        .returning(_task.c.id)
        .cte(f"opened_{i}")
        for i in range(opened)
    ]
    statement = sa.select(
        sa.select(sa.func.count()).select_from(moved).scalar_subquery().label("moved"),
        sa.select(sa.func.count()).select_from(closed).scalar_subquery().label("closed"),
        *(sa.select(t.c.id).scalar_subquery().label(f"task_{i}") for i, t in enumerate(tasks)),
    ).add_cte(*writes)
    _ONE_STATEMENT[key] = statement
    return statement


@dataclass(frozen=True)
class Actor:
    """Who acts, with the posts they hold today."""

    principal: Principal
    posts: frozenset[str]


def actor_for(session: DbSession, principal: Principal, day: date | None = None) -> Actor:
    rows = session.connection().execute(
        _POSTS, {"person": principal.person_id, "day": day or local_date()}
    )
    return Actor(principal, frozenset(r[0] for r in rows))


@dataclass(frozen=True)
class Outcome:
    """What an action did (enough for the caller to answer without reloading)."""

    item_id: int
    status: str
    revision: int
    step_id: int
    opened: tuple[tuple[int, str], ...]  # (task id, node)
    flagged: tuple[Flagged, ...] = ()  # flag-mode hits recorded with the step


# ---------------------------------------------------------------- controls


@dataclass(frozen=True)
class Finding:
    """A control rule that a person doing a node of an item touches, not yet recorded:
    the hit as ``controls.record_hit`` takes it, with what the person is told."""

    code: str  # the process's rule code (``accept~store``) or ``conflict_of_interest``
    hit: dict[str, Any]
    earlier: dict[str, Any] | None = None  # a pair: the person's earlier step {id, node, name, at}
    interest: tuple[str, str, str] | None = None  # (declared counterparty, relation, item value)

    @property
    def blocks(self) -> bool:
        return self.hit["mode"] is ControlMode.BLOCK

    def reason(self) -> dict[str, Any]:
        """The rule as the pages explain it (the shape of ``views.refusal_reasons``)."""
        found: dict[str, Any] = {"rule": self.code, "name": self.hit["rule_name"]}
        if self.earlier is not None:
            found["earlier"] = self.earlier
        if self.interest is not None:
            counterparty, relation, value = self.interest
            found["interest"] = {"counterparty": counterparty, "relation": relation, "value": value}
        return found

    def details(self) -> list[dict[str, Any]]:
        """The refusal's details (api.md): the rule, then the earlier step of a pair."""
        found: list[dict[str, Any]] = [
            {"path": "rule", "rule": self.code, "message": self.hit["rule_name"]}
        ]
        if self.earlier is not None:
            step = self.earlier
            found.append(
                {"path": "step", "step": step,
                 "message": _l("earlier step %(step)s at %(node)s", step=step["id"],
                               node=step["node"])}
            )  # fmt: skip
        return found

    def refusal(self, node: NodeSpec, zone: Any) -> Any:
        """Why the step is refused, in the reader's words (put into words when read)."""
        if self.interest is not None:
            counterparty, relation, value = self.interest
            return _l(
                "Conflict of interest: you declared a relation (%(relation)s) to "
                "%(counterparty)s, so you may not do %(node)s where it concerns %(value)s.",
                relation=relation, counterparty=counterparty, value=value, node=node.name,
            )  # fmt: skip
        assert self.earlier is not None
        step, at = self.earlier, self.earlier["at"]
        local = at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        return _l(
            "Incompatible posts: one person may not do both %(earlier)s and %(node)s (rule "
            "%(rule)s: %(rule_name)s); you did %(earlier)s at %(at)s (step %(step)s).",
            earlier=step["name"], node=node.name, rule=self.code,
            rule_name=self.hit["rule_name"], at=local, step=step["id"],
        )  # fmt: skip


@dataclass(frozen=True)
class Flagged:
    """A flag-mode hit recorded with a step: the step was done, and the person is told."""

    hit_id: int
    outcome: str  # flagged | mitigated
    reason: dict[str, Any]  # as ``Finding.reason``


def findings(
    published: Published,
    node: NodeSpec,
    mine: Sequence[Mapping[Any, Any]],
    declared: Sequence[tuple[str, str]],
    fields: Mapping[str, Any],
    task_id: int | None,
) -> list[Finding]:
    """The rules a person touches doing ``node`` of an item: the dynamic pairs with their
    earlier steps of the item (``mine``: id, node, at, oldest first) and the conflicts of
    interest between what they declared and the item's counterparty.  Pure: the caller
    reads, records and refuses."""
    definition = published.definition
    found: list[Finding] = []
    for rule, other in definition.rules_by_node.get(node.key, ()):
        earlier = [s for s in mine if s["node"] == other]
        if not earlier:
            continue
        last = earlier[-1]
        spec = definition.node_map[other]
        hit = {
            "kind": ControlKind.DYNAMIC,
            "rule": controls.process_rule(published.key, rule.code),
            "rule_name": rule.name,
            "mode": ControlMode(rule.mode),
            "node": node.key,
            "earlier_step_id": last["id"],
            "evidence": {
                "process": published.key,
                "version": published.version,
                "rule": rule.code,
                "nodes": list(rule.nodes),
                "earlier_step": last["id"],
                "task": task_id,
            },
        }
        step = {"id": last["id"], "node": spec.key, "name": spec.name, "at": last["at"]}
        found.append(Finding(rule.code, hit, earlier=step))
    if definition.conflict_of_interest == "off" or not declared:
        return found
    counterparties = [
        str(fields[k]) for k in definition.counterparty_fields if fields.get(k) not in (None, "")
    ]
    for counterparty, relation, value in controls.interest_matches(declared, counterparties):
        hit = {
            "kind": ControlKind.CONFLICT_OF_INTEREST,
            "rule": controls.COI_RULE,
            "rule_name": f"利益冲突：与「{counterparty}」存在{relation}关系",
            "mode": ControlMode(definition.conflict_of_interest),
            "node": node.key,
            "earlier_step_id": None,
            "evidence": {
                "declared": counterparty,
                "relation": relation,
                "item_value": value,
                "task": task_id,
            },
        }
        found.append(Finding(controls.COI_RULE, hit, interest=(counterparty, relation, value)))
    return found


def _check_controls(
    session: DbSession,
    published: Published,
    node: NodeSpec,
    person: int,
    unit_id: int,
    item_id: int | None,
    fields: Mapping[str, Any],
    task_id: int | None,
    *,
    my_nodes: frozenset[str] | None = None,
    declares: bool | None = None,
) -> list[Finding]:
    """Dynamic pairs and conflicts of interest for ``person`` doing ``node``.

    A block-mode hit is recorded (hit + audit) and refused with 422; flag-mode hits are
    returned to be recorded with the step they accompany."""
    definition = published.definition
    conn = session.connection()
    pairs = definition.rules_by_node.get(node.key, ())
    if my_nodes is not None:  # known from the load: look closer only on a likely hit
        pairs = tuple((rule, other) for rule, other in pairs if other in my_nodes)
    mine: list[Mapping[Any, Any]] = []
    if pairs and item_id is not None:
        mine = [r._mapping for r in conn.execute(_MY_STEPS, {"item": item_id, "person": person})]
    declared: list[tuple[str, str]] = []
    if (
        definition.counterparty_fields
        and definition.conflict_of_interest != "off"
        and declares is not False
        and any(fields.get(k) not in (None, "") for k in definition.counterparty_fields)
    ):
        declared = [(r[0], r[1]) for r in conn.execute(_DECLARED, {"person": person})]
    found = findings(published, node, mine, declared, fields, task_id)
    refusals = [f for f in found if f.blocks]
    if refusals:
        for finding in refusals:
            controls.record_hit(
                session,
                outcome=HitOutcome.REFUSED,
                unit_id=unit_id,
                person_id=person,
                item_id=item_id,
                **finding.hit,
            )
        audit.record(
            session,
            "task.refused",
            target_type="item",
            target_id=item_id,
            unit_id=unit_id,
            after={"task": task_id, "node": node.key, "rules": [f.hit["rule"] for f in refusals]},
        )
        zone = working_calendar(session).zone
        code = (
            "conflict_of_interest"
            if refusals[0].hit["kind"] is ControlKind.CONFLICT_OF_INTEREST
            else "incompatible_posts"
        )
        raise Refused(
            Joined([f.refusal(node, zone) for f in refusals], " "),
            code=code,
            details=[d for f in refusals for d in f.details()],
        )
    return found


def bars(
    session: DbSession, person: int, tasks: Sequence[tuple[int, int, NodeSpec, Published, Any]]
) -> dict[int, list[dict[str, Any]]]:
    """For each (task, item, node, published version, item fields): the block-mode rules
    that would refuse ``person`` completing it now, as ``Finding.reason`` — the checks of
    ``complete_task`` on what is stored (nothing recorded).  Two queries for any number
    of tasks: the person's steps on those items and their declared interests."""
    wanted = [t for t in tasks if _may_block(t[3].definition, t[2])]
    if not wanted:
        return {}
    conn = session.connection()
    mine: dict[int, list[Mapping[Any, Any]]] = {}
    if any(t[3].definition.rules_by_node.get(t[2].key) for t in wanted):
        rows = conn.execute(
            sa.select(_step.c.item_id, _step.c.id, _step.c.node, _step.c.at)
            .where(
                _step.c.item_id.in_(sorted({t[1] for t in wanted})),
                _step.c.person_id == person,
            )
            .order_by(_step.c.id)
        )
        for row in rows:
            mine.setdefault(row.item_id, []).append(row._mapping)
    declared: list[tuple[str, str]] = []
    if any(t[3].definition.conflict_of_interest == "block" for t in wanted):
        declared = [(r[0], r[1]) for r in conn.execute(_DECLARED, {"person": person})]
    found: dict[int, list[dict[str, Any]]] = {}
    for task_id, item_id, node, published, fields in wanted:
        hits = findings(published, node, mine.get(item_id, ()), declared, fields or {}, task_id)
        reasons = [f.reason() for f in hits if f.blocks]
        if reasons:
            found[task_id] = reasons
    return found


def _may_block(definition: Definition, node: NodeSpec) -> bool:
    """Whether any block-mode rule of the definition concerns ``node``."""
    return definition.conflict_of_interest == "block" or any(
        rule.mode == "block" for rule, _other in definition.rules_by_node.get(node.key, ())
    )


def _record_flags(
    session: DbSession,
    found: Sequence[Finding],
    unit_id: int,
    person: int,
    item_id: int,
    step_id: int,
    day: date,
) -> tuple[Flagged, ...]:
    recorded = []
    for finding in found:
        hit = finding.hit
        mitigation = controls.active_mitigation(session, unit_id, hit["rule"], person, day)
        outcome = HitOutcome.MITIGATED if mitigation else HitOutcome.FLAGGED
        hit_id = controls.record_hit(
            session,
            outcome=outcome,
            unit_id=unit_id,
            person_id=person,
            item_id=item_id,
            step_id=step_id,
            mitigation_id=mitigation,
            **hit,
        )
        recorded.append(Flagged(hit_id, outcome.value, finding.reason()))
    return tuple(recorded)


# ---------------------------------------------------------------- actions

# Why an item or a task takes no action, in the reader's words (a sentence per status).
_ITEM_IS = {
    ItemStatus.RUNNING: _l("the item is running"),
    ItemStatus.COMPLETED: _l("the item is completed"),
    ItemStatus.REJECTED: _l("the item is rejected"),
    ItemStatus.CANCELLED: _l("the item is cancelled"),
    ItemStatus.FROZEN: _l("the item is frozen"),
}
_TASK_IS = {
    TaskStatus.OPEN: lambda task: _l("task %(id)s is open", id=task),
    TaskStatus.COMPLETED: lambda task: _l("task %(id)s is completed", id=task),
    TaskStatus.CANCELLED: lambda task: _l("task %(id)s is cancelled", id=task),
}


def item_not_running(status: ItemStatus) -> Any:
    return _ITEM_IS[status]


def task_not_open(task_id: int, status: TaskStatus) -> Any:
    return _TASK_IS[status](task_id)


def not_your_post(task_id: int, post: str) -> Any:
    return _l(
        "task %(id)s is for the post '%(post)s', which you do not hold", id=task_id, post=post
    )


def _invalid(exc: engine.InvalidAction) -> ValidationFailed:
    return ValidationFailed.listing([p.as_dict() for p in exc.problems])


def _open_tasks(
    session: DbSession,
    conn: sa.Connection,
    definition: Definition,
    item_id: int,
    nodes: Sequence[str],
    now: datetime,
) -> tuple[tuple[int, str], ...]:
    if not nodes:
        return ()
    calendar = working_calendar(session)
    opened = []
    for key in nodes:
        spec = definition.node_map[key]
        due = calendar.due_at(now, spec.limit) if spec.limit else None
        task_id = _INSERT_TASK_Q.scalar(
            conn,
            {
                "item_id": item_id,
                "node": key,
                "post": spec.post or "",
                "status": TaskStatus.OPEN,
                "due_at": due,
                "opened_at": now,
            },
        )
        opened.append((int(task_id), key))
    return tuple(opened)


def start_item(
    session: DbSession,
    principal: Principal,
    process: str,
    title: str,
    values: Mapping[str, Any],
    *,
    comment: str | None = None,
) -> Outcome:
    """Start an item of the unit's published ``process`` in the caller's unit."""
    unit_id = principal.unit_id
    if unit_id is None or not can(principal, Action.START_ITEMS, unit_id):
        raise Forbidden(_l("only staff of a unit start its items"), code="forbidden")
    published = latest_published(session, unit_id, process)
    if published is None:
        raise ValidationFailed.at(
            "process", _l("no published process '%(process)s' in your unit", process=process)
        )
    definition = published.definition
    begin = definition.start
    actor = actor_for(session, principal)
    if begin.post and begin.post not in actor.posts:
        raise Forbidden(
            _l("only the post '%(post)s' starts '%(process)s'", post=begin.post, process=process),
            code="not_your_post",
        )
    try:
        advance = engine.start(definition, values)
    except engine.InvalidAction as exc:
        if not title.strip():  # every problem in one answer: the title's too
            exc.problems.insert(0, Problem("title", _l("give the item a title")))
        raise _invalid(exc) from None
    if not title.strip():
        raise ValidationFailed.at("title", _l("give the item a title"))
    fields = dict(advance.state.fields)
    checked = _check_controls(
        session, published, begin, principal.person_id, unit_id, None, fields, None
    )
    now = utcnow()
    conn = session.connection()
    status = ItemStatus(advance.state.status)
    item_id = int(
        conn.execute(
            _INSERT_ITEM,
            {
                "unit_id": unit_id,
                "definition_id": published.id,
                "title": title.strip()[:200],
                "fields": fields,
                "status": status,
                "revision": 1,
                "joins": dict(advance.state.joins),
                "started_by_id": principal.person_id,
                "started_at": now,
                "updated_at": now,
                "ended_at": now if advance.ended else None,
                **rule_fields(fields),  # the typed copy the risk scan reads
            },
        ).scalar_one()
    )
    step_id = _insert_step(
        conn, item_id, None, StepKind.START, begin.key, principal.person_id, begin.post,
        None, advance.changes, comment, now,
    )  # fmt: skip
    opened = _open_tasks(session, conn, definition, item_id, advance.opened, now)
    flagged = _record_flags(
        session, checked, unit_id, principal.person_id, item_id, step_id, local_date(now)
    )
    audit.record(
        session,
        "item.start",
        target_type="item",
        target_id=item_id,
        unit_id=unit_id,
        after={
            "process": published.key,
            "version": published.version,
            "title": title.strip(),
            "fields": fields,
            "step": step_id,
            "opened": [node for _, node in opened],
        },
    )
    return Outcome(item_id, status.value, 1, step_id, opened, flagged)


def _insert_step(
    conn: sa.Connection,
    item_id: int,
    task_id: int | None,
    kind: StepKind,
    node: str,
    person: int,
    post: str | None,
    decision: str | None,
    changes: Mapping[str, tuple[Any, Any]],
    comment: str | None,
    now: datetime,
) -> int:
    return int(
        _INSERT_STEP_Q.scalar(
            conn,
            {
                "item_id": item_id,
                "task_id": task_id,
                "kind": kind,
                "node": node,
                "person_id": person,
                "post": post,
                "decision": decision,
                "changes": {k: [old, new] for k, (old, new) in changes.items()} or None,
                "comment": comment or None,
                "at": now,
            },
        )
    )


def _no_longer_open(task_id: int) -> Conflict:
    return Conflict(_l("task %(id)s is no longer open", id=task_id), code="task_not_open")


def _write_step_at_once(
    session: DbSession,
    conn: sa.Connection,
    definition: Definition,
    this: Mapping[str, Any],
    task_id: int,
    node: NodeSpec,
    person: int,
    decision: str | None,
    advance: engine.Advance,
    written: dict[str, Any],
    comment: str | None,
    after: dict[str, Any],
    now: datetime,
) -> tuple[tuple[int, str], ...] | None:
    """``complete_task``'s writes in one statement (PostgreSQL, ``_step_in_one_statement``):
    the tasks opened, or None when the item's revision had moved (nothing was written)."""
    item_id = this["item_id"]
    params: dict[str, Any] = {
        "b_item": item_id,
        "b_revision": this["revision"],
        "b_task": task_id,
        "b_opened_at": now,
        "b_closed_by_id": person,
        "b_nodes": list(advance.cancelled),
        **{f"i_{name}": value for name, value in written.items()},
        "s_id": this["step_id"],
        "s_task_id": task_id,
        "s_kind": StepKind.COMPLETE,
        "s_node": node.key,
        "s_person_id": person,
        "s_post": node.post,
        "s_decision": decision,
        "s_changes": {k: [old, new] for k, (old, new) in advance.changes.items()} or None,
        "s_comment": comment or None,
        "s_at": now,
        **audit.row_of(
            session, "task.complete", "a_", target_type="item", target_id=item_id,
            unit_id=this["unit_id"], after=after,
        ),
    }  # fmt: skip
    calendar = working_calendar(session) if advance.opened else None
    for i, key in enumerate(advance.opened):
        spec = definition.node_map[key]
        params[f"n{i}_node"] = key
        params[f"n{i}_post"] = spec.post or ""
        due = calendar.due_at(now, spec.limit) if calendar and spec.limit else None
        params[f"n{i}_due_at"] = due
    statement = _step_in_one_statement(tuple(written), len(advance.opened), bool(advance.cancelled))
    row = conn.execute(statement, params).one()
    if row.moved != 1:
        return None
    if row.closed != 1:  # cannot happen while every task change moves the revision
        raise _no_longer_open(task_id)
    audit.counted(session)
    return tuple((int(row[i + 2]), key) for i, key in enumerate(advance.opened))


def complete_task(
    session: DbSession,
    principal: Principal,
    task_id: int,
    *,
    decision: str | None = None,
    values: Mapping[str, Any] | None = None,
    comment: str | None = None,
    meeting: Tally | None = None,
) -> Outcome:
    """Complete an open task as ``principal`` and advance its item (a meeting node: with
    the meeting counted from its record, ``riskctl.meetings.services.record_meeting``)."""
    conn = session.connection()
    postgresql = conn.dialect.name == "postgresql"
    load = {"task": task_id, "person": principal.person_id, "day": local_date()}
    for _ in range(ATTEMPTS):
        rows = (_LOAD_PG_Q if postgresql else _LOAD_Q).rows(conn, load)
        this = next((r for r in rows if r["id"] == task_id), None)
        if this is None or this["unit_id"] not in visible_units(principal, Action.VIEW_ITEMS):
            raise NotFound(_l("no task %(id)s", id=task_id), code="unknown_task")
        if this["status"] != TaskStatus.OPEN:
            raise Conflict(task_not_open(task_id, this["status"]), code="task_not_open")
        if this["item_status"] is not ItemStatus.RUNNING:
            raise Conflict(
                item_not_running(this["item_status"]), code=f"item_{this['item_status'].value}"
            )
        unit_id, item_id = this["unit_id"], this["item_id"]
        if (
            principal.unit_id != unit_id
            or not this["holds_post"]
            or not can(principal, Action.WORK_ITEMS, unit_id)
        ):
            raise Forbidden(not_your_post(task_id, this["post"]), code="not_your_post")
        published = published_by_id(session, this["definition_id"])
        definition = published.definition
        node = definition.node_map[this["node"]]
        state = engine.ItemState(
            ItemStatus.RUNNING.value,
            this["fields"] or {},
            tuple(r["node"] for r in rows if r["status"] == TaskStatus.OPEN),
            this["joins"] or {},
        )
        try:
            advance = engine.complete(
                definition, state, node.key, decision=decision, values=values or {},
                meeting=meeting,
            )  # fmt: skip
        except engine.InvalidAction as exc:
            raise _invalid(exc) from None
        fields = dict(advance.state.fields)
        checked = _check_controls(
            session, published, node, principal.person_id, unit_id, item_id, fields, task_id,
            my_nodes=frozenset(filter(None, (this["my_nodes"] or "").split(","))),
            declares=bool(this["declares"]),
        )  # fmt: skip
        now = utcnow()
        written = _item_written(advance, now)
        status = written["status"]
        after = {
            "task": task_id,
            "node": node.key,
            "decision": decision,
            "changes": {k: [old, new] for k, (old, new) in advance.changes.items()},
            "step": None,
            "opened": list(advance.opened),
            "passed": list(advance.passed),
            "status": status.value,
        }
        if postgresql:
            step_id = int(this["step_id"])
            after["step"] = step_id
            opened = _write_step_at_once(
                session, conn, definition, this, task_id, node, principal.person_id, decision,
                advance, written, comment, after, now,
            )  # fmt: skip
            if opened is None:
                continue  # another action on this item committed first: read again
        else:
            moved = _UPDATE_ITEM_Q.rowcount(
                conn, {"b_item": item_id, "b_revision": this["revision"], **written}
            )
            if moved != 1:
                continue  # another action on this item committed first: read again
            closed = _CLOSE_TASK_Q.rowcount(
                conn,
                {
                    "b_task": task_id,
                    "status": TaskStatus.COMPLETED,
                    "closed_at": now,
                    "closed_by_id": principal.person_id,
                },
            )
            if closed != 1:  # cannot happen while every task change moves the revision
                raise _no_longer_open(task_id)
            if advance.cancelled:
                conn.execute(
                    _CLOSE_LEFTOVERS,
                    {
                        "b_item": item_id,
                        "b_nodes": list(advance.cancelled),
                        "status": TaskStatus.CANCELLED,
                        "closed_at": now,
                    },
                )
            step_id = _insert_step(
                conn, item_id, task_id, StepKind.COMPLETE, node.key, principal.person_id,
                node.post, decision, advance.changes, comment, now,
            )  # fmt: skip
            after["step"] = step_id
            opened = _open_tasks(session, conn, definition, item_id, advance.opened, now)
            audit.record(
                session, "task.complete", target_type="item", target_id=item_id,
                unit_id=unit_id, after=after,
            )  # fmt: skip
        flagged = _record_flags(
            session, checked, unit_id, principal.person_id, item_id, step_id, local_date(now)
        )
        return Outcome(item_id, status.value, this["revision"] + 1, step_id, opened, flagged)
    raise Conflict(
        _l(
            "the item changed %(times)s times while completing task %(task)s; try again",
            times=ATTEMPTS,
            task=task_id,
        ),
        code="stale_revision",
    )


def set_frozen(
    session: DbSession, item_id: int, frozen: bool, *, unit_id: int, because: dict[str, Any]
) -> bool:
    """Freeze a running item (no task can be completed) or let a frozen one run again —
    the risk engine's decision on a red warning; audited.  False when the item was not
    in the state to change."""
    before, after = (ItemStatus.RUNNING, ItemStatus.FROZEN) if frozen else (
        ItemStatus.FROZEN, ItemStatus.RUNNING)  # fmt: skip
    done = session.execute(
        sa.update(Item)
        .where(Item.id == item_id, Item.status == before)
        .values(status=after, revision=Item.revision + 1, updated_at=utcnow())
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        return False
    audit.record(
        session, "item.freeze" if frozen else "item.thaw", target_type="item",
        target_id=item_id, unit_id=unit_id, after=because,
    )  # fmt: skip
    return True


def cancel_item(session: DbSession, principal: Principal, item_id: int, reason: str) -> Outcome:
    """Stop a running (or frozen) item; an administrator's decision with a reason."""
    item = session.get(Item, item_id)
    if item is None or item.unit_id not in visible_units(principal, Action.VIEW_ITEMS):
        raise NotFound(_l("no item %(id)s", id=item_id), code="unknown_item")
    require(principal, Action.CANCEL_ITEMS, item.unit_id)
    if not reason.strip():
        raise ValidationFailed.at("reason", _l("say why the item is cancelled"))
    if item.status not in (ItemStatus.RUNNING, ItemStatus.FROZEN):
        raise Conflict(item_not_running(item.status), code=f"item_{item.status.value}")
    now = utcnow()
    conn = session.connection()
    moved = conn.execute(
        _UPDATE_ITEM,
        {
            "b_item": item.id,
            "b_revision": item.revision,
            "status": ItemStatus.CANCELLED,
            "updated_at": now,
            "ended_at": now,
            "cancel_reason": reason.strip()[:500],
        },
    ).rowcount
    if moved != 1:
        raise Conflict(
            _l("the item changed meanwhile; reload and try again"), code="stale_revision"
        )
    cancelled = [
        r[0]
        for r in conn.execute(
            sa.select(_task.c.node).where(
                _task.c.item_id == item.id, _task.c.status == TaskStatus.OPEN
            )
        )
    ]
    conn.execute(
        sa.update(_task)
        .where(_task.c.item_id == item.id, _task.c.status == TaskStatus.OPEN)
        .values(status=TaskStatus.CANCELLED, closed_at=now, closed_by_id=principal.person_id)
    )
    step_id = _insert_step(
        conn, item.id, None, StepKind.CANCEL, cancelled[0] if cancelled else "-",
        principal.person_id, None, None, {}, reason.strip(), now,
    )  # fmt: skip
    audit.record(
        session,
        "item.cancel",
        target_type="item",
        target_id=item.id,
        unit_id=item.unit_id,
        after={"reason": reason.strip(), "cancelled_tasks": cancelled, "step": step_id},
    )
    session.expire(item)
    return Outcome(item.id, ItemStatus.CANCELLED.value, item.revision + 1, step_id, ())


# ---------------------------------------------------------------- reading


def task_view(
    task: Task, definition: Definition, post_names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    spec = definition.node_map.get(task.node)
    return {
        "id": task.id,
        "item_id": task.item_id,
        "node": task.node,
        "name": spec.name if spec else task.node,
        "post": task.post,
        "post_name": (post_names or {}).get(task.post, task.post),
        "status": task.status.value,
        "due_at": task.due_at,
        "assignee": None,
        "opened_at": task.opened_at,
        "decisions": [{"key": d.key, "label": d.label} for d in spec.decisions] if spec else [],
        "edits": list(spec.edits) if spec else [],
        "kind": spec.kind if spec else "task",  # meeting: recorded, not clicked
    }


def item_view(session: DbSession, principal: Principal, item_id: int) -> dict[str, Any]:
    """An item with its timeline (steps), open tasks, control hits and the risk events
    the caller may see (api.md shape)."""
    from riskctl.risk import services as risk  # the risk engine reads workflow tables

    item = session.get(Item, item_id)
    if item is None or item.unit_id not in visible_units(principal, Action.VIEW_ITEMS):
        raise NotFound(_l("no item %(id)s", id=item_id), code="unknown_item")
    row = session.get(ProcessDefinition, item.definition_id)
    assert row is not None
    definition = published_by_id(session, row.id).definition
    unit = session.get(Unit, item.unit_id)
    steps = session.scalars(sa.select(Step).where(Step.item_id == item.id).order_by(Step.id)).all()
    tasks = session.scalars(
        sa.select(Task)
        .where(Task.item_id == item.id, Task.status == TaskStatus.OPEN)
        .order_by(Task.id)
    ).all()
    hits = controls.hits_of_item(session, item.id)
    known = person_labels(session, {h["person_id"] for h in hits if h["person_id"]})
    for hit in hits:  # the API keeps the username; the page shows 王芳（区财政局·经办人）
        hit["person_label"] = known.get(hit["person_id"]) if hit["person_id"] else None
    people = person_names(
        session,
        {s.person_id for s in steps} | {item.started_by_id},
    )
    starter = person_labels(session, {item.started_by_id})
    posts = post_names(session, unit.code if unit else None)
    return {
        "id": item.id,
        "process": row.key,
        "process_name": row.name,
        "version": row.version,
        "revision": item.revision,
        "unit": unit.code if unit else None,
        "unit_name": unit.name if unit else None,
        "title": item.title,
        "status": item.status.value,
        "fields": dict(item.fields),  # as stored: money and dates as strings (api.md)
        "started_by": people.get(item.started_by_id, ("", ""))[0],
        "started_by_name": starter.get(item.started_by_id, ""),
        "started_at": item.started_at,
        "ended_at": item.ended_at,
        "cancel_reason": item.cancel_reason,
        "tasks": [task_view(t, definition, posts) for t in tasks],
        "steps": [_step_view(s, definition, people) for s in steps],
        "control_hits": hits,
        "risk_events": risk.events_of_item(session, principal, item.id),
    }


def _step_view(
    step: Step, definition: Definition, people: Mapping[int, tuple[str, str]]
) -> dict[str, Any]:
    spec = definition.node_map.get(step.node)
    username, name = people.get(step.person_id, ("", ""))
    return {
        "id": step.id,
        "kind": step.kind.value,
        "node": step.node,
        "name": spec.name if spec else step.node,
        "person": username,
        "person_name": name,
        "post": step.post,
        "decision": step.decision,
        "changes": step.changes or {},
        "comment": step.comment,
        "at": step.at,
    }


def list_items(
    session: DbSession,
    principal: Principal,
    *,
    unit: str | None = None,
    process: str | None = None,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    search: str | None = None,
    person: str | None = None,
    person_role: str = "handled",
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """Items the caller may see, newest first; ``start``/``end`` bound when they started,
    ``search`` finds a piece of the title, ``person`` (a username) keeps the items they
    started (``person_role="started"``) or did a step of (``"handled"``)."""
    require(principal, Action.VIEW_ITEMS)
    stmt = (
        sa.select(
            Item,
            ProcessDefinition.key,
            ProcessDefinition.version,
            ProcessDefinition.name,
            Unit.code,
            Unit.name,
        )
        .join(ProcessDefinition, ProcessDefinition.id == Item.definition_id)
        .join(Unit, Unit.id == Item.unit_id)
        .where(unit_filter(principal, Action.VIEW_ITEMS, Item.unit_id))
    )
    if unit is not None:
        stmt = stmt.where(
            Item.unit_id == filter_unit(session, principal, Action.VIEW_ITEMS, unit).id
        )
    if process is not None:
        stmt = stmt.where(ProcessDefinition.key == process)
    if status is not None:
        stmt = stmt.where(Item.status == ItemStatus(status))
    if start is not None:
        stmt = stmt.where(Item.started_at >= start)
    if end is not None:
        stmt = stmt.where(Item.started_at < end)
    if search:
        stmt = stmt.where(Item.title.contains(search.strip(), autoescape=True))
    if person is not None:
        stmt = stmt.where(_by_person(session, principal, person, person_role))
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(stmt.order_by(Item.id.desc()).limit(limit).offset(offset)).all()
    items = [
        {
            "id": item.id,
            "process": key,
            "process_name": process_name,
            "version": version,
            "unit": code,
            "unit_name": unit_name,
            "title": item.title,
            "status": item.status.value,
            "revision": item.revision,
            "started_at": item.started_at,
            "ended_at": item.ended_at,
        }
        for item, key, version, process_name, code, unit_name in rows
    ]
    return Page(items, total, limit, offset)


def _by_person(session: DbSession, principal: Principal, username: str, role: str) -> Any:
    """The items ``username`` started or did a step of; 404 for a person out of reach."""
    person_id = session.scalar(
        sa.select(Person.id).where(
            Person.username == username,
            unit_filter(principal, Action.VIEW_PEOPLE, Person.unit_id),
        )
    )
    if person_id is None:
        raise NotFound(_l("no person '%(username)s'", username=username), code="unknown_person")
    if role == "started":
        return Item.started_by_id == person_id
    if role != "handled":
        raise ValidationFailed.at("person_role", _l("must be started or handled"))
    return (
        sa.select(Step.id)
        .where(Step.item_id == Item.id, Step.person_id == person_id, Step.kind != StepKind.START)
        .exists()
    )


def my_tasks(
    session: DbSession, principal: Principal, *, search: str | None = None,
    limit: int = 50, offset: int = 0,
) -> Page:  # fmt: skip
    """Open tasks the caller may complete: their unit, the posts they hold today, soonest
    due first; ``search`` finds a piece of the item's title.  ``barred`` lists the
    block-mode rules that would refuse the caller (``bars``), empty when none would."""
    actor = actor_for(session, principal)
    if principal.unit_id is None or not actor.posts:
        return Page([], 0, limit, offset)
    stmt = (
        sa.select(
            Task,
            Item.title,
            Item.definition_id,
            Item.fields,
            ProcessDefinition.key,
            ProcessDefinition.name,
        )
        .join(Item, Item.id == Task.item_id)
        .join(ProcessDefinition, ProcessDefinition.id == Item.definition_id)
        .where(
            Item.unit_id == principal.unit_id,
            Item.status == ItemStatus.RUNNING,
            Task.status == TaskStatus.OPEN,
            Task.post.in_(sorted(actor.posts)),
        )
    )
    if search:
        stmt = stmt.where(Item.title.contains(search.strip(), autoescape=True))
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(
        stmt.order_by(Task.due_at.is_(None), Task.due_at, Task.id).limit(limit).offset(offset)
    ).all()
    versions = {d: published_by_id(session, d) for d in {r[2] for r in rows}}
    barred = bars(
        session,
        principal.person_id,
        [
            (task.id, task.item_id, node, versions[definition_id], fields)
            for task, _title, definition_id, fields, _key, _name in rows
            if (node := versions[definition_id].definition.node_map.get(task.node)) is not None
        ],
    )
    unit = session.get(Unit, principal.unit_id)
    posts = post_names(session, unit.code if unit else None)
    items = []
    for task, title, definition_id, _fields, key, process_name in rows:
        view = task_view(task, versions[definition_id].definition, posts)
        view.update(item_title=title, process=key, process_name=process_name,
                    barred=barred.get(task.id, []))  # fmt: skip
        items.append(view)
    return Page(items, total, limit, offset)


def startable(session: DbSession, principal: Principal) -> list[Published]:
    """The published processes of the caller's unit that the caller may start."""
    unit_id = principal.unit_id
    if unit_id is None or not can(principal, Action.START_ITEMS, unit_id):
        return []
    posts = actor_for(session, principal).posts
    rows = session.scalars(
        sa.select(ProcessDefinition.id)
        .where(
            ProcessDefinition.unit_id == unit_id,
            ProcessDefinition.status == ProcessStatus.PUBLISHED,
        )
        .order_by(ProcessDefinition.key)
    ).all()
    found = [published_by_id(session, i) for i in rows]
    return [p for p in found if not p.definition.start.post or p.definition.start.post in posts]


def start_form(session: DbSession, principal: Principal, process: str) -> Published:
    """The published process ``process`` as the caller would start it."""
    for published in startable(session, principal):
        if published.definition.key == process:
            return published
    raise NotFound(
        _l("no process '%(process)s' you may start", process=process), code="unknown_process"
    )


def fields_required_at_start(definition: Definition) -> set[str]:
    """The fields the start form must have (those no later step fills in), as the engine
    checks them."""
    editable = set(definition.start.edits) if definition.start.edits else set(definition.field_map)
    later = {k for n in definition.nodes if n.is_task for k in n.edits}
    return {f.key for f in definition.fields if f.required and f.key in editable - later}


def fields_asked_at_start(definition: Definition) -> set[str]:
    """The fields a start form shows up front: those it must have, those no later step
    fills in, and those of the first step(s) — usually done by whoever starts the item."""
    later = {k for n in definition.nodes if n.is_task for k in n.edits}
    first = {
        k
        for edge in definition.outgoing.get(definition.start.key, ())
        for k in definition.node_map[edge.target].edits
    }
    everything = set(definition.field_map)
    return fields_required_at_start(definition) | (everything - later) | first


@dataclass(frozen=True)
class TaskPage:
    """A task with its item, definition and whether the caller may complete it now."""

    task: Task
    node: NodeSpec
    item: dict[str, Any]
    definition: Definition
    may_complete: bool
    why_not: str | None  # closed, item_<status>, not_your_post, barred
    barred: tuple[dict[str, Any], ...] = ()  # the rules that would refuse (``bars``)


def task_page(session: DbSession, principal: Principal, task_id: int) -> TaskPage:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(_l("no task %(id)s", id=task_id), code="unknown_task")
    item = item_view(session, principal, task.item_id)  # checks the caller sees the item
    row = session.get(Item, task.item_id)
    assert row is not None
    published = published_by_id(session, row.definition_id)
    definition = published.definition
    node = definition.node_map[task.node]
    why_not = None
    barred: list[dict[str, Any]] = []
    if task.status is not TaskStatus.OPEN:
        why_not = "closed"
    elif row.status is not ItemStatus.RUNNING:
        why_not = "item_" + row.status.value
    elif principal.unit_id != row.unit_id or task.post not in actor_for(session, principal).posts:
        why_not = "not_your_post"
    else:
        job = (task.id, task.item_id, node, published, row.fields)
        barred = bars(session, principal.person_id, [job]).get(task.id, [])
        why_not = "barred" if barred else None
    return TaskPage(task, node, item, definition, why_not is None, why_not, tuple(barred))


def definition_of_item(session: DbSession, item_id: int) -> Definition:
    """The process version an item runs on (the caller has been checked by ``item_view``)."""
    definition_id = session.scalar(sa.select(Item.definition_id).where(Item.id == item_id))
    if definition_id is None:
        raise NotFound(_l("no item %(id)s", id=item_id), code="unknown_item")
    return published_by_id(session, definition_id).definition


def item_titles(session: DbSession, ids: set[int]) -> dict[int, str]:
    """Titles of items already known to be visible (lists of warnings name their item)."""
    if not ids:
        return {}
    rows = session.execute(sa.select(Item.id, Item.title).where(Item.id.in_(sorted(ids))))
    return {item_id: title for item_id, title in rows}


@dataclass(frozen=True)
class ItemBrief:
    """What a list or an export says of an item: its title, its process, and the names of
    the nodes of the version it runs on (a node is named as its version named it)."""

    title: str
    process_name: str
    node_names: Mapping[str, str]


def item_briefs(session: DbSession, ids: set[int]) -> dict[int, ItemBrief]:
    """Briefs of items already known to be visible, one query for all and one parse per
    process version."""
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Item.id, Item.title, Item.definition_id, ProcessDefinition.name)
        .join(ProcessDefinition, ProcessDefinition.id == Item.definition_id)
        .where(Item.id.in_(sorted(ids)))
    ).all()
    nodes: dict[int, dict[str, str]] = {}
    for definition_id in sorted({r[2] for r in rows}):
        definition = published_by_id(session, definition_id).definition
        nodes[definition_id] = {k: n.name for k, n in definition.node_map.items()}
    return {
        item_id: ItemBrief(title, process_name, nodes[definition_id])
        for item_id, title, definition_id, process_name in rows
    }


def my_open_task_ids(session: DbSession, principal: Principal, item_id: int) -> set[int]:
    """The open tasks of one item that the caller may complete (their unit, their posts)."""
    if principal.unit_id is None:
        return set()
    posts = actor_for(session, principal).posts
    rows = session.scalars(
        sa.select(Task.id)
        .join(Item, Item.id == Task.item_id)
        .where(
            Task.item_id == item_id,
            Task.status == TaskStatus.OPEN,
            Task.post.in_(sorted(posts) or [""]),
            Item.unit_id == principal.unit_id,
            Item.status == ItemStatus.RUNNING,
        )
    )
    return set(rows)
