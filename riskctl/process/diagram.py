"""A process graph as Mermaid flowchart text, drawn in the browser by the locally served
Mermaid library; the item page marks the path taken and the nodes open now.

Mermaid lays the graph out (a layered layout is a library's work, not ours); this module
only says what the graph is.  Labels are quoted and stripped of the characters Mermaid's
grammar would read, so a node named by an administrator cannot break the drawing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from riskctl.core.formatting import yuan
from riskctl.process.conditions import AllOf, AnyOf, Condition, DecisionTest, FieldTest
from riskctl.process.definition import DECISION_LABELS, Definition, NodeSpec

SHAPES = {
    "start": '(("{}"))',
    "end": '((("{}")))',
    "exclusive": '{{"{}"}}',
    "parallel": '{{{{"{}"}}}}',
    "join": '{{{{"{}"}}}}',
}


def _text(value: str) -> str:
    return "".join(" " if c in '"`<>{}[]()|#;' else c for c in value).strip() or "-"


def _node_label(node: NodeSpec, posts: Mapping[str, str]) -> str:
    if node.kind == "start":
        return "开始"
    if node.kind == "end":
        return "结束" if node.result != "rejected" else "终止"
    if node.kind == "exclusive":
        return "?"
    if node.kind in ("parallel", "join"):
        return "+"
    post = f" · {posts.get(node.post, node.post)}" if node.post else ""
    if node.meeting is not None:  # the post records it; the members decide
        post = f" · 会议（{posts.get(node.meeting.chair, node.meeting.chair)}主持）"
    return f"{node.name}{post}"


def condition_label(condition: Condition | None, definition: Definition) -> str:
    """A short reading of an edge's condition: 同意, 预算金额 ≥ 1000000 …"""
    if condition is None:
        return ""
    if isinstance(condition, DecisionTest):
        labels = {d.key: d.label for n in definition.nodes for d in n.decisions}
        return "/".join(
            labels.get(k, DECISION_LABELS.get(k, k)) for k in sorted(condition.decisions)
        )
    if isinstance(condition, FieldTest):
        values = condition.value if isinstance(condition.value, tuple) else (condition.value,)
        if condition.field.type == "money":
            values = tuple(yuan(v) for v in values)
        shown = "、".join(str(v) for v in values)
        op = {">=": "≥", "<=": "≤", "!=": "≠", "==": "=", "in": "∈", "not_in": "∉"}
        return f"{condition.field.label} {op.get(condition.op, condition.op)} {shown}"
    if isinstance(condition, AllOf | AnyOf):
        joiner = " 且 " if isinstance(condition, AllOf) else " 或 "
        return joiner.join(condition_label(p, definition) for p in condition.parts)
    return ""


def flowchart(
    definition: Definition,
    *,
    visited: Collection[str] = (),
    current: Collection[str] = (),
    ended: str | None = None,
    posts: Mapping[str, str] | None = None,
) -> str:
    """Mermaid text of ``definition``; ``visited`` nodes (and the gateways between two of
    them) are drawn as the path taken, ``current`` nodes as open now; ``ended`` (completed
    or rejected) marks the end node of that result that the path reaches; ``posts`` names
    the posts (code: name) in the boxes."""
    seen = set(visited) | set(current) | {definition.start.key}
    if ended is not None:
        for node in definition.nodes:
            result = node.result or "completed"
            if node.kind == "end" and result == ended:
                seen.add(node.key)
    # Gateways leave no step: one lies on the path when a visited node leads into it and
    # it leads to a visited node.
    for node in definition.nodes:
        if node.kind in ("exclusive", "parallel", "join"):
            into = any(e.source in seen for e in definition.incoming.get(node.key, ()))
            out = any(e.target in seen for e in definition.outgoing.get(node.key, ()))
            if into and out:
                seen.add(node.key)
    ids = {n.key: f"n{i}" for i, n in enumerate(definition.nodes)}
    lines = ["flowchart TD"]
    for node in definition.nodes:
        shape = SHAPES.get(node.kind, '["{}"]')
        lines.append(f"  {ids[node.key]}{shape.format(_text(_node_label(node, posts or {})))}")
    taken: list[int] = []
    for index, edge in enumerate(definition.edges):
        label = _text(condition_label(edge.when, definition)) if edge.when else ""
        if edge.default and not label:
            label = "否则"
        arrow = f"-->|{label}|" if label else "-->"
        lines.append(f"  {ids[edge.source]} {arrow} {ids[edge.target]}")
        if edge.source in seen and edge.target in seen:
            taken.append(index)
    lines.append("  classDef visited fill:#e8f3ea,stroke:#2f7d32,stroke-width:2px")
    lines.append("  classDef current fill:#fff3d6,stroke:#b22222,stroke-width:3px")
    for key in sorted(seen - set(current)):
        lines.append(f"  class {ids[key]} visited")
    for key in sorted(current):
        if key in ids:
            lines.append(f"  class {ids[key]} current")
    if taken:
        lines.append(f"  linkStyle {','.join(map(str, taken))} stroke:#2f7d32,stroke-width:2.5px")
    return "\n".join(lines)
