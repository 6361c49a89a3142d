"""A riskctl process definition as BPMN 2.0 XML, for the SpiffWorkflow comparison in
``bench/engine.py``: the same nodes, edges and conditions, so both engines walk the same
graph.  Task nodes become user tasks; a task whose outgoing edges carry conditions gets an
exclusive gateway right after it (BPMN routes on gateways); conditions become the Python
expressions SpiffWorkflow evaluates; ``default`` edges become the gateway's default flow.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
KINDS = {"start": "startEvent", "end": "endEvent", "task": "userTask",
         "exclusive": "exclusiveGateway", "parallel": "parallelGateway",
         "join": "parallelGateway"}  # fmt: skip


def _edges(raw: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for edge in raw["edges"]:
        if isinstance(edge, list):
            out.append({"from": edge[0], "to": edge[1]})
        else:
            out.append(dict(edge))
    return out


def _condition(when: dict[str, Any], money: set[str]) -> str:
    if "decision" in when:
        return f"decision == {when['decision']!r}"
    field, op, value = when["field"], when["op"], when["value"]
    if field in money:
        return f"float({field}) {op} {float(value)!r}"
    return f"{field} {op} {value!r}"


def to_bpmn(raw: dict[str, Any]) -> str:
    ET.register_namespace("bpmn", BPMN)
    money = {f["key"] for f in raw.get("fields", []) if f.get("type") == "money"}
    root = ET.Element(f"{{{BPMN}}}definitions", {"id": "defs", "targetNamespace": "riskctl"})
    process = ET.SubElement(root, f"{{{BPMN}}}process", {"id": raw["key"], "isExecutable": "true"})
    kinds = {n["key"]: n.get("kind", "task") for n in raw["nodes"]}
    for node in raw["nodes"]:
        ET.SubElement(process, f"{{{BPMN}}}{KINDS[kinds[node['key']]]}",
                      {"id": node["key"], "name": node.get("name", node["key"])})  # fmt: skip
    edges = _edges(raw)
    # A task with conditional exits routes through a gateway of its own.
    for key, kind in kinds.items():
        leaving = [e for e in edges if e["from"] == key]
        if kind == "task" and any("when" in e or e.get("default") for e in leaving):
            gateway = f"gw_{key}"
            ET.SubElement(process, f"{{{BPMN}}}exclusiveGateway", {"id": gateway})
            for edge in leaving:
                edge["from"] = gateway
            edges.append({"from": key, "to": gateway})
    for n, edge in enumerate(edges):
        flow = ET.SubElement(process, f"{{{BPMN}}}sequenceFlow",
                             {"id": f"f{n}", "sourceRef": edge["from"],
                              "targetRef": edge["to"]})  # fmt: skip
        if "when" in edge:
            expression = ET.SubElement(flow, f"{{{BPMN}}}conditionExpression",
                                       {f"{{{XSI}}}type": "bpmn:tFormalExpression"})  # fmt: skip
            expression.text = _condition(edge["when"], money)
        if edge.get("default"):
            source = process.find(f"*[@id='{edge['from']}']")
            assert source is not None
            source.set("default", f"f{n}")
    return ET.tostring(root, encoding="unicode", xml_declaration=True)
