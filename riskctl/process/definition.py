"""A process definition as plain, immutable Python objects, and its parser.

The format is the one of api.md (YAML, or the same structure in JSON).  ``parse`` never
stops at the first problem: it reads as much as it can and reports every problem with
its path (``nodes[3].post``, ``edges[5].when.op``), so that an administrator fixes a
definition in one round.  The graph checks live in ``riskctl.process.validation``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask_babel import lazy_gettext as _l

from riskctl.core.calendar import TimeLimit
from riskctl.core.errors import message_of
from riskctl.core.inputs import text_problem
from riskctl.meetings.spec import MEETING_KEYS, MeetingSpec, parse_meeting
from riskctl.process.conditions import Condition, Problem, parse_condition
from riskctl.process.fields import FIELD_TYPES, FieldSpec

# \Z, not $: "$" also matches before a final newline.
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}\Z")
PROCESS_KEY_RE = re.compile(r"^[a-z][a-z0-9_-]{0,39}\Z")
CATEGORIES = (
    "procurement", "construction", "assets", "finance", "contract", "major_decision", "talk",
    "ledger", "other",
)  # fmt: skip
NODE_KINDS = ("start", "task", "meeting", "exclusive", "parallel", "join", "end")
# Kinds that open a task for a post; a meeting is completed by recording the meeting.
TASK_KINDS = frozenset({"task", "meeting"})
GATEWAYS = frozenset({"exclusive", "parallel", "join"})
MODES = ("block", "flag")
END_RESULTS = ("completed", "rejected")
# Labels for the decisions most processes offer; a definition may give its own.
DECISION_LABELS = {
    "approve": "同意",
    "reject": "不同意",
    "return": "退回修改",
    "submit": "提交",
    "change": "提出变更",
    "complete": "完成",
    "pass": "通过",
    "fail": "不通过",
}


KIND_WORDS = {
    "start": _l("start"), "task": _l("task"), "meeting": _l("meeting"),
    "exclusive": _l("exclusive gateway"), "parallel": _l("parallel split"), "join": _l("join"),
    "end": _l("end"),
}  # fmt: skip


def kind_word(kind: Any) -> Any:
    return KIND_WORDS.get(kind, str(kind)) if isinstance(kind, str) else str(kind)


@dataclass(frozen=True)
class Decision:
    key: str
    label: str


@dataclass(frozen=True)
class NodeSpec:
    key: str
    kind: str
    name: str
    post: str | None = None
    limit: TimeLimit | None = None
    risk: int = 3
    edits: tuple[str, ...] = ()
    decisions: tuple[Decision, ...] = ()
    result: str | None = None  # end nodes: completed | rejected
    # A risk node (风险节点): the unit's discipline team leader is told when an item
    # enters it (alerts issue); marked here so that the definition carries it.
    watch: bool = False
    index: int = 0
    meeting: MeetingSpec | None = None  # meeting nodes: members, chair, quorum …

    @property
    def decision_keys(self) -> tuple[str, ...]:
        return tuple(d.key for d in self.decisions)

    @property
    def is_task(self) -> bool:
        return self.kind in TASK_KINDS


@dataclass(frozen=True)
class EdgeSpec:
    source: str
    target: str
    when: Condition | None = None
    default: bool = False
    index: int = 0


@dataclass(frozen=True)
class RuleSpec:
    """Incompatible nodes: one person may not complete both on one item."""

    code: str
    name: str
    nodes: tuple[str, str]
    mode: str
    index: int = 0
    # What the separation rests on, as a warning cites it: a law and its article, or
    # "单位内部管理规定（良好实践）".  Empty: the pair says nothing and the rule's own
    # basis applies.
    basis: str = ""


@dataclass(frozen=True)
class Definition:
    key: str
    name: str
    category: str
    risk: int
    fields: tuple[FieldSpec, ...]
    nodes: tuple[NodeSpec, ...]
    edges: tuple[EdgeSpec, ...]
    rules: tuple[RuleSpec, ...]
    description: str = ""
    conflict_of_interest: str = "flag"  # block | flag | off
    # Filled by validation: how many branches each join waits for.
    join_width: Mapping[str, int] = field(default_factory=dict)

    @cached_property
    def node_map(self) -> dict[str, NodeSpec]:
        return {n.key: n for n in self.nodes}

    @cached_property
    def field_map(self) -> dict[str, FieldSpec]:
        return {f.key: f for f in self.fields}

    @cached_property
    def outgoing(self) -> dict[str, tuple[EdgeSpec, ...]]:
        """Edges out of each node: conditional ones in written order, the default last."""
        out: dict[str, list[EdgeSpec]] = {n.key: [] for n in self.nodes}
        for edge in self.edges:
            out.setdefault(edge.source, []).append(edge)
        return {k: tuple(sorted(v, key=lambda e: (e.default, e.index))) for k, v in out.items()}

    @cached_property
    def incoming(self) -> dict[str, tuple[EdgeSpec, ...]]:
        into: dict[str, list[EdgeSpec]] = {n.key: [] for n in self.nodes}
        for edge in self.edges:
            into.setdefault(edge.target, []).append(edge)
        return {k: tuple(v) for k, v in into.items()}

    @cached_property
    def start(self) -> NodeSpec:
        return next(n for n in self.nodes if n.kind == "start")

    @cached_property
    def rules_by_node(self) -> dict[str, tuple[tuple[RuleSpec, str], ...]]:
        """For each node, the rules it is part of and the other node of each."""
        found: dict[str, list[tuple[RuleSpec, str]]] = {}
        for rule in self.rules:
            a, b = rule.nodes
            found.setdefault(a, []).append((rule, b))
            found.setdefault(b, []).append((rule, a))
        return {k: tuple(v) for k, v in found.items()}

    @cached_property
    def counterparty_fields(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields if f.counterparty)

    @cached_property
    def posts(self) -> frozenset[str]:
        found = {n.post for n in self.nodes if n.post}
        return frozenset(found.union(*(n.meeting.posts for n in self.nodes if n.meeting)))


# ---------------------------------------------------------------- parsing


def _bad_code(value: Any, what: Any) -> Any:
    return _l("%(value)s is not a valid %(what)s; use 1–40 lowercase letters, digits or '_', "
              "starting with a letter", value=repr(value), what=what)  # fmt: skip


_TOP_KEYS = {
    "key", "name", "category", "risk", "description", "conflict_of_interest", "fields",
    "nodes", "edges", "incompatible",
}  # fmt: skip
_FIELD_KEYS = {"key", "label", "type", "required", "choices", "process", "counterparty"}
_NODE_KEYS = {"key", "kind", "name", "post", "limit", "risk", "edits", "decisions", "result",
              "watch", *MEETING_KEYS}  # fmt: skip
_EDGE_KEYS = {"from", "to", "when", "default"}
_RULE_KEYS = {"nodes", "mode", "code", "name", "basis"}


class _Reader:
    """Collects problems while reading one definition."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, path: str, message: Any) -> None:
        self.problems.append(Problem(path, message))

    def unknown_keys(self, raw: Mapping[str, Any], allowed: set[str], path: str) -> None:
        for key in raw:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                self.problem(where, _l("unknown key; expected one of %(keys)s",
                                       keys=", ".join(sorted(allowed))))  # fmt: skip

    def text(
        self, raw: Mapping[str, Any], key: str, path: str, *, required: bool,
        single_line: bool = True,
    ) -> str:  # fmt: skip
        """A name or label (one line), or with ``single_line=False`` a description."""
        value = raw.get(key)
        where = f"{path}.{key}" if path else key
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(where, _l("is required"))
            return ""
        if not isinstance(value, str):
            self.problem(where, _l("must be text"))
            return ""
        if len(value) > 200:
            self.problem(where, _l("must be at most %(n)d characters", n=200))
        problem = text_problem(value.strip(), single_line=single_line)
        if problem:
            self.problem(where, problem)
        return value.strip()

    def code(self, raw: Mapping[str, Any], key: str, path: str) -> str:
        value = raw.get(key)
        where = f"{path}.{key}" if path else key
        if value is None:
            self.problem(where, _l("is required"))
            return ""
        if not isinstance(value, str) or not CODE_RE.match(value):
            self.problem(where, _bad_code(value, _l("key")))
            return str(value) if isinstance(value, str | int) else ""
        return value

    def risk(self, raw: Mapping[str, Any], path: str) -> int:
        value = raw.get("risk", 3)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            self.problem(f"{path}.risk" if path else "risk",
                         _l("must be a whole number from 1 to 5"))  # fmt: skip
            return 3
        return value

    def flag(self, raw: Mapping[str, Any], key: str, path: str) -> bool:
        value = raw.get(key, False)
        if not isinstance(value, bool):
            self.problem(f"{path}.{key}", _l("must be true or false"))
            return False
        return value

    def items(self, raw: Mapping[str, Any], key: str) -> list[Any]:
        value = raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(key, _l("must be a list"))
            return []
        return value


