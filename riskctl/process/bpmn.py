"""BPMN 2.0 interchange: a process version as BPMN XML with its diagram (BPMNDI), and a
BPMN file — riskctl's own, or one drawn in Camunda Modeler, bpmn.io or SpiffWorkflow —
as a definition in the format of api.md.  Plain Python: no database, no app.

What maps (docs/processes.md, "BPMN"):

==========================  ==============================================================
riskctl                     BPMN
==========================  ==============================================================
start / end (result)        startEvent / endEvent (``riskctl:result="rejected"``)
task                        userTask (manualTask and task are read as tasks too)
meeting                     userTask with ``<riskctl:meeting>`` (members, chair …)
exclusive (default edge)    exclusiveGateway (``default=``)
parallel / join             parallelGateway (two or more ways in: a join)
edge ``when``               sequenceFlow ``conditionExpression`` (``riskctl.process.expressions``)
post, limit, risk, edits,   ``riskctl:post`` … attributes, ``<riskctl:decision>``; other
watch, decisions            tools' ``camunda:candidateGroups`` or a lane's name as the post
fields                      ``<riskctl:field>`` in the process's extensionElements
incompatible pair           an association between the two tasks with ``riskctl:mode``
description                 the process's documentation
==========================  ==============================================================

Everything riskctl cannot run (timers, messages, scripts, inclusive gateways,
sub-processes, repeated tasks …) is refused, each with its element id, its name and what
to do about it; notes say what was left out on purpose (text annotations, data objects,
an exclusive gateway that only merges ways).  Reading uses defusedxml: no DTD, no
entities, no external references; the caller bounds the size.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as parse_xml
from flask_babel import lazy_gettext as _l

from riskctl.process import expressions
from riskctl.process.conditions import parse_condition
from riskctl.process.definition import CODE_RE, PROCESS_KEY_RE, Definition, parse
from riskctl.process.diagram import condition_label
from riskctl.process.layout import Layout, Link, Shape, automatic, between, route

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
RISKCTL = "urn:riskctl:bpmn:1"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
PREFIXES = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI, "xsi": XSI, "riskctl": RISKCTL}
MAX_ELEMENTS = 20_000  # XML elements in one file: a large process has a few hundred
XML_TYPES = frozenset({"application/xml", "text/xml", "application/bpmn+xml"})


def _q(prefix: str, name: str) -> str:
    return f"{{{PREFIXES[prefix]}}}{name}"


def _r(name: str) -> str:
    return f"{{{RISKCTL}}}{name}"


# ---------------------------------------------------------------- writing


def export_bpmn(raw: Mapping[str, Any], layout: Layout | None = None) -> str:
    """BPMN 2.0 XML of a definition (``raw``: the stored body), drawn with ``layout``
    when it places every node, else automatically."""
    for prefix, uri in PREFIXES.items():
        ET.register_namespace(prefix, uri)
    nodes = [n for n in _list(raw.get("nodes")) if isinstance(n, Mapping) and _is_key(n.get("key"))]
    keys = {str(n["key"]) for n in nodes}
    edges = [
        (i, e) for i, e in enumerate(_edge(e) for e in _list(raw.get("edges")))
        if e is not None and e["from"] in keys and e["to"] in keys
    ]  # fmt: skip
    pairs = [
        (i, p) for i, p in enumerate(_list(raw.get("incompatible")))
        if isinstance(p, Mapping) and isinstance(p.get("nodes"), list) and len(p["nodes"]) == 2
        and all(isinstance(k, str) and k in keys for k in p["nodes"])
    ]  # fmt: skip
    kinds = {str(n["key"]): _kind(n) for n in nodes}
    if layout is None or not keys <= layout.nodes.keys():
        layout = automatic(
            [Shape(k, kinds[k]) for k in kinds],
            [Link(e["from"], e["to"], e.get("default") is True) for _i, e in edges],
        )  # fmt: skip
    key = str(raw.get("key") or "process")
    process_id = f"Process_{_id_text(key)}"
    root = ET.Element(_q("bpmn", "definitions"), {
        "id": "Definitions_1", "targetNamespace": "urn:riskctl:process",
        "exporter": "riskctl", "exporterVersion": "1",
    })  # fmt: skip
    attrs = {"id": process_id, "isExecutable": "true", _r("key"): key}
    if isinstance(raw.get("name"), str):
        attrs["name"] = raw["name"]
    for name, attr in (("category", "category"), ("risk", "risk"),
                       ("conflict_of_interest", "conflictOfInterest")):  # fmt: skip
        if name in raw:
            attrs[_r(attr)] = _text(raw[name])
    process = ET.SubElement(root, _q("bpmn", "process"), attrs)
    if isinstance(raw.get("description"), str) and raw["description"]:
        ET.SubElement(process, _q("bpmn", "documentation")).text = raw["description"]
    fields = [f for f in _list(raw.get("fields")) if isinstance(f, Mapping)]
    if fields:
        extensions = ET.SubElement(process, _q("bpmn", "extensionElements"))
        for spec in fields:
            _write_field(extensions, spec)
    defaults = {e["from"]: f"Flow_{i}" for i, e in edges if e.get("default") is True}
    readable, _problems = parse(raw)  # for the conditions in words beside the arrows
    for node in nodes:
        _write_node(process, node, kinds[str(node["key"])], defaults.get(str(node["key"])))
    for i, edge in edges:
        flow = ET.SubElement(process, _q("bpmn", "sequenceFlow"), {
            "id": f"Flow_{i}", "sourceRef": edge["from"], "targetRef": edge["to"],
        })  # fmt: skip
        if "when" in edge:
            if readable is not None and (label := _when_label(edge["when"], readable)):
                flow.set("name", label)
            expression = ET.SubElement(flow, _q("bpmn", "conditionExpression"),
                                       {_q("xsi", "type"): "bpmn:tFormalExpression"})  # fmt: skip
            expression.text = expressions.render(edge["when"])
    for i, pair in pairs:
        attrs = {
            "id": f"Pair_{i}",
            "sourceRef": pair["nodes"][0],
            "targetRef": pair["nodes"][1],
            "associationDirection": "None",
            _r("mode"): _text(pair.get("mode", "block")),
        }
        for name, attr in (("code", "code"), ("name", "pairName"), ("basis", "basis")):
            if name in pair:
                attrs[_r(attr)] = _text(pair[name])
        ET.SubElement(process, _q("bpmn", "association"), attrs)
    _write_diagram(root, process_id, kinds, edges, pairs, layout)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_key(value: Any) -> bool:
    return isinstance(value, str) and CODE_RE.match(value) is not None


def _edge(raw: Any) -> dict[str, Any] | None:
    if isinstance(raw, list) and len(raw) == 2:
        return {"from": raw[0], "to": raw[1]}
    if isinstance(raw, Mapping) and "from" in raw and "to" in raw:
        return dict(raw)
    return None


def _kind(node: Mapping[str, Any]) -> str:
    kind = node.get("kind", "task")
    return kind if isinstance(kind, str) else "task"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _id_text(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", key) or "process"


def _write_field(parent: ET.Element, spec: Mapping[str, Any]) -> None:
    attrs = {
        k: _text(spec[k])
        for k in ("key", "label", "type", "required", "process", "counterparty")
        if k in spec
    }
    element = ET.SubElement(parent, _r("field"), attrs)
    for choice in _list(spec.get("choices")):
        ET.SubElement(element, _r("choice"), {"value": _text(choice)})


def _write_node(
    parent: ET.Element, node: Mapping[str, Any], kind: str, default: str | None
) -> None:
    tag = {
        "start": "startEvent",
        "end": "endEvent",
        "exclusive": "exclusiveGateway",
        "parallel": "parallelGateway",
        "join": "parallelGateway",
    }.get(kind, "userTask")
    attrs = {"id": str(node["key"])}
    if isinstance(node.get("name"), str) and node["name"]:
        attrs["name"] = node["name"]
    if default is not None:
        attrs["default"] = default
    for name in ("post", "limit", "risk", "watch", "result"):
        if name in node:
            attrs[_r(name)] = _text(node[name])
    if "edits" in node:
        attrs[_r("edits")] = " ".join(_text(e) for e in _list(node["edits"]))
    if kind not in ("start", "end", "exclusive", "parallel", "join", "task", "meeting"):
        attrs[_r("kind")] = kind  # not a kind riskctl knows: kept for the validator to name
    element = ET.SubElement(parent, _q("bpmn", tag), attrs)
    decisions = _list(node.get("decisions"))
    if decisions or kind == "meeting":
        extensions = ET.SubElement(element, _q("bpmn", "extensionElements"))
        if kind == "meeting":
            meeting = {name: _text(node[name]) for name in ("chair", "observer", "quorum")
                       if name in node}  # fmt: skip
            if "members" in node:
                meeting["members"] = " ".join(_text(m) for m in _list(node["members"]))
            ET.SubElement(extensions, _r("meeting"), meeting)
        for decision in decisions:
            if isinstance(decision, Mapping):
                attrs = {k: _text(decision[k]) for k in ("key", "label") if k in decision}
            else:
                attrs = {"key": _text(decision)}
            ET.SubElement(extensions, _r("decision"), attrs)


def _when_label(when: Any, definition: Definition) -> str:
    """The condition in words, shown beside the arrow (the expression is what counts)."""
    found = parse_condition(when, definition.field_map, "", [])
    return condition_label(found, definition) if found is not None else ""


def _write_diagram(
    root: ET.Element,
    process_id: str,
    kinds: Mapping[str, str],
    edges: list[tuple[int, dict[str, Any]]],
    pairs: list[tuple[int, Any]],
    layout: Layout,
) -> None:
    diagram = ET.SubElement(root, _q("bpmndi", "BPMNDiagram"), {"id": "BPMNDiagram_1"})
    plane = ET.SubElement(diagram, _q("bpmndi", "BPMNPlane"),
                          {"id": "BPMNPlane_1", "bpmnElement": process_id})  # fmt: skip
    for key, kind in kinds.items():
        x, y, w, h = layout.nodes[key]
        attrs = {"id": f"BPMNShape_{key}", "bpmnElement": key}
        if kind == "exclusive":
            attrs["isMarkerVisible"] = "true"
        shape = ET.SubElement(plane, _q("bpmndi", "BPMNShape"), attrs)
        ET.SubElement(shape, _q("dc", "Bounds"), _bounds(x, y, w, h))
    for i, edge in edges:
        points = layout.edges.get(i) or route(layout.nodes[edge["from"]], layout.nodes[edge["to"]])
        _write_edge(plane, f"Flow_{i}", points)
    for i, pair in pairs:
        a, b = pair["nodes"]
        _write_edge(plane, f"Pair_{i}", between(layout.nodes[a], layout.nodes[b], lane=i))


def _bounds(x: float, y: float, w: float, h: float) -> dict[str, str]:
    return {"x": _number(x), "y": _number(y), "width": _number(w), "height": _number(h)}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _write_edge(plane: ET.Element, element: str, points: list[tuple[float, float]]) -> None:
    edge = ET.SubElement(plane, _q("bpmndi", "BPMNEdge"),
                         {"id": f"BPMNEdge_{element}", "bpmnElement": element})  # fmt: skip
    for x, y in points:
        ET.SubElement(edge, _q("di", "waypoint"), {"x": _number(x), "y": _number(y)})


# ---------------------------------------------------------------- reading


class Unreadable(Exception):
    """Not a BPMN document we read: too large (413), or not XML, a DTD, entities,
    external references, not BPMN (422)."""

    def __init__(self, message: Any, status: int = 422) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@dataclass(frozen=True)
class Finding:
    """A BPMN element refused, or left out on purpose, and what to do about it."""

    element: str
    name: str
    message: Any

    def as_dict(self) -> dict[str, str]:
        return {"path": self.element, "element": self.element, "name": self.name,
                "message": str(self.message)}  # fmt: skip


@dataclass(frozen=True)
class Imported:
    raw: dict[str, Any]
    layout: Layout
    # Where a definition path starts ("nodes[3]", "edges[5]", "incompatible[0]", and
    # "" for the process itself) → the BPMN element it came from.
    elements: dict[str, str]
    refused: tuple[Finding, ...] = ()
    notes: tuple[Finding, ...] = ()

    def element_of(self, path: str) -> str:
        """The BPMN element a definition problem's path is about (the process else)."""
        found = re.match(r"^(nodes|edges|incompatible)\[\d+\]", path)
        return self.elements.get(found.group() if found else "", self.elements.get("", ""))


