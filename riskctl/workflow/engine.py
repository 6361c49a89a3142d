"""The workflow engine: pure functions from (definition, item state, action) to the next
state.  No Flask, no session, no clock: the service loads, calls, and persists.

An item's state is its status, its field values, the nodes that have an open task (one
per running branch) and, for each join, how many branches have arrived.  Completing a
task removes its node, applies the field changes, and routes from the node: through
exclusive gateways (first condition that holds, else the default), parallel splits (every
branch), joins (onwards once every branch of the matching split has arrived) and ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from riskctl.core.errors import message_of
from riskctl.meetings.spec import Tally, decision_for
from riskctl.process.conditions import Problem
from riskctl.process.definition import Definition, EdgeSpec, NodeSpec
from riskctl.process.fields import check_value

RUNNING = "running"
_MAX_HOPS = 10_000  # validation forbids loops of gateways; this is only a safety net


class EngineError(RuntimeError):
    """The definition or the state is not what validation promised (a bug, not bad input)."""


class InvalidAction(ValueError):
    """The action is not allowed in this state: every problem with its path."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class ItemState:
    status: str
    fields: Mapping[str, Any]
    open_tasks: tuple[str, ...] = ()
    joins: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Advance:
    """What an action did: the new state and what the service must write."""

    state: ItemState
    opened: tuple[str, ...] = ()  # task nodes that get a new task
    cancelled: tuple[str, ...] = ()  # task nodes whose open task is closed unfinished
    passed: tuple[str, ...] = ()  # gateways and the end passed on the way (the path)
    changes: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)  # field: (old, new)
    ended: str | None = None  # the end node reached


def start(definition: Definition, values: Mapping[str, Any]) -> Advance:
    """A new item with ``values`` (the start form), routed to its first task(s)."""
    begin = definition.start
    editable = set(begin.edits) if begin.edits else set(definition.field_map)
    problems: list[Problem] = []
    changes = _apply(definition, {}, values, editable, "fields", problems)
    fields = {k: new for k, (_, new) in changes.items() if new is not None}
    edited_later = {k for n in definition.nodes if n.is_task for k in n.edits}
    for spec in definition.fields:
        must_give = spec.required and spec.key in editable and spec.key not in edited_later
        if must_give and fields.get(spec.key) is None:
            problems.append(
                Problem(f"fields.{spec.key}", _l("%(label)s is required", label=spec.label))
            )
    if problems:
        raise InvalidAction(problems)
    router = _Router(definition, fields, {})
    router.leave(begin, None)
    return router.advance(ItemState(RUNNING, fields, (), {}), changes)


def complete(
    definition: Definition,
    state: ItemState,
    node_key: str,
    *,
    decision: str | None = None,
    values: Mapping[str, Any] | None = None,
    meeting: Tally | None = None,
) -> Advance:
    """Complete the open task at ``node_key`` with a decision and field changes.

    A meeting node is completed only with the ``meeting`` counted from its record, and
    only with the decision that its outcome allows (a one-person click cannot do it)."""
    if state.status != RUNNING:
        raise EngineError(f"the item is {state.status}, not running")
    if node_key not in state.open_tasks:
        raise EngineError(f"no open task at {node_key!r}")
    node = definition.node_map[node_key]
    problems: list[Problem] = []
    offered = node.decision_keys
    if node.meeting is not None:
        problems.extend(_meeting_problems(node, decision, meeting))
    elif meeting is not None:
        problems.append(Problem("meeting", _l("%(node)s is not a meeting", node=node.name)))
    if offered and decision not in offered:
        problems.append(
            Problem("decision", _l("choose one of: %(choices)s", choices=", ".join(offered)))
        )
    elif not offered and decision is not None:
        problems.append(Problem("decision", _l("%(node)s offers no decision", node=node.name)))
    changes = _apply(definition, state.fields, values or {}, set(node.edits), "fields", problems)
    fields = dict(state.fields)
    for key, (_, new) in changes.items():
        if new is None:
            fields.pop(key, None)
        else:
            fields[key] = new
    for key in node.edits:
        spec = definition.field_map[key]
        if spec.required and fields.get(key) is None:
            problems.append(
                Problem(
                    f"fields.{key}",
                    _l("%(label)s is required at %(node)s", label=spec.label, node=node.name),
                )
            )
    if problems:
        raise InvalidAction(problems)
    remaining = list(state.open_tasks)
    remaining.remove(node_key)
    router = _Router(definition, fields, dict(state.joins))
    router.leave(node, decision)
    return router.advance(ItemState(RUNNING, fields, tuple(remaining), state.joins), changes)