def parse(raw: Any) -> tuple[Definition | None, list[Problem]]:
    """Read a definition; returns what could be read and every problem found.

    The definition is None only when too little could be read to check the graph.
    """
    reader = _Reader()
    if not isinstance(raw, dict):
        return None, [Problem("", _l("a process definition must be a mapping (key: value …)"))]
    reader.unknown_keys(raw, _TOP_KEYS, "")
    key = raw.get("key")
    if not isinstance(key, str) or not PROCESS_KEY_RE.match(key):
        reader.problem("key", _l("%(key)s is not a valid process key; use lowercase letters, "
                                 "digits, '_', '-'", key=repr(key)))  # fmt: skip
        key = str(key or "")
    name = reader.text(raw, "name", "", required=True)
    category = raw.get("category", "other")
    if category not in CATEGORIES:
        reader.problem("category", _l("must be one of %(choices)s", choices=", ".join(CATEGORIES)))
    risk = reader.risk(raw, "")
    description = reader.text(raw, "description", "", required=False, single_line=False)
    coi = raw.get("conflict_of_interest", "flag")
    if coi not in ("block", "flag", "off"):
        reader.problem("conflict_of_interest", _l("must be block, flag or off"))
        coi = "flag"
    fields = _fields(reader, reader.items(raw, "fields"))
    field_map = {f.key: f for f in fields}
    nodes = _nodes(reader, reader.items(raw, "nodes"), field_map)
    node_keys = {n.key for n in nodes}
    edges = _edges(reader, reader.items(raw, "edges"), node_keys, field_map)
    rules = _rules(reader, reader.items(raw, "incompatible"), {n.key: n for n in nodes})
    if not nodes:
        reader.problem("nodes", _l("a process needs nodes: a start, tasks and an end"))
    definition = Definition(
        key=key,
        name=name,
        category=str(category),
        risk=risk,
        fields=tuple(fields),
        nodes=tuple(nodes),
        edges=tuple(edges),
        rules=tuple(rules),
        description=description,
        conflict_of_interest=str(coi),
    )
    return (definition if nodes else None), reader.problems


