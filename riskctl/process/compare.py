"""What changed between two versions of a process, element by element, for the
designer's visual comparison: each version's diagram colours what the other lacks
(added, removed) and what both have but differently (changed).

Elements are named as ``riskctl.process.bpmn`` names them in a version's BPMN: a node by
its key, an edge ``Flow_<index>``, an incompatible pair ``Pair_<index>``.  Plain Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from riskctl.process.definition import DECISION_LABELS


@dataclass
class Changes:
    # element id → "added" | "changed" in the newer version, "removed" | "changed" in the
    # older one.
    new: dict[str, str] = field(default_factory=dict)
    old: dict[str, str] = field(default_factory=dict)
    # Process-level: names of what changed (name, risk, fields …), field keys added …
    process: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not self.new and not self.old and not self.process

    def as_dict(self) -> dict[str, Any]:
        return {"new": self.new, "old": self.old, "process": self.process, "same": self.same}


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> Changes:
    changes = Changes()
    old_nodes, new_nodes = _nodes(old), _nodes(new)
    for key, node in new_nodes.items():
        if key not in old_nodes:
            changes.new[key] = "added"
        elif old_nodes[key] != node:
            changes.new[key] = changes.old[key] = "changed"
    for key in old_nodes.keys() - new_nodes.keys():
        changes.old[key] = "removed"
    _match(changes, _edges(old), _edges(new), "Flow")
    _match(changes, _pairs(old), _pairs(new), "Pair")
    for name in ("key", "name", "category", "risk", "description", "conflict_of_interest"):
        if old.get(name) != new.get(name):
            changes.process.append(name)
    if _fields(old) != _fields(new):
        changes.process.append("fields")
    return changes


def _nodes(raw: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for node in raw.get("nodes") or []:
        if isinstance(node, Mapping) and isinstance(node.get("key"), str):
            plain = dict(node)
            plain.setdefault("kind", "task")
            if isinstance(plain.get("decisions"), list):
                plain["decisions"] = [
                    {"key": d, "label": DECISION_LABELS.get(d, "")} if isinstance(d, str) else d
                    for d in plain["decisions"]
                ]
            found[node["key"]] = plain
    return found


def _edges(raw: Mapping[str, Any]) -> list[tuple[int, tuple[Any, ...], Any]]:
    """(index, identity, what it says) of each edge; identity: its two ends."""
    found = []
    for i, edge in enumerate(raw.get("edges") or []):
        if isinstance(edge, list) and len(edge) == 2:
            edge = {"from": edge[0], "to": edge[1]}
        if isinstance(edge, Mapping):
            ends = (str(edge.get("from")), str(edge.get("to")))
            found.append((i, ends, (edge.get("when"), bool(edge.get("default")))))
    return found


def _pairs(raw: Mapping[str, Any]) -> list[tuple[int, tuple[Any, ...], Any]]:
    found = []
    for i, pair in enumerate(raw.get("incompatible") or []):
        if isinstance(pair, Mapping) and isinstance(pair.get("nodes"), list):
            ends = tuple(sorted(str(k) for k in pair["nodes"]))
            said = (pair.get("mode", "block"), pair.get("name"), pair.get("basis"))
            found.append((i, ends, said))
    return found


def _match(
    changes: Changes,
    old: list[tuple[int, tuple[Any, ...], Any]],
    new: list[tuple[int, tuple[Any, ...], Any]],
    prefix: str,
) -> None:
    """Pairs up elements with the same ends (in order); the rest were added or removed."""
    unmatched = list(old)
    for index, ends, said in new:
        twin = next((o for o in unmatched if o[1] == ends and o[2] == said), None)
        twin = twin or next((o for o in unmatched if o[1] == ends), None)
        if twin is None:
            changes.new[f"{prefix}_{index}"] = "added"
            continue
        unmatched.remove(twin)
        if twin[2] != said:
            changes.new[f"{prefix}_{index}"] = changes.old[f"{prefix}_{twin[0]}"] = "changed"
    for index, _ends, _said in unmatched:
        changes.old[f"{prefix}_{index}"] = "removed"


def _fields(raw: Mapping[str, Any]) -> list[Any]:
    return [f for f in raw.get("fields") or [] if isinstance(f, Mapping)]