def _meeting_problems(node: NodeSpec, decision: str | None, meeting: Tally | None) -> list[Problem]:
    if meeting is None:
        return [Problem("meeting", _l(
            "%(node)s is a meeting: it is completed with the meeting's record (the members "
            "due, those present, their views and the vote), not by one person's click",
            node=node.name))]  # fmt: skip
    allowed, why = decision_for(meeting.outcome, node.decision_keys, decision)
    if why is not None or allowed != decision:
        outcome = _l("the meeting's outcome gives '%(decision)s'", decision=allowed)
        return [Problem("decision", why or outcome)]
    return []


def cancel(state: ItemState) -> Advance:
    """Stop a running item: every open task is closed unfinished."""
    if state.status != RUNNING:
        raise EngineError(f"the item is {state.status}, not running")
    return Advance(ItemState("cancelled", state.fields, (), {}), cancelled=tuple(state.open_tasks))


def _apply(
    definition: Definition,
    current: Mapping[str, Any],
    values: Mapping[str, Any],
    editable: set[str],
    path: str,
    problems: list[Problem],
) -> dict[str, tuple[Any, Any]]:
    """Checked changes ``{field: (old, new)}``; only real changes are kept."""
    changes: dict[str, tuple[Any, Any]] = {}
    for key, raw in values.items():
        spec = definition.field_map.get(key)
        if spec is None:
            problems.append(Problem(f"{path}.{key}", _l("unknown field")))
            continue
        if key not in editable:
            problems.append(Problem(f"{path}.{key}", _l("cannot be changed at this step")))
            continue
        try:
            new = check_value(spec, raw)
        except ValueError as exc:
            why = _l("%(label)s %(problem)s", label=spec.label, problem=message_of(exc))
            problems.append(Problem(f"{path}.{key}", why))
            continue
        old = current.get(key)
        if new != old:
            changes[key] = (old, new)
    return changes


class _Router:
    """Moves one token from a node onwards until it waits at tasks, a join, or an end."""

    def __init__(self, definition: Definition, fields: Mapping[str, Any], joins: dict[str, int]):
        self.d = definition
        self.fields = fields
        self.joins = joins
        self.opened: list[str] = []
        self.passed: list[str] = []
        self.ended: str | None = None
        self.hops = 0

    def leave(self, node: NodeSpec, decision: str | None) -> None:
        for edge in self._chosen(node, decision):
            self.enter(edge.target, decision)

    def _chosen(self, node: NodeSpec, decision: str | None) -> list[EdgeSpec]:
        outs = self.d.outgoing.get(node.key, ())
        if node.kind == "parallel":
            return list(outs)
        if len(outs) == 1 and outs[0].when is None:
            return [outs[0]]
        for edge in outs:  # conditional edges in written order, the default last
            if edge.default or (edge.when is not None and edge.when.holds(self.fields, decision)):
                return [edge]
        raise EngineError(f"no way out of {node.key!r} for decision {decision!r}")

    def enter(self, key: str, decision: str | None) -> None:
        self.hops += 1
        if self.hops > _MAX_HOPS:
            raise EngineError("routing does not end: a loop of gateways")
        node = self.d.node_map[key]
        if node.is_task:
            self.opened.append(key)
        elif node.kind == "end":
            self.passed.append(key)
            self.ended = key
        elif node.kind == "join":
            arrived = self.joins.get(key, 0) + 1
            width = self.d.join_width.get(key)
            if width is None:
                raise EngineError(f"join {key!r} closes no split")
            if arrived < width:
                self.joins[key] = arrived
                return
            self.joins.pop(key, None)
            self.passed.append(key)
            self.leave(node, decision)
        else:  # exclusive or parallel gateway
            self.passed.append(key)
            self.leave(node, decision)

    def advance(self, state: ItemState, changes: Mapping[str, tuple[Any, Any]]) -> Advance:
        still_open = (*state.open_tasks, *self.opened)
        if self.ended is None:
            new_state = ItemState(RUNNING, state.fields, still_open, dict(self.joins))
            return Advance(new_state, tuple(self.opened), (), tuple(self.passed), changes)
        # Validation keeps ends out of parallel regions, so nothing else should be open;
        # if something is, it is closed rather than left dangling on a finished item.
        result = self.d.node_map[self.ended].result or "completed"
        leftovers = tuple(n for n in state.open_tasks)
        return Advance(
            ItemState(result, state.fields, (), {}),
            (),
            leftovers,
            tuple(self.passed),
            changes,
            self.ended,
        )
