"""Validation of a process definition: every problem, each with its path.

``validate`` reads the definition (``riskctl.process.definition.parse``) and then checks
the graph: one start, ends, the ways out of each kind of node, reachability, a path to an
end from every node, exclusive gateways with a default, parallel splits with one matching
join, loops that would pass no task, posts the unit does not have, and incompatible pairs
that can never both happen on one item (a rule that can never fire protects nothing).
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l

from riskctl.process.conditions import Problem, decisions_in, is_pure_decision
from riskctl.process.definition import GATEWAYS, Definition, EdgeSpec, NodeSpec, parse


@dataclasses.dataclass(frozen=True)
class Validated:
    definition: Definition | None  # None when too broken to be read
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems and self.definition is not None


def validate(raw: object, known_posts: Iterable[str] | None = None) -> Validated:
    """Check a definition; ``known_posts``: post codes that may handle tasks (None: any)."""
    definition, problems = parse(raw)
    if definition is None:
        return Validated(None, tuple(problems))
    checker = _GraphChecker(definition, problems)
    checker.run(None if known_posts is None else frozenset(known_posts))
    definition = dataclasses.replace(definition, join_width=checker.join_width)
    return Validated(definition, tuple(problems))


class _GraphChecker:
    def __init__(self, definition: Definition, problems: list[Problem]) -> None:
        self.d = definition
        self.problems = problems
        self.join_width: dict[str, int] = {}
        # split → [nodes of each branch], for "can these two nodes co-occur?"
        self.branches: dict[str, list[set[str]]] = {}

    def at(self, node: NodeSpec, message: Any, suffix: str = "") -> None:
        self.problems.append(Problem(f"nodes[{node.index}]{suffix}", message))

    def at_edge(self, edge: EdgeSpec, message: Any, suffix: str = "") -> None:
        self.problems.append(Problem(f"edges[{edge.index}]{suffix}", message))

    def run(self, known_posts: frozenset[str] | None) -> None:
        d = self.d
        starts = [n for n in d.nodes if n.kind == "start"]
        if not starts:
            self.problems.append(Problem("nodes", _l("a process needs a start node")))
            return
        for extra in starts[1:]:
            self.at(extra, _l("a second start node (the first is %(node)s)",
                              node=repr(starts[0].key)))  # fmt: skip
        if not any(n.kind == "end" for n in d.nodes):
            self.problems.append(Problem("nodes", _l("a process needs at least one end node")))
        if known_posts is not None:
            for node in d.nodes:
                if node.post and node.post not in known_posts:
                    self.at(node, _l("unknown post %(post)s", post=repr(node.post)), ".post")
                if node.meeting is not None:
                    self._meeting_posts(node, known_posts)
        self._duplicate_edges()
        for node in d.nodes:
            self._ways_out(node)
        self._reachability(starts[0])
        self._gateway_loops()
        self._parallel_regions()
        self._rules_can_fire()

    # ------------------------------------------------------------ local checks

    def _duplicate_edges(self) -> None:
        seen: dict[tuple[str, str, bool], EdgeSpec] = {}
        for edge in self.d.edges:
            if edge.when is not None:
                continue
            key = (edge.source, edge.target, edge.default)
            if key in seen:
                self.at_edge(edge, _l("duplicate edge (also %(other)s)",
                                      other=f"edges[{seen[key].index}]"))  # fmt: skip
            else:
                seen[key] = edge

    def _ways_out(self, node: NodeSpec) -> None:
        outs = self.d.outgoing.get(node.key, ())
        ins = self.d.incoming.get(node.key, ())
        guarded = [e for e in outs if e.when is not None or e.default]
        if node.kind == "start":
            for edge in ins:
                self.at_edge(edge, _l("no edge may lead into the start node"), ".to")
            if len(outs) != 1:
                self.at(node, _l("the start node needs exactly one way out"))
            for edge in guarded:
                self.at_edge(edge, _l("the way out of the start node has no condition"))
        elif node.kind == "end":
            for edge in outs:
                self.at_edge(edge, _l("no edge may leave an end node"), ".from")
        elif node.is_task:
            self._task_ways_out(node, outs)
            if node.meeting is not None and node.decisions and "approve" not in node.decision_keys:
                self.at(node, _l("a meeting's decisions include approve (通过)"), ".decisions")
        elif node.kind == "exclusive":
            self._exclusive_ways_out(node, outs)
        elif node.kind == "parallel":
            if len(outs) < 2:
                self.at(node, _l("a parallel split needs at least two branches"))
            for edge in guarded:
                self.at_edge(edge, _l("the branches of a parallel split all run: no condition"))
        elif node.kind == "join":
            if len(ins) < 2:
                self.at(node, _l("a join needs at least two ways in"))
            if len(outs) != 1:
                self.at(node, _l("a join needs exactly one way out"))
            for edge in guarded:
                self.at_edge(edge, _l("the way out of a join has no condition"))

    def _meeting_posts(self, node: NodeSpec, known_posts: frozenset[str]) -> None:
        meeting = node.meeting
        assert meeting is not None
        for j, post in enumerate(meeting.members):
            if post not in known_posts:
                self.at(node, _l("unknown post %(post)s", post=repr(post)), f".members[{j}]")
        if meeting.observer and meeting.observer not in known_posts:
            self.at(node, _l("unknown post %(post)s", post=repr(meeting.observer)), ".observer")

    def _task_ways_out(self, node: NodeSpec, outs: tuple[EdgeSpec, ...]) -> None:
        offered = set(node.decision_keys)
        for edge in outs:
            if edge.when is not None:
                for unknown in sorted(decisions_in(edge.when) - offered):
                    self.at_edge(
                        edge,
                        _l(
                            "%(node)s does not offer decision %(decision)s",
                            node=repr(node.key),
                            decision=repr(unknown),
                        ),
                        ".when",
                    )
        if len(outs) <= 1:
            if outs and outs[0].when is not None:
                self.at_edge(outs[0], _l("the only way out of a task cannot have a condition"))
            return
        defaults = [e for e in outs if e.default]
        plain = [e for e in outs if e.when is None and not e.default]
        if plain:
            self.at(node, _l("several ways out: give each a condition (when) or mark one default"))
        if len(defaults) > 1:
            self.at(node, _l("more than one default way out"))
        if defaults or plain:
            return
        if not all(e.when is not None and is_pure_decision(e.when) for e in outs):
            self.at(node, _l("ways out that test fields need a default branch"))
            return
        covered = set().union(*(decisions_in(e.when) for e in outs if e.when is not None))
        missing = sorted(offered - covered)
        if not offered:
            self.at(node, _l("routes by decision but offers none (add decisions)"))
        elif missing:
            self.at(node, _l("decision(s) %(decisions)s lead nowhere; add a default branch",
                             decisions=", ".join(missing)))  # fmt: skip

    def _exclusive_ways_out(self, node: NodeSpec, outs: tuple[EdgeSpec, ...]) -> None:
        if len(outs) < 2:
            self.at(node, _l("an exclusive gateway needs at least two ways out"))
        defaults = [e for e in outs if e.default]
        if not defaults:
            self.at(node, _l("exclusive gateway without a default branch"))
        elif len(defaults) > 1:
            self.at(node, _l("an exclusive gateway has exactly one default branch"))
        offered = {k for n in self.d.nodes for k in n.decision_keys}
        for edge in outs:
            if not edge.default and edge.when is None:
                self.at_edge(edge, _l("a branch of an exclusive gateway needs a condition (when)"))
            if edge.when is not None:
                for unknown in sorted(decisions_in(edge.when) - offered):
                    self.at_edge(edge, _l("no node offers decision %(decision)s",
                                          decision=repr(unknown)), ".when")  # fmt: skip

    # ------------------------------------------------------------ graph checks

    def _reach(self, start: str, *, forward: bool = True) -> set[str]:
        links = self.d.outgoing if forward else self.d.incoming
        seen, queue = {start}, deque([start])
        while queue:
            for edge in links.get(queue.popleft(), ()):
                nxt = edge.target if forward else edge.source
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return seen

    def _reachability(self, start: NodeSpec) -> None:
        reached = self._reach(start.key)
        can_end: set[str] = set()
        for end in (n for n in self.d.nodes if n.kind == "end"):
            can_end |= self._reach(end.key, forward=False)
        for node in self.d.nodes:
            if node.key not in reached:
                self.at(node, _l("unreachable node %(node)s: no path from the start leads here",
                                 node=repr(node.key)))  # fmt: skip
            elif node.key not in can_end and node.kind != "end":
                self.at(node, _l("node %(node)s has no path to an end", node=repr(node.key)))

    def _gateway_loops(self) -> None:
        gates = {n.key for n in self.d.nodes if n.kind in GATEWAYS}
        state: dict[str, int] = {}  # 1 on the stack, 2 done

        def visit(key: str, trail: list[str]) -> None:
            state[key] = 1
            for edge in self.d.outgoing.get(key, ()):
                nxt = edge.target
                if nxt not in gates:
                    continue
                if state.get(nxt) == 1:
                    loop = [*trail[trail.index(nxt) :], nxt]
                    self.at(self.d.node_map[nxt], _l("a loop of gateways with no task: %(loop)s",
                                                     loop=" → ".join(loop)))  # fmt: skip
                elif nxt not in state:
                    visit(nxt, [*trail, nxt])
            state[key] = 2

        for key in sorted(gates):
            if key not in state:
                visit(key, [key])

    def _parallel_regions(self) -> None:
        d = self.d
        matched: dict[str, str] = {}  # join → split
        cache: dict[str, str | None] = {}
        failed: set[str] = set()  # splits already reported

        def match(split: str, active: frozenset[str]) -> str | None:
            """The join where every branch of ``split`` meets, or None (problem noted)."""
            if split in cache:
                return cache[split]
            if split in active:
                return None
            cache[split] = None
            node = d.node_map[split]
            termini: list[set[str]] = []
            regions: list[set[str]] = []
            escaped = False
            for edge in d.outgoing.get(split, ()):
                found, region, broken = walk(edge.target, split, active | {split})
                termini.append(found)
                regions.append(region)
                escaped |= broken
            joins = set().union(*termini) if termini else set()
            # Kept even when the split is broken: its branches still run side by side.
            self.branches[split] = regions
            if escaped:
                failed.add(split)
                return None
            if len(joins) != 1 or any(not t for t in termini):
                what: Any = ", ".join(sorted(joins)) or _l("none")
                self.at(node, _l("parallel split without a matching join (branches meet at: "
                                 "%(joins)s)", joins=what))  # fmt: skip
                failed.add(split)
                return None
            join = joins.pop()
            inside = set().union(*regions)
            for edge in d.incoming.get(join, ()):
                if edge.source not in inside:
                    self.at_edge(
                        edge,
                        _l(
                            "join %(join)s is also reached from outside split %(split)s",
                            join=repr(join),
                            split=repr(split),
                        ),
                    )
            if join in matched:
                self.at(node, _l("join %(join)s already closes split %(split)s", join=repr(join),
                                 split=repr(matched[join])))  # fmt: skip
                failed.add(split)
                return None
            matched[join] = split
            self.join_width[join] = len(termini)
            cache[split] = join
            return join

        def walk(first: str, split: str, active: frozenset[str]) -> tuple[set[str], set[str], bool]:
            """Joins reached from ``first`` inside one branch, the nodes on the way, and
            whether the branch escaped (a problem already noted)."""
            joins: set[str] = set()
            seen: set[str] = set()
            stack = [first]
            while stack:
                key = stack.pop()
                if key in seen:
                    continue
                node = d.node_map[key]
                if node.kind == "join":
                    joins.add(key)
                    continue
                seen.add(key)
                if key == split:
                    self.at(
                        d.node_map[split], _l("a branch of this parallel split loops back to it")
                    )
                    return joins, seen, True
                if node.kind in ("end", "start"):
                    self.at(
                        d.node_map[split],
                        _l(
                            "a branch of this parallel split reaches %(node)s without joining",
                            node=repr(key),
                        ),
                    )
                    return joins, seen, True
                if node.kind == "parallel":
                    inner = match(key, active)
                    if inner is None:
                        return joins, seen, True
                    seen |= {inner, *set().union(*self.branches.get(key, []))}
                    stack.extend(e.target for e in d.outgoing.get(inner, ()))
                    continue
                stack.extend(e.target for e in d.outgoing.get(key, ()))
            return joins, seen, False

        for node in d.nodes:
            if node.kind == "parallel":
                match(node.key, frozenset())
        if failed:
            return  # an unmatched join is then a consequence, already explained
        for node in d.nodes:
            if node.kind == "join" and node.key not in matched:
                self.at(node, _l("join %(join)s closes no parallel split", join=repr(node.key)))

    def _rules_can_fire(self) -> None:
        for rule in self.d.rules:
            a, b = rule.nodes
            if b in self._reach(a) or a in self._reach(b):
                continue
            if any(
                a in regions[i] and b in regions[j]
                for regions in self.branches.values()
                for i in range(len(regions))
                for j in range(len(regions))
                if i != j
            ):
                continue
            self.problems.append(
                Problem(
                    f"incompatible[{rule.index}].nodes",
                    _l(
                        "%(a)s and %(b)s never both happen on one item; the rule could never apply",
                        a=repr(a),
                        b=repr(b),
                    ),
                )
            )