_AUTOMATED = {
    "serviceTask": _l("a service task"), "scriptTask": _l("a script task"),
    "businessRuleTask": _l("a business rule task"), "sendTask": _l("a send task"),
    "receiveTask": _l("a receive task"),
}  # fmt: skip
_NESTED = {"subProcess": _l("a sub-process"), "transaction": _l("a transaction"),
           "adHocSubProcess": _l("an ad-hoc sub-process"),
           "callActivity": _l("a call activity")}  # fmt: skip
_GATEWAYS = {"inclusiveGateway": _l("an inclusive gateway"),
             "complexGateway": _l("a complex gateway"),
             "eventBasedGateway": _l("an event-based gateway")}  # fmt: skip
_EVENTS = {"intermediateCatchEvent": _l("an intermediate event"),
           "intermediateThrowEvent": _l("an intermediate event"),
           "boundaryEvent": _l("an event attached to a task")}  # fmt: skip
_NOTED = {"textAnnotation", "group", "dataObject", "dataObjectReference", "dataStoreReference",
          "ioSpecification", "property", "category"}  # fmt: skip
_TASKS = {"task", "userTask", "manualTask"}


def import_bpmn(
    data: bytes | str, *, posts: Mapping[str, str] | None = None, max_bytes: int = 1024 * 1024
) -> Imported:
    """The definition a BPMN file stands for; ``posts`` (code → name) lets a lane's or a
    candidate group's name name a post.  ``Unreadable`` for a file we do not read."""
    root = _parse(data, max_bytes)
    process, pool_name = _the_process(root)
    reader = _Reader(process, posts or {})
    raw = reader.read(pool_name)
    reader.layout_from(root)
    return Imported(raw, reader.layout, reader.elements, tuple(reader.refused),
                    tuple(reader.notes))  # fmt: skip