def _fields(reader: _Reader, raw_fields: list[Any]) -> list[FieldSpec]:
    found: list[FieldSpec] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_fields):
        path = f"fields[{i}]"
        if not isinstance(raw, dict):
            reader.problem(path, _l("must be a mapping {key, label, type}"))
            continue
        reader.unknown_keys(raw, _FIELD_KEYS, path)
        key = reader.code(raw, "key", path)
        if key in seen:
            reader.problem(
                f"{path}.key",
                _l(
                    "duplicate key %(key)s (also %(other)s)",
                    key=repr(key),
                    other=f"fields[{seen[key]}]",
                ),
            )
            continue
        seen[key] = i
        label = reader.text(raw, "label", path, required=True)
        kind = raw.get("type", "text")
        if kind not in FIELD_TYPES:
            reader.problem(f"{path}.type", _l("must be one of %(choices)s",
                                              choices=", ".join(FIELD_TYPES)))  # fmt: skip
            kind = "text"
        choices: tuple[str, ...] = ()
        if kind == "choice":
            raw_choices = raw.get("choices")
            if (
                not isinstance(raw_choices, list)
                or not raw_choices
                or not all(isinstance(c, str) and c for c in raw_choices)
            ):
                reader.problem(f"{path}.choices", _l("a choice field needs a list of choices"))
            else:
                for j, choice in enumerate(raw_choices):
                    if problem := text_problem(choice, single_line=True):
                        reader.problem(f"{path}.choices[{j}]", problem)
                choices = tuple(raw_choices)
                if len(set(choices)) != len(choices):
                    reader.problem(f"{path}.choices", _l("has a choice twice"))
        elif "choices" in raw:
            reader.problem(f"{path}.choices", _l("only a choice field has choices"))
        process = raw.get("process")
        if process is not None and (kind != "reference" or not isinstance(process, str)):
            reader.problem(f"{path}.process", _l("only a reference field names a process"))
            process = None
        found.append(
            FieldSpec(
                key=key,
                label=label,
                type=str(kind),
                required=reader.flag(raw, "required", path),
                choices=choices,
                process=process,
                counterparty=reader.flag(raw, "counterparty", path),
            )
        )
    return found


