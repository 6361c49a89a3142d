"""Where a process's boxes and arrows are drawn: a layout kept beside the definition.

A layout is presentation only: the engine never reads it, and moving a box changes no
version's meaning.  It is stored with the version it belongs to
(``ProcessDefinition.layout``) as JSON::

    {"nodes": {"review": [x, y, width, height], …},
     "edges": {"3": [[x, y], [x, y], …], …}}      # by the edge's index in the definition

A definition without one (a template, a YAML upload, a BPMN file without diagram) gets
``automatic``: left to right by the longest path from the start, a gateway's default
branch straight on and the others in rows below, loops drawn back over the top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Bounds = tuple[float, float, float, float]
Point = tuple[float, float]
SIZES = {"task": (100.0, 80.0), "meeting": (100.0, 80.0), "exclusive": (50.0, 50.0),
         "parallel": (50.0, 50.0), "join": (50.0, 50.0), "start": (36.0, 36.0),
         "end": (36.0, 36.0)}  # fmt: skip
COLUMN, ROW, MARGIN = 160.0, 130.0, 60.0
MAX_COORDINATE = 1_000_000.0


@dataclass
class Layout:
    nodes: dict[str, Bounds] = field(default_factory=dict)
    edges: dict[int, list[Point]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "nodes": {k: [round(v, 1) for v in b] for k, b in self.nodes.items()},
            "edges": {str(i): [[round(x, 1), round(y, 1)] for x, y in points]
                      for i, points in sorted(self.edges.items())},
        }  # fmt: skip

    @classmethod
    def from_json(cls, raw: Any) -> Layout | None:
        """A stored layout, or None when it is missing or not one (drawn anew)."""
        if not isinstance(raw, Mapping):
            return None
        nodes: dict[str, Bounds] = {}
        for key, bounds in (raw.get("nodes") or {}).items():
            if not _numbers(bounds, 4):
                return None
            x, y, w, h = (float(v) for v in bounds)
            nodes[str(key)] = (x, y, w, h)
        edges: dict[int, list[Point]] = {}
        for index, points in (raw.get("edges") or {}).items():
            if not str(index).isdigit() or not isinstance(points, list):
                return None
            if not all(_numbers(p, 2) for p in points):
                return None
            edges[int(index)] = [(float(p[0]), float(p[1])) for p in points]
        return cls(nodes, edges)


def _numbers(value: Any, count: int) -> bool:
    return (
        isinstance(value, list | tuple)
        and len(value) == count
        and all(
            isinstance(v, int | float) and not isinstance(v, bool) and abs(v) <= MAX_COORDINATE
            for v in value
        )
    )


@dataclass(frozen=True)
class Shape:
    key: str
    kind: str


@dataclass(frozen=True)
class Link:
    source: str
    target: str
    default: bool = False


def automatic(nodes: Sequence[Shape], links: Sequence[Link]) -> Layout:
    """A readable layout: columns by the longest path from the start over the edges that
    go forward, rows so that the default way (else the first) goes straight on."""
    kinds = {n.key: n.kind for n in nodes}
    order = [n.key for n in nodes]
    out: dict[str, list[tuple[int, Link]]] = {k: [] for k in order}
    for i, link in enumerate(links):
        if link.source in out and link.target in kinds:
            out[link.source].append((i, link))
    for key in out:  # the default way first: it goes straight on
        out[key].sort(key=lambda pair: (not pair[1].default, pair[0]))
    roots = [k for k in order if kinds[k] == "start"] + order
    back = _back_edges(roots, out)
    forward = {k: [link for i, link in out[k] if i not in back] for k in order}
    column = _columns(order, forward)
    row: dict[str, int] = {}
    taken: set[tuple[int, int]] = set()

    def free(r: int, c0: int, c1: int) -> bool:
        return all((c, r) not in taken for c in range(c0, c1 + 1))

    def place(key: str, wanted: int, after: int | None) -> None:
        r = wanted
        first = column[key] if after is None else min(after + 1, column[key])
        while not free(r, first, column[key]):
            r += 1
        row[key] = r
        taken.add((column[key], r))

    def visit(key: str) -> None:
        """Depth first; each node placed when first reached, beside the node before it."""
        stack = [key]
        while stack:
            current = stack.pop()
            placed: list[str] = []
            for n, link in enumerate(forward[current]):
                if link.target not in row:
                    wanted = row[current] if n == 0 else row[current] + 1
                    place(link.target, wanted, column[current])
                    placed.append(link.target)
            stack.extend(reversed(placed))

    next_row = 0
    for key in roots:
        if key not in row:
            place(key, next_row, None)
            visit(key)
            next_row = max(row.values()) + 1
    layout = Layout()
    for key in order:
        w, h = SIZES.get(kinds[key], SIZES["task"])
        cx = MARGIN + column[key] * COLUMN + 50
        cy = MARGIN + row[key] * ROW + 40
        layout.nodes[key] = (cx - w / 2, cy - h / 2, w, h)
    loops = 0
    for i, link in enumerate(links):
        if link.source not in kinds or link.target not in kinds:
            continue
        if i in back:
            loops += 1
        layout.edges[i] = route(layout.nodes[link.source], layout.nodes[link.target],
                                backwards=i in back, lane=loops)  # fmt: skip
    return layout


def _back_edges(roots: Sequence[str], out: Mapping[str, list[tuple[int, Link]]]) -> set[int]:
    """Edges that close a loop (to a node on the current path), found depth first."""
    back: set[int] = set()
    state: dict[str, int] = {}  # 1 on the path, 2 done
    for root in roots:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(out[root]))]
        while stack:
            key, edges = stack[-1]
            for i, link in edges:
                seen = state.get(link.target)
                if seen == 1:
                    back.add(i)
                elif seen is None:
                    state[link.target] = 1
                    stack.append((link.target, iter(out[link.target])))
                    break
            else:
                state[key] = 2
                stack.pop()
    return back


def _columns(order: Sequence[str], forward: Mapping[str, list[Link]]) -> dict[str, int]:
    """The longest path from a source to each node over the forward edges."""
    into: dict[str, int] = {k: 0 for k in order}
    for links in forward.values():
        for link in links:
            into[link.target] += 1
    column = {k: 0 for k in order}
    ready = [k for k in order if into[k] == 0]
    while ready:
        key = ready.pop(0)
        for link in forward[key]:
            column[link.target] = max(column[link.target], column[key] + 1)
            into[link.target] -= 1
            if into[link.target] == 0:
                ready.append(link.target)
    return column


def route(source: Bounds, target: Bounds, *, backwards: bool = False, lane: int = 0) -> list[Point]:
    """Right-angled waypoints from ``source`` to ``target``."""
    sx, sy, sw, sh = source
    tx, ty, tw, th = target
    scx, scy, tcx, tcy = sx + sw / 2, sy + sh / 2, tx + tw / 2, ty + th / 2
    if backwards:  # over the top of both, a little higher for each loop
        top = min(sy, ty) - 20 - 8 * (lane % 4)
        return [(scx, sy), (scx, top), (tcx, top), (tcx, ty)]
    if abs(scy - tcy) < 1:
        return [(sx + sw, scy), (tx, tcy)]
    if sw == sh and sw <= 50 and tcx > scx:  # out of a gateway: down (or up), then across
        return [(scx, sy + sh if tcy > scy else sy), (scx, tcy), (tx, tcy)]
    if tw == th and tw <= 50 and tcx > scx:  # into a gateway: across, then up (or down)
        return [(sx + sw, scy), (tcx, scy), (tcx, ty + th if scy > tcy else ty)]
    middle = tx - 20 if tx - 20 > sx + sw else (sx + sw + tx) / 2
    return [(sx + sw, scy), (middle, scy), (middle, tcy), (tx, tcy)]


def between(source: Bounds, target: Bounds, lane: int = 0) -> list[Point]:
    """The dashed link of an incompatible pair: under both boxes, a little lower for each
    pair, so that it crosses no box of their row."""
    sx, sy, sw, sh = source
    tx, ty, tw, th = target
    bottom = max(sy + sh, ty + th) + 16 + 7 * (lane % 5)
    return [(sx + sw / 2, sy + sh), (sx + sw / 2, bottom), (tx + tw / 2, bottom),
            (tx + tw / 2, ty + th)]  # fmt: skip