def _parse(data: bytes | str, max_bytes: int) -> ET.Element:
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if size > max_bytes:
        raise Unreadable(_l("the file is larger than %(n)d KiB", n=max_bytes // 1024), 413)
    if not size:
        raise Unreadable(_l("the file is empty"))
    try:
        root = parse_xml(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        raise Unreadable(
            _l(
                "the file declares a DTD or entities, which BPMN does not use; save it again "
                "from the modeler"
            )
        ) from None
    except (ParseError, ValueError):
        raise Unreadable(_l("the file is not well-formed XML")) from None
    if root.tag != _q("bpmn", "definitions"):
        raise Unreadable(_l("not a BPMN 2.0 document (its root is not bpmn:definitions)"))
    if sum(1 for _ in root.iter()) > MAX_ELEMENTS:
        raise Unreadable(_l("the file has more than %(n)d elements", n=MAX_ELEMENTS), 413)
    found: ET.Element = root
    return found


def _local(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


def _ns(element: ET.Element) -> str:
    return element.tag[1:].partition("}")[0] if element.tag.startswith("{") else ""


def _name(element: ET.Element) -> str:
    return (element.get("name") or "").strip()


def _the_process(root: ET.Element) -> tuple[ET.Element, str]:
    """The one process the file draws, and its pool's name."""
    processes = root.findall(_q("bpmn", "process"))
    participants = root.findall(f"{_q('bpmn', 'collaboration')}/{_q('bpmn', 'participant')}")
    pools = [p for p in participants if p.get("processRef")]
    if len(pools) > 1 or root.find(f".//{_q('bpmn', 'messageFlow')}") is not None:
        raise Unreadable(_l("the file has several pools talking by messages; riskctl runs one "
                            "process per file: keep one pool"))  # fmt: skip
    with_nodes = [p for p in processes if len(p) > 0]
    if pools:
        chosen = [p for p in processes if p.get("id") == pools[0].get("processRef")]
        return (chosen[0] if chosen else _no_process()), _name(pools[0])
    if len(with_nodes) > 1:
        raise Unreadable(_l("the file has several processes; riskctl runs one process per file"))
    if not with_nodes:
        return _no_process(), ""
    return with_nodes[0], ""


def _no_process() -> ET.Element:
    raise Unreadable(_l("the file draws no process"))


class _Reader:
    def __init__(self, process: ET.Element, posts: Mapping[str, str]) -> None:
        self.process = process
        self.posts = posts
        self.by_name = {name: code for code, name in posts.items()}
        self.refused: list[Finding] = []
        self.notes: list[Finding] = []
        self.elements: dict[str, str] = {"": process.get("id", "")}
        self.keys: dict[str, str] = {}  # element id → node key
        self.layout = Layout()
        self.edge_ids: list[str] = []
        self.pair_ids: list[str] = []

    def refuse(self, element: ET.Element, message: Any) -> None:
        self.refused.append(Finding(element.get("id", ""), _name(element), message))

    def note(self, element: ET.Element, message: Any) -> None:
        self.notes.append(Finding(element.get("id", ""), _name(element), message))

    # ------------------------------------------------------------ the document

    def read(self, pool_name: str) -> dict[str, Any]:
        p = self.process
        raw: dict[str, Any] = {"key": self._process_key(), "name": _name(p) or pool_name}
        if not raw["name"]:
            del raw["name"]
        for attr, name in (("category", "category"), ("risk", "risk"),
                           ("conflictOfInterest", "conflict_of_interest")):  # fmt: skip
            if (value := p.get(_r(attr))) is not None:
                raw[name] = _number_or_text(value) if name == "risk" else value
        documentation = p.find(_q("bpmn", "documentation"))
        if documentation is not None and (documentation.text or "").strip():
            raw["description"] = documentation.text.strip()  # type: ignore[union-attr]
        fields = [self._field(f) for f in p.iterfind(f"{_q('bpmn', 'extensionElements')}/"
                                                     f"{_r('field')}")]  # fmt: skip
        raw["fields"] = fields
        lanes = self._lanes()
        flow_nodes: list[ET.Element] = []
        flows: list[ET.Element] = []
        associations: list[ET.Element] = []
        for child in p:
            local = _local(child)
            if _ns(child) != BPMN or local in ("documentation", "extensionElements"):
                continue
            if local == "sequenceFlow":
                flows.append(child)
            elif local == "association":
                associations.append(child)
            elif local == "laneSet":
                continue
            elif local in ("startEvent", "endEvent", "exclusiveGateway", "parallelGateway",
                           *_TASKS):  # fmt: skip
                if self._runnable(child):
                    flow_nodes.append(child)
            else:
                self._refuse_or_note(child)
        # A parallel gateway splits or joins by the ways drawn into and out of it, before
        # merging gateways are taken away (their ways in then lead into it directly).
        counts = self._counts(flows)
        flows = self._bypass_merges(flow_nodes, flows)
        ids = {n.get("id", "") for n in flow_nodes}
        for node in flow_nodes:
            self.keys[node.get("id", "")] = self._key_for(node.get("id", ""))
        field_types = {str(f.get("key")): str(f.get("type", "text")) for f in fields}
        raw["nodes"] = [self._node(n, lanes, counts) for n in flow_nodes]
        for i, node in enumerate(flow_nodes):
            self.elements[f"nodes[{i}]"] = node.get("id", "")
        defaults = {n.get("default") for n in flow_nodes if n.get("default")}
        edges: list[dict[str, Any]] = []
        for flow in flows:
            if flow.get("sourceRef") not in ids or flow.get("targetRef") not in ids:
                continue  # its end was refused (and said so) or is missing (said below)
            edge = self._edge(flow, defaults, field_types)
            if edge is not None:
                self.elements[f"edges[{len(edges)}]"] = flow.get("id", "")
                self.edge_ids.append(flow.get("id", ""))
                edges.append(edge)
        raw["edges"] = edges
        pairs: list[dict[str, Any]] = []
        for association in associations:
            pair = self._pair(association, ids)
            if pair is not None:
                self.elements[f"incompatible[{len(pairs)}]"] = association.get("id", "")
                self.pair_ids.append(association.get("id", ""))
                pairs.append(pair)
        if pairs:
            raw["incompatible"] = pairs
        return raw

    def _process_key(self) -> str:
        given = self.process.get(_r("key"))
        if given is not None:
            return given
        text = re.sub(r"[^a-z0-9_-]", "_", (self.process.get("id") or "process").lower())
        text = text if text[:1].isalpha() else f"p_{text}"
        return text[:40] if PROCESS_KEY_RE.match(text[:40]) else "process"

    def _key_for(self, element_id: str) -> str:
        text = re.sub(r"[^a-z0-9_]", "_", element_id.lower()) or "node"
        text = (text if text[:1].isalpha() else f"n_{text}")[:40]
        taken = set(self.keys.values())
        found, n = text, 2
        while found in taken:
            suffix = f"_{n}"
            found, n = text[: 40 - len(suffix)] + suffix, n + 1
        return found

    def _field(self, element: ET.Element) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        for name in ("key", "label", "type", "process"):
            if (value := element.get(name)) is not None:
                spec[name] = value
        for name in ("required", "counterparty"):
            if (value := element.get(name)) is not None:
                spec[name] = _flag(value)
        choices = [c.get("value", "") for c in element.iterfind(_r("choice"))]
        if choices:
            spec["choices"] = choices
        return spec

    def _lanes(self) -> dict[str, str]:
        """Flow node id → the name of the lane it is in (innermost lane wins)."""
        found: dict[str, str] = {}
        for lane in self.process.iter(_q("bpmn", "lane")):
            for ref in lane.iterfind(_q("bpmn", "flowNodeRef")):
                found[(ref.text or "").strip()] = _name(lane) or lane.get("id", "")
        return found

    # ------------------------------------------------------------ refusals

    def _runnable(self, element: ET.Element) -> bool:
        local = _local(element)
        definitions = [_local(c) for c in element if _local(c).endswith("EventDefinition")]
        if local == "startEvent" and definitions:
            self.refuse(element, _l("a start event with a trigger (%(what)s) is not run: an "
                                    "item is started by a person; use a plain start event",
                                    what=", ".join(definitions)))  # fmt: skip
            return False
        if local == "endEvent" and [d for d in definitions if d != "terminateEventDefinition"]:
            self.refuse(element, _l("an end event that throws (%(what)s) is not run: use a "
                                    "plain end event, ending as completed or rejected",
                                    what=", ".join(definitions)))  # fmt: skip
            return False
        loops = [c for c in element if _local(c).endswith("LoopCharacteristics")]
        if loops:
            self.refuse(
                element,
                _l(
                    "a repeated task (loop or multi-instance) is not run: "
                    "draw one task; for a countersign by several posts, a "
                    "parallel split with one task per post and a join"
                ),
            )
            return False
        return True

    def _refuse_or_note(self, element: ET.Element) -> None:
        local = _local(element)
        if local in _AUTOMATED:
            self.refuse(element, _l("%(what)s is done by a program, not by a person, and is "
                                    "not run: make it a user task with the post that does "
                                    "it, or remove it", what=_AUTOMATED[local]))  # fmt: skip
        elif local in _NESTED:
            self.refuse(element, _l("%(what)s is not run: draw its steps in this process "
                                    "itself", what=_NESTED[local]))  # fmt: skip
        elif local in _GATEWAYS:
            self.refuse(element, _l("%(what)s is not run: use an exclusive gateway (one way, "
                                    "by conditions) or a parallel split with its join (all "
                                    "ways)", what=_GATEWAYS[local]))  # fmt: skip
        elif local in _EVENTS:
            if element.find(_q("bpmn", "timerEventDefinition")) is not None:
                self.refuse(element, _l("a timer is not run: give the task a time limit "
                                        "(working days, calendar days or hours) instead; the "
                                        "risk scan flags a task past its limit"))  # fmt: skip
            else:
                self.refuse(element, _l("%(what)s (a message, signal or other event) is not "
                                        "run: remove it and connect the steps directly",
                                        what=_EVENTS[local]))  # fmt: skip
        elif local in _NOTED:
            self.note(element, _l("not kept: riskctl keeps the steps, their order and the "
                                  "process's fields; write notes in the description"))  # fmt: skip
        else:
            self.refuse(element, _l("a BPMN %(what)s is not run by riskctl: remove it",
                                    what=local))  # fmt: skip

    def _bypass_merges(self, nodes: list[ET.Element], flows: list[ET.Element]) -> list[ET.Element]:
        """An exclusive gateway that only merges ways (several in, one plain way out) does
        nothing in riskctl, where a step may be reached from several: its ways in lead
        straight on, and a note says so."""
        while True:
            counts = self._counts(flows)
            merge = next((
                n for n in nodes
                if _local(n) == "exclusiveGateway"
                and counts.get(n.get("id", ""), (0, 0))[0] >= 2
                and counts.get(n.get("id", ""), (0, 0))[1] == 1
                and self._plain_way_out(n, flows)
            ), None)  # fmt: skip
            if merge is None:
                return flows
            merge_id = merge.get("id", "")
            out = next(f for f in flows if f.get("sourceRef") == merge_id)
            nodes.remove(merge)
            kept = []
            for flow in flows:
                if flow is out:
                    continue
                if flow.get("targetRef") == merge_id:
                    flow = _copy(flow)
                    flow.set("targetRef", out.get("targetRef", ""))
                kept.append(flow)
            flows = kept
            self.note(merge, _l("an exclusive gateway that only merges ways is not kept: the "
                                "ways into it lead straight to the next step"))  # fmt: skip

    @staticmethod
    def _plain_way_out(node: ET.Element, flows: list[ET.Element]) -> bool:
        out = [f for f in flows if f.get("sourceRef") == node.get("id")]
        return len(out) == 1 and _expression(out[0]) == ""

    @staticmethod
    def _counts(flows: list[ET.Element]) -> dict[str, tuple[int, int]]:
        found: dict[str, list[int]] = {}
        for flow in flows:
            found.setdefault(flow.get("targetRef", ""), [0, 0])[0] += 1
            found.setdefault(flow.get("sourceRef", ""), [0, 0])[1] += 1
        return {k: (v[0], v[1]) for k, v in found.items()}

    # ------------------------------------------------------------ nodes

    def _node(
        self, element: ET.Element, lanes: Mapping[str, str], counts: Mapping[str, tuple[int, int]]
    ) -> dict[str, Any]:
        local, element_id = _local(element), element.get("id", "")
        meeting = element.find(f"{_q('bpmn', 'extensionElements')}/{_r('meeting')}")
        kind = {"startEvent": "start", "endEvent": "end", "exclusiveGateway": "exclusive"}.get(
            local, "task"
        )
        if local == "parallelGateway":
            ins, outs = counts.get(element_id, (0, 0))
            kind = "join" if ins >= 2 and outs <= 1 else "parallel"
            if ins >= 2 and outs >= 2:
                self.refuse(element, _l("a parallel gateway that both joins and splits: draw "
                                        "a join, then a split"))  # fmt: skip
        elif meeting is not None:
            kind = "meeting"
        kind = element.get(_r("kind"), kind)
        node: dict[str, Any] = {"key": self.keys[element_id]}
        if kind != "task":
            node["kind"] = kind
        if name := _name(element):
            node["name"] = name
        post = element.get(_r("post"))
        if post is None and kind in ("task", "meeting"):
            post = self._post_elsewhere(element, lanes.get(element_id))
        if post is not None:
            node["post"] = self._post(post)
        for attr in ("limit", "result"):
            if (value := element.get(_r(attr))) is not None:
                node[attr] = value
        if (value := element.get(_r("risk"))) is not None:
            node["risk"] = _number_or_text(value)
        if (value := element.get(_r("edits"))) is not None:
            node["edits"] = value.split()
        if (value := element.get(_r("watch"))) is not None:
            node["watch"] = _flag(value)
        decisions: list[Any] = []
        for decision in element.iterfind(f"{_q('bpmn', 'extensionElements')}/{_r('decision')}"):
            if decision.get("label") is not None:
                decisions.append({"key": decision.get("key", ""), "label": decision.get("label")})
            else:
                decisions.append(decision.get("key", ""))
        if decisions:
            node["decisions"] = decisions
        if meeting is not None:
            for attr in ("chair", "observer", "quorum"):
                if (value := meeting.get(attr)) is not None:
                    node[attr] = self._post(value) if attr != "quorum" else value
            if (value := meeting.get("members")) is not None:
                node["members"] = [self._post(m) for m in value.split()]
        if element.get(f"{{{CAMUNDA}}}assignee") and "post" not in node:
            self.note(element, _l("the assignee is not kept: a riskctl task is done by whoever "
                                  "holds its post; choose the post"))  # fmt: skip
        return node

    def _post_elsewhere(self, element: ET.Element, lane: str | None) -> str | None:
        """The post another tool names: Camunda's candidate group, else the lane."""
        groups = element.get(f"{{{CAMUNDA}}}candidateGroups")
        assignment = element.find(
            f"{_q('bpmn', 'extensionElements')}/{{{ZEEBE}}}assignmentDefinition"
        )
        if groups is None and assignment is not None:
            groups = assignment.get("candidateGroups")
        names = [g.strip() for g in (groups or "").split(",") if g.strip()]
        if len(names) == 1:
            return names[0]
        return lane

    def _post(self, text: str) -> str:
        """A post named by its code or its name (as a lane names it)."""
        text = text.strip()
        if text in self.posts:
            return text
        return self.by_name.get(text, text)

    # ------------------------------------------------------------ edges and pairs

    def _edge(
        self, flow: ET.Element, defaults: set[str | None], field_types: Mapping[str, str]
    ) -> dict[str, Any] | None:
        edge: dict[str, Any] = {"from": self.keys[flow.get("sourceRef", "")],
                                "to": self.keys[flow.get("targetRef", "")]}  # fmt: skip
        text = _expression(flow)
        if text:
            try:
                when = expressions.read(text, field_types)
            except expressions.ExpressionProblem as exc:
                self.refuse(flow, exc.message)
                return None
            if when is not None:
                edge["when"] = when
        if flow.get("id") in defaults:
            edge["default"] = True
        return edge

    def _pair(self, association: ET.Element, ids: set[str]) -> dict[str, Any] | None:
        mode = association.get(_r("mode"))
        source, target = association.get("sourceRef", ""), association.get("targetRef", "")
        if mode is None:
            return None  # a note's link: it goes with the note
        if source not in ids or target not in ids:
            self.refuse(association, _l("an incompatible pair links two tasks of this process"))
            return None
        pair: dict[str, Any] = {"nodes": [self.keys[source], self.keys[target]], "mode": mode}
        for name, attr in (("code", "code"), ("name", "pairName"), ("basis", "basis")):
            if (value := association.get(_r(attr))) is not None:
                pair[name] = value
        return pair

    # ------------------------------------------------------------ the diagram

    def layout_from(self, root: ET.Element) -> None:
        nodes: dict[str, tuple[float, float, float, float]] = {}
        edges: dict[int, list[tuple[float, float]]] = {}
        edge_index = {element: i for i, element in enumerate(self.edge_ids)}
        for shape in root.iter(_q("bpmndi", "BPMNShape")):
            key = self.keys.get(shape.get("bpmnElement", ""))
            bounds = shape.find(_q("dc", "Bounds"))
            if key is None or bounds is None:
                continue
            numbers = _floats(bounds, ("x", "y", "width", "height"))
            if numbers is not None:
                nodes[key] = (numbers[0], numbers[1], numbers[2], numbers[3])
        for edge in root.iter(_q("bpmndi", "BPMNEdge")):
            index = edge_index.get(edge.get("bpmnElement", ""))
            if index is None:
                continue
            points = [_floats(p, ("x", "y")) for p in edge.iterfind(_q("di", "waypoint"))]
            if len(points) >= 2 and all(p is not None for p in points):
                edges[index] = [(p[0], p[1]) for p in points if p is not None]
        self.layout = Layout(nodes, edges)


def _copy(element: ET.Element) -> ET.Element:
    found = ET.Element(element.tag, dict(element.attrib))
    found.extend(list(element))
    return found


def _expression(flow: ET.Element) -> str:
    condition = flow.find(_q("bpmn", "conditionExpression"))
    return "" if condition is None else "".join(condition.itertext()).strip()


def _flag(value: str) -> Any:
    return {"true": True, "false": False}.get(value.strip().lower(), value)


def _number_or_text(value: str) -> Any:
    text = value.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 6 else value


def _floats(element: ET.Element, names: tuple[str, ...]) -> tuple[float, ...] | None:
    try:
        found = tuple(float(element.get(n, "")) for n in names)
    except ValueError:
        return None
    if not all(abs(v) <= 1_000_000 for v in found):  # nan and inf fail this too
        return None
    return found


def problem_details(imported: Imported, problems: Any) -> list[dict[str, str]]:
    """Definition problems (``Problem``) with the BPMN element each is about."""
    return [
        {"path": p.path, "message": str(p.message), "element": imported.element_of(p.path)}
        for p in problems
    ]