def _decisions(reader: _Reader, raw: Any, path: str) -> tuple[Decision, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        reader.problem(path, _l("must be a list of decisions, e.g. [approve, reject]"))
        return ()
    found: list[Decision] = []
    for j, item in enumerate(raw):
        where = f"{path}[{j}]"
        if isinstance(item, str):
            key, label = item, DECISION_LABELS.get(item, "")
            if not label:
                reader.problem(where, _l("%(item)s has no standard label; write {key, label}",
                                         item=repr(item)))  # fmt: skip
        elif isinstance(item, dict):
            reader.unknown_keys(item, {"key", "label"}, where)
            key = item.get("key", "")
            label = reader.text(item, "label", where, required=True)
        else:
            reader.problem(where, _l("must be a decision key or {key, label}"))
            continue
        if not isinstance(key, str) or not CODE_RE.match(key):
            reader.problem(where, _bad_code(key, _l("decision key")))
            continue
        if any(d.key == key for d in found):
            reader.problem(where, _l("duplicate decision %(key)s", key=repr(key)))
            continue
        found.append(Decision(key, label or key))
    return tuple(found)


def _nodes(
    reader: _Reader, raw_nodes: list[Any], fields: Mapping[str, FieldSpec]
) -> list[NodeSpec]:
    found: list[NodeSpec] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_nodes):
        path = f"nodes[{i}]"
        if not isinstance(raw, dict):
            reader.problem(path, _l("must be a mapping {key, kind, name, post …}"))
            continue
        reader.unknown_keys(raw, _NODE_KEYS, path)
        key = reader.code(raw, "key", path)
        if key in seen:
            reader.problem(
                f"{path}.key",
                _l(
                    "duplicate key %(key)s (also %(other)s)",
                    key=repr(key),
                    other=f"nodes[{seen[key]}]",
                ),
            )
            continue
        seen[key] = i
        kind = raw.get("kind", "task")
        if kind not in NODE_KINDS:
            reader.problem(f"{path}.kind", _l("must be one of %(choices)s",
                                              choices=", ".join(NODE_KINDS)))  # fmt: skip
            kind = "task"
        is_task = kind in TASK_KINDS
        name = reader.text(raw, "name", path, required=is_task) or key
        post = raw.get("post")
        if post is not None and (not isinstance(post, str) or not post):
            reader.problem(f"{path}.post", _l("must be a post code"))
            post = None
        if is_task and post is None and "post" not in raw:
            reader.problem(f"{path}.post", _l("a task needs the post that handles it"))
        if post is not None and not is_task and kind != "start":
            reader.problem(f"{path}.post", _l("a %(kind)s node is not handled by a post",
                                              kind=kind_word(kind)))  # fmt: skip
        limit = None
        if "limit" in raw:
            if not is_task:
                reader.problem(f"{path}.limit", _l("only a task has a time limit"))
            else:
                try:
                    limit = TimeLimit.parse(raw["limit"])
                except ValueError as exc:
                    reader.problem(f"{path}.limit", message_of(exc))
        edits: tuple[str, ...] = ()
        if "edits" in raw:
            raw_edits = raw["edits"]
            if not is_task and kind != "start":
                reader.problem(
                    f"{path}.edits", _l("a %(kind)s node edits no fields", kind=kind_word(kind))
                )
            elif not isinstance(raw_edits, list):
                reader.problem(f"{path}.edits", _l("must be a list of field keys"))
            else:
                # Not ``in fields`` first: a list or a mapping is no key and unhashable.
                for j, name_ in enumerate(raw_edits):
                    if not isinstance(name_, str) or name_ not in fields:
                        reader.problem(
                            f"{path}.edits[{j}]", _l("unknown field %(field)s", field=repr(name_))
                        )
                edits = tuple(e for e in raw_edits if isinstance(e, str) and e in fields)
        decisions = _decisions(reader, raw.get("decisions"), f"{path}.decisions")
        if decisions and not is_task:
            reader.problem(f"{path}.decisions", _l("only a task offers decisions"))
        result = None
        if kind == "end":
            result = raw.get("result", "completed")
            if result not in END_RESULTS:
                reader.problem(f"{path}.result", _l("must be completed or rejected"))
                result = "completed"
        elif "result" in raw:
            reader.problem(f"{path}.result", _l("only an end node has a result"))
        meeting = None
        if kind == "meeting":
            meeting = parse_meeting(raw, path, reader.problem)
        else:
            for extra in sorted(MEETING_KEYS & raw.keys()):
                reader.problem(f"{path}.{extra}", _l("only a meeting node has members, chair …"))
        found.append(
            NodeSpec(
                key=key,
                kind=str(kind),
                name=name,
                post=post,
                limit=limit,
                risk=reader.risk(raw, path),
                edits=edits,
                decisions=decisions,
                result=result,
                watch=reader.flag(raw, "watch", path),
                index=i,
                meeting=meeting,
            )
        )
    return found


def _edges(
    reader: _Reader, raw_edges: list[Any], nodes: set[str], fields: Mapping[str, FieldSpec]
) -> list[EdgeSpec]:
    found: list[EdgeSpec] = []
    for i, raw in enumerate(raw_edges):
        path = f"edges[{i}]"
        if isinstance(raw, list):
            if len(raw) != 2:
                reader.problem(path, _l("a short edge is [from, to]"))
                continue
            raw = {"from": raw[0], "to": raw[1]}
        if not isinstance(raw, dict):
            reader.problem(path, _l("must be [from, to] or {from, to, when, default}"))
            continue
        reader.unknown_keys(raw, _EDGE_KEYS, path)
        ok = True
        for end in ("from", "to"):
            if not isinstance(raw.get(end), str) or raw[end] not in nodes:
                reader.problem(
                    f"{path}.{end}", _l("unknown node %(node)s", node=repr(raw.get(end)))
                )
                ok = False
        when = None
        if "when" in raw:
            when = parse_condition(raw["when"], fields, f"{path}.when", reader.problems)
        default = reader.flag(raw, "default", path)
        if default and "when" in raw:
            reader.problem(path, _l("a default edge has no condition"))
        if ok:
            found.append(EdgeSpec(raw["from"], raw["to"], when, default, i))
    return found


def _rules(reader: _Reader, raw_rules: list[Any], nodes: Mapping[str, NodeSpec]) -> list[RuleSpec]:
    found: list[RuleSpec] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_rules):
        path = f"incompatible[{i}]"
        if not isinstance(raw, dict):
            reader.problem(path, _l("must be {nodes: [a, b], mode: block|flag, name, basis}"))
            continue
        reader.unknown_keys(raw, _RULE_KEYS, path)
        pair = raw.get("nodes")
        if not isinstance(pair, list) or len(pair) != 2:
            reader.problem(f"{path}.nodes", _l("must name exactly two nodes"))
            continue
        ok = True
        for j, key in enumerate(pair):
            node = nodes.get(key) if isinstance(key, str) else None
            if node is None:
                reader.problem(f"{path}.nodes[{j}]", _l("unknown node %(node)s", node=repr(key)))
                ok = False
            elif not node.is_task and node.kind != "start":
                reader.problem(
                    f"{path}.nodes[{j}]",
                    _l(
                        "%(node)s is a %(kind)s; nobody does it",
                        node=repr(key),
                        kind=kind_word(node.kind),
                    ),
                )
                ok = False
        if ok and pair[0] == pair[1]:
            reader.problem(f"{path}.nodes", _l("names the same node twice"))
            ok = False
        mode = raw.get("mode", "block")
        if mode not in MODES:
            reader.problem(f"{path}.mode", _l("must be block or flag"))
            ok = False
        code = raw.get("code") or (f"{pair[0]}~{pair[1]}" if ok else "")
        if ok and not isinstance(code, str):
            reader.problem(f"{path}.code", _l("must be text"))
            ok = False
        if ok and code in seen:
            message = _l("duplicate rule %(code)s (also %(other)s)", code=repr(code),
                         other=f"incompatible[{seen[code]}]")  # fmt: skip
            reader.problem(path, message)
            ok = False
        if not ok:
            continue
        seen[code] = i
        a, b = nodes[pair[0]], nodes[pair[1]]
        name = reader.text(raw, "name", path, required=False) or f"{a.name}与{b.name}不相容"
        basis = reader.text(raw, "basis", path, required=False)
        found.append(RuleSpec(code, name, (a.key, b.key), str(mode), i, basis))
    return found
